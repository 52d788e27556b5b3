//! JOSE for the upstream OpenID Connect profiles that sign and encrypt
//! (the Suomi.fi OpenID Connect interface, the Finnish Trust Network's
//! brokers): compact JWS signed and verified with RSA or P-256 keys, and
//! compact JWE decrypted (and, for the development IdP and the tests,
//! made) with RSA-OAEP-256 or ECDH-ES and A256GCM / A128GCM /
//! A128CBC-HS256 / A256CBC-HS512.
//!
//! A small, strict layer over aws-lc-rs (no other cryptography library):
//! no `alg: none`, no algorithm outside the caller's list, no key the
//! caller did not hand over (keys in headers — `jwk`, `jku`, `x5u`, `x5c` —
//! are never used), no `crit`, no compression (`zip`). The RFC 7516
//! Appendix A and RFC 7518 Appendix B/C examples are its unit tests.
//!
//! Bottom layer: it knows encodings and keys, not tokens' meaning; the
//! claims are the caller's to check.

pub mod jwe;
pub mod jwk;
pub mod jws;

#[cfg(test)]
mod tests;

pub use jwe::{ContentEnc, DecryptionKey, KeyAlg};
pub use jwk::{Jwk, JwkSet};
pub use jws::{SigAlg, SigningKey};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// Not a compact serialisation, bad base64 or JSON.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// `alg: none`, or an algorithm not on the caller's list.
    #[error("algorithm {0:?} is not accepted")]
    Algorithm(String),
    /// RFC 7515 §4.1.11 / RFC 7516 §4.1.13: no extension is understood, so
    /// any `crit` is refused.
    #[error("the header names critical extensions (crit), which are not supported")]
    Critical,
    /// RFC 7516 §4.1.3: compressed content is refused.
    #[error("compressed content (zip) is not accepted")]
    Compressed,
    /// The key the header names is not among the keys handed over.
    #[error("no known key {0:?}")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    Signature,
    /// Any failure to decrypt: wrong key, tampered header, key, IV,
    /// ciphertext or tag (one error, so that the reason is no oracle).
    #[error("cannot be decrypted")]
    Decrypt,
    /// A key we were to use is not usable (our configuration).
    #[error("key: {0}")]
    Key(String),
}

/// True for any value: with `#[serde(default)]` (false), tells whether a
/// header member is there at all (even `null` or `[]`).
pub(crate) fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    use serde::Deserialize;
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

pub(crate) fn b64(s: &str) -> Result<Vec<u8>, JoseError> {
    crate::crypto::b64url_decode(s).ok_or(JoseError::Malformed("bad base64url"))
}

/// The DER body of a PEM block labelled `label`.
pub fn pem_body(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let body: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    crate::crypto::b64_std_decode(&body).ok()
}

/// The PKCS#8 DER of a `PRIVATE KEY` PEM file.
pub fn pkcs8_from_file(path: &str) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    pem_body(&text, "PRIVATE KEY").ok_or_else(|| {
        format!(
            "{path}: no PKCS#8 \"PRIVATE KEY\" block (convert with \
             openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW)"
        )
    })
}
