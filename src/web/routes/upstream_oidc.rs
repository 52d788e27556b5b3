//! Login through an upstream OpenID Connect provider: an organisation's
//! (Entra ID and the like, `identity::oidc`) or Suomi.fi's on the FTN
//! profile (`identity::suomifi_oidc`) — the callback, and for the latter
//! our published keys (plain and signed) and the way back from its logout.
//! The person is sent there by `/login/source/{id}` (`saml::begin`, for
//! every redirect-based source).

use super::login::no_store;
use super::saml::{bound_to, ftn_rp, returned_login, rp};
use crate::app::{AppState, SharedState};
use crate::identity::oidc::Callback;
use crate::identity::redirect::RedirectSource;
use crate::web::browser::Browser;
use crate::web::error::{Localized, WebError};
use axum::extract::{Path, Query, State};
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// `GET /login/oidc/{id}/callback`
pub async fn callback(
    State(app): State<SharedState>,
    browser: Browser,
    Path(id): Path<String>,
    Query(q): Query<Callback>,
) -> Response {
    let lang = browser.lang;
    no_store(
        callback_inner(&app, &browser, &id, q)
            .await
            .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}

async fn callback_inner(
    app: &AppState,
    browser: &Browser,
    id: &str,
    q: Callback,
) -> Result<Response, WebError> {
    let Some(src) = app.sources.get(id) else {
        return Err(WebError::NotFound);
    };
    let ip = browser.ip_string();
    if src.settings.ftn().is_some() {
        let returned = ftn_rp(app)
            .finish(
                src,
                q,
                &|hash| bound_to(app, browser, hash),
                ip.as_deref(),
                browser.lang,
            )
            .await;
        return returned_login(app, browser, returned, "suomifi_oidc_response_refused").await;
    }
    if src.settings.oidc().is_none() {
        return Err(WebError::NotFound);
    }
    let returned = rp(app)
        .finish(
            src,
            q,
            &|hash| bound_to(app, browser, hash),
            ip.as_deref(),
            browser.lang,
        )
        .await;
    returned_login(app, browser, returned, "oidc_response_refused").await
}

/// `GET /login/oidc/{id}/jwks`: this gateway's keys for a `suomifi_oidc`
/// source — the key that signs request objects and client assertions
/// (`use: sig`) and the keys the provider encrypts to (`use: enc`), old
/// and new side by side while a key is being changed.
pub async fn jwks(State(app): State<SharedState>, Path(id): Path<String>) -> Response {
    let Some(keys) = app.sources.get(&id).and_then(|s| s.ftn_keys()) else {
        return Localized(WebError::NotFound, crate::domain::Lang::En).into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "application/jwk-set+json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        serde_json::to_string(&keys.jwks()).unwrap_or_default(),
    )
        .into_response()
}

/// `GET /login/oidc/{id}/signed-jwks`: the same keys as a JWT signed with
/// the source's `jwks_signing_key` (OpenID Federation's `signed_jwks_uri`).
pub async fn signed_jwks(State(app): State<SharedState>, Path(id): Path<String>) -> Response {
    let Some(src) = app.sources.get(&id) else {
        return Localized(WebError::NotFound, crate::domain::Lang::En).into_response();
    };
    let (Some(keys), Some(f)) = (src.ftn_keys(), src.settings.ftn()) else {
        return Localized(WebError::NotFound, crate::domain::Lang::En).into_response();
    };
    match keys.signed_jwks(&f.client_id, app.now()) {
        Some(Ok(jwt)) => (
            [
                (header::CONTENT_TYPE, "application/jwk-set+jwt"),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            jwt,
        )
            .into_response(),
        Some(Err(e)) => Localized(WebError::internal(e), crate::domain::Lang::En).into_response(),
        None => Localized(WebError::NotFound, crate::domain::Lang::En).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct LoggedOut {
    #[serde(default)]
    state: Option<String>,
}

/// `GET /login/oidc/{id}/logged-out`: back from the provider's logout; on
/// to where the logout was going, when the state is one we sent.
pub async fn logged_out(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<LoggedOut>,
) -> Response {
    let then = match q.state.as_deref() {
        Some(state) => super::saml::take_oidc_logout(&app, &id, state).await,
        None => Ok(None),
    };
    match then {
        Ok(Some(to)) => no_store(Redirect::to(&to).into_response()),
        Ok(None) => no_store(super::saml::logged_out_page(&app, &browser, &uri)),
        Err(e) => Localized(e, browser.lang).into_response(),
    }
}
