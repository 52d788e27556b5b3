//! The service desk's event deliveries: the failed ones (or any state)
//! and a retry.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiPath, ApiQuery, Caller, json, number};
use crate::admin::OperatorScope;
use crate::app::SharedState;
use crate::store::events::Delivery;

#[derive(Debug, Default, Deserialize)]
pub struct DeliveryParams {
    state: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
struct Items {
    items: Vec<Delivery>,
}

/// `GET /admin/api/v1/event-deliveries?state=failed&limit=`.
pub async fn deliveries(
    State(app): State<SharedState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<DeliveryParams>,
) -> Result<Response, ApiError> {
    let op = OperatorScope::for_principal(&app, &caller.principal).ok_or(ApiError::NotFound)?;
    let limit = number("limit", p.limit.as_deref(), 100)?;
    let items = op
        .event_deliveries(p.state.as_deref().unwrap_or("failed"), limit)
        .await?;
    Ok(json(StatusCode::OK, &Items { items }))
}

/// `POST /admin/api/v1/event-deliveries/{subscriber}/{event_id}/retry`:
/// 204; a failed delivery is sent again.
pub async fn retry(
    State(app): State<SharedState>,
    caller: Caller,
    ApiPath((subscriber, event_id)): ApiPath<(String, i64)>,
) -> Result<Response, ApiError> {
    let op = OperatorScope::for_principal(&app, &caller.principal).ok_or(ApiError::NotFound)?;
    op.retry_delivery(&subscriber, event_id).await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "retried": true }),
    ))
}
