//! The web layer's errors. Internal detail goes to the log with the
//! request id; the person reads a message in their language and a stable
//! code.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::pages;
use crate::domain::Lang;
use crate::store::StoreError;

/// An error shown to a person as a page.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unknown client {0:?}")]
    UnknownClient(String),
    #[error("redirect_uri {0:?} is not registered for the client")]
    BadRedirect(String),
    #[error("not found")]
    NotFound,
    /// A per-address limit was reached (logged where it was counted).
    #[error("too many requests")]
    TooManyRequests,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl WebError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        WebError::Internal(e.to_string())
    }

    fn code(&self) -> &'static str {
        match self {
            WebError::BadRequest(_) => "bad_request",
            WebError::UnknownClient(_) => "unknown_client",
            WebError::BadRedirect(_) => "invalid_redirect_uri",
            WebError::NotFound => "not_found",
            WebError::TooManyRequests => "too_many_requests",
            WebError::Unavailable(_) => "temporarily_unavailable",
            WebError::Internal(_) => "server_error",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) | WebError::UnknownClient(_) | WebError::BadRedirect(_) => {
                StatusCode::BAD_REQUEST
            }
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Renders the page in `lang`.
    pub fn page(self, lang: Lang) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, code = self.code(), "request failed");
        } else if status == StatusCode::TOO_MANY_REQUESTS {
            // A flood would write a line per request; the limit logs once.
            tracing::debug!(code = self.code(), "request refused");
        } else {
            tracing::info!(error = %self, code = self.code(), "request refused");
        }
        let t = super::i18n::texts(lang);
        let message = match &self {
            WebError::BadRequest(_) => t.error_bad_request,
            WebError::UnknownClient(_) => t.error_unknown_client,
            WebError::BadRedirect(_) => t.error_bad_redirect,
            WebError::NotFound => t.error_not_found,
            WebError::TooManyRequests => t.err_rate_limited,
            WebError::Unavailable(_) => t.error_unavailable,
            WebError::Internal(_) => t.error_internal,
        };
        let mut resp = pages::error_page(t, message, self.code(), status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        resp
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => WebError::Unavailable(m),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.page(Lang::Fi)
    }
}

/// A page handler's result with the language to render errors in.
pub struct Localized(pub WebError, pub Lang);

impl IntoResponse for Localized {
    fn into_response(self) -> Response {
        self.0.page(self.1)
    }
}
