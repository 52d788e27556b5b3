//! A tower layer for relying services: a request passes only with a valid
//! bearer access token whose `portals` claim names the service's portal.
//! The verified claims go into the request's extensions as
//! [`VerifiedToken`]. Otherwise: 401 (no or bad token) or 403 (the person
//! does not reach this portal), each with `WWW-Authenticate` (RFC 6750).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use super::{Verifier, VerifyError};
use crate::tokens::claims::AccessTokenClaims;

/// The claims of the request's verified access token.
#[derive(Debug, Clone)]
pub struct VerifiedToken(pub Arc<AccessTokenClaims>);

#[derive(Clone)]
pub struct RequirePortalLayer {
    verifier: Arc<Verifier>,
    portal: Arc<str>,
}

impl RequirePortalLayer {
    pub fn new(verifier: Arc<Verifier>, portal: &str) -> Self {
        Self {
            verifier,
            portal: Arc::from(portal),
        }
    }
}

impl<S> Layer<S> for RequirePortalLayer {
    type Service = RequirePortal<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequirePortal {
            inner,
            verifier: self.verifier.clone(),
            portal: self.portal.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RequirePortal<S> {
    inner: S,
    verifier: Arc<Verifier>,
    portal: Arc<str>,
}

fn challenge(status: StatusCode, error: Option<(&str, &str)>) -> Response {
    let value = match error {
        None => "Bearer realm=\"porttivahti\"".to_string(),
        Some((code, desc)) => {
            format!("Bearer realm=\"porttivahti\", error=\"{code}\", error_description=\"{desc}\"")
        }
    };
    let mut r = status.into_response();
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

fn bearer(req: &Request) -> Option<&str> {
    let h = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = h.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl<S> Service<Request> for RequirePortal<S>
where
    S: Service<Request, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        // The clone that was made ready serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        let portal = self.portal.clone();
        Box::pin(async move {
            let Some(token) = bearer(&req).map(str::to_string) else {
                return Ok(challenge(StatusCode::UNAUTHORIZED, None));
            };
            match verifier.verify_for_portal(&token, &portal).await {
                Ok(c) => {
                    req.extensions_mut().insert(VerifiedToken(Arc::new(c)));
                    inner.call(req).await
                }
                Err(VerifyError::NotForPortal(_)) => Ok(challenge(
                    StatusCode::FORBIDDEN,
                    Some(("insufficient_scope", "the token does not grant this portal")),
                )),
                Err(VerifyError::Fetch(e)) | Err(VerifyError::Jwks(e)) => {
                    tracing::error!(error = %e, "verifier: the gateway's keys are unavailable");
                    Ok(StatusCode::SERVICE_UNAVAILABLE.into_response())
                }
                Err(e) => {
                    tracing::info!(error = %e, "verifier: token refused");
                    Ok(challenge(
                        StatusCode::UNAUTHORIZED,
                        Some(("invalid_token", "the access token is not valid")),
                    ))
                }
            }
        })
    }
}
