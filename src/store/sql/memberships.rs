//! [`MembershipStore`](crate::store::MembershipStore) and
//! [`OperatorStore`](crate::store::OperatorStore) on SQL: who belongs
//! where, the contacts liaison persons publish, and the service desk.

/// Implements `MembershipStore` and `OperatorStore` for `$name` on `$db`,
/// as module `memberships`.
macro_rules! sql_memberships {
    ($name:ident, $db:ty) => {
        mod memberships {
            use async_trait::async_trait;

            use super::$name;
            use super::common::insert_audit;
            use crate::domain::{Network, Role};
            use crate::store::sql::engine::map_err;
            use crate::store::sql::rows::{
                LiaisonContactRow, MembershipOrganisationRow, MembershipRow, convert_all,
            };
            use crate::store::{
                AuditEvent, LiaisonContact, Membership, MembershipStore, OperatorStore,
                Organisation, Profile, ProfileStore, StoreError, StoreResult,
            };

            #[async_trait]
            impl MembershipStore for $name {
                async fn memberships(&self, account_id: &str) -> StoreResult<Vec<Membership>> {
                    convert_all(
                        sqlx::query_as::<_, MembershipRow>(
                            "SELECT account_id, org_id, network, role FROM memberships \
                             WHERE account_id = $1 ORDER BY org_id, network, role",
                        )
                        .bind(account_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_err)?,
                    )
                }

                async fn memberships_organisations_and_profile(
                    &self,
                    account_id: &str,
                ) -> StoreResult<(Vec<Membership>, Vec<Organisation>, Option<Profile>)> {
                    let rows = sqlx::query_as::<_, MembershipOrganisationRow>(
                        "SELECT m.account_id, m.org_id, m.network, m.role, o.*, \
                         EXISTS (SELECT 1 FROM profiles p WHERE p.account_id = m.account_id) \
                         AS has_profile FROM memberships m \
                         JOIN organisations o ON o.id = m.org_id \
                         WHERE m.account_id = $1 ORDER BY m.org_id, m.network, m.role",
                    )
                    .bind(account_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?;
                    // No rows tell nothing of the profile: then it is read.
                    let profile = match rows.first() {
                        Some(r) if !r.has_profile => None,
                        _ => self.profile(account_id).await?,
                    };
                    let mut memberships = Vec::with_capacity(rows.len());
                    let mut organisations: Vec<Organisation> = Vec::new();
                    for r in rows {
                        let m = Membership::try_from(r.membership)?;
                        if organisations.iter().all(|o| o.id != m.org_id) {
                            organisations.push(r.organisation.try_into()?);
                        }
                        memberships.push(m);
                    }
                    Ok((memberships, organisations, profile))
                }

                async fn add_membership(&self, m: &Membership, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    sqlx::query(
                        "INSERT INTO memberships (account_id, org_id, network, role) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&m.account_id)
                    .bind(&m.org_id)
                    .bind(m.network.as_str())
                    .bind(m.role.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn remove_membership(
                    &self,
                    m: &Membership,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    let done = sqlx::query(
                        "DELETE FROM memberships \
                         WHERE account_id = $1 AND org_id = $2 AND network = $3 AND role = $4",
                    )
                    .bind(&m.account_id)
                    .bind(&m.org_id)
                    .bind(m.network.as_str())
                    .bind(m.role.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("membership".into()));
                    }
                    if m.role == Role::Liaison {
                        sqlx::query(
                            "DELETE FROM liaison_contacts \
                             WHERE account_id = $1 AND org_id = $2 AND network = $3",
                        )
                        .bind(&m.account_id)
                        .bind(&m.org_id)
                        .bind(m.network.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                    }
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn move_network(
                    &self,
                    account_id: &str,
                    org_id: &str,
                    from: Network,
                    to: Network,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    let done = sqlx::query(
                        "UPDATE memberships SET network = $1 \
                         WHERE account_id = $2 AND org_id = $3 AND network = $4",
                    )
                    .bind(to.as_str())
                    .bind(account_id)
                    .bind(org_id)
                    .bind(from.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("membership".into()));
                    }
                    sqlx::query(
                        "UPDATE liaison_contacts SET network = $1 \
                         WHERE account_id = $2 AND org_id = $3 AND network = $4",
                    )
                    .bind(to.as_str())
                    .bind(account_id)
                    .bind(org_id)
                    .bind(from.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn publish_liaison_contact(
                    &self,
                    c: &LiaisonContact,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    sqlx::query(
                        "INSERT INTO liaison_contacts \
                         (account_id, org_id, network, name, email, phone) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (account_id, org_id, network) DO UPDATE \
                         SET name = excluded.name, email = excluded.email, phone = excluded.phone",
                    )
                    .bind(&c.account_id)
                    .bind(&c.org_id)
                    .bind(c.network.as_str())
                    .bind(&c.name)
                    .bind(&c.email)
                    .bind(&c.phone)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn liaison_contacts(&self, org_id: &str) -> StoreResult<Vec<LiaisonContact>> {
                    convert_all(
                        sqlx::query_as::<_, LiaisonContactRow>(
                            "SELECT c.account_id, c.org_id, c.network, c.name, c.email, c.phone \
                             FROM liaison_contacts c JOIN accounts a ON a.id = c.account_id \
                             WHERE c.org_id = $1 AND a.status <> 'disabled' \
                             ORDER BY c.network, c.name",
                        )
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_err)?,
                    )
                }
            }

            #[async_trait]
            impl OperatorStore for $name {
                async fn is_operator(&self, account_id: &str) -> StoreResult<bool> {
                    Ok(sqlx::query("SELECT 1 AS one FROM operators WHERE account_id = $1")
                        .bind(account_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(map_err)?
                        .is_some())
                }

                async fn add_operator(&self, account_id: &str, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    sqlx::query("INSERT INTO operators (account_id, created_at) VALUES ($1, $2)")
                        .bind(account_id)
                        .bind(audit.at)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }
            }
        }
    };
}
pub(crate) use sql_memberships;
