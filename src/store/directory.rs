//! The durable directory behind narrow traits, one per kind of record:
//! what a piece of code needs is what it asks for (the keyring takes a
//! [`KeyStore`], a login a [`CredentialStore`] …). [`Directory`] is all of
//! them at once, for the application state and the command line; every
//! type with all of them is one.

use async_trait::async_trait;

use super::events::EventStore;
use super::identities::{IdentityLinkStore, Profile, ProfileStore};
use super::passkeys::PasskeyStore;
use super::provisioning::ProvisioningStore;
use super::{
    Account, AccountQuery, AccountUpdate, AuditEvent, AuditQuery, FailureOutcome, LiaisonContact,
    Membership, NewAccount, Organisation, StoreResult, StoredKey,
};
use crate::domain::{AccountStatus, Network};

/// The whole directory: organisations, accounts, memberships, operators,
/// identity links and profiles, the audit trail and signing keys.
pub trait Directory:
    Readiness
    + OrganisationStore
    + AccountStore
    + CredentialStore
    + MembershipStore
    + OperatorStore
    + IdentityLinkStore
    + ProfileStore
    + PasskeyStore
    + ProvisioningStore
    + EventStore
    + AuditStore
    + KeyStore
    + Send
    + Sync
{
}

impl<T> Directory for T where
    T: Readiness
        + OrganisationStore
        + AccountStore
        + CredentialStore
        + MembershipStore
        + OperatorStore
        + IdentityLinkStore
        + ProfileStore
        + PasskeyStore
        + ProvisioningStore
        + EventStore
        + AuditStore
        + KeyStore
        + Send
        + Sync
{
}

#[async_trait]
pub trait Readiness: Send + Sync {
    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
}

/// The register of organisations.
#[async_trait]
pub trait OrganisationStore: Send + Sync {
    async fn insert_organisation(&self, org: &Organisation, audit: &AuditEvent) -> StoreResult<()>;
    async fn organisation(&self, id: &str) -> StoreResult<Option<Organisation>>;
    async fn organisations(&self) -> StoreResult<Vec<Organisation>>;
    /// Replaces an organisation's register data (the id stays).
    async fn update_organisation(&self, org: &Organisation, audit: &AuditEvent) -> StoreResult<()>;
    /// Organisations whose name (fi/sv), business id or municipality
    /// contains `text`, by Finnish name.
    async fn search_organisations(&self, text: &str, limit: u32) -> StoreResult<Vec<Organisation>>;
}

/// Accounts: who they are, their contact data and status.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates the account and its memberships at once, or nothing.
    async fn create_account(
        &self,
        account: &NewAccount,
        memberships: &[Membership],
        audit: &AuditEvent,
    ) -> StoreResult<Account>;
    async fn account(&self, id: &str) -> StoreResult<Option<Account>>;
    /// A page of accounts and how many match in all.
    async fn find_accounts(&self, q: &AccountQuery<'_>) -> StoreResult<(Vec<Account>, u64)>;
    async fn update_account(
        &self,
        account_id: &str,
        update: &AccountUpdate,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// Sets the status (and its reason); unlocking also clears failures.
    async fn set_status(
        &self,
        account_id: &str,
        status: AccountStatus,
        reason: Option<&str>,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
}

/// What a login checks and changes: passwords, failure counts, second
/// factors.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// The account and its password hash, by username (case-insensitive).
    async fn credentials(&self, username: &str) -> StoreResult<Option<(Account, Option<String>)>>;
    /// Counts a failed password; locks the account at `lock_after`.
    async fn record_login_failure(
        &self,
        account_id: &str,
        lock_after: u32,
        audit: &AuditEvent,
    ) -> StoreResult<FailureOutcome>;
    /// Resets the failure count and records the login time.
    async fn record_login_success(&self, account_id: &str, audit: &AuditEvent) -> StoreResult<()>;
    async fn set_password(
        &self,
        account_id: &str,
        password_hash: &str,
        must_change: bool,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// The password the account had before its current one was set as a
    /// one-time password (a reset): the person's own, last chosen.
    async fn previous_password_hash(&self, account_id: &str) -> StoreResult<Option<String>>;
    /// The account's TOTP secret, encrypted with the key-encryption key.
    async fn totp_secret(&self, account_id: &str) -> StoreResult<Option<Vec<u8>>>;
    async fn set_totp_secret(
        &self,
        account_id: &str,
        encrypted: Option<&[u8]>,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
}

/// Who belongs where, in which network and role, and the contacts that
/// liaison persons publish.
#[async_trait]
pub trait MembershipStore: Send + Sync {
    async fn memberships(&self, account_id: &str) -> StoreResult<Vec<Membership>>;
    /// The memberships, their organisations and the professional profile:
    /// one round trip for an account with memberships and no profile (the
    /// usual one), a second read for the profile only when there is one.
    async fn memberships_organisations_and_profile(
        &self,
        account_id: &str,
    ) -> StoreResult<(Vec<Membership>, Vec<Organisation>, Option<Profile>)>;
    async fn add_membership(&self, m: &Membership, audit: &AuditEvent) -> StoreResult<()>;
    /// Removes a membership (and, for a liaison role, its published contact).
    async fn remove_membership(&self, m: &Membership, audit: &AuditEvent) -> StoreResult<()>;
    /// Moves every membership of the account in `org_id` from one network
    /// to another.
    async fn move_network(
        &self,
        account_id: &str,
        org_id: &str,
        from: Network,
        to: Network,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    async fn publish_liaison_contact(
        &self,
        contact: &LiaisonContact,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    async fn liaison_contacts(&self, org_id: &str) -> StoreResult<Vec<LiaisonContact>>;
}

/// Operators: the regional service desk.
#[async_trait]
pub trait OperatorStore: Send + Sync {
    async fn is_operator(&self, account_id: &str) -> StoreResult<bool>;
    async fn add_operator(&self, account_id: &str, audit: &AuditEvent) -> StoreResult<()>;
}

/// The audit trail. Changes elsewhere write their event in the same
/// transaction; this appends the events that go with no change.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Newest first, about one subject (or all when `None`).
    async fn audit_events(&self, subject: Option<&str>, limit: u32)
    -> StoreResult<Vec<AuditEvent>>;
    async fn query_audit(&self, q: &AuditQuery<'_>) -> StoreResult<Vec<AuditEvent>>;
    /// Deletes events older than `before`; returns how many.
    async fn purge_audit(&self, before: i64) -> StoreResult<u64>;
}

/// Token signing keys, the private halves sealed.
#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>>;
    async fn insert_signing_key(&self, key: &StoredKey) -> StoreResult<()>;
    /// Sets when a key leaves the JWKS.
    async fn retire_signing_key(&self, kid: &str, at: i64, audit: &AuditEvent) -> StoreResult<()>;
}
