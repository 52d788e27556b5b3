//! [`KeyStore`](crate::store::KeyStore) and
//! [`Readiness`](crate::store::Readiness) on SQL: token signing keys, and
//! the round trip a readiness check makes.

/// Implements `KeyStore` and `Readiness` for `$name` on `$db`, as module
/// `keys`.
macro_rules! sql_keys {
    ($name:ident, $db:ty) => {
        mod keys {
            use async_trait::async_trait;

            use super::$name;
            use super::common::insert_audit;
            use crate::store::sql::engine::map_err;
            use crate::store::{AuditEvent, KeyStore, Readiness, StoreError, StoreResult, StoredKey};

            #[async_trait]
            impl Readiness for $name {
                async fn ping(&self) -> StoreResult<()> {
                    sqlx::query("SELECT 1")
                        .execute(&self.pool)
                        .await
                        .map_err(map_err)?;
                    Ok(())
                }
            }

            #[async_trait]
            impl KeyStore for $name {
                async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>> {
                    sqlx::query_as("SELECT * FROM signing_keys ORDER BY activate_at, kid")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_err)
                }

                async fn insert_signing_key(&self, k: &StoredKey) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO signing_keys \
                         (kid, alg, encrypted_private, public_jwk, created_at, activate_at, retire_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&k.kid)
                    .bind(&k.alg)
                    .bind(&k.encrypted_private)
                    .bind(&k.public_jwk)
                    .bind(k.created_at)
                    .bind(k.activate_at)
                    .bind(k.retire_at)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
                    Ok(())
                }

                async fn retire_signing_key(
                    &self,
                    kid: &str,
                    at: i64,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    let done = sqlx::query("UPDATE signing_keys SET retire_at = $1 WHERE kid = $2")
                        .bind(at)
                        .bind(kid)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound(format!("signing key {kid}")));
                    }
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }
            }
        }
    };
}
pub(crate) use sql_keys;
