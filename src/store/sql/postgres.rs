//! PostgreSQL: the directory shared by several gateway nodes.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::engine::{map_err, sql_directory};
use crate::store::{StoreError, StoreResult};

pub struct PgDirectory {
    pool: PgPool,
    /// None: PostgreSQL's writers do not wait on one lock.
    writer: Option<tokio::sync::Mutex<()>>,
}

impl PgDirectory {
    /// Connects to `url` and runs the migrations (several nodes may start
    /// at once: the migrator takes an advisory lock).
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        let opts: PgConnectOptions = url
            .parse()
            .map_err(|e| StoreError::Unavailable(format!("bad database_url: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(3))
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
