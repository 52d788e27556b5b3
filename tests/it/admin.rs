//! Liaison persons and the service desk administer accounts through the
//! admin UI; nothing of another organisation leaks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use porttivahti::store::AuditEvent;

async fn post(b: &Browser, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    b.http
        .post(format!("{}{path}", b.base))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn csrf_of(b: &Browser, path: &str) -> String {
    let page = b.get(path).await.text().await.unwrap();
    hidden(&page, "csrf")
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page"))
        + start.len();
    let j = html[i..].find(end).unwrap() + i;
    &html[i..j]
}

#[tokio::test]
async fn a_liaison_creates_an_account_that_logs_in_with_its_one_time_password() {
    let app = spawn_app().await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let home = liisa.get("/admin/").await.text().await.unwrap();
    assert!(home.contains("/admin/orgs/jkl/accounts"), "{home}");
    assert!(
        !home.contains("/admin/orgs/sos/"),
        "only her own organisation"
    );
    let list = liisa
        .get("/admin/orgs/jkl/accounts")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("anna.hoitaja") && !list.contains("sami.sosiaali"));

    let form = liisa
        .get("/admin/orgs/jkl/accounts/new")
        .await
        .text()
        .await
        .unwrap();
    let (csrf, nonce) = (hidden(&form, "csrf"), hidden(&form, "nonce"));
    let fields = [
        ("csrf", csrf.as_str()),
        ("nonce", nonce.as_str()),
        ("given_name", "Maija Liisa"),
        ("family_name", "Meikäläinen"),
        ("email", "maija.meikalainen@example.fi"),
        ("phone", "040 123 4567"),
        ("title", "lähihoitaja"),
        ("network", "intermetso"),
    ];
    let r = post(&liisa, "/admin/orgs/jkl/accounts", &fields).await;
    assert_eq!(r.status(), 201);
    let page = r.text().await.unwrap();
    let username = between(&page, "<code id=\"username\">", "</code>").to_string();
    let otp = between(
        &page,
        "<code id=\"one-time-password\" class=\"secret\">",
        "</code>",
    )
    .to_string();
    assert_eq!(username, "maija.meikalainen");
    assert_eq!(otp.len(), 14);
    // Sent twice (double click): still one account.
    let again = post(&liisa, "/admin/orgs/jkl/accounts", &fields).await;
    assert_eq!(again.status(), 303);
    let (accounts, total) = app
        .state
        .dir
        .find_accounts(&porttivahti::store::AccountQuery {
            text: "meik",
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((total, accounts.len()), (1, 1));

    // The person logs in with it and must change it first.
    let p = Browser::new(&app);
    let (_, ch) = pkce();
    let r = p
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    let r = p.submit_login(&location(&r), &username, &otp).await;
    assert!(location(&r).starts_with("/password/change"));
    // The creation is in the audit trail, by Liisa, for jkl.
    let audit = liisa
        .get("/admin/orgs/jkl/audit")
        .await
        .text()
        .await
        .unwrap();
    assert!(audit.contains("admin.account.created") && audit.contains("Liisa Yhteyshenkilö"));
}

#[tokio::test]
async fn bad_input_is_refused_beside_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    for (field, value, message) in [
        (
            "email",
            "not-an-address",
            "Sähköpostiosoite ei ole kelvollinen",
        ),
        ("phone", "12", "Puhelinnumero ei ole kelvollinen"),
        ("given_name", "", "Tämä tieto tarvitaan"),
        ("network", "sonette", "Et hallinnoi tätä verkkoa"),
    ] {
        let form = liisa
            .get("/admin/orgs/jkl/accounts/new")
            .await
            .text()
            .await
            .unwrap();
        let mut fields = vec![
            ("csrf", hidden(&form, "csrf")),
            ("nonce", hidden(&form, "nonce")),
            ("given_name", "Olli".to_string()),
            ("family_name", "Oikea".to_string()),
            ("email", "olli@example.fi".to_string()),
            ("phone", "040 123 4567".to_string()),
            ("network", "intermetso".to_string()),
        ];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value.to_string()));
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = post(&liisa, "/admin/orgs/jkl/accounts", &pairs).await;
        assert_eq!(r.status(), 400, "{field}");
        let page = r.text().await.unwrap();
        assert!(
            page.contains(&format!("id=\"{field}-error\">{message}")),
            "{field}: {page}"
        );
    }
    assert!(
        app.state
            .dir
            .credentials("olli.oikea")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn another_organisations_accounts_answer_as_if_they_did_not_exist() {
    let app = spawn_app().await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let sami = account_id(&app, "sami.sosiaali").await;
    let csrf = csrf_of(&liisa, "/admin/").await;
    let before = directory_snapshot(&app).await;
    assert!(before.contains("sami.sosiaali") && before.contains("memberships="));
    let missing = liisa.get("/admin/orgs/jkl/accounts/no-such-id").await;
    assert_eq!(missing.status(), 404);
    let missing_body = missing.text().await.unwrap();
    // Every admin route, as the liaison of another organisation.
    for path in [
        format!("/admin/orgs/jkl/accounts/{sami}"),
        format!("/admin/orgs/jkl/accounts/{sami}/edit"),
        "/admin/orgs/sos/accounts".to_string(),
        "/admin/orgs/sos/accounts/new".to_string(),
        format!("/admin/orgs/sos/accounts/{sami}"),
        "/admin/orgs/sos/audit".to_string(),
        "/admin/orgs/sos/audit?format=csv".to_string(),
        "/admin/operator/orgs".to_string(),
        "/admin/operator/orgs/sos".to_string(),
        "/admin/operator/orgs/new".to_string(),
        "/admin/operator/accounts?q=sami".to_string(),
        "/admin/operator/audit".to_string(),
    ] {
        let r = liisa.get(&path).await;
        assert_eq!(r.status(), 404, "GET {path}");
        let body = r.text().await.unwrap();
        // What was asked is echoed in the language links; nothing else.
        let shown = body
            .replace(path.split('?').next().unwrap(), "")
            .replace("q=sami", "");
        assert!(
            !shown.contains(&sami) && !shown.contains("sami.sosiaali") && !shown.contains("Sami"),
            "GET {path} leaks: {body}"
        );
        if path == format!("/admin/orgs/jkl/accounts/{sami}") {
            // The same page, but for the address echoed in the language links.
            assert_eq!(
                body.replace(&sami, "X"),
                missing_body.replace("no-such-id", "X"),
                "same answer as for a missing account"
            );
        }
    }
    for action in ["unlock", "reset", "disable", "enable", "move", "edit"] {
        for org in ["jkl", "sos"] {
            let path = format!("/admin/orgs/{org}/accounts/{sami}/{action}");
            let r = post(
                &liisa,
                &path,
                &[
                    ("csrf", &csrf),
                    ("reason", "x"),
                    ("network", "intermetso"),
                    ("given_name", "X"),
                    ("family_name", "Y"),
                ],
            )
            .await;
            assert_eq!(r.status(), 404, "POST {path}");
        }
    }
    for path in [
        "/admin/orgs/sos/accounts",
        "/admin/operator/orgs/new",
        "/admin/operator/orgs/sos/liaisons",
    ] {
        let r = post(
            &liisa,
            path,
            &[
                ("csrf", &csrf),
                ("given_name", "X"),
                ("family_name", "Y"),
                ("network", "sonette"),
                ("username", "liisa.yhteys"),
            ],
        )
        .await;
        assert_eq!(r.status(), 404, "POST {path}");
    }
    // Nothing changed: names, passwords, authenticators, memberships,
    // accounts, organisations, operators, published liaisons.
    assert_eq!(directory_snapshot(&app).await, before);
    // The same walk is not blind: the liaison's own account does change.
    let own = account_id(&app, "anna.hoitaja").await;
    let r = post(
        &liisa,
        &format!("/admin/orgs/jkl/accounts/{own}/disable"),
        &[
            ("csrf", &csrf),
            ("reason", "positive control"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert!(
        r.status().is_redirection() || r.status().is_success(),
        "{}",
        r.status()
    );
    assert_ne!(directory_snapshot(&app).await, before);
}

#[tokio::test]
async fn a_locked_account_is_unlocked_and_the_story_is_in_the_audit_trail() {
    let app = spawn_app().await;
    let anna = Browser::new(&app);
    let (_, ch) = pkce();
    let r = anna
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    let login = location(&r);
    for _ in 0..5 {
        anna.submit_login(&login, "anna.hoitaja", "wrong-password-x")
            .await;
    }
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let id = account_id(&app, "anna.hoitaja").await;
    let list = liisa
        .get("/admin/orgs/jkl/accounts?q=anna")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("badge warn\">lukittu"), "{list}");
    let detail = liisa
        .get(&format!("/admin/orgs/jkl/accounts/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(detail.contains("liian monta epäonnistunutta kirjautumisyritystä"));
    let csrf = hidden(&detail, "csrf");
    let r = post(
        &liisa,
        &format!("/admin/orgs/jkl/accounts/{id}/unlock"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Tehty."));
    let r = anna
        .submit_login(&login, "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert_eq!(r.status(), 303);
    // The whole story, in order, exportable.
    let csv = liisa.get("/admin/orgs/jkl/audit?format=csv").await;
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    // What Finnish Excel opens by a double click: a byte-order mark,
    // semicolons, the person's language, Helsinki time with its zone, and
    // names beside the ids.
    assert!(
        csv.starts_with("\u{feff}\"Aika (Europe/Helsinki)\";\"Aikavyöhyke\";\"Tekijä\";"),
        "{csv}"
    );
    let cells = |l: &str| -> Vec<String> {
        l.split(';')
            .map(|c| c.trim_matches('"').to_string())
            .collect()
    };
    let rows: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(cells)
        .filter(|c| c[7] == id)
        .collect();
    let unlock = rows
        .iter()
        .find(|c| c[5] == "admin.account.unlocked")
        .unwrap();
    assert_eq!(unlock[4], "Lukitus avattiin");
    assert!(
        unlock[2].starts_with("Liisa Yhteyshenkilö (liisa.yhteys)"),
        "{unlock:?}"
    );
    assert!(
        unlock[6].starts_with("Anna Hoitaja (anna.hoitaja)"),
        "{unlock:?}"
    );
    assert_eq!(unlock[9], "jkl");
    assert!(!unlock[8].is_empty() && unlock[8] != "jkl", "{unlock:?}");
    let at = app.clock_now();
    assert_eq!(
        (unlock[0].as_str(), unlock[1].as_str()),
        (
            porttivahti::time::local_seconds(at).as_str(),
            porttivahti::time::zone(at)
        )
    );
    let story: Vec<&str> = rows.iter().map(|c| c[5].as_str()).collect();
    assert_eq!(
        &story[..3],
        &[
            "login.password.success",
            "admin.account.unlocked",
            "login.password.failure"
        ],
        "{csv}"
    );
    assert_eq!(
        story
            .iter()
            .filter(|a| **a == "login.password.failure")
            .count(),
        5
    );
    let jsonl = liisa
        .get("/admin/orgs/jkl/audit?format=jsonl")
        .await
        .text()
        .await
        .unwrap();
    let first: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert!(first["time"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn disabling_a_leaver_ends_their_sessions_and_tokens_at_once() {
    let app = spawn_app().await;
    let anna = Browser::new(&app);
    let (t, ch) = login_at_portal_a(&app, &anna).await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let id = account_id(&app, "anna.hoitaja").await;
    let csrf = csrf_of(&liisa, &format!("/admin/orgs/jkl/accounts/{id}")).await;
    let r = post(
        &liisa,
        &format!("/admin/orgs/jkl/accounts/{id}/disable"),
        &[("csrf", &csrf), ("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        refresh(
            &app,
            "portal-a",
            "secret-a-0123456789",
            t["refresh_token"].as_str().unwrap()
        )
        .await
        .status(),
        400
    );
    let r = anna
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
    // Enabled again, she logs in.
    let r = post(
        &liisa,
        &format!("/admin/orgs/jkl/accounts/{id}/enable"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status(), 200);
    let b = Browser::new(&app);
    let back = b
        .authorize_with_login(
            &auth_url(&app, "portal-a", "https://a.example/cb", Some(&ch), &[]),
            "anna.hoitaja",
            "Intermetso-demo-2026",
        )
        .await;
    assert!(query_param(&back, "code").is_some());
}

#[tokio::test]
async fn a_reset_password_is_shown_once_and_must_be_changed() {
    let app = spawn_app().await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let id = account_id(&app, "anna.hoitaja").await;
    let csrf = csrf_of(&liisa, &format!("/admin/orgs/jkl/accounts/{id}")).await;
    let r = post(
        &liisa,
        &format!("/admin/orgs/jkl/accounts/{id}/reset"),
        &[("csrf", &csrf), ("confirm", "yes")],
    )
    .await;
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    let otp = between(&page, "class=\"secret\">", "</code>").to_string();
    let b = Browser::new(&app);
    let (_, ch) = pkce();
    let r = b
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    assert_eq!(
        b.submit_login(&location(&r), "anna.hoitaja", "Intermetso-demo-2026")
            .await
            .status(),
        401
    );
    let r = b
        .submit_login(
            &location(
                &b.get(&auth_url(
                    &app,
                    "portal-a",
                    "https://a.example/cb",
                    Some(&ch),
                    &[],
                ))
                .await,
            ),
            "anna.hoitaja",
            &otp,
        )
        .await;
    assert!(location(&r).starts_with("/password/change"));
}

#[tokio::test]
async fn administration_needs_strong_identification() {
    let app = spawn_app().await;
    // Not logged in: to the login page, and back here afterwards.
    let b = Browser::new(&app);
    let r = b.get("/admin/orgs/sos/accounts").await;
    assert_eq!(location(&r), "/login");
    let r = b
        .submit_login("/login", "sonja.liaison", "Sonette-yhteys-2026")
        .await;
    assert_eq!(location(&r), "/admin/orgs/sos/accounts");
    // A password alone is not enough (Sonja has no second factor yet).
    let r = b.get("/admin/orgs/sos/accounts").await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(page.contains("vahvan tunnistautumisen") && page.contains("/account/totp"));
}

#[tokio::test]
async fn the_service_desk_keeps_the_register_and_acts_with_a_reason() {
    let app = spawn_app().await;
    let op_id = make_operator(&app, "sonja.liaison").await;
    let op = strong_browser(&app, "sonja.liaison").await;
    let home = op.get("/admin/").await.text().await.unwrap();
    assert!(home.contains("/admin/operator/orgs"));
    // A new organisation: a wrong check digit is refused beside the field.
    let csrf = csrf_of(&op, "/admin/operator/orgs/new").await;
    let org = |bid: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("id", "kuopio-sote".to_string()),
            ("name_fi", "Kuopion sote".to_string()),
            ("name_sv", "Kuopio social- och hälsovård".to_string()),
            ("business_id", bid.to_string()),
            ("oid", "1.2.246.10.1234567.10.0".to_string()),
            ("kind", "wellbeing_area".to_string()),
            ("networks", "intermetso".to_string()),
            ("networks", "sonette".to_string()),
        ]
    };
    let pairs = |v: &Vec<(&'static str, String)>| {
        v.iter()
            .map(|(k, s)| {
                format!(
                    "{k}={}",
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                )
            })
            .collect::<Vec<_>>()
            .join("&")
    };
    let send = |body: String| {
        let http = op.http.clone();
        let base = app.base.clone();
        async move {
            http.post(format!("{base}/admin/operator/orgs/new"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let r = send(pairs(&org("7019376-7"))).await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("id=\"business_id-error\">Y-tunnus on muotoa")
    );
    assert!(
        app.state
            .dir
            .organisation("kuopio-sote")
            .await
            .unwrap()
            .is_none()
    );
    let r = send(pairs(&org("7019376-8"))).await;
    assert_eq!(r.status(), 200);
    let saved = app
        .state
        .dir
        .organisation("kuopio-sote")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.networks.len(), 2);
    // Appoint a liaison person; they appear in the public contacts.
    let r = op
        .http
        .post(format!(
            "{}/admin/operator/orgs/kuopio-sote/liaisons",
            app.base
        ))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "anna.hoitaja"),
            ("network", "intermetso"),
            ("email", "tunnukset@kuopio.example.fi"),
            ("phone", "017 123 4567"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let contacts = app.state.dir.liaison_contacts("kuopio-sote").await.unwrap();
    assert_eq!(contacts[0].name, "Anna Hoitaja");
    // Acting on another organisation's account needs a reason.
    let anna = account_id(&app, "anna.hoitaja").await;
    let path = format!("/admin/orgs/jkl/accounts/{anna}/reset");
    let r = post(&op, &path, &[("csrf", &csrf), ("confirm", "yes")]).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Kirjoita syy"));
    let r = post(
        &op,
        &path,
        &[
            ("csrf", &csrf),
            ("confirm", "yes"),
            ("reason", "tiketti 4711"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let ev = app.state.dir.audit_events(Some(&anna), 1).await.unwrap();
    assert_eq!(
        (
            ev[0].action.as_str(),
            ev[0].reason.as_deref(),
            ev[0].actor.as_str()
        ),
        (
            "admin.account.password_reset",
            Some("tiketti 4711"),
            op_id.as_str()
        )
    );
    let all = op.get("/admin/operator/audit").await.text().await.unwrap();
    assert!(all.contains("tiketti 4711"));
}

#[tokio::test]
async fn each_person_sees_their_own_login_history() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let r = b.get("/account/").await;
    assert_eq!(location(&r), "/login");
    b.submit_login("/login", "anna.hoitaja", "wrong-password-x")
        .await;
    let r = b
        .submit_login("/login", "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert_eq!(location(&r), "/account/", "back where the person was going");
    let page = b.get("/account/").await.text().await.unwrap();
    assert!(
        page.contains("Kirjautuminen onnistui") && page.contains("Väärä salasana"),
        "{page}"
    );
    assert!(page.contains("127.0.0.1"));
    assert!(
        !page.contains("/admin/"),
        "no administration link for a member"
    );
}

#[tokio::test]
async fn audit_events_past_retention_are_deleted() {
    // The daily task is off here so it cannot race the purge under test.
    let app = spawn_app_with(|s| s.admin.audit_retention_days = 0).await;
    let old = AuditEvent::new(
        app.clock_now() - 800 * 86_400,
        "x",
        "login.password.success",
    )
    .subject("a");
    app.state.dir.append_audit(&old).await.unwrap();
    let fresh = AuditEvent::new(app.clock_now(), "x", "login.password.success").subject("a");
    app.state.dir.append_audit(&fresh).await.unwrap();
    let n = app
        .state
        .dir
        .purge_audit(app.clock_now() - 730 * 86_400)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        app.state.dir.audit_events(Some("a"), 10).await.unwrap(),
        vec![fresh]
    );
}
