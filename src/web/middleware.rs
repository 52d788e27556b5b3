//! Request id on every log line, one access line per request, the request
//! histogram, security headers.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::app::SharedState;
use crate::telemetry::Metrics;

tokio::task_local! {
    static REQUEST_ID: String;
    static PAGE: PageContext;
}

/// The id of the request being served, for pages that show it.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// What a page rendered far from its handler (an error page) needs to
/// know about the request it answers.
#[derive(Clone)]
pub struct PageContext {
    /// The address of a GET request (path and query): the same page can be
    /// asked for again, e.g. in another language. `None` for other methods.
    pub get_uri: Option<Uri>,
    pub state: SharedState,
}

/// The context of the request being served, if any.
pub fn current_page() -> Option<PageContext> {
    PAGE.try_with(Clone::clone).ok()
}

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn request_context(
    State(state): State<SharedState>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = crate::tokens::random_token(12);
    let method = req.method().clone();
    // The path only: a query can hold codes, tokens and state.
    let path = crate::web::limits::clip(req.uri().path(), 256);
    // The route's template (`/admin/orgs/{org}/accounts/{id}`), never the
    // raw path, so that the metrics' label values stay few.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        path = %path,
    );
    Metrics::inc(&state.metrics.counters.http_requests_total);
    let page = PageContext {
        get_uri: (req.method() == Method::GET).then(|| req.uri().clone()),
        state: state.clone(),
    };
    let mut resp = REQUEST_ID
        .scope(id.clone(), PAGE.scope(page, next.run(req)))
        .instrument(span.clone())
        .await;
    let status = resp.status();
    if status.is_server_error() {
        Metrics::inc(&state.metrics.counters.http_server_errors_total);
    }
    let elapsed = started.elapsed();
    state.metrics.http.observe(
        &[method.as_str(), &route, status.as_str()],
        elapsed.as_secs_f64(),
    );
    // One access line per request, outside the request's span so that it
    // carries each field once.
    tracing::info!(
        target: "porttivahti::access",
        request_id = %id,
        method = %method,
        path = %path,
        route = %route,
        status = status.as_u16(),
        duration_ms = (elapsed.as_secs_f64() * 10_000.0).round() / 10.0,
        "request"
    );
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(X_REQUEST_ID.clone(), v);
    }
    // A page that frames others (front-channel logout) sets its own.
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
        ));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if state.settings.server.is_https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    resp
}
