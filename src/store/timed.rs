//! The stores as they are, each operation timed into a histogram
//! (`porttivahti_store_operation_duration_seconds{store, operation,
//! outcome}`): how long the directory and the ephemeral store take, seen
//! from the gateway. Wired at start-up around whatever engine is
//! configured; business code never sees the difference.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::events::{Attempt, Delivery, DeliveryState, EventStore, OutboxEvent};
use super::{
    Account, AccountQuery, AccountStore, AccountUpdate, AuditEvent, AuditQuery, AuditStore,
    CredentialStore, Directory, Ephemeral, FailureOutcome, IdentityLink, IdentityLinkStore,
    KeyStore, LiaisonContact, Membership, MembershipStore, NewAccount, OperatorStore, Organisation,
    OrganisationStore, Passkey, PasskeyStore, Profile, ProfileStore, Readiness, Registration,
    StoreResult, StoredKey,
};
use super::{ManagedChange, ManagedQuery, ProvisioningClient, ProvisioningStore};
use crate::domain::{AccountStatus, Network};
use crate::telemetry::HistogramVec;

/// A directory whose every operation is timed.
pub struct TimedDirectory {
    inner: Arc<dyn Directory>,
    histogram: Arc<HistogramVec>,
}

impl TimedDirectory {
    pub fn wrap(inner: Arc<dyn Directory>, histogram: Arc<HistogramVec>) -> Arc<dyn Directory> {
        Arc::new(Self { inner, histogram })
    }
}

/// An ephemeral store whose every operation is timed.
pub struct TimedEphemeral {
    inner: Arc<dyn Ephemeral>,
    histogram: Arc<HistogramVec>,
}

impl TimedEphemeral {
    pub fn wrap(inner: Arc<dyn Ephemeral>, histogram: Arc<HistogramVec>) -> Arc<dyn Ephemeral> {
        Arc::new(Self { inner, histogram })
    }
}

fn observe<T>(h: &HistogramVec, store: &str, op: &str, started: Instant, r: &StoreResult<T>) {
    let outcome = if r.is_ok() { "ok" } else { "error" };
    h.observe(&[store, op, outcome], started.elapsed().as_secs_f64());
}

/// Implements `$trait` for `$ty` by calling `self.inner` and timing it.
macro_rules! timed {
    ($ty:ty, $store:literal, $trait:ident {
        $( fn $name:ident(&self $(, $arg:ident : $argty:ty)* ) -> $ret:ty; )*
    }) => {
        #[async_trait]
        impl $trait for $ty {
            $(
                async fn $name(&self $(, $arg: $argty)*) -> $ret {
                    let started = Instant::now();
                    let r = self.inner.$name($($arg),*).await;
                    observe(&self.histogram, $store, stringify!($name), started, &r);
                    r
                }
            )*
        }
    };
}

timed!(TimedDirectory, "directory", Readiness {
    fn ping(&self) -> StoreResult<()>;
});

timed!(TimedDirectory, "directory", OrganisationStore {
    fn insert_organisation(&self, org: &Organisation, audit: &AuditEvent) -> StoreResult<()>;
    fn organisation(&self, id: &str) -> StoreResult<Option<Organisation>>;
    fn organisations(&self) -> StoreResult<Vec<Organisation>>;
    fn update_organisation(&self, org: &Organisation, audit: &AuditEvent) -> StoreResult<()>;
    fn search_organisations(&self, text: &str, limit: u32) -> StoreResult<Vec<Organisation>>;
});

timed!(TimedDirectory, "directory", AccountStore {
    fn create_account(&self, account: &NewAccount, memberships: &[Membership], audit: &AuditEvent)
        -> StoreResult<Account>;
    fn account(&self, id: &str) -> StoreResult<Option<Account>>;
    fn find_accounts(&self, q: &AccountQuery<'_>) -> StoreResult<(Vec<Account>, u64)>;
    fn update_account(&self, account_id: &str, update: &AccountUpdate, audit: &AuditEvent)
        -> StoreResult<()>;
    fn set_status(&self, account_id: &str, status: AccountStatus, reason: Option<&str>,
        audit: &AuditEvent) -> StoreResult<()>;
});

timed!(TimedDirectory, "directory", CredentialStore {
    fn credentials(&self, username: &str) -> StoreResult<Option<(Account, Option<String>)>>;
    fn record_login_failure(&self, account_id: &str, lock_after: u32, audit: &AuditEvent)
        -> StoreResult<FailureOutcome>;
    fn record_login_success(&self, account_id: &str, audit: &AuditEvent) -> StoreResult<()>;
    fn set_password(&self, account_id: &str, password_hash: &str, must_change: bool,
        audit: &AuditEvent) -> StoreResult<()>;
    fn previous_password_hash(&self, account_id: &str) -> StoreResult<Option<String>>;
    fn totp_secret(&self, account_id: &str) -> StoreResult<Option<Vec<u8>>>;
    fn set_totp_secret(&self, account_id: &str, encrypted: Option<&[u8]>, audit: &AuditEvent)
        -> StoreResult<()>;
});

timed!(TimedDirectory, "directory", MembershipStore {
    fn memberships(&self, account_id: &str) -> StoreResult<Vec<Membership>>;
    fn memberships_organisations_and_profile(&self, account_id: &str)
        -> StoreResult<(Vec<Membership>, Vec<Organisation>, Option<Profile>)>;
    fn add_membership(&self, m: &Membership, audit: &AuditEvent) -> StoreResult<()>;
    fn remove_membership(&self, m: &Membership, audit: &AuditEvent) -> StoreResult<()>;
    fn move_network(&self, account_id: &str, org_id: &str, from: Network, to: Network,
        audit: &AuditEvent) -> StoreResult<()>;
    fn publish_liaison_contact(&self, contact: &LiaisonContact, audit: &AuditEvent)
        -> StoreResult<()>;
    fn liaison_contacts(&self, org_id: &str) -> StoreResult<Vec<LiaisonContact>>;
});

timed!(TimedDirectory, "directory", OperatorStore {
    fn is_operator(&self, account_id: &str) -> StoreResult<bool>;
    fn add_operator(&self, account_id: &str, audit: &AuditEvent) -> StoreResult<()>;
});

timed!(TimedDirectory, "directory", IdentityLinkStore {
    fn account_by_identity(&self, source: &str, subject: &str) -> StoreResult<Option<Account>>;
    fn record_identity_login(&self, source: &str, subject: &str, account_id: &str,
        audit: &AuditEvent) -> StoreResult<()>;
    fn identity_links(&self, account_id: &str) -> StoreResult<Vec<IdentityLink>>;
    fn link_identity(&self, link: &IdentityLink, audit: &AuditEvent) -> StoreResult<()>;
    fn unlink_identity(&self, source: &str, subject: &str, audit: &AuditEvent)
        -> StoreResult<()>;
    fn register(&self, r: &Registration, audit: &AuditEvent) -> StoreResult<Account>;
});

timed!(TimedDirectory, "directory", ProfileStore {
    fn profile(&self, account_id: &str) -> StoreResult<Option<Profile>>;
    fn save_profile(&self, profile: &Profile, email: Option<&str>, phone: Option<&str>,
        audit: &AuditEvent) -> StoreResult<()>;
});

timed!(TimedDirectory, "directory", AuditStore {
    fn append_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    fn audit_events(&self, subject: Option<&str>, limit: u32) -> StoreResult<Vec<AuditEvent>>;
    fn query_audit(&self, q: &AuditQuery<'_>) -> StoreResult<Vec<AuditEvent>>;
    fn purge_audit(&self, before: i64) -> StoreResult<u64>;
});

timed!(TimedDirectory, "directory", KeyStore {
    fn signing_keys(&self) -> StoreResult<Vec<StoredKey>>;
    fn insert_signing_key(&self, key: &StoredKey) -> StoreResult<()>;
    fn retire_signing_key(&self, kid: &str, at: i64, audit: &AuditEvent) -> StoreResult<()>;
});

timed!(TimedDirectory, "directory", EventStore {
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
});

timed!(TimedDirectory, "directory", ProvisioningStore {
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
});

timed!(TimedDirectory, "directory", PasskeyStore {
    fn passkeys(&self, account_id: &str) -> StoreResult<Vec<Passkey>>;
    fn passkey(&self, credential_id: &str) -> StoreResult<Option<Passkey>>;
    fn passkey_and_account(&self, credential_id: &str) -> StoreResult<Option<(Passkey, Account)>>;
    fn add_passkey(&self, passkey: &Passkey, audit: &AuditEvent) -> StoreResult<()>;
    fn remove_passkey(&self, account_id: &str, credential_id: &str, audit: &AuditEvent) -> StoreResult<()>;
    fn record_passkey_use(&self, credential_id: &str, sign_count: u32, backed_up: bool, audit: &AuditEvent) -> StoreResult<bool>;
});

#[async_trait]
impl Ephemeral for TimedEphemeral {
    async fn ping(&self) -> StoreResult<()> {
        let started = Instant::now();
        let r = self.inner.ping().await;
        observe(&self.histogram, "ephemeral", "ping", started, &r);
        r
    }

    async fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()> {
        let started = Instant::now();
        let r = self.inner.put(key, value, ttl).await;
        observe(&self.histogram, "ephemeral", "put", started, &r);
        r
    }

    async fn put_if_absent(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<bool> {
        let started = Instant::now();
        let r = self.inner.put_if_absent(key, value, ttl).await;
        observe(&self.histogram, "ephemeral", "put_if_absent", started, &r);
        r
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let started = Instant::now();
        let r = self.inner.get(key).await;
        observe(&self.histogram, "ephemeral", "get", started, &r);
        r
    }

    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let started = Instant::now();
        let r = self.inner.take(key).await;
        observe(&self.histogram, "ephemeral", "take", started, &r);
        r
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let started = Instant::now();
        let r = self.inner.delete(key).await;
        observe(&self.histogram, "ephemeral", "delete", started, &r);
        r
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
        ttl: Duration,
    ) -> StoreResult<bool> {
        let started = Instant::now();
        let r = self.inner.compare_and_swap(key, expected, new, ttl).await;
        observe(
            &self.histogram,
            "ephemeral",
            "compare_and_swap",
            started,
            &r,
        );
        r
    }

    async fn incr(&self, key: &str, window: Duration) -> StoreResult<u64> {
        let started = Instant::now();
        let r = self.inner.incr(key, window).await;
        observe(&self.histogram, "ephemeral", "incr", started, &r);
        r
    }

    async fn decr(&self, key: &str) -> StoreResult<()> {
        let started = Instant::now();
        let r = self.inner.decr(key).await;
        observe(&self.histogram, "ephemeral", "decr", started, &r);
        r
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> StoreResult<()> {
        let started = Instant::now();
        let r = self.inner.set_add(key, member, ttl).await;
        observe(&self.histogram, "ephemeral", "set_add", started, &r);
        r
    }

    async fn set_members(&self, key: &str) -> StoreResult<Vec<String>> {
        let started = Instant::now();
        let r = self.inner.set_members(key).await;
        observe(&self.histogram, "ephemeral", "set_members", started, &r);
        r
    }

    fn usage(&self, prefix: &str) -> Option<(usize, usize)> {
        self.inner.usage(prefix)
    }
}
