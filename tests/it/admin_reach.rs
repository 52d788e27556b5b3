//! A liaison person's reach across roles. Accounts whose administrative
//! roles lie beyond the liaison person's organisation and networks (a
//! liaison person elsewhere, an operator) are the service desk's alone and
//! answer as missing; the chain that once led from a liaison person to the
//! service desk's rights (reset → one-time password → second factor →
//! administration) fails at its first step and at each later one on its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use porttivahti::domain::{AccountStatus, AuthMethod, LoA, Network, Role};
use porttivahti::identity::totp;
use porttivahti::store::ephemeral::{OneTimePassword, Session};
use porttivahti::store::{AuditEvent, Membership, NewAccount};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const API: &str = "/admin/api/v1";
const OLLI_PASSWORD: &str = "Olli-operaattori-2026";
const ONE_TIME: &str = "abcd-efgh-jkmn";

fn setup_audit(app: &TestApp) -> AuditEvent {
    AuditEvent::new(app.clock_now(), "test", "test.setup")
}

async fn add_membership(app: &TestApp, id: &str, org: &str, network: Network, role: Role) {
    let m = Membership {
        account_id: id.into(),
        org_id: org.into(),
        network,
        role,
    };
    app.state
        .dir
        .add_membership(&m, &setup_audit(app))
        .await
        .unwrap();
}

/// An account made in the store, with a known password.
async fn add_account(
    app: &TestApp,
    username: &str,
    memberships: &[(&str, Network, Role)],
) -> String {
    let id = porttivahti::tokens::random_token(12);
    let hash = app
        .state
        .passwords
        .hasher()
        .hash(OLLI_PASSWORD)
        .await
        .unwrap();
    let ms: Vec<Membership> = memberships
        .iter()
        .map(|(o, n, r)| Membership {
            account_id: id.clone(),
            org_id: o.to_string(),
            network: *n,
            role: *r,
        })
        .collect();
    let new = NewAccount {
        id: id.clone(),
        username: username.into(),
        given_name: "Olli".into(),
        family_name: "Operaattori".into(),
        email: None,
        phone: None,
        title: None,
        password_hash: Some(hash),
        must_change_password: false,
        created_at: app.clock_now(),
    };
    app.state
        .dir
        .create_account(&new, &ms, &setup_audit(app))
        .await
        .unwrap();
    id
}

/// Olli: an operator of the service desk, also a member of jkl/intermetso.
async fn operator_olli(app: &TestApp) -> String {
    let id = add_account(
        app,
        "olli.operaattori",
        &[("jkl", Network::Intermetso, Role::Member)],
    )
    .await;
    app.state
        .dir
        .add_operator(&id, &setup_audit(app))
        .await
        .unwrap();
    id
}

async fn set_totp(app: &TestApp, id: &str, secret: &[u8]) {
    let sealed =
        porttivahti::web::routes::second_factor::seal_secret(&app.state, id, secret).unwrap();
    app.state
        .dir
        .set_totp_secret(id, Some(&sealed), &setup_audit(app))
        .await
        .unwrap();
}

/// A browser holding a session of `id` made as described (set directly, so
/// that each step of the chain is tested on its own).
async fn session_browser(
    app: &TestApp,
    id: &str,
    methods: Vec<AuthMethod>,
    age_secs: i64,
    one_time_password: OneTimePassword,
) -> Browser {
    let now = app.clock_now();
    let session = Session {
        sid: porttivahti::tokens::random_token(16),
        account_id: id.into(),
        auth_time: now - age_secs,
        expires_at: now + 3600,
        loa: LoA::Low,
        methods,
        source: "password".into(),
        card_type: None,
        source_org_kind: None,
        source_org: None,
        upstream: None,
        attributes: Default::default(),
        one_time_password,
    };
    let secret = porttivahti::tokens::random_token(32);
    app.state
        .eph
        .put_session(&porttivahti::tokens::hash_secret(&secret), &session, now)
        .await
        .unwrap();
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(
        &format!("pv_sid={secret}; Path=/"),
        &app.base.parse().unwrap(),
    );
    Browser {
        http: porttivahti::http_client_builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: app.base.clone(),
    }
}

async fn post(b: &Browser, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    b.http
        .post(format!("{}{path}", b.base))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn csrf_of(b: &Browser, path: &str) -> String {
    hidden(&b.get(path).await.text().await.unwrap(), "csrf")
}

/// An admin API call with the session cookie (and CSRF header).
async fn api(
    b: &Browser,
    method: Method,
    path: &str,
    csrf: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = b.http.request(method, format!("{}{API}{path}", b.base));
    if let Some(t) = csrf {
        req = req.header("X-CSRF-Token", t);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn api_csrf(b: &Browser) -> String {
    let (s, me) = api(b, Method::GET, "/me", None, None).await;
    assert_eq!(s, 200, "{me}");
    me["csrf_token"].as_str().unwrap().to_string()
}

/// The service desk's API client.
async fn desk(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
    let t: Value = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base))
        .basic_auth("desk-robot", Some(DESK_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let req = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .request(method, format!("{}{API}{path}", app.base))
        .bearer_auth(t["access_token"].as_str().unwrap());
    match body {
        Some(b) => req.json(&b),
        None => req,
    }
    .send()
    .await
    .unwrap()
}

async fn password_hash(app: &TestApp, username: &str) -> Option<String> {
    app.state
        .dir
        .credentials(username)
        .await
        .unwrap()
        .unwrap()
        .1
}

#[tokio::test]
async fn hostile_accounts_with_roles_beyond_a_liaison_answer_as_missing() {
    let app = spawn_app().await;
    let mut refused = 0;
    // jkl in both networks; Liisa is its liaison person in intermetso only.
    let mut jkl = app.state.dir.organisation("jkl").await.unwrap().unwrap();
    jkl.networks = vec![Network::Intermetso, Network::Sonette];
    app.state
        .dir
        .update_organisation(&jkl, &setup_audit(&app))
        .await
        .unwrap();
    // Members of jkl/intermetso who are also: an operator; a liaison person
    // of another organisation (Sonja, of sos); a liaison person of jkl in a
    // network Liisa does not hold.
    let olli = operator_olli(&app).await;
    let sonja = account_id(&app, "sonja.liaison").await;
    add_membership(&app, &sonja, "jkl", Network::Intermetso, Role::Member).await;
    let sanna = add_account(
        &app,
        "sanna.sonette",
        &[
            ("jkl", Network::Intermetso, Role::Member),
            ("jkl", Network::Sonette, Role::Liaison),
        ],
    )
    .await;
    let anna = account_id(&app, "anna.hoitaja").await;
    let victims = [
        (olli.as_str(), "olli.operaattori"),
        (sonja.as_str(), "sonja.liaison"),
        (sanna.as_str(), "sanna.sonette"),
    ];
    let before: Vec<Option<String>> = {
        let mut v = Vec::new();
        for (_, u) in victims {
            v.push(password_hash(&app, u).await);
        }
        v
    };

    let liisa = strong_browser(&app, "liisa.yhteys").await;
    // The UI: the same page as for a missing account, for every action.
    let missing = liisa.get("/admin/orgs/jkl/accounts/no-such-id").await;
    assert_eq!(missing.status(), 404);
    let missing = missing.text().await.unwrap();
    let csrf = csrf_of(&liisa, &format!("/admin/orgs/jkl/accounts/{anna}")).await;
    for (id, username) in victims {
        let r = liisa.get(&format!("/admin/orgs/jkl/accounts/{id}")).await;
        assert_eq!(r.status(), 404, "{username}");
        assert_eq!(
            r.text().await.unwrap().replace(id, "X"),
            missing.replace("no-such-id", "X"),
            "{username}: the same answer as for a missing account"
        );
        refused += 1;
        let r = liisa
            .get(&format!("/admin/orgs/jkl/accounts/{id}/edit"))
            .await;
        assert_eq!(r.status(), 404, "{username} edit");
        refused += 1;
        for action in ["unlock", "reset", "disable", "enable", "move", "edit"] {
            let path = format!("/admin/orgs/jkl/accounts/{id}/{action}");
            let r = post(
                &liisa,
                &path,
                &[
                    ("csrf", &csrf),
                    ("reason", "asiakkaan pyyntö"),
                    ("network", "intermetso"),
                    ("given_name", "X"),
                    ("family_name", "Y"),
                ],
            )
            .await;
            assert_eq!(r.status(), 404, "POST {path} ({username})");
            refused += 1;
        }
    }
    // The list and its total leave them out: Anna, Liisa and Ville remain.
    let list = liisa
        .get("/admin/orgs/jkl/accounts")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("anna.hoitaja"), "{list}");
    assert!(
        list.contains(" / 3</caption>"),
        "the total counts 3: {list}"
    );
    for (_, username) in victims {
        assert!(!list.contains(username), "{username} listed");
        refused += 1;
    }

    // The JSON API: the same.
    let token = api_csrf(&liisa).await;
    let (s, page) = api(
        &liisa,
        Method::GET,
        "/orgs/jkl/accounts?limit=200",
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(page["total"], 3, "{page}");
    let listed: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 3, "{listed:?}");
    let (_, missing_json) = api(
        &liisa,
        Method::GET,
        "/orgs/jkl/accounts/no-such-id",
        None,
        None,
    )
    .await;
    for (id, username) in victims {
        assert!(!listed.contains(&username));
        let (s, body) = api(
            &liisa,
            Method::GET,
            &format!("/orgs/jkl/accounts/{id}"),
            None,
            None,
        )
        .await;
        assert_eq!(
            (s, &body),
            (StatusCode::NOT_FOUND, &missing_json),
            "{username}"
        );
        refused += 1;
        for action in ["unlock", "reset-password", "disable", "enable", "move"] {
            let (s, _) = api(
                &liisa,
                Method::POST,
                &format!("/orgs/jkl/accounts/{id}/{action}"),
                Some(&token),
                Some(json!({ "reason": "asiakkaan pyyntö", "network": "sonette" })),
            )
            .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{action} {username}");
            refused += 1;
        }
        let (s, _) = api(
            &liisa,
            Method::PUT,
            &format!("/orgs/jkl/accounts/{id}"),
            Some(&token),
            Some(json!({ "given_name": "X", "family_name": "Y" })),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "edit {username}");
        refused += 1;
    }
    // Nothing changed.
    for ((id, username), hash) in victims.iter().zip(before) {
        assert_eq!(password_hash(&app, username).await, hash, "{username}");
        let a = app.state.dir.account(id).await.unwrap().unwrap();
        assert_eq!(
            (a.status, a.given_name.as_str() == "X"),
            (AccountStatus::Active, false)
        );
    }
    // Anna stays within reach, and the service desk reaches everyone.
    assert_eq!(
        liisa
            .get(&format!("/admin/orgs/jkl/accounts/{anna}"))
            .await
            .status(),
        200
    );
    for (id, username) in victims {
        let r = desk(&app, Method::GET, &format!("/orgs/jkl/accounts/{id}"), None).await;
        assert_eq!(r.status(), 200, "the service desk reaches {username}");
    }
    hostile_refused(
        "hostile_accounts_with_roles_beyond_a_liaison_answer_as_missing",
        refused,
    );
}

#[tokio::test]
async fn hostile_the_chain_from_a_liaison_to_the_service_desk_fails_at_every_step() {
    let app = spawn_app().await;
    let mut refused = 0;
    let olli = operator_olli(&app).await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;

    // 1. Liisa cannot reset the operator's password (UI nor API).
    let before = password_hash(&app, "olli.operaattori").await;
    let csrf = csrf_of(&liisa, "/admin/").await;
    let r = post(
        &liisa,
        &format!("/admin/orgs/jkl/accounts/{olli}/reset"),
        &[("csrf", &csrf), ("reason", "unohtui")],
    )
    .await;
    assert_eq!(r.status(), 404);
    refused += 1;
    let token = api_csrf(&liisa).await;
    let (s, _) = api(
        &liisa,
        Method::POST,
        &format!("/orgs/jkl/accounts/{olli}/reset-password"),
        Some(&token),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    refused += 1;
    assert_eq!(password_hash(&app, "olli.operaattori").await, before);

    // 2. Suppose Olli had a one-time password anyway (set in the store): a
    // login with it reaches nothing but the password change.
    let hash = app.state.passwords.hasher().hash(ONE_TIME).await.unwrap();
    app.state
        .dir
        .set_password(&olli, &hash, true, &setup_audit(&app))
        .await
        .unwrap();
    let b = Browser::new(&app);
    let r = b.submit_login("/login", "olli.operaattori", ONE_TIME).await;
    assert_eq!(location(&r), "/password/change");
    for path in [
        "/account/totp",
        "/account/",
        "/admin/",
        "/admin/orgs/jkl/accounts",
        "/",
    ] {
        let r = b.get(path).await;
        assert_eq!(
            (r.status().as_u16(), location(&r)),
            (303, "/password/change".to_string()),
            "GET {path}"
        );
        refused += 1;
    }
    let r = post(&b, "/account/totp", &[("csrf", "x"), ("code", "123456")]).await;
    assert_eq!(location(&r), "/password/change");
    refused += 1;
    let (s, body) = api(&b, Method::GET, "/me", None, None).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
    refused += 1;
    let r = b
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb",
            Some(&pkce().1),
            &[],
        ))
        .await;
    let next = location(&r);
    assert!(
        !next.starts_with("https://a.example/"),
        "no code for a one-time password session: {next}"
    );
    refused += 1;
    assert_eq!(app.state.dir.totp_secret(&olli).await.unwrap(), None);
    // It may change the password, and end.
    assert_eq!(b.get("/password/change").await.status(), 200);

    // 3. A session that logged in with a one-time password and changed it,
    // or a stale login, may not set up a first factor.
    for (what, age, one_time) in [
        ("after a one-time password", 0, OneTimePassword::Changed),
        ("stale", 600, OneTimePassword::NotUsed),
    ] {
        let b = session_browser(&app, &olli, vec![AuthMethod::Password], age, one_time).await;
        let r = b.get("/account/totp").await;
        assert_eq!(r.status(), 403, "GET {what}");
        let page = r.text().await.unwrap();
        assert!(page.contains("Kirjaudu uudelleen"), "{page}");
        let csrf = csrf_of(&b, "/password/change").await;
        let r = post(&b, "/account/totp", &[("csrf", &csrf), ("code", "123456")]).await;
        assert_eq!(r.status(), 403, "POST {what}");
        refused += 2;
    }
    assert_eq!(app.state.dir.totp_secret(&olli).await.unwrap(), None);

    // ...and an existing factor is replaced only with a code of it.
    let current = totp::base32_decode("KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU").unwrap();
    set_totp(&app, &olli, &current).await;
    let sealed = app.state.dir.totp_secret(&olli).await.unwrap();
    let b = session_browser(
        &app,
        &olli,
        vec![AuthMethod::Password],
        0,
        OneTimePassword::NotUsed,
    )
    .await;
    let page = b.get("/account/totp").await.text().await.unwrap();
    assert!(page.contains("name=\"current_code\""), "{page}");
    let key = secret_on(&page);
    let csrf = hidden(&page, "csrf");
    for current_code in ["", "000000"] {
        let r = post(
            &b,
            "/account/totp",
            &[
                ("csrf", csrf.as_str()),
                ("current_code", current_code),
                ("code", &code(&app, &key)),
            ],
        )
        .await;
        assert_eq!(r.status(), 401, "current code {current_code:?}");
        refused += 1;
    }
    assert_eq!(app.state.dir.totp_secret(&olli).await.unwrap(), sealed);

    // 4. Setting up a factor (rightly: a fresh own-password login) does not
    // make the session strong: administration still says no.
    app.state
        .dir
        .set_totp_secret(&olli, None, &setup_audit(&app))
        .await
        .unwrap();
    let b = session_browser(
        &app,
        &olli,
        vec![AuthMethod::Password],
        0,
        OneTimePassword::NotUsed,
    )
    .await;
    let page = b.get("/account/totp").await.text().await.unwrap();
    assert!(!page.contains("name=\"current_code\""));
    let key = secret_on(&page);
    let r = post(
        &b,
        "/account/totp",
        &[
            ("csrf", &hidden(&page, "csrf")),
            ("code", &code(&app, &key)),
        ],
    )
    .await;
    assert_eq!(location(&r), "/account/?totp=1");
    assert!(app.state.dir.totp_secret(&olli).await.unwrap().is_some());
    assert_eq!(b.get("/admin/").await.status(), 403);
    let (s, body) = api(&b, Method::GET, "/me", None, None).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_strong"))
    );
    refused += 2;

    // 5. Only a login that used the factor reaches administration.
    let b = session_browser(
        &app,
        &olli,
        vec![AuthMethod::Password, AuthMethod::Otp],
        0,
        OneTimePassword::NotUsed,
    )
    .await;
    assert_eq!(b.get("/admin/").await.status(), 200);
    hostile_refused(
        "hostile_the_chain_from_a_liaison_to_the_service_desk_fails_at_every_step",
        refused,
    );
}

fn secret_on(page: &str) -> String {
    let marker = "id=\"totp-secret\" class=\"secret\">";
    let start = page.find(marker).unwrap() + marker.len();
    page[start..start + page[start..].find('<').unwrap()]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn code(app: &TestApp, b32: &str) -> String {
    totp::code_at(&totp::base32_decode(b32).unwrap(), app.clock_now()).unwrap()
}

#[tokio::test]
async fn hostile_the_audit_trail_shows_a_liaison_only_what_is_within_reach() {
    let app = spawn_app().await;
    let mut refused = 0;
    let anna = account_id(&app, "anna.hoitaja").await;
    let olli = operator_olli(&app).await;
    // Anna works for sos too; Sonja is its liaison person.
    add_membership(&app, &anna, "sos", Network::Sonette, Role::Member).await;
    let sonja = strong_browser(&app, "sonja.liaison").await;
    let csrf = csrf_of(&sonja, &format!("/admin/orgs/sos/accounts/{anna}")).await;
    let r = post(
        &sonja,
        &format!("/admin/orgs/sos/accounts/{anna}/reset"),
        &[
            ("csrf", &csrf),
            ("reason", "sos-yksityinen-syy"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    // The service desk acts on Anna and on Olli (an operator) with reasons.
    for (id, reason) in [(&anna, "palvelupisteen-syy"), (&olli, "olli-syy")] {
        let r = desk(
            &app,
            Method::POST,
            &format!("/accounts/{id}/reset-password"),
            Some(json!({ "reason": reason })),
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    // Liisa's own action, for jkl.
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let csrf = csrf_of(&liisa, &format!("/admin/orgs/jkl/accounts/{anna}")).await;
    let r = post(
        &liisa,
        &format!("/admin/orgs/jkl/accounts/{anna}/reset"),
        &[
            ("csrf", &csrf),
            ("reason", "liisan-oma-syy"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);

    let outside = ["sos-yksityinen-syy", "palvelupisteen-syy", "olli-syy"];
    let mut views: Vec<(String, String)> = Vec::new();
    for path in [
        "/admin/orgs/jkl/audit",
        "/admin/orgs/jkl/audit?format=csv",
        "/admin/orgs/jkl/audit?format=jsonl",
        "/admin/api/v1/orgs/jkl/audit",
        "/admin/api/v1/orgs/jkl/audit?format=csv",
        "/admin/api/v1/orgs/jkl/audit?format=jsonl",
    ] {
        let r = liisa.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        views.push((path.to_string(), r.text().await.unwrap()));
    }
    for (path, body) in &views {
        assert!(body.contains("liisan-oma-syy"), "{path}: {body}");
        assert!(!body.contains(&olli), "{path}: an operator's events");
        for reason in outside {
            assert!(!body.contains(reason), "{path} shows {reason}: {body}");
            refused += 1;
        }
    }
    // The service desk's own view of jkl still has everything about Anna.
    let desk_view = desk(&app, Method::GET, "/orgs/jkl/audit?format=jsonl", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(desk_view.contains("sos-yksityinen-syy") && desk_view.contains("liisan-oma-syy"));
    hostile_refused(
        "hostile_the_audit_trail_shows_a_liaison_only_what_is_within_reach",
        refused,
    );
}

#[tokio::test]
async fn hostile_reasons_hold_no_control_characters_and_exports_neutralise_them() {
    let app = spawn_app().await;
    let mut refused = 0;
    let anna = account_id(&app, "anna.hoitaja").await;
    let before = password_hash(&app, "anna.hoitaja").await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let csrf = csrf_of(&liisa, &format!("/admin/orgs/jkl/accounts/{anna}")).await;
    for reason in ["rivi\nvaihto", "sarkain\tvälissä", "kello\u{7}soi"] {
        let r = post(
            &liisa,
            &format!("/admin/orgs/jkl/accounts/{anna}/reset"),
            &[("csrf", &csrf), ("reason", reason), ("confirm", "yes")],
        )
        .await;
        let page = r.text().await.unwrap();
        assert!(
            page.contains("Syy on yksi rivi tekstiä") && !page.contains("one-time-password"),
            "{reason:?}: {page}"
        );
        refused += 1;
    }
    let token = api_csrf(&liisa).await;
    let (s, body) = api(
        &liisa,
        Method::POST,
        &format!("/orgs/jkl/accounts/{anna}/reset-password"),
        Some(&token),
        Some(json!({ "reason": "ansi\u{1b}[31m" })),
    )
    .await;
    assert_eq!(
        (s, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("reason"))
    );
    refused += 1;
    let r = desk(
        &app,
        Method::POST,
        &format!("/accounts/{anna}/reset-password"),
        Some(json!({ "reason": "tiketti\r\n123" })),
    )
    .await;
    assert_eq!(r.status(), 400);
    refused += 1;
    assert_eq!(password_hash(&app, "anna.hoitaja").await, before);

    // Cells an older record may hold that a spreadsheet reads as formulas.
    for reason in ["\t=HYPERLINK(\"x\")", "\r=1+2", "=1+2", "@SUM(1)"] {
        let mut e = AuditEvent::new(app.clock_now(), "cli", "test.legacy").subject(anna.clone());
        e.org_id = Some("jkl".into());
        e.reason = Some(reason.into());
        app.state.dir.append_audit(&e).await.unwrap();
    }
    for path in [
        "/admin/orgs/jkl/audit?format=csv",
        "/admin/api/v1/orgs/jkl/audit?format=csv",
    ] {
        let csv = liisa.get(path).await.text().await.unwrap();
        for cell in ["\"'\t=HYPERLINK", "\"'\r=1+2", "\"'=1+2", "\"'@SUM(1)"] {
            assert!(
                csv.contains(cell),
                "{path}: {cell:?} not neutralised: {csv}"
            );
            refused += 1;
        }
    }
    hostile_refused(
        "hostile_reasons_hold_no_control_characters_and_exports_neutralise_them",
        refused,
    );
}
