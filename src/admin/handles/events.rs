//! The service desk's view of event deliveries: which failed (and why),
//! and a retry of one, audited.

use serde_json::json;

use super::{OperatorHandle, store_err};
use crate::admin::AdminError;
use crate::store::events::{Delivery, DeliveryState};

impl OperatorHandle<'_> {
    /// Deliveries in `state` (`failed`, `pending`, `delivered`; empty:
    /// any), newest first, at most `limit`.
    pub async fn event_deliveries(
        &self,
        state: &str,
        limit: u32,
    ) -> Result<Vec<Delivery>, AdminError> {
        let state = match state.trim() {
            "" => None,
            s => Some(
                s.parse::<DeliveryState>()
                    .map_err(|_| AdminError::invalid("state", "invalid"))?,
            ),
        };
        Ok(self
            .ops
            .app
            .dir
            .deliveries(state, limit.clamp(1, 1000))
            .await?)
    }

    /// Sends a failed delivery again (from its first attempt).
    pub async fn retry_delivery(&self, subscriber: &str, event_id: i64) -> Result<(), AdminError> {
        let audit = self
            .ops
            .audit("admin.event_delivery.retried", "", None, None)
            .detail(json!({ "subscriber": subscriber, "event": event_id }));
        let audit = crate::store::AuditEvent {
            subject: None,
            ..audit
        };
        self.ops
            .app
            .dir
            .retry_delivery(subscriber, event_id, &audit)
            .await
            .map_err(store_err)
    }
}
