//! The second factor: an authenticator app's code after the password, and
//! setting one up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use porttivahti::identity::totp;

/// Liisa's key in the test configuration.
const LIISA: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn code(app: &TestApp, b32: &str) -> String {
    totp::code_at(&totp::base32_decode(b32).unwrap(), app.clock_now()).unwrap()
}

#[tokio::test]
async fn a_liaison_logs_in_with_password_and_code_and_reaches_administration() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let r = b.get("/admin/").await;
    assert_eq!(location(&r), "/login");
    let r = b
        .submit_login("/login", "liisa.yhteys", "Yhteys-demo-2026")
        .await;
    assert_eq!(
        location(&r),
        "/login/otp",
        "the code comes before the session"
    );
    // Without the code there is no session yet.
    assert_eq!(location(&b.get("/admin/").await), "/login");
    let page = b.get("/login/otp").await.text().await.unwrap();
    assert!(page.contains("autocomplete=\"one-time-code\""));
    let csrf = hidden(&page, "csrf");
    let post = |c: String| {
        let http = b.http.clone();
        let base = app.base.clone();
        let csrf = csrf.clone();
        async move {
            http.post(format!("{base}/login/otp"))
                .form(&[("csrf", csrf.as_str()), ("ar", ""), ("code", c.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = post("000000".into()).await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("Koodi ei kelpaa"));
    let good = code(&app, LIISA);
    let spaced = format!("{} {}", &good[..3], &good[3..]);
    let r = post(spaced).await;
    assert_eq!(location(&r), "/admin/", "back where she was going");
    let home = b.get("/admin/").await;
    assert_eq!(home.status(), 200);
    assert!(
        home.text()
            .await
            .unwrap()
            .contains("/admin/orgs/jkl/accounts")
    );
    // The audit trail records both factors.
    let id = account_id(&app, "liisa.yhteys").await;
    let actions: Vec<String> = app
        .state
        .dir
        .audit_events(Some(&id), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.contains(&"login.otp.success".to_string())
            && actions.contains(&"login.otp.failure".to_string())
    );
}

#[tokio::test]
async fn a_code_is_accepted_once() {
    let app = spawn_app().await;
    let good = code(&app, LIISA);
    let mut results = Vec::new();
    for _ in 0..2 {
        let b = Browser::new(&app);
        b.submit_login("/login", "liisa.yhteys", "Yhteys-demo-2026")
            .await;
        let page = b.get("/login/otp").await.text().await.unwrap();
        let r = b
            .http
            .post(format!("{}/login/otp", app.base))
            .form(&[
                ("csrf", hidden(&page, "csrf").as_str()),
                ("ar", ""),
                ("code", good.as_str()),
            ])
            .send()
            .await
            .unwrap();
        results.push(r.status().as_u16());
    }
    assert_eq!(
        results,
        vec![303, 401],
        "the same code twice: the second is refused"
    );
}

#[tokio::test]
async fn a_portal_login_with_a_second_factor_says_so_in_amr() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let (v, ch) = pkce();
    let r = b
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    let r = b
        .submit_login(&location(&r), "liisa.yhteys", "Yhteys-demo-2026")
        .await;
    let otp = location(&r);
    assert!(otp.starts_with("/login/otp?ar="), "{otp}");
    let page = b.get(&otp).await.text().await.unwrap();
    let r = b
        .http
        .post(format!("{}/login/otp", app.base))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("ar", &hidden(&page, "ar")),
            ("code", &code(&app, LIISA)),
        ])
        .send()
        .await
        .unwrap();
    let back = location(&r);
    let t: serde_json::Value = exchange(
        &app,
        "portal-a",
        Some("secret-a-0123456789"),
        &query_param(&back, "code").unwrap(),
        "https://a.example/cb",
        Some(&v),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        jwt_payload(t["id_token"].as_str().unwrap())["amr"],
        serde_json::json!(["pwd", "otp"])
    );
}

#[tokio::test]
async fn a_person_sets_up_an_authenticator_app() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    b.submit_login("/login", "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    let page = b.get("/account/totp").await.text().await.unwrap();
    let marker = "id=\"totp-secret\" class=\"secret\">";
    let start = page.find(marker).unwrap() + marker.len();
    let key: String = page[start..start + page[start..].find('<').unwrap()]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(page.contains("otpauth://totp/Porttivahti:anna.hoitaja"));
    let csrf = hidden(&page, "csrf");
    let r = b
        .http
        .post(format!("{}/account/totp", app.base))
        .form(&[("csrf", csrf.as_str()), ("code", "123456")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a wrong code does not enrol");
    let r = b
        .http
        .post(format!("{}/account/totp", app.base))
        .form(&[("csrf", csrf.as_str()), ("code", code(&app, &key).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/account/?totp=1");
    assert!(
        b.get("/account/?totp=1")
            .await
            .text()
            .await
            .unwrap()
            .contains("Todennussovellus on otettu käyttöön")
    );
    // The next login asks for a code.
    let b2 = Browser::new(&app);
    let r = b2
        .submit_login("/login", "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert_eq!(location(&r), "/login/otp");
    // The secret is sealed at rest.
    let id = account_id(&app, "anna.hoitaja").await;
    let sealed = app.state.dir.totp_secret(&id).await.unwrap().unwrap();
    assert_ne!(sealed, totp::base32_decode(&key).unwrap());
}
