//! Passkeys (WebAuthn credentials): a narrow trait of the
//! [`Directory`](super::Directory). The public key is kept as the
//! authenticator encoded it (a COSE_Key); the signature counter and the
//! backup state change with every use.

use async_trait::async_trait;
use serde::Serialize;

use super::{Account, AuditEvent, StoreResult};
use crate::domain::LoA;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Passkey {
    /// The credential id, base64url (unique across all accounts).
    pub credential_id: String,
    pub account_id: String,
    /// The person's name for it ("work phone").
    pub name: String,
    #[serde(skip)]
    pub public_key: Vec<u8>,
    /// The COSE algorithm (-7 ES256, -8 EdDSA, -257 RS256).
    pub alg: i64,
    pub sign_count: u32,
    /// The authenticator may sync the key elsewhere (a synced passkey).
    pub backup_eligible: bool,
    /// It is synced now (as of the last use).
    pub backed_up: bool,
    /// The authenticator verified the person (PIN, biometrics) at
    /// registration.
    pub user_verified: bool,
    /// The level of the session in which it was registered: a login with
    /// it gives no more.
    pub registered_loa: LoA,
    /// The authenticator model's AAGUID, hex (all zeros when not told).
    pub aaguid: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// An account's passkeys, and the uses that move their counters.
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// The account's passkeys, oldest first.
    async fn passkeys(&self, account_id: &str) -> StoreResult<Vec<Passkey>>;
    /// A passkey by its credential id (base64url).
    async fn passkey(&self, credential_id: &str) -> StoreResult<Option<Passkey>>;
    /// A passkey by its credential id with the account it belongs to, in
    /// one read (a login needs both).
    async fn passkey_and_account(
        &self,
        credential_id: &str,
    ) -> StoreResult<Option<(Passkey, Account)>>;
    /// Adds a passkey and its audit event; `Conflict` when the credential
    /// id is registered already (to any account).
    async fn add_passkey(&self, passkey: &Passkey, audit: &AuditEvent) -> StoreResult<()>;
    /// Removes the account's passkey; `NotFound` (nothing written) when
    /// the account has no passkey by that id.
    async fn remove_passkey(
        &self,
        account_id: &str,
        credential_id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// A login with the passkey, in one transaction: the counter moves to
    /// `sign_count` only if it counts up (both zero: the authenticator does
    /// not count), the backup state and last use are recorded, the
    /// account's login time is set (its failure count reset) and `audit`
    /// written. `false`, and nothing written, when the counter did not go
    /// up: a cloned authenticator, or the same assertion twice at once.
    /// `audit` is a login's, which is not published as a signed event (no
    /// outbox row is written with it).
    async fn record_passkey_use(
        &self,
        credential_id: &str,
        sign_count: u32,
        backed_up: bool,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
}
