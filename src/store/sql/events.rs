//! [`EventStore`](crate::store::events::EventStore) on SQL: the outbox,
//! the subscribers' cursors and their deliveries.

/// Implements `EventStore` for `$name` on `$db`, as module `events`.
macro_rules! sql_events {
    ($name:ident, $db:ty) => {
        mod events {
            use async_trait::async_trait;

            use super::$name;
            use super::common::insert_audit;
            use crate::store::events::{Attempt, Delivery, DeliveryState, EventStore, OutboxEvent};
            use crate::store::sql::engine::{map_err, parse};
            use crate::store::{AuditEvent, StoreError, StoreResult};

            const EVENT_COLUMNS: &str = "e.id, e.at, e.type, e.org_id, e.subject, e.actor, e.action";
            const DELIVERY_COLUMNS: &str = "d.subscriber, d.state, d.attempts, d.next_at, \
                 d.last_status, d.last_error, d.delivered_at";

            #[derive(sqlx::FromRow)]
            struct EventRow {
                id: i64,
                at: i64,
                #[sqlx(rename = "type")]
                kind: String,
                org_id: Option<String>,
                subject: Option<String>,
                actor: String,
                action: String,
            }

            impl From<EventRow> for OutboxEvent {
                fn from(r: EventRow) -> Self {
                    OutboxEvent {
                        id: r.id,
                        at: r.at,
                        kind: r.kind,
                        org_id: r.org_id,
                        subject: r.subject,
                        actor: r.actor,
                        action: r.action,
                    }
                }
            }

            #[derive(sqlx::FromRow)]
            struct DeliveryRow {
                #[sqlx(flatten)]
                event: EventRow,
                subscriber: String,
                state: String,
                attempts: i64,
                next_at: i64,
                last_status: Option<i64>,
                last_error: Option<String>,
                delivered_at: Option<i64>,
            }

            impl TryFrom<DeliveryRow> for Delivery {
                type Error = StoreError;
                fn try_from(r: DeliveryRow) -> StoreResult<Self> {
                    Ok(Delivery {
                        subscriber: r.subscriber,
                        event: r.event.into(),
                        state: parse::<DeliveryState, _>(&r.state)?,
                        attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
                        next_at: r.next_at,
                        last_status: r.last_status.and_then(|s| u16::try_from(s).ok()),
                        last_error: r.last_error,
                        delivered_at: r.delivered_at,
                    })
                }
            }

            fn delivery_query(filter: &str, tail: &str) -> String {
                format!(
                    "SELECT {EVENT_COLUMNS}, {DELIVERY_COLUMNS} FROM event_deliveries d \
                     JOIN event_outbox e ON e.id = d.event_id WHERE {filter} {tail}"
                )
            }

            #[async_trait]
            impl EventStore for $name {
                async fn outbox_after(
                    &self,
                    after_id: i64,
                    limit: u32,
                ) -> StoreResult<Vec<OutboxEvent>> {
                    let rows = sqlx::query_as::<_, EventRow>(sqlx::AssertSqlSafe(format!(
                        "SELECT {EVENT_COLUMNS} FROM event_outbox e WHERE e.id > $1 \
                         ORDER BY e.id LIMIT $2"
                    )))
                    .bind(after_id)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?;
                    Ok(rows.into_iter().map(OutboxEvent::from).collect())
                }

                async fn outbox_end(&self) -> StoreResult<i64> {
                    Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM event_outbox")
                        .fetch_one(&self.pool)
                        .await
                        .map_err(map_err)?
                        .unwrap_or(0))
                }

                async fn event_cursor(&self, subscriber: &str) -> StoreResult<Option<i64>> {
                    sqlx::query_scalar::<_, i64>(
                        "SELECT last_id FROM event_cursors WHERE subscriber = $1",
                    )
                    .bind(subscriber)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)
                }

                async fn enqueue_deliveries(
                    &self,
                    subscriber: &str,
                    from: Option<i64>,
                    cursor: i64,
                    event_ids: &[i64],
                    at: i64,
                ) -> StoreResult<bool> {
                    let mut tx = self.begin().await?;
                    let moved = if let Some(from) = from {
                        sqlx::query(
                            "UPDATE event_cursors SET last_id = $1 \
                             WHERE subscriber = $2 AND last_id = $3",
                        )
                        .bind(cursor)
                        .bind(subscriber)
                        .bind(from)
                        .execute(&mut *tx)
                        .await
                    } else {
                        sqlx::query(
                            "INSERT INTO event_cursors (subscriber, last_id) VALUES ($1, $2) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(subscriber)
                        .bind(cursor)
                        .execute(&mut *tx)
                        .await
                    }
                    .map_err(map_err)?;
                    if moved.rows_affected() == 0 {
                        return Ok(false);
                    }
                    for id in event_ids {
                        sqlx::query(
                            "INSERT INTO event_deliveries (subscriber, event_id, state, \
                             attempts, next_at) VALUES ($1, $2, 'pending', 0, $3) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(subscriber)
                        .bind(*id)
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                    }
                    tx.commit().await.map_err(map_err)?;
                    Ok(true)
                }

                async fn due_deliveries(
                    &self,
                    subscriber: &str,
                    now: i64,
                    limit: u32,
                ) -> StoreResult<Vec<Delivery>> {
                    let rows = sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(
                        delivery_query(
                            "d.subscriber = $1 AND d.state = 'pending' AND d.next_at <= $2",
                            "ORDER BY d.event_id LIMIT $3",
                        ),
                    ))
                    .bind(subscriber)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?;
                    rows.into_iter().map(Delivery::try_from).collect()
                }

                async fn claim_delivery(
                    &self,
                    subscriber: &str,
                    event_id: i64,
                    now: i64,
                    until: i64,
                ) -> StoreResult<bool> {
                    let mut tx = self.begin().await?;
                    let done = sqlx::query(
                        "UPDATE event_deliveries SET next_at = $1 WHERE subscriber = $2 \
                         AND event_id = $3 AND state = 'pending' AND next_at <= $4",
                    )
                    .bind(until)
                    .bind(subscriber)
                    .bind(event_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    tx.commit().await.map_err(map_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn record_attempt(
                    &self,
                    subscriber: &str,
                    event_id: i64,
                    attempt: &Attempt,
                ) -> StoreResult<()> {
                    let (state, next_at, status, error, delivered_at) = match attempt {
                        Attempt::Delivered { at, status } => {
                            ("delivered", *at, Some(*status), None, Some(*at))
                        }
                        Attempt::Retry {
                            next_at,
                            status,
                            error,
                        } => ("pending", *next_at, *status, Some(error.clone()), None),
                        Attempt::Failed { status, error } => {
                            ("failed", 0, *status, Some(error.clone()), None)
                        }
                    };
                    let mut tx = self.begin().await?;
                    sqlx::query(
                        "UPDATE event_deliveries SET state = $1, attempts = attempts + 1, \
                         next_at = $2, last_status = $3, last_error = $4, delivered_at = $5 \
                         WHERE subscriber = $6 AND event_id = $7",
                    )
                    .bind(state)
                    .bind(next_at)
                    .bind(status.map(i64::from))
                    .bind(error)
                    .bind(delivered_at)
                    .bind(subscriber)
                    .bind(event_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    tx.commit().await.map_err(map_err)
                }

                async fn deliveries(
                    &self,
                    state: Option<DeliveryState>,
                    limit: u32,
                ) -> StoreResult<Vec<Delivery>> {
                    let rows = sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(
                        delivery_query(
                            "($1 = '' OR d.state = $1)",
                            "ORDER BY d.event_id DESC, d.subscriber LIMIT $2",
                        ),
                    ))
                    .bind(state.map_or("", DeliveryState::as_str))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?;
                    rows.into_iter().map(Delivery::try_from).collect()
                }

                async fn retry_delivery(
                    &self,
                    subscriber: &str,
                    event_id: i64,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    let done = sqlx::query(
                        "UPDATE event_deliveries SET state = 'pending', attempts = 0, \
                         next_at = $1 WHERE subscriber = $2 AND event_id = $3 \
                         AND state = 'failed'",
                    )
                    .bind(audit.at)
                    .bind(subscriber)
                    .bind(event_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound(format!(
                            "failed delivery of event {event_id} to {subscriber}"
                        )));
                    }
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn purge_events(&self, before: i64, reached: Option<i64>) -> StoreResult<u64> {
                    let mut tx = self.begin().await?;
                    sqlx::query(
                        "DELETE FROM event_deliveries WHERE state = 'delivered' \
                         AND delivered_at < $1",
                    )
                    .bind(before)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    let events = sqlx::query(
                        "DELETE FROM event_outbox WHERE at < $1 AND ($2 IS NULL OR id <= $2) \
                         AND NOT EXISTS (SELECT 1 FROM event_deliveries d \
                         WHERE d.event_id = event_outbox.id)",
                    )
                    .bind(before)
                    .bind(reached)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?
                    .rows_affected();
                    tx.commit().await.map_err(map_err)?;
                    Ok(events)
                }
            }
        }
    };
}
pub(crate) use sql_events;
