//! What ties tokens to their refresh family, readable only by the gateway.
//!
//! - A refresh token is `family_id.secret`. The secret is 16 random bytes
//!   and a tag the gateway computes over them and the family id, so the
//!   gateway can tell a token it really issued for that family (a rotated
//!   one presented again: replay, and the family ends) from one made up
//!   by someone who only knows the family id (refused, the family lives on).
//! - An access token's `jti` is the family id sealed (AES-256-GCM, a fresh
//!   nonce each time) under a gateway key: every `jti` looks random and
//!   unrelated to the others, yet the gateway still finds the family to ask
//!   whether it was revoked.
//!
//! Both keys derive from the key-encryption key, so every node has them
//! and they never share a key with another use.

use std::fmt;

use aws_lc_rs::hmac;

use super::sealing::Sealer;
use super::{b64url, b64url_decode, constant_time_eq};

const RANDOM_LEN: usize = 16;
const TAG_LEN: usize = 16;
/// Family ids are 22 characters (16 random bytes, base64url); a `jti`
/// without a family seals as many zero bytes, so all look alike.
const SEALED_ID_LEN: usize = 22;
const JTI_AAD: &[u8] = b"porttivahti access-token jti";

pub struct FamilyKeys {
    refresh: hmac::Key,
    jti: Sealer,
}

impl fmt::Debug for FamilyKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FamilyKeys(keys hidden)")
    }
}

impl FamilyKeys {
    /// The keys derived from the key-encryption key.
    pub fn from_kek(kek: &[u8]) -> Option<Self> {
        let root = hmac::Key::new(hmac::HMAC_SHA256, kek);
        let derive = |label: &[u8]| hmac::sign(&root, label);
        let refresh = hmac::Key::new(
            hmac::HMAC_SHA256,
            derive(b"porttivahti refresh tokens v1").as_ref(),
        );
        let jti = Sealer::new(derive(b"porttivahti access-token jti v1").as_ref()).ok()?;
        Some(Self { refresh, jti })
    }

    fn tag(&self, family_id: &str, random: &[u8]) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.refresh);
        ctx.update(family_id.as_bytes());
        ctx.update(b"\0");
        ctx.update(random);
        ctx.sign()
    }

    /// A new secret for a refresh token of `family_id` (the part after the
    /// dot).
    pub fn refresh_secret(&self, family_id: &str) -> String {
        let mut random = [0u8; RANDOM_LEN];
        // The OS random source failing is unrecoverable for a security service.
        #[allow(clippy::expect_used)]
        aws_lc_rs::rand::fill(&mut random).expect("the operating system's random source failed");
        let tag = self.tag(family_id, &random);
        let mut out = Vec::with_capacity(RANDOM_LEN + TAG_LEN);
        out.extend_from_slice(&random);
        out.extend_from_slice(&tag.as_ref()[..TAG_LEN]);
        b64url(out)
    }

    /// True when `secret` is one the gateway issued for `family_id` (now or
    /// at an earlier rotation), false for anything made up.
    pub fn issued_for(&self, family_id: &str, secret: &str) -> bool {
        let Some(raw) = b64url_decode(secret).filter(|r| r.len() == RANDOM_LEN + TAG_LEN) else {
            return false;
        };
        let (random, tag) = raw.split_at(RANDOM_LEN);
        constant_time_eq(&self.tag(family_id, random).as_ref()[..TAG_LEN], tag)
    }

    /// A `jti` for an access token: unique, unlinkable to other tokens of
    /// its family, and naming the family only to the gateway.
    pub fn jti(&self, family_id: Option<&str>) -> String {
        let mut plain = family_id.unwrap_or("").as_bytes().to_vec();
        if plain.len() < SEALED_ID_LEN {
            plain.resize(SEALED_ID_LEN, 0);
        }
        b64url(self.jti.seal(&plain, JTI_AAD))
    }

    /// The refresh family a `jti` of ours names, if any.
    pub fn family_of_jti(&self, jti: &str) -> Option<String> {
        let plain = self.jti.open(&b64url_decode(jti)?, JTI_AAD)?;
        let end = plain.iter().position(|b| *b == 0).unwrap_or(plain.len());
        let id = std::str::from_utf8(&plain[..end]).ok()?;
        (!id.is_empty()).then(|| id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(b: u8) -> FamilyKeys {
        FamilyKeys::from_kek(&[b; 32]).unwrap()
    }

    #[test]
    fn a_refresh_secret_is_recognised_only_for_its_family_and_key() {
        let k = keys(1);
        let s = k.refresh_secret("fam-a");
        assert_eq!(s.len(), 43);
        assert!(k.issued_for("fam-a", &s));
        assert!(!k.issued_for("fam-b", &s));
        assert!(!keys(2).issued_for("fam-a", &s));
        assert!(!k.issued_for("fam-a", &crate::tokens::random_token(32)));
        assert!(!k.issued_for("fam-a", ""));
        assert!(!k.issued_for("fam-a", "not base64!"));
        let mut raw = b64url_decode(&s).unwrap();
        raw[0] ^= 1;
        assert!(!k.issued_for("fam-a", &b64url(&raw)));
        assert_ne!(s, k.refresh_secret("fam-a"));
    }

    #[test]
    fn a_jti_names_its_family_to_the_gateway_alone() {
        let k = keys(1);
        let fam = crate::tokens::random_token(16);
        let (a, b) = (k.jti(Some(&fam)), k.jti(Some(&fam)));
        assert_ne!(a, b);
        assert!(!a.contains(&fam) && !a.contains('.'));
        assert_eq!(k.family_of_jti(&a).as_deref(), Some(fam.as_str()));
        assert_eq!(k.family_of_jti(&b).as_deref(), Some(fam.as_str()));
        let none = k.jti(None);
        assert_eq!(none.len(), a.len(), "with or without a family alike");
        assert_eq!(k.family_of_jti(&none), None);
        assert_eq!(keys(2).family_of_jti(&a), None);
        assert_eq!(k.family_of_jti(&format!("{fam}.abc")), None);
        assert_eq!(k.family_of_jti("x"), None);
    }
}
