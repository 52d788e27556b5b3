//! Health, readiness, metrics and static assets.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::SharedState;

pub async fn healthz() -> Response {
    (StatusCode::OK, axum::Json(json!({ "status": "ok" }))).into_response()
}

/// Ready when both stores answer.
pub async fn readyz(State(app): State<SharedState>) -> Response {
    let dir = app.dir.ping().await;
    let eph = app.eph.ping().await;
    let status = if dir.is_ok() && eph.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if let Err(e) = &dir {
        tracing::debug!(error = %e, "directory not ready");
    }
    if let Err(e) = &eph {
        tracing::debug!(error = %e, "ephemeral store not ready");
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
