//! The verifier for relying services: offline verification against the
//! published JWKS, key rotation, the tower layer, and the CLI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::routing::get;
use common::*;
use porttivahti::verifier::{
    RequirePortalLayer, VerifiedToken, Verifier, VerifierConfig, VerifyError,
};

async fn anna_token(app: &TestApp) -> String {
    let b = Browser::new(app);
    let (t, _) = login_at_portal_a(app, &b).await;
    t["access_token"].as_str().unwrap().to_string()
}

async fn verifier(app: &TestApp, cfg: VerifierConfig) -> Verifier {
    Verifier::fetching(cfg, &format!("{}/jwks", app.base))
        .await
        .unwrap()
        .with_clock(app.clock.clone())
}

#[tokio::test]
async fn verifies_offline_and_checks_portal_audience_issuer_and_time() {
    let app = spawn_app().await;
    let token = anna_token(&app).await;
    let v = verifier(&app, VerifierConfig::new(&app.base).audience("hopo")).await;
    let c = v.verify(&token).await.unwrap();
    assert_eq!(c.sub, account_id(&app, "anna.hoitaja").await);
    assert!(v.verify_for_portal(&token, "hopo").await.is_ok());
    assert!(matches!(
        v.verify_for_portal(&token, "santra").await,
        Err(VerifyError::NotForPortal(_))
    ));
    // Another audience, another issuer.
    let other = verifier(&app, VerifierConfig::new(&app.base).audience("santra")).await;
    assert!(other.verify(&token).await.is_err());
    let wrong_iss = verifier(&app, VerifierConfig::new("https://evil.example")).await;
    assert!(wrong_iss.verify(&token).await.is_err());
    // Tampered signature.
    let mut bad = token.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == 'A' { 'B' } else { 'A' });
    assert!(v.verify(&bad).await.is_err());
    // An ID token is not an access token (typ).
    let b = Browser::new(&app);
    let (t, _) = login_at_portal_a(&app, &b).await;
    let id = t["id_token"].as_str().unwrap();
    assert!(v.verify(id).await.is_err());
    // Expiry with leeway: 300 s life + 60 s leeway.
    app.clock.advance(330);
    assert!(v.verify(&token).await.is_ok(), "inside the leeway");
    app.clock.advance(60);
    assert!(matches!(
        v.verify(&token).await,
        Err(VerifyError::Token(porttivahti::tokens::JwtError::Expired))
    ));
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_when_first_met() {
    let app = spawn_app().await;
    let v = verifier(
        &app,
        VerifierConfig::new(&app.base).min_refetch(Duration::from_millis(0)),
    )
    .await;
    let first = anna_token(&app).await;
    assert!(v.verify_cached(&first).is_ok());
    let now = app.clock_now();
    app.state
        .keys
        .rotate(&*app.state.dir, now, now)
        .await
        .unwrap();
    app.clock.advance(2);
    app.state
        .keys
        .reload(&*app.state.dir, app.clock_now())
        .await
        .unwrap();
    let second = anna_token(&app).await;
    assert_ne!(jwt_header(&first)["kid"], jwt_header(&second)["kid"]);
    // Not in the cache yet; verify() fetches the JWKS again.
    assert!(matches!(
        v.verify_cached(&second),
        Err(VerifyError::Token(
            porttivahti::tokens::JwtError::UnknownKey
        ))
    ));
    assert!(v.verify(&second).await.is_ok());
    assert!(v.verify_cached(&second).is_ok());
    assert!(
        v.verify_cached(&first).is_ok(),
        "the old key is still published"
    );
}

#[tokio::test]
async fn unknown_key_ids_do_not_flood_the_gateway() {
    let app = spawn_app().await;
    let v = verifier(&app, VerifierConfig::new(&app.base)).await;
    let token = anna_token(&app).await;
    // A made-up kid: within min_refetch (30 s) of the last fetch, misses
    // do not fetch.
    let (h, rest) = token.split_once('.').unwrap();
    let mut header = jwt_header(&token);
    header["kid"] = "made-up".into();
    let forged = format!(
        "{}.{rest}",
        porttivahti::tokens::b64url(serde_json::to_vec(&header).unwrap())
    );
    assert_ne!(forged.split('.').next().unwrap(), h);
    let before = app
        .state
        .metrics
        .counters
        .http_requests_total
        .load(std::sync::atomic::Ordering::SeqCst);
    for _ in 0..20 {
        assert!(v.verify(&forged).await.is_err());
    }
    let after = app
        .state
        .metrics
        .counters
        .http_requests_total
        .load(std::sync::atomic::Ordering::SeqCst);
    // The verifier fetched the key set when it was made, under 30 s ago:
    // no miss fetches again.
    assert_eq!(after - before, 0, "{} JWKS fetches", after - before);
    // The count is not blind: a verifier allowed to fetch at every miss
    // does reach the gateway.
    let eager = verifier(
        &app,
        VerifierConfig::new(&app.base).min_refetch(std::time::Duration::ZERO),
    )
    .await;
    let count = || {
        app.state
            .metrics
            .counters
            .http_requests_total
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    let before = count();
    assert!(eager.verify(&forged).await.is_err());
    assert!(count() > before, "an eager verifier fetched nothing");
}

async fn serve(router: axum::Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn the_layer_lets_through_only_tokens_for_its_portal() {
    let app = spawn_app().await;
    let v = Arc::new(verifier(&app, VerifierConfig::new(&app.base)).await);
    let whoami = |Extension(t): Extension<VerifiedToken>| async move { t.0.sub.clone() };
    let hopo = serve(
        axum::Router::new()
            .route("/api", get(whoami))
            .layer(RequirePortalLayer::new(v.clone(), "hopo")),
    )
    .await;
    let santra = serve(
        axum::Router::new()
            .route("/api", get(whoami))
            .layer(RequirePortalLayer::new(v.clone(), "santra")),
    )
    .await;
    let token = anna_token(&app).await;
    let http = porttivahti::http_client_builder().build().unwrap();
    let r = http
        .get(format!("{hopo}/api"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.text().await.unwrap(),
        account_id(&app, "anna.hoitaja").await
    );

    let r = http.get(format!("{hopo}/api")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Bearer realm=\"porttivahti\""
    );

    let r = http
        .get(format!("{hopo}/api"))
        .bearer_auth("not.a.token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let h = r.headers()["www-authenticate"].to_str().unwrap();
    assert!(h.contains("error=\"invalid_token\""), "{h}");

    let r = http
        .get(format!("{santra}/api"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let h = r.headers()["www-authenticate"].to_str().unwrap();
    assert!(h.contains("error=\"insufficient_scope\""), "{h}");
}

#[tokio::test]
async fn the_cli_verifies_against_a_jwks_file_or_url() {
    let app = spawn_app().await;
    let token = anna_token(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    let jwks = reqwest::get(format!("{}/jwks", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    std::fs::write(&file, jwks).unwrap();
    let bin = env!("CARGO_BIN_EXE_porttivahti");
    // Off the runtime's thread: the CLI may fetch the JWKS from this
    // test's server.
    let run = |jwks: String, portal: &'static str, token: String, issuer: String| async move {
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(bin)
                .args([
                    "token", "verify", "--jwks", &jwks, "--issuer", &issuer, "--portal", portal,
                    &token,
                ])
                // No configuration is read: a missing file does not matter.
                .env("PORTTIVAHTI_CONFIG", "/nonexistent.toml")
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let f = file.display().to_string();
    let out = run(f.clone(), "hopo", token.clone(), app.base.clone()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let claims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(claims["aud"], "hopo");
    let out = run(
        format!("{}/jwks", app.base),
        "hopo",
        token.clone(),
        app.base.clone(),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(f.clone(), "santra", token.clone(), app.base.clone()).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("santra"));
    let out = run(f, "hopo", token, "https://evil.example".into()).await;
    assert_eq!(out.status.code(), Some(1));
}

/// `token` with its header replaced by `header`, signed with the gateway's
/// own current key: a token only the gateway could have made.
fn resign(app: &TestApp, token: &str, header: &serde_json::Value) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let h = porttivahti::tokens::b64url(serde_json::to_vec(header).unwrap());
    let input = format!("{h}.{payload}");
    let sig = app
        .state
        .keys
        .current()
        .signing
        .sign(input.as_bytes())
        .unwrap();
    format!("{input}.{}", porttivahti::tokens::b64url(sig))
}

/// `porttivahti token verify` against a JWKS file, off the runtime's thread.
async fn cli_verify(jwks: &str, issuer: &str, token: &str) -> std::process::Output {
    let (jwks, issuer, token) = (jwks.to_string(), issuer.to_string(), token.to_string());
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_porttivahti"))
            .args([
                "token", "verify", "--jwks", &jwks, "--issuer", &issuer, "--portal", "hopo", &token,
            ])
            .env("PORTTIVAHTI_CONFIG", "/nonexistent.toml")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// What userinfo, introspection, the verifier library and the CLI say of
/// `token`: (userinfo status, introspection `active`, library verdict, CLI
/// exit code and standard error).
async fn everywhere(
    app: &TestApp,
    v: &Verifier,
    jwks: &str,
    token: &str,
) -> (
    u16,
    serde_json::Value,
    Result<(), VerifyError>,
    Option<i32>,
    String,
) {
    let http = porttivahti::http_client_builder().build().unwrap();
    let ui = http
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    let i: serde_json::Value = http
        .post(format!("{}/introspect", app.base))
        .basic_auth("portal-a", Some("secret-a-0123456789"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lib = v.verify(token).await.map(|_| ());
    let out = cli_verify(jwks, &app.base, token).await;
    (
        ui,
        i["active"].clone(),
        lib,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn hostile_a_crit_header_is_refused_by_userinfo_introspection_the_library_and_the_cli() {
    let app = spawn_app().await;
    let token = anna_token(&app).await;
    let v = verifier(&app, VerifierConfig::new(&app.base).audience("hopo")).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    let jwks = reqwest::get(format!("{}/jwks", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    std::fs::write(&file, jwks).unwrap();
    let file = file.display().to_string();
    let kid = jwt_header(&token)["kid"].clone();
    let header = serde_json::json!({ "alg": "ES256", "typ": "at+jwt", "kid": kid });
    // Re-signed with a header of our own making but no crit, the token is
    // good everywhere: what follows is refused for its crit alone.
    let (ui, active, lib, code, err) =
        everywhere(&app, &v, &file, &resign(&app, &token, &header)).await;
    assert_eq!(
        (ui, &active, code),
        (200, &serde_json::json!(true), Some(0)),
        "{err}"
    );
    assert!(lib.is_ok(), "{lib:?}");
    // RFC 7515 §4.1.11: extensions the recipient must understand; none are
    // understood here, and an empty list is not allowed at all.
    let crits = [
        serde_json::json!(["exp"]),
        serde_json::json!(["b64"]),
        serde_json::json!([]),
        serde_json::json!(null),
        serde_json::json!("exp"),
    ];
    let mut refused = 0;
    for crit in crits {
        let mut h = header.clone();
        h["crit"] = crit.clone();
        if crit == serde_json::json!(["b64"]) {
            h["b64"] = false.into();
        }
        let forged = resign(&app, &token, &h);
        let (ui, active, lib, code, err) = everywhere(&app, &v, &file, &forged).await;
        assert_eq!(ui, 401, "userinfo, crit {crit}");
        assert_eq!(active, false, "introspection, crit {crit}");
        assert!(
            matches!(
                lib,
                Err(VerifyError::Token(porttivahti::tokens::JwtError::Critical))
            ),
            "library, crit {crit}: {lib:?}"
        );
        assert_eq!(code, Some(1), "CLI, crit {crit}");
        assert!(err.contains("crit"), "CLI, crit {crit}: {err}");
        refused += 4;
    }
    hostile_refused(
        "hostile_a_crit_header_is_refused_by_userinfo_introspection_the_library_and_the_cli",
        refused,
    );
}
