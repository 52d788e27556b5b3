//! [`AuditStore`](crate::store::AuditStore) on SQL: the audit trail,
//! newest first by its insertion order.

/// What a liaison person of `$2` in the networks `$7` may see of the
/// audit trail (see [`AuditQuery::reach_only`](crate::store::AuditQuery)).
pub(super) const QUERY_AUDIT: &str = concat!(
    "SELECT * FROM audit_events WHERE ($1 = '' OR subject = $1) \
     AND ($2 = '' OR org_id = $2 OR subject IN \
          (SELECT account_id FROM memberships WHERE org_id = $2)) \
     AND ($3 = '' OR actor = $3) AND at >= $4 AND at < $5 \
     AND ($10 = '' OR action = $10 OR (substr($10, length($10), 1) = '.' \
          AND substr(action, 1, length($10)) = $10)) \
     AND ($11 = '' OR actor = $11 OR subject = $11) \
     AND ($6 = 0 OR (org_id = $2 AND (subject IS NULL OR subject = '' OR ",
    crate::store::sql::engine::in_reach!("subject", "$2", "$7"),
    ")) OR ((org_id IS NULL OR org_id = '') AND subject = actor AND ",
    crate::store::sql::engine::in_reach!("subject", "$2", "$7"),
    ")) ORDER BY id DESC LIMIT $8 OFFSET $9"
);

/// Implements `AuditStore` for `$name` on `$db`, as module `audit`.
macro_rules! sql_audit {
    ($name:ident, $db:ty) => {
        mod audit {
            use async_trait::async_trait;

            use super::common::insert_audit;
            use super::$name;
            use crate::store::sql::audit::QUERY_AUDIT;
            use crate::store::sql::engine::map_err;
            use crate::store::{AuditEvent, AuditQuery, AuditStore, StoreResult};

            #[async_trait]
            impl AuditStore for $name {
                async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()> {
                    if crate::store::events::event_type(&event.action).is_some() {
                        // The record and its event, at once.
                        let mut tx = self.begin().await?;
                        insert_audit(&mut *tx, event).await?;
                        return tx.commit().await.map_err(map_err);
                    }
                    let mut conn = self.pool.acquire().await.map_err(map_err)?;
                    insert_audit(&mut *conn, event).await
                }

                async fn audit_events(
                    &self,
                    subject: Option<&str>,
                    limit: u32,
                ) -> StoreResult<Vec<AuditEvent>> {
                    match subject {
                        Some(s) => sqlx::query_as(
                            "SELECT * FROM audit_events WHERE subject = $1 \
                             ORDER BY id DESC LIMIT $2",
                        )
                        .bind(s)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_err),
                        None => {
                            sqlx::query_as("SELECT * FROM audit_events ORDER BY id DESC LIMIT $1")
                                .bind(i64::from(limit))
                                .fetch_all(&self.pool)
                                .await
                                .map_err(map_err)
                        }
                    }
                }

                async fn query_audit(&self, q: &AuditQuery<'_>) -> StoreResult<Vec<AuditEvent>> {
                    let networks: Vec<&str> = q.networks.iter().map(|n| n.as_str()).collect();
                    sqlx::query_as(QUERY_AUDIT)
                        .bind(q.subject)
                        .bind(q.org_id)
                        .bind(q.actor)
                        .bind(q.since.unwrap_or(i64::MIN))
                        .bind(q.until.unwrap_or(i64::MAX))
                        .bind(i64::from(q.reach_only))
                        .bind(networks.join(","))
                        .bind(i64::from(q.limit))
                        .bind(i64::from(q.offset))
                        .bind(q.action)
                        .bind(q.person)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_err)
                }

                async fn purge_audit(&self, before: i64) -> StoreResult<u64> {
                    Ok(sqlx::query("DELETE FROM audit_events WHERE at < $1")
                        .bind(before)
                        .execute(&self.pool)
                        .await
                        .map_err(map_err)?
                        .rows_affected())
                }
            }
        }
    };
}
pub(crate) use sql_audit;
