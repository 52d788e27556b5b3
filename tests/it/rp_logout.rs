//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): who may
//! end a session at `/logout`. A portal sending its person's own browser
//! with an `id_token_hint` of that browser's session logs them out at once;
//! a hint without that session (another site holding an old ID token, an
//! image, a server-side request) only shows the confirmation, and the
//! session goes on until the person confirms with the CSRF-protected form.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;

const BYE: &str = "https://a.example/bye";

/// The status `/userinfo` answers for an access token.
async fn userinfo(app: &TestApp, access: &str) -> u16 {
    porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Whether the browser's gateway session still gives portal B a code
/// without a login.
async fn still_signed_in(app: &TestApp, b: &Browser) -> bool {
    let (_, ch) = pkce();
    let r = b
        .get(&auth_url(
            app,
            "portal-b",
            "https://b.example/cb",
            Some(&ch),
            &[("prompt", "none")],
        ))
        .await;
    query_param(&location(&r), "code").is_some()
}

/// A confirmation page: the logout form, not a logout.
async fn is_confirmation(r: reqwest::Response) -> Option<String> {
    if r.status() != 200 {
        return None;
    }
    let page = r.text().await.unwrap();
    (page.contains("action=\"/logout\"") && page.contains("name=\"csrf\"")).then_some(page)
}

async fn post_logout(b: &Browser, form: &[(&str, &str)]) -> reqwest::Response {
    b.http
        .post(format!("{}/logout", b.base))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn hostile_a_hint_without_the_session_only_asks_the_person_to_confirm() {
    let app = spawn_app().await;
    let anna = Browser::new(&app);
    let (t, _) = login_at_portal_a(&app, &anna).await;
    let id_token = t["id_token"].as_str().unwrap();
    let access = t["access_token"].as_str().unwrap();
    let hinted =
        format!("/logout?id_token_hint={id_token}&post_logout_redirect_uri={BYE}&state=xyz");
    let alive = |what: &'static str| {
        let app = &app;
        let anna = &anna;
        async move {
            assert_eq!(
                userinfo(app, access).await,
                200,
                "{what}: tokens still work"
            );
            assert!(still_signed_in(app, anna).await, "{what}: session goes on");
        }
    };
    let mut refused = 0;

    // Another site's server, or an image on its page (no cookie): the page
    // asks, nothing ends, and the portal's redirect waits for the answer.
    let elsewhere = Browser::new(&app);
    let page = is_confirmation(elsewhere.get(&hinted).await)
        .await
        .expect("a hint without the session is only a question");
    assert_eq!(hidden(&page, "id_token_hint"), id_token);
    assert_eq!(hidden(&page, "post_logout_redirect_uri"), BYE);
    alive("GET without cookie").await;
    refused += 1;
    let bare = Browser::new(&app);
    assert!(
        is_confirmation(bare.get(&format!("/logout?id_token_hint={id_token}")).await)
            .await
            .is_some()
    );
    alive("GET without cookie or redirect").await;
    refused += 1;

    // A POST of the hint without the form's token: the question again.
    let forged = post_logout(&bare, &[("id_token_hint", id_token)]).await;
    assert!(is_confirmation(forged).await.is_some());
    alive("POST without CSRF token").await;
    refused += 1;
    // The form's token taken from another browser (a cross-site form post
    // carries no CSRF cookie): the question again.
    let csrf = hidden(&page, "csrf");
    let cross = post_logout(
        &Browser::new(&app),
        &[("csrf", csrf.as_str()), ("id_token_hint", id_token)],
    )
    .await;
    assert!(is_confirmation(cross).await.is_some());
    alive("POST with another browser's CSRF token").await;
    refused += 1;

    // A browser with a session of its own, with Anna's hint: asked, and
    // Anna's session goes on.
    let other = Browser::new(&app);
    login_at_portal_a(&app, &other).await;
    assert!(
        is_confirmation(other.get(&hinted).await).await.is_some(),
        "a hint of another session is only a question"
    );
    alive("GET with another session's cookie").await;
    refused += 1;

    // The rules for the redirect still hold without the cookie.
    let bad = elsewhere
        .get(&format!(
            "/logout?id_token_hint={id_token}&post_logout_redirect_uri=https://evil.example/"
        ))
        .await;
    assert_eq!(bad.status(), 400);
    alive("unregistered post_logout_redirect_uri").await;
    refused += 1;

    // Confirming on the page ends the session the hint names, and goes on
    // to the portal's registered address.
    let r = post_logout(
        &elsewhere,
        &[
            ("csrf", csrf.as_str()),
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", BYE),
            ("state", "xyz"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("{BYE}?state=xyz"));
    assert_eq!(userinfo(&app, access).await, 401);
    assert!(!still_signed_in(&app, &anna).await);
    assert!(
        still_signed_in(&app, &other).await,
        "the other browser's session is its own"
    );
    hostile_refused(
        "hostile_a_hint_without_the_session_only_asks_the_person_to_confirm",
        refused,
    );
}

#[tokio::test]
async fn a_hint_with_the_sessions_own_cookie_logs_out_at_once() {
    let app = spawn_app().await;
    let anna = Browser::new(&app);
    let (t, _) = login_at_portal_a(&app, &anna).await;
    let id_token = t["id_token"].as_str().unwrap();
    let access = t["access_token"].as_str().unwrap();
    let r = anna
        .get(&format!(
            "/logout?id_token_hint={id_token}&post_logout_redirect_uri={BYE}&state=s1"
        ))
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("{BYE}?state=s1"));
    assert_eq!(userinfo(&app, access).await, 401);
    assert!(!still_signed_in(&app, &anna).await);
}
