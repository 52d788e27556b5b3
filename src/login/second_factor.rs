//! The second factor (an authenticator app's TOTP code): a password login
//! waiting for it, the code's check, and who may set one up.

use serde::{Deserialize, Serialize};

use super::{Attempt, LoginContext, Started, start};
use crate::domain::{AuthMethod, LoA};
use crate::identity::{VerifiedIdentity, totp};
use crate::oidc::Provider;
use crate::store::ephemeral::{OneTimePassword, Session};
use crate::store::{AuditEvent, StoreError};
use crate::telemetry::Metrics;
use crate::tokens::sealing::Sealer;
use crate::tokens::{hash_secret, random_token};

/// A password accepted, the second factor still to come.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pending {
    pub identity: VerifiedIdentity,
    pub account_id: String,
    /// The password was a one-time password.
    #[serde(default)]
    pub one_time_password: OneTimePassword,
}

/// How long the code may take (seconds).
pub const PENDING_SECS: u64 = 300;

/// Setting up a first second factor needs a session at substantial level
/// or higher, or a password login at most this old (seconds) that was not
/// made with a one-time password.
pub const ENROL_FRESH_SECS: i64 = 300;

#[derive(Debug, thiserror::Error)]
pub enum FactorError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The account has no second factor (it was removed meanwhile).
    #[error("no second factor")]
    NoFactor,
    /// The sealing key cannot be made, or a secret cannot be opened.
    #[error("{0}")]
    Sealing(&'static str),
}

fn pending_key(ticket: &str) -> String {
    format!("mfa:{}", hash_secret(ticket))
}

/// Remembers a verified password until the code comes; the ticket goes to
/// the browser.
pub async fn begin(
    p: &Provider,
    identity: &VerifiedIdentity,
    one_time_password: OneTimePassword,
) -> Result<String, StoreError> {
    let ticket = random_token(24);
    let pending = Pending {
        identity: identity.clone(),
        account_id: identity.subject.clone(),
        one_time_password,
    };
    let value = serde_json::to_vec(&pending)
        .map_err(|e| StoreError::Corrupt(format!("a pending second factor: {e}")))?;
    p.eph
        .raw()
        .put(
            &pending_key(&ticket),
            value,
            std::time::Duration::from_secs(PENDING_SECS),
        )
        .await?;
    Ok(ticket)
}

/// The login waiting under `ticket`, if any.
pub async fn pending(p: &Provider, ticket: &str) -> Result<Option<Pending>, StoreError> {
    match p.eph.raw().get(&pending_key(ticket)).await? {
        Some(raw) => serde_json::from_slice(&raw)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("a pending second factor: {e}"))),
        None => Ok(None),
    }
}

/// Ends the login waiting under `ticket` (its second factor came).
pub async fn end(p: &Provider, ticket: &str) -> Result<(), StoreError> {
    p.eph.raw().delete(&pending_key(ticket)).await
}

/// Whether the account has a second factor: an authenticator app or a
/// passkey.
pub async fn has_factor(p: &Provider, account_id: &str) -> Result<bool, StoreError> {
    Ok(p.dir.totp_secret(account_id).await?.is_some()
        || !p.dir.passkeys(account_id).await?.is_empty())
}

/// The sealed-secret key: derived from the key-encryption key, so the two
/// uses never share a key.
pub fn sealer(p: &Provider) -> Result<Sealer, FactorError> {
    let kek = crate::tokens::b64_std_decode(p.settings.secrets.key_encryption_key.expose())
        .map_err(|_| FactorError::Sealing("the key-encryption key is not base64"))?;
    crate::identity::second_factor_sealer(&kek)
        .ok_or(FactorError::Sealing("second-factor sealing key"))
}

/// Opens the account's sealed TOTP secret.
pub async fn secret_of(p: &Provider, account_id: &str) -> Result<Vec<u8>, FactorError> {
    let sealed = p
        .dir
        .totp_secret(account_id)
        .await?
        .ok_or(FactorError::NoFactor)?;
    sealer(p)?
        .open(&sealed, account_id.as_bytes())
        .ok_or(FactorError::Sealing(
            "TOTP secret cannot be opened: wrong key-encryption key?",
        ))
}

/// Accepts a code for one use (`kind`: `totp` for the account's factor,
/// `totp-new` for one being set up, so the two may share a time step)
/// once: the step it matched is remembered.
pub async fn accept(
    p: &Provider,
    kind: &str,
    account_id: &str,
    secret: &[u8],
    code: &str,
) -> Result<bool, StoreError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(step) = totp::verify(secret, &code, p.now(), totp::DEFAULT_WINDOW) else {
        return Ok(false);
    };
    p.eph
        .raw()
        .put_if_absent(
            &format!("{kind}:{{{account_id}}}:{step}"),
            b"1".to_vec(),
            std::time::Duration::from_secs(120),
        )
        .await
}

/// What a code sent for a waiting login comes to.
#[derive(Debug)]
pub enum CodeOutcome {
    /// Too many wrong codes for this account lately.
    RateLimited,
    /// Not the code (counted as a failed login).
    Wrong,
    Started(Box<Started>),
}

/// Checks the code for the login waiting under `ticket`; a right one ends
/// the wait and starts the session (password and OTP, at least low).
pub async fn check_code(
    p: &Provider,
    attempt: &Attempt,
    ticket: &str,
    pending: Pending,
    code: &str,
    ar: &str,
) -> Result<CodeOutcome, FactorError> {
    let rl = &p.settings.rate_limit;
    let limit_key = format!("otp:{}", pending.account_id);
    if p.eph.count(&limit_key, rl.window_secs).await? > rl.login_per_account {
        Metrics::inc(&p.metrics.counters.logins_rate_limited_total);
        p.metrics.login("totp", "refused", "rate_limited");
        return Ok(CodeOutcome::RateLimited);
    }
    let secret = secret_of(p, &pending.account_id).await?;
    let now = p.now();
    let audit = |action: &str| {
        AuditEvent::new(now, pending.account_id.clone(), action)
            .subject(pending.account_id.clone())
            .ip(attempt.ip.clone())
            .detail(serde_json::json!({ "method": "otp" }))
    };
    if !accept(p, "totp", &pending.account_id, &secret, code).await? {
        Metrics::inc(&p.metrics.counters.logins_failed_total);
        p.metrics.login("totp", "failure", "wrong_code");
        tracing::info!(
            account = %pending.account_id,
            ip = attempt.ip.as_deref().map(tracing::field::display),
            "second factor refused: wrong authenticator code"
        );
        p.dir
            .record_login_failure(
                &pending.account_id,
                p.settings.password.lock_after_failures,
                &audit("login.otp.failure"),
            )
            .await?;
        return Ok(CodeOutcome::Wrong);
    }
    p.eph.raw().delete(&pending_key(ticket)).await?;
    // A right code does not count against the limit (it bounds guessing).
    p.eph.uncount(&limit_key).await?;
    p.dir.append_audit(&audit("login.otp.success")).await?;
    let mut identity = pending.identity;
    identity.methods.push(AuthMethod::Otp);
    identity.loa = identity.loa.max(LoA::Low);
    let ctx = LoginContext {
        ar: ar.to_string(),
        ..LoginContext::default()
    };
    let started = start(
        p,
        attempt,
        &pending.account_id,
        identity,
        ctx,
        pending.one_time_password,
        None,
    )
    .await?;
    Ok(CodeOutcome::Started(Box::new(started)))
}

/// Whether a session may set up a second factor for its account, and
/// whether a code of the current one must come with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrolment {
    /// A first factor: the session is strong or a fresh own-password login.
    First,
    /// A factor exists: replacing it needs a code of the current one.
    Replace,
    /// Neither: log in again (freshly, or more strongly) first.
    LogInAgain,
}

/// The enrolment rule: replacing needs the current factor; a first one
/// needs a session at substantial level or higher, or a password login
/// at most [`ENROL_FRESH_SECS`] old that was not made with a one-time
/// password. Enrolling never raises the session's strength.
pub async fn enrolment(p: &Provider, s: &Session) -> Result<Enrolment, StoreError> {
    if p.dir.totp_secret(&s.account_id).await?.is_some() {
        return Ok(Enrolment::Replace);
    }
    Ok(if s.loa >= LoA::Substantial || fresh_password(p, s) {
        Enrolment::First
    } else {
        Enrolment::LogInAgain
    })
}

fn fresh_password(p: &Provider, s: &Session) -> bool {
    s.methods == [AuthMethod::Password]
        && s.one_time_password == OneTimePassword::NotUsed
        && p.now() - s.auth_time <= ENROL_FRESH_SECS
}

/// The enrolment rule for adding a passkey (one more factor, replacing
/// none): a session at substantial level or higher; or, when the account
/// has a factor, a login at most [`ENROL_FRESH_SECS`] old made with a
/// factor (the current factor shown); or, when it has none, a fresh
/// own-password login as for a first factor.
pub async fn may_add_passkey(p: &Provider, s: &Session) -> Result<bool, StoreError> {
    if s.loa >= LoA::Substantial {
        return Ok(true);
    }
    if has_factor(p, &s.account_id).await? {
        return Ok(s.methods.iter().any(|m| m.is_second_factor())
            && s.one_time_password == OneTimePassword::NotUsed
            && p.now() - s.auth_time <= ENROL_FRESH_SECS);
    }
    Ok(fresh_password(p, s))
}
