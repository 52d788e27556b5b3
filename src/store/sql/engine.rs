//! The directory on SQL, one body of queries for both engines: SQLite
//! (embedded default) and PostgreSQL (several nodes). Queries use `$N`
//! parameters in order of first appearance, which both engines accept.
//!
//! Each narrow trait's queries sit in a file of their own (`accounts.rs`,
//! `organisations.rs`, `memberships.rs`, `identities.rs`, `audit.rs`,
//! `keys.rs`, `passkeys.rs`) as a macro that [`sql_directory`] expands, for each engine,
//! into a module of that engine's directory type. This file holds what
//! they share.

use std::str::FromStr;

use crate::store::StoreError;

pub(super) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.message().to_string())
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::NotFound(format!("a referenced row ({})", db.message()))
        }
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StoreError::Corrupt(e.to_string())
        }
        _ => StoreError::Unavailable(e.to_string()),
    }
}

/// A case-insensitive `LIKE` pattern that matches `text` anywhere
/// (`\` escapes the wildcards).
/// A uniqueness conflict on writing an account, said as the value that
/// is taken: its external id (of the organisation's identity
/// management), else its username.
pub(super) fn account_conflict(e: sqlx::Error, username: &str) -> StoreError {
    match map_err(e) {
        StoreError::Conflict(m) if m.contains("external_id") => {
            StoreError::Conflict("external id".into())
        }
        StoreError::Conflict(_) => StoreError::Conflict(format!("username {username}")),
        other => other,
    }
}

pub(super) fn like_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub(super) fn parse<T: FromStr<Err = E>, E: std::fmt::Display>(s: &str) -> Result<T, StoreError> {
    s.parse().map_err(|e: E| StoreError::Corrupt(e.to_string()))
}

/// A write transaction, in its turn: on SQLite, which writes one
/// transaction at a time, this node's writers queue here (in order, without
/// sleeping) rather than in SQLite's busy handler, whose sleeps of up to
/// 100 ms are what a writer waiting for the lock otherwise gets. Derefs to
/// the connection like `sqlx::Transaction`.
pub(super) struct WriteTx<'a, DB: sqlx::Database> {
    pub(super) tx: sqlx::Transaction<'static, DB>,
    pub(super) _turn: Option<tokio::sync::MutexGuard<'a, ()>>,
}

impl<DB: sqlx::Database> WriteTx<'_, DB> {
    pub(super) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl<DB: sqlx::Database> std::ops::Deref for WriteTx<'_, DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for WriteTx<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// Whether the account `$id` is within the reach of a liaison person of
/// organisation `$org` in the networks `$nets` (a comma-separated list): a
/// membership there, no liaison role in any other organisation or network,
/// and not an operator. An empty list reaches no one.
macro_rules! in_reach {
    ($id:literal, $org:literal, $nets:literal) => {
        concat!(
            "(",
            $id,
            " IN (SELECT rm.account_id FROM memberships rm WHERE rm.org_id = ",
            $org,
            " AND (',' || ",
            $nets,
            " || ',') LIKE ('%,' || rm.network || ',%'))",
            " AND NOT EXISTS (SELECT 1 FROM operators ro WHERE ro.account_id = ",
            $id,
            ")",
            " AND NOT EXISTS (SELECT 1 FROM memberships rl WHERE rl.account_id = ",
            $id,
            " AND rl.role = 'liaison' AND NOT (rl.org_id = ",
            $org,
            " AND (',' || ",
            $nets,
            " || ',') LIKE ('%,' || rl.network || ',%'))))"
        )
    };
}
pub(crate) use in_reach;

/// Implements every narrow trait of the [`Directory`](crate::store::Directory)
/// for `$name` (which has a `pool` field, and a `writer` lock when writes
/// must take turns) on database `$db`: one submodule per store.
macro_rules! sql_directory {
    ($name:ident, $db:ty) => {
        crate::store::sql::engine::sql_common!($name, $db);
        crate::store::sql::organisations::sql_organisations!($name, $db);
        crate::store::sql::accounts::sql_accounts!($name, $db);
        crate::store::sql::memberships::sql_memberships!($name, $db);
        crate::store::sql::identities::sql_identities!($name, $db);
        crate::store::sql::audit::sql_audit!($name, $db);
        crate::store::sql::keys::sql_keys!($name, $db);
        crate::store::sql::passkeys::sql_passkeys!($name, $db);
        crate::store::sql::provisioning::sql_provisioning!($name, $db);
        crate::store::sql::events::sql_events!($name, $db);
    };
}
pub(crate) use sql_directory;

/// What the stores of `$name` share, as module `common`: write
/// transactions in turn, audit records in the same transaction as the
/// change, and a new account with its memberships.
macro_rules! sql_common {
    ($name:ident, $db:ty) => {
        mod common {
            use super::$name;
            use crate::store::sql::engine::{WriteTx, account_conflict, map_err};
            use crate::store::sql::rows::{AccountRow, account_columns};
            use crate::store::{
                Account, AuditEvent, Membership, NewAccount, StoreError, StoreResult,
            };

            const INSERT_AUDIT: &str = "INSERT INTO audit_events \
                 (at, actor, action, subject, org_id, source_ip, reason, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

            impl $name {
                /// Begins a write transaction in this node's turn (see [`WriteTx`]).
                pub(super) async fn begin(&self) -> StoreResult<WriteTx<'_, $db>> {
                    let turn = match &self.writer {
                        Some(w) => Some(w.lock().await),
                        None => None,
                    };
                    let tx = self.pool.begin().await.map_err(map_err)?;
                    Ok(WriteTx { tx, _turn: turn })
                }

                /// Runs one `UPDATE accounts` statement and writes `audit`,
                /// or nothing when no account `account_id` exists.
                pub(super) async fn update_account_with_audit(
                    &self,
                    sql: &'static str,
                    binds: impl FnOnce(
                        sqlx::query::Query<'_, $db, <$db as sqlx::Database>::Arguments>,
                    ) -> sqlx::query::Query<
                        '_,
                        $db,
                        <$db as sqlx::Database>::Arguments,
                    >,
                    account_id: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    let done = binds(sqlx::query(sql))
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound(format!("account {account_id}")));
                    }
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }
            }

            pub(super) async fn insert_audit(
                exec: &mut <$db as sqlx::Database>::Connection,
                a: &AuditEvent,
            ) -> StoreResult<()> {
                sqlx::query(INSERT_AUDIT)
                    .bind(a.at)
                    .bind(&a.actor)
                    .bind(&a.action)
                    .bind(&a.subject)
                    .bind(&a.org_id)
                    .bind(&a.source_ip)
                    .bind(&a.reason)
                    .bind(&a.detail)
                    .execute(&mut *exec)
                    .await
                    .map_err(map_err)?;
                if let Some(kind) = crate::store::events::event_type(&a.action) {
                    insert_outbox(&mut *exec, kind, a).await?;
                }
                Ok(())
            }

            /// Publishes `a` as an event of type `kind` (the outbox).
            pub(super) async fn insert_outbox(
                exec: &mut <$db as sqlx::Database>::Connection,
                kind: &str,
                a: &AuditEvent,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO event_outbox (at, type, org_id, subject, actor, action) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(a.at)
                .bind(kind)
                .bind(&a.org_id)
                .bind(&a.subject)
                .bind(&a.actor)
                .bind(&a.action)
                .execute(exec)
                .await
                .map_err(map_err)?;
                Ok(())
            }

            /// Inserts an account and its memberships inside `tx`; `owner`
            /// is the organisation whose identity management keeps it and
            /// its external id there (SCIM), in the same statement.
            pub(super) async fn insert_account(
                tx: &mut WriteTx<'_, $db>,
                a: &NewAccount,
                memberships: &[Membership],
                owner: Option<(&str, Option<&str>)>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO accounts (id, username, username_key, given_name, family_name, \
                     email, phone, title, password_hash, must_change_password, created_at, \
                     managed_by, external_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(&a.id)
                .bind(&a.username)
                .bind(a.username.to_lowercase())
                .bind(&a.given_name)
                .bind(&a.family_name)
                .bind(&a.email)
                .bind(&a.phone)
                .bind(&a.title)
                .bind(&a.password_hash)
                .bind(i64::from(a.must_change_password))
                .bind(a.created_at)
                .bind(owner.map(|(org, _)| org))
                .bind(owner.and_then(|(_, external_id)| external_id))
                .execute(&mut **tx)
                .await
                .map_err(|e| account_conflict(e, &a.username))?;
                for m in memberships {
                    sqlx::query(
                        "INSERT INTO memberships (account_id, org_id, network, role) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&a.id)
                    .bind(&m.org_id)
                    .bind(m.network.as_str())
                    .bind(m.role.as_str())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Ok(())
            }

            /// The account `id` as written so far inside `tx`.
            pub(super) async fn account_in(
                tx: &mut WriteTx<'_, $db>,
                id: &str,
            ) -> StoreResult<Account> {
                sqlx::query_as::<_, AccountRow>(concat!(
                    "SELECT ",
                    account_columns!(),
                    " FROM accounts WHERE id = $1"
                ))
                .bind(id)
                .fetch_one(&mut **tx)
                .await
                .map_err(map_err)?
                .try_into()
            }
        }
    };
}
pub(crate) use sql_common;
