//! [`OrganisationStore`](crate::store::OrganisationStore) on SQL: the
//! register of organisations, their networks a comma-separated column.

/// Implements `OrganisationStore` for `$name` on `$db`, as module
/// `organisations`.
macro_rules! sql_organisations {
    ($name:ident, $db:ty) => {
        mod organisations {
            use async_trait::async_trait;

            use super::$name;
            use super::common::insert_audit;
            use crate::domain::search::{SearchTerms, sql_fold};
            use crate::store::sql::engine::{like_pattern, map_err};
            use crate::store::sql::rows::{OrganisationRow, convert_all};
            use crate::store::{
                AuditEvent, Organisation, OrganisationStore, StoreError, StoreResult,
            };

            fn networks(o: &Organisation) -> String {
                let networks: Vec<&str> = o.networks.iter().map(|n| n.as_str()).collect();
                networks.join(",")
            }

            #[async_trait]
            impl OrganisationStore for $name {
                async fn insert_organisation(
                    &self,
                    o: &Organisation,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    sqlx::query(
                        "INSERT INTO organisations \
                         (id, oid, business_id, name_fi, name_sv, kind, municipality, networks) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&o.id)
                    .bind(o.oid.as_str())
                    .bind(o.business_id.as_str())
                    .bind(&o.name_fi)
                    .bind(&o.name_sv)
                    .bind(o.kind.as_str())
                    .bind(&o.municipality)
                    .bind(networks(o))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn organisation(&self, id: &str) -> StoreResult<Option<Organisation>> {
                    sqlx::query_as::<_, OrganisationRow>("SELECT * FROM organisations WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(map_err)?
                        .map(Organisation::try_from)
                        .transpose()
                }

                async fn organisations(&self) -> StoreResult<Vec<Organisation>> {
                    convert_all(
                        sqlx::query_as::<_, OrganisationRow>(
                            "SELECT * FROM organisations ORDER BY name_fi",
                        )
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_err)?,
                    )
                }

                async fn update_organisation(
                    &self,
                    o: &Organisation,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    let done = sqlx::query(
                        "UPDATE organisations SET oid = $1, business_id = $2, name_fi = $3, \
                         name_sv = $4, kind = $5, municipality = $6, networks = $7 WHERE id = $8",
                    )
                    .bind(o.oid.as_str())
                    .bind(o.business_id.as_str())
                    .bind(&o.name_fi)
                    .bind(&o.name_sv)
                    .bind(o.kind.as_str())
                    .bind(&o.municipality)
                    .bind(networks(o))
                    .bind(&o.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound(format!("organisation {}", o.id)));
                    }
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn search_organisations(
                    &self,
                    text: &str,
                    limit: u32,
                ) -> StoreResult<Vec<Organisation>> {
                    // Each word folded (case and diacritics) on both sides,
                    // on both engines alike: domain::search.
                    let terms = SearchTerms::parse(text);
                    let hay = sql_fold(
                        "name_fi || ' ' || name_sv || ' ' || business_id || ' ' \
                         || COALESCE(municipality, '')",
                    );
                    let mut sql = String::from("SELECT * FROM organisations");
                    for i in 1..=terms.words().len() {
                        let join = if i == 1 { " WHERE" } else { " AND" };
                        sql.push_str(&format!("{join} {hay} LIKE ${i} ESCAPE '\\'"));
                    }
                    sql.push_str(&format!(
                        " ORDER BY name_fi, id LIMIT ${}",
                        terms.words().len() + 1
                    ));
                    // Only placeholders and this module's constants: the
                    // typed words are bound.
                    let mut q = sqlx::query_as::<_, OrganisationRow>(sqlx::AssertSqlSafe(sql));
                    for w in terms.words() {
                        q = q.bind(like_pattern(w));
                    }
                    convert_all(
                        q.bind(i64::from(limit))
                            .fetch_all(&self.pool)
                            .await
                            .map_err(map_err)?,
                    )
                }
            }
        }
    };
}
pub(crate) use sql_organisations;
