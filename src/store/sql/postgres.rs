//! PostgreSQL: the directory shared by several gateway nodes.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

use super::engine::{map_err, sql_directory};
use crate::store::{AuditEvent, StoreError, StoreResult};

pub struct PgDirectory {
    pool: PgPool,
    /// None: PostgreSQL's writers do not wait on one lock.
    writer: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
}

/// A passkey use (see [`PasskeyStore::record_passkey_use`](crate::store::PasskeyStore::record_passkey_use))
/// as one statement: the account is touched only if the counter moved,
/// the audit event written only if the account was, and its id is the one
/// row the statement returns.
const PASSKEY_USE: &str = "WITH used AS ( \
       UPDATE passkeys SET sign_count = $1, backed_up = $2, last_used_at = $3 \
       WHERE credential_id = $4 AND (sign_count < $1 OR (sign_count = 0 AND $1 = 0)) \
       RETURNING account_id), \
     touched AS ( \
       UPDATE accounts SET failed_logins = 0, last_login_at = $3 \
       WHERE id IN (SELECT account_id FROM used) RETURNING id) \
     INSERT INTO audit_events (at, actor, action, subject, org_id, source_ip, reason, detail) \
     SELECT $3, $5, $6, $7, $8, $9, $10, $11 FROM touched RETURNING id";

/// How long a statement and the wait for a connection may take.
#[derive(Debug, Clone, Copy)]
pub struct PgTimeouts {
    /// The server's `statement_timeout`.
    pub statement: Duration,
    /// The longest wait for a free connection (and for a new one).
    pub acquire: Duration,
}

impl Default for PgTimeouts {
    fn default() -> Self {
        Self {
            statement: Duration::from_secs(5),
            acquire: Duration::from_secs(3),
        }
    }
}

impl PgDirectory {
    /// Connects to `url` and runs the migrations (several nodes may start
    /// at once: the migrator takes an advisory lock).
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        Self::connect_with(url, max_connections, PgTimeouts::default()).await
    }

    /// [`PgDirectory::connect`] with these timeouts. Every connection asks
    /// the server to end any statement after `statement`; a connection
    /// given back after a request gave up on it is tested within
    /// `acquire` and closed when it does not answer, so a database that
    /// stopped answering does not keep the pool's connections.
    pub async fn connect_with(
        url: &str,
        max_connections: u32,
        timeouts: PgTimeouts,
    ) -> StoreResult<Self> {
        let opts: PgConnectOptions = url
            .parse()
            .map_err(|e| StoreError::Unavailable(format!("bad database_url: {e}")))?;
        let opts = opts.options([(
            "statement_timeout",
            format!("{}ms", timeouts.statement.as_millis().max(1)),
        )]);
        let test_within = timeouts.acquire;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(timeouts.acquire)
            .after_release(move |conn, _| {
                Box::pin(async move {
                    match tokio::time::timeout(test_within, conn.ping()).await {
                        Ok(r) => r.map(|()| true),
                        Err(_) => Err(sqlx::Error::PoolTimedOut),
                    }
                })
            })
            .connect_with(opts)
            .await
            .map_err(map_err)?;
        sqlx::migrate!("migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))?;
        Ok(Self { pool, writer: None })
    }

    /// The write of a passkey login as one statement (see [`PASSKEY_USE`]):
    /// one round trip, atomic without a transaction of its own.
    pub(super) async fn passkey_use(
        &self,
        credential_id: &str,
        sign_count: u32,
        backed_up: bool,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let written = sqlx::query(PASSKEY_USE)
            .bind(i64::from(sign_count))
            .bind(i64::from(backed_up))
            .bind(audit.at)
            .bind(credential_id)
            .bind(&audit.actor)
            .bind(&audit.action)
            .bind(&audit.subject)
            .bind(&audit.org_id)
            .bind(&audit.source_ip)
            .bind(&audit.reason)
            .bind(&audit.detail)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(written.is_some())
    }
}

sql_directory!(PgDirectory, sqlx::Postgres);
