//! PostgreSQL: the directory shared by several gateway nodes.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

use super::engine::{map_err, sql_directory};
use crate::store::{StoreError, StoreResult};

pub struct PgDirectory {
    pool: PgPool,
    /// None: PostgreSQL's writers do not wait on one lock.
    writer: Option<tokio::sync::Mutex<()>>,
}

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
}

sql_directory!(PgDirectory, sqlx::Postgres);
