//! Storage behind narrow traits. The directory is durable (SQL), one trait
//! per kind of record (`directory.rs`, `identities.rs`); ephemeral state
//! (sessions, codes, refresh families, counters) lives in memory or Redis.
//! Every engine runs the same conformance suite (`conformance`, with the
//! `test-support` feature).

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::{AccountStatus, BusinessId, Network, OrgKind, OrgOid, Role};

#[cfg(feature = "test-support")]
pub mod conformance;
pub mod deadline;
mod directory;
pub mod ephemeral;
pub mod events;
pub mod identities;
pub mod memory;
pub mod passkeys;
pub mod provisioning;
pub mod redis;
pub mod sql;
pub mod timed;

pub use directory::{
    AccountStore, AuditStore, CredentialStore, Directory, KeyStore, MembershipStore, OperatorStore,
    OrganisationStore, Readiness,
};
pub use ephemeral::EphemeralState;
pub use identities::{IdentityLink, IdentityLinkStore, Profile, ProfileStore, Registration};
pub use passkeys::{Passkey, PasskeyStore};
pub use provisioning::{
    AccountFilter, FilterAttr, FilterOp, ManagedChange, ManagedFields, ManagedQuery,
    ProvisioningClient, ProvisioningStore,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("{0} already exists")]
    Conflict(String),
    #[error("{0} was not found")]
    NotFound(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Short stable id used in URLs and configuration, e.g. `ksshp`.
    pub id: String,
    pub oid: OrgOid,
    pub business_id: BusinessId,
    pub name_fi: String,
    pub name_sv: String,
    pub kind: OrgKind,
    pub municipality: Option<String>,
    pub networks: Vec<Network>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Stable random id: the `sub` of every token.
    pub id: String,
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub status: AccountStatus,
    /// Why the account is locked or disabled, for the people who lift it.
    pub status_reason: Option<String>,
    pub must_change_password: bool,
    pub failed_logins: u32,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    /// The organisation whose identity management owns the account's
    /// names, contacts, networks and status (it provisions them over
    /// SCIM); `None` for an account administered by hand.
    pub managed_by: Option<String>,
    /// That identity management's id for the person.
    pub external_id: Option<String>,
    /// When the account's data last changed (absent: not since creation).
    pub updated_at: Option<i64>,
}

impl Account {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// What is needed to create an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: String,
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Membership {
    pub account_id: String,
    pub org_id: String,
    pub network: Network,
    pub role: Role,
}

/// A liaison person's contact as they agreed to publish it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiaisonContact {
    pub account_id: String,
    pub org_id: String,
    pub network: Network,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// One audit record, written in the same transaction as the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub at: i64,
    /// Who acted: an account id, `system`, or `cli`.
    pub actor: String,
    /// What happened, e.g. `login.password.success`.
    pub action: String,
    /// On whom: an account id, when there is one.
    pub subject: Option<String>,
    pub org_id: Option<String>,
    /// From where: the client address.
    pub source_ip: Option<String>,
    pub reason: Option<String>,
    /// Further detail as JSON text.
    pub detail: Option<String>,
}

impl AuditEvent {
    pub fn new(at: i64, actor: impl Into<String>, action: impl Into<String>) -> Self {
        Self {
            at,
            actor: actor.into(),
            action: action.into(),
            subject: None,
            org_id: None,
            source_ip: None,
            reason: None,
            detail: None,
        }
    }
    pub fn subject(mut self, s: impl Into<String>) -> Self {
        self.subject = Some(s.into());
        self
    }
    pub fn ip(mut self, ip: Option<String>) -> Self {
        self.source_ip = ip;
        self
    }
    pub fn reason(mut self, r: impl Into<String>) -> Self {
        self.reason = Some(r.into());
        self
    }
    pub fn detail(mut self, d: serde_json::Value) -> Self {
        self.detail = Some(d.to_string());
        self
    }
}

/// A signing key as stored: the private half encrypted with the
/// key-encryption key, the public half as a JWK.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredKey {
    pub kid: String,
    pub alg: String,
    pub encrypted_private: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    /// Not used for signing before this time (published first).
    pub activate_at: i64,
    /// Dropped from the JWKS after this time.
    pub retire_at: Option<i64>,
}

/// Contact data a liaison person or the service desk may edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUpdate {
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
}

/// Which accounts to list. Empty strings and slices mean "any".
#[derive(Debug, Clone, Default)]
pub struct AccountQuery<'a> {
    /// Only accounts with a membership in this organisation...
    pub org_id: &'a str,
    /// ...in one of these networks.
    pub networks: &'a [Network],
    /// Words found in the username, name or e-mail.
    pub text: &'a str,
    /// Only accounts a liaison person of `org_id` in `networks` may
    /// administer: not an operator, and a liaison person nowhere but in
    /// `org_id` in one of `networks` (those are the service desk's alone).
    pub reach_only: bool,
    pub offset: u32,
    pub limit: u32,
}

/// Which audit events to read, newest first. Empty strings mean "any".
#[derive(Debug, Clone, Default)]
pub struct AuditQuery<'a> {
    /// About this account.
    pub subject: &'a str,
    /// Recorded for this organisation, or about one of its accounts.
    pub org_id: &'a str,
    /// By this actor.
    pub actor: &'a str,
    /// By or about this account (actor or subject).
    pub person: &'a str,
    /// This event (`admin.account.disabled`), or every event under a
    /// prefix that ends with a dot (`login.`).
    pub action: &'a str,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Only what a liaison person of `org_id` in `networks` may see. An
    /// event is within their reach when its subject, if it has one, is an
    /// account within their reach (see [`AccountQuery::reach_only`]) and
    /// either it was recorded for `org_id` (by its liaison persons, or the
    /// service desk acting for it), or it names no organisation and the
    /// account did it itself (its logins, password changes, second
    /// factor). Never an event recorded for another organisation, nor the
    /// service desk's or the command line's own actions on an account.
    pub reach_only: bool,
    /// The liaison person's networks in `org_id` (with `reach_only`).
    pub networks: &'a [Network],
    pub offset: u32,
    pub limit: u32,
}

/// What a failed password attempt did to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureOutcome {
    pub failed_logins: u32,
    pub locked_now: bool,
}

/// Short-lived state shared by the nodes. Values are opaque bytes; the
/// typed layer is [`EphemeralState`]. Expiry is by TTL; logical expiry
/// (against the injected clock) is checked by the typed layer.
#[async_trait]
pub trait Ephemeral: Send + Sync {
    async fn ping(&self) -> StoreResult<()>;
    async fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()>;
    /// Stores only when the key is absent; true when it stored.
    async fn put_if_absent(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<bool>;
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Atomically reads and deletes: of many concurrent takers one wins.
    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    async fn delete(&self, key: &str) -> StoreResult<()>;
    /// Replaces the value only when it still equals `expected`.
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
        ttl: Duration,
    ) -> StoreResult<bool>;
    /// Adds one; the first increment starts a window of `window`.
    async fn incr(&self, key: &str, window: Duration) -> StoreResult<u64>;
    /// Takes one back from a live counter, keeping its window: never
    /// below zero, and a counter that has expired stays gone.
    async fn decr(&self, key: &str) -> StoreResult<()>;
    /// Adds a member to a set, extending the set's life to `ttl`.
    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> StoreResult<()>;
    async fn set_members(&self, key: &str) -> StoreResult<Vec<String>>;
    /// The number of live entries whose key starts with `prefix` and their
    /// size in bytes (keys and values), where the engine can tell without
    /// scanning a shared server: in memory. `None` elsewhere. For tests
    /// and diagnostics.
    fn usage(&self, _prefix: &str) -> Option<(usize, usize)> {
        None
    }
}
