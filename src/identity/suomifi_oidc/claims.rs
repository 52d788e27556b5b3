//! What a `suomifi_oidc` login's tokens must say, and who they say the
//! person is: the ID token's checks (OpenID Connect Core §3.1.3.7) and the
//! Suomi.fi profile's mapping, apart from the protocol.

use crate::config::sources::FtnSourceSettings;
use crate::domain::{AuthMethod, Lang};
use crate::identity::redirect::Refusal;
use crate::identity::sources::SamlSource;
use crate::identity::{Attributes, VerifiedIdentity, suomifi};

pub(super) type Claims = serde_json::Map<String, serde_json::Value>;

pub(super) fn text(c: &Claims, name: &str) -> Option<String> {
    c.get(name)
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

/// OpenID Connect Core §3.1.3.7: issuer, audience (and `azp` with several
/// audiences), expiry, issue time, nonce.
pub(super) fn check_id_token(
    c: &Claims,
    f: &FtnSourceSettings,
    issuer: &str,
    nonce: &str,
    now: i64,
) -> Result<(), (Refusal, String)> {
    let untrusted = |m: String| (Refusal::Untrusted, m);
    if text(c, "iss").as_deref() != Some(issuer) {
        return Err(untrusted(format!("issuer {:?}", c.get("iss"))));
    }
    let aud: Vec<&str> = match c.get("aud") {
        Some(serde_json::Value::String(a)) => vec![a.as_str()],
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
        _ => vec![],
    };
    if !aud.contains(&f.client_id.as_str()) {
        return Err(untrusted(format!("audience {aud:?} does not name us")));
    }
    if (aud.len() > 1 || c.contains_key("azp"))
        && text(c, "azp").as_deref() != Some(f.client_id.as_str())
    {
        return Err(untrusted("azp is not our client id".into()));
    }
    let skew = f.clock_skew_secs;
    let Some(exp) = c.get("exp").and_then(|v| v.as_i64()) else {
        return Err(untrusted("no exp".into()));
    };
    if exp + skew <= now {
        return Err((Refusal::Expired, format!("expired at {exp}")));
    }
    let Some(iat) = c.get("iat").and_then(|v| v.as_i64()) else {
        return Err(untrusted("no iat".into()));
    };
    if iat - skew > now {
        return Err((Refusal::Expired, format!("issued in the future ({iat})")));
    }
    if let Some(nbf) = c.get("nbf").and_then(|v| v.as_i64())
        && nbf - skew > now
    {
        return Err((Refusal::Expired, format!("not valid before {nbf}")));
    }
    let ok = text(c, "nonce")
        .is_some_and(|n| crate::crypto::constant_time_eq(n.as_bytes(), nonce.as_bytes()));
    if !ok {
        return Err(untrusted("nonce does not match the request's".into()));
    }
    if text(c, "sub").is_none() {
        return Err(untrusted("no sub".into()));
    }
    Ok(())
}

/// Who the checked claims say the person is, by the Suomi.fi profile: the
/// identity code only as its keyed hash, the level from `acr`. Returns the
/// identity and the identity code (for the e-Authorizations lookup only).
pub(super) fn identity_of(
    src: &SamlSource,
    f: &FtnSourceSettings,
    c: &Claims,
    key: &[u8],
    lang: Lang,
    now: i64,
) -> Result<(VerifiedIdentity, String), String> {
    let m = &f.person_claims;
    let hetu = text(c, &m.national_id)
        .ok_or_else(|| format!("no personal identity code (claim {:?})", m.national_id))?;
    if !suomifi::valid_national_id(&hetu) {
        return Err("the personal identity code is malformed".into());
    }
    let acr = text(c, "acr").unwrap_or_default();
    let loa = suomifi::level(&acr).ok_or_else(|| format!("unknown level of assurance {acr:?}"))?;
    let municipality = match lang {
        Lang::Sv => text(c, &m.municipality_sv).or_else(|| text(c, &m.municipality_fi)),
        _ => text(c, &m.municipality_fi),
    };
    let identity = VerifiedIdentity {
        source: src.id().to_string(),
        subject: suomifi::subject_of(&hetu, key),
        loa,
        methods: vec![AuthMethod::SuomiFi],
        authenticated_at: c.get("auth_time").and_then(|v| v.as_i64()).unwrap_or(now),
        links_with: f.same_accounts_as.clone(),
        attributes: Attributes {
            given_name: text(c, &m.given_name),
            family_name: text(c, &m.family_name),
            email: text(c, &m.email),
            municipality,
            ..Attributes::default()
        },
    };
    Ok((identity, hetu))
}
