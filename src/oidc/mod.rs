//! The OpenID Connect provider: single sign-on between the web layer and
//! the stores — who may reach which portal, codes, token grants with
//! rotation and reuse detection, introspection, revocation and logout.
//! Handlers call these with the [`Provider`]; nothing here knows HTTP.

pub mod authorize;
pub mod bounds;
pub mod introspection;
pub mod logout;
mod person;
pub mod privacy;
mod provider;

pub use person::{People, load_person, load_person_for, person_of};
pub use provider::{Client, Clients, Provider};

use serde::Serialize;

use crate::domain::{AccountStatus, LoA};
use crate::policy::{Decision, Facts};
use crate::store::ephemeral::{
    AuthRequest, CodeGrant, Grant, Redemption, RefreshFamily, Rotation, Session,
};
use crate::store::{StoreError, StoreResult};
use crate::telemetry::Metrics;
use crate::tokens::claims::{AccessTokenClaims, IdTokenClaims, Person, acr, amr, person_claims};
use crate::tokens::jwt::{self, Audience, TokenType};
use crate::tokens::{KeyError, b64url, hash_secret, random_token, sha256};

pub fn facts(person: &Person, grant: &Grant) -> Facts {
    Facts {
        networks: person.memberships.iter().map(|m| m.network).collect(),
        org_kinds: person
            .organisations
            .iter()
            .map(|o| o.kind)
            .chain(grant.source_org_kind)
            .collect(),
        source: grant.source.clone(),
        loa: grant.loa,
        methods: grant.methods.clone(),
        attributes: grant.attributes.clone(),
    }
}

pub fn grant_of(session: &Session, scope: Vec<String>) -> Grant {
    Grant {
        account_id: session.account_id.clone(),
        sid: session.sid.clone(),
        scope,
        auth_time: session.auth_time,
        loa: session.loa,
        methods: session.methods.clone(),
        source: session.source.clone(),
        card_type: session.card_type.clone(),
        source_org_kind: session.source_org_kind,
        source_org: session.source_org.clone(),
        attributes: session.attributes.clone(),
    }
}

/// What may happen when a session asks for a code for a client.
pub enum Access {
    /// Issue a code; redirect here.
    Code { redirect: String },
    /// The person may not reach the portal.
    Denied {
        person: Box<Person>,
        step_up: Option<LoA>,
    },
    /// The account is no longer active: the session is ended.
    AccountGone,
    /// A new password is needed before anything else.
    MustChangePassword,
    /// The person may act for several organisations here and picks one
    /// first (`choose_organisation`).
    ChooseOrganisation,
}

/// Decides and, when allowed, issues an authorization code for `req`.
/// `fresh` is the session's person as the login that started it has just
/// read them from the directory (else they are read here).
pub async fn authorize(
    app: &Provider,
    client: &Client,
    req: &AuthRequest,
    session: &Session,
    fresh: Option<Person>,
) -> StoreResult<Access> {
    let person = match fresh.filter(|p| p.account.id == session.account_id) {
        Some(p) => p,
        None => match load_person(app, &session.account_id).await? {
            Some(p) => p,
            None => return Ok(Access::AccountGone),
        },
    };
    if person.account.status != AccountStatus::Active {
        return Ok(Access::AccountGone);
    }
    if person.account.must_change_password {
        return Ok(Access::MustChangePassword);
    }
    let grant = grant_of(session, req.scope.clone());
    let (decision, rights) = app
        .policy
        .decide_with_rights(&client.settings.portal, &facts(&person, &grant));
    match decision {
        Decision::Allow => {
            let choose = app
                .policy
                .portal(&client.settings.portal)
                .is_some_and(|p| p.choose_organisation);
            if choose && rights.len() > 1 && session.attributes.acting_for.is_none() {
                return Ok(Access::ChooseOrganisation);
            }
        }
        Decision::StepUp(l) => {
            Metrics::inc(&app.metrics.counters.access_denied_total);
            return Ok(Access::Denied {
                person: Box::new(person),
                step_up: Some(l),
            });
        }
        Decision::Deny(reason) => {
            Metrics::inc(&app.metrics.counters.access_denied_total);
            tracing::info!(
                account = %person.account.id,
                portal = %client.settings.portal,
                ?reason,
                "portal access denied by policy"
            );
            return Ok(Access::Denied {
                person: Box::new(person),
                step_up: None,
            });
        }
    }
    let now = app.now();
    let code = random_token(32);
    let c = CodeGrant {
        client_id: client.id().to_string(),
        redirect_uri: req.redirect_uri.clone(),
        code_challenge: req.code_challenge.clone(),
        grant,
        nonce: req.nonce.clone(),
        expires_at: now + app.settings.tokens.code_ttl_secs as i64,
    };
    app.eph.put_code(&hash_secret(&code), &c, now).await?;
    app.eph
        .add_session_client(&session.sid, client.id(), session.expires_at - now)
        .await?;
    if crate::oidc::logout::wants_notice(client) {
        app.eph
            .index_session_expiry(&session.sid, &session.account_id, session.expires_at, now)
            .await?;
    }
    Metrics::inc(&app.metrics.counters.codes_issued_total);
    Ok(Access::Code {
        redirect: redirect_with(
            &req.redirect_uri,
            &[
                ("code", Some(code.as_str())),
                ("state", req.state.as_deref()),
                ("iss", Some(app.issuer())),
            ],
        ),
    })
}

/// Appends query parameters to a registered redirect URI.
pub fn redirect_with(base: &str, params: &[(&str, Option<&str>)]) -> String {
    match url::Url::parse(base) {
        Ok(mut u) => {
            if params.iter().any(|(_, v)| v.is_some()) {
                let mut q = u.query_pairs_mut();
                for (k, v) in params {
                    if let Some(v) = v {
                        q.append_pair(k, v);
                    }
                }
            }
            u.to_string()
        }
        Err(_) => base.to_string(),
    }
}

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

/// The authorization_code grant.
pub async fn exchange_code(
    app: &Provider,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    let now = app.now();
    let code_hash = hash_secret(code);
    let c = match app.eph.redeem_code(&code_hash, now).await? {
        Redemption::Fresh(c) => c,
        Redemption::AlreadyUsed { family_id } => {
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
            return Err(TokenError::InvalidGrant("the code has already been used"));
        }
        Redemption::Unknown => return Err(TokenError::InvalidGrant("unknown or expired code")),
    };
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
        (Some(ch), Some(v)) if pkce_ok(ch, v) => {}
        (Some(_), Some(_)) => return Err(TokenError::InvalidGrant("code_verifier does not match")),
        (Some(_), None) => return Err(TokenError::InvalidGrant("code_verifier is required")),
        (None, Some(_)) => {
            return Err(TokenError::InvalidGrant(
                "code_verifier given but no challenge was",
            ));
        }
        (None, None) => {}
    }
    let resp = issue(app, client, &c.grant, c.nonce.as_deref(), None, now).await?;
    if let Some(fam) = &resp.1 {
        app.eph.link_code_family(&code_hash, fam).await?;
    }
    Metrics::inc(&app.metrics.counters.tokens_authorization_code_total);
    Ok(resp.0)
}

/// The refresh_token grant: rotates, and ends the family on reuse. Only a
/// token that proves itself one the family really had (the current one
/// presented twice at once, or an earlier one whose secret the gateway
/// recognises) ends it: a made-up secret or another client's request
/// changes nothing, so knowing a family id is not enough to end it.
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
    let next_secret = app.families.refresh_secret(family_id);
    let rotation = app
        .eph
        .rotate(
            family_id,
            client.id(),
            &hash_secret(secret),
            hash_secret(&next_secret),
            now,
            revoke_ttl,
        )
        .await?;
    let fam = match rotation {
        Rotation::Rotated(f) => f,
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
        Rotation::NotCurrent { family } if app.families.issued_for(family_id, secret) => {
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
        Rotation::NotCurrent { family } => {
            tracing::warn!(
                client = client.id(),
                account = %family.grant.account_id,
                "refresh token refused: its secret was never issued for the family it names; family kept"
            );
            return Err(TokenError::InvalidGrant("unknown or expired refresh token"));
        }
        Rotation::OtherClient { family } => {
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
        Rotation::Unknown => {
            return Err(TokenError::InvalidGrant("unknown or expired refresh token"));
        }
    };
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

/// Checks a bearer access token for userinfo: signature, issuer, expiry,
/// and that neither its session nor its refresh family has ended.
pub async fn check_access_token(
    app: &Provider,
    token: &str,
) -> Result<Option<AccessTokenClaims>, StoreError> {
    let expect = jwt::Expect {
        issuer: app.issuer(),
        audience: None,
        typ: TokenType::AccessToken,
        now: app.now(),
        allow_expired: false,
        leeway: 0,
    };
    let Ok(v) = verify_own::<AccessTokenClaims>(app, token, &expect).await else {
        return Ok(None);
    };
    let c = v.claims;
    if c.sid.is_none() || !crate::oidc::introspection::access_token_live(app, &c).await? {
        return Ok(None);
    }
    Ok(Some(c))
}

/// Checks a bearer access token for the administration API: signature,
/// issuer, `typ: at+jwt` and expiry, that the client-credentials grant
/// issued it (`sub` is the client, no session) to a configured client
/// marked `service_desk`, and that it was not revoked (`/revoke`; the mark
/// is in the shared ephemeral store, so every node sees it). Returns that
/// client's id.
pub async fn check_service_desk_token(
    app: &Provider,
    token: &str,
) -> Result<Option<String>, StoreError> {
    let expect = jwt::Expect {
        issuer: app.issuer(),
        audience: None,
        typ: TokenType::AccessToken,
        now: app.now(),
        allow_expired: false,
        leeway: 0,
    };
    let Ok(v) = verify_own::<AccessTokenClaims>(app, token, &expect).await else {
        return Ok(None);
    };
    let c = v.claims;
    let Some(client) = app.clients.get(&c.client_id) else {
        return Ok(None);
    };
    let ok = client.settings.service_desk
        && client.allows(crate::config::GrantType::ClientCredentials)
        && c.sub == c.client_id
        && c.sid.is_none();
    if !ok {
        return Ok(None);
    }
    if !crate::oidc::introspection::access_token_live(app, &c).await? {
        tracing::warn!(
            client = %c.client_id,
            "administration API: revoked service-desk token refused"
        );
        return Ok(None);
    }
    Ok(Some(c.client_id))
}

/// Verifies a token this gateway issued. A key id we do not know may be
/// another node's new key: re-read the keys (throttled) and try once more.
pub async fn verify_own<T: serde::de::DeserializeOwned>(
    app: &Provider,
    token: &str,
    expect: &jwt::Expect<'_>,
) -> Result<jwt::Verified<T>, jwt::JwtError> {
    match jwt::verify::<T>(token, &*app.keys.current(), expect) {
        Err(jwt::JwtError::UnknownKey)
            if app
                .keys
                .reload_for_unknown_kid(&*app.dir, app.now(), 5)
                .await =>
        {
            jwt::verify::<T>(token, &*app.keys.current(), expect)
        }
        other => other,
    }
}

/// Ends every session of an account and everything issued in them (a
/// leaver disabled, a password reset).
pub async fn end_account_sessions(app: &Provider, account_id: &str) -> StoreResult<usize> {
    app.people.forget(account_id);
    let sids = app.eph.account_sessions(account_id).await?;
    for sid in &sids {
        logout(app, None, sid).await?;
    }
    Ok(sids.len())
}

/// Ends every session of an account but `keep` (its password changed in
/// session `keep`); returns how many ended.
pub async fn end_other_sessions(
    app: &Provider,
    account_id: &str,
    keep: &str,
) -> StoreResult<usize> {
    app.people.forget(account_id);
    let mut ended = 0;
    for sid in app.eph.account_sessions(account_id).await? {
        if sid != keep {
            logout(app, None, &sid).await?;
            ended += 1;
        }
    }
    Ok(ended)
}

/// Ends a session everywhere: the session, its refresh families, and (by
/// the ended marker) the access tokens issued in it.
pub async fn logout(app: &Provider, session_key: Option<&str>, sid: &str) -> StoreResult<()> {
    // Who and which portals, before the session is gone: they are told.
    let ended = app.eph.session_by_sid(sid, app.now()).await?;
    match session_key {
        Some(k) => app.eph.delete_session(k).await?,
        None => app.eph.delete_session_by_sid(sid).await?,
    }
    let ttl = app
        .settings
        .tokens
        .access_token_ttl_secs
        .max(app.settings.tokens.id_token_ttl_secs) as i64;
    app.eph.revoke_session_families(sid, ttl).await?;
    let account = ended.as_ref().map(|s| s.account_id.as_str());
    crate::oidc::logout::session_ended(app, sid, account).await?;
    Metrics::inc(&app.metrics.counters.logouts_total);
    Ok(())
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

    #[test]
    fn redirect_keeps_existing_query() {
        let u = redirect_with(
            "https://p.example/cb?x=1",
            &[("code", Some("a b")), ("state", None)],
        );
        assert_eq!(u, "https://p.example/cb?x=1&code=a+b");
        assert_eq!(
            redirect_with("https://p.example/bye", &[("state", None)]),
            "https://p.example/bye"
        );
    }
}
