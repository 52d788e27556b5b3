//! Encoding, hashing and randomness helpers: the bottom layer that tokens,
//! the stores and configuration checks share. No knowledge of the server.

use aws_lc_rs::digest;
use base64::prelude::*;

pub fn b64url(bytes: impl AsRef<[u8]>) -> String {
    BASE64_URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    BASE64_URL_SAFE_NO_PAD.decode(s).ok()
}

pub fn b64_std_decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    BASE64_STANDARD.decode(s.trim())
}

pub fn b64_std(bytes: impl AsRef<[u8]>) -> String {
    BASE64_STANDARD.encode(bytes)
}

pub fn sha256(data: impl AsRef<[u8]>) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data.as_ref());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Base64url SHA-256: how secrets (codes, refresh tokens, session ids) are
/// keyed in the stores, so a store dump yields nothing usable.
pub fn hash_secret(secret: &str) -> String {
    b64url(sha256(secret))
}

/// `n` bytes from the operating system's CSPRNG, base64url.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    // The OS random source failing is unrecoverable for a security service.
    #[allow(clippy::expect_used)]
    aws_lc_rs::rand::fill(&mut buf).expect("the operating system's random source failed");
    b64url(buf)
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
