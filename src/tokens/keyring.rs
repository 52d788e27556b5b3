//! ES256 signing keys. Private keys are parsed once and kept in memory;
//! in the directory they are stored encrypted (AES-256-GCM under the
//! key-encryption key) so several nodes share them.

use std::sync::{Arc, RwLock};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    ParsedPublicKey,
};
use serde::{Deserialize, Serialize};

use super::{b64url, b64url_decode, sha256};
use crate::store::{KeyStore, StoreError, StoredKey};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key-encryption key must be 32 bytes")]
    BadKek,
    #[error("signing key {0} cannot be decrypted: wrong key-encryption key or corrupt data")]
    Decrypt(String),
    #[error("signing key {0} is not a valid key: {1}")]
    Invalid(String, String),
    #[error("no signing key is active")]
    NoActiveKey,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A public key as a JWK (RFC 7517), P-256 only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub y: String,
    pub kid: String,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

impl Jwk {
    fn from_point(point: &[u8]) -> Result<Self, String> {
        if point.len() != 65 || point[0] != 4 {
            return Err("not an uncompressed P-256 point".into());
        }
        let x = b64url(&point[1..33]);
        let y = b64url(&point[33..]);
        // RFC 7638 thumbprint: members in lexicographic order, no spaces.
        let thumb = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        Ok(Self {
            kty: "EC".into(),
            crv: "P-256".into(),
            kid: b64url(sha256(thumb)),
            x,
            y,
            use_: Some("sig".into()),
            alg: Some("ES256".into()),
        })
    }

    /// The uncompressed point, when this is a P-256 key.
    pub fn point(&self) -> Option<Vec<u8>> {
        if self.kty != "EC" || self.crv != "P-256" {
            return None;
        }
        let (x, y) = (b64url_decode(&self.x)?, b64url_decode(&self.y)?);
        if x.len() != 32 || y.len() != 32 {
            return None;
        }
        let mut p = Vec::with_capacity(65);
        p.push(4);
        p.extend_from_slice(&x);
        p.extend_from_slice(&y);
        Some(p)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

pub struct SigningKey {
    pub kid: String,
    pair: EcdsaKeyPair,
    /// Base64url of the JOSE header for ID tokens and for access tokens.
    pub(crate) header_jwt: String,
    pub(crate) header_at: String,
    pub(crate) header_logout: String,
}

impl SigningKey {
    fn new(kid: String, pair: EcdsaKeyPair) -> Self {
        let header =
            |typ: &str| b64url(format!(r#"{{"alg":"ES256","typ":"{typ}","kid":"{kid}"}}"#));
        Self {
            header_jwt: header("JWT"),
            header_at: header("at+jwt"),
            header_logout: header("logout+jwt"),
            kid,
            pair,
        }
    }

    /// Fixed-length (r‖s) ES256 signature, as JWS wants it.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| KeyError::Invalid(self.kid.clone(), "signing failed".into()))
    }
}

pub struct VerifyingKey {
    pub kid: String,
    pub key: ParsedPublicKey,
}

/// The keys at one moment: one to sign with, all to verify with.
pub struct KeySet {
    pub signing: Arc<SigningKey>,
    pub verifying: Vec<VerifyingKey>,
    pub jwks_json: String,
}

impl KeySet {
    pub fn verifying_key(&self, kid: &str) -> Option<&ParsedPublicKey> {
        self.verifying.iter().find(|k| k.kid == kid).map(|k| &k.key)
    }
}

/// Public keys from a JWKS document, for verifying tokens elsewhere (the
/// relying-service verifier).
pub fn verifying_keys_from_jwks(jwks: &JwkSet) -> Vec<VerifyingKey> {
    jwks.keys
        .iter()
        .filter_map(|k| {
            let point = k.point()?;
            let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).ok()?;
            Some(VerifyingKey {
                kid: k.kid.clone(),
                key,
            })
        })
        .collect()
}

pub struct Keyring {
    kek: LessSafeKey,
    current: RwLock<Arc<KeySet>>,
    /// When a token with an unknown key id last made us re-read the keys.
    last_forced_reload: std::sync::atomic::AtomicI64,
}

fn aead_key(kek: &[u8]) -> Result<LessSafeKey, KeyError> {
    let unbound = UnboundKey::new(&AES_256_GCM, kek).map_err(|_| KeyError::BadKek)?;
    Ok(LessSafeKey::new(unbound))
}

impl Keyring {
    /// Loads the keys from the directory, creating the first one when there
    /// is none.
    pub async fn load_or_create(
        dir: &dyn KeyStore,
        kek: &[u8],
        now: i64,
    ) -> Result<Self, KeyError> {
        let kek = aead_key(kek.get(..32).ok_or(KeyError::BadKek)?)?;
        let mut stored = dir.signing_keys().await?;
        if !stored
            .iter()
            .any(|k| k.activate_at <= now && k.retire_at.is_none_or(|r| r > now))
        {
            dir.insert_signing_key(&Self::generate(&kek, now, now)?)
                .await?;
            // Re-read: another node may have created one at the same moment.
            stored = dir.signing_keys().await?;
        }
        let set = Self::build(&kek, &stored, now)?;
        Ok(Self {
            kek,
            current: RwLock::new(Arc::new(set)),
            last_forced_reload: std::sync::atomic::AtomicI64::new(0),
        })
    }

    /// Adds a new signing key to the directory. It is published in the JWKS
    /// at once and signs from `activate_at` on, so relying parties fetch it
    /// before they meet it. Every node picks it up at its next reload.
    pub async fn rotate(
        &self,
        dir: &dyn KeyStore,
        now: i64,
        activate_at: i64,
    ) -> Result<String, KeyError> {
        // Strictly after every existing key, so every node orders the new
        // key last even when both were made within one second.
        let latest = dir
            .signing_keys()
            .await?
            .iter()
            .map(|k| k.activate_at)
            .max()
            .unwrap_or(i64::MIN);
        let activate_at = activate_at.max(latest.saturating_add(1));
        let k = Self::generate(&self.kek, now, activate_at)?;
        dir.insert_signing_key(&k).await?;
        self.reload(dir, now).await?;
        Ok(k.kid)
    }

    fn generate(kek: &LessSafeKey, now: i64, activate_at: i64) -> Result<StoredKey, KeyError> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| KeyError::Invalid("new".into(), "generation failed".into()))?;
        let jwk = Jwk::from_point(pair.public_key().as_ref())
            .map_err(|e| KeyError::Invalid("new".into(), e))?;
        let pkcs8 = pair
            .to_pkcs8v1()
            .map_err(|_| KeyError::Invalid(jwk.kid.clone(), "export failed".into()))?;
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| KeyError::BadKek)?;
        let mut sealed = pkcs8.as_ref().to_vec();
        kek.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(jwk.kid.as_bytes()),
            &mut sealed,
        )
        .map_err(|_| KeyError::BadKek)?;
        let mut encrypted = nonce.to_vec();
        encrypted.extend_from_slice(&sealed);
        Ok(StoredKey {
            kid: jwk.kid.clone(),
            alg: "ES256".into(),
            encrypted_private: encrypted,
            public_jwk: serde_json::to_string(&jwk)
                .map_err(|e| KeyError::Invalid(jwk.kid.clone(), e.to_string()))?,
            created_at: now,
            activate_at,
            retire_at: None,
        })
    }

    fn decrypt(kek: &LessSafeKey, k: &StoredKey) -> Result<EcdsaKeyPair, KeyError> {
        if k.encrypted_private.len() < NONCE_LEN + 16 {
            return Err(KeyError::Decrypt(k.kid.clone()));
        }
        let (nonce, sealed) = k.encrypted_private.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| KeyError::Decrypt(k.kid.clone()))?;
        let mut buf = sealed.to_vec();
        let plain = kek
            .open_in_place(nonce, Aad::from(k.kid.as_bytes()), &mut buf)
            .map_err(|_| KeyError::Decrypt(k.kid.clone()))?;
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, plain)
            .map_err(|e| KeyError::Invalid(k.kid.clone(), e.to_string()))
    }

    fn build(kek: &LessSafeKey, stored: &[StoredKey], now: i64) -> Result<KeySet, KeyError> {
        let published: Vec<&StoredKey> = stored
            .iter()
            .filter(|k| k.alg == "ES256" && k.retire_at.is_none_or(|r| r > now))
            .collect();
        // Sign with the newest key that is active.
        let active = published
            .iter()
            .filter(|k| k.activate_at <= now)
            // Deterministic, so nodes that each created a key at the same
            // first start converge on one.
            .max_by_key(|k| (k.activate_at, k.created_at, k.kid.as_str()))
            .ok_or(KeyError::NoActiveKey)?;
        let signing = Arc::new(SigningKey::new(
            active.kid.clone(),
            Self::decrypt(kek, active)?,
        ));
        let mut jwks = JwkSet { keys: Vec::new() };
        for k in &published {
            let jwk: Jwk = serde_json::from_str(&k.public_jwk)
                .map_err(|e| KeyError::Invalid(k.kid.clone(), e.to_string()))?;
            jwks.keys.push(jwk);
        }
        let verifying = verifying_keys_from_jwks(&jwks);
        let jwks_json = serde_json::to_string(&jwks)
            .map_err(|e| KeyError::Invalid("jwks".into(), e.to_string()))?;
        Ok(KeySet {
            signing,
            verifying,
            jwks_json,
        })
    }

    /// Re-reads the keys from the directory (another node may have rotated).
    pub async fn reload(&self, dir: &dyn KeyStore, now: i64) -> Result<(), KeyError> {
        let stored = dir.signing_keys().await?;
        let set = Self::build(&self.kek, &stored, now)?;
        if let Ok(mut cur) = self.current.write() {
            *cur = Arc::new(set);
        }
        Ok(())
    }

    /// Re-reads the keys because a token named a key we do not know (it
    /// may be another node's new key), at most once per `min_interval`
    /// seconds so forged key ids cannot flood the directory. True when it
    /// re-read.
    pub async fn reload_for_unknown_kid(
        &self,
        dir: &dyn KeyStore,
        now: i64,
        min_interval: i64,
    ) -> bool {
        use std::sync::atomic::Ordering;
        let last = self.last_forced_reload.load(Ordering::Relaxed);
        if now - last < min_interval
            || self
                .last_forced_reload
                .compare_exchange(last, now, Ordering::SeqCst, Ordering::Relaxed)
                .is_err()
        {
            return false;
        }
        match self.reload(dir, now).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "could not reload signing keys");
                false
            }
        }
    }

    pub fn current(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}
