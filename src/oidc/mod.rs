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
mod token;

pub use person::{PEOPLE_FOR_SECS, People, load_person, load_person_for, person_of};
pub use provider::{Client, Clients, Provider};
pub use token::{TokenError, TokenResponse, client_credentials, exchange_code, refresh};

use crate::domain::{AccountStatus, LoA};
use crate::policy::{Decision, Facts};
use crate::store::ephemeral::{AuthRequest, CodeGrant, Grant, Session};
use crate::store::{StoreError, StoreResult};
use crate::telemetry::Metrics;
use crate::tokens::claims::{AccessTokenClaims, Person};
use crate::tokens::jwt::{self, TokenType};
use crate::tokens::{hash_secret, random_token};

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
