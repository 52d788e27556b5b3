//! Organisation login through an upstream OpenID Connect provider. The
//! provider is a real one on loopback: a second Porttivahti, where the
//! person logs in with a password; the gateway discovers it, runs the code
//! flow with PKCE and a nonce, and checks the ID token against its keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Browser, TestApp, auth_url, hidden, location, pkce};

/// From a portal's authorize through the provider's login page back to the
/// gateway's callback; returns the gateway's answer to the callback.
async fn login_through_entra(
    app: &TestApp,
    gw: &str,
    b: &Browser,
    up: &Browser,
    challenge: String,
) -> reqwest::Response {
    let r = b
        .get(&auth_url(
            app,
            "santra-portal",
            "https://santra.example/cb",
            Some(&challenge),
            &[("idp_hint", "entra")],
        ))
        .await;
    let r = b.get(&location(&r)).await;
    assert_eq!(r.status(), 303);
    let r = b.get(&location(&r)).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let to_provider = location(&r);
    assert!(to_provider.contains("code_challenge="), "{to_provider}");
    // At the provider: its login page, then back to the gateway.
    let back = up
        .authorize_with_login(&to_provider, "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert!(
        back.starts_with(&format!("{gw}/login/oidc/entra/callback?")),
        "{back}"
    );
    b.get(&back).await
}

#[tokio::test]
async fn an_entra_style_provider_logs_people_in_and_registers_them_once() {
    // The gateway's address must be known to the provider's client
    // registration: bind its listener first and hand it over.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gw = format!("http://{}", listener.local_addr().unwrap());
    let upstream = common::spawn_app_extra(
        &format!(
            r#"
[[clients]]
client_id = "gateway"
portal = "intermetso"
secret = "gw-secret-0123456789"
redirect_uris = ["{gw}/login/oidc/entra/callback"]
"#
        ),
        &[],
        |_| {},
    )
    .await;
    let app = common::spawn_app_extra_on(
        listener,
        &format!(
            r#"
[[sources]]
id = "entra"
kind = "oidc"
name = "Jyväskylän terveyskeskus (Entra ID)"
organisation = "jkl"
issuer = "{}"
client_id = "gateway"
client_secret = "gw-secret-0123456789"

[[portals]]
id = "santra"
name = "Santra"
[[portals.access]]
org_kinds = ["hospital_district", "health_centre"]
methods = ["saml", "oidc"]

[[clients]]
client_id = "santra-portal"
portal = "santra"
secret = "secret-s-0123456789"
redirect_uris = ["https://santra.example/cb"]
"#,
            upstream.base
        ),
        &[("PORTTIVAHTI__SERVER__PUBLIC_URL", &gw)],
        |_| {},
    )
    .await;
    assert_eq!(app.base, gw);
    common::wait_for_sources(&app).await;

    let b = Browser::new(&app);
    let up = Browser::new(&upstream);
    let (_, challenge) = pkce();
    let r = login_through_entra(&app, &gw, &b, &up, challenge).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/register"));
    let page = b.get("/register").await.text().await.unwrap();
    assert!(page.contains("Anna Hoitaja") && page.contains("value=\"jkl\" checked"));
    let r = b
        .http
        .post(format!("{}/register", app.base))
        .form(&[
            ("csrf", hidden(&page, "csrf")),
            ("ar", hidden(&page, "ar")),
            ("email", "anna@example.fi".into()),
            ("phone", "040 123 4567".into()),
            ("org", "jkl".into()),
            ("profession_group", "nurse".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(to.starts_with("https://santra.example/cb?code="), "{to}");

    // Second time, a new browser: straight to the portal.
    let b2 = Browser::new(&app);
    let up2 = Browser::new(&upstream);
    let (_, challenge) = pkce();
    let r = login_through_entra(&app, &gw, &b2, &up2, challenge).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("https://santra.example/cb?code="));

    // A replayed callback (same state) is refused.
    let b3 = Browser::new(&app);
    let up3 = Browser::new(&upstream);
    let (_, challenge) = pkce();
    let r = b3
        .get(&auth_url(
            &app,
            "santra-portal",
            "https://santra.example/cb",
            Some(&challenge),
            &[("idp_hint", "entra")],
        ))
        .await;
    let r = b3.get(&location(&r)).await;
    let r = b3.get(&location(&r)).await;
    let back = up3
        .authorize_with_login(&location(&r), "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert_eq!(b3.get(&back).await.status(), 303);
    let again = b3.get(&back).await;
    assert_eq!(again.status(), 400);
    // And a callback in another browser than the one that started.
    let stranger = Browser::new(&app);
    assert_eq!(stranger.get(&back).await.status(), 400);
}
