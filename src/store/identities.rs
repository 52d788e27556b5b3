//! Identity links (an external source's subject → an account) and the
//! professional profile a person gives at first login: two narrow traits
//! of the [`Directory`](super::Directory).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{Account, AuditEvent, Membership, NewAccount, StoreResult};

/// "This source's subject is this account." National identity numbers
/// never appear here in clear: Suomi.fi subjects are keyed hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct IdentityLink {
    /// The configured source id, e.g. `hus` or `suomifi`.
    pub source: String,
    pub subject: String,
    pub account_id: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// What a person tells about their work at first login; it feeds the
/// token's claims and the portal policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Profile {
    pub account_id: String,
    /// One of the configured profession groups.
    pub profession_group: String,
    pub wellbeing_area: Option<String>,
    /// For a private practitioner or an unlisted workplace.
    pub home_municipality: Option<String>,
    /// Organisation ids from the register the person works with.
    #[sqlx(skip)]
    pub cooperating_organisations: Vec<String>,
    pub updated_at: i64,
}

/// A first login: the account, how it is reached and what the person told.
#[derive(Debug, Clone)]
pub struct Registration {
    pub account: NewAccount,
    pub link: IdentityLink,
    pub profile: Profile,
    pub memberships: Vec<Membership>,
}

/// Which account an external identity is, and the first login that
/// creates both.
#[async_trait]
pub trait IdentityLinkStore: Send + Sync {
    /// The account a source's subject is linked to.
    async fn account_by_identity(
        &self,
        source: &str,
        subject: &str,
    ) -> StoreResult<Option<Account>>;
    /// A login through a linked identity, in one transaction: the link's
    /// last use and the account's login time (its failure count reset) at
    /// `audit.at`, and the audit event. `NotFound` (and nothing written)
    /// when the identity is no longer linked to the account.
    async fn record_identity_login(
        &self,
        source: &str,
        subject: &str,
        account_id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    async fn identity_links(&self, account_id: &str) -> StoreResult<Vec<IdentityLink>>;
    /// Links a further identity to an existing account; a subject already
    /// linked (to anyone) is a conflict.
    async fn link_identity(&self, link: &IdentityLink, audit: &AuditEvent) -> StoreResult<()>;
    async fn unlink_identity(
        &self,
        source: &str,
        subject: &str,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// Creates the account, its link, profile and memberships at once, or
    /// nothing (a subject linked meanwhile is a conflict).
    async fn register(&self, r: &Registration, audit: &AuditEvent) -> StoreResult<Account>;
}

/// The professional profile a person gives and edits.
#[async_trait]
pub trait ProfileStore: Send + Sync {
    async fn profile(&self, account_id: &str) -> StoreResult<Option<Profile>>;
    /// Creates or replaces the profile; contact data goes to the account.
    async fn save_profile(
        &self,
        profile: &Profile,
        email: Option<&str>,
        phone: Option<&str>,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
}
