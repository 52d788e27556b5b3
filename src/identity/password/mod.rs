//! Intermetso/Sonette password accounts: Argon2id hashes, lock after
//! consecutive failures, the same answer and cost for an unknown username
//! as for a wrong password.

mod policy;

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

pub use policy::{PasswordPolicy, PolicyViolation};

use super::VerifiedIdentity;
use crate::config::PasswordSettings;
use crate::domain::{AccountStatus, AuthMethod, LoA};
use crate::store::{Account, AuditEvent, Directory, StoreError};

/// The identity source id of password accounts.
pub const SOURCE: &str = crate::config::sources::PASSWORD;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Argon2id with configured cost. Hashing runs on the blocking pool.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
}

impl Hasher {
    pub fn new(s: &PasswordSettings) -> Result<Self, PasswordError> {
        let params = Params::new(
            s.argon2_memory_kib,
            s.argon2_iterations,
            s.argon2_parallelism,
            None,
        )
        .map_err(|e| PasswordError::Hash(format!("argon2 parameters: {e}")))?;
        Ok(Self { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// PHC string of a fresh salted hash.
    pub fn hash_blocking(&self, password: &str) -> Result<String, PasswordError> {
        let mut salt = [0u8; 16];
        aws_lc_rs::rand::fill(&mut salt)
            .map_err(|_| PasswordError::Hash("no randomness".into()))?;
        self.argon2()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let (h, p) = (self.clone(), password.to_string());
        tokio::task::spawn_blocking(move || h.hash_blocking(&p))
            .await
            .map_err(|e| PasswordError::Hash(e.to_string()))?
    }

    /// True when `password` matches the PHC string `hash`.
    pub async fn verify(&self, password: &str, hash: &str) -> bool {
        let (a, p, h) = (self.argon2(), password.to_string(), hash.to_string());
        tokio::task::spawn_blocking(move || a.verify_password(p.as_bytes(), h.as_str()).is_ok())
            .await
            .unwrap_or(false)
    }
}

/// The outcome of a username and password.
#[derive(Debug)]
pub enum PasswordOutcome {
    /// Right password on an active account.
    Verified {
        identity: Box<VerifiedIdentity>,
        account: Account,
    },
    /// Unknown username, wrong password, or no password set: one answer.
    Invalid,
    /// Right password, but the account is locked or disabled; only a person
    /// who knew the password learns this.
    NotActive(Account),
}

/// The longest typed username kept in the audit row of an unknown
/// username (characters); a longer one is cut, with its length noted.
pub const MAX_AUDIT_USERNAME: usize = 64;

pub struct PasswordSource {
    dir: Arc<dyn Directory>,
    hasher: Hasher,
    lock_after: u32,
    /// Verified against when the username is unknown, for equal cost.
    dummy_hash: String,
}

impl PasswordSource {
    pub fn new(
        dir: Arc<dyn Directory>,
        settings: &PasswordSettings,
    ) -> Result<Self, PasswordError> {
        let hasher = Hasher::new(settings)?;
        let dummy_hash = hasher.hash_blocking(&crate::tokens::random_token(16))?;
        Ok(Self {
            dir,
            hasher,
            lock_after: settings.lock_after_failures,
            dummy_hash,
        })
    }

    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
        source_ip: Option<String>,
        now: i64,
    ) -> Result<PasswordOutcome, PasswordError> {
        let found = self.dir.credentials(username.trim()).await?;
        let Some((account, hash)) = found else {
            self.hasher.verify(password, &self.dummy_hash).await;
            // What was typed, capped: the audit trail is not a store for
            // whatever a stranger sends.
            let typed = username.trim();
            let mut detail = serde_json::json!({
                "username": typed.chars().take(MAX_AUDIT_USERNAME).collect::<String>()
            });
            if typed.chars().count() > MAX_AUDIT_USERNAME {
                detail["username_chars"] = typed.chars().count().into();
            }
            // The name typed is not logged: people type their password
            // there by mistake. It is in the audit trail, capped.
            tracing::info!(
                ip = source_ip.as_deref().map(tracing::field::display),
                typed_chars = typed.chars().count(),
                "password login failed: unknown username"
            );
            let audit = AuditEvent::new(now, "anonymous", "login.password.unknown_user")
                .ip(source_ip)
                .detail(detail);
            self.dir.append_audit(&audit).await?;
            return Ok(PasswordOutcome::Invalid);
        };
        let ok = self
            .hasher
            .verify(password, hash.as_deref().unwrap_or(&self.dummy_hash))
            .await
            && hash.is_some();
        let audit = |action: &str| {
            AuditEvent::new(now, account.id.clone(), action)
                .subject(account.id.clone())
                .ip(source_ip.clone())
                .detail(serde_json::json!({ "method": "pwd", "source": SOURCE }))
        };
        if !ok {
            if account.status == AccountStatus::Active {
                let out = self
                    .dir
                    .record_login_failure(
                        &account.id,
                        self.lock_after,
                        &audit("login.password.failure"),
                    )
                    .await?;
                tracing::info!(
                    account = %account.id,
                    username = %account.username,
                    ip = source_ip.as_deref().map(tracing::field::display),
                    failures = out.failed_logins,
                    lock_after = self.lock_after,
                    "password login failed: wrong password"
                );
                if out.locked_now {
                    tracing::warn!(
                        account = %account.id,
                        failures = out.failed_logins,
                        "account locked after consecutive failed logins"
                    );
                }
            } else {
                tracing::info!(
                    account = %account.id,
                    username = %account.username,
                    ip = source_ip.as_deref().map(tracing::field::display),
                    status = account.status.as_str(),
                    "password login failed: wrong password for an account not in use"
                );
                self.dir
                    .append_audit(&audit("login.password.failure_not_active"))
                    .await?;
            }
            return Ok(PasswordOutcome::Invalid);
        }
        if account.status != AccountStatus::Active {
            tracing::info!(
                account = %account.id,
                username = %account.username,
                ip = source_ip.as_deref().map(tracing::field::display),
                status = account.status.as_str(),
                "password login refused: the password is right but the account is not in use"
            );
            self.dir
                .append_audit(&audit("login.password.refused_not_active"))
                .await?;
            return Ok(PasswordOutcome::NotActive(account));
        }
        self.dir
            .record_login_success(&account.id, &audit("login.password.success"))
            .await?;
        Ok(PasswordOutcome::Verified {
            identity: Box::new(VerifiedIdentity {
                source: SOURCE.into(),
                subject: account.id.clone(),
                loa: LoA::Low,
                methods: vec![AuthMethod::Password],
                authenticated_at: now,
                links_with: None,
                attributes: Default::default(),
            }),
            account,
        })
    }
}
