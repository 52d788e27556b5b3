//! The service desk's provisioning clients of an organisation: list,
//! create (the token is in this one answer, never again) and revoke.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiPath, Body, Caller, json};
use crate::admin::OperatorScope;
use crate::app::SharedState;
use crate::store::ProvisioningClient;

#[derive(Serialize)]
struct Items {
    items: Vec<ProvisioningClient>,
}

/// `GET /admin/api/v1/organisations/{id}/provisioning-clients`.
pub async fn list(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let op = OperatorScope::for_principal(&app, &caller.principal).ok_or(ApiError::NotFound)?;
    let items = op.provisioning_clients(&id).await?;
    Ok(json(StatusCode::OK, &Items { items }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    #[serde(default)]
    name: String,
    #[serde(default)]
    networks: Vec<String>,
}

/// `POST /admin/api/v1/organisations/{id}/provisioning-clients`: 201 with
/// the client and its token, shown this once.
pub async fn create(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    Body(b): Body<NewClient>,
) -> Result<Response, ApiError> {
    let op = OperatorScope::for_principal(&app, &caller.principal).ok_or(ApiError::NotFound)?;
    let created = op
        .create_provisioning_client(&id, &b.name, &b.networks)
        .await?;
    Ok(json(StatusCode::CREATED, &created))
}

/// `DELETE /admin/api/v1/organisations/{id}/provisioning-clients/{client_id}`:
/// 204; the token stops working at once.
pub async fn revoke(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath((id, client_id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let op = OperatorScope::for_principal(&app, &caller.principal).ok_or(ApiError::NotFound)?;
    op.revoke_provisioning_client(&id, &client_id).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::CACHE_CONTROL, "no-store")],
    )
        .into_response())
}
