//! The token endpoint's grants: authorization code, refresh token and
//! client credentials, and the OAuth errors they answer with. What a
//! request is given (a code, a refresh token) is read first and spent
//! last, so a request that fails for a store reason spends nothing.

use serde::Serialize;

use super::{Client, Provider, facts, load_person_for};
use crate::domain::AccountStatus;
use crate::store::StoreError;
use crate::store::ephemeral::{
    CodeGrant, CodeLookup, Grant, Presented, RefreshFamily, Rotation, Spent,
};
use crate::telemetry::Metrics;
use crate::tokens::claims::{AccessTokenClaims, IdTokenClaims, acr, amr, person_claims};
use crate::tokens::jwt::{self, Audience, TokenType};
use crate::tokens::{KeyError, b64url, hash_secret, random_token, sha256};

/// OAuth token endpoint errors (RFC 6749 §5.2).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
    #[error("invalid_client")]
    InvalidClient,
    #[error("invalid_grant: {0}")]
    InvalidGrant(&'static str),
    #[error("unauthorized_client")]
    UnauthorizedClient,
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("keys: {0}")]
    Key(#[from] KeyError),
}

impl TokenError {
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(_) => "invalid_request",
            TokenError::InvalidClient => "invalid_client",
            TokenError::InvalidGrant(_) => "invalid_grant",
            TokenError::UnauthorizedClient => "unauthorized_client",
            TokenError::UnsupportedGrantType => "unsupported_grant_type",
            TokenError::Store(StoreError::Unavailable(_)) => "temporarily_unavailable",
            TokenError::Store(_) | TokenError::Key(_) => "server_error",
        }
    }

    /// A description safe to send to the client.
    pub fn description(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(m) | TokenError::InvalidGrant(m) => m,
            TokenError::InvalidClient => "client authentication failed",
            TokenError::UnauthorizedClient => "the client may not use this grant",
            TokenError::UnsupportedGrantType => "grant_type is not supported",
            TokenError::Store(StoreError::Unavailable(_)) => "try again shortly",
            TokenError::Store(_) | TokenError::Key(_) => "internal error",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

/// Verifies a PKCE S256 verifier against the stored challenge.
fn pkce_ok(challenge: &str, verifier: &str) -> bool {
    let len_ok = (43..=128).contains(&verifier.len());
    let chars_ok = verifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    len_ok
        && chars_ok
        && crate::tokens::constant_time_eq(
            b64url(sha256(verifier)).as_bytes(),
            challenge.as_bytes(),
        )
}

/// The authorization_code grant. The code is read, checked and its tokens
/// made (the person read from the directory, the refresh family stored)
/// before it is spent: a request that fails for a store reason on the way
/// leaves the code usable for the client's retry. Spending is the last
/// step and happens once across nodes; a second redemption revokes what
/// the first one issued.
pub async fn exchange_code(
    app: &Provider,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    let now = app.now();
    let code_hash = hash_secret(code);
    let (c, raw) = match app.eph.code(&code_hash, now).await? {
        CodeLookup::Fresh { grant, raw } => (grant, raw),
        CodeLookup::Used {
            client_id: Some(redeemer),
            ..
        } if redeemer != client.id() => {
            // Another client presents a code its portal has redeemed: a
            // leaked code is not a way to end someone else's tokens.
            tracing::warn!(
                client = client.id(),
                "a redeemed authorization code presented by another client than it was issued to: refused, nothing revoked"
            );
            return Err(TokenError::InvalidGrant(
                "the code was issued to another client",
            ));
        }
        CodeLookup::Used { family_id, .. } => {
            return Err(code_replayed(app, client, family_id).await?);
        }
        CodeLookup::Unknown => return Err(TokenError::InvalidGrant("unknown or expired code")),
    };
    if c.client_id != client.id() {
        // Another client holds portal A's code (leaked in a log or a
        // referrer): it gets nothing, and spends nothing — otherwise anyone
        // with a client id could burn the code the portal is about to
        // redeem.
        tracing::warn!(
            client = client.id(),
            "authorization code presented by another client than it was issued to: refused, not spent"
        );
        return Err(TokenError::InvalidGrant(
            "the code was issued to another client",
        ));
    }
    if let Err(e) = check_code(&c, client, redirect_uri, verifier) {
        // The right client with a wrong redirect or verifier spends the
        // code: it is not to be guessed at.
        app.eph
            .spend_code(&code_hash, &raw, None, client.id())
            .await?;
        return Err(e);
    }
    let (resp, family) = issue(app, client, &c.grant, c.nonce.as_deref(), None, now).await?;
    match app
        .eph
        .spend_code(&code_hash, &raw, family.as_deref(), client.id())
        .await
    {
        Ok(Spent::Now) => {}
        Ok(Spent::Before { family_id }) => {
            // Redeemed concurrently elsewhere: this request's family was
            // never handed out, and what the other one issued is revoked.
            discard_family(app, family.as_deref()).await;
            return Err(code_replayed(app, client, family_id).await?);
        }
        Err(e) => {
            discard_family(app, family.as_deref()).await;
            return Err(e.into());
        }
    }
    Metrics::inc(&app.metrics.counters.tokens_authorization_code_total);
    Ok(resp)
}

/// The client, redirect URI and PKCE verifier a code was issued for.
fn check_code(
    c: &CodeGrant,
    client: &Client,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<(), TokenError> {
    if c.client_id != client.id() {
        return Err(TokenError::InvalidGrant(
            "the code was issued to another client",
        ));
    }
    if redirect_uri != Some(c.redirect_uri.as_str()) {
        return Err(TokenError::InvalidGrant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&c.code_challenge, verifier) {
        (Some(ch), Some(v)) if pkce_ok(ch, v) => Ok(()),
        (Some(_), Some(_)) => Err(TokenError::InvalidGrant("code_verifier does not match")),
        (Some(_), None) => Err(TokenError::InvalidGrant("code_verifier is required")),
        (None, Some(_)) => Err(TokenError::InvalidGrant(
            "code_verifier given but no challenge was",
        )),
        (None, None) => Ok(()),
    }
}

/// A code presented after it was spent: what it issued is revoked.
async fn code_replayed(
    app: &Provider,
    client: &Client,
    family_id: Option<String>,
) -> Result<TokenError, TokenError> {
    Metrics::inc(&app.metrics.counters.code_reuse_detected_total);
    tracing::warn!(
        client = client.id(),
        "authorization code used twice: revoking what it issued"
    );
    if let Some(f) = family_id {
        app.eph
            .revoke_family(&f, app.settings.tokens.access_token_ttl_secs as i64)
            .await?;
    }
    Ok(TokenError::InvalidGrant("the code has already been used"))
}

/// Removes a family that a failed request stored but never handed out
/// (best effort: nobody holds its token, and it expires anyway).
async fn discard_family(app: &Provider, family: Option<&str>) {
    if let Some(f) = family
        && let Err(e) = app.eph.revoke_family(f, 1).await
    {
        tracing::debug!(error = %e, "an unused refresh family stays until it expires");
    }
}

/// The refresh_token grant: rotates, and ends the family on reuse. Only a
/// token that proves itself one the family really had (the current one
/// presented twice at once, or an earlier one whose secret the gateway
/// recognises) ends it: a made-up secret or another client's request
/// changes nothing, so knowing a family id is not enough to end it.
///
/// The family is read first and rotated last, after the person is read
/// and the tokens are signed: a request that fails for a store reason on
/// the way leaves the presented token current, so the client's retry
/// succeeds (docs/security.md, "Store faults and one-time tokens").
/// Refresh-token rotations this node sent to the store without learning
/// whether they landed: the request answered 503 and the client will
/// retry with the same token. If the family then stands rotated to exactly
/// the secret this node chose, the retry gets that token instead of being
/// taken for a replay (which would end the family). Kept for
/// [`UNSETTLED_SECS`], on this node only: a retry that reaches another
/// node is a replay there.
#[derive(Default)]
pub struct Unsettled(std::sync::Mutex<std::collections::HashMap<String, UnsettledRotation>>);

struct UnsettledRotation {
    presented_hash: String,
    next_hash: String,
    refresh_token: String,
    at: i64,
}

/// How long an unsettled rotation is remembered.
pub const UNSETTLED_SECS: i64 = 120;

impl Unsettled {
    fn put(
        &self,
        family_id: &str,
        presented_hash: String,
        next_hash: String,
        refresh_token: String,
        now: i64,
    ) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, u| now - u.at < UNSETTLED_SECS);
        m.insert(
            family_id.to_string(),
            UnsettledRotation {
                presented_hash,
                next_hash,
                refresh_token,
                at: now,
            },
        );
    }

    /// The refresh token of the unsettled rotation of `family_id` from the
    /// token hashed `presented_hash`, if the family's current secret is
    /// the one that rotation chose (it landed); taken, so only once.
    fn take(
        &self,
        family_id: &str,
        presented_hash: &str,
        current: &str,
        now: i64,
    ) -> Option<String> {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let u = m.get(family_id)?;
        if now - u.at >= UNSETTLED_SECS
            || !crate::tokens::constant_time_eq(
                u.presented_hash.as_bytes(),
                presented_hash.as_bytes(),
            )
            || u.next_hash != current
        {
            return None;
        }
        m.remove(family_id).map(|u| u.refresh_token)
    }
}

pub async fn refresh(
    app: &Provider,
    client: &Client,
    token: &str,
) -> Result<TokenResponse, TokenError> {
    let now = app.now();
    let Some((family_id, secret)) = token.split_once('.') else {
        return Err(TokenError::InvalidGrant("unknown refresh token"));
    };
    let revoke_ttl = app.settings.tokens.access_token_ttl_secs as i64;
    let presented_hash = hash_secret(secret);
    let presented = app
        .eph
        .present(family_id, client.id(), &presented_hash, now)
        .await?;
    let (fam, raw) = match presented {
        Presented::Current { family, raw } => (family, raw),
        Presented::NotCurrent { family }
            if let Some(next) =
                app.unsettled
                    .take(family_id, &presented_hash, &family.current, now) =>
        {
            // This node rotated the family for this very token, and the
            // request that did it answered 503 (the store's answer was
            // lost): the retry gets the token that rotation stored.
            tracing::warn!(
                client = %family.client_id,
                account = %family.grant.account_id,
                generation = family.generation,
                "refresh token retried after a rotation whose answer from the store was lost: the stored rotation is answered, the family kept"
            );
            let (resp, _) = issue(
                app,
                client,
                &family.grant,
                None,
                Some((family_id, next)),
                now,
            )
            .await?;
            Metrics::inc(&app.metrics.counters.tokens_refresh_total);
            return Ok(resp);
        }
        Presented::NotCurrent { family } if app.families.issued_for(family_id, secret) => {
            app.eph.revoke_family(family_id, revoke_ttl).await?;
            Metrics::inc(&app.metrics.counters.refresh_reuse_detected_total);
            tracing::warn!(
                client = %family.client_id,
                account = %family.grant.account_id,
                generation = family.generation,
                "refresh token replayed (an earlier one of its family): family ended"
            );
            return Err(TokenError::InvalidGrant(
                "refresh token has been used already",
            ));
        }
        Presented::NotCurrent { family } => {
            tracing::warn!(
                client = client.id(),
                account = %family.grant.account_id,
                "refresh token refused: its secret was never issued for the family it names; family kept"
            );
            return Err(TokenError::InvalidGrant("unknown or expired refresh token"));
        }
        Presented::OtherClient { family } => {
            tracing::warn!(
                client = client.id(),
                owner = %family.client_id,
                account = %family.grant.account_id,
                "refresh token refused: issued to another client; family kept"
            );
            return Err(TokenError::InvalidGrant(
                "refresh token was issued to another client",
            ));
        }
        Presented::Unknown => {
            return Err(TokenError::InvalidGrant("unknown or expired refresh token"));
        }
    };
    let next_secret = app.families.refresh_secret(family_id);
    let refresh = format!("{family_id}.{next_secret}");
    let (resp, _) = issue(
        app,
        client,
        &fam.grant,
        None,
        Some((family_id, refresh)),
        now,
    )
    .await?;
    let next_hash = hash_secret(&next_secret);
    let committed = app
        .eph
        .commit_rotation(fam, &raw, next_hash.clone(), now, revoke_ttl)
        .await;
    let rotation = match committed {
        Ok(r) => r,
        Err(e) => {
            // The store may have rotated the family without the answer
            // reaching us (a dropped connection, a partition that heals
            // late). Should the client's retry find it so, this node
            // answers it with the token it stored.
            app.unsettled.put(
                family_id,
                presented_hash,
                next_hash,
                format!("{family_id}.{next_secret}"),
                now,
            );
            return Err(e.into());
        }
    };
    match rotation {
        Rotation::Rotated(_) => {}
        Rotation::Reused { family } => {
            Metrics::inc(&app.metrics.counters.refresh_reuse_detected_total);
            tracing::warn!(
                client = %family.client_id,
                account = %family.grant.account_id,
                generation = family.generation,
                "refresh token presented twice at once: family ended"
            );
            return Err(TokenError::InvalidGrant(
                "refresh token has been used already",
            ));
        }
        Rotation::NotCurrent { .. } | Rotation::OtherClient { .. } | Rotation::Unknown => {
            return Err(TokenError::InvalidGrant("unknown or expired refresh token"));
        }
    }
    Metrics::inc(&app.metrics.counters.tokens_refresh_total);
    Ok(resp)
}

/// Signs tokens for a grant. With `rotated`, the refresh token is that one
/// (family already stored); otherwise a new family starts when the client
/// may refresh.
async fn issue(
    app: &Provider,
    client: &Client,
    grant: &Grant,
    nonce: Option<&str>,
    rotated: Option<(&str, String)>,
    now: i64,
) -> Result<(TokenResponse, Option<String>), TokenError> {
    let person = load_person_for(app, grant)
        .await?
        .filter(|p| p.account.status == AccountStatus::Active)
        .ok_or(TokenError::InvalidGrant("the account is not active"))?;
    let facts = facts(&person, grant);
    let portals = app.policy.reachable(&facts);
    if !portals.iter().any(|p| p == &client.settings.portal) {
        return Err(TokenError::InvalidGrant(
            "the person may no longer reach this portal",
        ));
    }
    let (_, rights) = app
        .policy
        .decide_with_rights(&client.settings.portal, &facts);
    let t = &app.settings.tokens;
    let (family_id, refresh_token, new_family) = match rotated {
        Some((f, tok)) => (Some(f.to_string()), Some(tok), None),
        None if client.allows(crate::config::GrantType::RefreshToken) => {
            let fid = random_token(16);
            let secret = app.families.refresh_secret(&fid);
            let fam = RefreshFamily {
                family_id: fid.clone(),
                client_id: client.id().to_string(),
                grant: grant.clone(),
                current: hash_secret(&secret),
                generation: 0,
                expires_at: now + t.refresh_token_ttl_secs as i64,
            };
            (
                Some(fid.clone()),
                Some(format!("{fid}.{secret}")),
                Some(fam),
            )
        }
        None => (None, None, None),
    };
    if let Some(fam) = &new_family {
        app.eph.create_family(fam, now).await?;
    }
    let keys = app.keys.current();
    let mut claims = person_claims(&person, &grant.scope, portals);
    claims.authorities = crate::mandates::authority_claims(&grant.attributes, &rights);
    crate::oidc::privacy::filter_claims(app.policy.portal(&client.settings.portal), &mut claims);
    let sub = crate::oidc::privacy::subject_for(app, client, &person.account.id);
    let id = IdTokenClaims {
        iss: app.issuer().to_string(),
        sub: sub.clone(),
        aud: Audience::One(client.id().to_string()),
        azp: client.id().to_string(),
        exp: now + t.id_token_ttl_secs as i64,
        iat: now,
        auth_time: grant.auth_time,
        nonce: nonce.map(str::to_string),
        acr: acr(grant.loa),
        amr: amr(&grant.methods),
        sid: grant.sid.clone(),
        card_type: grant.card_type.clone(),
        person: claims.clone(),
    };
    let jti = app.families.jti(family_id.as_deref());
    let at = AccessTokenClaims {
        iss: app.issuer().to_string(),
        sub,
        aud: Audience::One(client.settings.portal.clone()),
        exp: now + t.access_token_ttl_secs as i64,
        iat: now,
        jti,
        client_id: client.id().to_string(),
        scope: grant.scope.join(" "),
        auth_time: Some(grant.auth_time),
        acr: Some(acr(grant.loa)),
        amr: Some(amr(&grant.methods)),
        sid: Some(grant.sid.clone()),
        card_type: grant.card_type.clone(),
        portals: claims.portals,
        organisations: claims.organisations,
        authorities: claims.authorities,
    };
    let resp = TokenResponse {
        access_token: jwt::encode(&keys.signing, TokenType::AccessToken, &at)?,
        token_type: "Bearer",
        expires_in: t.access_token_ttl_secs,
        id_token: Some(jwt::encode(&keys.signing, TokenType::Jwt, &id)?),
        refresh_token,
        scope: grant.scope.join(" "),
    };
    Ok((resp, family_id))
}

/// The client_credentials grant: a service's own access token.
pub fn client_credentials(
    app: &Provider,
    client: &Client,
    scope: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    if !client.allows(crate::config::GrantType::ClientCredentials) {
        return Err(TokenError::UnauthorizedClient);
    }
    let now = app.now();
    let t = &app.settings.tokens;
    let scope = scope.unwrap_or("").to_string();
    let at = AccessTokenClaims {
        iss: app.issuer().to_string(),
        sub: client.id().to_string(),
        aud: Audience::One(
            client
                .settings
                .service_audience
                .clone()
                .unwrap_or_else(|| client.settings.portal.clone()),
        ),
        exp: now + t.access_token_ttl_secs as i64,
        iat: now,
        jti: app.families.jti(None),
        client_id: client.id().to_string(),
        scope: scope.clone(),
        auth_time: None,
        acr: None,
        amr: None,
        sid: None,
        card_type: None,
        portals: Vec::new(),
        organisations: Vec::new(),
        authorities: Vec::new(),
    };
    let keys = app.keys.current();
    Metrics::inc(&app.metrics.counters.tokens_client_credentials_total);
    Ok(TokenResponse {
        access_token: jwt::encode(&keys.signing, TokenType::AccessToken, &at)?,
        token_type: "Bearer",
        expires_in: t.access_token_ttl_secs,
        id_token: None,
        refresh_token: None,
        scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_known_vector() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_ok(challenge, verifier));
        assert!(!pkce_ok(
            challenge,
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"
        ));
        assert!(!pkce_ok(challenge, "short"));
    }
}

#[cfg(test)]
mod unsettled_tests {
    use super::{UNSETTLED_SECS, Unsettled};

    #[test]
    fn an_unsettled_rotation_answers_its_own_retry_once_and_only_if_it_landed() {
        let u = Unsettled::default();
        u.put("f", "h0".into(), "h1".into(), "f.s1".into(), 1000);
        // Another token of the family, or the family not rotated to this
        // rotation's secret (it did not land, or moved on): nothing.
        assert_eq!(u.take("f", "hX", "h1", 1001), None);
        assert_eq!(u.take("f", "h0", "h0", 1001), None);
        assert_eq!(u.take("f", "h0", "h2", 1001), None);
        assert_eq!(u.take("g", "h0", "h1", 1001), None);
        // Its retry, the rotation landed: the token it stored, once.
        assert_eq!(u.take("f", "h0", "h1", 1001), Some("f.s1".to_string()));
        assert_eq!(u.take("f", "h0", "h1", 1002), None);
        // Not after its time.
        u.put("f", "h0".into(), "h1".into(), "f.s1".into(), 2000);
        assert_eq!(u.take("f", "h0", "h1", 2000 + UNSETTLED_SECS), None);
    }
}
