//! Token introspection (RFC 7662) and revocation (RFC 7009) as portals
//! use them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use serde_json::Value;

const A: (&str, &str) = ("portal-a", "secret-a-0123456789");

async fn post(app: &TestApp, path: &str, who: (&str, &str), token: &str) -> reqwest::Response {
    porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}{path}", app.base))
        .basic_auth(who.0, Some(who.1))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

async fn introspect(app: &TestApp, who: (&str, &str), token: &str) -> Value {
    let r = post(app, "/introspect", who, token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.json().await.unwrap()
}

#[tokio::test]
async fn discovery_names_both_endpoints() {
    let app = spawn_app().await;
    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        d["introspection_endpoint"],
        format!("{}/introspect", app.base)
    );
    assert_eq!(d["revocation_endpoint"], format!("{}/revoke", app.base));
    assert_eq!(d["backchannel_logout_supported"], true);
    assert_eq!(d["backchannel_logout_session_supported"], true);
    assert_eq!(d["frontchannel_logout_supported"], true);
}

#[tokio::test]
async fn an_access_token_is_active_until_revoked() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (t, _) = login_at_portal_a(&app, &b).await;
    let at = t["access_token"].as_str().unwrap();
    let i = introspect(&app, A, at).await;
    assert_eq!(i["active"], true, "{i}");
    assert_eq!(i["token_type"], "access_token");
    assert_eq!(i["client_id"], "portal-a");
    assert_eq!(i["aud"], "hopo");
    assert_eq!(i["iss"], app.base.as_str());
    assert_eq!(i["sub"], account_id(&app, "anna.hoitaja").await.as_str());
    assert!(i["portals"].as_array().unwrap().contains(&"hopo".into()));
    assert!(i["exp"].as_i64().unwrap() > app.clock_now());

    // Revoked: inactive for introspection and refused by userinfo; the
    // refresh token still works.
    let r = post(&app, "/revoke", A, at).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        introspect(&app, A, at).await,
        serde_json::json!({"active": false})
    );
    let u = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(u.status(), 401);
    let rt = t["refresh_token"].as_str().unwrap();
    assert_eq!(refresh(&app, A.0, A.1, rt).await.status(), 200);
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_family() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (t, _) = login_at_portal_a(&app, &b).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let at = t["access_token"].as_str().unwrap();
    let i = introspect(&app, A, rt).await;
    assert_eq!(i["active"], true, "{i}");
    assert_eq!(i["token_type"], "refresh_token");
    assert_eq!(i["client_id"], "portal-a");

    assert_eq!(post(&app, "/revoke", A, rt).await.status(), 200);
    assert_eq!(introspect(&app, A, rt).await["active"], false);
    // The access token of the family ends with it.
    assert_eq!(introspect(&app, A, at).await["active"], false);
    let r = refresh(&app, A.0, A.1, rt).await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "invalid_grant");
}

#[tokio::test]
async fn another_client_learns_nothing_and_revokes_nothing() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (t, _) = login_at_portal_a(&app, &b).await;
    let at = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    let other = ("intermetso-portal", "secret-i-0123456789");
    // Its portal is not the token's audience, nor was it issued to it.
    assert_eq!(introspect(&app, other, at).await["active"], false);
    assert_eq!(introspect(&app, other, rt).await["active"], false);
    assert_eq!(post(&app, "/revoke", other, at).await.status(), 200);
    assert_eq!(post(&app, "/revoke", other, rt).await.status(), 200);
    assert_eq!(introspect(&app, A, at).await["active"], true);
    assert_eq!(introspect(&app, A, rt).await["active"], true);
}

#[tokio::test]
async fn only_authenticated_confidential_clients_may_ask() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (t, _) = login_at_portal_a(&app, &b).await;
    let at = t["access_token"].as_str().unwrap();
    for path in ["/introspect", "/revoke"] {
        let r = post(&app, path, ("portal-a", "wrong-secret"), at).await;
        assert_eq!(r.status(), 401, "{path}");
        assert!(r.headers().contains_key("www-authenticate"));
        // A public client has no secret to prove itself with.
        let r = porttivahti::http_client_builder()
            .build()
            .unwrap()
            .post(format!("{}{path}", app.base))
            .form(&[("token", at), ("client_id", "portal-b")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let r = porttivahti::http_client_builder()
            .build()
            .unwrap()
            .post(format!("{}{path}", app.base))
            .basic_auth(A.0, Some(A.1))
            .form(&[("token_type_hint", "access_token")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{path} without a token");
    }
    // Form authentication works as at the token endpoint.
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/introspect", app.base))
        .form(&[("token", at), ("client_id", A.0), ("client_secret", A.1)])
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["active"], true);
}

#[tokio::test]
async fn garbage_expired_and_logged_out_tokens_are_inactive() {
    let app = spawn_app().await;
    for junk in ["", "x", "a.b.c", "a.b", "eyJhbGciOiJub25lIn0.e30."] {
        assert_eq!(introspect(&app, A, junk).await["active"], false, "{junk:?}");
        assert_eq!(post(&app, "/revoke", A, junk).await.status(), 200);
    }
    let b = Browser::new(&app);
    let (t, _) = login_at_portal_a(&app, &b).await;
    let at = t["access_token"].as_str().unwrap().to_string();
    // Tampered: one character of the payload changed.
    let mut parts: Vec<String> = at.split('.').map(str::to_string).collect();
    let with = if &parts[1][5..6] == "A" { "B" } else { "A" };
    parts[1].replace_range(5..6, with);
    assert_eq!(introspect(&app, A, &parts.join(".")).await["active"], false);
    // Logged out: the session's tokens are inactive.
    let id_token = t["id_token"].as_str().unwrap();
    let r = b.get(&format!("/logout?id_token_hint={id_token}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(introspect(&app, A, &at).await["active"], false);
    assert_eq!(
        introspect(&app, A, t["refresh_token"].as_str().unwrap()).await["active"],
        false
    );
    // Expired.
    let b = Browser::new(&app);
    let (t, _) = login_at_portal_a(&app, &b).await;
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, A, at).await["active"], true);
    app.clock.advance(301);
    assert_eq!(introspect(&app, A, at).await["active"], false);
}

#[tokio::test]
async fn a_service_token_is_introspected_by_its_audience() {
    let app = spawn_app().await;
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base))
        .basic_auth("svc", Some(SVC_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let t: Value = r.json().await.unwrap();
    let at = t["access_token"].as_str().unwrap();
    let i = introspect(&app, ("svc", SVC_SECRET), at).await;
    assert_eq!(i["active"], true);
    assert_eq!(i["sub"], "svc");
    assert_eq!(i["aud"], "hopo-api");
}
