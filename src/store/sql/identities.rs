//! [`IdentityLinkStore`](crate::store::IdentityLinkStore) and
//! [`ProfileStore`](crate::store::ProfileStore) on SQL: identity links,
//! first-login registrations and professional profiles.

/// Implements `IdentityLinkStore` and `ProfileStore` for `$name` on `$db`,
/// as module `identities`.
macro_rules! sql_identities {
    ($name:ident, $db:ty) => {
        mod identities {
            use async_trait::async_trait;

            use super::$name;
            use super::common::{account_in, insert_account, insert_audit};
            use crate::store::sql::engine::{WriteTx, map_err};
            use crate::store::sql::rows::{AccountRow, account_columns};
            use crate::store::{
                Account, AuditEvent, IdentityLink, IdentityLinkStore, Profile, ProfileStore,
                Registration, StoreError, StoreResult,
            };

            async fn insert_link(tx: &mut WriteTx<'_, $db>, l: &IdentityLink) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO identity_links \
                     (source, subject, account_id, created_at, last_used_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&l.source)
                .bind(&l.subject)
                .bind(&l.account_id)
                .bind(l.created_at)
                .bind(l.last_used_at)
                .execute(&mut **tx)
                .await
                .map_err(|e| match map_err(e) {
                    StoreError::Conflict(_) => {
                        StoreError::Conflict(format!("an identity of source {}", l.source))
                    }
                    other => other,
                })?;
                Ok(())
            }

            async fn write_profile(tx: &mut WriteTx<'_, $db>, p: &Profile) -> StoreResult<()> {
                sqlx::query("DELETE FROM profile_organisations WHERE account_id = $1")
                    .bind(&p.account_id)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                sqlx::query(
                    "INSERT INTO profiles (account_id, profession_group, wellbeing_area, \
                     home_municipality, updated_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (account_id) DO UPDATE SET profession_group = $2, \
                     wellbeing_area = $3, home_municipality = $4, updated_at = $5",
                )
                .bind(&p.account_id)
                .bind(&p.profession_group)
                .bind(&p.wellbeing_area)
                .bind(&p.home_municipality)
                .bind(p.updated_at)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
                for org in &p.cooperating_organisations {
                    sqlx::query(
                        "INSERT INTO profile_organisations (account_id, org_id) VALUES ($1, $2)",
                    )
                    .bind(&p.account_id)
                    .bind(org)
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| match map_err(e) {
                        StoreError::NotFound(_) => {
                            StoreError::NotFound(format!("organisation {org}"))
                        }
                        other => other,
                    })?;
                }
                Ok(())
            }

            #[async_trait]
            impl IdentityLinkStore for $name {
                async fn account_by_identity(
                    &self,
                    source: &str,
                    subject: &str,
                ) -> StoreResult<Option<Account>> {
                    sqlx::query_as::<_, AccountRow>(concat!(
                        "SELECT ",
                        account_columns!(),
                        " FROM accounts WHERE id = \
                         (SELECT account_id FROM identity_links WHERE source = $1 AND subject = $2)"
                    ))
                    .bind(source)
                    .bind(subject)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?
                    .map(Account::try_from)
                    .transpose()
                }

                async fn record_identity_login(
                    &self,
                    source: &str,
                    subject: &str,
                    account_id: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    let link = sqlx::query(
                        "UPDATE identity_links SET last_used_at = $1 \
                         WHERE source = $2 AND subject = $3 AND account_id = $4",
                    )
                    .bind(audit.at)
                    .bind(source)
                    .bind(subject)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    if link.rows_affected() == 0 {
                        return Err(StoreError::NotFound(format!(
                            "identity {source} linked to account {account_id}"
                        )));
                    }
                    let account = sqlx::query(
                        "UPDATE accounts SET failed_logins = 0, last_login_at = $1 WHERE id = $2",
                    )
                    .bind(audit.at)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    if account.rows_affected() == 0 {
                        return Err(StoreError::NotFound(format!("account {account_id}")));
                    }
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn identity_links(&self, account_id: &str) -> StoreResult<Vec<IdentityLink>> {
                    sqlx::query_as(
                        "SELECT * FROM identity_links WHERE account_id = $1 \
                         ORDER BY source, created_at",
                    )
                    .bind(account_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)
                }

                async fn link_identity(&self, l: &IdentityLink, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    insert_link(&mut tx, l).await?;
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn unlink_identity(
                    &self,
                    source: &str,
                    subject: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    let done =
                        sqlx::query("DELETE FROM identity_links WHERE source = $1 AND subject = $2")
                            .bind(source)
                            .bind(subject)
                            .execute(&mut *tx)
                            .await
                            .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound(format!("identity link of {source}")));
                    }
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn register(&self, r: &Registration, audit: &AuditEvent) -> StoreResult<Account> {
                    let mut tx = self.begin().await?;
                    insert_account(&mut tx, &r.account, &r.memberships, None).await?;
                    insert_link(&mut tx, &r.link).await?;
                    write_profile(&mut tx, &r.profile).await?;
                    insert_audit(&mut *tx, audit).await?;
                    let account = account_in(&mut tx, &r.account.id).await?;
                    tx.commit().await.map_err(map_err)?;
                    Ok(account)
                }
            }

            #[async_trait]
            impl ProfileStore for $name {
                async fn profile(&self, account_id: &str) -> StoreResult<Option<Profile>> {
                    let Some(mut profile) = sqlx::query_as::<_, Profile>(
                        "SELECT * FROM profiles WHERE account_id = $1",
                    )
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?
                    else {
                        return Ok(None);
                    };
                    profile.cooperating_organisations = sqlx::query_scalar(
                        "SELECT org_id FROM profile_organisations WHERE account_id = $1 \
                         ORDER BY org_id",
                    )
                    .bind(account_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?;
                    Ok(Some(profile))
                }

                async fn save_profile(
                    &self,
                    p: &Profile,
                    email: Option<&str>,
                    phone: Option<&str>,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    let done =
                        sqlx::query("UPDATE accounts SET email = $1, phone = $2 WHERE id = $3")
                            .bind(email)
                            .bind(phone)
                            .bind(&p.account_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound(format!("account {}", p.account_id)));
                    }
                    write_profile(&mut tx, p).await?;
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }
            }
        }
    };
}
pub(crate) use sql_identities;
