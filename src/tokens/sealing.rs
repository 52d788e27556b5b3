//! Small secrets at rest (TOTP secrets and the like): AES-256-GCM under a
//! 32-byte key, a fresh random 12-byte nonce per seal, stored as
//! `nonce || ciphertext || tag`. The associated data binds a sealed value
//! to its owner — callers pass the account id — so a value copied to
//! another row does not open.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

/// Length of the key.
pub const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("a sealing key must be exactly {KEY_LEN} bytes")]
    BadKey,
}

/// Seals and opens small secrets with one key.
pub struct Sealer {
    key: LessSafeKey,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(AES-256-GCM, key hidden)")
    }
}

impl Sealer {
    pub fn new(key: &[u8]) -> Result<Self, SealError> {
        if key.len() != KEY_LEN {
            return Err(SealError::BadKey);
        }
        let unbound = UnboundKey::new(&AES_256_GCM, key).map_err(|_| SealError::BadKey)?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
        })
    }

    /// `nonce || ciphertext || tag`, bound to `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        let mut sealed = plaintext.to_vec();
        // Sealing fails only when the random source does, or for inputs
        // of many gigabytes; neither can be handled here.
        #[allow(clippy::expect_used)]
        {
            aws_lc_rs::rand::fill(&mut nonce).expect("the operating system's random source failed");
            self.key
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad),
                    &mut sealed,
                )
                .expect("AES-GCM sealing of a small secret failed");
        }
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// The plaintext, or `None` when the value was altered, is truncated,
    /// was sealed under another key or with other associated data.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = ciphertext.to_vec();
        let plain_len = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut buf)
            .ok()?
            .len();
        buf.truncate(plain_len);
        Some(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

    fn sealer() -> Sealer {
        Sealer::new(&KEY).unwrap()
    }

    #[test]
    fn what_is_sealed_opens_with_the_same_key_and_associated_data() {
        let s = sealer();
        let secret = b"12345678901234567890";
        let sealed = s.seal(secret, b"account-1");
        assert_eq!(sealed.len(), NONCE_LEN + secret.len() + 16);
        assert!(!sealed.windows(secret.len()).any(|w| w == secret));
        assert_eq!(s.open(&sealed, b"account-1").unwrap(), secret);
        // An empty secret round-trips too.
        assert_eq!(s.open(&s.seal(b"", b"a"), b"a").unwrap(), b"");
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let s = sealer();
        let a = s.seal(b"same", b"acct");
        let b = s.seal(b"same", b"acct");
        assert_ne!(a[..NONCE_LEN], b[..NONCE_LEN]);
        assert_ne!(a, b);
    }

    #[test]
    fn tampering_is_refused() {
        let s = sealer();
        let sealed = s.seal(b"12345678901234567890", b"account-1");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(s.open(&bad, b"account-1"), None, "byte {i} flipped");
        }
        assert_eq!(s.open(&sealed[..sealed.len() - 1], b"account-1"), None);
        assert_eq!(s.open(&sealed[..NONCE_LEN + 15], b"account-1"), None);
        assert_eq!(s.open(&[], b"account-1"), None);
        let mut longer = sealed.clone();
        longer.push(0);
        assert_eq!(s.open(&longer, b"account-1"), None);
    }

    #[test]
    fn another_account_or_key_cannot_open_it() {
        let s = sealer();
        let sealed = s.seal(b"12345678901234567890", b"account-1");
        assert_eq!(s.open(&sealed, b"account-2"), None);
        assert_eq!(s.open(&sealed, b""), None);
        let mut other_key = KEY;
        other_key[0] ^= 1;
        let other = Sealer::new(&other_key).unwrap();
        assert_eq!(other.open(&sealed, b"account-1"), None);
    }

    #[test]
    fn the_key_must_be_32_bytes_and_never_prints() {
        assert!(Sealer::new(&KEY[..31]).is_err());
        assert!(Sealer::new(&[0u8; 33]).is_err());
        assert!(Sealer::new(&[]).is_err());
        let shown = format!("{:?}", sealer());
        assert!(!shown.contains("0123"), "{shown}");
    }
}
