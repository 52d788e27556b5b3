//! Logging in with a passkey: username-less from the login page
//! (discoverable credentials, offered in the username field's autofill),
//! and as the second factor after a password. The options come from a
//! POST with the form's CSRF token, which binds the ceremony to this
//! browser; the answer comes back in an ordinary form and ends like any
//! login, through `login::respond`.

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;

use super::login::{message, no_store, respond};
use crate::app::{AppState, SharedState};
use crate::identity::passkey::AssertionResponse;
use crate::identity::passkey::ceremony::{self, Purpose};
use crate::login::passkey::{PasskeyOutcome, relying_party};
use crate::login::{self, Outcome};
use crate::store::StoreError;
use crate::web::browser::{Browser, clear_cookie, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::texts;
use crate::web::passkey_i18n::passkey_texts;

/// `GET /static/passkey.js`.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/passkey.js"),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

fn json_error(status: StatusCode, code: &'static str) -> Response {
    no_store((status, Json(serde_json::json!({ "error": code }))).into_response())
}

fn unavailable(e: StoreError) -> Response {
    tracing::error!(error = %e, request_id = ?crate::web::middleware::current_request_id(), "passkey options: store");
    json_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
}

/// `POST /login/passkey/options`: a challenge for a username-less login,
/// user verification required.
pub async fn login_options(
    State(app): State<SharedState>,
    browser: Browser,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !app.settings.passkeys.enabled {
        return json_error(StatusCode::NOT_FOUND, "not_found");
    }
    if !browser.csrf_ok(&app, &f.csrf) {
        return json_error(StatusCode::FORBIDDEN, "csrf");
    }
    match ceremony::begin(&app.eph, &f.csrf, Purpose::Login, true).await {
        Ok(c) => {
            no_store(Json(ceremony::request_options(&relying_party(&app), &c, &[])).into_response())
        }
        Err(e) => unavailable(e),
    }
}

/// `POST /login/otp/passkey/options`: a challenge for the password login
/// waiting for its second factor, naming that account's passkeys.
pub async fn second_options(
    State(app): State<SharedState>,
    browser: Browser,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !browser.csrf_ok(&app, &f.csrf) {
        return json_error(StatusCode::FORBIDDEN, "csrf");
    }
    let inner = async {
        let Some(ticket) = browser.cookie(&app, "pv_mfa") else {
            return Ok(json_error(StatusCode::UNAUTHORIZED, "login"));
        };
        let Some(pending) = login::second_factor::pending(&app, ticket).await? else {
            return Ok(json_error(StatusCode::UNAUTHORIZED, "login"));
        };
        let allow: Vec<Vec<u8>> = app
            .dir
            .passkeys(&pending.account_id)
            .await?
            .iter()
            .filter_map(|k| crate::crypto::b64url_decode(&k.credential_id))
            .collect();
        let purpose = Purpose::SecondFactor {
            account_id: pending.account_id,
        };
        let c = ceremony::begin(&app.eph, &f.csrf, purpose, false).await?;
        Ok(no_store(
            Json(ceremony::request_options(&relying_party(&app), &c, &allow)).into_response(),
        ))
    };
    inner.await.unwrap_or_else(unavailable)
}

#[derive(Deserialize)]
pub struct AssertionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ar: String,
    #[serde(default)]
    credential: String,
}

/// The page for a refused passkey login: try again, or use the password.
fn refused(app: &AppState, browser: &Browser, ar: &str, back: &str) -> Response {
    let t = texts(browser.lang);
    let p = passkey_texts(browser.lang);
    let link = if ar.is_empty() {
        back.to_string()
    } else {
        format!("{back}?ar={ar}")
    };
    let uri: Uri = link.parse().unwrap_or_default();
    no_store(message(
        app,
        browser,
        &uri,
        t.error_title,
        p.refused,
        vec![],
        Some((link.clone(), t.back_to_login)),
        StatusCode::UNAUTHORIZED,
    ))
}

fn parse(credential: &str) -> Option<AssertionResponse> {
    serde_json::from_str(credential).ok()
}

async fn render(
    app: &AppState,
    browser: &Browser,
    outcome: PasskeyOutcome,
    ar: &str,
    back: &str,
) -> Result<Response, WebError> {
    match outcome {
        PasskeyOutcome::Started(started) => {
            let next = respond(app, browser, Outcome::Started(started), ar).await?;
            Ok(with_cookies(next, [clear_cookie(app, "pv_mfa")]))
        }
        PasskeyOutcome::NotActive(account) => {
            respond(app, browser, Outcome::NotActive(account), ar).await
        }
        PasskeyOutcome::Refused(_) => Ok(refused(app, browser, ar, back)),
    }
}

/// `POST /login/passkey`: a username-less login.
pub async fn login_post(
    State(app): State<SharedState>,
    browser: Browser,
    Form(f): Form<AssertionForm>,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        if !app.settings.passkeys.enabled {
            return Err(WebError::NotFound);
        }
        if !browser.csrf_ok(&app, &f.csrf) {
            tracing::info!(ip = ?browser.ip, "passkey login refused: CSRF token not of this browser");
            return Ok(refused(&app, &browser, &f.ar, "/login"));
        }
        let Some(response) = parse(&f.credential) else {
            tracing::info!(ip = ?browser.ip, "passkey login refused: the credential is not an assertion");
            return Ok(refused(&app, &browser, &f.ar, "/login"));
        };
        let attempt = browser.attempt(&app).await?;
        let outcome = login::passkey::login(&app, &attempt, &f.csrf, &response, &f.ar).await?;
        render(&app, &browser, outcome, &f.ar, "/login").await
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}

/// `POST /login/otp/passkey`: the second factor of a password login.
pub async fn second_post(
    State(app): State<SharedState>,
    browser: Browser,
    Form(f): Form<AssertionForm>,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        let Some(ticket) = browser.cookie(&app, "pv_mfa") else {
            return Ok(Redirect::to("/login").into_response());
        };
        let Some(pending) = login::second_factor::pending(&app, ticket).await? else {
            return Ok(Redirect::to("/login").into_response());
        };
        if !browser.csrf_ok(&app, &f.csrf) {
            tracing::info!(ip = ?browser.ip, "passkey second factor refused: CSRF token not of this browser");
            return Ok(refused(&app, &browser, &f.ar, "/login/otp"));
        }
        let Some(response) = parse(&f.credential) else {
            return Ok(refused(&app, &browser, &f.ar, "/login/otp"));
        };
        let attempt = browser.attempt(&app).await?;
        let outcome =
            login::passkey::second(&app, &attempt, &f.csrf, ticket, pending, &response, &f.ar)
                .await?;
        render(&app, &browser, outcome, &f.ar, "/login/otp").await
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}
