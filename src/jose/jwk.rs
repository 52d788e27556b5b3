//! Public keys as JWKs (RFC 7517): RSA and P-256, as a provider publishes
//! them and as we publish ours.

use serde::{Deserialize, Serialize};

use super::JoseError;
use crate::crypto::{b64url, b64url_decode, sha256};

/// A public key. Members this layer does not use (`x5c`, `x5t`, …) are
/// ignored when read and never written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// What a key is for (`use`): a key marked for one is never used for the
/// other; an unmarked key may be used for either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Sig,
    Enc,
}

impl Use {
    pub fn as_str(self) -> &'static str {
        match self {
            Use::Sig => "sig",
            Use::Enc => "enc",
        }
    }
}

impl Jwk {
    /// An RSA public key from its modulus and exponent (big-endian).
    pub fn rsa(n: &[u8], e: &[u8], use_: Use, alg: &str) -> Self {
        let mut k = Jwk {
            kty: "RSA".into(),
            kid: None,
            use_: Some(use_.as_str().into()),
            alg: Some(alg.into()),
            n: Some(b64url(strip_zeros(n))),
            e: Some(b64url(strip_zeros(e))),
            crv: None,
            x: None,
            y: None,
        };
        k.kid = k.thumbprint();
        k
    }

    /// A P-256 public key from its uncompressed point.
    pub fn p256(point: &[u8], use_: Use, alg: &str) -> Result<Self, JoseError> {
        if point.len() != 65 || point[0] != 4 {
            return Err(JoseError::Key("not an uncompressed P-256 point".into()));
        }
        let mut k = Jwk {
            kty: "EC".into(),
            kid: None,
            use_: Some(use_.as_str().into()),
            alg: Some(alg.into()),
            n: None,
            e: None,
            crv: Some("P-256".into()),
            x: Some(b64url(&point[1..33])),
            y: Some(b64url(&point[33..])),
        };
        k.kid = k.thumbprint();
        Ok(k)
    }

    /// The RFC 7638 thumbprint (base64url SHA-256 of the required members
    /// in lexicographic order).
    pub fn thumbprint(&self) -> Option<String> {
        let canonical = match self.kty.as_str() {
            "RSA" => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                self.e.as_deref()?,
                self.n.as_deref()?
            ),
            "EC" => format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                self.crv.as_deref()?,
                self.x.as_deref()?,
                self.y.as_deref()?
            ),
            _ => return None,
        };
        Some(b64url(sha256(canonical)))
    }

    /// Whether the key may be used for `u` (its `use`, when marked).
    pub fn usable_for(&self, u: Use) -> bool {
        self.use_.as_deref().is_none_or(|x| x == u.as_str())
    }

    /// The RSA modulus and exponent, when this is an RSA key.
    pub fn rsa_components(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        if self.kty != "RSA" {
            return None;
        }
        let n = b64url_decode(self.n.as_deref()?)?;
        let e = b64url_decode(self.e.as_deref()?)?;
        // 2048 bits at least: smaller RSA keys are refused outright.
        (strip_zeros(&n).len() >= 256 && !e.is_empty()).then_some((n, e))
    }

    /// The uncompressed point of a key on `crv`, when this is an EC key.
    pub fn ec_point(&self, crv: &str) -> Option<Vec<u8>> {
        if self.kty != "EC" || self.crv.as_deref() != Some(crv) {
            return None;
        }
        let size = match crv {
            "P-256" => 32,
            "P-384" => 48,
            _ => return None,
        };
        let x = b64url_decode(self.x.as_deref()?)?;
        let y = b64url_decode(self.y.as_deref()?)?;
        if x.len() != size || y.len() != size {
            return None;
        }
        let mut p = Vec::with_capacity(1 + 2 * size);
        p.push(4);
        p.extend_from_slice(&x);
        p.extend_from_slice(&y);
        Some(p)
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[first..]
}

/// A key set as published at a `jwks_uri`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// Parses a published key set; keys of kinds this layer does not know
    /// (OKP, oct, …) are left out rather than failing the whole set.
    pub fn parse(json: &[u8]) -> Result<Self, JoseError> {
        #[derive(Deserialize)]
        struct Raw {
            keys: Vec<serde_json::Value>,
        }
        let raw: Raw =
            serde_json::from_slice(json).map_err(|_| JoseError::Malformed("not a JWK set"))?;
        Ok(JwkSet {
            keys: raw
                .keys
                .into_iter()
                .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
                .filter(|k| k.kty == "RSA" || k.kty == "EC")
                .collect(),
        })
    }

    /// The keys for `u` named `kid`; with no `kid`, every key for `u`.
    pub fn candidates<'a>(&'a self, kid: Option<&'a str>, u: Use) -> impl Iterator<Item = &'a Jwk> {
        self.keys
            .iter()
            .filter(move |k| k.usable_for(u))
            .filter(move |k| kid.is_none() || k.kid.as_deref() == kid)
    }

    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }
}
