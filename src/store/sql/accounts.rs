//! [`AccountStore`](crate::store::AccountStore) and
//! [`CredentialStore`](crate::store::CredentialStore) on SQL: accounts,
//! their search, and what a login checks and changes.

// Two shapes of account search, so each can use its index: an
// organisation's accounts start from its memberships; the service desk's
// search from all. Parameters: $1 organisation, $2 networks (a
// comma-separated list), $3 a `like_pattern`, $4 reach only (0 or 1),
// $5 limit, $6 offset.
macro_rules! text_match {
    () => {
        "($3 = '%%' OR LOWER(a.username) LIKE $3 ESCAPE '\\' \
         OR LOWER(a.given_name || ' ' || a.family_name) LIKE $3 ESCAPE '\\' \
         OR LOWER(a.family_name || ' ' || a.given_name) LIKE $3 ESCAPE '\\' \
         OR LOWER(COALESCE(a.email, '')) LIKE $3 ESCAPE '\\')"
    };
}
macro_rules! in_org {
    () => {
        concat!(
            " FROM accounts a WHERE a.id IN (SELECT m.account_id FROM memberships m \
             WHERE m.org_id = $1 \
             AND ($2 = '' OR (',' || $2 || ',') LIKE ('%,' || m.network || ',%'))) AND ",
            text_match!(),
            " AND ($4 = 0 OR ",
            crate::store::sql::engine::in_reach!("a.id", "$1", "$2"),
            ")"
        )
    };
}
macro_rules! anywhere {
    () => {
        concat!(
            " FROM accounts a WHERE $1 = $1 AND $2 = $2 AND ",
            text_match!(),
            " AND $4 = $4"
        )
    };
}
macro_rules! columns {
    () => {
        "SELECT a.id, a.username, a.given_name, a.family_name, a.email, a.phone, a.title, \
         a.status, a.status_reason, a.must_change_password, a.failed_logins, a.created_at, \
         a.last_login_at, a.managed_by, a.external_id, a.updated_at"
    };
}
macro_rules! page {
    () => {
        " ORDER BY a.family_name, a.given_name, a.id LIMIT $5 OFFSET $6"
    };
}
pub(super) const COUNT_ANYWHERE: &str = concat!("SELECT COUNT(*) AS n", anywhere!());
pub(super) const PAGE_ANYWHERE: &str = concat!(columns!(), anywhere!(), page!());
pub(super) const COUNT_IN_ORG: &str = concat!("SELECT COUNT(*) AS n", in_org!());
pub(super) const PAGE_IN_ORG: &str = concat!(columns!(), in_org!(), page!());

/// Implements `AccountStore` and `CredentialStore` for `$name` on `$db`,
/// as module `accounts`.
macro_rules! sql_accounts {
    ($name:ident, $db:ty) => {
        mod accounts {
            use async_trait::async_trait;

            use super::$name;
            use super::common::{account_in, insert_account, insert_audit, insert_outbox};
            use crate::domain::AccountStatus;
            use crate::store::sql::accounts::{
                COUNT_ANYWHERE, COUNT_IN_ORG, PAGE_ANYWHERE, PAGE_IN_ORG,
            };
            use crate::store::sql::engine::{like_pattern, map_err, parse};
            use crate::store::sql::rows::{AccountRow, CredentialsRow, account_columns, convert_all};
            use crate::store::{
                Account, AccountQuery, AccountStore, AccountUpdate, AuditEvent, CredentialStore,
                FailureOutcome, Membership, NewAccount, StoreError, StoreResult,
            };

            #[async_trait]
            impl AccountStore for $name {
                async fn create_account(
                    &self,
                    a: &NewAccount,
                    memberships: &[Membership],
                    audit: &AuditEvent,
                ) -> StoreResult<Account> {
                    let mut tx = self.begin().await?;
                    insert_account(&mut tx, a, memberships, None).await?;
                    insert_audit(&mut *tx, audit).await?;
                    let account = account_in(&mut tx, &a.id).await?;
                    tx.commit().await.map_err(map_err)?;
                    Ok(account)
                }

                async fn account(&self, id: &str) -> StoreResult<Option<Account>> {
                    sqlx::query_as::<_, AccountRow>(concat!(
                        "SELECT ",
                        account_columns!(),
                        " FROM accounts WHERE id = $1"
                    ))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?
                    .map(Account::try_from)
                    .transpose()
                }

                async fn find_accounts(
                    &self,
                    q: &AccountQuery<'_>,
                ) -> StoreResult<(Vec<Account>, u64)> {
                    let networks: Vec<&str> = q.networks.iter().map(|n| n.as_str()).collect();
                    let networks = networks.join(",");
                    let pattern = like_pattern(q.text);
                    let (count_sql, page_sql) = if q.org_id.is_empty() {
                        (COUNT_ANYWHERE, PAGE_ANYWHERE)
                    } else {
                        (COUNT_IN_ORG, PAGE_IN_ORG)
                    };
                    let total: i64 = sqlx::query_scalar(count_sql)
                        .bind(q.org_id)
                        .bind(&networks)
                        .bind(&pattern)
                        .bind(i64::from(q.reach_only))
                        .fetch_one(&self.pool)
                        .await
                        .map_err(map_err)?;
                    let rows = sqlx::query_as::<_, AccountRow>(page_sql)
                        .bind(q.org_id)
                        .bind(&networks)
                        .bind(&pattern)
                        .bind(i64::from(q.reach_only))
                        .bind(i64::from(q.limit))
                        .bind(i64::from(q.offset))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_err)?;
                    Ok((convert_all(rows)?, total.max(0) as u64))
                }

                async fn update_account(
                    &self,
                    account_id: &str,
                    u: &AccountUpdate,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    self.update_account_with_audit(
                        "UPDATE accounts SET given_name = $1, family_name = $2, email = $3, \
                         phone = $4, title = $5, updated_at = $6 WHERE id = $7",
                        |q| {
                            q.bind(u.given_name.clone())
                                .bind(u.family_name.clone())
                                .bind(u.email.clone())
                                .bind(u.phone.clone())
                                .bind(u.title.clone())
                                .bind(audit.at)
                                .bind(account_id.to_string())
                        },
                        account_id,
                        audit,
                    )
                    .await
                }

                async fn set_status(
                    &self,
                    account_id: &str,
                    status: AccountStatus,
                    reason: Option<&str>,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    self.update_account_with_audit(
                        "UPDATE accounts SET status = $1, status_reason = $2, \
                           failed_logins = CASE WHEN $1 = 'active' THEN 0 ELSE failed_logins END, \
                           updated_at = $3 \
                         WHERE id = $4",
                        |q| {
                            q.bind(status.as_str())
                                .bind(reason)
                                .bind(audit.at)
                                .bind(account_id)
                        },
                        account_id,
                        audit,
                    )
                    .await
                }
            }

            #[async_trait]
            impl CredentialStore for $name {
                async fn credentials(
                    &self,
                    username: &str,
                ) -> StoreResult<Option<(Account, Option<String>)>> {
                    sqlx::query_as::<_, CredentialsRow>(concat!(
                        "SELECT ",
                        account_columns!(),
                        ", password_hash FROM accounts WHERE username_key = $1"
                    ))
                    .bind(username.to_lowercase())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?
                    .map(|r| Ok((r.account.try_into()?, r.password_hash)))
                    .transpose()
                }

                async fn record_login_failure(
                    &self,
                    account_id: &str,
                    lock_after: u32,
                    audit: &AuditEvent,
                ) -> StoreResult<FailureOutcome> {
                    let mut tx = self.begin().await?;
                    // One statement: concurrent failures each count, and exactly the one
                    // that reaches the limit locks.
                    let (failed, status) = sqlx::query_as::<_, (i64, String)>(
                        "UPDATE accounts SET failed_logins = failed_logins + 1, \
                           status = CASE WHEN status = 'active' AND failed_logins + 1 >= $1 \
                                         THEN 'locked' ELSE status END, \
                           status_reason = CASE WHEN status = 'active' AND failed_logins + 1 >= $1 \
                                         THEN 'too_many_failed_logins' ELSE status_reason END \
                         WHERE id = $2 RETURNING failed_logins, status",
                    )
                    .bind(i64::from(lock_after))
                    .bind(account_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?
                    .ok_or_else(|| StoreError::NotFound(format!("account {account_id}")))?;
                    insert_audit(&mut *tx, audit).await?;
                    let failed = failed as u32;
                    let status: AccountStatus = parse(&status)?;
                    if status == AccountStatus::Locked && failed == lock_after {
                        let locked = AuditEvent {
                            subject: Some(account_id.to_string()),
                            ..audit.clone()
                        };
                        insert_outbox(&mut *tx, crate::store::events::LOCKED, &locked).await?;
                    }
                    tx.commit().await.map_err(map_err)?;
                    Ok(FailureOutcome {
                        failed_logins: failed,
                        locked_now: status == AccountStatus::Locked && failed == lock_after,
                    })
                }

                async fn record_login_success(
                    &self,
                    account_id: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    self.update_account_with_audit(
                        "UPDATE accounts SET failed_logins = 0, last_login_at = $1 WHERE id = $2",
                        |q| q.bind(audit.at).bind(account_id),
                        account_id,
                        audit,
                    )
                    .await
                }

                async fn set_password(
                    &self,
                    account_id: &str,
                    password_hash: &str,
                    must_change: bool,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    self.update_account_with_audit(
                        // The person's own password (not a pending one-time password)
                        // is remembered as the previous one.
                        "UPDATE accounts SET previous_password_hash = \
                         CASE WHEN must_change_password = 0 \
                         THEN password_hash ELSE previous_password_hash END, \
                         password_hash = $1, must_change_password = $2 WHERE id = $3",
                        |q| {
                            q.bind(password_hash)
                                .bind(i64::from(must_change))
                                .bind(account_id)
                        },
                        account_id,
                        audit,
                    )
                    .await
                }

                async fn previous_password_hash(
                    &self,
                    account_id: &str,
                ) -> StoreResult<Option<String>> {
                    Ok(sqlx::query_scalar::<_, Option<String>>(
                        "SELECT previous_password_hash FROM accounts WHERE id = $1",
                    )
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?
                    .flatten())
                }

                async fn totp_secret(&self, account_id: &str) -> StoreResult<Option<Vec<u8>>> {
                    Ok(sqlx::query_scalar::<_, Option<Vec<u8>>>(
                        "SELECT totp_secret FROM accounts WHERE id = $1",
                    )
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?
                    .flatten())
                }

                async fn set_totp_secret(
                    &self,
                    account_id: &str,
                    encrypted: Option<&[u8]>,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    self.update_account_with_audit(
                        "UPDATE accounts SET totp_secret = $1 WHERE id = $2",
                        |q| q.bind(encrypted.map(|e| e.to_vec())).bind(account_id.to_string()),
                        account_id,
                        audit,
                    )
                    .await
                }
            }
        }
    };
}
pub(crate) use sql_accounts;
