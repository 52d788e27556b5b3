//! An organisation's accounts and audit trail, through the liaison handle:
//! `/admin/api/v1/orgs/{org}/…`. An organisation or account out of the
//! caller's reach answers exactly as one that does not exist.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiPath, ApiQuery, AuditFormat, Body, Caller, json, number};
use crate::admin::{AccountView, CreateAccount, LiaisonHandle, LiaisonScope, OneTimePassword};
use crate::app::{AppState, SharedState};

/// The handle for `org`, or not found.
async fn liaison<'a>(
    app: &'a AppState,
    caller: &'a Caller,
    org: &str,
) -> Result<LiaisonHandle<'a>, ApiError> {
    LiaisonScope::for_org(app, &caller.principal, org)
        .await?
        .ok_or(ApiError::NotFound)
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    offset: Option<String>,
    limit: Option<String>,
}

/// `GET /admin/api/v1/orgs/{org}/accounts?q=&offset=&limit=`.
pub async fn list_accounts(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let h = liaison(&app, &caller, &org).await?;
    let offset = number("offset", p.offset.as_deref(), 0)?;
    let limit = number("limit", p.limit.as_deref(), 25)?;
    let page = h.list(&p.q, offset, limit).await?;
    Ok(json(StatusCode::OK, &page))
}

/// The body of account creation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccountBody {
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    title: Option<String>,
    /// The network of the first membership.
    #[serde(default)]
    network: String,
}

/// The body of a contact edit.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    title: Option<String>,
    /// Required when the service desk edits.
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Serialize)]
struct Created {
    account: AccountView,
    one_time_password: OneTimePassword,
}

#[derive(Serialize)]
struct Reset {
    one_time_password: OneTimePassword,
}

/// `POST /admin/api/v1/orgs/{org}/accounts`: 201 with the account and its
/// one-time password, shown only here.
pub async fn create_account(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    Body(body): Body<NewAccountBody>,
) -> Result<Response, ApiError> {
    let h = liaison(&app, &caller, &org).await?;
    let input = CreateAccount {
        given_name: body.given_name,
        family_name: body.family_name,
        email: body.email.unwrap_or_default(),
        phone: body.phone.unwrap_or_default(),
        title: body.title.unwrap_or_default(),
        network: body.network,
    };
    let (account, one_time_password) = h.create(&input).await?;
    let location = format!(
        "/admin/api/v1/orgs/{}/accounts/{}",
        h.org().id,
        account.account.id
    );
    let mut resp = json(
        StatusCode::CREATED,
        &Created {
            account,
            one_time_password,
        },
    );
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// `GET /admin/api/v1/orgs/{org}/accounts/{id}`.
pub async fn account(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let h = liaison(&app, &caller, &org).await?;
    Ok(json(StatusCode::OK, &h.account(&id).await?))
}

/// `PUT /admin/api/v1/orgs/{org}/accounts/{id}`: replaces the contact
/// details (names, e-mail, phone, title; an absent or empty optional one is
/// cleared).
pub async fn edit_account(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    Body(body): Body<EditBody>,
) -> Result<Response, ApiError> {
    let h = liaison(&app, &caller, &org).await?;
    let input = CreateAccount {
        given_name: body.given_name,
        family_name: body.family_name,
        email: body.email.unwrap_or_default(),
        phone: body.phone.unwrap_or_default(),
        title: body.title.unwrap_or_default(),
        network: String::new(),
    };
    h.edit(&id, &input, body.reason.as_deref()).await?;
    Ok(json(StatusCode::OK, &h.account(&id).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// Required when the service desk acts for the organisation.
    #[serde(default)]
    reason: Option<String>,
    /// `move` only: the network to move to.
    #[serde(default)]
    network: Option<String>,
}

/// `POST /admin/api/v1/orgs/{org}/accounts/{id}/{action}` with `action`
/// one of `unlock`, `reset-password`, `disable`, `enable`, `move`: the
/// account afterwards, or for `reset-password` its one-time password.
pub async fn account_action(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath((org, id, action)): ApiPath<(String, String, String)>,
    Body(body): Body<ActionBody>,
) -> Result<Response, ApiError> {
    let h = liaison(&app, &caller, &org).await?;
    let reason = body.reason.as_deref();
    match action.as_str() {
        "unlock" => h.unlock(&id, reason).await?,
        "disable" => h.disable(&id, reason).await?,
        "enable" => h.enable(&id, reason).await?,
        "move" => {
            h.move_network(&id, body.network.as_deref().unwrap_or(""), reason)
                .await?
        }
        "reset-password" => {
            let one_time_password = h.reset_password(&id, reason).await?;
            return Ok(json(StatusCode::OK, &Reset { one_time_password }));
        }
        _ => return Err(ApiError::NotFound),
    }
    Ok(json(StatusCode::OK, &h.account(&id).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditParams {
    offset: Option<String>,
    limit: Option<String>,
    format: Option<String>,
}

/// `GET /admin/api/v1/orgs/{org}/audit?offset=&limit=&format=json|jsonl|csv`:
/// newest first; JSON by default (50 events), exports up to 10,000.
pub async fn audit(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Response, ApiError> {
    let h = liaison(&app, &caller, &org).await?;
    let format = AuditFormat::parse(p.format.as_deref())?;
    let default_limit = match format {
        AuditFormat::Json => 50,
        AuditFormat::Export(_) => 10_000,
    };
    let offset = number("offset", p.offset.as_deref(), 0)?;
    let limit = number("limit", p.limit.as_deref(), default_limit)?.clamp(1, 10_000);
    let events = h.audit_trail(offset, limit).await?;
    Ok(format.respond(&events, offset, limit))
}
