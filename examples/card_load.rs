//! Card-login throughput: full certificate-card logins per second against
//! the real HTTPS listener on loopback, with a card CA whose CRL has
//! `--crl-entries` revoked serials, and beside it, in the same run, the
//! crypto limit: in-memory TLS handshakes (both ends, same certificates,
//! same provider) per second on the same cores.
//!
//!   cargo run --release --example card_load -- [--crl-entries 100000]
//!       [--seconds 10] [--connections 32]
//!
//! One card login is: a new TCP connection and a full TLS 1.3 handshake
//! presenting the test professional card; `GET /authorize` (a portal's
//! authorization request); `GET /login/card?ar=…`, where the gateway
//! verifies the chain, the key usages and the card's absence from the CRL,
//! links the SATU to its account, starts a session and answers with the
//! redirect carrying the authorization code. The load generator runs on
//! the same machine, as in docs/performance.md's other figures.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../tests/it/common/mod.rs"]
mod common;
#[path = "support/cpu.rs"]
mod cpu;
#[path = "../tests/it/common/pki.rs"]
mod pki;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use porttivahti::clock::{Clock, SystemClock};
use porttivahti::config::{CardIssuer, CardSettings, CardTypeRule};
use porttivahti::domain::CardType;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Args {
    crl_entries: usize,
    seconds: u64,
    connections: usize,
    db_connections: u32,
}

fn args() -> Args {
    let mut a = Args {
        crl_entries: 100_000,
        seconds: 10,
        connections: 32,
        db_connections: 8,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v: usize = it.next().and_then(|v| v.parse().ok()).expect("a number");
        match k.as_str() {
            "--crl-entries" => a.crl_entries = v,
            "--seconds" => a.seconds = v as u64,
            "--connections" => a.connections = v,
            "--db-connections" => a.db_connections = v as u32,
            other => panic!("unknown option {other}"),
        }
    }
    a
}

/// Serves one CRL at `url`'s address and `/card-ca.crl`.
async fn serve_crl(crl: Vec<u8>, url: &str) -> String {
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/card-ca.crl")
        .to_string();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let url = url.to_string();
    let crl = Arc::new(crl);
    let router = axum::Router::new().route(
        "/card-ca.crl",
        axum::routing::get(move || {
            let crl = crl.clone();
            async move { ([("content-type", "application/pkix-crl")], (*crl).clone()) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

fn card_settings(dir: &std::path::Path, crl_url: &str) -> CardSettings {
    CardSettings {
        enabled: true,
        trust_anchors: Some(dir.join("roots.pem")),
        issuers: vec![CardIssuer {
            certificate: dir.join("card-ca.pem"),
            crl_url: Some(crl_url.to_string()),
            card_type: None,
            revocation: Default::default(),
            ocsp_url: None,
        }],
        types: vec![CardTypeRule {
            card_type: CardType::Professional,
            policy_oids: vec![pki::POLICY_PROFESSIONAL.to_string()],
        }],
        ..CardSettings::default()
    }
}

fn client_config(card: &pki::TestCard) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter("certs/dev/ca.pem").unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_client_auth_cert(
        vec![CertificateDer::from(card.cert_der.clone())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(card.key_der.clone())),
    )
    .unwrap();
    Arc::new(config)
}

/// One HTTP/1.1 exchange on a kept-alive connection: status and the
/// `Location` header.
async fn exchange<S: AsyncReadExt + AsyncWriteExt + Unpin>(
    s: &mut S,
    path: &str,
) -> (u16, Option<String>) {
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Language: fi\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let len: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    (status, header("location"))
}

/// One whole card login; panics on anything but the code redirect.
async fn card_login(addr: SocketAddr, config: Arc<rustls::ClientConfig>, authorize: &str) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(config)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (status, login) = exchange(&mut tls, authorize).await;
    assert_eq!(status, 303, "authorize");
    let login = login.unwrap();
    let ar = login
        .split("ar=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let (status, back) = exchange(&mut tls, &format!("/login/card?ar={ar}")).await;
    let back = back.unwrap_or_default();
    assert!(
        (300..400).contains(&status) && back.contains("code="),
        "card login: {status} {back}"
    );
}

/// In-memory card logins' cryptography per second on `threads` threads:
/// a full TLS handshake (the client presents the card, the server is
/// configured as the gateway's listener) and the gateway's card check
/// (chain to the anchors, key usages, the CRL probe), with no network, no
/// HTTP and no store.
fn crypto_limit(
    card: &pki::TestCard,
    cards: porttivahti::identity::card::Cards,
    threads: usize,
    secs: u64,
) -> f64 {
    let server = Arc::new(
        porttivahti::web::tls::server_config(
            std::path::Path::new("certs/dev/server-chain.pem"),
            std::path::Path::new("certs/dev/server-key.pem"),
            true,
            cards.hint_subjects(),
        )
        .unwrap(),
    );
    let client = client_config(card);
    let chain = vec![CertificateDer::from(card.cert_der.clone())];
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (server, client, done) = (server.clone(), client.clone(), done.clone());
            let (cards, chain) = (cards.clone(), chain.clone());
            s.spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                while Instant::now() < deadline {
                    handshake(&server, &client);
                    rt.block_on(cards.verify(&chain, SystemClock.now()))
                        .unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn handshake(server: &Arc<rustls::ServerConfig>, client: &Arc<rustls::ClientConfig>) {
    let mut c =
        rustls::ClientConnection::new(client.clone(), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let mut s = rustls::ServerConnection::new(server.clone()).unwrap();
    let mut buf = Vec::with_capacity(8192);
    while c.is_handshaking() || s.is_handshaking() {
        buf.clear();
        while c.wants_write() {
            c.write_tls(&mut buf).unwrap();
        }
        if !buf.is_empty() {
            s.read_tls(&mut buf.as_slice()).unwrap();
            s.process_new_packets().unwrap();
        }
        buf.clear();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        if !buf.is_empty() {
            c.read_tls(&mut buf.as_slice()).unwrap();
            c.process_new_packets().unwrap();
        }
    }
}

fn main() {
    let a = args();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    // The gateway (and the CRL server) on one runtime, the load generator
    // on another, so that their CPU time can be told apart.
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
    let now = SystemClock.now();
    let (app, pki) = server_rt.block_on(async {
        // The CRL server's address goes into the cards: take a free port
        // for it first.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let crl_url = format!("http://{}/card-ca.crl", listener.local_addr().unwrap());
        drop(listener);
        let pki = pki::TestPki::generate(now, &crl_url);
        let t = Instant::now();
        let crl = pki.crl_padded(&["revoked"], a.crl_entries, now - 3600, now + 86_400);
        eprintln!(
            "CRL: {} entries, {} bytes, made in {:.1} s",
            a.crl_entries + 1,
            crl.len(),
            t.elapsed().as_secs_f64()
        );
        let url = serve_crl(crl, &crl_url).await;
        let dir = tempfile::tempdir().unwrap();
        pki.write(dir.path());
        let cards = card_settings(dir.path(), &url);
        let app = common::spawn_app_with(|s| {
            s.server.tls_listen = Some("127.0.0.1:0".parse().unwrap());
            s.card = cards;
            s.store.max_connections = a.db_connections;
            // One address starts every login here: the per-address limit
            // on started logins would refuse the load itself.
            s.rate_limit.started_per_ip = u64::MAX / 2;
        })
        .await;
        let account_id = common::account_id(&app, "anna.hoitaja").await;
        let link = porttivahti::store::IdentityLink {
            source: "card".into(),
            subject: pki.card("professional").satu.into(),
            account_id,
            created_at: now,
            last_used_at: None,
        };
        app.state
            .dir
            .link_identity(
                &link,
                &porttivahti::store::AuditEvent::new(now, "bench", "identity.linked"),
            )
            .await
            .unwrap();
        std::mem::forget(dir);
        (app, pki)
    });
    let addr = app.tls.unwrap();
    let (_, challenge) = common::pkce();
    let authorize = common::auth_url(
        &app,
        "portal-a",
        "https://a.example/cb",
        Some(&challenge),
        &[],
    );
    let authorize = authorize
        .strip_prefix(&app.base)
        .unwrap_or(&authorize)
        .to_string();
    let config = client_config(pki.card("professional"));
    let (logins, elapsed, lat) = load_rt.block_on(async {
        // Warm up: fetches and indexes the CRL once.
        let t = Instant::now();
        card_login(addr, config.clone(), &authorize).await;
        eprintln!(
            "first login (CRL fetched and indexed): {:.0} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let tasks: Vec<_> = (0..a.connections)
            .map(|_| {
                let (stop, count, config, authorize) = (
                    stop.clone(),
                    count.clone(),
                    config.clone(),
                    authorize.clone(),
                );
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        card_login(addr, config.clone(), &authorize).await;
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
    let (server_cpu, other_cpu) = cpu::cpu_by_thread(&["pv-server", "sqlx-sqlite"]);
    // The warm-up login is in the counts too.
    let per_login = |cpu: f64| cpu / (logins + 1) as f64 * 1000.0;
    let mut lat = lat;
    lat.sort();
    let p =
        |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)].as_secs_f64() * 1000.0;
    let rate = logins as f64 / elapsed;
    let cards = app.state.cards.clone().unwrap();
    let limit = crypto_limit(pki.card("professional"), cards, threads, a.seconds);
    println!(
        "card logins: {rate:.0}/s over {} connections for {elapsed:.1} s (p50 {:.1} ms, p99 {:.1} ms), CRL {} entries",
        a.connections,
        p(0.5),
        p(0.99),
        a.crl_entries + 1
    );
    println!(
        "CPU per login: gateway {:.2} ms, load generator {:.2} ms; the gateway alone on {threads} cores: {:.0} logins/s",
        per_login(server_cpu),
        per_login(other_cpu),
        threads as f64 * 1000.0 / per_login(server_cpu)
    );
    println!(
        "crypto limit: {limit:.0} card logins/s in memory (TLS handshake both ends + the card check, {threads} threads)"
    );
    println!("ratio: {:.2} of the crypto limit", rate / limit);
}
