//! Provisioning: a narrow trait of the [`Directory`](super::Directory)
//! for organisations whose identity management pushes their staff over
//! SCIM 2.0. Each organisation's provisioning clients (bearer tokens kept
//! only as SHA-256 digests), the accounts an organisation's identity
//! management owns (`managed_by`, `external_id`), and the search a
//! provisioning client makes, with its filter as a typed tree the engines
//! turn into SQL with bound values.

use async_trait::async_trait;
use serde::Serialize;

use super::{Account, AuditEvent, Membership, NewAccount, StoreResult};
use crate::domain::Network;

/// An organisation's provisioning client: what its bearer token may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvisioningClient {
    /// Random, stable: the audit trail names the client `scim:<id>`.
    pub id: String,
    pub org_id: String,
    /// The service desk's name for it ("Entra ID, tuotanto").
    pub name: String,
    /// The networks of the organisation it may provision into.
    pub networks: Vec<Network>,
    pub created_at: i64,
    /// Who created it (an account id or a service client).
    pub created_by: String,
    pub revoked_at: Option<i64>,
}

impl ProvisioningClient {
    /// The actor the audit trail names for what the client does.
    pub fn actor(&self) -> String {
        format!("scim:{}", self.id)
    }
}

/// What an organisation's identity management owns in an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedFields {
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    /// The identity management's own id for the person, unique within
    /// the organisation.
    pub external_id: Option<String>,
}

/// A change of a managed account: its fields, and its member roles in
/// the organisation's `scope` networks set to exactly `networks` (a
/// liaison role, and memberships elsewhere, stay as they are).
#[derive(Debug, Clone)]
pub struct ManagedChange<'a> {
    pub account_id: &'a str,
    pub org_id: &'a str,
    pub fields: &'a ManagedFields,
    pub networks: &'a [Network],
    pub scope: &'a [Network],
    pub at: i64,
}

/// An attribute a provisioning filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterAttr {
    Id,
    UserName,
    ExternalId,
    Email,
    GivenName,
    FamilyName,
    /// `active`: not disabled (`eq`/`ne` with `true`/`false` only).
    Active,
}

impl FilterAttr {
    /// Compared without regard to case (SCIM's `caseExact: false`).
    pub fn case_insensitive(self) -> bool {
        matches!(
            self,
            FilterAttr::UserName
                | FilterAttr::Email
                | FilterAttr::GivenName
                | FilterAttr::FamilyName
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
}

/// A filter over accounts (RFC 7644 §3.4.2.2, the part this service
/// answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountFilter {
    Compare {
        attr: FilterAttr,
        op: FilterOp,
        value: String,
    },
    Present(FilterAttr),
    And(Box<AccountFilter>, Box<AccountFilter>),
    Or(Box<AccountFilter>, Box<AccountFilter>),
    Not(Box<AccountFilter>),
}

/// Which accounts a provisioning client lists: those a liaison person of
/// `org_id` in `networks` reaches (see
/// [`AccountQuery::reach_only`](super::AccountQuery::reach_only)) that
/// match `filter`, oldest first.
#[derive(Debug, Clone)]
pub struct ManagedQuery<'a> {
    pub org_id: &'a str,
    pub networks: &'a [Network],
    pub filter: Option<&'a AccountFilter>,
    pub offset: u32,
    pub limit: u32,
}

/// Provisioning clients, managed accounts and their search.
#[async_trait]
pub trait ProvisioningStore: Send + Sync {
    /// Adds a client with the SHA-256 digest (hex) of its token.
    async fn insert_provisioning_client(
        &self,
        client: &ProvisioningClient,
        token_digest: &str,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// The organisation's clients, revoked ones too, newest first.
    async fn provisioning_clients(&self, org_id: &str) -> StoreResult<Vec<ProvisioningClient>>;
    /// The client whose token has this digest, revoked or not.
    async fn provisioning_client_by_token(
        &self,
        token_digest: &str,
    ) -> StoreResult<Option<ProvisioningClient>>;
    /// Revokes the organisation's client; `NotFound` (nothing written)
    /// when it has no live client by that id.
    async fn revoke_provisioning_client(
        &self,
        org_id: &str,
        id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// Creates an account owned by `org_id`'s identity management, with
    /// its memberships, at once or not at all; `Conflict` when the
    /// username, or the external id within the organisation, is taken.
    async fn create_managed_account(
        &self,
        account: &NewAccount,
        org_id: &str,
        external_id: Option<&str>,
        memberships: &[Membership],
        audit: &AuditEvent,
    ) -> StoreResult<Account>;
    /// Writes `change` and `audit` in one transaction (the account
    /// becomes managed by `change.org_id`); `Conflict` as for creation.
    async fn update_managed_account(
        &self,
        change: &ManagedChange<'_>,
        audit: &AuditEvent,
    ) -> StoreResult<Account>;
    /// A page of the accounts `q` selects, and how many match in all.
    async fn find_managed(&self, q: &ManagedQuery<'_>) -> StoreResult<(Vec<Account>, u64)>;
}
