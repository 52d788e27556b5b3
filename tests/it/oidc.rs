//! The OpenID Connect provider as portals see it, driven by a real client
//! library (`openidconnect`) and a cookie-keeping browser.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
#[path = "oidc/refresh_families.rs"]
mod refresh_families;

use common::*;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

fn rp_http() -> openidconnect::reqwest::Client {
    porttivahti::http_client_builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn portal_logs_a_person_in_and_validates_every_token() {
    let app = spawn_app().await;
    let http = rp_http();
    let meta =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http)
            .await
            .expect("discovery document is valid for a real client");
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new("portal-a".into()),
        Some(ClientSecret::new("secret-a-0123456789".into())),
    )
    .set_redirect_uri(RedirectUrl::new("https://a.example/cb".into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    let browser = Browser::new(&app);
    let back = browser
        .authorize_with_login(url.as_str(), "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert!(back.starts_with("https://a.example/cb?"), "{back}");
    assert_eq!(
        query_param(&back, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    assert_eq!(
        query_param(&back, "iss").as_deref(),
        Some(app.base.as_str())
    );
    let code = query_param(&back, "code").unwrap();

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("ID token verifies: signature, issuer, audience, nonce, expiry");
    assert_eq!(
        claims.auth_context_ref().unwrap().as_str(),
        "urn:porttivahti:loa:low"
    );
    assert_eq!(claims.auth_method_refs().unwrap()[0].as_str(), "pwd");
    assert!(claims.auth_time().is_some());
    let raw = jwt_payload(&id_token.to_string());
    assert_eq!(raw["portals"], serde_json::json!(["intermetso", "hopo"]));
    assert_eq!(raw["networks"], serde_json::json!(["intermetso"]));
    assert_eq!(raw["organisations"][0]["oid"], "1.2.246.10.208153.10.0");
    assert_eq!(raw["name"], "Anna Hoitaja");
    assert_eq!(raw["email"], "anna@example.fi");
    let sub = claims.subject().as_str().to_string();

    // The access token is an RFC 9068 JWT for the portal.
    let at = tokens.access_token().secret().clone();
    assert_eq!(jwt_header(&at)["typ"], "at+jwt");
    assert_eq!(jwt_header(&at)["alg"], "ES256");
    let at_claims = jwt_payload(&at);
    assert_eq!(at_claims["aud"], "hopo");
    assert_eq!(at_claims["client_id"], "portal-a");
    assert_eq!(at_claims["sub"], sub.as_str());

    // Userinfo answers for the same person.
    let ui: serde_json::Value = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ui["sub"], sub.as_str());
    assert_eq!(ui["portals"], serde_json::json!(["intermetso", "hopo"]));

    // Refresh rotates; the new ID token is for the same person.
    let rt1 = tokens.refresh_token().expect("a refresh token").clone();
    let t2 = client
        .exchange_refresh_token(&rt1)
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    let rt2 = t2.refresh_token().unwrap().clone();
    assert_ne!(rt1.secret(), rt2.secret(), "refresh token rotates");
    assert_eq!(
        jwt_payload(t2.id_token().unwrap().to_string().as_str())["sub"],
        sub.as_str()
    );
    let t3 = client
        .exchange_refresh_token(&rt2)
        .unwrap()
        .request_async(&http)
        .await
        .expect("second refresh");
    let rt3 = t3.refresh_token().unwrap().clone();

    // Replaying an old refresh token ends the whole family.
    let replay = client
        .exchange_refresh_token(&rt1)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(replay.is_err(), "replayed refresh token is refused");
    let after = refresh(&app, "portal-a", "secret-a-0123456789", rt3.secret()).await;
    assert_eq!(after.status(), 400);
    assert_eq!(
        after.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn discovery_names_pkce_logout_and_keys() {
    let app = spawn_app().await;
    let d: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(d["issuer"], app.base.as_str());
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(d["end_session_endpoint"], format!("{}/logout", app.base));
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    let jwks: serde_json::Value = reqwest::get(d["jwks_uri"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    assert_eq!(jwks["keys"][0]["crv"], "P-256");
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "no private part in the JWKS"
    );
}

#[tokio::test]
async fn second_portal_gets_a_code_without_a_new_login() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (_, ch) = pkce();
    let back = b
        .authorize_with_login(
            &auth_url(&app, "portal-a", "https://a.example/cb", Some(&ch), &[]),
            "anna.hoitaja",
            "Intermetso-demo-2026",
        )
        .await;
    assert!(query_param(&back, "code").is_some());
    // Portal B (public, PKCE) in the same browser.
    let (v, ch) = pkce();
    let r = b
        .get(&auth_url(
            &app,
            "portal-b",
            "https://b.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    assert_eq!(r.status(), 303);
    let back = location(&r);
    assert!(back.starts_with("https://b.example/cb?code="), "{back}");
    let code = query_param(&back, "code").unwrap();
    let t = exchange(
        &app,
        "portal-b",
        None,
        &code,
        "https://b.example/cb",
        Some(&v),
    )
    .await;
    assert_eq!(t.status(), 200);
    // prompt=login asks again even with a session.
    let r = b
        .get(&auth_url(
            &app,
            "portal-b",
            "https://b.example/cb",
            Some(&ch),
            &[("prompt", "login")],
        ))
        .await;
    assert!(location(&r).starts_with("/login?ar="));
}

#[tokio::test]
async fn logout_ends_the_session_for_every_portal() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (t, _) = login_at_portal_a(&app, &b).await;
    let id_token = t["id_token"].as_str().unwrap();
    let access = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();

    // A post_logout_redirect_uri that is not registered is refused, and the
    // session stays.
    let bad = b
        .get(&format!(
            "/logout?id_token_hint={id_token}&post_logout_redirect_uri=https://evil.example/"
        ))
        .await;
    assert_eq!(bad.status(), 400);
    let (_, ch2) = pkce();
    let still = b
        .get(&auth_url(
            &app,
            "portal-b",
            "https://b.example/cb",
            Some(&ch2),
            &[("prompt", "none")],
        ))
        .await;
    assert!(
        query_param(&location(&still), "code").is_some(),
        "still logged in"
    );

    let r = b
        .get(&format!("/logout?id_token_hint={id_token}&post_logout_redirect_uri=https://a.example/bye&state=xyz"))
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "https://a.example/bye?state=xyz");

    // No session for portal B any more.
    let r = b
        .get(&auth_url(
            &app,
            "portal-b",
            "https://b.example/cb",
            Some(&ch2),
            &[("prompt", "none")],
        ))
        .await;
    let back = location(&r);
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("login_required"),
        "{back}"
    );
    // Refresh tokens and access tokens of the session are dead.
    assert_eq!(
        refresh(&app, "portal-a", "secret-a-0123456789", rt)
            .await
            .status(),
        400
    );
    let ui = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), 401);
}

#[tokio::test]
async fn logout_without_hint_asks_for_confirmation() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (_, ch) = pkce();
    b.authorize_with_login(
        &auth_url(&app, "portal-a", "https://a.example/cb", Some(&ch), &[]),
        "anna.hoitaja",
        "Intermetso-demo-2026",
    )
    .await;
    let r = b.get("/logout").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    // A forged POST without the token does not log out.
    let forged = b
        .http
        .post(format!("{}/logout", app.base))
        .form(&[("csrf", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 200, "shows the confirmation again");
    let r = b
        .http
        .post(format!("{}/logout", app.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Olet kirjautunut ulos"));
    let r = b
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb",
            Some(&ch),
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        query_param(&location(&r), "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn authorization_request_errors() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (_, ch) = pkce();
    // Unknown client and unregistered redirect_uri: a page, never a redirect.
    let r = b
        .get(&auth_url(
            &app,
            "nobody",
            "https://a.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("unknown_client"));
    let r = b
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb/other",
            Some(&ch),
            &[],
        ))
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("invalid_redirect_uri"));
    // A public client without PKCE.
    let r = b
        .get(&auth_url(
            &app,
            "portal-b",
            "https://b.example/cb",
            None,
            &[],
        ))
        .await;
    let back = location(&r);
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(query_param(&back, "state").as_deref(), Some("st-123"));
    // plain PKCE is refused.
    let r = b
        .get(&auth_url(
            &app,
            "portal-b",
            "https://b.example/cb",
            None,
            &[("code_challenge", &ch), ("code_challenge_method", "plain")],
        ))
        .await;
    assert_eq!(
        query_param(&location(&r), "error").as_deref(),
        Some("invalid_request")
    );
    // Without the openid scope.
    let mut u = url::Url::parse(&auth_url(
        &app,
        "portal-a",
        "https://a.example/cb",
        Some(&ch),
        &[],
    ))
    .unwrap();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != "scope")
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    u.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair("scope", "profile");
    let r = b.get(u.as_str()).await;
    assert_eq!(
        query_param(&location(&r), "error").as_deref(),
        Some("invalid_scope")
    );
    // prompt=none without a session.
    let r = b
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb",
            Some(&ch),
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        query_param(&location(&r), "error").as_deref(),
        Some("login_required")
    );
}

async fn code_for(app: &TestApp, b: &Browser, client: &str, redirect: &str, ch: &str) -> String {
    let url = auth_url(app, client, redirect, Some(ch), &[]);
    let r = b.get(&url).await;
    let back = if location(&r).starts_with("/login") {
        b.authorize_with_login(&url, "anna.hoitaja", "Intermetso-demo-2026")
            .await
    } else {
        location(&r)
    };
    query_param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"))
}

#[tokio::test]
async fn token_endpoint_refuses_what_does_not_match_the_code() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (v, ch) = pkce();
    let cb = "https://a.example/cb";
    let sec = Some("secret-a-0123456789");
    async fn err(r: reqwest::Response) -> (u16, String) {
        let s = r.status().as_u16();
        (
            s,
            r.json::<serde_json::Value>().await.unwrap()["error"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    }

    // Wrong verifier, then missing verifier (each burns its code).
    let code = code_for(&app, &b, "portal-a", cb, &ch).await;
    let (_, other) = pkce();
    let wrong = other.replace(|_c: char| false, "");
    assert_eq!(
        err(exchange(
            &app,
            "portal-a",
            sec,
            &code,
            cb,
            Some(&format!("{wrong}aaaaaaaaaa"))
        )
        .await)
        .await,
        (400, "invalid_grant".into())
    );
    let code = code_for(&app, &b, "portal-a", cb, &ch).await;
    assert_eq!(
        err(exchange(&app, "portal-a", sec, &code, cb, None).await).await,
        (400, "invalid_grant".into())
    );
    // Wrong redirect_uri.
    let code = code_for(&app, &b, "portal-a", cb, &ch).await;
    assert_eq!(
        err(exchange(
            &app,
            "portal-a",
            sec,
            &code,
            "https://a.example/other",
            Some(&v)
        )
        .await)
        .await,
        (400, "invalid_grant".into())
    );
    // Wrong secret: 401 with a Basic challenge.
    let code = code_for(&app, &b, "portal-a", cb, &ch).await;
    let r = exchange(&app, "portal-a", Some("wrong"), &code, cb, Some(&v)).await;
    assert!(r.headers().get("www-authenticate").is_some());
    assert_eq!(err(r).await, (401, "invalid_client".into()));
    // Another client cannot redeem portal A's code (portal-b is public)...
    let code = code_for(&app, &b, "portal-a", cb, &ch).await;
    assert_eq!(
        err(exchange(&app, "portal-b", None, &code, cb, Some(&v)).await).await,
        (400, "invalid_grant".into())
    );
    // ...nor spend it: portal A itself still redeems it.
    let r = exchange(&app, "portal-a", sec, &code, cb, Some(&v)).await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    // Expired code.
    let code = code_for(&app, &b, "portal-a", cb, &ch).await;
    app.clock.advance(61);
    assert_eq!(
        err(exchange(&app, "portal-a", sec, &code, cb, Some(&v)).await).await,
        (400, "invalid_grant".into())
    );
}

#[tokio::test]
async fn a_reused_code_revokes_what_it_issued() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (v, ch) = pkce();
    let cb = "https://a.example/cb";
    let code = code_for(&app, &b, "portal-a", cb, &ch).await;
    // client_secret_post works as well as Basic.
    let first: serde_json::Value = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", cb),
            ("code_verifier", &v),
            ("client_id", "portal-a"),
            ("client_secret", "secret-a-0123456789"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rt = first["refresh_token"]
        .as_str()
        .expect("first exchange works");
    let at = first["access_token"].as_str().unwrap();
    let userinfo = |tok: &str| {
        porttivahti::http_client_builder()
            .build()
            .unwrap()
            .get(format!("{}/userinfo", app.base))
            .bearer_auth(tok.to_string())
            .send()
    };
    // Another client presenting the redeemed code (leaked from a log or a
    // referrer) is refused and revokes nothing: portal A's tokens live on.
    let foreign = exchange(&app, "portal-b", None, &code, cb, Some(&v)).await;
    assert_eq!(foreign.status(), 400);
    assert_eq!(
        foreign.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(
        userinfo(at).await.unwrap().status(),
        200,
        "a foreign client's presentation ends nothing"
    );
    // Portal A presenting it again is the replay it is.
    let again = exchange(
        &app,
        "portal-a",
        Some("secret-a-0123456789"),
        &code,
        cb,
        Some(&v),
    )
    .await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        refresh(&app, "portal-a", "secret-a-0123456789", rt)
            .await
            .status(),
        400,
        "refresh family revoked"
    );
    let ui = userinfo(at).await.unwrap();
    assert_eq!(ui.status(), 401, "access token of the reused code refused");
}

#[tokio::test]
async fn tampered_and_foreign_tokens_are_refused() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (v, ch) = pkce();
    let code = code_for(&app, &b, "portal-a", "https://a.example/cb", &ch).await;
    let t: serde_json::Value = exchange(
        &app,
        "portal-a",
        Some("secret-a-0123456789"),
        &code,
        "https://a.example/cb",
        Some(&v),
    )
    .await
    .json()
    .await
    .unwrap();
    let at = t["access_token"].as_str().unwrap();
    let userinfo = |tok: String| {
        let base = app.base.clone();
        async move {
            porttivahti::http_client_builder()
                .build()
                .unwrap()
                .get(format!("{base}/userinfo"))
                .bearer_auth(tok)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(userinfo(at.to_string()).await, 200);
    // Change the payload: the signature no longer holds.
    let mut parts: Vec<String> = at.split('.').map(str::to_string).collect();
    let mut claims = jwt_payload(at);
    claims["sub"] = serde_json::json!("someone-else");
    parts[1] = porttivahti::tokens::b64url(serde_json::to_vec(&claims).unwrap());
    assert_eq!(userinfo(parts.join(".")).await, 401);
    // Signed by a key the gateway never published.
    let other = spawn_app().await;
    let (v2, ch2) = pkce();
    let b2 = Browser::new(&other);
    let code2 = code_for(&other, &b2, "portal-a", "https://a.example/cb", &ch2).await;
    let t2: serde_json::Value = exchange(
        &other,
        "portal-a",
        Some("secret-a-0123456789"),
        &code2,
        "https://a.example/cb",
        Some(&v2),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        userinfo(t2["access_token"].as_str().unwrap().to_string()).await,
        401
    );
    // An ID token is not an access token.
    assert_eq!(
        userinfo(t["id_token"].as_str().unwrap().to_string()).await,
        401
    );
    // Expired.
    app.clock.advance(301);
    assert_eq!(userinfo(at.to_string()).await, 401);
}

#[tokio::test]
async fn service_clients_get_access_tokens_by_client_credentials() {
    let app = spawn_app().await;
    let r: serde_json::Value = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base))
        .basic_auth("svc", Some(SVC_SECRET))
        .form(&[("grant_type", "client_credentials"), ("scope", "hopo.read")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let at = r["access_token"].as_str().unwrap();
    assert!(r.get("refresh_token").is_none() && r.get("id_token").is_none());
    let c = jwt_payload(at);
    assert_eq!(
        (c["sub"].as_str(), c["aud"].as_str(), c["scope"].as_str()),
        (Some("svc"), Some("hopo-api"), Some("hopo.read"))
    );
    // A client without the grant, and a wrong secret.
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base))
        .basic_auth("portal-a", Some("secret-a-0123456789"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base))
        .basic_auth("svc", Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base))
        .basic_auth("svc", Some(SVC_SECRET))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    // A service client cannot redeem codes.
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base))
        .basic_auth("svc", Some(SVC_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", "https://a.example/cb"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
}

#[tokio::test]
async fn max_age_asks_for_a_fresh_login() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (_, ch) = pkce();
    code_for(&app, &b, "portal-a", "https://a.example/cb", &ch).await;
    app.clock.advance(120);
    let r = b
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb",
            Some(&ch),
            &[("max_age", "60")],
        ))
        .await;
    assert!(
        location(&r).starts_with("/login?ar="),
        "older than max_age: log in again"
    );
    let r = b
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb",
            Some(&ch),
            &[("max_age", "600")],
        ))
        .await;
    assert!(query_param(&location(&r), "code").is_some());
}

#[tokio::test]
async fn demo_portal_logs_in_over_http_and_shows_claims() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let r = b.get("/demo/").await;
    assert!(r.text().await.unwrap().contains("/demo/login"));
    let r = b.get("/demo/login").await;
    let auth = location(&r);
    let back = b
        .authorize_with_login(&auth, "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert!(
        back.starts_with(&format!("{}/demo/callback?", app.base)),
        "{back}"
    );
    let r = b.get(&back).await;
    assert_eq!(
        r.status(),
        303,
        "callback exchanges the code: {:?}",
        r.text().await
    );
    let page = b.get("/demo/?lang=en").await.text().await.unwrap();
    assert!(page.contains("ID token claims (verified)"), "{page}");
    assert!(page.contains("1.2.246.10.208153.10.0"));
    assert!(page.contains("intermetso"));
    // Its logout link ends its own session, then the gateway's, and comes
    // back.
    assert!(page.contains("href=\"/demo/logout\""), "{page}");
    let r = b.get("/demo/logout").await;
    let logout = location(&r);
    assert!(logout.contains("/logout?id_token_hint="), "{logout}");
    let r = b.get(&logout).await;
    if r.status() != 303 {
        panic!("logout via {logout}: {}", r.text().await.unwrap());
    }
    assert_eq!(location(&r), format!("{}/demo/", app.base));
    assert!(
        b.get("/demo/")
            .await
            .text()
            .await
            .unwrap()
            .contains("/demo/login")
    );
}
