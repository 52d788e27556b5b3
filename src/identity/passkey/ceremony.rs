//! A WebAuthn ceremony's state: the challenge issued, what it is for, and
//! whether user verification is required. It is kept in the ephemeral
//! store under the hash of the browser's binding (the form's CSRF token,
//! which only that browser's cookie makes valid) and the challenge, and
//! taken once: an answer replayed, or sent from another browser, finds
//! nothing.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::RelyingParty;
use crate::crypto::{b64url, b64url_decode, hash_secret, random_token};
use crate::store::ephemeral::EphemeralState;
use crate::store::{StoreError, StoreResult};

/// How long the person has to answer (seconds).
pub const CEREMONY_SECS: u64 = 300;

/// What a ceremony is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum Purpose {
    /// Registering a passkey for the account of session `sid`.
    Register { account_id: String, sid: String },
    /// Logging in with a discoverable credential (no username).
    Login,
    /// The second factor of the password login waiting for `account_id`.
    SecondFactor { account_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceremony {
    pub purpose: Purpose,
    /// The challenge, base64url.
    pub challenge: String,
    pub user_verification: bool,
}

impl Ceremony {
    pub fn challenge_bytes(&self) -> Vec<u8> {
        b64url_decode(&self.challenge).unwrap_or_default()
    }
}

fn key(binding: &str, challenge: &str) -> String {
    format!(
        "webauthn:{}",
        hash_secret(&format!("{binding}\n{challenge}"))
    )
}

/// Issues a challenge for `purpose`, bound to `binding`.
pub async fn begin(
    eph: &EphemeralState,
    binding: &str,
    purpose: Purpose,
    user_verification: bool,
) -> StoreResult<Ceremony> {
    let c = Ceremony {
        purpose,
        challenge: random_token(32),
        user_verification,
    };
    let value = serde_json::to_vec(&c)
        .map_err(|e| StoreError::Corrupt(format!("a WebAuthn ceremony: {e}")))?;
    eph.raw()
        .put(
            &key(binding, &c.challenge),
            value,
            std::time::Duration::from_secs(CEREMONY_SECS),
        )
        .await?;
    Ok(c)
}

/// The ceremony `challenge` belongs to, if this browser started it and
/// it was not answered yet; it is gone afterwards.
pub async fn take(
    eph: &EphemeralState,
    binding: &str,
    challenge: &str,
) -> StoreResult<Option<Ceremony>> {
    match eph.raw().take(&key(binding, challenge)).await? {
        Some(raw) => serde_json::from_slice(&raw)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("a WebAuthn ceremony: {e}"))),
        None => Ok(None),
    }
}

fn descriptors(ids: &[Vec<u8>]) -> Vec<Value> {
    ids.iter()
        .map(|id| json!({ "type": "public-key", "id": b64url(id) }))
        .collect()
}

/// `PublicKeyCredentialCreationOptions` in their JSON form: a discoverable
/// credential, user verification required, no attestation, none of the
/// account's existing credentials again.
pub fn creation_options(
    rp: &RelyingParty,
    c: &Ceremony,
    user_handle: &[u8],
    username: &str,
    display_name: &str,
    exclude: &[Vec<u8>],
) -> Value {
    json!({
        "rp": { "id": rp.id, "name": rp.name },
        "user": { "id": b64url(user_handle), "name": username, "displayName": display_name },
        "challenge": c.challenge,
        "pubKeyCredParams": super::data::ALGORITHMS
            .iter()
            .map(|alg| json!({ "type": "public-key", "alg": alg }))
            .collect::<Vec<_>>(),
        "timeout": CEREMONY_SECS * 1000,
        "attestation": "none",
        "authenticatorSelection": {
            "residentKey": "required",
            "requireResidentKey": true,
            "userVerification": if c.user_verification { "required" } else { "preferred" },
        },
        "excludeCredentials": descriptors(exclude),
    })
}

/// `PublicKeyCredentialRequestOptions` in their JSON form; `allow` empty
/// for a discoverable credential.
pub fn request_options(rp: &RelyingParty, c: &Ceremony, allow: &[Vec<u8>]) -> Value {
    json!({
        "challenge": c.challenge,
        "rpId": rp.id,
        "timeout": CEREMONY_SECS * 1000,
        "userVerification": if c.user_verification { "required" } else { "discouraged" },
        "allowCredentials": descriptors(allow),
    })
}
