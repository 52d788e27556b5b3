//! How the directory's login lookup and admin search scale with its size.
//!
//! Fills a fresh directory with N accounts spread over organisations of
//! 1,000 accounts each (in bulk SQL, not through the admin API: that would
//! take hours at Argon2 cost), then times 2,000 login lookups by username
//! and 500 organisation-scoped admin searches, and prints p50/p99.
//!
//!   cargo run --release --example directory_scale -- sqlite 1000
//!   cargo run --release --example directory_scale -- sqlite 1000000
//!   cargo run --release --example directory_scale -- postgres://postgres@127.0.0.1/postgres 1000000
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use porttivahti::domain::Network;
use porttivahti::store::sql::{PgDirectory, SqliteDirectory};
use porttivahti::store::{AccountQuery, Directory};
use sqlx::Connection;

const PER_ORG: u64 = 1000;

fn pct(mut v: Vec<Duration>, p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

/// The SQL that fills the directory: organisations, accounts, memberships.
/// `series` is the engine's way of counting 1..=n.
fn fill_sql(n: u64, series: &str) -> Vec<String> {
    let orgs = n.div_ceil(PER_ORG);
    let org_series = series.replace("{n}", &orgs.to_string());
    let acc_series = series.replace("{n}", &n.to_string());
    vec![
        format!(
            "INSERT INTO organisations (id, oid, business_id, name_fi, name_sv, kind, municipality, networks) \
             SELECT 'org' || i, '1.2.246.10.' || (1000000 + i) || '.10.0', '0245437-2', \
             'Organisaatio ' || i, 'Organisation ' || i, 'health_centre', 'Kunta', 'intermetso,sonette' FROM {org_series}"
        ),
        format!(
            "INSERT INTO accounts (id, username, username_key, given_name, family_name, email, status, \
             password_hash, must_change_password, failed_logins, created_at) \
             SELECT 'acc' || i, 'user' || i, 'user' || i, 'Etu' || i, 'Suku' || (i % 50000), \
             'user' || i || '@example.fi', 'active', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 0, 0, 0 \
             FROM {acc_series}"
        ),
        format!(
            "INSERT INTO memberships (account_id, org_id, network, role) \
             SELECT 'acc' || i, 'org' || (((i - 1) / {PER_ORG}) + 1), \
             CASE WHEN i % 2 = 0 THEN 'intermetso' ELSE 'sonette' END, 'member' FROM {acc_series}"
        ),
    ]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target = args.get(1).map(String::as_str).unwrap_or("sqlite");
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let dir: Box<dyn Directory> = if target == "sqlite" {
        let url = format!("sqlite://{}/scale.db", tmp.path().display());
        let d = SqliteDirectory::connect(&url, 4).await.unwrap();
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let series = "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s)";
        for sql in fill_sql(n, series) {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .unwrap();
        }
        sqlx::query("ANALYZE").execute(&mut c).await.unwrap();
        Box::new(d)
    } else {
        let name = format!("pv_scale_{n}_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(target).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let mut u = url::Url::parse(target).unwrap();
        u.set_path(&format!("/{name}"));
        let d = PgDirectory::connect(u.as_str(), 4).await.unwrap();
        let mut c = sqlx::PgConnection::connect(u.as_str()).await.unwrap();
        for sql in fill_sql(n, "generate_series(1, {n}) AS s(i)") {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .unwrap();
        }
        sqlx::query("ANALYZE").execute(&mut c).await.unwrap();
        Box::new(d)
    };
    println!(
        "{target}: {n} accounts in {} organisations, filled in {:.1} s",
        n.div_ceil(PER_ORG),
        started.elapsed().as_secs_f64()
    );
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // Login: the account and its hash by username.
    let mut login = Vec::new();
    for _ in 0..2000 {
        let u = format!("USER{}", next() % n + 1);
        let t = Instant::now();
        assert!(dir.credentials(&u).await.unwrap().is_some());
        login.push(t.elapsed());
    }
    // Admin search: a liaison's organisation, their network, a name fragment.
    let mut search = Vec::new();
    let orgs = n.div_ceil(PER_ORG);
    for _ in 0..500 {
        let org = format!("org{}", next() % orgs + 1);
        let text = format!("suku{}", next() % 50);
        let t = Instant::now();
        let (page, _) = dir
            .find_accounts(&AccountQuery {
                org_id: &org,
                networks: &[Network::Intermetso],
                text: &text,
                offset: 0,
                limit: 25,
                reach_only: false,
            })
            .await
            .unwrap();
        search.push(t.elapsed());
        std::hint::black_box(page);
    }
    println!(
        "login lookup: p50 {:.3} ms, p99 {:.3} ms | admin search: p50 {:.3} ms, p99 {:.3} ms",
        pct(login.clone(), 0.5),
        pct(login, 0.99),
        pct(search.clone(), 0.5),
        pct(search, 0.99)
    );
}
