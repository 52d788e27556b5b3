//! Token introspection (RFC 7662) and revocation (RFC 7009) for
//! confidential clients. Handlers authenticate the client; these decide.
//!
//! Introspecting an access token costs one signature verification with
//! the keyring's parsed key and three ephemeral look-ups (the session
//! ended, the refresh family revoked, the token itself revoked); no
//! directory access.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;

use super::{Client, Provider};
use crate::store::StoreResult;
use crate::tokens::claims::AccessTokenClaims;
use crate::tokens::jwt::{self, Audience, TokenType};
use crate::tokens::{constant_time_eq, hash_secret};

/// The answer of the introspection endpoint.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Introspection {
    Active(Box<ActiveToken>),
    Inactive { active: bool },
}

impl Introspection {
    pub fn inactive() -> Self {
        Introspection::Inactive { active: false }
    }

    pub fn is_active(&self) -> bool {
        matches!(self, Introspection::Active(_))
    }
}

/// What RFC 7662 says about an active token, plus our own claims.
#[derive(Debug, Serialize)]
pub struct ActiveToken {
    pub active: bool,
    /// `access_token` or `refresh_token` (RFC 7662 leaves the values open;
    /// these are RFC 7009's hints).
    pub token_type: &'static str,
    pub client_id: String,
    pub sub: String,
    pub exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub portals: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisations: Option<serde_json::Value>,
}

/// Whether `caller` may learn about an access token: it was issued to the
/// caller, or is meant for the caller's portal or service audience.
fn may_see(caller: &Client, c: &AccessTokenClaims) -> bool {
    c.client_id == caller.id()
        || c.aud.contains(&caller.settings.portal)
        || caller
            .settings
            .service_audience
            .as_deref()
            .is_some_and(|a| c.aud.contains(a))
}

/// True while nothing has ended what the access token stands for: its
/// session, its refresh family, or the token itself.
pub async fn access_token_live(app: &Provider, c: &AccessTokenClaims) -> StoreResult<bool> {
    if let Some(sid) = &c.sid
        && app.eph.session_ended(sid).await?
    {
        return Ok(false);
    }
    if let Some(fam) = app.families.family_of_jti(&c.jti)
        && app.eph.family_revoked(&fam).await?
    {
        return Ok(false);
    }
    Ok(!app.eph.access_token_revoked(&c.jti).await?)
}

fn expect(app: &Provider, allow_expired: bool) -> jwt::Expect<'_> {
    jwt::Expect {
        issuer: app.issuer(),
        audience: None,
        typ: TokenType::AccessToken,
        now: app.now(),
        allow_expired,
        leeway: 0,
    }
}

/// Access tokens whose signature this node has verified lately, by the
/// SHA-256 of the whole token: a portal introspects the same token at
/// every API call, and the signature is most of the cost. Only the
/// signature check is remembered — expiry and the liveness look-ups
/// (session ended, family or token revoked) run every time. An entry lives
/// at most [`VERIFIED_FOR_SECS`], so a retired signing key stops being
/// believed within a minute.
#[derive(Default)]
pub struct VerifiedTokens(Mutex<HashMap<[u8; 32], (AccessTokenClaims, i64)>>);

const VERIFIED_FOR_SECS: i64 = 60;
const VERIFIED_MAX: usize = 20_000;

impl VerifiedTokens {
    fn get(&self, key: &[u8; 32], now: i64) -> Option<AccessTokenClaims> {
        let map = self.0.lock().ok()?;
        let (claims, until) = map.get(key)?;
        (now < *until && now < claims.exp).then(|| claims.clone())
    }

    fn put(&self, key: [u8; 32], claims: &AccessTokenClaims, now: i64) {
        let Ok(mut map) = self.0.lock() else {
            return;
        };
        if map.len() >= VERIFIED_MAX {
            map.retain(|_, (c, until)| now < *until && now < c.exp);
            if map.len() >= VERIFIED_MAX {
                map.clear();
            }
        }
        map.insert(key, (claims.clone(), now + VERIFIED_FOR_SECS));
    }
}

/// Verifies an access token of ours, or takes the answer this node gave
/// for the same token within the last minute.
async fn verified_access_token(app: &Provider, token: &str) -> Option<AccessTokenClaims> {
    let now = app.now();
    let key = crate::tokens::sha256(token);
    if let Some(c) = app.verified_tokens.get(&key, now) {
        return Some(c);
    }
    let v = crate::oidc::verify_own::<AccessTokenClaims>(app, token, &expect(app, false))
        .await
        .ok()?;
    app.verified_tokens.put(key, &v.claims, now);
    Some(v.claims)
}

/// A refresh token is `family.secret` (one dot); a JWT has two.
fn as_refresh(token: &str) -> Option<(&str, &str)> {
    let (f, s) = token.split_once('.')?;
    (!s.contains('.')).then_some((f, s))
}

/// RFC 7662: what `caller` may know about `token`. Anything unknown,
/// expired, revoked or not the caller's business is `{"active": false}`.
pub async fn introspect(
    app: &Provider,
    caller: &Client,
    token: &str,
) -> StoreResult<Introspection> {
    if let Some((fid, secret)) = as_refresh(token) {
        return introspect_refresh(app, caller, fid, secret).await;
    }
    let Some(c) = verified_access_token(app, token).await else {
        return Ok(Introspection::inactive());
    };
    if !may_see(caller, &c) || !access_token_live(app, &c).await? {
        return Ok(Introspection::inactive());
    }
    let organisations = (!c.organisations.is_empty())
        .then(|| serde_json::to_value(&c.organisations).ok())
        .flatten();
    Ok(Introspection::Active(Box::new(ActiveToken {
        active: true,
        token_type: "access_token",
        client_id: c.client_id,
        sub: c.sub,
        exp: c.exp,
        iat: Some(c.iat),
        iss: Some(c.iss),
        aud: Some(c.aud),
        scope: c.scope,
        jti: Some(c.jti),
        sid: c.sid,
        auth_time: c.auth_time,
        acr: c.acr,
        portals: c.portals,
        organisations,
    })))
}

async fn introspect_refresh(
    app: &Provider,
    caller: &Client,
    family_id: &str,
    secret: &str,
) -> StoreResult<Introspection> {
    let Some(f) = app.eph.family(family_id).await? else {
        return Ok(Introspection::inactive());
    };
    let current = constant_time_eq(f.current.as_bytes(), hash_secret(secret).as_bytes());
    if !current || f.client_id != caller.id() || f.expires_at <= app.now() {
        return Ok(Introspection::inactive());
    }
    let sub = crate::oidc::privacy::subject_for(app, caller, &f.grant.account_id);
    Ok(Introspection::Active(Box::new(ActiveToken {
        active: true,
        token_type: "refresh_token",
        client_id: f.client_id,
        sub,
        exp: f.expires_at,
        iat: None,
        iss: Some(app.issuer().to_string()),
        aud: None,
        scope: f.grant.scope.join(" "),
        jti: None,
        sid: Some(f.grant.sid),
        auth_time: Some(f.grant.auth_time),
        acr: Some(crate::tokens::claims::acr(f.grant.loa)),
        portals: Vec::new(),
        organisations: None,
    })))
}

/// What a revocation did (the endpoint answers 200 either way, RFC 7009
/// §2.2, so the caller learns nothing about tokens that are not its own).
#[derive(Debug, PartialEq, Eq)]
pub enum Revoked {
    /// A refresh token: its whole family ended.
    Family,
    /// An access token: refused from now on.
    AccessToken,
    /// Unknown, expired, or not issued to the caller.
    Nothing,
}

/// RFC 7009: revokes `token` when it was issued to `caller`.
pub async fn revoke(app: &Provider, caller: &Client, token: &str) -> StoreResult<Revoked> {
    let t = &app.settings.tokens;
    let revoke_ttl = t.access_token_ttl_secs.max(t.id_token_ttl_secs) as i64;
    if let Some((fid, secret)) = as_refresh(token) {
        let Some(f) = app.eph.family(fid).await? else {
            return Ok(Revoked::Nothing);
        };
        let current = constant_time_eq(f.current.as_bytes(), hash_secret(secret).as_bytes());
        if !current || f.client_id != caller.id() {
            return Ok(Revoked::Nothing);
        }
        app.eph.revoke_family(fid, revoke_ttl).await?;
        tracing::info!(client = caller.id(), account = %f.grant.account_id, "refresh token revoked: family ended");
        return Ok(Revoked::Family);
    }
    let Ok(v) = crate::oidc::verify_own::<AccessTokenClaims>(app, token, &expect(app, true)).await
    else {
        return Ok(Revoked::Nothing);
    };
    let c = v.claims;
    let left = c.exp - app.now();
    if c.client_id != caller.id() || left <= 0 {
        return Ok(Revoked::Nothing);
    }
    app.eph.revoke_access_token(&c.jti, left).await?;
    tracing::info!(client = caller.id(), "access token revoked");
    Ok(Revoked::AccessToken)
}
