//! A deadline on every directory operation. The PostgreSQL server ends a
//! statement after its `statement_timeout`, but a database that stops
//! answering (a network partition, a frozen host) answers nothing at all:
//! [`Deadline`] gives up on the client side, so a request waits at most
//! `store.query_timeout_ms` for the directory and gets "temporarily
//! unavailable" instead of hanging with its connection.
//!
//! A write that passes its deadline may still commit on the server (the
//! answer, not the work, was lost); each write is one transaction, so it
//! is then whole, never half-written.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;

use super::events::{Attempt, Delivery, DeliveryState, EventStore, OutboxEvent};
use super::identities::{IdentityLinkStore, ProfileStore};
use super::passkeys::{Passkey, PasskeyStore};
use super::provisioning::{ManagedChange, ManagedQuery, ProvisioningClient, ProvisioningStore};
use super::{
    Account, AccountQuery, AccountStore, AccountUpdate, AuditEvent, AuditQuery, AuditStore,
    CredentialStore, Directory, FailureOutcome, IdentityLink, KeyStore, LiaisonContact, Membership,
    MembershipStore, NewAccount, OperatorStore, Organisation, OrganisationStore, Profile,
    Readiness, Registration, StoreError, StoreResult, StoredKey,
};
use crate::domain::{AccountStatus, Network};

/// A directory whose every operation ends within `limit`.
pub struct Deadline<D> {
    inner: D,
    limit: Duration,
}

impl<D: Directory> Deadline<D> {
    pub fn new(inner: D, limit: Duration) -> Self {
        Self { inner, limit }
    }

    async fn within<T>(
        &self,
        op: &'static str,
        work: impl Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        match tokio::time::timeout(self.limit, work).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Unavailable(format!(
                "directory: {op} did not answer within {} ms (store.query_timeout_ms)",
                self.limit.as_millis()
            ))),
        }
    }
}

/// Implements each trait for [`Deadline`] by calling the inner
/// directory's method within the deadline.
macro_rules! within_deadline {
    ($($tr:ident { $(fn $m:ident(&self $(, $a:ident : $t:ty)*) -> $r:ty;)* })*) => {
        $(
            #[async_trait]
            impl<D: Directory> $tr for Deadline<D> {
                $(
                    async fn $m(&self $(, $a: $t)*) -> $r {
                        self.within(stringify!($m), self.inner.$m($($a),*)).await
                    }
                )*
            }
        )*
    };
}

within_deadline! {
    Readiness {
        fn ping(&self) -> StoreResult<()>;
    }
    OrganisationStore {
        fn insert_organisation(&self, org: &Organisation, audit: &AuditEvent) -> StoreResult<()>;
        fn organisation(&self, id: &str) -> StoreResult<Option<Organisation>>;
        fn organisations(&self) -> StoreResult<Vec<Organisation>>;
        fn update_organisation(&self, org: &Organisation, audit: &AuditEvent) -> StoreResult<()>;
        fn search_organisations(&self, text: &str, limit: u32) -> StoreResult<Vec<Organisation>>;
    }
    AccountStore {
        fn create_account(
            &self,
            account: &NewAccount,
            memberships: &[Membership],
            audit: &AuditEvent
        ) -> StoreResult<Account>;
        fn account(&self, id: &str) -> StoreResult<Option<Account>>;
        fn find_accounts(&self, q: &AccountQuery<'_>) -> StoreResult<(Vec<Account>, u64)>;
        fn update_account(
            &self,
            account_id: &str,
            update: &AccountUpdate,
            audit: &AuditEvent
        ) -> StoreResult<()>;
        fn set_status(
            &self,
            account_id: &str,
            status: AccountStatus,
            reason: Option<&str>,
            audit: &AuditEvent
        ) -> StoreResult<()>;
    }
    CredentialStore {
        fn credentials(&self, username: &str) -> StoreResult<Option<(Account, Option<String>)>>;
        fn record_login_failure(
            &self,
            account_id: &str,
            lock_after: u32,
            audit: &AuditEvent
        ) -> StoreResult<FailureOutcome>;
        fn record_login_success(&self, account_id: &str, audit: &AuditEvent) -> StoreResult<()>;
        fn set_password(
            &self,
            account_id: &str,
            password_hash: &str,
            must_change: bool,
            audit: &AuditEvent
        ) -> StoreResult<()>;
        fn previous_password_hash(&self, account_id: &str) -> StoreResult<Option<String>>;
        fn totp_secret(&self, account_id: &str) -> StoreResult<Option<Vec<u8>>>;
        fn set_totp_secret(
            &self,
            account_id: &str,
            encrypted: Option<&[u8]>,
            audit: &AuditEvent
        ) -> StoreResult<()>;
    }
    MembershipStore {
        fn memberships(&self, account_id: &str) -> StoreResult<Vec<Membership>>;
        fn memberships_organisations_and_profile(
            &self,
            account_id: &str
        ) -> StoreResult<(Vec<Membership>, Vec<Organisation>, Option<Profile>)>;
        fn add_membership(&self, m: &Membership, audit: &AuditEvent) -> StoreResult<()>;
        fn remove_membership(&self, m: &Membership, audit: &AuditEvent) -> StoreResult<()>;
        fn move_network(
            &self,
            account_id: &str,
            org_id: &str,
            from: Network,
            to: Network,
            audit: &AuditEvent
        ) -> StoreResult<()>;
        fn publish_liaison_contact(
            &self,
            contact: &LiaisonContact,
            audit: &AuditEvent
        ) -> StoreResult<()>;
        fn liaison_contacts(&self, org_id: &str) -> StoreResult<Vec<LiaisonContact>>;
    }
    OperatorStore {
        fn is_operator(&self, account_id: &str) -> StoreResult<bool>;
        fn add_operator(&self, account_id: &str, audit: &AuditEvent) -> StoreResult<()>;
    }
    IdentityLinkStore {
        fn account_by_identity(&self, source: &str, subject: &str) -> StoreResult<Option<Account>>;
        fn record_identity_login(
            &self,
            source: &str,
            subject: &str,
            account_id: &str,
            audit: &AuditEvent
        ) -> StoreResult<()>;
        fn identity_links(&self, account_id: &str) -> StoreResult<Vec<IdentityLink>>;
        fn link_identity(&self, link: &IdentityLink, audit: &AuditEvent) -> StoreResult<()>;
        fn unlink_identity(
            &self,
            source: &str,
            subject: &str,
            audit: &AuditEvent
        ) -> StoreResult<()>;
        fn register(&self, r: &Registration, audit: &AuditEvent) -> StoreResult<Account>;
    }
    ProfileStore {
        fn profile(&self, account_id: &str) -> StoreResult<Option<Profile>>;
        fn save_profile(
            &self,
            profile: &Profile,
            email: Option<&str>,
            phone: Option<&str>,
            audit: &AuditEvent
        ) -> StoreResult<()>;
    }
    AuditStore {
        fn append_audit(&self, event: &AuditEvent) -> StoreResult<()>;
        fn audit_events(&self, subject: Option<&str>, limit: u32) -> StoreResult<Vec<AuditEvent>>;
        fn query_audit(&self, q: &AuditQuery<'_>) -> StoreResult<Vec<AuditEvent>>;
        fn purge_audit(&self, before: i64) -> StoreResult<u64>;
    }
    KeyStore {
        fn signing_keys(&self) -> StoreResult<Vec<StoredKey>>;
        fn insert_signing_key(&self, key: &StoredKey) -> StoreResult<()>;
        fn retire_signing_key(&self, kid: &str, at: i64, audit: &AuditEvent) -> StoreResult<()>;
    }
    PasskeyStore {
        fn passkeys(&self, account_id: &str) -> StoreResult<Vec<Passkey>>;
        fn passkey(&self, credential_id: &str) -> StoreResult<Option<Passkey>>;
        fn passkey_and_account(
            &self,
            credential_id: &str
        ) -> StoreResult<Option<(Passkey, Account)>>;
        fn add_passkey(&self, passkey: &Passkey, audit: &AuditEvent) -> StoreResult<()>;
        fn remove_passkey(
            &self,
            account_id: &str,
            credential_id: &str,
            audit: &AuditEvent
        ) -> StoreResult<()>;
        fn record_passkey_use(
            &self,
            credential_id: &str,
            sign_count: u32,
            backed_up: bool,
            audit: &AuditEvent
        ) -> StoreResult<bool>;
    }
    ProvisioningStore {
        fn insert_provisioning_client(
            &self,
            client: &ProvisioningClient,
            token_digest: &str,
            audit: &AuditEvent
        ) -> StoreResult<()>;
        fn provisioning_clients(&self, org_id: &str) -> StoreResult<Vec<ProvisioningClient>>;
        fn provisioning_client_by_token(
            &self,
            token_digest: &str
        ) -> StoreResult<Option<ProvisioningClient>>;
        fn revoke_provisioning_client(
            &self,
            org_id: &str,
            id: &str,
            audit: &AuditEvent
        ) -> StoreResult<()>;
        fn create_managed_account(
            &self,
            account: &NewAccount,
            org_id: &str,
            external_id: Option<&str>,
            memberships: &[Membership],
            audit: &AuditEvent
        ) -> StoreResult<Account>;
        fn update_managed_account(
            &self,
            change: &ManagedChange<'_>,
            audit: &AuditEvent
        ) -> StoreResult<Account>;
        fn find_managed(&self, q: &ManagedQuery<'_>) -> StoreResult<(Vec<Account>, u64)>;
    }
    EventStore {
        fn outbox_after(&self, after_id: i64, limit: u32) -> StoreResult<Vec<OutboxEvent>>;
        fn outbox_end(&self) -> StoreResult<i64>;
        fn event_cursor(&self, subscriber: &str) -> StoreResult<Option<i64>>;
        fn enqueue_deliveries(
            &self,
            subscriber: &str,
            from: Option<i64>,
            cursor: i64,
            event_ids: &[i64],
            at: i64
        ) -> StoreResult<bool>;
        fn due_deliveries(
            &self,
            subscriber: &str,
            now: i64,
            limit: u32
        ) -> StoreResult<Vec<Delivery>>;
        fn claim_delivery(
            &self,
            subscriber: &str,
            event_id: i64,
            now: i64,
            until: i64
        ) -> StoreResult<bool>;
        fn record_attempt(
            &self,
            subscriber: &str,
            event_id: i64,
            attempt: &Attempt
        ) -> StoreResult<()>;
        fn deliveries(
            &self,
            state: Option<DeliveryState>,
            limit: u32
        ) -> StoreResult<Vec<Delivery>>;
        fn retry_delivery(
            &self,
            subscriber: &str,
            event_id: i64,
            audit: &AuditEvent
        ) -> StoreResult<()>;
        fn purge_events(&self, before: i64, reached: Option<i64>) -> StoreResult<u64>;
    }
}
