//! `/scim/v2/`: the SCIM 2.0 service provider for organisations'
//! identity management (RFC 7644). Handlers read the bearer token, the
//! query and the body, call `provisioning` through the client's handle,
//! and answer `application/scim+json`; errors are SCIM error bodies.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::admin::Principal;
use crate::app::SharedState;
use crate::provisioning::{self, ScimError, Users, schema, user};
use crate::store::ProvisioningClient;
use crate::web::browser::Browser;

const SCIM_JSON: &str = "application/scim+json";

/// A SCIM error as a response.
pub struct ScimReply(ScimError);

impl From<ScimError> for ScimReply {
    fn from(e: ScimError) -> Self {
        ScimReply(e)
    }
}

impl IntoResponse for ScimReply {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %e, "SCIM request failed");
        } else {
            tracing::info!(error = %e, status = e.status(), "SCIM request refused");
        }
        let mut resp = reply(status, &e.body());
        let h = resp.headers_mut();
        match e {
            ScimError::Unauthorized => {
                h.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"porttivahti-scim\""),
                );
            }
            ScimError::Unavailable(_) => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        resp
    }
}

type Result<T> = std::result::Result<T, ScimReply>;

fn reply(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn with_etag(mut resp: Response, etag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// An organisation's provisioning client, authenticated by its bearer
/// token, as the principal it acts as.
pub struct ScimCaller {
    pub client: ProvisioningClient,
    pub principal: Principal,
}

impl FromRequestParts<SharedState> for ScimCaller {
    type Rejection = ScimReply;

    async fn from_request_parts(parts: &mut Parts, app: &SharedState) -> Result<Self> {
        let Ok(browser) = Browser::from_request_parts(parts, app).await;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ScimError::Unauthorized)?;
        let client = provisioning::authenticate(app, token)
            .await?
            .ok_or_else(|| {
                tracing::warn!(
                    ip = browser.ip_string().as_deref().map(tracing::field::display),
                    "SCIM request with an unknown or revoked provisioning token; refused"
                );
                ScimError::Unauthorized
            })?;
        let principal = Principal::provisioning(&client, browser.ip_string());
        Ok(ScimCaller { client, principal })
    }
}

fn base(app: &SharedState) -> String {
    app.url("/scim/v2")
}

/// A JSON body (`application/scim+json` or `application/json`).
fn body(headers: &HeaderMap, bytes: &Bytes) -> Result<Value> {
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if !mime.is_empty() && mime != SCIM_JSON && mime != "application/json" {
        return Err(
            ScimError::InvalidSyntax("Send the body as application/scim+json.".into()).into(),
        );
    }
    serde_json::from_slice(bytes).map_err(|_| {
        ScimError::InvalidSyntax("The body is not a JSON object as SCIM describes it.".into())
            .into()
    })
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

fn number(name: &str, v: Option<&str>) -> Result<Option<u32>> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        // RFC 7644 §3.4.2.4: a negative count is read as zero.
        Some(v) if v.starts_with('-') && v[1..].bytes().all(|b| b.is_ascii_digit()) => Ok(Some(0)),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| ScimError::InvalidValue(format!("{name} must be a whole number.")).into()),
    }
}

fn names(v: Option<&str>) -> Vec<String> {
    v.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

impl ListParams {
    fn select(&self, doc: &mut Value) {
        user::select(
            doc,
            &names(self.attributes.as_deref()),
            &names(self.excluded_attributes.as_deref()),
        );
    }
}

fn query(parts: std::result::Result<Query<ListParams>, QueryRejection>) -> Result<ListParams> {
    parts
        .map(|Query(q)| q)
        .map_err(|_| ScimError::InvalidValue("The query string is not valid.".into()).into())
}

pub async fn service_provider_config(
    State(app): State<SharedState>,
    _caller: ScimCaller,
) -> Response {
    reply(
        StatusCode::OK,
        &schema::service_provider_config(&base(&app), &app.url("/docs/provisioning")),
    )
}

pub async fn resource_types(State(app): State<SharedState>, _caller: ScimCaller) -> Response {
    reply(
        StatusCode::OK,
        &schema::list(vec![schema::user_resource_type(&base(&app))]),
    )
}

pub async fn resource_type(
    State(app): State<SharedState>,
    _caller: ScimCaller,
    Path(id): Path<String>,
) -> Result<Response> {
    if id != "User" {
        return Err(ScimError::NotFound.into());
    }
    Ok(reply(
        StatusCode::OK,
        &schema::user_resource_type(&base(&app)),
    ))
}

pub async fn schemas(State(app): State<SharedState>, _caller: ScimCaller) -> Response {
    reply(StatusCode::OK, &schema::list(schema::schemas(&base(&app))))
}

pub async fn schema_by_id(
    State(app): State<SharedState>,
    _caller: ScimCaller,
    Path(id): Path<String>,
) -> Result<Response> {
    let found = schema::schemas(&base(&app))
        .into_iter()
        .find(|s| s["id"].as_str() == Some(id.as_str()))
        .ok_or(ScimError::NotFound)?;
    Ok(reply(StatusCode::OK, &found))
}

async fn list(app: &SharedState, caller: &ScimCaller, q: &ListParams) -> Result<Response> {
    let handle = provisioning::handle(app, &caller.principal, &caller.client).await?;
    let users = Users::new(&handle, base(app));
    let mut page = users
        .list(
            q.filter.as_deref(),
            number("startIndex", q.start_index.as_deref())?,
            number("count", q.count.as_deref())?,
        )
        .await?;
    for r in &mut page.resources {
        q.select(r);
    }
    Ok(reply(StatusCode::OK, &page.to_json()))
}

pub async fn list_users(
    State(app): State<SharedState>,
    caller: ScimCaller,
    q: std::result::Result<Query<ListParams>, QueryRejection>,
) -> Result<Response> {
    let q = query(q)?;
    list(&app, &caller, &q).await
}

/// `POST /Users/.search` (RFC 7644 §3.4.3): the list's parameters in a
/// SearchRequest body.
pub async fn search_users(
    State(app): State<SharedState>,
    caller: ScimCaller,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response> {
    let b = body(&headers, &bytes)?;
    let text = |k: &str| -> Option<String> {
        match b.get(k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            _ => None,
        }
    };
    let q = ListParams {
        filter: text("filter"),
        start_index: text("startIndex"),
        count: text("count"),
        attributes: text("attributes"),
        excluded_attributes: text("excludedAttributes"),
    };
    list(&app, &caller, &q).await
}

pub async fn create_user(
    State(app): State<SharedState>,
    caller: ScimCaller,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response> {
    let doc = body(&headers, &bytes)?;
    let handle = provisioning::handle(&app, &caller.principal, &caller.client).await?;
    let (resource, etag) = Users::new(&handle, base(&app)).create(&doc).await?;
    let mut resp = with_etag(reply(StatusCode::CREATED, &resource), &etag);
    if let Some(loc) = resource["meta"]["location"]
        .as_str()
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(resp)
}

pub async fn get_user(
    State(app): State<SharedState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    q: std::result::Result<Query<ListParams>, QueryRejection>,
) -> Result<Response> {
    let q = query(q)?;
    let handle = provisioning::handle(&app, &caller.principal, &caller.client).await?;
    let (mut resource, etag) = Users::new(&handle, base(&app)).get(&id).await?;
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if unchanged {
        let resp = StatusCode::NOT_MODIFIED.into_response();
        return Ok(with_etag(resp, &etag));
    }
    q.select(&mut resource);
    Ok(with_etag(reply(StatusCode::OK, &resource), &etag))
}

pub async fn replace_user(
    State(app): State<SharedState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response> {
    let doc = body(&headers, &bytes)?;
    let handle = provisioning::handle(&app, &caller.principal, &caller.client).await?;
    let (resource, etag) = Users::new(&handle, base(&app))
        .replace(&id, &doc, if_match(&headers))
        .await?;
    Ok(with_etag(reply(StatusCode::OK, &resource), &etag))
}

pub async fn patch_user(
    State(app): State<SharedState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response> {
    let doc = body(&headers, &bytes)?;
    let handle = provisioning::handle(&app, &caller.principal, &caller.client).await?;
    let (resource, etag) = Users::new(&handle, base(&app))
        .patch(&id, &doc, if_match(&headers))
        .await?;
    Ok(with_etag(reply(StatusCode::OK, &resource), &etag))
}

pub async fn delete_user(
    State(app): State<SharedState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let handle = provisioning::handle(&app, &caller.principal, &caller.client).await?;
    Users::new(&handle, base(&app))
        .delete(&id, if_match(&headers))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Any other path under `/scim/`: a SCIM 404.
pub fn fallback() -> Response {
    ScimReply(ScimError::NotFound).into_response()
}
