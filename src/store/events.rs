//! The outbox of signed events: a narrow trait of the
//! [`Directory`](super::Directory). Every audit event that services may
//! need to react to is also written to `event_outbox`, in the same
//! transaction as the change and its audit record (see
//! [`event_type`]); deliveries to each subscriber are rows of their own,
//! with their attempts and next try, so a restart loses none.

use async_trait::async_trait;
use serde::Serialize;

use super::{AuditEvent, StoreResult};

/// The event type an audit action is published as, if any.
pub fn event_type(action: &str) -> Option<&'static str> {
    Some(match action {
        "admin.account.created"
        | "scim.account.created"
        | "account.register"
        | "account.created" => "account.created",
        "admin.account.edited" | "admin.account.network_moved" | "scim.account.updated" => {
            "account.changed"
        }
        "admin.account.disabled" => "account.disabled",
        "admin.account.enabled" => "account.enabled",
        "admin.account.password_reset" | "account.password.reset" => "account.password_reset",
        "admin.account.unlocked" | "account.unlocked" => "account.unlocked",
        "scim.account.deprovisioned" => "account.deprovisioned",
        "scim.refused" => "provisioning.error",
        a if a.starts_with("admin.") => "admin.action",
        _ => return None,
    })
}

/// The event recorded when too many failed logins lock an account.
pub const LOCKED: &str = "account.locked";

/// One published event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEvent {
    pub id: i64,
    pub at: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub org_id: Option<String>,
    /// The account it is about.
    pub subject: Option<String>,
    pub actor: String,
    /// The audit action behind it.
    pub action: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }
}

impl std::str::FromStr for DeliveryState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pending" => Ok(DeliveryState::Pending),
            "delivered" => Ok(DeliveryState::Delivered),
            "failed" => Ok(DeliveryState::Failed),
            other => Err(format!("unknown delivery state {other:?}")),
        }
    }
}

/// An event's delivery to one subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub subscriber: String,
    pub event: OutboxEvent,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_at: i64,
    /// The subscriber's HTTP status, or why there was none.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered {
        at: i64,
        status: u16,
    },
    /// Try again at `next_at`.
    Retry {
        next_at: i64,
        status: Option<u16>,
        error: String,
    },
    Failed {
        status: Option<u16>,
        error: String,
    },
}

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Published events after `after_id`, oldest first.
    async fn outbox_after(&self, after_id: i64, limit: u32) -> StoreResult<Vec<OutboxEvent>>;
    /// The id of the newest event (0: none yet).
    async fn outbox_end(&self) -> StoreResult<i64>;
    /// The last event id the subscriber's deliveries were made for;
    /// `None` for a subscriber not seen before.
    async fn event_cursor(&self, subscriber: &str) -> StoreResult<Option<i64>>;
    /// Records pending deliveries of `event_ids` due at `at`, and moves the
    /// subscriber's cursor from `from` (`None`: a new subscriber) to
    /// `cursor`, in one transaction; `false` (and nothing written) when
    /// another node moved it first.
    async fn enqueue_deliveries(
        &self,
        subscriber: &str,
        from: Option<i64>,
        cursor: i64,
        event_ids: &[i64],
        at: i64,
    ) -> StoreResult<bool>;
    /// Pending deliveries due by `now`, oldest first.
    async fn due_deliveries(
        &self,
        subscriber: &str,
        now: i64,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
    /// Takes a due delivery until `until` (a node that stops mid-way lets
    /// it be retried then); `false` when another node took it.
    async fn claim_delivery(
        &self,
        subscriber: &str,
        event_id: i64,
        now: i64,
        until: i64,
    ) -> StoreResult<bool>;
    async fn record_attempt(
        &self,
        subscriber: &str,
        event_id: i64,
        attempt: &Attempt,
    ) -> StoreResult<()>;
    /// Deliveries in `state` (or any), newest event first.
    async fn deliveries(
        &self,
        state: Option<DeliveryState>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
    /// A failed delivery back to pending, due at `audit.at`, with `audit`;
    /// `NotFound` when there is no failed delivery by those keys.
    async fn retry_delivery(
        &self,
        subscriber: &str,
        event_id: i64,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// Retention, in one transaction: deletes the deliveries made before
    /// `before`, then the events published before `before` that no
    /// delivery (pending or failed) still needs and that no subscriber
    /// still has to reach — at or behind `reached` (the lowest cursor of
    /// the configured subscribers; `None`: none has one). The number of
    /// events deleted.
    async fn purge_events(&self, before: i64, reached: Option<i64>) -> StoreResult<u64>;
}
