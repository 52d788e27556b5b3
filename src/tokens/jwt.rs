//! Compact JWS with ES256: encoding with a parsed key, and verification
//! that checks the header, signature, issuer, audience and times.

use aws_lc_rs::signature::ParsedPublicKey;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::keyring::{KeyError, KeySet, SigningKey, VerifyingKey};
use super::{b64url, b64url_decode};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("not a compact JWS")]
    Malformed,
    #[error("unsupported algorithm or token type")]
    Header,
    /// RFC 7515 §4.1.11: a `crit` header names extensions the recipient
    /// must understand; Porttivahti understands none, and an empty list is
    /// not allowed, so any `crit` is refused.
    #[error("the header names critical extensions (crit), which are not supported")]
    Critical,
    #[error("signed by an unknown key")]
    UnknownKey,
    #[error("bad signature")]
    Signature,
    #[error("claims are not valid: {0}")]
    Claims(String),
    #[error("issued by another issuer")]
    Issuer,
    #[error("not meant for this audience")]
    Audience,
    #[error("expired")]
    Expired,
    #[error("not valid yet")]
    NotYetValid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// An ID token or other plain JWT (`typ: JWT`).
    Jwt,
    /// An RFC 9068 access token (`typ: at+jwt`).
    AccessToken,
    /// An OpenID Connect Back-Channel Logout token (`typ: logout+jwt`).
    LogoutToken,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    /// Whether the header has a `crit` member at all (even `null` or `[]`).
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

/// True for any value: used with `default` (false) to tell whether a
/// member is there.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

/// Serialises `claims` and signs them with `key`.
pub fn encode<T: Serialize>(
    key: &SigningKey,
    typ: TokenType,
    claims: &T,
) -> Result<String, KeyError> {
    let payload = serde_json::to_vec(claims)
        .map_err(|e| KeyError::Invalid(key.kid.clone(), e.to_string()))?;
    let header = match typ {
        TokenType::Jwt => &key.header_jwt,
        TokenType::AccessToken => &key.header_at,
        TokenType::LogoutToken => &key.header_logout,
    };
    let mut out = String::with_capacity(header.len() + payload.len() * 4 / 3 + 90);
    out.push_str(header);
    out.push('.');
    out.push_str(&b64url(&payload));
    let sig = key.sign(out.as_bytes())?;
    out.push('.');
    out.push_str(&b64url(sig));
    Ok(out)
}

/// Registered claims every verification looks at.
#[derive(Debug, Deserialize)]
struct Registered {
    iss: String,
    aud: Audience,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize, Clone, PartialEq, Eq)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn contains(&self, aud: &str) -> bool {
        match self {
            Audience::One(a) => a == aud,
            Audience::Many(v) => v.iter().any(|a| a == aud),
        }
    }
}

/// What a verification demands.
pub struct Expect<'a> {
    pub issuer: &'a str,
    /// `None` accepts any audience (the caller checks it).
    pub audience: Option<&'a str>,
    pub typ: TokenType,
    pub now: i64,
    /// Accept expired tokens (an `id_token_hint` at logout).
    pub allow_expired: bool,
    pub leeway: i64,
}

/// A token whose signature and registered claims were checked.
#[derive(Debug)]
pub struct Verified<T> {
    pub kid: String,
    pub claims: T,
}

/// Where verifying keys come from: the gateway's own keyring or a JWKS
/// fetched by a relying service.
pub trait KeySource {
    fn key(&self, kid: &str) -> Option<&ParsedPublicKey>;
}

impl KeySource for KeySet {
    fn key(&self, kid: &str) -> Option<&ParsedPublicKey> {
        self.verifying_key(kid)
    }
}

impl KeySource for [VerifyingKey] {
    fn key(&self, kid: &str) -> Option<&ParsedPublicKey> {
        self.iter().find(|k| k.kid == kid).map(|k| &k.key)
    }
}

pub fn verify<T: DeserializeOwned>(
    token: &str,
    keys: &(impl KeySource + ?Sized),
    expect: &Expect<'_>,
) -> Result<Verified<T>, JwtError> {
    let mut parts = token.splitn(3, '.');
    let (Some(h), Some(p), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Malformed);
    };
    if s.contains('.') {
        return Err(JwtError::Malformed);
    }
    let header: Header = b64url_decode(h)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(JwtError::Malformed)?;
    let typ_ok = match (expect.typ, header.typ.as_deref()) {
        (TokenType::AccessToken, Some(t)) => t.eq_ignore_ascii_case("at+jwt"),
        (TokenType::LogoutToken, Some(t)) => t.eq_ignore_ascii_case("logout+jwt"),
        (TokenType::Jwt, None) => true,
        (TokenType::Jwt, Some(t)) => t.eq_ignore_ascii_case("JWT"),
        _ => false,
    };
    if header.alg != "ES256" || !typ_ok {
        return Err(JwtError::Header);
    }
    let kid = header.kid.ok_or(JwtError::UnknownKey)?;
    let key = keys.key(&kid).ok_or(JwtError::UnknownKey)?;
    let sig = b64url_decode(s).ok_or(JwtError::Malformed)?;
    let signed = &token[..h.len() + 1 + p.len()];
    key.verify_sig(signed.as_bytes(), &sig)
        .map_err(|_| JwtError::Signature)?;
    if header.crit {
        // Signed by a key we trust, yet it asks for extensions nothing here
        // understands: it cannot be read as its signer meant.
        tracing::warn!(
            kid = %kid,
            "token refused: signed, but its header names critical extensions (crit), which are not supported"
        );
        return Err(JwtError::Critical);
    }
    let payload = b64url_decode(p).ok_or(JwtError::Malformed)?;
    let reg: Registered =
        serde_json::from_slice(&payload).map_err(|e| JwtError::Claims(e.to_string()))?;
    if reg.iss != expect.issuer {
        return Err(JwtError::Issuer);
    }
    if let Some(aud) = expect.audience
        && !reg.aud.contains(aud)
    {
        return Err(JwtError::Audience);
    }
    if !expect.allow_expired && reg.exp + expect.leeway <= expect.now {
        return Err(JwtError::Expired);
    }
    if reg.nbf.is_some_and(|nbf| nbf - expect.leeway > expect.now) {
        return Err(JwtError::NotYetValid);
    }
    let claims = serde_json::from_slice(&payload).map_err(|e| JwtError::Claims(e.to_string()))?;
    Ok(Verified { kid, claims })
}
