//! The regional service desk, through the operator handle: the
//! organisation register, liaison persons, any account (with a reason) and
//! the whole audit trail. Anyone else gets `not_found`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiPath, ApiQuery, AuditFormat, Body, Caller, json, number};
use crate::admin::{OneTimePassword, OperatorHandle, OperatorScope};
use crate::app::{AppState, SharedState};
use crate::domain::{Network, OrgKind};
use crate::store::{AuditQuery, LiaisonContact, Organisation};
use crate::web::time::parse_utc;

fn operator<'a>(app: &'a AppState, caller: &'a Caller) -> Result<OperatorHandle<'a>, ApiError> {
    OperatorScope::for_principal(app, &caller.principal).ok_or(ApiError::NotFound)
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    offset: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
struct Items<T> {
    items: Vec<T>,
}

/// `GET /admin/api/v1/organisations?q=`: the register, searched by name,
/// business id or municipality (at most 500).
pub async fn organisations(
    State(app): State<SharedState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Response, ApiError> {
    let op = operator(&app, &caller)?;
    let items = op.organisations(&p.q).await?;
    Ok(json(StatusCode::OK, &Items { items }))
}

/// Register data as sent: strings, parsed here so an error names its field.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name_fi: String,
    #[serde(default)]
    name_sv: String,
    #[serde(default)]
    business_id: String,
    #[serde(default)]
    oid: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    municipality: Option<String>,
    #[serde(default)]
    networks: Vec<String>,
}

impl OrgBody {
    /// The register entry, or the first field that is wrong. The handle
    /// checks the id and the names.
    fn parse(self, id: String) -> Result<Organisation, ApiError> {
        let field =
            |f: &'static str| ApiError::from(crate::admin::AdminError::invalid(f, "invalid"));
        let networks = self
            .networks
            .iter()
            .map(|n| n.parse::<Network>().map_err(|_| field("networks")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Organisation {
            id,
            business_id: self
                .business_id
                .trim()
                .parse()
                .map_err(|_| field("business_id"))?,
            oid: self.oid.trim().parse().map_err(|_| field("oid"))?,
            kind: self.kind.parse::<OrgKind>().map_err(|_| field("kind"))?,
            name_fi: self.name_fi.trim().to_string(),
            name_sv: self.name_sv.trim().to_string(),
            municipality: self
                .municipality
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty()),
            networks,
        })
    }
}

/// An organisation with its published liaison contacts.
#[derive(Serialize)]
struct OrgDetail {
    #[serde(flatten)]
    organisation: Organisation,
    liaisons: Vec<LiaisonContact>,
}

async fn detail(op: &OperatorHandle<'_>, id: &str) -> Result<OrgDetail, ApiError> {
    Ok(OrgDetail {
        organisation: op.organisation(id).await?,
        liaisons: op.liaisons(id).await?,
    })
}

fn created(body: &impl Serialize, location: &str) -> Response {
    let mut resp = json(StatusCode::CREATED, body);
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// `POST /admin/api/v1/organisations`: adds an organisation (201).
pub async fn create_organisation(
    State(app): State<SharedState>,
    caller: Caller,
    Body(body): Body<OrgBody>,
) -> Result<Response, ApiError> {
    let op = operator(&app, &caller)?;
    let id = body.id.clone().unwrap_or_default().trim().to_string();
    let org = body.parse(id)?;
    op.save_organisation(&org, false).await?;
    let d = detail(&op, &org.id).await?;
    Ok(created(
        &d,
        &format!("/admin/api/v1/organisations/{}", org.id),
    ))
}

/// `GET /admin/api/v1/organisations/{id}`.
pub async fn organisation(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let op = operator(&app, &caller)?;
    Ok(json(StatusCode::OK, &detail(&op, &id).await?))
}

/// `PUT /admin/api/v1/organisations/{id}`: replaces the register data.
pub async fn update_organisation(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    Body(body): Body<OrgBody>,
) -> Result<Response, ApiError> {
    let op = operator(&app, &caller)?;
    op.organisation(&id).await?;
    if body.id.as_deref().is_some_and(|b| b.trim() != id) {
        return Err(ApiError::invalid(
            "id",
            "The id cannot be changed; leave it out or repeat the one in the path.",
        ));
    }
    let org = body.parse(id)?;
    op.save_organisation(&org, true).await?;
    Ok(json(StatusCode::OK, &detail(&op, &org.id).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiaisonBody {
    #[serde(default)]
    username: String,
    #[serde(default)]
    network: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

/// `POST /admin/api/v1/organisations/{id}/liaisons`: appoints a liaison
/// person with the contact details they agreed to publish (201, the
/// organisation with its contacts).
pub async fn appoint_liaison(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    Body(body): Body<LiaisonBody>,
) -> Result<Response, ApiError> {
    let op = operator(&app, &caller)?;
    op.appoint_liaison(
        &id,
        &body.username,
        &body.network,
        body.email.as_deref().unwrap_or(""),
        body.phone.as_deref().unwrap_or(""),
    )
    .await?;
    let d = detail(&op, &id).await?;
    Ok(created(&d, &format!("/admin/api/v1/organisations/{id}")))
}

/// `DELETE /admin/api/v1/organisations/{id}/liaisons/{account_id}/{network}`:
/// 204; the account stays, its liaison membership and published contact
/// go.
pub async fn remove_liaison(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath((id, account_id, network)): ApiPath<(String, String, String)>,
) -> Result<Response, ApiError> {
    let op = operator(&app, &caller)?;
    op.organisation(&id).await?;
    if network.parse::<Network>().is_err() {
        return Err(ApiError::NotFound);
    }
    op.remove_liaison(&id, &account_id, &network).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::CACHE_CONTROL, "no-store")],
    )
        .into_response())
}

/// `GET /admin/api/v1/accounts?q=&offset=&limit=`: every account.
pub async fn accounts(
    State(app): State<SharedState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Response, ApiError> {
    let op = operator(&app, &caller)?;
    let offset = number("offset", p.offset.as_deref(), 0)?;
    let limit = number("limit", p.limit.as_deref(), 25)?;
    Ok(json(
        StatusCode::OK,
        &op.find_accounts(&p.q, offset, limit).await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[serde(default)]
    reason: String,
}

#[derive(Serialize)]
struct Reset {
    one_time_password: OneTimePassword,
}

/// `POST /admin/api/v1/accounts/{id}/{unlock|reset-password}`, with a
/// mandatory reason.
pub async fn account_action(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath((id, action)): ApiPath<(String, String)>,
    Body(body): Body<ReasonBody>,
) -> Result<Response, ApiError> {
    let op = operator(&app, &caller)?;
    match action.as_str() {
        "unlock" => {
            op.unlock(&id, &body.reason).await?;
            Ok(json(StatusCode::OK, &op.account(&id).await?))
        }
        "reset-password" => {
            let one_time_password = op.reset_password(&id, &body.reason).await?;
            Ok(json(StatusCode::OK, &Reset { one_time_password }))
        }
        _ => Err(ApiError::NotFound),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditParams {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    actor: String,
    since: Option<String>,
    until: Option<String>,
    offset: Option<String>,
    limit: Option<String>,
    format: Option<String>,
}

fn time(field: &'static str, v: Option<&str>) -> Result<Option<i64>, ApiError> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse_utc(v).map(Some).ok_or_else(|| {
            ApiError::invalid(
                field,
                "Give a time as 2026-01-15T12:00:00Z, a date as 2026-01-15, or Unix seconds.",
            )
        }),
    }
}

/// `GET /admin/api/v1/audit?subject=&org=&actor=&since=&until=&offset=&limit=&format=`:
/// everything, newest first; JSON by default (100 events), exports up to
/// 100,000.
pub async fn audit(
    State(app): State<SharedState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Response, ApiError> {
    let op = operator(&app, &caller)?;
    let format = AuditFormat::parse(p.format.as_deref())?;
    let default_limit = match format {
        AuditFormat::Json => 100,
        AuditFormat::Export(_) => 100_000,
    };
    let offset = number("offset", p.offset.as_deref(), 0)?;
    let limit = number("limit", p.limit.as_deref(), default_limit)?.clamp(1, 100_000);
    let since = time("since", p.since.as_deref())?;
    let until = time("until", p.until.as_deref())?;
    let events = op
        .audit_trail(&AuditQuery {
            subject: p.subject.trim(),
            org_id: p.org.trim(),
            actor: p.actor.trim(),
            since,
            until,
            offset,
            limit,
            ..Default::default()
        })
        .await?;
    Ok(format.respond(&events, offset, limit))
}
