//! The directory on SQL, one body of queries for both engines: SQLite
//! (embedded default) and PostgreSQL (several nodes). Queries use `$N`
//! parameters in order of first appearance, which both engines accept.

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

/// Implements [`Directory`](crate::store::Directory) for `$name` (which
/// has a `pool` field, and a `writer` lock when writes must take turns) on
/// database `$db` with row type `$row`.
macro_rules! sql_directory {
    ($name:ident, $db:ty, $row:ty) => {
macro_rules! account_columns {
    () => {
        "id, username, given_name, family_name, email, phone, title, status, status_reason, \
         must_change_password, failed_logins, created_at, last_login_at"
    };
}

fn account_from_row(r: &$row) -> StoreResult<Account> {
    Ok(Account {
        id: r.try_get("id").map_err(map_err)?,
        username: r.try_get("username").map_err(map_err)?,
        given_name: r.try_get("given_name").map_err(map_err)?,
        family_name: r.try_get("family_name").map_err(map_err)?,
        email: r.try_get("email").map_err(map_err)?,
        phone: r.try_get("phone").map_err(map_err)?,
        title: r.try_get("title").map_err(map_err)?,
        status: parse(&r.try_get::<String, _>("status").map_err(map_err)?)?,
        status_reason: r.try_get("status_reason").map_err(map_err)?,
        must_change_password: r
            .try_get::<i64, _>("must_change_password")
            .map_err(map_err)?
            != 0,
        failed_logins: r.try_get::<i64, _>("failed_logins").map_err(map_err)? as u32,
        created_at: r.try_get("created_at").map_err(map_err)?,
        last_login_at: r.try_get("last_login_at").map_err(map_err)?,
    })
}

fn org_from_row(r: &$row) -> StoreResult<Organisation> {
    let networks: String = r.try_get("networks").map_err(map_err)?;
    Ok(Organisation {
        id: r.try_get("id").map_err(map_err)?,
        oid: parse(&r.try_get::<String, _>("oid").map_err(map_err)?)?,
        business_id: parse(&r.try_get::<String, _>("business_id").map_err(map_err)?)?,
        name_fi: r.try_get("name_fi").map_err(map_err)?,
        name_sv: r.try_get("name_sv").map_err(map_err)?,
        kind: parse(&r.try_get::<String, _>("kind").map_err(map_err)?)?,
        municipality: r.try_get("municipality").map_err(map_err)?,
        networks: networks
            .split(',')
            .filter(|s| !s.is_empty())
            .map(parse::<Network, _>)
            .collect::<StoreResult<_>>()?,
    })
}

fn audit_from_row(r: &$row) -> StoreResult<AuditEvent> {
    Ok(AuditEvent {
        at: r.try_get("at").map_err(map_err)?,
        actor: r.try_get("actor").map_err(map_err)?,
        action: r.try_get("action").map_err(map_err)?,
        subject: r.try_get("subject").map_err(map_err)?,
        org_id: r.try_get("org_id").map_err(map_err)?,
        source_ip: r.try_get("source_ip").map_err(map_err)?,
        reason: r.try_get("reason").map_err(map_err)?,
        detail: r.try_get("detail").map_err(map_err)?,
    })
}

const INSERT_AUDIT: &str = "INSERT INTO audit_events \
     (at, actor, action, subject, org_id, source_ip, reason, detail) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Inserts an account and its memberships inside `tx`.
async fn insert_account(
    tx: &mut WriteTx<'_, $db>,
    a: &NewAccount,
    memberships: &[Membership],
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO accounts (id, username, username_key, given_name, family_name, \
         email, phone, title, password_hash, must_change_password, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
    .execute(&mut **tx)
    .await
    .map_err(|e| match map_err(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("username {}", a.username)),
        other => other,
    })?;
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

async fn insert_audit<'c, E>(exec: E, a: &AuditEvent) -> StoreResult<()>
where
    E: sqlx::Executor<'c, Database = $db>,
{
    sqlx::query(INSERT_AUDIT)
        .bind(a.at)
        .bind(&a.actor)
        .bind(&a.action)
        .bind(&a.subject)
        .bind(&a.org_id)
        .bind(&a.source_ip)
        .bind(&a.reason)
        .bind(&a.detail)
        .execute(exec)
        .await
        .map_err(map_err)?;
    Ok(())
}

impl $name {
    /// Begins a write transaction in this node's turn (see [`WriteTx`]).
    async fn begin(&self) -> StoreResult<WriteTx<'_, $db>> {
        let turn = match &self.writer {
            Some(w) => Some(w.lock().await),
            None => None,
        };
        let tx = self.pool.begin().await.map_err(map_err)?;
        Ok(WriteTx { tx, _turn: turn })
    }

    async fn update_account_with_audit(
        &self,
        sql: &'static str,
        binds: impl FnOnce(
            sqlx::query::Query<'_, $db, <$db as sqlx::Database>::Arguments>,
        )
            -> sqlx::query::Query<'_, $db, <$db as sqlx::Database>::Arguments>,
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

#[async_trait]
impl Directory for $name {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn insert_organisation(&self, o: &Organisation, audit: &AuditEvent) -> StoreResult<()> {
        let networks: Vec<&str> = o.networks.iter().map(|n| n.as_str()).collect();
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
        .bind(networks.join(","))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn organisation(&self, id: &str) -> StoreResult<Option<Organisation>> {
        sqlx::query("SELECT * FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(org_from_row)
            .transpose()
    }

    async fn organisations(&self) -> StoreResult<Vec<Organisation>> {
        sqlx::query("SELECT * FROM organisations ORDER BY name_fi")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?
            .iter()
            .map(org_from_row)
            .collect()
    }

    async fn create_account(
        &self,
        a: &NewAccount,
        memberships: &[Membership],
        audit: &AuditEvent,
    ) -> StoreResult<Account> {
        let mut tx = self.begin().await?;
        insert_account(&mut tx, a, memberships).await?;
        insert_audit(&mut *tx, audit).await?;
        let row = sqlx::query(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = $1"
        ))
        .bind(&a.id)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let account = account_from_row(&row)?;
        tx.commit().await.map_err(map_err)?;
        Ok(account)
    }

    async fn account(&self, id: &str) -> StoreResult<Option<Account>> {
        sqlx::query(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .as_ref()
        .map(account_from_row)
        .transpose()
    }

    async fn credentials(&self, username: &str) -> StoreResult<Option<(Account, Option<String>)>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            account_columns!(),
            ", password_hash FROM accounts WHERE username_key = $1"
        ))
        .bind(username.to_lowercase())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        match row {
            Some(r) => {
                let hash: Option<String> = r.try_get("password_hash").map_err(map_err)?;
                Ok(Some((account_from_row(&r)?, hash)))
            }
            None => Ok(None),
        }
    }

    async fn memberships_with_organisations(
        &self,
        account_id: &str,
    ) -> StoreResult<(Vec<Membership>, Vec<Organisation>)> {
        let rows = sqlx::query(
            "SELECT m.account_id, m.org_id, m.network, m.role, o.* FROM memberships m \
             JOIN organisations o ON o.id = m.org_id \
             WHERE m.account_id = $1 ORDER BY m.org_id, m.network, m.role",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut memberships = Vec::with_capacity(rows.len());
        let mut organisations: Vec<Organisation> = Vec::new();
        for r in &rows {
            let m = Membership {
                account_id: r.try_get("account_id").map_err(map_err)?,
                org_id: r.try_get("org_id").map_err(map_err)?,
                network: parse(&r.try_get::<String, _>("network").map_err(map_err)?)?,
                role: parse(&r.try_get::<String, _>("role").map_err(map_err)?)?,
            };
            if organisations.iter().all(|o| o.id != m.org_id) {
                organisations.push(org_from_row(r)?);
            }
            memberships.push(m);
        }
        Ok((memberships, organisations))
    }

    async fn memberships(&self, account_id: &str) -> StoreResult<Vec<Membership>> {
        let rows = sqlx::query(
            "SELECT account_id, org_id, network, role FROM memberships \
             WHERE account_id = $1 ORDER BY org_id, network, role",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(Membership {
                    account_id: r.try_get("account_id").map_err(map_err)?,
                    org_id: r.try_get("org_id").map_err(map_err)?,
                    network: parse(&r.try_get::<String, _>("network").map_err(map_err)?)?,
                    role: parse(&r.try_get::<String, _>("role").map_err(map_err)?)?,
                })
            })
            .collect()
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
        let row = sqlx::query(
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
        tx.commit().await.map_err(map_err)?;
        let failed = row.try_get::<i64, _>("failed_logins").map_err(map_err)? as u32;
        let status: AccountStatus = parse(&row.try_get::<String, _>("status").map_err(map_err)?)?;
        Ok(FailureOutcome {
            failed_logins: failed,
            locked_now: status == AccountStatus::Locked && failed == lock_after,
        })
    }

    async fn record_login_success(&self, account_id: &str, audit: &AuditEvent) -> StoreResult<()> {
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
            "UPDATE accounts SET previous_password_hash = CASE WHEN must_change_password = 0 \
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

    async fn set_status(
        &self,
        account_id: &str,
        status: AccountStatus,
        reason: Option<&str>,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        self.update_account_with_audit(
            "UPDATE accounts SET status = $1, status_reason = $2, \
               failed_logins = CASE WHEN $1 = 'active' THEN 0 ELSE failed_logins END \
             WHERE id = $3",
            |q| q.bind(status.as_str()).bind(reason).bind(account_id),
            account_id,
            audit,
        )
        .await
    }

    async fn update_organisation(&self, o: &Organisation, audit: &AuditEvent) -> StoreResult<()> {
        let networks: Vec<&str> = o.networks.iter().map(|n| n.as_str()).collect();
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE organisations SET oid = $1, business_id = $2, name_fi = $3, name_sv = $4, \
             kind = $5, municipality = $6, networks = $7 WHERE id = $8",
        )
        .bind(o.oid.as_str())
        .bind(o.business_id.as_str())
        .bind(&o.name_fi)
        .bind(&o.name_sv)
        .bind(o.kind.as_str())
        .bind(&o.municipality)
        .bind(networks.join(","))
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

    async fn search_organisations(&self, text: &str, limit: u32) -> StoreResult<Vec<Organisation>> {
        sqlx::query(
            "SELECT * FROM organisations WHERE $1 = '%%' \
             OR LOWER(name_fi) LIKE $1 ESCAPE '\\' OR LOWER(name_sv) LIKE $1 ESCAPE '\\' \
             OR business_id LIKE $1 ESCAPE '\\' \
             OR LOWER(COALESCE(municipality, '')) LIKE $1 ESCAPE '\\' \
             ORDER BY name_fi, id LIMIT $2",
        )
        .bind(like_pattern(text))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(org_from_row)
        .collect()
    }

    async fn find_accounts(&self, q: &AccountQuery<'_>) -> StoreResult<(Vec<Account>, u64)> {
        let networks: Vec<&str> = q.networks.iter().map(|n| n.as_str()).collect();
        let networks = networks.join(",");
        let pattern = like_pattern(q.text);
        // Two shapes, so each can use its index: an organisation's accounts
        // start from its memberships; the service desk's search from all.
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
                 a.last_login_at"
            };
        }
        let (count_sql, page_sql) = if q.org_id.is_empty() {
            (
                concat!("SELECT COUNT(*) AS n", anywhere!()),
                concat!(columns!(), anywhere!(), " ORDER BY a.family_name, a.given_name, a.id LIMIT $5 OFFSET $6"),
            )
        } else {
            (
                concat!("SELECT COUNT(*) AS n", in_org!()),
                concat!(columns!(), in_org!(), " ORDER BY a.family_name, a.given_name, a.id LIMIT $5 OFFSET $6"),
            )
        };
        let total: i64 = sqlx::query(count_sql)
            .bind(q.org_id)
            .bind(&networks)
            .bind(&pattern)
            .bind(i64::from(q.reach_only))
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?
            .try_get("n")
            .map_err(map_err)?;
        let rows = sqlx::query(page_sql)
            .bind(q.org_id)
            .bind(&networks)
            .bind(&pattern)
            .bind(i64::from(q.reach_only))
            .bind(i64::from(q.limit))
            .bind(i64::from(q.offset))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        let accounts = rows
            .iter()
            .map(account_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((accounts, total.max(0) as u64))
    }

    async fn previous_password_hash(&self, account_id: &str) -> StoreResult<Option<String>> {
        match sqlx::query("SELECT previous_password_hash FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
        {
            Some(r) => r.try_get("previous_password_hash").map_err(map_err),
            None => Ok(None),
        }
    }

    async fn update_account(
        &self,
        account_id: &str,
        u: &AccountUpdate,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        self.update_account_with_audit(
            "UPDATE accounts SET given_name = $1, family_name = $2, email = $3, phone = $4, \
             title = $5 WHERE id = $6",
            |q| {
                q.bind(u.given_name.clone())
                    .bind(u.family_name.clone())
                    .bind(u.email.clone())
                    .bind(u.phone.clone())
                    .bind(u.title.clone())
                    .bind(account_id.to_string())
            },
            account_id,
            audit,
        )
        .await
    }

    async fn add_membership(&self, m: &Membership, audit: &AuditEvent) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO memberships (account_id, org_id, network, role) VALUES ($1, $2, $3, $4)",
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

    async fn remove_membership(&self, m: &Membership, audit: &AuditEvent) -> StoreResult<()> {
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
        if m.role == crate::domain::Role::Liaison {
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

    async fn totp_secret(&self, account_id: &str) -> StoreResult<Option<Vec<u8>>> {
        match sqlx::query("SELECT totp_secret FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
        {
            Some(r) => r.try_get("totp_secret").map_err(map_err),
            None => Ok(None),
        }
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

    async fn publish_liaison_contact(
        &self,
        c: &LiaisonContact,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO liaison_contacts (account_id, org_id, network, name, email, phone) \
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
        let rows = sqlx::query(
            "SELECT c.account_id, c.org_id, c.network, c.name, c.email, c.phone \
             FROM liaison_contacts c JOIN accounts a ON a.id = c.account_id \
             WHERE c.org_id = $1 AND a.status <> 'disabled' \
             ORDER BY c.network, c.name",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(LiaisonContact {
                    account_id: r.try_get("account_id").map_err(map_err)?,
                    org_id: r.try_get("org_id").map_err(map_err)?,
                    network: parse(&r.try_get::<String, _>("network").map_err(map_err)?)?,
                    name: r.try_get("name").map_err(map_err)?,
                    email: r.try_get("email").map_err(map_err)?,
                    phone: r.try_get("phone").map_err(map_err)?,
                })
            })
            .collect()
    }

    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()> {
        insert_audit(&self.pool, event).await
    }

    async fn audit_events(
        &self,
        subject: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>> {
        let rows = match subject {
            Some(s) => sqlx::query(
                "SELECT * FROM audit_events WHERE subject = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(s)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?,
            None => sqlx::query("SELECT * FROM audit_events ORDER BY id DESC LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?,
        };
        rows.iter().map(audit_from_row).collect()
    }

    async fn query_audit(&self, q: &AuditQuery<'_>) -> StoreResult<Vec<AuditEvent>> {
        sqlx::query(
            concat!(
                "SELECT * FROM audit_events WHERE ($1 = '' OR subject = $1) \
                 AND ($2 = '' OR org_id = $2 OR subject IN \
                      (SELECT account_id FROM memberships WHERE org_id = $2)) \
                 AND ($3 = '' OR actor = $3) AND at >= $4 AND at < $5 \
                 AND ($6 = 0 OR (org_id = $2 AND (subject IS NULL OR subject = '' OR ",
                crate::store::sql::engine::in_reach!("subject", "$2", "$7"),
                ")) OR ((org_id IS NULL OR org_id = '') AND subject = actor AND ",
                crate::store::sql::engine::in_reach!("subject", "$2", "$7"),
                ")) ORDER BY id DESC LIMIT $8 OFFSET $9"
            ),
        )
        .bind(q.subject)
        .bind(q.org_id)
        .bind(q.actor)
        .bind(q.since.unwrap_or(i64::MIN))
        .bind(q.until.unwrap_or(i64::MAX))
        .bind(i64::from(q.reach_only))
        .bind(
            q.networks
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(","),
        )
        .bind(i64::from(q.limit))
        .bind(i64::from(q.offset))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(audit_from_row)
        .collect()
    }

    async fn purge_audit(&self, before: i64) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM audit_events WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(map_err)?
            .rows_affected())
    }

    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>> {
        let rows = sqlx::query("SELECT * FROM signing_keys ORDER BY activate_at, kid")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(StoredKey {
                    kid: r.try_get("kid").map_err(map_err)?,
                    alg: r.try_get("alg").map_err(map_err)?,
                    encrypted_private: r.try_get("encrypted_private").map_err(map_err)?,
                    public_jwk: r.try_get("public_jwk").map_err(map_err)?,
                    created_at: r.try_get("created_at").map_err(map_err)?,
                    activate_at: r.try_get("activate_at").map_err(map_err)?,
                    retire_at: r.try_get("retire_at").map_err(map_err)?,
                })
            })
            .collect()
    }

    async fn retire_signing_key(&self, kid: &str, at: i64, audit: &AuditEvent) -> StoreResult<()> {
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
}
    };
}

pub(crate) use sql_directory;
