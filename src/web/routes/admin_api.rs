//! The administration JSON API under `/admin/api/v1/`: the operations of
//! the admin UI for programs (the service desk's tools, scripts, a future
//! single-page UI). Handlers extract, ask the permission check for a handle
//! (`LiaisonScope::for_org`, `OperatorScope::for_principal`), call it, and
//! map the result to JSON; they reach the directory only through handles.
//!
//! Two ways in: the admin session cookie of a strongly identified person
//! (every state-changing request also carries `X-CSRF-Token`, so a
//! cross-site form cannot use the cookie), or a bearer access token from
//! the client-credentials grant of a client marked `service_desk`.
//! The machine-readable description is `GET /admin/api/v1/openapi.json`.

mod accounts;
mod events;
pub mod openapi;
mod operator;
mod provisioning;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use accounts::{
    account, account_action, audit as org_audit, create_account, edit_account, list_accounts,
};
pub use events::{deliveries as event_deliveries, retry as retry_event_delivery};
pub use operator::{
    account_action as operator_account_action, accounts as operator_accounts, appoint_liaison,
    audit as operator_audit, create_organisation, organisation, organisations, remove_liaison,
    update_organisation,
};
pub use provisioning::{
    create as create_provisioning_client, list as provisioning_clients,
    revoke as revoke_provisioning_client,
};

use crate::admin::{AdminError, LiaisonScope, Principal};
use crate::app::SharedState;
use crate::domain::{AuthMethod, Lang, LoA, Network};
use crate::store::{AuditEvent, StoreError};
use crate::web::admin_i18n::admin_texts;
use crate::web::browser::{Browser, with_cookies};
use crate::web::time::iso_utc;

/// The header that carries the CSRF token with the session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An API error: a status, a stable code, the field at fault, and a fixed
/// English message. Internal detail goes only to the log.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not authenticated")]
    Unauthenticated,
    #[error("bearer token refused")]
    InvalidToken,
    #[error("identification not strong enough")]
    NotStrong,
    /// A session started with a one-time password, not changed yet.
    #[error("the one-time password must be changed first")]
    PasswordChange,
    #[error("missing or wrong CSRF header")]
    Csrf,
    /// Unknown, or out of the caller's reach: one answer for both.
    #[error("not found")]
    NotFound,
    #[error("invalid {field}")]
    Invalid {
        field: String,
        message: &'static str,
    },
    #[error("body is not JSON")]
    UnsupportedMediaType,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    message: &'static str,
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: &'static str) -> Self {
        ApiError::Invalid {
            field: field.into(),
            message,
        }
    }

    /// A value that is not acceptable, with the admin UI's English text.
    fn field(field: &'static str, code: &str) -> Self {
        Self::invalid(field, admin_texts(Lang::En).field_error(field, code))
    }

    /// A body serde could not read. Only a field name the client sent is
    /// echoed, never serde's text.
    fn body(e: &serde_json::Error) -> Self {
        let text = e.to_string();
        let unknown = text
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name)
            .filter(|n| n.len() <= 64 && n.bytes().all(|b| b.is_ascii_graphic()));
        match unknown {
            Some(name) => Self::invalid(name, "This field is not part of the request."),
            None => Self::invalid(
                "body",
                "The body must be a JSON object with the documented fields and types.",
            ),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::InvalidToken => "invalid_token",
            ApiError::NotStrong => "not_strong",
            ApiError::PasswordChange => "password_change_required",
            ApiError::Csrf => "csrf",
            ApiError::NotFound => "not_found",
            ApiError::Invalid { .. } => "invalid",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Conflict(_) => "conflict",
            ApiError::Unavailable(_) => "temporarily_unavailable",
            ApiError::Internal(_) => "server_error",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated | ApiError::InvalidToken => StatusCode::UNAUTHORIZED,
            ApiError::NotStrong | ApiError::PasswordChange | ApiError::Csrf => {
                StatusCode::FORBIDDEN
            }
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Invalid { .. } => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => {
                "Log in to the administration, or present a service desk access token."
            }
            ApiError::InvalidToken => {
                "The access token is not valid here: it must be a current client-credentials \
                 token of a service desk client."
            }
            ApiError::NotStrong => {
                "Administration needs strong identification: log in with a second factor or a \
                 stronger method."
            }
            ApiError::PasswordChange => {
                "You logged in with a one-time password: change it at /password/change before \
                 anything else."
            }
            ApiError::Csrf => {
                "State-changing requests with the session cookie need the X-CSRF-Token header \
                 (its value is csrf_token in GET /admin/api/v1/me)."
            }
            ApiError::NotFound => "Not found.",
            ApiError::Invalid { message, .. } => message,
            ApiError::UnsupportedMediaType => "Send the request body as application/json.",
            ApiError::Conflict(_) => {
                "The request conflicts with the current state; reload and try again."
            }
            ApiError::Unavailable(_) => "The service is temporarily unavailable; try again soon.",
            ApiError::Internal(_) => {
                "Something went wrong on our side; the X-Request-Id header identifies it in the log."
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, code = self.code(), "admin api request failed");
        } else {
            tracing::info!(error = %self, code = self.code(), "admin api request refused");
        }
        let field = match &self {
            ApiError::Invalid { field, .. } => Some(field.as_str()),
            _ => None,
        };
        let body = ErrorBody {
            error: self.code(),
            field,
            message: self.message(),
        };
        let mut resp = json(status, &body);
        let h = resp.headers_mut();
        match self {
            ApiError::Unauthenticated => {
                h.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"porttivahti-admin\""),
                );
            }
            ApiError::InvalidToken => {
                h.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        "Bearer realm=\"porttivahti-admin\", error=\"invalid_token\"",
                    ),
                );
            }
            ApiError::Unavailable(_) => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => ApiError::Unavailable(m),
            StoreError::NotFound(_) => ApiError::NotFound,
            StoreError::Conflict(m) => ApiError::Conflict(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::NotFound => ApiError::NotFound,
            AdminError::Invalid { field, message } => ApiError::field(field, message),
            AdminError::Conflict(m) => ApiError::Conflict(m),
            AdminError::Store(s) => ApiError::from(s),
            AdminError::Internal(m) => ApiError::Internal(m),
        }
    }
}

/// A JSON response that no cache keeps (one-time passwords, personal data).
pub fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The JSON answer for any path under `/admin/api/` that is not a route.
pub fn fallback() -> Response {
    ApiError::NotFound.into_response()
}

/// The CSRF token of a session caller, and the cookie that goes with it
/// when the browser had none.
pub struct CsrfToken {
    pub token: String,
    pub set_cookie: Option<String>,
}

/// Who is calling, authenticated and strong enough; for a session caller,
/// the CSRF header was checked on a state-changing request.
pub struct Caller {
    pub principal: Principal,
    /// `None` for a bearer caller.
    pub csrf: Option<CsrfToken>,
}

impl FromRequestParts<SharedState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &SharedState) -> Result<Self, ApiError> {
        let Ok(browser) = Browser::from_request_parts(parts, app).await;
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            // A bearer token is the whole answer: no cookie fallback.
            let token = value
                .to_str()
                .ok()
                .and_then(|h| {
                    h.strip_prefix("Bearer ")
                        .or_else(|| h.strip_prefix("bearer "))
                })
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or(ApiError::InvalidToken)?;
            let client_id = crate::oidc::check_service_desk_token(app, token)
                .await?
                .ok_or(ApiError::InvalidToken)?;
            return Ok(Caller {
                principal: Principal::service(&client_id, browser.ip_string()),
                csrf: None,
            });
        }
        let Some((_, session)) = browser.session(app).await? else {
            if browser.password_change_pending(app, "/admin/api/").await? {
                return Err(ApiError::PasswordChange);
            }
            return Err(ApiError::Unauthenticated);
        };
        let Some(principal) = Principal::of_session(app, &session, browser.ip_string()).await?
        else {
            return Err(ApiError::Unauthenticated);
        };
        if !principal.strong() {
            return Err(ApiError::NotStrong);
        }
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let presented = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !browser.csrf_ok(app, presented) {
                return Err(ApiError::Csrf);
            }
        }
        let (token, set_cookie) = browser.csrf(app);
        Ok(Caller {
            principal,
            csrf: Some(CsrfToken { token, set_cookie }),
        })
    }
}

/// Path parameters; a path that does not parse is a path that does not
/// exist.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<SharedState> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &SharedState) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, app)
            .await
            .map(|Path(t)| ApiPath(t))
            .map_err(|_| ApiError::NotFound)
    }
}

/// Query parameters (every field a string, parsed by the handler so that
/// an error names its field).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<SharedState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &SharedState) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, app)
            .await
            .map(|axum::extract::Query(t)| ApiQuery(t))
            .map_err(|_| ApiError::invalid("query", "The query string is not valid."))
    }
}

/// A JSON request body. An empty body reads as `{}` (an action without a
/// reason); anything else must be `application/json`.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + Default> FromRequest<SharedState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &SharedState) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        let bytes = Bytes::from_request(req, app)
            .await
            .map_err(|_| ApiError::invalid("body", "The body could not be read."))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body(T::default()));
        }
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| ApiError::body(&e))
    }
}

/// An optional number in the query: absent is `default`.
pub fn number(field: &'static str, value: Option<&str>, default: u32) -> Result<u32, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| ApiError::invalid(field, "Give a whole number (0 or more).")),
    }
}

/// An audit event as the API shows it: the stored record and its time in
/// ISO 8601 UTC (as in the JSON-lines export).
pub fn event_json(e: &AuditEvent) -> serde_json::Value {
    let mut v = serde_json::to_value(e).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("time".into(), serde_json::json!(iso_utc(e.at)));
    }
    v
}

/// `format=json|jsonl|csv` of the audit routes.
pub enum AuditFormat {
    Json,
    Export(&'static str),
}

impl AuditFormat {
    pub fn parse(s: Option<&str>) -> Result<Self, ApiError> {
        match s.map(str::trim).unwrap_or("") {
            "" | "json" => Ok(AuditFormat::Json),
            "jsonl" => Ok(AuditFormat::Export("jsonl")),
            "csv" => Ok(AuditFormat::Export("csv")),
            _ => Err(ApiError::invalid("format", "Use json, jsonl or csv.")),
        }
    }

    /// The response for `events` read from `offset` with `limit`.
    pub fn respond(self, events: &[AuditEvent], offset: u32, limit: u32) -> Response {
        match self {
            AuditFormat::Json => json(
                StatusCode::OK,
                &serde_json::json!({
                    "items": events.iter().map(event_json).collect::<Vec<_>>(),
                    "offset": offset,
                    "limit": limit,
                }),
            ),
            AuditFormat::Export(format) => {
                let mut resp = crate::web::routes::admin::export(events, format);
                resp.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                resp
            }
        }
    }
}

#[derive(Serialize)]
struct Me {
    principal: MePrincipal,
    operator: bool,
    organisations: Vec<MeOrganisation>,
    /// The value for `X-CSRF-Token`; only for a session caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
}

#[derive(Serialize)]
struct MePrincipal {
    id: String,
    name: String,
    kind: &'static str,
    loa: LoA,
    methods: Vec<AuthMethod>,
}

#[derive(Serialize)]
struct MeOrganisation {
    id: String,
    name_fi: String,
    name_sv: String,
    networks: Vec<Network>,
}

/// `GET /admin/api/v1/me`: who is calling, which organisations they
/// administer (as a liaison person), and whether they are the service desk.
pub async fn me(State(app): State<SharedState>, caller: Caller) -> Result<Response, ApiError> {
    let p = &caller.principal;
    let mut organisations = Vec::new();
    for (org_id, networks) in p.liaison_orgs() {
        if let Some(h) = LiaisonScope::for_org(&app, p, &org_id).await? {
            let org = h.org();
            organisations.push(MeOrganisation {
                id: org.id.clone(),
                name_fi: org.name_fi.clone(),
                name_sv: org.name_sv.clone(),
                networks,
            });
        }
    }
    let body = Me {
        principal: MePrincipal {
            id: p.account_id.clone(),
            name: p.name.clone(),
            kind: if p.service_client {
                "service_client"
            } else {
                "person"
            },
            loa: p.loa,
            methods: p.methods.clone(),
        },
        operator: p.operator,
        organisations,
        csrf_token: caller.csrf.as_ref().map(|c| c.token.clone()),
    };
    let resp = json(StatusCode::OK, &body);
    Ok(with_cookies(resp, caller.csrf.and_then(|c| c.set_cookie)))
}

/// `GET /admin/api/v1/openapi.json`: public, like the discovery document.
pub async fn openapi_json(State(app): State<SharedState>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(openapi::document(&app)),
    )
        .into_response()
}
