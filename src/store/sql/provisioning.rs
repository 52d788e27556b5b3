//! [`ProvisioningStore`](crate::store::ProvisioningStore) on SQL:
//! provisioning clients, managed accounts, and the provisioning search,
//! whose filter becomes SQL here from fixed fragments, every value bound.

use crate::store::{AccountFilter, FilterAttr, FilterOp, ManagedQuery};

/// The scope of a provisioning search: `$1` organisation, `$2` networks
/// (comma-separated). The same reach as a liaison person's (see
/// `in_reach!`), written with correlated `EXISTS` so that a search that
/// an index narrows to a few accounts checks only those, however many
/// accounts the organisation has.
const SCOPE: &str = " FROM accounts a WHERE \
     EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = a.id AND m.org_id = $1 \
       AND (',' || $2 || ',') LIKE ('%,' || m.network || ',%')) \
     AND NOT EXISTS (SELECT 1 FROM operators o WHERE o.account_id = a.id) \
     AND NOT EXISTS (SELECT 1 FROM memberships l WHERE l.account_id = a.id \
       AND l.role = 'liaison' AND NOT (l.org_id = $1 \
       AND (',' || $2 || ',') LIKE ('%,' || l.network || ',%')))";

/// The SQL of a provisioning search: the count, the page, and the values
/// to bind after `$1` and `$2` (the page's limit and offset come last).
pub(super) struct Search {
    pub(super) count: String,
    pub(super) page: String,
    pub(super) values: Vec<String>,
}

/// `postgres`: the engine compares in the database's collation, so a
/// prefix range is taken in the "C" collation (byte order), which the
/// PostgreSQL migration indexes; SQLite's default is byte order.
pub(super) fn search(q: &ManagedQuery<'_>, postgres: bool) -> Search {
    let mut values = Vec::new();
    let mut sql = String::from(SCOPE);
    if let Some(f) = q.filter {
        sql.push_str(" AND ");
        filter(f, &mut sql, &mut values, postgres);
    }
    let n = values.len() + 2;
    Search {
        count: format!("SELECT COUNT(*) AS n{sql}"),
        page: format!(
            "SELECT a.id, a.username, a.given_name, a.family_name, a.email, a.phone, a.title, \
             a.status, a.status_reason, a.must_change_password, a.failed_logins, a.created_at, \
             a.last_login_at, a.managed_by, a.external_id, a.updated_at{sql} \
             ORDER BY a.created_at, a.id LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ),
        values,
    }
}

fn column(attr: FilterAttr) -> &'static str {
    match attr {
        FilterAttr::Id => "a.id",
        // Kept in lower case for the unique index.
        FilterAttr::UserName => "a.username_key",
        FilterAttr::ExternalId => "a.external_id",
        // As the expression index `accounts_by_email` has it.
        FilterAttr::Email => "LOWER(email)",
        FilterAttr::GivenName => "LOWER(a.given_name)",
        FilterAttr::FamilyName => "LOWER(a.family_name)",
        FilterAttr::Active => "a.status",
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The least string greater than every string that starts with `prefix`
/// (byte order), if there is one: the prefix with its last character one
/// higher.
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn filter(f: &AccountFilter, sql: &mut String, values: &mut Vec<String>, postgres: bool) {
    match f {
        AccountFilter::And(a, b) | AccountFilter::Or(a, b) => {
            let joint = if matches!(f, AccountFilter::And(..)) {
                " AND "
            } else {
                " OR "
            };
            sql.push('(');
            filter(a, sql, values, postgres);
            sql.push_str(joint);
            filter(b, sql, values, postgres);
            sql.push(')');
        }
        AccountFilter::Not(a) => {
            sql.push_str("NOT (");
            filter(a, sql, values, postgres);
            sql.push(')');
        }
        AccountFilter::Present(FilterAttr::Active) => sql.push_str("1 = 1"),
        AccountFilter::Present(attr) => {
            let c = column(*attr);
            sql.push_str(&format!("({c} IS NOT NULL AND {c} <> '')"));
        }
        AccountFilter::Compare {
            attr: FilterAttr::Active,
            op,
            value,
        } => {
            // `active eq true`, `active ne false` …: whether not disabled.
            let active = (value == "true") == (*op == FilterOp::Eq);
            sql.push_str(if active {
                "a.status <> 'disabled'"
            } else {
                "a.status = 'disabled'"
            });
        }
        AccountFilter::Compare { attr, op, value } => {
            let c = column(*attr);
            let v = if attr.case_insensitive() {
                value.to_lowercase()
            } else {
                value.clone()
            };
            // A prefix on an indexed column: a range the index answers, and
            // the LIKE that decides.
            let indexed = matches!(
                attr,
                FilterAttr::UserName | FilterAttr::ExternalId | FilterAttr::Email
            );
            if *op == FilterOp::Sw
                && indexed
                && let Some(upper) = successor(&v)
            {
                let ordered = if postgres {
                    format!("{c} COLLATE \"C\"")
                } else {
                    c.to_string()
                };
                values.push(v.clone());
                let lo = values.len() + 2;
                values.push(upper);
                let hi = values.len() + 2;
                values.push(format!("{}%", escape_like(&v)));
                let like = values.len() + 2;
                sql.push_str(&format!(
                    "({ordered} >= ${lo} AND {ordered} < ${hi} AND {c} LIKE ${like} ESCAPE '\\')"
                ));
                return;
            }
            let (operator, v) = match op {
                FilterOp::Eq => ("=", v),
                FilterOp::Ne => ("<>", v),
                FilterOp::Co => ("LIKE", format!("%{}%", escape_like(&v))),
                FilterOp::Sw => ("LIKE", format!("{}%", escape_like(&v))),
                FilterOp::Ew => ("LIKE", format!("%{}", escape_like(&v))),
            };
            values.push(v);
            let n = values.len() + 2;
            let escape = if operator == "LIKE" {
                " ESCAPE '\\'"
            } else {
                ""
            };
            if *op == FilterOp::Ne {
                sql.push_str(&format!("({c} IS NULL OR {c} {operator} ${n})"));
            } else {
                sql.push_str(&format!("{c} {operator} ${n}{escape}"));
            }
        }
    }
}

/// Implements `ProvisioningStore` for `$name` on `$db`, as module
/// `provisioning`.
macro_rules! sql_provisioning {
    ($name:ident, $db:ty) => {
        mod provisioning {
            use async_trait::async_trait;

            use super::$name;
            use super::common::{account_in, insert_account, insert_audit};
            use crate::domain::{Network, Role};
            use crate::store::sql::engine::{account_conflict, map_err, parse};
            use crate::store::sql::provisioning::search;
            use crate::store::sql::rows::{AccountRow, convert_all};
            use crate::store::{
                Account, AuditEvent, ManagedChange, ManagedQuery, Membership, NewAccount,
                ProvisioningClient, ProvisioningStore, StoreError, StoreResult,
            };

            #[derive(sqlx::FromRow)]
            struct ClientRow {
                id: String,
                org_id: String,
                name: String,
                networks: String,
                created_at: i64,
                created_by: String,
                revoked_at: Option<i64>,
            }

            impl TryFrom<ClientRow> for ProvisioningClient {
                type Error = StoreError;
                fn try_from(r: ClientRow) -> StoreResult<Self> {
                    Ok(ProvisioningClient {
                        networks: r
                            .networks
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(parse::<Network, _>)
                            .collect::<StoreResult<_>>()?,
                        id: r.id,
                        org_id: r.org_id,
                        name: r.name,
                        created_at: r.created_at,
                        created_by: r.created_by,
                        revoked_at: r.revoked_at,
                    })
                }
            }

            const CLIENT_COLUMNS: &str =
                "SELECT id, org_id, name, networks, created_at, created_by, revoked_at \
                 FROM provisioning_clients";

            #[async_trait]
            impl ProvisioningStore for $name {
                async fn insert_provisioning_client(
                    &self,
                    c: &ProvisioningClient,
                    token_digest: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let networks: Vec<&str> = c.networks.iter().map(|n| n.as_str()).collect();
                    let mut tx = self.begin().await?;
                    sqlx::query(
                        "INSERT INTO provisioning_clients (id, org_id, name, networks, \
                         token_digest, created_at, created_by, revoked_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&c.id)
                    .bind(&c.org_id)
                    .bind(&c.name)
                    .bind(networks.join(","))
                    .bind(token_digest)
                    .bind(c.created_at)
                    .bind(&c.created_by)
                    .bind(c.revoked_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn provisioning_clients(
                    &self,
                    org_id: &str,
                ) -> StoreResult<Vec<ProvisioningClient>> {
                    let rows = sqlx::query_as::<_, ClientRow>(sqlx::AssertSqlSafe(format!(
                        "{CLIENT_COLUMNS} WHERE org_id = $1 ORDER BY created_at DESC, id"
                    )))
                    .bind(org_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?;
                    convert_all(rows)
                }

                async fn provisioning_client_by_token(
                    &self,
                    token_digest: &str,
                ) -> StoreResult<Option<ProvisioningClient>> {
                    sqlx::query_as::<_, ClientRow>(sqlx::AssertSqlSafe(format!(
                        "{CLIENT_COLUMNS} WHERE token_digest = $1"
                    )))
                    .bind(token_digest)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?
                    .map(ProvisioningClient::try_from)
                    .transpose()
                }

                async fn revoke_provisioning_client(
                    &self,
                    org_id: &str,
                    id: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin().await?;
                    let done = sqlx::query(
                        "UPDATE provisioning_clients SET revoked_at = $1 \
                         WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL",
                    )
                    .bind(audit.at)
                    .bind(id)
                    .bind(org_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound(format!("provisioning client {id}")));
                    }
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)
                }

                async fn create_managed_account(
                    &self,
                    a: &NewAccount,
                    org_id: &str,
                    external_id: Option<&str>,
                    memberships: &[Membership],
                    audit: &AuditEvent,
                ) -> StoreResult<Account> {
                    let mut tx = self.begin().await?;
                    // One statement for the account with its owner (an
                    // initial sync makes many, one write at a time).
                    insert_account(&mut tx, a, memberships, Some((org_id, external_id))).await?;
                    insert_audit(&mut *tx, audit).await?;
                    tx.commit().await.map_err(map_err)?;
                    // As written: nothing read back.
                    Ok(Account {
                        id: a.id.clone(),
                        username: a.username.clone(),
                        given_name: a.given_name.clone(),
                        family_name: a.family_name.clone(),
                        email: a.email.clone(),
                        phone: a.phone.clone(),
                        title: a.title.clone(),
                        status: crate::domain::AccountStatus::Active,
                        status_reason: None,
                        must_change_password: a.must_change_password,
                        failed_logins: 0,
                        created_at: a.created_at,
                        last_login_at: None,
                        managed_by: Some(org_id.to_string()),
                        external_id: external_id.map(str::to_string),
                        updated_at: None,
                    })
                }

                async fn update_managed_account(
                    &self,
                    c: &ManagedChange<'_>,
                    audit: &AuditEvent,
                ) -> StoreResult<Account> {
                    let f = c.fields;
                    let mut tx = self.begin().await?;
                    let done = sqlx::query(
                        "UPDATE accounts SET username = $1, username_key = $2, given_name = $3, \
                         family_name = $4, email = $5, phone = $6, title = $7, external_id = $8, \
                         managed_by = $9, updated_at = $10 WHERE id = $11",
                    )
                    .bind(&f.username)
                    .bind(f.username.to_lowercase())
                    .bind(&f.given_name)
                    .bind(&f.family_name)
                    .bind(&f.email)
                    .bind(&f.phone)
                    .bind(&f.title)
                    .bind(&f.external_id)
                    .bind(c.org_id)
                    .bind(c.at)
                    .bind(c.account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| account_conflict(e, &f.username))?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound(format!("account {}", c.account_id)));
                    }
                    for n in c.scope {
                        if c.networks.contains(n) {
                            sqlx::query(
                                "INSERT INTO memberships (account_id, org_id, network, role) \
                                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                            )
                            .bind(c.account_id)
                            .bind(c.org_id)
                            .bind(n.as_str())
                            .bind(Role::Member.as_str())
                            .execute(&mut *tx)
                            .await
                            .map_err(map_err)?;
                        } else {
                            sqlx::query(
                                "DELETE FROM memberships WHERE account_id = $1 AND org_id = $2 \
                                 AND network = $3 AND role = $4",
                            )
                            .bind(c.account_id)
                            .bind(c.org_id)
                            .bind(n.as_str())
                            .bind(Role::Member.as_str())
                            .execute(&mut *tx)
                            .await
                            .map_err(map_err)?;
                        }
                    }
                    insert_audit(&mut *tx, audit).await?;
                    let account = account_in(&mut tx, c.account_id).await?;
                    tx.commit().await.map_err(map_err)?;
                    Ok(account)
                }

                async fn find_managed(
                    &self,
                    q: &ManagedQuery<'_>,
                ) -> StoreResult<(Vec<Account>, u64)> {
                    let networks: Vec<&str> = q.networks.iter().map(|n| n.as_str()).collect();
                    let networks = networks.join(",");
                    let s = search(q, <$db as sqlx::Database>::NAME == "PostgreSQL");
                    let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(s.count))
                        .bind(q.org_id)
                        .bind(networks.clone());
                    for v in &s.values {
                        count = count.bind(v.clone());
                    }
                    let total = count.fetch_one(&self.pool).await.map_err(map_err)?;
                    let mut page = sqlx::query_as::<_, AccountRow>(sqlx::AssertSqlSafe(s.page))
                        .bind(q.org_id)
                        .bind(networks);
                    for v in &s.values {
                        page = page.bind(v.clone());
                    }
                    let rows = page
                        .bind(i64::from(q.limit))
                        .bind(i64::from(q.offset))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_err)?;
                    Ok((convert_all(rows)?, total.max(0) as u64))
                }
            }
        }
    };
}
pub(crate) use sql_provisioning;

#[cfg(test)]
mod tests {
    use super::successor;

    #[test]
    fn the_successor_of_a_prefix_bounds_every_string_that_starts_with_it() {
        assert_eq!(successor("abc").as_deref(), Some("abd"));
        assert_eq!(successor("a@").as_deref(), Some("aA"));
        assert_eq!(successor("a\u{d7ff}").as_deref(), Some("a\u{e000}"));
        assert_eq!(successor("a\u{10ffff}").as_deref(), Some("b"));
        assert_eq!(successor("\u{10ffff}"), None);
        assert_eq!(successor(""), None);
        for s in ["abc", "abcz", "abc\u{10ffff}x", "abc@kshva.fi"] {
            assert!(s >= "abc" && s < successor("abc").unwrap().as_str());
        }
    }
}
