//! An identity management's initial sync over SCIM, and filtered lists in
//! a large directory, against the real application on loopback.
//!
//!   cargo run --release --example scim_sync -- [--users 100000]
//!       [--connections 16] [--fill 900000] [--queries 2000]
//!       [--postgres postgres://postgres@127.0.0.1:5432/postgres]
//!
//! First `--fill` accounts of other organisations are written in bulk SQL
//! (in organisations of 1,000, as `directory_scale` does). Then the sync,
//! as Entra ID runs it for each person: `GET /Users?filter=userName eq
//! "…"` (not there yet), then `POST /Users` (a managed account, its
//! membership, its audit record and its event, in one transaction), over
//! `--connections` connections at once. Then `--queries` filtered lists,
//! one at a time, timed each: `userName eq`, `externalId eq`, `emails eq`
//! and `userName sw … and active eq true`, of accounts chosen at random.
//! The load generator runs on the same machine.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection;

struct Args {
    users: u64,
    connections: u64,
    fill: u64,
    queries: u64,
    postgres: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        users: 100_000,
        connections: 16,
        fill: 0,
        queries: 2000,
        postgres: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().expect("a value");
        match k.as_str() {
            "--users" => a.users = v.parse().unwrap(),
            "--connections" => a.connections = v.parse().unwrap(),
            "--fill" => a.fill = v.parse().unwrap(),
            "--queries" => a.queries = v.parse().unwrap(),
            "--postgres" => a.postgres = Some(v),
            other => panic!("unknown option {other}"),
        }
    }
    a
}

const PER_ORG: u64 = 1000;

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
             password_hash, must_change_password, failed_logins, created_at, managed_by, external_id) \
             SELECT 'acc' || i, 'user' || i, 'user' || i, 'Etu' || i, 'Suku' || (i % 50000), \
             'user' || i || '@example.fi', 'active', NULL, 0, 0, 0, \
             'org' || (((i - 1) / {PER_ORG}) + 1), 'ext-' || i FROM {acc_series}"
        ),
        format!(
            "INSERT INTO memberships (account_id, org_id, network, role) \
             SELECT 'acc' || i, 'org' || (((i - 1) / {PER_ORG}) + 1), \
             CASE WHEN i % 2 = 0 THEN 'intermetso' ELSE 'sonette' END, 'member' FROM {acc_series}"
        ),
    ]
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::main]
async fn main() {
    // Warnings only: a log line per request would be the measure.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn,sqlx=error"))
        .try_init();
    let a = args();
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let url = match &a.postgres {
        None => {
            let url = format!("sqlite://{}/sync.db", tmp.path().display());
            porttivahti::store::sql::SqliteDirectory::connect(&url, 4)
                .await
                .unwrap();
            if a.fill > 0 {
                let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
                let series = "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s)";
                for sql in fill_sql(a.fill, series) {
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut c)
                        .await
                        .unwrap();
                }
                sqlx::query("ANALYZE").execute(&mut c).await.unwrap();
            }
            url
        }
        Some(admin) => {
            let url = common::fresh_postgres_db(admin).await;
            porttivahti::store::sql::PgDirectory::connect(&url, 4)
                .await
                .unwrap();
            if a.fill > 0 {
                let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                for sql in fill_sql(a.fill, "generate_series(1, {n}) AS s(i)") {
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut c)
                        .await
                        .unwrap();
                }
                sqlx::query("ANALYZE").execute(&mut c).await.unwrap();
            }
            url
        }
    };
    let engine = if a.postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "{engine}: {} accounts filled in bulk in {:.1} s",
        a.fill,
        started.elapsed().as_secs_f64()
    );
    let app = common::spawn_app_extra(
        "",
        &[
            ("PORTTIVAHTI__STORE__DATABASE_URL", url.as_str()),
            ("PORTTIVAHTI__STORE__MAX_CONNECTIONS", "16"),
        ],
        |_| {},
    )
    .await;
    // The provisioning client, as the service desk makes it.
    let op = porttivahti::admin::Principal::service("bench", None);
    let desk = porttivahti::admin::OperatorScope::for_principal(&app.state, &op).unwrap();
    let token = desk
        .create_provisioning_client("jkl", "Entra ID (bench)", &[])
        .await
        .unwrap()
        .token;
    let base = format!("{}/scim/v2", app.base);
    let http = porttivahti::http_client_builder()
        .pool_max_idle_per_host(a.connections as usize)
        .build()
        .unwrap();

    // The initial sync.
    let next = Arc::new(AtomicU64::new(0));
    let sync_started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.connections {
        let (http, base, token, next) = (http.clone(), base.clone(), token.clone(), next.clone());
        let users = a.users;
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= users {
                    break;
                }
                let user = format!("henkilo{i}@kshva.fi");
                let found: Value = http
                    .get(format!(
                        "{base}/Users?filter={}",
                        enc(&format!("userName eq \"{user}\""))
                    ))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert_eq!(found["totalResults"], 0, "{found}");
                let r = http
                    .post(format!("{base}/Users"))
                    .bearer_auth(&token)
                    .header("content-type", "application/scim+json")
                    .body(
                        json!({
                            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                            "userName": user,
                            "externalId": format!("entra-{i}"),
                            "name": { "givenName": format!("Etu{i}"), "familyName": format!("Suku{}", i % 5000) },
                            "emails": [{ "value": user, "type": "work", "primary": true }],
                            "title": "sairaanhoitaja",
                            "active": true,
                        })
                        .to_string(),
                    )
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let sync = sync_started.elapsed();
    println!(
        "{engine}: initial sync of {} users over {} connections in {:.1} s ({:.0} users/s)",
        a.users,
        a.connections,
        sync.as_secs_f64(),
        a.users as f64 / sync.as_secs_f64()
    );

    // Filtered lists in the directory as it now is.
    let total = a.fill + a.users;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    type Filter = Box<dyn Fn(u64) -> String>;
    let filters: [(&str, Filter); 4] = [
        (
            "userName eq",
            Box::new(|i| format!("userName eq \"henkilo{i}@kshva.fi\"")),
        ),
        (
            "externalId eq",
            Box::new(|i| format!("externalId eq \"entra-{i}\"")),
        ),
        (
            "emails eq",
            Box::new(|i| format!("emails eq \"HENKILO{i}@kshva.fi\"")),
        ),
        (
            "userName sw and active",
            Box::new(|i| format!("userName sw \"henkilo{i}@\" and active eq true")),
        ),
    ];
    println!("{engine}: {total} accounts; filtered lists, one at a time (ms):");
    for (name, f) in &filters {
        let mut times = Vec::new();
        for _ in 0..a.queries / filters.len() as u64 {
            let i = rand() % a.users;
            let t = Instant::now();
            let v: Value = http
                .get(format!("{base}/Users?filter={}", enc(&f(i))))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            times.push(t.elapsed());
            assert_eq!(v["totalResults"], 1, "{name} {i}: {v}");
        }
        let n = times.len();
        println!(
            "  {name:<24} n={n:<5} p50 {:.2}  p99 {:.2}  max {:.2}",
            pct(&mut times, 0.5),
            pct(&mut times, 0.99),
            pct(&mut times, 1.0)
        );
    }
}
