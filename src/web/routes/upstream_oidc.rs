//! Organisation login through an upstream OpenID Connect provider (Entra
//! ID and the like): the callback. The person is sent there by
//! `/login/source/{id}` (`saml::begin`, for every redirect-based source);
//! the protocol is `identity::oidc`.

use super::login::no_store;
use super::saml::{bound_to, returned_login, rp};
use crate::app::{AppState, SharedState};
use crate::identity::oidc::Callback;
use crate::identity::redirect::RedirectSource;
use crate::web::browser::Browser;
use crate::web::error::{Localized, WebError};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

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
    let Some(src) = app.sources.get(id).filter(|s| s.settings.oidc().is_some()) else {
        return Err(WebError::NotFound);
    };
    let ip = browser.ip_string();
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
