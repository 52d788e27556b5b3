//! `POST /introspect` (RFC 7662) and `POST /revoke` (RFC 7009), for
//! confidential clients authenticating as at the token endpoint.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::oidc::{client_auth, token_error};
use crate::app::{AppState, Client, SharedState};
use crate::oidc::TokenError;

#[derive(Debug, Deserialize)]
pub struct TokenParam {
    token: Option<String>,
    #[allow(dead_code)]
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The calling client: confidential, with the right secret.
fn authenticate<'a>(
    app: &'a AppState,
    headers: &HeaderMap,
    f: &TokenParam,
) -> Result<&'a Client, (TokenError, bool)> {
    let (id, secret, basic) =
        client_auth(headers, f.client_id.as_deref(), f.client_secret.as_deref())
            .map_err(|e| (e, true))?;
    let client = app
        .clients
        .get(&id)
        .ok_or((TokenError::InvalidClient, basic))?;
    match &secret {
        Some(s) if !client.is_public() && client.secret_matches(s) => Ok(client),
        _ => Err((TokenError::InvalidClient, basic)),
    }
}

/// `POST /introspect`.
pub async fn introspect(
    State(app): State<SharedState>,
    headers: HeaderMap,
    Form(f): Form<TokenParam>,
) -> Response {
    let client = match authenticate(&app, &headers, &f) {
        Ok(c) => c,
        Err((e, basic)) => return token_error(&e, basic),
    };
    let Some(token) = f.token.as_deref() else {
        return token_error(&TokenError::InvalidRequest("token is missing"), false);
    };
    match crate::oidc::introspection::introspect(&app, client, token).await {
        Ok(answer) => ([(header::CACHE_CONTROL, "no-store")], axum::Json(answer)).into_response(),
        Err(e) => token_error(&TokenError::Store(e), false),
    }
}

/// `POST /revoke`: 200 for every authenticated request with a token, as
/// RFC 7009 §2.2 asks, whatever the token was.
pub async fn revoke(
    State(app): State<SharedState>,
    headers: HeaderMap,
    Form(f): Form<TokenParam>,
) -> Response {
    let client = match authenticate(&app, &headers, &f) {
        Ok(c) => c,
        Err((e, basic)) => return token_error(&e, basic),
    };
    let Some(token) = f.token.as_deref() else {
        return token_error(&TokenError::InvalidRequest("token is missing"), false);
    };
    match crate::oidc::introspection::revoke(&app, client, token).await {
        Ok(_) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(e) => token_error(&TokenError::Store(e), false),
    }
}
