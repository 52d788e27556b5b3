//! Health, readiness, metrics and static assets.

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::SharedState;
use crate::store::StoreError;
use crate::web::browser::Browser;
use crate::web::error::{Localized, WebError};

pub async fn healthz() -> Response {
    (StatusCode::OK, axum::Json(json!({ "status": "ok" }))).into_response()
}

/// How long `/readyz` (and the start-up check) waits for each store: a
/// store that has stopped answering is "unavailable" after this, not
/// after the client's own connection and response timeouts.
pub const READY_WITHIN: Duration = Duration::from_secs(1);

/// Asks one store, giving up after [`READY_WITHIN`].
pub async fn ping_within<F>(store: &'static str, ping: F) -> Result<(), StoreError>
where
    F: std::future::Future<Output = Result<(), StoreError>>,
{
    match tokio::time::timeout(READY_WITHIN, ping).await {
        Ok(r) => r,
        Err(_) => Err(StoreError::Unavailable(format!(
            "{store}: no answer within {} ms",
            READY_WITHIN.as_millis()
        ))),
    }
}

/// Ready when both stores answer, each within [`READY_WITHIN`] (asked at
/// once, so a black-holed store costs one second, not more).
pub async fn readyz(State(app): State<SharedState>) -> Response {
    let (dir, eph) = tokio::join!(
        ping_within("directory", app.dir.ping()),
        ping_within("ephemeral", app.eph.ping())
    );
    let status = if dir.is_ok() && eph.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if let Err(e) = &dir {
        app.ready_log.failed("directory", e);
    }
    if let Err(e) = &eph {
        app.ready_log.failed("ephemeral", e);
    }
    let word = |r: &Result<(), _>| if r.is_ok() { "ok" } else { "unavailable" };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({
            "status": if status == StatusCode::OK { "ready" } else { "not ready" },
            "directory": word(&dir),
            "ephemeral": word(&eph),
        })),
    )
        .into_response()
}

pub async fn metrics(State(app): State<SharedState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/style.css"),
    )
        .into_response()
}

/// Submits the SAML POST-binding forms (no inline scripts under the CSP).
pub async fn autosubmit_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/autosubmit.js"),
    )
        .into_response()
}

/// Polls the mobile certificate login's status (no inline scripts under
/// the CSP).
pub async fn mobile_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/mobile.js"),
    )
        .into_response()
}

/// A small shield in the service's colour.
const FAVICON_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M16 2 4 6v9c0 7.5 5.1 13 12 15 6.9-2 12-7.5 12-15V6z" fill="#00598a"/><path d="m10 16 4 4 8-9" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>"##;

/// `GET /favicon.svg`, linked from every page.
pub async fn favicon_svg() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON_SVG,
    )
        .into_response()
}

/// `GET /favicon.ico`, which browsers ask for on their own: nothing, and
/// no error page.
pub async fn favicon_ico() -> Response {
    (
        StatusCode::NO_CONTENT,
        [(header::CACHE_CONTROL, "public, max-age=86400")],
    )
        .into_response()
}

/// Any other address: the not-found page in the person's language.
pub async fn not_found(browser: Browser) -> Response {
    Localized(WebError::NotFound, browser.lang).into_response()
}
