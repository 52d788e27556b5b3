//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0) to real
//! portal peers on loopback, which validate each logout token against the
//! gateway's JWKS; and the front-channel fallback on the logout page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use common::*;
use porttivahti::config::ClientSettings;
use porttivahti::oidc::logout::LogoutTokenClaims;
use porttivahti::verifier::{Verifier, VerifierConfig};

/// A portal's back-channel logout endpoint: validates what it gets.
#[derive(Clone, Default)]
struct Peer {
    received: Arc<Mutex<Vec<LogoutTokenClaims>>>,
    refused: Arc<Mutex<Vec<String>>>,
    attempts: Arc<Mutex<u32>>,
    /// Answer 500 to this many requests first.
    fail_first: u32,
    client_id: String,
    verifier: Arc<Mutex<Option<Arc<Verifier>>>>,
}

async fn receive(
    State(p): State<Peer>,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> StatusCode {
    let n = {
        let mut a = p.attempts.lock().unwrap();
        *a += 1;
        *a
    };
    if n <= p.fail_first {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let Some(token) = f
        .iter()
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.clone())
    else {
        return StatusCode::BAD_REQUEST;
    };
    let v = p.verifier.lock().unwrap().clone().unwrap();
    match v.verify_logout_token(&token, &p.client_id).await {
        Ok(c) => {
            p.received.lock().unwrap().push(c);
            StatusCode::OK
        }
        Err(e) => {
            p.refused.lock().unwrap().push(e.to_string());
            StatusCode::BAD_REQUEST
        }
    }
}

async fn start_peer(client_id: &str, fail_first: u32) -> (Peer, String) {
    let peer = Peer {
        fail_first,
        client_id: client_id.into(),
        ..Default::default()
    };
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/backchannel", l.local_addr().unwrap());
    let router = axum::Router::new()
        .route("/backchannel", post(receive))
        .with_state(peer.clone());
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
    (peer, url)
}

fn client(id: &str, secret: &str, redirect: &str) -> ClientSettings {
    let text = format!(
        "client_id = \"{id}\"\nportal = \"hopo\"\nsecret = \"{secret}\"\nredirect_uris = [\"{redirect}\"]\n"
    );
    toml::from_str(&text).unwrap()
}

struct World {
    app: TestApp,
    a: Peer,
    c: Peer,
}

/// Portal A and portal C (both Hopo) with back-channel endpoints; C's
/// first two deliveries fail.
async fn world() -> World {
    let (a, a_url) = start_peer("portal-a", 0).await;
    let (c, c_url) = start_peer("portal-c", 2).await;
    let app = spawn_app_with(move |s| {
        s.logout.retry_initial_ms = 20;
        s.logout.sweep_secs = 1;
        let pa = s
            .clients
            .iter_mut()
            .find(|c| c.client_id == "portal-a")
            .unwrap();
        pa.backchannel_logout_uri = Some(a_url);
        pa.backchannel_logout_session_required = true;
        let mut pc = client("portal-c", "secret-c-0123456789", "https://c.example/cb");
        pc.backchannel_logout_uri = Some(c_url);
        pc.frontchannel_logout_uri = Some("https://c.example/fc".into());
        pc.frontchannel_logout_session_required = true;
        s.clients.push(pc);
    })
    .await;
    for p in [&a, &c] {
        let v = Verifier::fetching(
            VerifierConfig::new(&app.base),
            &format!("{}/jwks", app.base),
        )
        .await
        .unwrap()
        .with_clock(app.clock.clone());
        *p.verifier.lock().unwrap() = Some(Arc::new(v));
    }
    World { app, a, c }
}

/// Anna logs in at portal A, then portal C gets a code by single sign-on
/// and redeems it. Returns A's token response.
async fn login_both(w: &World, b: &Browser) -> serde_json::Value {
    let (t, _) = login_at_portal_a(&w.app, b).await;
    let (v, ch) = pkce();
    let r = b
        .get(&auth_url(
            &w.app,
            "portal-c",
            "https://c.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    let code = query_param(&location(&r), "code").expect("single sign-on code");
    let r = exchange(
        &w.app,
        "portal-c",
        Some("secret-c-0123456789"),
        &code,
        "https://c.example/cb",
        Some(&v),
    )
    .await;
    assert_eq!(r.status(), 200);
    t
}

/// A witness: `username` logs in at portal A in a browser of their own and
/// A redeems the code. Returns the account id, the `sub` A will be told.
/// Tests that something did *not* happen wait for a witness's logout to
/// arrive after it instead of sleeping: deliveries to A are in order.
async fn witness(w: &World, username: &str, password: &str) -> String {
    let b = Browser::new(&w.app);
    let (v, ch) = pkce();
    let back = b
        .authorize_with_login(
            &auth_url(&w.app, "portal-a", "https://a.example/cb", Some(&ch), &[]),
            username,
            password,
        )
        .await;
    let code = query_param(&back, "code").expect("a code for the witness");
    let r = exchange(
        &w.app,
        "portal-a",
        Some("secret-a-0123456789"),
        &code,
        "https://a.example/cb",
        Some(&v),
    )
    .await;
    assert_eq!(r.status(), 200);
    account_id(&w.app, username).await
}

/// The subjects of the logout tokens `p` has accepted, once it has at
/// least `n` of them (bounded: 5 s).
async fn subjects_until(p: &Peer, n: usize) -> Vec<String> {
    wait_for(p, n)
        .await
        .into_iter()
        .map(|c| c.sub.unwrap_or_default())
        .collect()
}

async fn wait_for(p: &Peer, n: usize) -> Vec<LogoutTokenClaims> {
    for _ in 0..250 {
        if p.received.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    p.received.lock().unwrap().clone()
}

#[tokio::test]
async fn logout_at_one_portal_ends_the_session_at_the_others() {
    let w = world().await;
    let b = Browser::new(&w.app);
    let t = login_both(&w, &b).await;
    let id = jwt_payload(t["id_token"].as_str().unwrap());
    let r = b
        .get(&format!(
            "/logout?id_token_hint={}",
            t["id_token"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status(), 200);
    // The page frames C's front-channel logout, and lets it be framed.
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-src https://c.example"), "{csp}");
    let page = r.text().await.unwrap();
    let sid = id["sid"].as_str().unwrap();
    assert!(page.contains("https://c.example/fc?iss="), "{page}");
    assert!(page.contains(&format!("sid={sid}")), "{page}");

    let got_a = wait_for(&w.a, 1).await;
    let got_c = wait_for(&w.c, 1).await;
    assert_eq!(got_a.len(), 1, "refused: {:?}", w.a.refused.lock().unwrap());
    assert_eq!(got_c.len(), 1, "refused: {:?}", w.c.refused.lock().unwrap());
    let anna = account_id(&w.app, "anna.hoitaja").await;
    for got in [&got_a[0], &got_c[0]] {
        assert_eq!(got.sid.as_deref(), Some(sid));
        assert_eq!(got.sub.as_deref(), Some(anna.as_str()));
        assert_eq!(got.iss, w.app.base);
    }
    assert_ne!(got_a[0].jti, got_c[0].jti);
    // C failed twice and got it on the third attempt.
    assert_eq!(*w.c.attempts.lock().unwrap(), 3);
    // Nothing more when the session would have expired. Sami logs in at
    // A in the same minute and expires with Anna's ended session: the
    // sweeper tells A of him alone; then his next session is ended by hand,
    // so a late second word about Anna would come before it.
    let sami = witness(&w, "sami.sosiaali", "Sonette-demo-2026").await;
    w.app.clock.advance(36_000 + 120);
    assert_eq!(subjects_until(&w.a, 2).await, [anna.clone(), sami.clone()]);
    witness(&w, "sami.sosiaali", "Sonette-demo-2026").await;
    porttivahti::oidc::end_account_sessions(&w.app.state, &sami)
        .await
        .unwrap();
    assert_eq!(subjects_until(&w.a, 3).await, [anna, sami.clone(), sami]);
    assert_eq!(w.c.received.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn disabling_the_account_tells_every_portal() {
    let w = world().await;
    let b = Browser::new(&w.app);
    login_both(&w, &b).await;
    let anna = account_id(&w.app, "anna.hoitaja").await;
    let n = porttivahti::oidc::end_account_sessions(&w.app.state, &anna)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        wait_for(&w.a, 1).await[0].sub.as_deref(),
        Some(anna.as_str())
    );
    assert_eq!(wait_for(&w.c, 1).await.len(), 1);
}

#[tokio::test]
async fn an_expired_session_is_announced_by_the_sweeper() {
    let w = world().await;
    // Sami's session expires ten minutes before Anna's: the sweep that
    // announces him shows Anna was not announced before her time.
    let sami = witness(&w, "sami.sosiaali", "Sonette-demo-2026").await;
    w.app.clock.advance(600);
    let b = Browser::new(&w.app);
    login_both(&w, &b).await;
    let anna = account_id(&w.app, "anna.hoitaja").await;
    w.app.clock.advance(36_000 - 600 + 120);
    assert_eq!(
        subjects_until(&w.a, 1).await,
        std::slice::from_ref(&sami),
        "not before it expires"
    );
    w.app.clock.advance(600);
    assert_eq!(subjects_until(&w.a, 2).await, [sami.clone(), anna.clone()]);
    assert_eq!(wait_for(&w.c, 1).await.len(), 1);
    // Once only: Sami's next session, a whole lifetime later, is the next
    // and only word A gets.
    witness(&w, "sami.sosiaali", "Sonette-demo-2026").await;
    w.app.clock.advance(36_000 + 120);
    assert_eq!(
        subjects_until(&w.a, 3).await,
        [sami.clone(), anna, sami],
        "once only"
    );
    assert_eq!(w.c.received.lock().unwrap().len(), 1, "once only at C");
}

#[tokio::test]
async fn a_portal_that_only_has_tokens_of_others_is_not_told() {
    // Portal A's peer is set up, but Anna only used portal B (public).
    let w = world().await;
    let b = Browser::new(&w.app);
    let (_, ch) = pkce();
    let back = b
        .authorize_with_login(
            &auth_url(&w.app, "portal-b", "https://b.example/cb", Some(&ch), &[]),
            "anna.hoitaja",
            "Intermetso-demo-2026",
        )
        .await;
    assert!(query_param(&back, "code").is_some());
    let anna = account_id(&w.app, "anna.hoitaja").await;
    porttivahti::oidc::end_account_sessions(&w.app.state, &anna)
        .await
        .unwrap();
    // Sami, who did use A, is ended after Anna: his logout is the first
    // and only thing A hears.
    let sami = witness(&w, "sami.sosiaali", "Sonette-demo-2026").await;
    porttivahti::oidc::end_account_sessions(&w.app.state, &sami)
        .await
        .unwrap();
    assert_eq!(subjects_until(&w.a, 1).await, [sami]);
    assert_eq!(*w.a.attempts.lock().unwrap(), 1);
}

#[tokio::test]
async fn logout_tokens_are_what_the_specification_asks() {
    let w = world().await;
    let b = Browser::new(&w.app);
    login_both(&w, &b).await;
    let anna = account_id(&w.app, "anna.hoitaja").await;
    porttivahti::oidc::end_account_sessions(&w.app.state, &anna)
        .await
        .unwrap();
    let got = wait_for(&w.a, 1).await;
    let c = &got[0];
    assert!(
        c.events
            .contains_key("http://schemas.openid.net/event/backchannel-logout")
    );
    assert!(c.nonce.is_none());
    assert!(c.exp > c.iat);
    // The verifier refuses it for another client, and refuses an access
    // token presented as a logout token.
    let v = w.a.verifier.lock().unwrap().clone().unwrap();
    let token = porttivahti::oidc::logout::logout_token(
        &w.app.state,
        w.app.state.clients.get("portal-a").unwrap(),
        "sid-x",
        Some(&anna),
    )
    .unwrap();
    assert_eq!(jwt_header(&token)["typ"], "logout+jwt");
    assert!(v.verify_logout_token(&token, "portal-a").await.is_ok());
    assert!(v.verify_logout_token(&token, "portal-c").await.is_err());
    let b2 = Browser::new(&w.app);
    let (t, _) = login_at_portal_a(&w.app, &b2).await;
    assert!(
        v.verify_logout_token(t["access_token"].as_str().unwrap(), "hopo")
            .await
            .is_err()
    );
    assert!(
        v.verify_logout_token(t["id_token"].as_str().unwrap(), "portal-a")
            .await
            .is_err()
    );
}
