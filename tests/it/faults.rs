//! Store faults lose no one's login (issue 19). A store is cut, refused
//! or black-holed by a TCP proxy between the gateway and it
//! (`common/fault_proxy.rs`), at the moment that matters:
//!
//! - in the middle of a code exchange and of a refresh (the ephemeral
//!   store already read, the directory not answering): the client's retry
//!   succeeds, and a true replay still revokes the family;
//! - a database that stops answering: every request answers within the
//!   deadline, portals get JSON `temporarily_unavailable` with
//!   `Retry-After`, never the people's page;
//! - Redis dropping its connections: the next operations succeed;
//! - Redis black-holed at start: the node starts and `/readyz` answers
//!   at once.
//!
//! The two-node fault suite under load is `faults/suite.rs`. Needs
//! `PORTTIVAHTI_TEST_POSTGRES_URL` and `PORTTIVAHTI_TEST_REDIS_URL`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "faults/suite.rs"]
mod suite;

use std::time::{Duration, Instant};

use crate::common::*;
use crate::fault_proxy::{FaultProxy, Mode, host_port, via};

const CB: &str = "https://a.example/cb";
const SECRET_A: &str = "secret-a-0123456789";

fn stores() -> Option<(String, String)> {
    match (postgres_admin_url(), redis_url()) {
        (Some(pg), Some(r)) => Some((pg, r)),
        _ => {
            eprintln!(
                "PORTTIVAHTI_TEST_POSTGRES_URL / PORTTIVAHTI_TEST_REDIS_URL not set: fault test not run"
            );
            None
        }
    }
}

/// A 503 a portal can act on: JSON `temporarily_unavailable`, with
/// `Retry-After`, and fast.
async fn assert_portal_unavailable(r: reqwest::Response, started: Instant, what: &str) {
    let took = started.elapsed();
    assert_eq!(r.status(), 503, "{what}");
    assert!(
        took < Duration::from_secs(2),
        "{what} answered after {took:?}, past its deadline"
    );
    assert_eq!(
        r.headers().get("retry-after").map(|v| v.to_str().unwrap()),
        Some("5"),
        "{what}"
    );
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "{what}: {ct}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable", "{what}: {body}");
}

async fn userinfo(app: &TestApp, access_token: &str) -> reqwest::Response {
    porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_exchange_and_a_refresh_cut_off_from_the_directory_are_retried() {
    let Some((pg, redis)) = stores() else {
        return;
    };
    let db = fresh_postgres_db(&pg).await;
    let dir = FaultProxy::start(&host_port(&db)).await;
    let db_via = via(&db, dir.port());
    let app = spawn_app_with(move |s| {
        s.store.database_url = db_via;
        s.store.redis_url = Some(redis);
        s.store.redis_prefix = fresh_redis_prefix();
        s.store.statement_timeout_ms = 500;
        s.store.query_timeout_ms = 700;
    })
    .await;
    let br = Browser::new(&app);

    // A code, and the directory stops answering before it is redeemed:
    // the code is read from Redis, the person cannot be read.
    let (v, ch) = pkce();
    let back = br
        .authorize_with_login(
            &auth_url(&app, "portal-a", CB, Some(&ch), &[]),
            "anna.hoitaja",
            "Intermetso-demo-2026",
        )
        .await;
    let code = query_param(&back, "code").unwrap();
    dir.set(Mode::BlackHole).await;
    let started = Instant::now();
    let r = exchange(&app, "portal-a", Some(SECRET_A), &code, CB, Some(&v)).await;
    assert_portal_unavailable(r, started, "code exchange, directory black-holed").await;
    // A person's page in the meantime is the page, also within the deadline.
    let started = Instant::now();
    let r = br
        .get(&auth_url(
            &app,
            "portal-a",
            CB,
            Some(&ch),
            &[("prompt", "login")],
        ))
        .await;
    let login = location(&r);
    let r = br
        .submit_login(&login, "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert_eq!(r.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(r.text().await.unwrap().contains("tilapäisesti"));
    // /readyz says so, at once.
    let started = Instant::now();
    let r = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(started.elapsed() < Duration::from_millis(1500));

    // The directory is back: the client's retry of the same code succeeds.
    dir.set(Mode::Forward).await;
    let r = exchange(&app, "portal-a", Some(SECRET_A), &code, CB, Some(&v)).await;
    assert_eq!(r.status(), 200, "the retry after the outage");
    let t: serde_json::Value = r.json().await.unwrap();
    let rt = t["refresh_token"].as_str().unwrap().to_string();
    let at = t["access_token"].as_str().unwrap().to_string();
    assert_eq!(userinfo(&app, &at).await.status(), 200);

    // Now a refresh: the family is read from Redis, then the directory
    // stops answering (past the few seconds a node keeps a person read).
    app.clock.advance(porttivahti::oidc::PEOPLE_FOR_SECS + 1);
    dir.set(Mode::BlackHole).await;
    let started = Instant::now();
    let r = refresh(&app, "portal-a", SECRET_A, &rt).await;
    assert_portal_unavailable(r, started, "refresh, directory black-holed").await;
    let started = Instant::now();
    let r = userinfo(&app, &at).await;
    assert_portal_unavailable(r, started, "userinfo, directory black-holed").await;
    dir.set(Mode::Forward).await;
    let r = refresh(&app, "portal-a", SECRET_A, &rt).await;
    assert_eq!(r.status(), 200, "the refresh retried after the outage");
    let t2: serde_json::Value = r.json().await.unwrap();
    let rt2 = t2["refresh_token"].as_str().unwrap().to_string();
    let at2 = t2["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        userinfo(&app, &at).await.status(),
        200,
        "nothing was revoked"
    );

    // True replays still end what they name: the rotated refresh token ...
    let r = refresh(&app, "portal-a", SECRET_A, &rt).await;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["error_description"],
        "refresh token has been used already"
    );
    assert_eq!(
        refresh(&app, "portal-a", SECRET_A, &rt2).await.status(),
        400
    );
    assert_eq!(userinfo(&app, &at2).await.status(), 401, "family ended");
    // ... and the redeemed code.
    let (v3, ch3) = pkce();
    let r = br
        .get(&auth_url(&app, "portal-a", CB, Some(&ch3), &[]))
        .await;
    let code3 = query_param(&location(&r), "code").unwrap();
    let r = exchange(&app, "portal-a", Some(SECRET_A), &code3, CB, Some(&v3)).await;
    assert_eq!(r.status(), 200);
    let t3: serde_json::Value = r.json().await.unwrap();
    let r = exchange(&app, "portal-a", Some(SECRET_A), &code3, CB, Some(&v3)).await;
    assert_eq!(r.status(), 400, "the code again");
    let rt3 = t3["refresh_token"].as_str().unwrap();
    assert_eq!(
        refresh(&app, "portal-a", SECRET_A, rt3).await.status(),
        400,
        "what the replayed code issued is revoked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_dropping_its_connections_costs_no_request() {
    let Some((_, redis)) = stores() else {
        return;
    };
    let proxy = FaultProxy::start(&host_port(&redis)).await;
    let redis_via = via(&redis, proxy.port());
    let app = spawn_app_with(move |s| {
        s.store.redis_url = Some(redis_via);
        s.store.redis_prefix = fresh_redis_prefix();
    })
    .await;
    let br = Browser::new(&app);
    let (_, ch) = pkce();
    for round in 0..3 {
        let r = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
        assert_eq!(r.status(), 200, "round {round}");
        // Redis restarts: every connection to it is closed, and it is
        // back before the next request.
        proxy.set(Mode::Refuse).await;
        proxy.set(Mode::Forward).await;
        let r = br
            .get(&auth_url(&app, "portal-a", CB, Some(&ch), &[]))
            .await;
        assert_eq!(
            r.status(),
            303,
            "round {round}: the first request after: {:?}",
            log_line(&["redis"])
        );
        let r = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
        assert_eq!(r.status(), 200, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_starts_and_answers_readyz_at_once_while_redis_black_holes() {
    let Some((_, redis)) = stores() else {
        return;
    };
    let proxy = FaultProxy::start(&host_port(&redis)).await;
    proxy.set(Mode::BlackHole).await;
    let redis_via = via(&redis, proxy.port());
    let started = Instant::now();
    let app = spawn_app_with(move |s| {
        s.store.redis_url = Some(redis_via);
        s.store.redis_prefix = fresh_redis_prefix();
    })
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "start-up took {took:?}");
    for _ in 0..2 {
        let started = Instant::now();
        let r = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
        let took = started.elapsed();
        assert_eq!(r.status(), 503);
        assert!(took < Duration::from_millis(1500), "/readyz took {took:?}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["ephemeral"], "unavailable");
        assert_eq!(body["directory"], "ok");
    }
    assert!(
        log_line(&["readiness: the ephemeral store did not answer"]).is_some(),
        "a warning an operator sees"
    );
    proxy.set(Mode::Forward).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
        if r.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "ready again once Redis answers");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
