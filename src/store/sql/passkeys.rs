//! [`PasskeyStore`](crate::store::PasskeyStore) on SQL.

/// Implements `PasskeyStore` for `$name` on `$db`, as module `passkeys`.
macro_rules! sql_passkeys {
    ($name:ident, $db:ty) => {
        mod passkeys {
            use async_trait::async_trait;

            use super::common::insert_audit;
            use super::$name;
            use crate::store::sql::engine::{map_err, parse};
            use crate::store::sql::rows::AccountRow;
            use crate::store::{
                Account, AuditEvent, Passkey, PasskeyStore, StoreError, StoreResult,
            };

            /// The columns a passkey is written with.
            macro_rules! columns {
                                () => {
                                    "credential_id, account_id, name, public_key, alg, sign_count, \
                     backup_eligible, backed_up, user_verified, registered_loa, aaguid, \
                     created_at, last_used_at"
                                };
                            }

            /// The columns a [`Row`] is read from (its `created_at` by a
            /// name of its own, which a join with the account keeps apart).
            macro_rules! selected {
                                () => {
                                    "credential_id, account_id, name, public_key, alg, sign_count, \
                     backup_eligible, backed_up, user_verified, registered_loa, aaguid, \
                     passkeys.created_at AS passkey_created_at, last_used_at"
                                };
                            }

            #[derive(sqlx::FromRow)]
            struct Row {
                credential_id: String,
                account_id: String,
                name: String,
                public_key: Vec<u8>,
                alg: i64,
                sign_count: i64,
                backup_eligible: i64,
                backed_up: i64,
                user_verified: i64,
                registered_loa: String,
                aaguid: String,
                #[sqlx(rename = "passkey_created_at")]
                created_at: i64,
                last_used_at: Option<i64>,
            }

            /// A passkey and its account.
            #[derive(sqlx::FromRow)]
            struct WithAccountRow {
                #[sqlx(flatten)]
                passkey: Row,
                #[sqlx(flatten)]
                account: AccountRow,
            }

            impl TryFrom<Row> for Passkey {
                type Error = StoreError;
                fn try_from(r: Row) -> StoreResult<Passkey> {
                    Ok(Passkey {
                        registered_loa: parse(&r.registered_loa)?,
                        sign_count: u32::try_from(r.sign_count)
                            .map_err(|_| StoreError::Corrupt("passkey counter".into()))?,
                        credential_id: r.credential_id,
                        account_id: r.account_id,
                        name: r.name,
                        public_key: r.public_key,
                        alg: r.alg,
                        backup_eligible: r.backup_eligible != 0,
                        backed_up: r.backed_up != 0,
                        user_verified: r.user_verified != 0,
                        aaguid: r.aaguid,
                        created_at: r.created_at,
                        last_used_at: r.last_used_at,
                    })
                }
            }

            #[async_trait]
            impl PasskeyStore for $name {
                async fn passkeys(&self, account_id: &str) -> StoreResult<Vec<Passkey>> {
                    sqlx::query_as::<_, Row>(concat!(
                        "SELECT ",
                        selected!(),
                        " FROM passkeys WHERE account_id = $1 ORDER BY created_at, credential_id"
                    ))
                    .bind(account_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?
                    .into_iter()
                    .map(Passkey::try_from)
                    .collect()
                }

                async fn passkey(&self, credential_id: &str) -> StoreResult<Option<Passkey>> {
                    sqlx::query_as::<_, Row>(concat!(
                        "SELECT ",
                        selected!(),
                        " FROM passkeys WHERE credential_id = $1"
                    ))
                    .bind(credential_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?
                    .map(Passkey::try_from)
                    .transpose()
                }

                async fn passkey_and_account(
                    &self,
                    credential_id: &str,
                ) -> StoreResult<Option<(Passkey, Account)>> {
                    let Some(r) = sqlx::query_as::<_, WithAccountRow>(concat!(
                        "SELECT ",
                        selected!(),
                        ", a.id, a.username, a.given_name, a.family_name, a.email, a.phone, \
                         a.title, a.status, a.status_reason, a.must_change_password, \
                         a.failed_logins, a.created_at, a.last_login_at, a.managed_by, \
                         a.external_id, a.updated_at \
                         FROM passkeys JOIN accounts a ON a.id = passkeys.account_id \
                         WHERE credential_id = $1"
                    ))
                    .bind(credential_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?
                    else {
                        return Ok(None);
                    };
                    Ok(Some((r.passkey.try_into()?, r.account.try_into()?)))
                }

                async fn add_passkey(&self, p: &Passkey, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    sqlx::query(concat!(
                        "INSERT INTO passkeys (",
                        columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                    ))
                    .bind(&p.credential_id)
                    .bind(&p.account_id)
                    .bind(&p.name)
                    .bind(&p.public_key)
                    .bind(p.alg)
                    .bind(i64::from(p.sign_count))
                    .bind(i64::from(p.backup_eligible))
                    .bind(i64::from(p.backed_up))
                    .bind(i64::from(p.user_verified))
                    .bind(p.registered_loa.as_str())
                    .bind(&p.aaguid)
                    .bind(p.created_at)
                    .bind(p.last_used_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match map_err(e) {
                        StoreError::Conflict(_) => {
                            StoreError::Conflict("a passkey with this credential id".into())
                        }
                        other => other,
                    })?;
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn remove_passkey(
                    &self,
                    account_id: &str,
                    credential_id: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    let done = sqlx::query(
                        "DELETE FROM passkeys WHERE credential_id = $1 AND account_id = $2",
                    )
                    .bind(credential_id)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound(format!(
                            "a passkey of account {account_id}"
                        )));
                    }
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn record_passkey_use(
                    &self,
                    credential_id: &str,
                    sign_count: u32,
                    backed_up: bool,
                    audit: &AuditEvent,
                ) -> StoreResult<bool> {
                    // The one write of every passkey login: one round trip
                    // on each engine (sqlite.rs, postgres.rs). An audit
                    // action that is also published needs the outbox in
                    // the same transaction: never one of a login.
                    debug_assert!(crate::store::events::event_type(&audit.action).is_none());
                    self.passkey_use(credential_id, sign_count, backed_up, audit)
                        .await
                }
            }
        }
    };
}
pub(crate) use sql_passkeys;
