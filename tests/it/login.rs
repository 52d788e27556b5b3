//! Password accounts and the login pages as a person meets them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use porttivahti::domain::AccountStatus;
use porttivahti::store::AuditEvent;

async fn login_page(b: &Browser, app: &TestApp, client: &str, redirect: &str) -> String {
    let (_, ch) = pkce();
    let r = b
        .get(&auth_url(app, client, redirect, Some(&ch), &[]))
        .await;
    location(&r)
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_until_someone_unlocks_it() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    for _ in 0..5 {
        let r = b
            .submit_login(&login, "sami.sosiaali", "wrong-password-here")
            .await;
        assert_eq!(r.status(), 401);
    }
    let (account, _) = app
        .state
        .dir
        .credentials("sami.sosiaali")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.status, AccountStatus::Locked);
    // The right password now shows whom to contact, by name.
    let r = b
        .submit_login(&login, "sami.sosiaali", "Sonette-demo-2026")
        .await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(page.contains("Tunnus on lukittu"), "{page}");
    assert!(
        page.contains("Sonja Sosionomi"),
        "the liaison person is named"
    );
    assert!(page.contains("sonette-tunnukset@example.fi"));
    assert!(
        page.contains("desk@example.fi"),
        "the service desk is the fallback"
    );
    // Failures and the refusal are in the audit trail.
    let audit = app
        .state
        .dir
        .audit_events(Some(&account.id), 20)
        .await
        .unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "login.password.failure")
            .count(),
        5
    );
    assert!(
        audit
            .iter()
            .any(|e| e.action == "login.password.refused_not_active")
    );
    // The service desk unlocks; the person logs in.
    let unlock = AuditEvent::new(app.clock_now(), "desk", "account.unlocked")
        .subject(account.id.clone())
        .reason("ticket 42");
    app.state
        .dir
        .set_status(&account.id, AccountStatus::Active, None, &unlock)
        .await
        .unwrap();
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    let r = b
        .submit_login(&login, "sami.sosiaali", "Sonette-demo-2026")
        .await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn unknown_username_and_wrong_password_look_the_same() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    let strip = |s: String| {
        // The pages differ only in the echoed username.
        s.replace("no.such.person", "X")
            .replace("anna.hoitaja", "X")
    };
    let r1 = b
        .submit_login(&login, "no.such.person", "whatever-password")
        .await;
    let r2 = b
        .submit_login(&login, "anna.hoitaja", "whatever-password")
        .await;
    assert_eq!(r1.status(), r2.status());
    assert_eq!(
        strip(r1.text().await.unwrap()),
        strip(r2.text().await.unwrap())
    );
}

#[tokio::test]
async fn a_form_without_the_csrf_token_logs_nobody_in() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    let page = b.get(&login).await.text().await.unwrap();
    let ar = hidden(&page, "ar");
    for csrf in ["", "forged-token"] {
        let r = b
            .http
            .post(format!("{}/login/password", app.base))
            .form(&[
                ("csrf", csrf),
                ("ar", &ar),
                ("username", "anna.hoitaja"),
                ("password", "Intermetso-demo-2026"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    // Still not logged in.
    let (_, ch) = pkce();
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
async fn a_portal_the_person_may_not_reach_gets_no_code() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    // A Sonette account asks for the Intermetso portal.
    let login = login_page(
        &b,
        &app,
        "intermetso-portal",
        "https://intermetso.example/cb",
    )
    .await;
    let r = b
        .submit_login(&login, "sami.sosiaali", "Sonette-demo-2026")
        .await;
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("location").is_none());
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Ei käyttöoikeutta palveluun: Intermetso"),
        "{page}"
    );
    assert!(page.contains("Sonja Sosionomi"));
    assert!(page.contains("014 266 1111"));
    // The same person reaches Hopo.
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
    assert!(query_param(&location(&r), "code").is_some());
    // With prompt=none a denial goes back to the portal as access_denied.
    let r = b
        .get(&auth_url(
            &app,
            "intermetso-portal",
            "https://intermetso.example/cb",
            Some(&ch),
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        query_param(&location(&r), "error").as_deref(),
        Some("access_denied")
    );
}

#[tokio::test]
async fn a_flagged_account_changes_its_password_before_going_on() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    let r = b
        .submit_login(&login, "ville.vaihto", "Vaihda-heti-2026")
        .await;
    assert_eq!(r.status(), 303);
    let change = location(&r);
    assert!(change.starts_with("/password/change?ar="), "{change}");
    let page = b.get(&change).await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let ar = hidden(&page, "ar");
    let post = |pw: &'static str, again: &'static str| {
        let (csrf, ar) = (csrf.clone(), ar.clone());
        let http = b.http.clone();
        let base = app.base.clone();
        async move {
            http.post(format!("{base}/password/change"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("ar", &ar),
                    ("new_password", pw),
                    ("new_password_repeat", again),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    for (pw, again, msg) in [
        ("short", "short", "Salasana on liian lyhyt"),
        ("salasana123456", "salasana123456", "liian yleinen"),
        (
            "minä olen ville.vaihto",
            "minä olen ville.vaihto",
            "käyttäjätunnusta",
        ),
        (
            "kolme iloista kissaa",
            "kolme iloista kisaa",
            "eivät täsmää",
        ),
    ] {
        let r = post(pw, again).await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains(msg), "{pw}: {msg}");
    }
    let r = post("kolme iloista kissaa", "kolme iloista kissaa").await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("https://a.example/cb?code="));
    let (account, _) = app
        .state
        .dir
        .credentials("ville.vaihto")
        .await
        .unwrap()
        .unwrap();
    assert!(!account.must_change_password);
    // The new password works; the old one does not.
    let b2 = Browser::new(&app);
    let login = login_page(&b2, &app, "portal-a", "https://a.example/cb").await;
    assert_eq!(
        b2.submit_login(&login, "ville.vaihto", "Vaihda-heti-2026")
            .await
            .status(),
        401
    );
    assert_eq!(
        b2.submit_login(&login, "ville.vaihto", "kolme iloista kissaa")
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn too_many_attempts_on_one_username_are_slowed_down() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(
            b.submit_login(&login, "no.such.user", "wrong-password-x")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(&statuses[..10], &[401; 10]);
    assert_eq!(statuses[10], 429);
    let r = b
        .submit_login(&login, "no.such.user", "wrong-password-x")
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Liian monta kirjautumisyritystä")
    );
    // The window passes (the counter lives in the store with a TTL; a new
    // window is simulated by a fresh name here) and another user is fine.
    assert_eq!(
        b.submit_login(&login, "anna.hoitaja", "Intermetso-demo-2026")
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn login_page_speaks_finnish_swedish_and_english() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    let fi = b.get(&login).await.text().await.unwrap();
    assert!(fi.contains("<html lang=\"fi\">") && fi.contains("Kirjaudu sisään"));
    assert!(fi.contains("name=\"username\"") && fi.contains("name=\"password\""));
    assert!(fi.contains("<label for=\"username\">Käyttäjätunnus</label>"));
    assert!(fi.contains("Kirjaudut palveluun <strong>Hopo</strong>"));
    let sv = b
        .http
        .get(format!("{}{login}", app.base))
        .header("accept-language", "sv-FI,sv;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sv.contains("<html lang=\"sv\">") && sv.contains("Logga in"));
    // The switch on the page keeps the login going and is remembered.
    let r = b.get(&format!("{login}&lang=en")).await;
    let set_cookie: Vec<_> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(set_cookie.iter().any(|c| c.starts_with("pv_lang=en")));
    let en = r.text().await.unwrap();
    assert!(en.contains("<html lang=\"en\">") && en.contains("Log in"));
    let again = b.get(&login).await.text().await.unwrap();
    assert!(
        again.contains("<html lang=\"en\">"),
        "the choice is remembered"
    );
    // Errors are beside the field, in the language of the page.
    let r = b.submit_login(&login, "", "").await;
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"username-error\" role=\"alert\">Enter your username."));
    assert!(page.contains("aria-invalid=\"true\""));
}

#[tokio::test]
async fn pages_carry_security_headers_and_safe_cookies() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    let r = b.get(&login).await;
    let h = r.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h.get("x-request-id").is_some());
    let csrf_cookie = h
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("pv_csrf="))
        .unwrap();
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"));
    let r = b
        .submit_login(&login, "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    let sid = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("pv_sid="))
        .unwrap()
        .to_string();
    assert!(
        sid.contains("HttpOnly") && sid.contains("SameSite=Lax"),
        "{sid}"
    );
}

#[tokio::test]
async fn https_deployment_uses_host_cookies_and_hsts() {
    let app = spawn_app_with(|s| s.server.public_url = "https://sso.example.fi".into()).await;
    // The public URL is https, but the test talks plain HTTP to the node
    // (as a TLS-terminating proxy would).
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let c = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.contains("pv_csrf"))
        .unwrap()
        .to_string();
    assert!(
        c.starts_with("__Host-pv_csrf=") && c.contains("; Secure"),
        "{c}"
    );
}

#[tokio::test]
async fn operators_see_health_readiness_and_metrics() {
    let app = spawn_app().await;
    let get = |p: &str| reqwest::get(format!("{}{p}", app.base));
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    let ready: serde_json::Value = get("/readyz").await.unwrap().json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    b.submit_login(&login, "anna.hoitaja", "wrong-password-x")
        .await;
    let m = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(m.contains("# TYPE porttivahti_logins_failed_total counter"));
    assert!(m.contains("porttivahti_logins_failed_total 1"));
    assert!(m.contains("porttivahti_authorize_requests_total 1"));
    let nf = get("/no/such/page").await.unwrap();
    assert_eq!(nf.status(), 404);
    assert!(nf.text().await.unwrap().contains("Sivua ei löydy"));
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_counts() {
    let app =
        spawn_app_with(|s| s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    let page = b.get(&login).await.text().await.unwrap();
    let r = b
        .http
        .post(format!("{}/login/password", app.base))
        .header("x-forwarded-for", "198.51.100.7, 127.0.0.1")
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("ar", &hidden(&page, "ar")),
            ("username", "anna.hoitaja"),
            ("password", "wrong-password-x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (a, _) = app
        .state
        .dir
        .credentials("anna.hoitaja")
        .await
        .unwrap()
        .unwrap();
    let ev = app.state.dir.audit_events(Some(&a.id), 1).await.unwrap();
    assert_eq!(ev[0].source_ip.as_deref(), Some("198.51.100.7"));
}

#[tokio::test]
async fn forwarded_headers_from_untrusted_peers_are_ignored() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    let page = b.get(&login).await.text().await.unwrap();
    b.http
        .post(format!("{}/login/password", app.base))
        .header("x-forwarded-for", "198.51.100.7")
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("ar", &hidden(&page, "ar")),
            ("username", "anna.hoitaja"),
            ("password", "wrong-password-x"),
        ])
        .send()
        .await
        .unwrap();
    let (a, _) = app
        .state
        .dir
        .credentials("anna.hoitaja")
        .await
        .unwrap()
        .unwrap();
    let ev = app.state.dir.audit_events(Some(&a.id), 1).await.unwrap();
    assert_eq!(ev[0].source_ip.as_deref(), Some("127.0.0.1"));
}

/// The hrefs of the language links of a page (`&` unescaped).
fn lang_hrefs(page: &str) -> Vec<String> {
    page.split("<a href=\"")
        .skip(1)
        .filter(|rest| rest[..rest.find('>').unwrap()].contains("hreflang="))
        .map(|rest| {
            rest[..rest.find('"').unwrap()]
                .replace("&#38;", "&")
                .replace("&amp;", "&")
        })
        .collect()
}

/// Every language link of `page` leads to a page that answers a GET.
async fn lang_links_work(b: &Browser, page: &str, starts: &str) {
    let hrefs = lang_hrefs(page);
    assert_eq!(hrefs.len(), 2, "two other languages: {hrefs:?}\n{page}");
    for h in hrefs {
        assert!(h.starts_with(starts), "{h} should start with {starts}");
        let r = b.get(&h).await;
        assert!(
            r.status().is_success() || r.status().is_redirection() || r.status() == 403,
            "{h}: {}",
            r.status()
        );
        assert_ne!(r.status(), 405, "{h}");
    }
    // Back to Finnish for what the test reads next.
    b.get("/login?lang=fi").await;
}

#[tokio::test]
async fn language_links_after_a_form_lead_back_to_the_form() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    let ar = query_param(&format!("{}{login}", app.base), "ar").unwrap();
    let back = format!("/login?ar={ar}&lang=");
    // Wrong password, empty form, CSRF failure: all answers to POST.
    let page = b
        .submit_login(&login, "anna.hoitaja", "wrong-password-x")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("/login/password?"), "{page}");
    lang_links_work(&b, &page, &back).await;
    let page = b.submit_login(&login, "", "").await.text().await.unwrap();
    lang_links_work(&b, &page, &back).await;
    let r = b
        .http
        .post(format!("{}/login/password", app.base))
        .form(&[("csrf", "x"), ("ar", &ar), ("username", "anna.hoitaja")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Lomake ehti vanhentua. Kirjoita salasana uudelleen ja kirjaudu."),
        "{page}"
    );
    lang_links_work(&b, &page, &back).await;
    // The link keeps the pending login and switches the language.
    let en = b.get(&format!("{back}en")).await.text().await.unwrap();
    assert!(en.contains("<html lang=\"en\">") && en.contains("<strong>Hopo</strong>"));
}

#[tokio::test]
async fn wrong_password_is_said_once_beside_the_password_field() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    let r = b
        .submit_login(&login, "anna.hoitaja", "wrong-password-x")
        .await;
    assert_eq!(r.status(), 401);
    let page = r.text().await.unwrap();
    assert_eq!(
        page.matches("Käyttäjätunnus tai salasana on väärin")
            .count(),
        1,
        "{page}"
    );
    assert!(page.contains("<span class=\"error\" id=\"password-error\" role=\"alert\">"));
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"password-error\""));
    assert!(!page.contains("id=\"form-error\""));
    assert!(page.contains("class=\"field invalid\""));
}

#[tokio::test]
async fn back_after_a_login_goes_home_instead_of_an_error() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    let r = b.get(&login).await;
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    let r = b
        .submit_login(&login, "anna.hoitaja", "wrong-password-x")
        .await;
    assert_eq!(r.headers()["cache-control"], "no-store");
    let r = b
        .submit_login(&login, "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("https://a.example/cb?code="));
    // Back: the login page of the finished login sends the person home.
    let r = b.get(&login).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/");
    let home = b.get("/").await;
    assert_eq!(home.headers()["cache-control"], "no-store");
    assert!(
        home.text()
            .await
            .unwrap()
            .contains("Olet kirjautunut sisään")
    );
    // A stored copy of the form sent again logs in without the portal.
    let r = b
        .http
        .post(format!("{}/login/password", app.base))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("ar", &hidden(&page, "ar")),
            ("username", "anna.hoitaja"),
            ("password", "Intermetso-demo-2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/");
    // Without a session, the ended login says so and leads back.
    let other = Browser::new(&app);
    let r = other.get(&login).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    assert!(page.contains("Kirjautuminen kesti liian kauan"));
    assert!(
        page.contains("<a class=\"button\" href=\"/login\">Takaisin kirjautumiseen</a>"),
        "{page}"
    );
}

#[tokio::test]
async fn a_locked_liaison_person_is_not_their_own_contact() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(&b, &app, "portal-a", "https://a.example/cb").await;
    for _ in 0..5 {
        b.submit_login(&login, "sonja.liaison", "wrong-password-here")
            .await;
    }
    let r = b
        .submit_login(&login, "sonja.liaison", "Sonette-yhteys-2026")
        .await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(page.contains("Tunnus on lukittu"), "{page}");
    assert!(!page.contains("Sonja Sosionomi"), "{page}");
    assert!(!page.contains("sonette-tunnukset@example.fi"));
    assert!(page.contains("Organisaatiolle ei ole julkaistu yhdyshenkilöitä."));
    assert!(page.contains("desk@example.fi"), "the service desk remains");
    assert!(page.contains("Keneen voit ottaa yhteyttä?"));
    let ar = query_param(&format!("{}{login}", app.base), "ar").unwrap();
    lang_links_work(&b, &page, &format!("/login?ar={ar}&lang=")).await;
}

#[tokio::test]
async fn contacts_speak_the_page_language_and_phone_numbers_are_links() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let login = login_page(
        &b,
        &app,
        "intermetso-portal",
        "https://intermetso.example/cb",
    )
    .await;
    b.get(&format!("{login}&lang=sv")).await;
    let r = b
        .submit_login(&login, "sami.sosiaali", "Sonette-demo-2026")
        .await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(page.contains("<html lang=\"sv\">"));
    assert!(page.contains("<h3>Socialtjänster</h3>"), "{page}");
    assert!(page.contains("<strong>Sonja Sosionomi</strong> (Sonette)"));
    assert!(page.contains("<a class=\"tel\" href=\"tel:0142661111\">014 266 1111</a>"));
    assert!(page.contains("<a class=\"tel\" href=\"tel:0140000000\">014 000 0000</a>"));
    assert!(page.contains("Vem kan du kontakta?"));
    let ar = query_param(&format!("{}{login}", app.base), "ar").unwrap();
    lang_links_work(&b, &page, &format!("/login?ar={ar}&lang=")).await;
    // Logged in, the same portal refuses at /authorize; its language links
    // ask again there, in the other language.
    let (_, ch) = pkce();
    let url = auth_url(
        &app,
        "intermetso-portal",
        "https://intermetso.example/cb",
        Some(&ch),
        &[],
    );
    let r = b.get(&url).await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    let hrefs = lang_hrefs(&page);
    assert_eq!(hrefs.len(), 2, "{hrefs:?}");
    assert!(
        hrefs.iter().all(|h| h.starts_with("/authorize?")),
        "{hrefs:?}"
    );
    assert!(page.contains("<h3>Sosiaalipalvelut</h3>"), "{page}");
    let en = hrefs.iter().find(|h| h.ends_with("lang=en")).unwrap();
    let r = b.get(en).await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("No access to this service: Intermetso"),
        "{page}"
    );
    assert!(page.contains("<h3>Sosiaalipalvelut</h3>"));
}

#[tokio::test]
async fn password_change_errors_sit_on_their_field_and_success_is_confirmed() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    // No portal waiting: straight to the login page.
    let r = b
        .submit_login("/login", "ville.vaihto", "Vaihda-heti-2026")
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/password/change");
    let page = b.get("/password/change").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let post = |pw: &'static str, again: &'static str, csrf: String| {
        let http = b.http.clone();
        let base = app.base.clone();
        async move {
            http.post(format!("{base}/password/change"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("ar", ""),
                    ("new_password", pw),
                    ("new_password_repeat", again),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r = post("kolme iloista kissaa", "kolme iloista kisaa", csrf.clone()).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"npr-error\" role=\"alert\">Salasanat eivät täsmää."));
    assert!(page.contains(
        "name=\"new_password_repeat\" type=\"password\" autocomplete=\"new-password\" required aria-invalid=\"true\" aria-describedby=\"npr-error\""
    ));
    assert!(
        !page.contains("np-error"),
        "the new password itself is fine"
    );
    lang_links_work(&b, &page, "/password/change?lang=").await;
    let r = post("short", "short", csrf.clone()).await;
    let page = r.text().await.unwrap();
    assert!(page.contains("aria-describedby=\"np-hint np-error\" aria-invalid=\"true\""));
    assert!(!page.contains("npr-error"));
    let r = post("kolme iloista kissaa", "kolme iloista kissaa", "x".into()).await;
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Kirjoita uusi salasana uudelleen")
    );
    let r = post("kolme iloista kissaa", "kolme iloista kissaa", csrf).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/?changed=1");
    let home = b.get("/?changed=1").await.text().await.unwrap();
    assert!(home.contains("role=\"status\" id=\"changed\">Salasana on vaihdettu."));
    assert!(
        !b.get("/")
            .await
            .text()
            .await
            .unwrap()
            .contains("id=\"changed\"")
    );
}

#[tokio::test]
async fn error_pages_offer_languages_a_way_on_and_the_service_desk() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let r = b.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    let page = r.text().await.unwrap();
    assert!(page.contains("<title>Sivua ei löydy – Porttivahti</title>"));
    assert!(page.contains("<h1>Sivua ei löydy</h1>"));
    assert!(page.contains("<dt>Pyynnön tunniste</dt>"));
    assert!(page.contains("href=\"/login\""));
    assert!(page.contains("desk@example.fi"));
    let hrefs = lang_hrefs(&page);
    assert_eq!(hrefs, ["/no/such/page?lang=sv", "/no/such/page?lang=en"]);
    let sv = b.get(&hrefs[0]).await.text().await.unwrap();
    assert!(sv.contains("<h1>Sidan hittades inte</h1>") && sv.contains("Begärans id"));
    // An error answering a POST links to the login page.
    let r = b
        .http
        .post(format!("{}/no/such/form", app.base))
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    let hrefs = lang_hrefs(&page);
    assert_eq!(hrefs.len(), 2, "{hrefs:?}");
    assert!(hrefs.iter().all(|h| h.starts_with("/login?lang=")));
    // Other errors keep their own title.
    let r = b.get("/authorize?client_id=nobody").await;
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap();
    assert!(page.contains("<h1>Jokin meni vikaan</h1>"), "{page}");
}

#[tokio::test]
async fn login_page_texts_and_favicon() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let fi = b.get("/login").await.text().await.unwrap();
    assert!(fi.contains("<h2 id=\"m-other\">Muut kirjautumistavat</h2>"));
    assert!(!fi.contains("aria-disabled"));
    assert!(fi.contains("(ei vielä käytössä)"));
    assert!(fi.contains(
        "Tunnuksen saat organisaatiosi yhdyshenkilöltä. Hän auttaa myös, jos tunnus tai salasana on unohtunut."
    ));
    // Said once in the hint, and once more as the link to the directory.
    assert_eq!(fi.matches("yhdyshenkilö").count(), 2, "{fi}");
    assert!(fi.contains("<a href=\"/liaisons\">Etsi yhdyshenkilö</a>"));
    // The service desk: its heading once, then its own name.
    assert_eq!(fi.matches("Alueellinen palvelupiste").count(), 1);
    assert!(fi.contains("Testin palvelupiste<br>"));
    assert!(fi.contains("<link rel=\"icon\" href=\"/favicon.svg\""));
    let sv = b.get("/login?lang=sv").await.text().await.unwrap();
    assert!(sv.contains("Intermetso- eller Sonette-konto"));
    assert!(sv.contains("Andra inloggningssätt"));
    let ico = b.get("/favicon.ico").await;
    assert_eq!(ico.status(), 204);
    let svg = b.get("/favicon.svg").await;
    assert_eq!(svg.status(), 200);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
}
