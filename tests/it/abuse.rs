//! Abuse bounds: what a stranger who has not logged in can make the
//! gateway keep (pending logins, audit rows), the per-address limit on
//! starting logins, the login limits that must not hold back people who
//! log in often, and the client address behind a proxy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use common::*;
use porttivahti::web::limits;
use tower::ServiceExt;

const CB: &str = "https://a.example/cb";

/// An authorization request's path and query, as a portal sends the
/// browser, with `extra` parameters.
fn authorize_path(app: &TestApp, extra: &[(&str, &str)]) -> String {
    let (_, ch) = pkce();
    auth_url(app, "portal-a", CB, Some(&ch), extra)[app.base.len()..].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_a_flood_of_logins_from_one_address_stays_within_the_bound() {
    let app = spawn_app().await;
    let limit = app.state.settings.rate_limit.started_per_ip;
    assert_eq!(limit, 300, "the default");
    // 100,000 unauthenticated GET /authorize from one address, driven
    // through the application's own router in-process (the same state as
    // the server on its port), eight at a time.
    const FLOOD: usize = 100_000;
    const TASKS: usize = 8;
    let attacker: SocketAddr = "203.0.113.66:40000".parse().unwrap();
    let path = authorize_path(&app, &[]);
    let router = porttivahti::web::router(app.state.clone());
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (router, path) = (router.clone(), path.clone());
            tokio::spawn(async move {
                let (mut stored, mut refused) = (0usize, 0usize);
                for _ in 0..FLOOD / TASKS {
                    let req = Request::get(path.as_str())
                        .extension(ConnectInfo(attacker))
                        .body(Body::empty())
                        .unwrap();
                    let r = router.clone().oneshot(req).await.unwrap();
                    match r.status().as_u16() {
                        303 => stored += 1,
                        429 => refused += 1,
                        s => panic!("unexpected status {s}"),
                    }
                }
                (stored, refused)
            })
        })
        .collect();
    let (mut stored, mut refused) = (0, 0);
    for t in tasks {
        let (s, r) = t.await.unwrap();
        stored += s;
        refused += r;
    }
    eprintln!("{FLOOD} requests in {:?}", started.elapsed());
    assert_eq!(stored as u64, limit, "only the first {limit} are stored");
    assert_eq!(stored + refused, FLOOD);
    // The store holds what the documentation promises: at most the limit
    // of pending logins for the address, each at most the entry bound.
    let (entries, bytes) = app.state.eph.pending_login_usage().unwrap();
    assert_eq!(entries as u64, limit);
    assert!(
        bytes <= entries * limits::MAX_PENDING_ENTRY_BYTES,
        "{bytes}"
    );
    // The refusal is a page the person can read.
    let r = router
        .clone()
        .oneshot(
            Request::get(path.as_str())
                .extension(ConnectInfo(attacker))
                .header("accept-language", "en")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("Too many login attempts"));
    // Another person, from another address, logs in as ever.
    let (tokens, _) = login_at_portal_a(&app, &Browser::new(&app)).await;
    assert!(tokens["access_token"].is_string(), "{tokens}");
    hostile_refused(
        "hostile_a_flood_of_logins_from_one_address_stays_within_the_bound",
        refused + 1,
    );
}

/// A good authorization URL with the parameters `set` replaced or added.
fn replaced(app: &TestApp, set: &[(&str, &str)]) -> String {
    let mut u = url::Url::parse(&auth_url(app, "portal-a", CB, Some(&pkce().1), &[])).unwrap();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| !set.iter().any(|(n, _)| n == k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .chain(set.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

#[tokio::test]
async fn hostile_oversized_authorization_parameters_are_refused() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let mut refused = 0;
    // Each stored parameter one byte too long, or with a control character:
    // `invalid_request` back to the portal (the redirect URI is known), and
    // nothing stored.
    let cases: Vec<(&str, String)> = vec![
        ("state", "s".repeat(limits::MAX_STATE + 1)),
        ("nonce", "n".repeat(limits::MAX_NONCE + 1)),
        ("login_hint", "h".repeat(limits::MAX_LOGIN_HINT + 1)),
        ("login_hint", "anna\r\nSet-Cookie: x".into()),
        ("idp_hint", "i".repeat(limits::MAX_IDP_HINT + 1)),
        ("acr_values", "a".repeat(limits::MAX_ACR_VALUES + 1)),
        ("scope", format!("openid {}", "x".repeat(limits::MAX_SCOPE))),
    ];
    for (name, value) in &cases {
        let r = b.get(&replaced(&app, &[(name, value)])).await;
        assert_eq!(r.status(), 303, "{name}");
        let to = location(&r);
        assert!(to.starts_with(CB), "{name}: {to}");
        assert_eq!(
            query_param(&to, "error").as_deref(),
            Some("invalid_request"),
            "{name}"
        );
        assert!(
            query_param(&to, "error_description")
                .unwrap()
                .contains(name)
        );
        // A refused state is not echoed; a good one is.
        let echoed = query_param(&to, "state");
        if *name == "state" {
            assert_eq!(echoed, None);
        } else {
            assert_eq!(echoed.as_deref(), Some("st-123"), "{name}");
        }
        refused += 1;
    }
    assert_eq!(app.state.eph.pending_login_usage().unwrap().0, 0);
    // A client id or redirect URI of any length is no client: a page,
    // nothing stored.
    for (k, v) in [
        ("client_id", "c".repeat(5_000)),
        ("redirect_uri", format!("{CB}{}", "r".repeat(5_000))),
    ] {
        let mut u = url::Url::parse(&format!("{}/authorize", app.base)).unwrap();
        u.query_pairs_mut()
            .append_pair("client_id", "portal-a")
            .append_pair("redirect_uri", CB)
            .append_pair("response_type", "code")
            .append_pair("scope", "openid")
            .append_pair(k, &v);
        let r = b.get(u.as_str()).await;
        assert_eq!(r.status(), 400, "{k}");
        refused += 1;
    }
    // A pending-login id that is not ours is not stored with a request
    // to an identity source.
    let r = b
        .get(&format!(
            "/login/source/nope?ar={}",
            "a".repeat(limits::MAX_AR + 1)
        ))
        .await;
    assert_eq!(r.status(), 400);
    refused += 1;
    assert_eq!(app.state.eph.pending_login_usage().unwrap().0, 0);
    // Every parameter at its longest, with the characters that take most
    // room stored: accepted, and one entry within the documented bound.
    let quotes = |n| "\"".repeat(n);
    let scope = format!("openid{}", " a".repeat((limits::MAX_SCOPE - 6) / 2));
    let r = b
        .get(&replaced(
            &app,
            &[
                ("state", &quotes(limits::MAX_STATE)),
                ("nonce", &quotes(limits::MAX_NONCE)),
                ("scope", &scope),
                ("login_hint", &"\\".repeat(limits::MAX_LOGIN_HINT)),
                ("idp_hint", &quotes(limits::MAX_IDP_HINT)),
                ("acr_values", &quotes(limits::MAX_ACR_VALUES)),
            ],
        ))
        .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/login?ar="));
    let (entries, bytes) = app.state.eph.pending_login_usage().unwrap();
    assert_eq!(entries, 1);
    assert!(bytes <= limits::MAX_PENDING_ENTRY_BYTES, "{bytes}");
    hostile_refused(
        "hostile_oversized_authorization_parameters_are_refused",
        refused,
    );
}

#[tokio::test]
async fn hostile_logins_through_a_source_count_against_the_address() {
    // An OpenID Connect source whose provider cannot be reached: each
    // request is counted before the source is tried.
    let (_closed, port) = refusing_port();
    let extra = format!(
        r#"
[[sources]]
id = "entra"
kind = "oidc"
name = "Entra"
issuer = "http://127.0.0.1:{port}/unreachable"
client_id = "porttivahti"
client_secret = "q8HnR2vKx0pWmZ3tYb6LcJ9eUa1sDf4g"
"#
    );
    let app = spawn_app_extra(&extra, &[], |s| s.rate_limit.started_per_ip = 3).await;
    let b = Browser::new(&app);
    for _ in 0..3 {
        assert_eq!(b.get("/login/source/entra").await.status(), 503);
    }
    let r = b.get("/login/source/entra").await;
    assert_eq!(r.status(), 429);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Liian monta kirjautumisyritystä")
    );
    // /authorize counts against the same limit.
    let r = b.get(&authorize_path(&app, &[])).await;
    assert_eq!(r.status(), 429);
    hostile_refused(
        "hostile_logins_through_a_source_count_against_the_address",
        2,
    );
}

#[tokio::test]
async fn a_person_who_logs_in_often_is_never_told_to_wait() {
    let app = spawn_app().await;
    let per_account = app.state.settings.rate_limit.login_per_account;
    // More successful logins than the per-account limit, in one window,
    // each in a fresh browser (so each one really logs in).
    for i in 0..per_account + 5 {
        let b = Browser::new(&app);
        let login = location(&b.get(&authorize_path(&app, &[])).await);
        let r = b
            .submit_login(&login, "anna.hoitaja", "Intermetso-demo-2026")
            .await;
        assert_eq!(r.status(), 303, "login {i} was refused");
        assert!(location(&r).starts_with(CB));
    }
    // Failures still count: the limit is there for guessing.
    let b = Browser::new(&app);
    let login = location(&b.get(&authorize_path(&app, &[])).await);
    let mut last = 0;
    for _ in 0..=per_account {
        last = b
            .submit_login(&login, "no.such.person", "wrong-password-x")
            .await
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn hostile_a_long_unknown_username_is_cut_in_the_audit_trail() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = location(&b.get(&authorize_path(&app, &[])).await);
    let typed = "x".repeat(50_000);
    let r = b.submit_login(&login, &typed, "wrong-password-x").await;
    assert_eq!(r.status(), 401);
    let ev = app.state.dir.audit_events(None, 5).await.unwrap();
    let row = ev
        .iter()
        .find(|e| e.action == "login.password.unknown_user")
        .unwrap();
    let detail = row.detail.clone().unwrap();
    assert!(detail.len() < 200, "{detail}");
    assert!(detail.contains("\"username_chars\":50000"), "{detail}");
    hostile_refused(
        "hostile_a_long_unknown_username_is_cut_in_the_audit_trail",
        1,
    );
}

/// The address the audit trail recorded for a failed login with
/// `x-forwarded-for` values `xff` from a trusted proxy.
async fn recorded_address(app: &TestApp, xff: &[&[u8]]) -> String {
    let b = Browser::new(app);
    let login = location(&b.get(&authorize_path(app, &[])).await);
    let page = b.get(&login).await.text().await.unwrap();
    let mut req = b.http.post(format!("{}/login/password", app.base));
    for v in xff {
        req = req.header(
            "x-forwarded-for",
            reqwest::header::HeaderValue::from_bytes(v).unwrap(),
        );
    }
    let r = req
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("ar", &hidden(&page, "ar")),
            ("username", "sami.sosiaali"),
            ("password", "wrong-password-x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let id = account_id(app, "sami.sosiaali").await;
    let ev = app.state.dir.audit_events(Some(&id), 1).await.unwrap();
    ev[0].source_ip.clone().unwrap()
}

#[tokio::test]
async fn hostile_an_unparseable_forwarded_hop_makes_the_header_untrusted() {
    let app =
        spawn_app_with(|s| s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    // The proxy's nearest hop, with a port, is the client.
    assert_eq!(
        recorded_address(&app, &[b"198.51.100.7, 192.0.2.5:4711"]).await,
        "192.0.2.5"
    );
    // A hop that does not parse: the proxy's own address counts, never the
    // value written further left.
    let hostile: [&[&[u8]]; 4] = [
        &[b"198.51.100.7, not-an-address"],
        &[b"198.51.100.7, 127.0.0.1, unknown"],
        &[b"198.51.100.7", b""],
        &[b"198.51.100.7", b"\xff\xfe"],
    ];
    for xff in hostile {
        assert_eq!(recorded_address(&app, xff).await, "127.0.0.1", "{xff:?}");
    }
    hostile_refused(
        "hostile_an_unparseable_forwarded_hop_makes_the_header_untrusted",
        hostile.len(),
    );
}
