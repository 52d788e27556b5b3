//! SQLite: the embedded default.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::engine::{map_err, sql_directory};
use crate::store::{StoreError, StoreResult};

pub struct SqliteDirectory {
    pool: SqlitePool,
    /// SQLite writes one transaction at a time: this node's write
    /// transactions take turns here.
    writer: Option<tokio::sync::Mutex<()>>,
}

impl SqliteDirectory {
    /// Opens (creating when missing) the database at `url` and runs the
    /// migrations.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad database_url {url:?}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        if let Some(parent) = Path::new(opts.get_filename()).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            // A connection to a file in this process cannot have been
            // hung up on while idle: no ping (a round trip to the
            // connection's worker thread) before every use.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(opts)
            .await
            .map_err(map_err)?;
        sqlx::migrate!("migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))?;
        Ok(Self {
            pool,
            writer: Some(tokio::sync::Mutex::new(())),
        })
    }

    /// A fresh in-memory database (tests).
    pub async fn in_memory() -> StoreResult<Self> {
        // One connection: every in-memory connection is its own database.
        Self::connect("sqlite::memory:", 1).await
    }
}

sql_directory!(SqliteDirectory, sqlx::Sqlite);
