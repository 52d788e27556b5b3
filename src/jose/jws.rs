//! Compact JWS: signing with our RSA or P-256 key, verification against
//! a provider's published keys under a list of accepted algorithms.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self as sig, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RsaKeyPair,
};
use serde::Deserialize;

use super::jwk::{Jwk, JwkSet, Use};
use super::{JoseError, b64};
use crate::crypto::b64url;

/// The signature algorithms this layer knows. `none` is not one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, Deserialize)]
pub enum SigAlg {
    RS256,
    RS512,
    PS256,
    PS512,
    ES256,
    ES384,
}

impl SigAlg {
    pub const ALL: [SigAlg; 6] = [
        SigAlg::RS256,
        SigAlg::RS512,
        SigAlg::PS256,
        SigAlg::PS512,
        SigAlg::ES256,
        SigAlg::ES384,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SigAlg::RS256 => "RS256",
            SigAlg::RS512 => "RS512",
            SigAlg::PS256 => "PS256",
            SigAlg::PS512 => "PS512",
            SigAlg::ES256 => "ES256",
            SigAlg::ES384 => "ES384",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Checks `sig` over `msg` with `key`; a key of the wrong kind fails.
    fn verify(self, key: &Jwk, msg: &[u8], signature: &[u8]) -> bool {
        let rsa = |params: &'static sig::RsaParameters| {
            key.rsa_components().is_some_and(|(n, e)| {
                sig::RsaPublicKeyComponents { n: &n, e: &e }
                    .verify(params, msg, signature)
                    .is_ok()
            })
        };
        let ec = |crv: &str, alg: &'static sig::EcdsaVerificationAlgorithm| {
            key.ec_point(crv).is_some_and(|p| {
                sig::UnparsedPublicKey::new(alg, p)
                    .verify(msg, signature)
                    .is_ok()
            })
        };
        match self {
            SigAlg::RS256 => rsa(&sig::RSA_PKCS1_2048_8192_SHA256),
            SigAlg::RS512 => rsa(&sig::RSA_PKCS1_2048_8192_SHA512),
            SigAlg::PS256 => rsa(&sig::RSA_PSS_2048_8192_SHA256),
            SigAlg::PS512 => rsa(&sig::RSA_PSS_2048_8192_SHA512),
            SigAlg::ES256 => ec("P-256", &sig::ECDSA_P256_SHA256_FIXED),
            SigAlg::ES384 => ec("P-384", &sig::ECDSA_P384_SHA384_FIXED),
        }
    }
}

/// A JWS header as far as verification reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub typ: Option<String>,
    #[serde(default)]
    pub cty: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    crit: bool,
}

/// A verified JWS: its header and payload.
#[derive(Debug, Clone)]
pub struct Verified {
    pub header: Header,
    pub payload: Vec<u8>,
}

/// Verifies a compact JWS against `keys` under the `accepted` algorithms.
/// The key is the one the header's `kid` names (a key marked `use: enc` is
/// never used); with no `kid`, the key set must hold exactly one signing
/// key the algorithm fits.
pub fn verify(token: &str, keys: &JwkSet, accepted: &[SigAlg]) -> Result<Verified, JoseError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JoseError::Malformed("not a compact JWS"));
    };
    let header: Header =
        serde_json::from_slice(&b64(h)?).map_err(|_| JoseError::Malformed("header"))?;
    if header.crit {
        return Err(JoseError::Critical);
    }
    let alg = SigAlg::parse(&header.alg)
        .filter(|a| accepted.contains(a))
        .ok_or_else(|| JoseError::Algorithm(header.alg.clone()))?;
    let signature = b64(s)?;
    let payload = b64(p)?;
    let msg = &token.as_bytes()[..h.len() + 1 + p.len()];
    let fits = |k: &&Jwk| match alg {
        SigAlg::ES256 => k.ec_point("P-256").is_some(),
        SigAlg::ES384 => k.ec_point("P-384").is_some(),
        _ => k.rsa_components().is_some(),
    };
    let candidates: Vec<&Jwk> = keys
        .candidates(header.kid.as_deref(), Use::Sig)
        .filter(fits)
        .collect();
    let key = match (header.kid.as_deref(), candidates.as_slice()) {
        (_, [one]) => *one,
        (Some(kid), []) => return Err(JoseError::UnknownKey(kid.to_string())),
        (None, []) => return Err(JoseError::UnknownKey("(no kid)".into())),
        // Two keys under one kid, or several without one: ambiguous.
        (kid, _) => {
            return Err(JoseError::UnknownKey(
                kid.unwrap_or("(no kid, several keys)").to_string(),
            ));
        }
    };
    if !alg.verify(key, msg, &signature) {
        return Err(JoseError::Signature);
    }
    Ok(Verified { header, payload })
}

/// Our signing key: RSA (RS256) or P-256 (ES256), from PKCS#8.
pub struct SigningKey {
    kind: SigningKind,
    pub alg: SigAlg,
    pub jwk: Jwk,
}

enum SigningKind {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.jwk.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// An RSA key (at least 2048 bits) signs RS256, a P-256 key ES256.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, JoseError> {
        if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
            if k.public_modulus_len() < 256 {
                return Err(JoseError::Key(
                    "an RSA key must have at least 2048 bits".into(),
                ));
            }
            let public = k.public_key();
            let jwk = Jwk::rsa(
                public.modulus().big_endian_without_leading_zero(),
                public.exponent().big_endian_without_leading_zero(),
                Use::Sig,
                "RS256",
            );
            return Ok(SigningKey {
                kind: SigningKind::Rsa(k),
                alg: SigAlg::RS256,
                jwk,
            });
        }
        match EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
            Ok(k) => {
                let jwk = Jwk::p256(k.public_key().as_ref(), Use::Sig, "ES256")?;
                Ok(SigningKey {
                    kind: SigningKind::Ec(k),
                    alg: SigAlg::ES256,
                    jwk,
                })
            }
            Err(_) => Err(JoseError::Key(
                "not a PKCS#8 RSA or P-256 private key".into(),
            )),
        }
    }

    pub fn kid(&self) -> &str {
        self.jwk.kid.as_deref().unwrap_or_default()
    }

    /// A compact JWS of `payload` with the header members `typ` (when
    /// given) and our `kid`.
    pub fn sign(&self, typ: Option<&str>, payload: &[u8]) -> Result<String, JoseError> {
        let mut header = serde_json::json!({ "alg": self.alg.as_str(), "kid": self.kid() });
        if let Some(t) = typ {
            header["typ"] = t.into();
        }
        let mut out = b64url(header.to_string());
        out.push('.');
        out.push_str(&b64url(payload));
        let failed = |_| JoseError::Key("signing failed".into());
        let signature = match &self.kind {
            SigningKind::Rsa(k) => {
                let mut s = vec![0u8; k.public_modulus_len()];
                k.sign(
                    &sig::RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    out.as_bytes(),
                    &mut s,
                )
                .map_err(failed)?;
                s
            }
            SigningKind::Ec(k) => k
                .sign(&SystemRandom::new(), out.as_bytes())
                .map_err(failed)?
                .as_ref()
                .to_vec(),
        };
        out.push('.');
        out.push_str(&b64url(signature));
        Ok(out)
    }
}
