//! The shipped development configuration end to end, as a tester uses it:
//! the demo Kanta Ekstranet portal through the Suomi.fi development IdP and
//! the development e-Authorizations service, the refusal that says why, and
//! a logout in one demo portal ending the other over the back channel.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::{Browser, TestApp, hidden, location, query_param};

/// The development IdP's Suomi.fi people, by their place in its list.
const TEEMU_MANAGING_DIRECTOR: usize = 1;
const MAIJA_MANDATES: usize = 2;
const PEKKA_NO_MANDATE: usize = 3;

/// Follows redirects (GET) until a page; returns its URL and the page.
pub(crate) async fn follow(b: &Browser, mut r: reqwest::Response) -> (String, reqwest::Response) {
    let mut url = r.url().to_string();
    for _ in 0..20 {
        if !r.status().is_redirection() {
            return (url, r);
        }
        url = location(&r);
        if url.starts_with('/') {
            url = format!("{}{url}", b.base);
        }
        r = b.get(&url).await;
    }
    panic!("too many redirects, last {url}");
}

/// Submits the page's (auto-submitting) POST form as the browser would.
pub(crate) async fn submit_form(b: &Browser, html: &str) -> reqwest::Response {
    let action = html
        .split("action=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let mut fields = Vec::new();
    for input in html.split("<input").skip(1) {
        let attr = |name: &str| {
            input
                .split(&format!("{name}=\""))
                .nth(1)
                .and_then(|s| s.split('"').next())
                .map(|s| s.replace("&amp;", "&").replace("&#x2B;", "+"))
        };
        if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
            fields.push((n, v));
        }
    }
    let url = if action.starts_with("http") {
        action
    } else {
        format!("{}{action}", b.base)
    };
    b.http.post(url).form(&fields).send().await.unwrap()
}

/// From a portal's login start to the gateway's answer after the Suomi.fi
/// development IdP has vouched for `person` (registering the first time).
pub(crate) async fn suomifi_login(
    b: &Browser,
    start: &str,
    person: usize,
) -> (String, reqwest::Response) {
    let (url, _) = follow(b, b.get(start).await).await;
    let ar = query_param(&url, "ar").unwrap_or_else(|| panic!("not the login page: {url}"));
    let (url, page) = follow(b, b.get(&format!("/login/source/suomifi?ar={ar}")).await).await;
    assert!(url.contains("/dev-idp/suomifi/sso"), "{url}");
    let page = page.text().await.unwrap();
    let r = b
        .http
        .post(format!("{}/dev-idp/suomifi/sso", b.base))
        .form(&[
            ("csrf", hidden(&page, "csrf")),
            ("ticket", hidden(&page, "ticket")),
            ("person", person.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let form = r.text().await.unwrap();
    let r = submit_form(b, &form).await;
    // Refused before registration: the page answers the ACS at once.
    if r.status() == 403 {
        return (format!("{}/saml/suomifi/acs", b.base), r);
    }
    assert_eq!(
        r.status(),
        303,
        "the ACS should accept the development IdP's answer"
    );
    if location(&r).starts_with("/register") {
        let page = b.get(&location(&r)).await.text().await.unwrap();
        let r = b
            .http
            .post(format!("{}/register", b.base))
            .form(&[
                ("csrf", hidden(&page, "csrf")),
                ("ar", hidden(&page, "ar")),
                ("email", "testaaja@example.fi".into()),
                ("phone", "040 123 4567".into()),
                ("profession_group", "physician".into()),
                ("wellbeing_area", String::new()),
                ("municipality", "Rovaniemi".into()),
            ])
            .send()
            .await
            .unwrap();
        // On to the portal, or its refusal page straight away.
        return follow(b, r).await;
    }
    follow(b, r).await
}

/// The claims a demo portal page shows, as JSON.
fn shown_claims(html: &str) -> serde_json::Value {
    let start = html
        .find("<pre id=\"id-claims\">")
        .expect("no claims on the page")
        + 20;
    let end = start + html[start..].find("</pre>").unwrap();
    let text = html[start..end]
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap()
}

pub(crate) async fn demo_app() -> TestApp {
    let app = common::spawn_shipped().await;
    common::wait_for_sources(&app).await;
    app
}

#[tokio::test]
async fn a_managing_director_reaches_the_demo_ekstranet_with_the_company_and_right() {
    let app = demo_app().await;
    let b = Browser::new(&app);
    let (url, page) = suomifi_login(&b, "/demo/ekstranet/login", TEEMU_MANAGING_DIRECTOR).await;
    assert!(url.ends_with("/demo/ekstranet/"), "{url}");
    let html = page.text().await.unwrap();
    assert!(html.contains("Kanta Ekstranet"), "{html}");
    let claims = shown_claims(&html);
    assert_eq!(claims["amr"], serde_json::json!(["suomifi"]), "{claims}");
    assert_eq!(
        claims["authorities"],
        serde_json::json!([{"business_id": "7019376-8", "name": "Rova Oy (demo)", "right": "full"}]),
        "{claims}"
    );
    // The portal gets only the claims its rules name.
    assert!(claims.get("email").is_none(), "{claims}");
}

#[tokio::test]
async fn a_person_with_two_mandates_picks_the_organisation_and_gets_its_right() {
    let app = demo_app().await;
    let b = Browser::new(&app);
    let (url, page) = suomifi_login(&b, "/demo/ekstranet/login", MAIJA_MANDATES).await;
    assert!(url.contains("/act-for"), "{url}");
    let html = page.text().await.unwrap();
    assert!(html.contains("Rova Oy (demo)") && html.contains("Hoivakoti Esimerkki Oy (demo)"));
    let r = b
        .http
        .post(format!("{}/act-for", b.base))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("ar", hidden(&html, "ar")),
            ("org", "2345678-0".to_string()),
        ])
        .send()
        .await
        .unwrap();
    let (url, page) = follow(&b, r).await;
    assert!(url.ends_with("/demo/ekstranet/"), "{url}");
    let claims = shown_claims(&page.text().await.unwrap());
    assert_eq!(
        claims["authorities"],
        serde_json::json!([{"business_id": "2345678-0", "name": "Hoivakoti Esimerkki Oy (demo)", "right": "read_only"}]),
        "{claims}"
    );
}

#[tokio::test]
async fn a_bank_credential_user_without_a_mandate_is_told_why() {
    let app = demo_app().await;
    let b = Browser::new(&app);
    let (url, page) = suomifi_login(&b, "/demo/ekstranet/login", PEKKA_NO_MANDATE).await;
    assert_eq!(page.status(), 403, "{url}");
    let html = page.text().await.unwrap();
    assert!(html.contains("Kanta Ekstranet"), "{html}");
    // The region's own words on how to get access, and what is missing.
    assert!(html.contains("Suomi.fi-valtuuksissa"), "{html}");
    assert!(
        html.contains(
            "organisaatiossa kaupparekisteriin merkitty asema tai Suomi.fi-valtuus: ELI, TJ, TJS, VTJ"
        ),
        "{html}"
    );
    assert!(html.contains("sote-digipalvelujen-kayttoonotto"), "{html}");
    // And a way to log in otherwise (Suomi.fi as someone else, a card).
    assert!(html.contains("href=\"/login?ar="), "{html}");
    // No registration could have taken him there, so he was refused before
    // the form: no account was made, no session started.
    assert!(html.contains("Tunnusta ei luotu"), "{html}");
    let (url, _) = follow(&b, b.get("/").await).await;
    assert!(url.contains("/login"), "{url}");
    // The professionals' section of the demo takes him: he registers there.
    let (url, page) = suomifi_login(&b, "/demo/login", PEKKA_NO_MANDATE).await;
    assert!(url.ends_with("/demo/"), "{url}");
    let claims = shown_claims(&page.text().await.unwrap());
    assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/substantial");
}

#[tokio::test]
async fn logging_out_in_one_demo_portal_ends_the_other_over_the_back_channel() {
    let app = demo_app().await;
    let b = Browser::new(&app);
    let (url, _) = suomifi_login(&b, "/demo/login", TEEMU_MANAGING_DIRECTOR).await;
    assert!(url.ends_with("/demo/"), "{url}");
    // Single sign-on: the second portal needs no new login.
    let (url, page) = follow(&b, b.get("/demo/ekstranet/login").await).await;
    assert!(url.ends_with("/demo/ekstranet/"), "{url}");
    let html = page.text().await.unwrap();
    let first = b.get("/demo/").await.text().await.unwrap();
    assert_eq!(
        shown_claims(&first)["sid"],
        shown_claims(&html)["sid"],
        "one gateway session serves both portals"
    );

    // Log out in the Ekstranet demo: it ends its own session, then the
    // gateway's.
    assert!(html.contains("href=\"/demo/ekstranet/logout\""), "{html}");
    let logout = "/demo/ekstranet/logout".to_string();
    let (_, page) = follow(&b, b.get(&logout).await).await;
    let mut html = page.text().await.unwrap();
    let ekstranet = b.get("/demo/ekstranet/").await.text().await.unwrap();
    assert!(
        ekstranet.contains("id=\"login\""),
        "logged out here at once"
    );
    // Through the Suomi.fi single logout's forms, if any, back to the portal.
    for _ in 0..5 {
        if !html.contains("<form method=\"post\"") || html.contains("id=\"login\"") {
            break;
        }
        let (_, page) = follow(&b, submit_form(&b, &html).await).await;
        html = page.text().await.unwrap();
    }

    // The other demo portal hears it over the back channel.
    let mut shown = String::new();
    for _ in 0..50 {
        shown = b.get("/demo/").await.text().await.unwrap();
        if shown.contains("id=\"ended\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(shown.contains("id=\"ended\""), "{shown}");
    assert!(!shown.contains("id=\"id-claims\""));
}

#[tokio::test]
async fn a_forged_logout_token_ends_nothing() {
    let app = demo_app().await;
    let b = Browser::new(&app);
    suomifi_login(&b, "/demo/login", TEEMU_MANAGING_DIRECTOR).await;
    let page = b.get("/demo/").await.text().await.unwrap();
    let sid = shown_claims(&page)["sid"].as_str().unwrap().to_string();
    // Well-formed claims for the right session, but not signed by the gateway.
    let claims = serde_json::json!({
        "iss": app.base, "aud": "demo-portal", "iat": app.clock_now(),
        "exp": app.clock_now() + 120, "jti": "x", "sid": sid,
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}}
    });
    let forged = format!(
        "{}.{}.{}",
        porttivahti::tokens::b64url(br#"{"alg":"ES256","typ":"logout+jwt","kid":"k"}"#),
        porttivahti::tokens::b64url(claims.to_string().as_bytes()),
        porttivahti::tokens::b64url([7u8; 64])
    );
    let r = b
        .http
        .post(format!("{}/demo/backchannel-logout", app.base))
        .form(&[("logout_token", forged)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let page = b.get("/demo/").await.text().await.unwrap();
    assert!(page.contains("id=\"id-claims\""), "still logged in");
}

/// The demo's Suomi.fi over OpenID Connect (the development IdP's OpenID
/// Connect face): the same person, the same e-Authorizations lookup at
/// login, the same claims at Kanta Ekstranet as over SAML.
#[tokio::test]
async fn over_openid_connect_the_managing_director_reaches_the_demo_ekstranet_too() {
    let app = demo_app().await;
    let b = Browser::new(&app);
    let (url, _) = follow(&b, b.get("/demo/ekstranet/login").await).await;
    let ar = query_param(&url, "ar").unwrap();
    let (url, page) = follow(
        &b,
        b.get(&format!("/login/source/suomifi-oidc?ar={ar}")).await,
    )
    .await;
    assert!(url.contains("/dev-idp/oidc/authorize?"), "{url}");
    let page = page.text().await.unwrap();
    let r = b
        .http
        .post(format!("{}/dev-idp/oidc/authorize", b.base))
        .form(&[
            ("csrf", hidden(&page, "csrf")),
            ("ticket", hidden(&page, "ticket")),
            ("person", TEEMU_MANAGING_DIRECTOR.to_string()),
        ])
        .send()
        .await
        .unwrap();
    let (url, page) = follow(&b, r).await;
    assert!(url.contains("/register"), "{url}");
    let page = page.text().await.unwrap();
    assert!(page.contains("Teemu Toimitusjohtaja"), "{page}");
    let r = b
        .http
        .post(format!("{}/register", b.base))
        .form(&[
            ("csrf", hidden(&page, "csrf")),
            ("ar", hidden(&page, "ar")),
            ("email", "teemu@rova.example.fi".into()),
            ("phone", "040 123 4567".into()),
            ("profession_group", "physician".into()),
            ("wellbeing_area", String::new()),
            ("municipality", "Rovaniemi".into()),
        ])
        .send()
        .await
        .unwrap();
    let (url, page) = follow(&b, r).await;
    assert!(url.ends_with("/demo/ekstranet/"), "{url}");
    let claims = shown_claims(&page.text().await.unwrap());
    assert_eq!(claims["amr"], serde_json::json!(["suomifi"]), "{claims}");
    assert_eq!(
        claims["authorities"],
        serde_json::json!([{"business_id": "7019376-8", "name": "Rova Oy (demo)", "right": "full"}]),
        "{claims}"
    );
}
