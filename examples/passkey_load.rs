//! Passkey-login throughput: whole username-less passkey logins per second
//! against the real application on loopback, with a software
//! authenticator per connection that really signs, and beside it, in the
//! same run, the crypto limit: raw P-256 verifications per second on the
//! same cores.
//!
//!   cargo run --release --example passkey_load -- [--seconds 10]
//!       [--connections 32]
//!
//! One passkey login is: `GET /authorize` (a portal's authorization
//! request); `GET /login?ar=…` (the login page and its CSRF cookie);
//! `POST /login/passkey/options` (a challenge, stored bound to the
//! browser); the authenticator signs; `POST /login/passkey`, where the
//! gateway takes the challenge once, checks the origin, RP id, flags and
//! signature, moves the counter in the directory, starts the session and
//! answers with the redirect carrying the authorization code. The load
//! generator runs in the same process on a runtime of its own, on the same
//! cores; the CPU time of each side is counted per thread (examples/
//! support/cpu.rs), so the gateway's own cost per login shows apart from
//! the load generator's.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../tests/it/common/mod.rs"]
mod common;
#[path = "support/cpu.rs"]
mod cpu;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use porttivahti::domain::{LoA, Network, Role};
use porttivahti::identity::passkey::soft::{Client, SoftAuthenticator};
use porttivahti::store::{AuditEvent, Membership, NewAccount, Passkey};

struct Args {
    seconds: u64,
    connections: usize,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 10,
        connections: 32,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v: u64 = it.next().and_then(|v| v.parse().ok()).expect("a number");
        match k.as_str() {
            "--seconds" => a.seconds = v,
            "--connections" => a.connections = v as usize,
            other => panic!("unknown option {other}"),
        }
    }
    a
}

/// A person with a registered passkey: the account, and its authenticator.
async fn person(app: &common::TestApp, i: usize, now: i64) -> SoftAuthenticator {
    let id = format!("load-{i}");
    let account = NewAccount {
        id: id.clone(),
        username: format!("load.{i}"),
        given_name: "Kuorma".into(),
        family_name: format!("Testaaja {i}"),
        email: None,
        phone: None,
        title: None,
        password_hash: None,
        must_change_password: false,
        created_at: now,
    };
    let m = Membership {
        account_id: id.clone(),
        org_id: "jkl".into(),
        network: Network::Intermetso,
        role: Role::Member,
    };
    let audit = AuditEvent::new(now, "bench", "account.created");
    app.state
        .dir
        .create_account(&account, &[m], &audit)
        .await
        .unwrap();
    let key = SoftAuthenticator::new(id.as_bytes());
    let passkey = Passkey {
        credential_id: porttivahti::crypto::b64url(&key.credential_id),
        account_id: id,
        name: "kuorma".into(),
        public_key: key.cose_key(),
        alg: -7,
        sign_count: 0,
        backup_eligible: false,
        backed_up: false,
        user_verified: true,
        registered_loa: LoA::Low,
        aaguid: "0".repeat(32),
        created_at: now,
        last_used_at: None,
    };
    app.state.dir.add_passkey(&passkey, &audit).await.unwrap();
    key
}

fn cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.cookies()
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// One whole passkey login; panics on anything but the code redirect.
async fn passkey_login(
    http: &reqwest::Client,
    base: &str,
    origin: &str,
    authorize: &str,
    key: &mut SoftAuthenticator,
) {
    let r = http.get(format!("{base}{authorize}")).send().await.unwrap();
    assert_eq!(r.status(), 303, "authorize");
    let login = r.headers()["location"].to_str().unwrap().to_string();
    let ar = common::query_param(&format!("{base}{login}"), "ar").unwrap();
    let r = http.get(format!("{base}{login}")).send().await.unwrap();
    let seed = cookie(&r, "pv_csrf").expect("a CSRF cookie");
    let page = r.text().await.unwrap();
    let csrf = common::hidden(&page, "csrf");
    let jar = format!("pv_csrf={seed}");
    let o: serde_json::Value = http
        .post(format!("{base}/login/passkey/options"))
        .header("cookie", &jar)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client = Client {
        origin,
        rp_id: "localhost",
    };
    let answer = key.assert(&client, o["challenge"].as_str().unwrap());
    let r = http
        .post(format!("{base}/login/passkey"))
        .header("cookie", &jar)
        .form(&[
            ("csrf", csrf.as_str()),
            ("ar", ar.as_str()),
            ("credential", &serde_json::to_string(&answer).unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let back = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        r.status().is_redirection() && back.contains("code="),
        "passkey login: {} {back}",
        r.status()
    );
}

/// Store operations so far, by store and operation, from the gateway's
/// own metrics (each operation is counted once, however many statements
/// it runs).
fn store_operations(app: &common::TestApp) -> BTreeMap<String, f64> {
    let prefix = "porttivahti_store_operation_duration_seconds_count{";
    let mut ops = BTreeMap::new();
    for line in app.state.metrics.render().lines() {
        let Some(rest) = line.strip_prefix(prefix) else {
            continue;
        };
        let Some((labels, n)) = rest.rsplit_once("} ") else {
            continue;
        };
        let label = |k: &str| {
            labels
                .split(',')
                .find_map(|kv| kv.strip_prefix(&format!("{k}=\"")))
                .map(|v| v.trim_end_matches('"').to_string())
                .unwrap_or_default()
        };
        let key = format!("{} {}", label("store"), label("operation"));
        *ops.entry(key).or_insert(0.0) += n.parse::<f64>().unwrap_or(0.0);
    }
    ops
}

/// Raw P-256 verifications per second on `threads` threads.
fn crypto_limit(threads: usize, secs: u64) -> f64 {
    let key = SoftAuthenticator::new(b"limit");
    let message = vec![7u8; 69];
    let sig = key.sign(&message);
    let point = match porttivahti::identity::passkey::CoseKey::parse(&key.cose_key()) {
        Ok(porttivahti::identity::passkey::CoseKey::Es256(p)) => p,
        _ => unreachable!(),
    };
    let done = AtomicU64::new(0);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    for _ in 0..64 {
                        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &point)
                            .verify(&message, &sig)
                            .unwrap();
                    }
                    n += 64;
                }
                done.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // The gateway's log lines go to stderr at the level RUST_LOG names
    // (warnings when unset), as the binary's would; not into the test
    // harness's in-memory capture (installed only if none is in place),
    // whose growing buffer would be a cost of the measurement.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let a = args();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("pv-server")
        .enable_all()
        .build()
        .unwrap();
    let load_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("pv-load")
        .enable_all()
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (app, keys) = server_rt.block_on(async {
        let app = common::spawn_app_with(|s| {
            s.rate_limit.started_per_ip = u64::MAX / 2;
        })
        .await;
        let mut keys = Vec::new();
        for i in 0..a.connections {
            keys.push(person(&app, i, now).await);
        }
        (app, keys)
    });
    let base = app.base.clone();
    let origin = base.replace("127.0.0.1", "localhost");
    let (_, challenge) = common::pkce();
    let authorize = common::auth_url(
        &app,
        "portal-a",
        "https://a.example/cb",
        Some(&challenge),
        &[],
    );
    let authorize = authorize.strip_prefix(&base).unwrap().to_string();
    // CPU time from here on: the set-up (accounts, passkeys) is not a login.
    let gateway = ["pv-server", "sqlx-sqlite"];
    let (server_before, other_before) = cpu::cpu_by_thread(&gateway);
    let ops_before = store_operations(&app);
    let (logins, elapsed, lat) = load_rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let tasks: Vec<_> = keys
            .into_iter()
            .map(|mut key| {
                let (stop, count) = (stop.clone(), count.clone());
                let (base, origin, authorize) = (base.clone(), origin.clone(), authorize.clone());
                tokio::spawn(async move {
                    let http = porttivahti::http_client_builder()
                        .redirect(reqwest::redirect::Policy::none())
                        .build()
                        .unwrap();
                    let mut mine = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        passkey_login(&http, &base, &origin, &authorize, &mut key).await;
                        mine.push(t.elapsed());
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    mine
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs(a.seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut lat: Vec<Duration> = Vec::new();
        for t in tasks {
            lat.extend(t.await.unwrap());
        }
        (
            count.load(Ordering::Relaxed),
            start.elapsed().as_secs_f64(),
            lat,
        )
    });
    let (server_after, other_after) = cpu::cpu_by_thread(&gateway);
    let ops_after = store_operations(&app);
    let per_login = |cpu: f64| cpu / logins as f64 * 1000.0;
    let (server_ms, load_ms) = (
        per_login(server_after - server_before),
        per_login(other_after - other_before),
    );
    let mut lat = lat;
    lat.sort();
    let p =
        |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)].as_secs_f64() * 1000.0;
    let rate = logins as f64 / elapsed;
    let limit = crypto_limit(threads, a.seconds.min(5));
    println!(
        "passkey logins: {rate:.0}/s over {} connections for {elapsed:.1} s (p50 {:.1} ms, p99 {:.1} ms)",
        a.connections,
        p(0.5),
        p(0.99)
    );
    println!(
        "CPU per login: gateway {server_ms:.2} ms, load generator {load_ms:.2} ms; the gateway alone on {threads} cores: {:.0} logins/s",
        threads as f64 * 1000.0 / server_ms
    );
    let per_login_ops: Vec<String> = ops_after
        .iter()
        .filter_map(|(k, after)| {
            let n = (after - ops_before.get(k).copied().unwrap_or(0.0)) / logins as f64;
            (n >= 0.005).then(|| format!("{k} {n:.2}"))
        })
        .collect();
    println!("store operations per login: {}", per_login_ops.join(", "));
    println!("raw P-256 verifications: {limit:.0}/s on {threads} threads (same run)");
    println!(
        "ratio: {:.3} passkey logins per raw verification; the gateway's CPU per login is {:.1} raw verifications",
        rate / limit,
        server_ms / 1000.0 * limit / threads as f64
    );
}
