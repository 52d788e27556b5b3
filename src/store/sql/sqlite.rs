//! SQLite: the embedded default.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Sqlite, SqlitePool};

use super::engine::{map_err, sql_directory};
use crate::store::{AuditEvent, StoreError, StoreResult};

pub struct SqliteDirectory {
    pool: SqlitePool,
    /// SQLite writes one transaction at a time: this node's write
    /// transactions take turns here.
    writer: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// A passkey use (see [`PasskeyStore::record_passkey_use`](crate::store::PasskeyStore::record_passkey_use))
/// as one script: the account is touched only if the counter moved
/// (`changes()` is the count of the statement before), the audit event
/// only if the account was, and its id is the one row the script returns.
const PASSKEY_USE: &str = "BEGIN IMMEDIATE; \
     UPDATE passkeys SET sign_count = $1, backed_up = $2, last_used_at = $3 \
     WHERE credential_id = $4 AND (sign_count < $1 OR (sign_count = 0 AND $1 = 0)); \
     UPDATE accounts SET failed_logins = 0, last_login_at = $3 \
     WHERE changes() = 1 AND id = (SELECT account_id FROM passkeys WHERE credential_id = $4); \
     INSERT INTO audit_events (at, actor, action, subject, org_id, source_ip, reason, detail) \
     SELECT $3, $5, $6, $7, $8, $9, $10, $11 WHERE changes() = 1 RETURNING id; \
     COMMIT";

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
            writer: Some(Arc::new(tokio::sync::Mutex::new(()))),
        })
    }

    /// Runs `script` (`BEGIN IMMEDIATE; …; COMMIT`) in this node's write
    /// turn as one command to a connection's worker thread: one round
    /// trip, where a [`WriteTx`](super::engine::WriteTx) takes one for
    /// each statement and for its BEGIN and COMMIT. The rows its
    /// statements return come back.
    ///
    /// The script runs to its end even when the caller stops waiting (a
    /// deadline, a closed client connection): a task of its own holds the
    /// connection, since a script cut short would leave its transaction
    /// open on a pooled connection. On any error what the script began is
    /// rolled back; a connection that cannot be rolled back is closed
    /// (which rolls back) instead of going back to the pool.
    async fn write_script(
        &self,
        script: sqlx::query::Query<'static, Sqlite, SqliteArguments>,
    ) -> StoreResult<Vec<SqliteRow>> {
        let (pool, writer) = (self.pool.clone(), self.writer.clone());
        tokio::spawn(async move {
            let _turn = match &writer {
                Some(w) => Some(w.lock().await),
                None => None,
            };
            let mut conn = pool.acquire().await.map_err(map_err)?;
            match script.fetch_all(&mut *conn).await {
                Ok(rows) => Ok(rows),
                Err(e) => {
                    // Back out of what the script began. A connection
                    // that cannot is closed, not pooled (closing rolls
                    // back); one whose script never began is clean.
                    if let Err(r) = sqlx::query("ROLLBACK").execute(&mut *conn).await
                        && !r.to_string().contains("no transaction is active")
                    {
                        tracing::warn!(error = %r, "a failed directory write could not be rolled back; its connection is closed");
                        conn.close_on_drop();
                    }
                    Err(map_err(e))
                }
            }
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("a directory write ended: {e}")))?
    }

    /// The write of a passkey login in one round trip (see [`PASSKEY_USE`]).
    pub(super) async fn passkey_use(
        &self,
        credential_id: &str,
        sign_count: u32,
        backed_up: bool,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let script = sqlx::query(PASSKEY_USE)
            .bind(i64::from(sign_count))
            .bind(i64::from(backed_up))
            .bind(audit.at)
            .bind(credential_id.to_string())
            .bind(audit.actor.clone())
            .bind(audit.action.clone())
            .bind(audit.subject.clone())
            .bind(audit.org_id.clone())
            .bind(audit.source_ip.clone())
            .bind(audit.reason.clone())
            .bind(audit.detail.clone());
        Ok(!self.write_script(script).await?.is_empty())
    }

    /// A fresh in-memory database (tests).
    pub async fn in_memory() -> StoreResult<Self> {
        // One connection: every in-memory connection is its own database.
        Self::connect("sqlite::memory:", 1).await
    }
}

sql_directory!(SqliteDirectory, sqlx::Sqlite);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LoA;
    use crate::store::{AccountStore, AuditStore, NewAccount, Passkey, PasskeyStore};

    async fn anna_with_a_passkey(dir: &tempfile::TempDir) -> SqliteDirectory {
        let url = format!("sqlite://{}/pv.db", dir.path().display());
        with_anna(SqliteDirectory::connect(&url, 4).await.unwrap()).await
    }

    async fn with_anna(d: SqliteDirectory) -> SqliteDirectory {
        let account = NewAccount {
            id: "a1".into(),
            username: "anna".into(),
            given_name: "Anna".into(),
            family_name: "Hoitaja".into(),
            email: None,
            phone: None,
            title: None,
            password_hash: None,
            must_change_password: false,
            created_at: 1,
        };
        let audit = |a: &str| AuditEvent::new(1, "cli", a).subject("a1");
        d.create_account(&account, &[], &audit("account.created"))
            .await
            .unwrap();
        let key = Passkey {
            credential_id: "cred".into(),
            account_id: "a1".into(),
            name: "phone".into(),
            public_key: vec![1, 2, 3],
            alg: -7,
            sign_count: 1,
            backup_eligible: false,
            backed_up: false,
            user_verified: true,
            registered_loa: LoA::Low,
            aaguid: "0".repeat(32),
            created_at: 1,
            last_used_at: None,
        };
        d.add_passkey(&key, &audit("passkey.added")).await.unwrap();
        d
    }

    fn used(at: i64) -> AuditEvent {
        AuditEvent::new(at, "a1", "login.passkey.success").subject("a1")
    }

    /// What the directory holds of the passkey login: counter, last use,
    /// login time, and the number of success events.
    async fn state(d: &SqliteDirectory) -> (u32, Option<i64>, Option<i64>, usize) {
        let (k, a) = d.passkey_and_account("cred").await.unwrap().unwrap();
        let events = d.audit_events(Some("a1"), 100).await.unwrap();
        let successes = events
            .iter()
            .filter(|e| e.action == "login.passkey.success")
            .count();
        (k.sign_count, k.last_used_at, a.last_login_at, successes)
    }

    #[tokio::test]
    async fn a_script_that_fails_half_way_writes_nothing_and_leaves_no_transaction_open() {
        let dir = tempfile::tempdir().unwrap();
        let d = anna_with_a_passkey(&dir).await;
        // The audit insert, the script's third statement, fails.
        sqlx::query(
            "CREATE TRIGGER no_audit BEFORE INSERT ON audit_events \
             BEGIN SELECT RAISE(ABORT, 'the audit trail is full'); END",
        )
        .execute(&d.pool)
        .await
        .unwrap();
        let err = d.record_passkey_use("cred", 2, false, &used(50)).await;
        assert!(err.is_err(), "{err:?}");
        sqlx::query("DROP TRIGGER no_audit")
            .execute(&d.pool)
            .await
            .unwrap();
        // Neither the counter nor the account moved.
        assert_eq!(state(&d).await, (1, None, None, 0));
        // Every connection of the pool is usable for a transaction of its
        // own (none was left inside the failed one).
        for at in [60, 61, 62, 63, 64, 65] {
            let mut conns = Vec::new();
            for _ in 0..4 {
                conns.push(d.pool.acquire().await.unwrap());
            }
            for c in &mut conns {
                sqlx::query("BEGIN IMMEDIATE; ROLLBACK")
                    .execute(&mut **c)
                    .await
                    .unwrap();
            }
            drop(conns);
            assert!(
                d.record_passkey_use("cred", at as u32, false, &used(at))
                    .await
                    .unwrap()
            );
        }
        assert_eq!(state(&d).await, (65, Some(65), Some(65), 6));
    }

    #[tokio::test]
    async fn a_failed_script_keeps_an_in_memory_database() {
        // One connection, and the database is the connection: a failed
        // write rolls back on it rather than closing it.
        let d = with_anna(SqliteDirectory::in_memory().await.unwrap()).await;
        sqlx::query(
            "CREATE TRIGGER no_audit BEFORE INSERT ON audit_events \
             BEGIN SELECT RAISE(ABORT, 'the audit trail is full'); END",
        )
        .execute(&d.pool)
        .await
        .unwrap();
        assert!(
            d.record_passkey_use("cred", 2, false, &used(50))
                .await
                .is_err()
        );
        sqlx::query("DROP TRIGGER no_audit")
            .execute(&d.pool)
            .await
            .unwrap();
        assert_eq!(state(&d).await, (1, None, None, 0));
        assert!(
            d.record_passkey_use("cred", 2, false, &used(51))
                .await
                .unwrap()
        );
        assert_eq!(state(&d).await, (2, Some(51), Some(51), 1));
    }

    #[tokio::test]
    async fn a_script_whose_caller_stops_waiting_runs_to_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let d = anna_with_a_passkey(&dir).await;
        // The caller gives up at once (a deadline, a closed connection).
        let hold = d.writer.as_ref().unwrap().clone().lock_owned().await;
        let gave_up = tokio::time::timeout(
            Duration::from_millis(20),
            d.record_passkey_use("cred", 7, true, &used(70)),
        )
        .await;
        assert!(gave_up.is_err(), "the write waited for its turn");
        drop(hold);
        // The write still happens, whole, and the next one after it.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while state(&d).await != (7, Some(70), Some(70), 1) {
            assert!(
                std::time::Instant::now() < deadline,
                "{:?}",
                state(&d).await
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(
            d.record_passkey_use("cred", 8, true, &used(80))
                .await
                .unwrap()
        );
        assert_eq!(state(&d).await, (8, Some(80), Some(80), 2));
    }
}
