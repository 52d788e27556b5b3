//! Passkeys over HTTP with a software authenticator that really signs
//! (`identity::passkey::soft`): registration under the enrolment rule,
//! username-less login and the second factor with their `amr` and level,
//! and the hostile cases — wrong origin or RP id, a replayed answer,
//! another account's credential, a removed credential, no user
//! verification, a cloned authenticator; the administrators' view and
//! removal; the phishing-resistance requirement.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use porttivahti::domain::{AuthMethod, LoA};
use porttivahti::identity::passkey::soft::{Client, SoftAuthenticator};
use porttivahti::store::ephemeral::Session;

/// The relying party's origin for the app (WebAuthn takes no IP address).
pub fn origin(app: &TestApp) -> String {
    app.base.replace("127.0.0.1", "localhost")
}

/// A browser holding a session of `username` with `methods` and `loa`,
/// `age` seconds old.
pub async fn session_browser(
    app: &TestApp,
    username: &str,
    methods: Vec<AuthMethod>,
    loa: LoA,
    age: i64,
) -> Browser {
    let (a, _) = app.state.dir.credentials(username).await.unwrap().unwrap();
    let now = app.clock_now();
    let session = Session {
        sid: porttivahti::tokens::random_token(16),
        account_id: a.id,
        auth_time: now - age,
        expires_at: now + 3600,
        loa,
        methods,
        source: "password".into(),
        card_type: None,
        source_org_kind: None,
        source_org: None,
        upstream: None,
        attributes: Default::default(),
        one_time_password: Default::default(),
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

/// Asks for options at `options` with the CSRF token of the page at
/// `page`: (csrf, the options).
pub async fn options(
    b: &Browser,
    page: &str,
    options: &str,
) -> (String, reqwest::StatusCode, serde_json::Value) {
    let mut html = b.get(page).await.text().await.unwrap();
    if !html.contains("name=\"csrf\"") {
        // A page without a form (the options will be refused): the
        // browser's token from the home page.
        html = b.get("/").await.text().await.unwrap();
    }
    let csrf = hidden(&html, "csrf");
    let r = b
        .http
        .post(format!("{}{options}", b.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let status = r.status();
    (csrf, status, r.json().await.unwrap_or_default())
}

/// Registers `key` for the browser's account from `/account/passkeys`.
pub async fn register(
    app: &TestApp,
    b: &Browser,
    key: &SoftAuthenticator,
    name: &str,
) -> reqwest::Response {
    let (csrf, status, o) = options(b, "/account/passkeys", "/account/passkeys/options").await;
    assert_eq!(status, 200, "options: {o}");
    let origin = origin(app);
    let client = Client {
        origin: &origin,
        rp_id: "localhost",
    };
    let answer = key.register(&client, o["challenge"].as_str().unwrap());
    b.http
        .post(format!("{}/account/passkeys", b.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", name),
            ("credential", &serde_json::to_string(&answer).unwrap()),
        ])
        .send()
        .await
        .unwrap()
}

/// The login page's options (for `ar`): (csrf, challenge).
pub async fn login_options(b: &Browser, ar: &str) -> (String, String) {
    let page = if ar.is_empty() {
        "/login".to_string()
    } else {
        format!("/login?ar={ar}")
    };
    let (csrf, status, o) = options(b, &page, "/login/passkey/options").await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(o["userVerification"], "required");
    assert_eq!(o["allowCredentials"], serde_json::json!([]));
    (csrf, o["challenge"].as_str().unwrap().to_string())
}

pub async fn post_assertion(
    b: &Browser,
    path: &str,
    csrf: &str,
    ar: &str,
    answer: &porttivahti::identity::passkey::AssertionResponse,
) -> reqwest::Response {
    b.http
        .post(format!("{}{path}", b.base))
        .form(&[
            ("csrf", csrf),
            ("ar", ar),
            ("credential", &serde_json::to_string(answer).unwrap()),
        ])
        .send()
        .await
        .unwrap()
}

async fn anna_with_key(app: &TestApp) -> SoftAuthenticator {
    let anna = account_id(app, "anna.hoitaja").await;
    let b = session_browser(
        app,
        "anna.hoitaja",
        vec![AuthMethod::Password],
        LoA::Low,
        10,
    )
    .await;
    let key = SoftAuthenticator::new(anna.as_bytes());
    let r = register(app, &b, &key, "Työpuhelin").await;
    assert_eq!(location(&r), "/account/passkeys?added=1");
    key
}

#[tokio::test]
async fn a_passkey_logs_in_without_a_username_and_the_portal_sees_hwk_and_user() {
    let app = spawn_app().await;
    let mut key = anna_with_key(&app).await;
    let anna = account_id(&app, "anna.hoitaja").await;
    let stored = app.state.dir.passkeys(&anna).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "Työpuhelin");
    assert_eq!(stored[0].registered_loa, LoA::Low);
    assert!(stored[0].user_verified && !stored[0].backup_eligible);
    assert_eq!(stored[0].sign_count, 0);

    // The account page lists it, with no use yet.
    let b = session_browser(
        &app,
        "anna.hoitaja",
        vec![AuthMethod::Password],
        LoA::Low,
        10,
    )
    .await;
    let page = b.get("/account/passkeys").await.text().await.unwrap();
    assert!(
        page.contains("Työpuhelin") && page.contains("ei koskaan"),
        "{page}"
    );

    // A portal sends the person to log in; the passkey answers.
    let b = Browser::new(&app);
    let (verifier, challenge) = pkce();
    let r = b
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb",
            Some(&challenge),
            &[],
        ))
        .await;
    let ar = query_param(&format!("{}{}", app.base, location(&r)), "ar").unwrap();
    let (csrf, ch) = login_options(&b, &ar).await;
    let origin = origin(&app);
    let client = Client {
        origin: &origin,
        rp_id: "localhost",
    };
    let r = post_assertion(&b, "/login/passkey", &csrf, &ar, &key.assert(&client, &ch)).await;
    let back = location(&r);
    assert!(back.starts_with("https://a.example/cb?code="), "{back}");
    let t = exchange(
        &app,
        "portal-a",
        Some("secret-a-0123456789"),
        &query_param(&back, "code").unwrap(),
        "https://a.example/cb",
        Some(&verifier),
    )
    .await
    .json::<serde_json::Value>()
    .await
    .unwrap();
    let id = jwt_payload(t["id_token"].as_str().unwrap());
    assert_eq!(id["amr"], serde_json::json!(["hwk", "user"]));
    assert_eq!(
        id["acr"],
        LoA::Low.acr(),
        "capped by the registering session's level"
    );

    // The counter and last use are stored; the account page shows the use.
    let k = app.state.dir.passkeys(&anna).await.unwrap().remove(0);
    assert_eq!(k.sign_count, 2);
    assert!(k.last_used_at.is_some());
    let events = app.state.dir.audit_events(Some(&anna), 50).await.unwrap();
    assert!(events.iter().any(|e| e.action == "login.passkey.success"));
}

#[tokio::test]
async fn hostile_a_disabled_accounts_passkey_opens_nothing_and_moves_nothing() {
    let app = spawn_app().await;
    let mut key = anna_with_key(&app).await;
    let anna = account_id(&app, "anna.hoitaja").await;
    let disable = porttivahti::store::AuditEvent::new(app.clock_now(), "desk", "account.disabled")
        .subject(anna.clone())
        .reason("left the organisation");
    app.state
        .dir
        .set_status(
            &anna,
            porttivahti::domain::AccountStatus::Disabled,
            Some("left the organisation"),
            &disable,
        )
        .await
        .unwrap();
    let before = app.state.dir.passkeys(&anna).await.unwrap();
    let account_before = app.state.dir.account(&anna).await.unwrap();
    let trail_before = app.state.dir.audit_events(Some(&anna), 100).await.unwrap();

    let b = Browser::new(&app);
    let (csrf, ch) = login_options(&b, "").await;
    let origin = origin(&app);
    let client = Client {
        origin: &origin,
        rp_id: "localhost",
    };
    let r = post_assertion(&b, "/login/passkey", &csrf, "", &key.assert(&client, &ch)).await;
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("pv_sid=")),
        "no session"
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("Tunnus ei ole käytössä"), "{page}");
    // Nothing moved: the counter, the last use, the login time; the
    // refusal alone is in the audit trail.
    assert_eq!(app.state.dir.passkeys(&anna).await.unwrap(), before);
    assert_eq!(app.state.dir.account(&anna).await.unwrap(), account_before);
    let trail = app.state.dir.audit_events(Some(&anna), 100).await.unwrap();
    assert_eq!(trail.len(), trail_before.len() + 1);
    let new: Vec<&str> = trail
        .iter()
        .filter(|e| !trail_before.contains(e))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(new, ["login.passkey.refused_not_active"]);
    hostile_refused(
        "hostile_a_disabled_accounts_passkey_opens_nothing_and_moves_nothing",
        1,
    );
}

#[tokio::test]
async fn the_level_is_capped_by_the_registering_session() {
    let app = spawn_app().await;
    let anna = account_id(&app, "anna.hoitaja").await;
    // Registered in a Suomi.fi-strength session: substantial.
    let b = session_browser(
        &app,
        "anna.hoitaja",
        vec![AuthMethod::SuomiFi],
        LoA::High,
        3600,
    )
    .await;
    let mut key = SoftAuthenticator::new(anna.as_bytes());
    key.backup_eligible = true;
    assert_eq!(
        location(&register(&app, &b, &key, "Puhelin").await),
        "/account/passkeys?added=1"
    );
    let p = Browser::new(&app);
    let (csrf, ch) = login_options(&p, "").await;
    let origin = origin(&app);
    let client = Client {
        origin: &origin,
        rp_id: "localhost",
    };
    let r = post_assertion(&p, "/login/passkey", &csrf, "", &key.assert(&client, &ch)).await;
    assert_eq!(r.status(), 303);
    let sid = r
        .cookies()
        .find(|c| c.name() == "pv_sid")
        .unwrap()
        .value()
        .to_string();
    let s = app
        .state
        .eph
        .session(&porttivahti::tokens::hash_secret(&sid), app.clock_now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.loa,
        LoA::Substantial,
        "high is capped at substantial for a passkey"
    );
    assert_eq!(
        s.methods,
        vec![AuthMethod::SoftwareKey, AuthMethod::UserVerified]
    );
}

#[tokio::test]
async fn adding_a_passkey_follows_the_enrolment_rule() {
    let app = spawn_app().await;
    // A password login 10 minutes old, no factor: log in again first.
    let old = session_browser(
        &app,
        "anna.hoitaja",
        vec![AuthMethod::Password],
        LoA::Low,
        600,
    )
    .await;
    let (_, status, o) = options(&old, "/account/passkeys", "/account/passkeys/options").await;
    assert_eq!(
        (status.as_u16(), o["error"].as_str()),
        (403, Some("log_in_again"))
    );
    let page = old.get("/account/passkeys").await.text().await.unwrap();
    assert!(page.contains("passkey-log-in-again") && !page.contains("passkey-register"));

    // With a passkey, a fresh password-only login is not enough: the
    // factor must have been used.
    let _key = anna_with_key(&app).await;
    let pwd = session_browser(
        &app,
        "anna.hoitaja",
        vec![AuthMethod::Password],
        LoA::Low,
        10,
    )
    .await;
    let (_, status, _) = options(&pwd, "/account/passkeys", "/account/passkeys/options").await;
    assert_eq!(status, 403);
    let both = session_browser(
        &app,
        "anna.hoitaja",
        vec![AuthMethod::Password, AuthMethod::HardwareKey],
        LoA::Low,
        10,
    )
    .await;
    let (_, status, o) = options(&both, "/account/passkeys", "/account/passkeys/options").await;
    assert_eq!(status, 200);
    assert_eq!(o["excludeCredentials"].as_array().unwrap().len(), 1, "{o}");
    assert_eq!(o["authenticatorSelection"]["residentKey"], "required");
    // A strong session may, however old.
    let strong = session_browser(
        &app,
        "anna.hoitaja",
        vec![AuthMethod::Smartcard],
        LoA::Substantial,
        3000,
    )
    .await;
    let (_, status, _) = options(&strong, "/account/passkeys", "/account/passkeys/options").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn hostile_passkey_answers_are_refused() {
    let app = spawn_app().await;
    let mut refused = 0;
    let mut key = anna_with_key(&app).await;
    let anna = account_id(&app, "anna.hoitaja").await;
    let good_origin = origin(&app);
    let good = Client {
        origin: &good_origin,
        rp_id: "localhost",
    };
    let b = Browser::new(&app);
    let expect_refused = |r: &reqwest::Response| {
        assert_eq!(r.status(), 401, "refused");
        assert!(r.cookies().all(|c| c.name() != "pv_sid"));
    };

    // Wrong origin, wrong RP id.
    let evil_origin = good_origin.replace("localhost", "evil.localhost");
    for client in [
        Client {
            origin: &evil_origin,
            rp_id: "localhost",
        },
        Client {
            origin: &good_origin,
            rp_id: "evil.example",
        },
    ] {
        let (csrf, ch) = login_options(&b, "").await;
        expect_refused(
            &post_assertion(&b, "/login/passkey", &csrf, "", &key.assert(&client, &ch)).await,
        );
        refused += 1;
    }

    // A replayed answer: the challenge is single use.
    let (csrf, ch) = login_options(&b, "").await;
    let answer = key.assert(&good, &ch);
    assert_eq!(
        post_assertion(&b, "/login/passkey", &csrf, "", &answer)
            .await
            .status(),
        303
    );
    let again = Browser::new(&app);
    expect_refused(&post_assertion(&b, "/login/passkey", &csrf, "", &answer).await);
    // … nor from another browser (another CSRF binding).
    let (other_csrf, _) = login_options(&again, "").await;
    expect_refused(&post_assertion(&again, "/login/passkey", &other_csrf, "", &answer).await);
    refused += 2;

    // A challenge this gateway never issued.
    let (csrf, _) = login_options(&b, "").await;
    expect_refused(
        &post_assertion(
            &b,
            "/login/passkey",
            &csrf,
            "",
            &key.assert(&good, "bm90LWlzc3VlZA"),
        )
        .await,
    );
    refused += 1;

    // No user verification where it is required.
    key.user_verified = false;
    let (csrf, ch) = login_options(&b, "").await;
    expect_refused(&post_assertion(&b, "/login/passkey", &csrf, "", &key.assert(&good, &ch)).await);
    key.user_verified = true;
    refused += 1;

    // Another account's credential under this account's user handle.
    let sami = account_id(&app, "sami.sosiaali").await;
    let sb = session_browser(
        &app,
        "sami.sosiaali",
        vec![AuthMethod::Password],
        LoA::Low,
        10,
    )
    .await;
    let mut sami_key = SoftAuthenticator::new(sami.as_bytes());
    assert_eq!(
        location(&register(&app, &sb, &sami_key, "Samin avain").await),
        "/account/passkeys?added=1"
    );
    sami_key.user_handle = anna.as_bytes().to_vec();
    let (csrf, ch) = login_options(&b, "").await;
    expect_refused(
        &post_assertion(
            &b,
            "/login/passkey",
            &csrf,
            "",
            &sami_key.assert(&good, &ch),
        )
        .await,
    );
    refused += 1;

    // A key never registered.
    let mut stranger = SoftAuthenticator::new(anna.as_bytes());
    let (csrf, ch) = login_options(&b, "").await;
    expect_refused(
        &post_assertion(
            &b,
            "/login/passkey",
            &csrf,
            "",
            &stranger.assert(&good, &ch),
        )
        .await,
    );
    refused += 1;

    // A cloned authenticator: its counter goes back. Refused, logged and
    // audited.
    key.counter = 1;
    let (csrf, ch) = login_options(&b, "").await;
    expect_refused(&post_assertion(&b, "/login/passkey", &csrf, "", &key.assert(&good, &ch)).await);
    refused += 1;
    assert!(log_line(&["signature counter did not count up", &anna]).is_some());
    let events = app.state.dir.audit_events(Some(&anna), 50).await.unwrap();
    assert!(events.iter().any(|e| e.action == "login.passkey.cloned"));

    // A removed credential.
    let owner = session_browser(
        &app,
        "anna.hoitaja",
        vec![AuthMethod::Password, AuthMethod::HardwareKey],
        LoA::Low,
        10,
    )
    .await;
    let page = owner.get("/account/passkeys").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let id = hidden(&page, "id");
    let r = owner
        .http
        .post(format!("{}/account/passkeys/remove", app.base))
        .form(&[("csrf", csrf.as_str()), ("id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/account/passkeys?removed=1");
    key.counter = 100;
    let (csrf, ch) = login_options(&b, "").await;
    expect_refused(&post_assertion(&b, "/login/passkey", &csrf, "", &key.assert(&good, &ch)).await);
    refused += 1;

    // Registration: wrong origin, and no user verification.
    let reg = session_browser(
        &app,
        "anna.hoitaja",
        vec![AuthMethod::Password],
        LoA::Low,
        10,
    )
    .await;
    for (client, uv) in [
        (
            Client {
                origin: &evil_origin,
                rp_id: "localhost",
            },
            true,
        ),
        (
            Client {
                origin: &good_origin,
                rp_id: "localhost",
            },
            false,
        ),
    ] {
        let (csrf, status, o) =
            options(&reg, "/account/passkeys", "/account/passkeys/options").await;
        assert_eq!(status, 200);
        let mut k = SoftAuthenticator::new(anna.as_bytes());
        k.user_verified = uv;
        let answer = k.register(&client, o["challenge"].as_str().unwrap());
        let r = reg
            .http
            .post(format!("{}/account/passkeys", app.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("name", "x"),
                ("credential", &serde_json::to_string(&answer).unwrap()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        refused += 1;
    }
    assert!(app.state.dir.passkeys(&anna).await.unwrap().is_empty());
    hostile_refused("hostile_passkey_answers_are_refused", refused);
}

#[tokio::test]
async fn a_passkey_is_the_second_factor_after_the_password() {
    let app = spawn_app().await;
    let mut key = anna_with_key(&app).await;
    let origin = origin(&app);
    let good = Client {
        origin: &origin,
        rp_id: "localhost",
    };
    let b = Browser::new(&app);
    let r = b
        .submit_login("/login", "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert_eq!(location(&r), "/login/otp");
    let page = b.get("/login/otp").await.text().await.unwrap();
    assert!(
        page.contains("passkey-second") && !page.contains("one-time-code"),
        "{page}"
    );
    let (csrf, status, o) = options(&b, "/login/otp", "/login/otp/passkey/options").await;
    assert_eq!(status, 200);
    assert_eq!(
        o["allowCredentials"][0]["id"],
        porttivahti::crypto::b64url(&key.credential_id)
    );
    assert_eq!(o["userVerification"], "discouraged");

    // Sami's key is not Anna's second factor.
    let sami = account_id(&app, "sami.sosiaali").await;
    let sb = session_browser(
        &app,
        "sami.sosiaali",
        vec![AuthMethod::Password],
        LoA::Low,
        10,
    )
    .await;
    let mut sami_key = SoftAuthenticator::new(sami.as_bytes());
    register(&app, &sb, &sami_key, "Samin").await;
    let r = post_assertion(
        &b,
        "/login/otp/passkey",
        &csrf,
        "",
        &sami_key.assert(&good, o["challenge"].as_str().unwrap()),
    )
    .await;
    assert_eq!(r.status(), 401);

    let (csrf, _, o) = options(&b, "/login/otp", "/login/otp/passkey/options").await;
    key.user_verified = false;
    let r = post_assertion(
        &b,
        "/login/otp/passkey",
        &csrf,
        "",
        &key.assert(&good, o["challenge"].as_str().unwrap()),
    )
    .await;
    assert_eq!(r.status(), 303, "presence is enough after a password");
    let sid = r
        .cookies()
        .find(|c| c.name() == "pv_sid")
        .unwrap()
        .value()
        .to_string();
    let s = app
        .state
        .eph
        .session(&porttivahti::tokens::hash_secret(&sid), app.clock_now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.methods,
        vec![AuthMethod::Password, AuthMethod::HardwareKey]
    );
    assert_eq!(s.loa, LoA::Low);
}

#[tokio::test]
async fn liaison_persons_see_and_remove_passkeys_within_reach_audited() {
    let app = spawn_app().await;
    let _key = anna_with_key(&app).await;
    let anna = account_id(&app, "anna.hoitaja").await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let page = liisa
        .get(&format!("/admin/orgs/jkl/accounts/{anna}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Työpuhelin") && page.contains("passkey-remove"),
        "{page}"
    );
    let csrf = hidden(&page, "csrf");
    let id = hidden(&page, "passkey");
    // Another organisation's liaison person does not reach Anna.
    let sami = account_id(&app, "sami.sosiaali").await;
    let r = liisa
        .http
        .post(format!(
            "{}/admin/orgs/sos/accounts/{sami}/passkey-remove",
            app.base
        ))
        .form(&[("csrf", csrf.as_str()), ("passkey", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = liisa
        .http
        .post(format!(
            "{}/admin/orgs/jkl/accounts/{anna}/passkey-remove",
            app.base
        ))
        .form(&[
            ("csrf", csrf.as_str()),
            ("passkey", id.as_str()),
            ("reason", "puhelin kadonnut"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(app.state.dir.passkeys(&anna).await.unwrap().is_empty());
    let e = app.state.dir.audit_events(Some(&anna), 20).await.unwrap();
    let removed = e
        .iter()
        .find(|e| e.action == "admin.passkey.removed")
        .expect("audited");
    assert_eq!(removed.org_id.as_deref(), Some("jkl"));
    assert!(
        removed
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("Työpuhelin")
    );
}

#[tokio::test]
async fn administrators_need_a_phishing_resistant_login_from_the_transition_date() {
    let app = spawn_app_with(|s| {
        s.admin.phishing_resistant_liaisons_from = Some("2020-01-01".into());
    })
    .await;
    let totp = strong_browser(&app, "liisa.yhteys").await;
    let r = totp.get("/admin/").await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("kalasteluturvallisen") && page.contains("/account/passkeys"),
        "{page}"
    );
    assert!(log_line(&["phishing-resistant login is required"]).is_some());
    let passkey = session_browser(
        &app,
        "liisa.yhteys",
        vec![AuthMethod::HardwareKey, AuthMethod::UserVerified],
        LoA::Low,
        10,
    )
    .await;
    assert_eq!(passkey.get("/admin/").await.status(), 200);
    let card = session_browser(
        &app,
        "liisa.yhteys",
        vec![AuthMethod::Smartcard],
        LoA::Substantial,
        10,
    )
    .await;
    assert_eq!(card.get("/admin/").await.status(), 200);

    // Before the date, a code still opens administration.
    let later = spawn_app_with(|s| {
        s.admin.phishing_resistant_liaisons_from = Some("2999-01-01".into());
    })
    .await;
    assert_eq!(
        strong_browser(&later, "liisa.yhteys")
            .await
            .get("/admin/")
            .await
            .status(),
        200
    );
}
