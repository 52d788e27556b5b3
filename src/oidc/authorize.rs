//! The authorization request (`GET /authorize`, OpenID Connect Core
//! §3.1.2): parsed and checked here, apart from HTTP. The client and its
//! redirect URI come first: until both are known, an error is a page of
//! ours, never a redirect; after that, every error goes back to the
//! client with its `state` (RFC 6749 §4.1.2.1, RFC 9207 `iss`).

use serde::Deserialize;

use super::bounds::{self, clip, param_problem};
use super::{Client, Provider, redirect_with};
use crate::config::GrantType;
use crate::store::ephemeral::{AuthRequest, Session};

/// The query of an authorization request, as sent.
#[derive(Debug, Default, Deserialize)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    /// A source id: skip the choice of where to log in.
    pub idp_hint: Option<String>,
    pub acr_values: Option<String>,
    #[serde(rename = "request")]
    pub request_object: Option<String>,
}

/// Why an authorization request is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthorizeError {
    /// No such client (the id clipped for the page and the log).
    UnknownClient(String),
    /// The redirect URI is not one the client registered (clipped).
    BadRedirect(String),
    /// Any later error: goes back to the client.
    ToClient {
        redirect_uri: String,
        error: &'static str,
        description: String,
        /// The request's `state`, unless it was itself refused.
        state: Option<String>,
    },
}

impl AuthorizeError {
    /// Where to send the browser, for an error that goes to the client.
    pub fn redirect(&self, issuer: &str) -> Option<String> {
        match self {
            AuthorizeError::ToClient {
                redirect_uri,
                error,
                description,
                state,
            } => Some(redirect_with(
                redirect_uri,
                &[
                    ("error", Some(error)),
                    ("error_description", Some(description)),
                    ("state", state.as_deref()),
                    ("iss", Some(issuer)),
                ],
            )),
            _ => None,
        }
    }
}

/// A checked authorization request.
pub struct Authorization<'a> {
    pub client: &'a Client,
    /// What a pending login stores.
    pub request: AuthRequest,
    /// `prompt=none`: answer at once, without a login page.
    pub prompt_none: bool,
    /// `prompt=login`: a new login even with a session.
    pub prompt_login: bool,
}

impl Authorization<'_> {
    /// Whether `session` serves this request without a new login: not
    /// `prompt=login`, within `max_age`, and at the level asked for.
    pub fn served_by(&self, session: &Session, now: i64) -> bool {
        let fresh = self
            .request
            .max_age
            .is_none_or(|m| now - session.auth_time <= m);
        let strong = self.request.min_loa.is_none_or(|m| session.loa >= m);
        !self.prompt_login && fresh && strong
    }

    /// An error for the client, e.g. `login_required` for `prompt=none`
    /// without a session.
    pub fn error(&self, error: &'static str, description: &str) -> AuthorizeError {
        AuthorizeError::ToClient {
            redirect_uri: self.request.redirect_uri.clone(),
            error,
            description: description.to_string(),
            state: self.request.state.clone(),
        }
    }
}

/// Parses and checks an authorization request; `ip` names the sender in
/// the log line of a refused oversized parameter.
pub fn parse<'a>(
    p: &'a Provider,
    q: AuthorizeParams,
    ip: Option<&str>,
) -> Result<Authorization<'a>, AuthorizeError> {
    let client_id = q.client_id.as_deref().unwrap_or("");
    let client = p
        .clients
        .get(client_id)
        .ok_or_else(|| AuthorizeError::UnknownClient(clip(client_id, bounds::MAX_CLIENT_ID)))?;
    let redirect_uri = q.redirect_uri.clone().unwrap_or_default();
    if !client
        .settings
        .redirect_uris
        .iter()
        .any(|u| u == &redirect_uri)
    {
        return Err(AuthorizeError::BadRedirect(clip(
            &redirect_uri,
            bounds::MAX_REDIRECT_URI,
        )));
    }
    // Every parameter a pending login stores has a longest length.
    let too_long = [
        ("state", q.state.as_deref(), bounds::MAX_STATE),
        ("nonce", q.nonce.as_deref(), bounds::MAX_NONCE),
        ("scope", q.scope.as_deref(), bounds::MAX_SCOPE),
        (
            "login_hint",
            q.login_hint.as_deref(),
            bounds::MAX_LOGIN_HINT,
        ),
        ("idp_hint", q.idp_hint.as_deref(), bounds::MAX_IDP_HINT),
        (
            "acr_values",
            q.acr_values.as_deref(),
            bounds::MAX_ACR_VALUES,
        ),
    ]
    .into_iter()
    .find_map(|(name, v, max)| param_problem(name, v, max));
    // A state that is refused is not sent back either.
    let state = q
        .state
        .clone()
        .filter(|s| param_problem("state", Some(s), bounds::MAX_STATE).is_none());
    // From here on errors go back to the client.
    let fail = |error: &'static str, desc: &str| AuthorizeError::ToClient {
        redirect_uri: redirect_uri.clone(),
        error,
        description: desc.to_string(),
        state: state.clone(),
    };
    if let Some(problem) = too_long {
        tracing::warn!(client = %client.id(), %problem, ip = ip.map(tracing::field::display), "authorization request refused: a parameter is too long or has control characters");
        return Err(fail("invalid_request", &problem));
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(fail(
            "unauthorized_client",
            "the client may not use the authorization code flow",
        ));
    }
    if q.request_object.is_some() {
        return Err(fail(
            "request_not_supported",
            "request objects are not supported",
        ));
    }
    if q.response_type.as_deref() != Some("code") {
        return Err(fail(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    let scope: Vec<String> = q
        .scope
        .as_deref()
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if !scope.iter().any(|s| s == "openid") {
        return Err(fail("invalid_scope", "the openid scope is required"));
    }
    match (
        q.code_challenge.as_deref(),
        q.code_challenge_method.as_deref(),
    ) {
        (None, _) if client.is_public() => {
            return Err(fail(
                "invalid_request",
                "PKCE (code_challenge with S256) is required",
            ));
        }
        (None, Some(_)) => return Err(fail("invalid_request", "code_challenge is missing")),
        (Some(_), m) if m != Some("S256") => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        (Some(c), _) if c.len() != 43 || crate::tokens::b64url_decode(c).is_none() => {
            return Err(fail(
                "invalid_request",
                "code_challenge is not a base64url SHA-256",
            ));
        }
        _ => {}
    }
    let prompts: Vec<&str> = q.prompt.as_deref().unwrap_or("").split(' ').collect();
    let prompt_none = prompts.contains(&"none");
    let prompt_login = prompts.contains(&"login");
    if prompt_none && prompts.iter().any(|x| !x.is_empty() && *x != "none") {
        return Err(fail("invalid_request", "prompt=none cannot be combined"));
    }
    let max_age = match q.max_age.as_deref() {
        None | Some("") => None,
        Some(m) => match m.parse::<i64>() {
            Ok(v) if v >= 0 => Some(v),
            _ => {
                return Err(fail(
                    "invalid_request",
                    "max_age must be a non-negative integer",
                ));
            }
        },
    };
    let request = AuthRequest {
        client_id: client.id().to_string(),
        redirect_uri,
        scope,
        state: q.state,
        nonce: q.nonce,
        code_challenge: q.code_challenge,
        login_hint: q.login_hint,
        idp_hint: q.idp_hint.filter(|h| !h.is_empty()),
        max_age,
        created_at: p.now(),
        min_loa: q
            .acr_values
            .as_deref()
            .and_then(crate::policy::loa_of_acr_values),
    };
    Ok(Authorization {
        client,
        request,
        prompt_none,
        prompt_login,
    })
}
