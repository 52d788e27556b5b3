//! Organisation login through an upstream OpenID Connect provider (Entra
//! ID and the like): the code flow with PKCE, a nonce and a browser-bound
//! state, and the ID token checked by the `openidconnect` crate against the
//! provider's discovered keys.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};

use super::external::complete_login;
use super::login::{message, no_store};
use crate::app::{AppState, SharedState};
use crate::domain::AuthMethod;
use crate::identity::sources::SamlSource;
use crate::identity::{Attributes, VerifiedIdentity};
use crate::login::LoginContext;
use crate::tokens::hash_secret;
use crate::web::browser::{Browser, set_cookie, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::texts;
use crate::web::pages::login_uri;
use crate::web::sources_i18n::source_texts;

#[derive(Debug, Serialize, Deserialize)]
struct SentOidc {
    source: String,
    ar: String,
    binding: String,
    verifier: String,
    nonce: String,
}

fn callback_url(app: &AppState, source: &str) -> String {
    app.url(&format!("/login/oidc/{source}/callback"))
}

/// Sends the person to the provider (called by `/login/source/{id}`).
pub async fn begin(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    src: &SamlSource,
    ar: &str,
) -> Result<Response, WebError> {
    let s = source_texts(browser.lang);
    let t = texts(browser.lang);
    let (Some(meta), Some(o)) = (src.provider(), src.settings.oidc()) else {
        tracing::warn!(source = %src.id(), error = ?src.last_error(), "login through an OpenID Connect source not yet discovered");
        return Ok(message(
            app,
            browser,
            uri,
            s.unavailable_title,
            s.unavailable_body,
            vec![],
            Some((login_uri(ar).to_string(), t.back_to_login)),
            StatusCode::SERVICE_UNAVAILABLE,
        ));
    };
    let client = CoreClient::from_provider_metadata(
        (*meta).clone(),
        ClientId::new(o.client_id.clone()),
        Some(ClientSecret::new(o.client_secret.expose().to_string())),
    )
    .set_redirect_uri(RedirectUrl::new(callback_url(app, src.id())).map_err(WebError::internal)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in &o.scopes {
        req = req.add_scope(Scope::new(scope.clone()));
    }
    let (url, state, nonce) = req
        .set_pkce_challenge(challenge)
        .add_extra_param("ui_locales", browser.lang.as_str())
        .url();
    let binding = super::saml::browser_binding(app, browser);
    app.eph
        .put_pending(
            "oidc",
            &hash_secret(state.secret()),
            &SentOidc {
                source: src.id().to_string(),
                ar: ar.to_string(),
                binding: hash_secret(&binding),
                verifier: verifier.secret().clone(),
                nonce: nonce.secret().clone(),
            },
            app.settings.tokens.login_ttl_secs as i64,
        )
        .await?;
    tracing::info!(source = %src.id(), "sent to the OpenID Connect provider");
    Ok(with_cookies(
        Redirect::to(url.as_str()).into_response(),
        [
            super::saml::binding_cookie(app, &binding),
            set_cookie(app, "pv_last_source", src.id(), Some(365 * 86_400), "Lax"),
        ],
    ))
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /login/oidc/{id}/callback`
pub async fn callback(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let lang = browser.lang;
    no_store(
        callback_inner(&app, &browser, &uri, &id, q)
            .await
            .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}

async fn callback_inner(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    id: &str,
    q: CallbackQuery,
) -> Result<Response, WebError> {
    let s = source_texts(browser.lang);
    let ip = browser.ip_string();
    let refuse = |ar: &str, body: &'static str, status: StatusCode| {
        message(
            app,
            browser,
            uri,
            s.failed_title,
            body,
            vec![],
            Some((login_uri(ar).to_string(), s.try_again)),
            status,
        )
    };
    let Some(src) = app.sources.get(id).filter(|s| s.settings.oidc().is_some()) else {
        return Err(WebError::NotFound);
    };
    let Some(state) = q.state.as_deref() else {
        return Ok(refuse("", s.other_browser_body, StatusCode::BAD_REQUEST));
    };
    let Some(sent) = app
        .eph
        .take_pending::<SentOidc>("oidc", &hash_secret(state))
        .await?
    else {
        tracing::warn!(source = %id, ?ip, "OpenID Connect callback with an unknown, expired or used state");
        return Ok(refuse("", s.other_browser_body, StatusCode::BAD_REQUEST));
    };
    let ar = sent.ar.clone();
    let bound = super::saml::bound_to(app, browser, &sent.binding);
    if sent.source != id || !bound {
        tracing::warn!(source = %id, ?ip, "OpenID Connect callback in another browser or for another source");
        return Ok(refuse(&ar, s.other_browser_body, StatusCode::BAD_REQUEST));
    }
    if let Some(e) = &q.error {
        tracing::info!(source = %id, ?ip, error = %e, "the OpenID Connect provider did not authenticate");
        return Ok(refuse(&ar, s.cancelled_body, StatusCode::UNAUTHORIZED));
    }
    let (Some(code), Some(meta), Some(o)) = (q.code, src.provider(), src.settings.oidc()) else {
        return Ok(refuse(&ar, s.untrusted_body, StatusCode::FORBIDDEN));
    };
    let client = CoreClient::from_provider_metadata(
        (*meta).clone(),
        ClientId::new(o.client_id.clone()),
        Some(ClientSecret::new(o.client_secret.expose().to_string())),
    )
    .set_redirect_uri(RedirectUrl::new(callback_url(app, id)).map_err(WebError::internal)?);
    let exchange = match client.exchange_code(AuthorizationCode::new(code)) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(source = %id, error = %e, "the provider has no token endpoint");
            return Ok(refuse(&ar, s.untrusted_body, StatusCode::FORBIDDEN));
        }
    };
    let tokens = match exchange
        .set_pkce_verifier(PkceCodeVerifier::new(sent.verifier.clone()))
        .request_async(&app.http)
        .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(source = %id, ?ip, error = %e, "code exchange at the OpenID Connect provider failed");
            return Ok(refuse(&ar, s.untrusted_body, StatusCode::FORBIDDEN));
        }
    };
    let Some(id_token) = tokens.id_token() else {
        tracing::warn!(source = %id, "the provider returned no ID token");
        return Ok(refuse(&ar, s.untrusted_body, StatusCode::FORBIDDEN));
    };
    let claims = match id_token.claims(&client.id_token_verifier(), &Nonce::new(sent.nonce.clone()))
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(source = %id, ?ip, error = %e, "ID token from the OpenID Connect provider refused");
            return Ok(refuse(&ar, s.untrusted_body, StatusCode::FORBIDDEN));
        }
    };
    // Claims beside the standard ones (Entra's `oid`, `groups`), from the
    // payload whose signature, issuer, audience and nonce were just checked.
    let raw: serde_json::Map<String, serde_json::Value> = id_token
        .to_string()
        .split('.')
        .nth(1)
        .and_then(crate::tokens::b64url_decode)
        .and_then(|p| serde_json::from_slice(&p).ok())
        .unwrap_or_default();
    let text = |name: &str| -> Option<String> {
        match name {
            "sub" => Some(claims.subject().as_str().to_string()),
            "email" => claims.email().map(|e| e.as_str().to_string()),
            "given_name" => claims
                .given_name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_string()),
            "family_name" => claims
                .family_name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_string()),
            other => raw.get(other).and_then(|v| v.as_str()).map(str::to_string),
        }
    };
    let Some(subject) = text(&o.claims.subject).filter(|s| !s.is_empty()) else {
        tracing::warn!(source = %id, claim = %o.claims.subject, "the ID token lacks the subject claim");
        return Ok(refuse(&ar, s.untrusted_body, StatusCode::FORBIDDEN));
    };
    let groups = raw
        .get(&o.claims.groups)
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|g| g.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let identity = VerifiedIdentity {
        source: id.to_string(),
        subject,
        loa: o.loa,
        methods: vec![AuthMethod::Oidc],
        authenticated_at: claims
            .auth_time()
            .map(|t| t.timestamp())
            .unwrap_or_else(|| app.now()),
        attributes: Attributes {
            given_name: text(&o.claims.given_name),
            family_name: text(&o.claims.family_name),
            email: text(&o.claims.email),
            groups,
            organisation: src.settings.organisation.clone(),
            ..Attributes::default()
        },
    };
    complete_login(
        app,
        browser,
        identity,
        LoginContext {
            ar,
            ..LoginContext::default()
        },
    )
    .await
}
