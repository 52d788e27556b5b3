//! Organisation login through an upstream OpenID provider that no one here
//! wrote: node-oidc-provider on loopback. The gateway discovers it, runs
//! the code flow with PKCE and a nonce, authenticates with
//! client_secret_basic and checks its RS256-signed ID token against its
//! JWKS; the person registers once, then goes straight through.

use crate::common::{
    self, Browser, TestApp, auth_url, exchange, hidden, jwt_payload, location, pkce,
};

use super::Peer;

const SOURCE: &str = "jkl-node";
const REDIRECT: &str = "https://santra.example/cb";
const CLIENT_SECRET: &str = "gw-secret-node-0123456789";

async fn setup() -> Option<(TestApp, Peer)> {
    let op = super::node_oidc_provider().await?;
    let app = common::spawn_app_extra(
        &format!(
            r#"
[[sources]]
id = "{SOURCE}"
kind = "oidc"
name = "Jyväskylän terveyskeskus (node-oidc-provider)"
organisation = "jkl"
issuer = "{issuer}"
client_id = "gateway"
client_secret = "{CLIENT_SECRET}"

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
redirect_uris = ["{REDIRECT}"]
"#,
            issuer = op.base
        ),
        &[],
        |_| {},
    )
    .await;
    // The gateway is the provider's client: registered once its address is
    // known.
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/control/client", op.base))
        .json(&serde_json::json!({
            "client_id": "gateway",
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [format!("{}/login/oidc/{SOURCE}/callback", app.base)],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    common::wait_for_sources(&app).await;
    Some((app, op))
}

/// From Santra's authorize to the provider's login page: the page's URL.
async fn to_provider(app: &TestApp, op: &Peer, b: &Browser, challenge: &str) -> String {
    let mut r = b
        .get(&auth_url(
            app,
            "santra-portal",
            REDIRECT,
            Some(challenge),
            &[("idp_hint", SOURCE)],
        ))
        .await;
    // The gateway's own redirects, then the provider's authorization
    // endpoint, which sends the browser to its login page.
    for _ in 0..6 {
        assert_eq!(r.status(), 303, "{}\n{}", r.text().await.unwrap(), op.log());
        let to = location(&r);
        let to = if to.starts_with("http") {
            to
        } else {
            format!("{}{to}", base_of(&r))
        };
        if to.starts_with(&format!("{}/interaction/", op.base)) {
            return to;
        }
        if to.starts_with(&op.base) {
            assert!(
                to.contains("code_challenge_method=S256") && to.contains("nonce="),
                "{to}"
            );
        }
        r = b.get(&to).await;
    }
    panic!("never reached the provider's login page");
}

fn base_of(r: &reqwest::Response) -> String {
    let u = r.url();
    format!("{}://{}", u.scheme(), u.host_str().unwrap())
        + &u.port().map(|p| format!(":{p}")).unwrap_or_default()
}

/// Signs in at the provider's page (or cancels); follows the provider back
/// to the gateway's callback and returns the gateway's answer.
async fn at_provider(
    app: &TestApp,
    op: &Peer,
    b: &Browser,
    page_url: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let page = b.get(page_url).await.text().await.unwrap();
    assert!(page.contains("name=\"password\""), "{page}");
    let mut r = b.http.post(page_url).form(form).send().await.unwrap();
    for _ in 0..4 {
        assert!(
            r.status().is_redirection(),
            "{}: {}\n{}",
            r.status(),
            r.text().await.unwrap(),
            op.log()
        );
        let to = location(&r);
        let to = if to.starts_with("http") {
            to
        } else {
            format!("{}{to}", base_of(&r))
        };
        let r2 = b.get(&to).await;
        if to.starts_with(&format!("{}/login/oidc/{SOURCE}/callback?", app.base)) {
            return r2;
        }
        r = r2;
    }
    panic!("the provider never sent the browser back");
}

const PERSON: [(&str, &str); 2] = [
    ("username", "olli.orgaani"),
    ("password", "Upstream-demo-2026"),
];

#[tokio::test]
async fn node_oidc_provider_logs_people_in_and_registers_them_once() {
    let Some((app, op)) = setup().await else {
        return;
    };
    let b = Browser::new(&app);
    let (verifier, challenge) = pkce();
    let page = to_provider(&app, &op, &b, &challenge).await;
    let r = at_provider(&app, &op, &b, &page, &PERSON).await;
    assert_eq!(r.status(), 303, "{}\n{}", r.text().await.unwrap(), op.log());
    assert!(location(&r).starts_with("/register"), "{}", location(&r));
    let form = b.get("/register").await.text().await.unwrap();
    assert!(
        form.contains("Olli Orgaani"),
        "the names from the provider's ID token"
    );
    assert!(form.contains("value=\"jkl\" checked"));
    let r = b
        .http
        .post(format!("{}/register", app.base))
        .form(&[
            ("csrf", hidden(&form, "csrf")),
            ("ar", hidden(&form, "ar")),
            ("email", "olli@example.fi".into()),
            ("phone", "040 123 4567".into()),
            ("org", "jkl".into()),
            ("profession_group", "nurse".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(to.starts_with(REDIRECT), "{to}");
    let code = common::query_param(&to, "code").unwrap();
    let t: serde_json::Value = exchange(
        &app,
        "santra-portal",
        Some("secret-s-0123456789"),
        &code,
        REDIRECT,
        Some(&verifier),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = jwt_payload(t["id_token"].as_str().unwrap());
    assert_eq!(id["amr"], serde_json::json!(["oidc"]), "{id}");
    let account = app
        .state
        .dir
        .account_by_identity(SOURCE, "a1b2c3d4-entra-object-id")
        .await
        .unwrap()
        .expect("linked by the provider's subject");
    assert_eq!(account.given_name, "Olli");

    // The next time, in a fresh browser: straight to Santra.
    let b2 = Browser::new(&app);
    let (_, challenge) = pkce();
    let page = to_provider(&app, &op, &b2, &challenge).await;
    let back = at_provider(&app, &op, &b2, &page, &PERSON).await;
    assert_eq!(back.status(), 303);
    assert!(location(&back).starts_with(REDIRECT), "{}", location(&back));
}

#[tokio::test]
async fn hostile_node_oidc_provider_cancel_and_replay_are_refused() {
    let test = "hostile_node_oidc_provider_cancel_and_replay_are_refused";
    let Some((app, op)) = setup().await else {
        return;
    };
    // The person cancels at the provider: access_denied comes back.
    let b = Browser::new(&app);
    let (_, challenge) = pkce();
    let page = to_provider(&app, &op, &b, &challenge).await;
    let r = at_provider(&app, &op, &b, &page, &[("cancel", "1")]).await;
    assert_eq!(r.status(), 401, "{}", r.text().await.unwrap());

    // A callback used twice (the state is single-use).
    let b = Browser::new(&app);
    let (_, challenge) = pkce();
    let page = to_provider(&app, &op, &b, &challenge).await;
    let first = at_provider(&app, &op, &b, &page, &PERSON).await;
    assert_eq!(first.status(), 303);
    let callback = first.url().to_string();
    assert_eq!(b.get(&callback).await.status(), 400);
    assert!(
        app.state
            .dir
            .account_by_identity(SOURCE, "a1b2c3d4-entra-object-id")
            .await
            .unwrap()
            .is_none(),
        "nothing registered: the first login stopped at the form"
    );
    common::hostile_refused(test, 2);
}
