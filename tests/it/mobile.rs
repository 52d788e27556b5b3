//! Mobile certificate login end to end: the browser types a number, the
//! gateway asks a real MSSP on loopback (tests/it/common/mssp.rs), shows the
//! event id, polls, verifies the PKCS#7 and the certificate (CRL on
//! loopback), and logs in or shows the refusal's own page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::mssp;
use crate::pki;

use porttivahti::clock::{Clock, SystemClock};
use porttivahti::config::{CardIssuer, MobileSettings, Settings};
use porttivahti::domain::LoA;

use common::{Browser, TestApp, hidden, location, query_param, spawn_app_extra};
use mssp::{Answer, Mssp};
use pki::TestMobilePki;

/// A portal only a mobile certificate login reaches, and its client.
const PORTAL: &str = r#"
[[portals]]
id = "mobile-portal"
name = "Mobile portal"
[[portals.access]]
methods = ["mca"]
min_loa = "substantial"

[[clients]]
client_id = "mobile-client"
portal = "mobile-portal"
secret = "secret-m-0123456789"
redirect_uris = ["https://m.example/cb"]
"#;

pub(crate) const REDIRECT: &str = "https://m.example/cb";
pub(crate) const NUMBER: &str = "+358401234567";
const TIMEOUT: u64 = 60;

pub(crate) struct Fixture {
    pub(crate) app: TestApp,
    pub(crate) pki: TestMobilePki,
    pub(crate) mssp: Mssp,
    _dir: tempfile::TempDir,
}

fn mobile_settings(dir: &std::path::Path, mssp: &Mssp) -> MobileSettings {
    MobileSettings {
        enabled: true,
        mssp_url: mssp.url.clone(),
        ap_id: mssp::AP_ID.into(),
        ap_password: porttivahti::config::Secret::new(mssp::AP_PASSWORD),
        mssp_id: "http://mssp.test".into(),
        display_name: "Porttivahti test".into(),
        timeout_secs: TIMEOUT,
        trust_anchors: Some(dir.join("mobile-roots.pem")),
        issuers: vec![CardIssuer {
            certificate: dir.join("mobile-ca.pem"),
            crl_url: None,
            card_type: None,
            revocation: Default::default(),
            ocsp_url: None,
        }],
        ..MobileSettings::default()
    }
}

async fn fixture_with(tweak: impl FnOnce(&mut Settings)) -> Fixture {
    let mssp = Mssp::start().await;
    let now = SystemClock.now();
    let pki = TestMobilePki::generate(now, &mssp.crl_url);
    let dir = tempfile::tempdir().unwrap();
    pki.write(dir.path());
    mssp.set_crl(Some(pki.crl(&["revoked"], now - 3600, now + 86_400)));
    let settings = mobile_settings(dir.path(), &mssp);
    let app = spawn_app_extra(PORTAL, &[], |s| {
        s.mobile = settings;
        tweak(s);
    })
    .await;
    Fixture {
        app,
        pki,
        mssp,
        _dir: dir,
    }
}

pub(crate) async fn fixture() -> Fixture {
    fixture_with(|_| {}).await
}

impl Fixture {
    /// `msisdn` confirms with the test certificate `user`.
    fn confirms(&self, msisdn: &str, user: &str) {
        let u = self.pki.user(user);
        self.mssp.answer(
            msisdn,
            Answer::Confirm {
                cert: u.cert_der.clone(),
                key: u.key_der.clone(),
            },
        );
    }
}

/// Starts a login at the mobile portal; returns `ar`.
pub(crate) async fn authorize(f: &Fixture, b: &Browser) -> (String, String) {
    let (verifier, challenge) = common::pkce();
    let r = b
        .get(&common::auth_url(
            &f.app,
            "mobile-client",
            REDIRECT,
            Some(&challenge),
            &[],
        ))
        .await;
    let login = location(&r);
    let ar = query_param(&format!("{}{login}", f.app.base), "ar").unwrap();
    (ar, verifier)
}

/// Sends the phone-number form; returns the response (a redirect to the
/// waiting page, or a page).
async fn send_number(b: &Browser, ar: &str, phone: &str) -> reqwest::Response {
    let page = b
        .get(&format!("/login/mobile?ar={ar}"))
        .await
        .text()
        .await
        .unwrap();
    b.http
        .post(format!("{}/login/mobile", b.base))
        .header("accept-language", "en")
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("ar", ar),
            ("phone", phone),
        ])
        .send()
        .await
        .unwrap()
}

async fn get_en(b: &Browser, path: &str) -> reqwest::Response {
    b.http
        .get(format!("{}{path}", b.base))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
}

/// Types `phone`, checks the waiting page, lets the script poll once,
/// and follows the page on: the final response.
pub(crate) async fn login_with(
    f: &Fixture,
    b: &Browser,
    ar: &str,
    phone: &str,
) -> reqwest::Response {
    let r = send_number(b, ar, phone).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let wait = location(&r);
    assert!(wait.starts_with("/login/mobile/wait?t="), "{wait}");
    let page = get_en(b, &wait).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let event_id = f.mssp.asks().last().unwrap().event_id.clone().unwrap();
    assert!(
        html.contains(&format!(
            "id=\"event-id\" aria-describedby=\"event-label\">{event_id}<"
        )),
        "the event id sent to the phone is on the page: {html}"
    );
    assert!(html.contains("/static/mobile.js") && html.contains("http-equiv=\"refresh\""));
    let t = query_param(&format!("{}{wait}", f.app.base), "t").unwrap();
    let status: serde_json::Value = get_en(b, &format!("/login/mobile/status?t={t}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["state"], "done", "{status}");
    get_en(b, &wait).await
}

/// Fills in the first-login form.
pub(crate) async fn register(b: &Browser) -> reqwest::Response {
    let page = b.get("/register").await.text().await.unwrap();
    b.http
        .post(format!("{}/register", b.base))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("ar", &hidden(&page, "ar")),
            ("given_name", "Mervi"),
            ("family_name", "Mobiili"),
            ("email", "mervi@example.fi"),
            ("phone", "040 123 4567"),
            ("profession_group", "nurse"),
            ("wellbeing_area", ""),
            ("municipality", ""),
            ("org", "jkl"),
        ])
        .send()
        .await
        .unwrap()
}

pub(crate) async fn tokens(
    f: &Fixture,
    r: &reqwest::Response,
    verifier: &str,
) -> serde_json::Value {
    let to = location(r);
    assert!(to.starts_with(REDIRECT), "{to}");
    let code = query_param(&to, "code").unwrap();
    let t = common::exchange(
        &f.app,
        "mobile-client",
        Some("secret-m-0123456789"),
        &code,
        REDIRECT,
        Some(verifier),
    )
    .await;
    assert_eq!(t.status(), 200);
    t.json().await.unwrap()
}

#[tokio::test]
async fn a_first_mobile_login_registers_and_the_next_goes_straight_through() {
    let f = fixture().await;
    f.confirms(NUMBER, "mervi");
    let b = Browser::new(&f.app);
    let (ar, verifier) = authorize(&f, &b).await;
    let r = login_with(&f, &b, &ar, "040 123 4567").await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/register"), "{}", location(&r));
    // What the MSSP was asked.
    let ask = f.mssp.asks().pop().unwrap();
    assert_eq!(ask.msisdn, NUMBER);
    assert_eq!(ask.messaging_mode, "asynchClientServer");
    assert_eq!(ask.timeout_secs, Some(TIMEOUT));
    assert_eq!(ask.display_name.as_deref(), Some("Porttivahti test"));
    let event = ask.event_id.clone().unwrap();
    assert!(event.len() == 4 && event.bytes().all(|c| c.is_ascii_alphanumeric()));
    assert!(ask.data_to_be_signed.starts_with("Porttivahti test: "));
    for uri in [
        "http://mss.ficom.fi/TS102204/v1.0.0#eventId",
        "http://mss.ficom.fi/TS102204/v1.0.0#displayName",
        "http://mss.ficom.fi/TS102204/v1.0.0#personIdentity",
    ] {
        assert!(ask.services.iter().any(|s| s == uri), "{uri}");
    }
    // Registration, then the portal with the mobile method in the token.
    let r = register(&b).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let t = tokens(&f, &r, &verifier).await;
    let id = common::jwt_payload(t["id_token"].as_str().unwrap());
    assert_eq!(id["amr"], serde_json::json!(["mca"]), "{id}");
    assert_eq!(id["acr"], LoA::High.acr());
    assert_eq!(f.mssp.crl_hits(), 1, "revocation was checked");

    // The next login, in a fresh browser, goes straight to the portal.
    let b2 = Browser::new(&f.app);
    let (ar, verifier) = authorize(&f, &b2).await;
    let r = login_with(&f, &b2, &ar, "+358 40 1234567").await;
    let t = tokens(&f, &r, &verifier).await;
    let at = common::jwt_payload(t["access_token"].as_str().unwrap());
    assert_eq!(at["amr"], serde_json::json!(["mca"]), "{at}");
    // Two challenges, never the same.
    let asks = f.mssp.asks();
    assert_ne!(asks[0].data_to_be_signed, asks[1].data_to_be_signed);
}

/// The final page of a login with `phone`: status and body.
pub(crate) async fn refused(f: &Fixture, phone: &str) -> (u16, String) {
    let b = Browser::new(&f.app);
    let (ar, _) = authorize(f, &b).await;
    let r = login_with(f, &b, &ar, phone).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

pub(crate) fn assert_page(got: (u16, String), status: u16, code: &str, words: &str) {
    let (s, body) = got;
    assert_eq!(s, status, "{code}: {body}");
    assert!(body.contains(code), "no {code} in {body}");
    assert!(body.contains(words), "{code}: no {words:?} in {body}");
    assert!(body.contains("/login?ar="), "a way back: {body}");
}

#[tokio::test]
async fn refused_on_the_phone() {
    let f = fixture().await;
    f.mssp.answer(NUMBER, Answer::Cancel);
    assert_page(
        refused(&f, "0401234567").await,
        403,
        "mobile_cancelled",
        "refused on the phone",
    );
}

#[tokio::test]
async fn the_mssps_own_verdicts_have_their_pages() {
    let f = fixture().await;
    for (answer, status, code, words) in [
        (Answer::Fault(208), 403, "mobile_timeout", "in time"),
        (Answer::Fault(402), 403, "mobile_blocked", "is blocked"),
        (
            Answer::Fault(422),
            403,
            "mobile_unknown_number",
            "No mobile certificate",
        ),
        (
            Answer::Status(503),
            403,
            "mobile_signature_invalid",
            "could not be accepted",
        ),
        (
            Answer::Status(502),
            503,
            "mobile_unavailable",
            "cannot be reached",
        ),
        (
            Answer::Fault(900),
            503,
            "mobile_refused",
            "cannot be reached",
        ),
    ] {
        f.mssp.answer(NUMBER, answer);
        assert_page(refused(&f, NUMBER).await, status, code, words);
    }
}

#[tokio::test]
async fn an_unknown_number_gets_its_own_page_at_once() {
    let f = fixture().await;
    let b = Browser::new(&f.app);
    let (ar, _) = authorize(&f, &b).await;
    let r = send_number(&b, &ar, "050 999 9999").await;
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("mobile_unknown_number"), "{body}");
    assert!(body.contains("ask your mobile operator for a mobile certificate"));
    assert_eq!(f.mssp.asks()[0].msisdn, "+358509999999");
}

#[tokio::test]
async fn no_answer_in_time_is_a_timeout() {
    let f = fixture().await;
    f.mssp.answer(NUMBER, Answer::Silent);
    let b = Browser::new(&f.app);
    let (ar, _) = authorize(&f, &b).await;
    let r = send_number(&b, &ar, NUMBER).await;
    let wait = location(&r);
    let t = query_param(&format!("{}{wait}", f.app.base), "t").unwrap();
    for _ in 0..2 {
        let s: serde_json::Value = get_en(&b, &format!("/login/mobile/status?t={t}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(s["state"], "waiting");
    }
    f.app.clock.advance(TIMEOUT as i64);
    let r = get_en(&b, &wait).await;
    let got = (r.status().as_u16(), r.text().await.unwrap());
    assert_page(
        got,
        403,
        "mobile_timeout",
        "No answer came from the phone in time",
    );
}

#[tokio::test]
async fn a_signature_over_other_data_is_refused() {
    let f = fixture().await;
    let u = f.pki.user("mervi");
    f.mssp.answer(
        NUMBER,
        Answer::ConfirmOtherData {
            cert: u.cert_der.clone(),
            key: u.key_der.clone(),
        },
    );
    assert_page(
        refused(&f, NUMBER).await,
        403,
        "mobile_signature_invalid",
        "could not be accepted",
    );
}

#[tokio::test]
async fn certificates_are_checked_like_cards() {
    let f = fixture().await;
    for (user, code, words) in [
        (
            "wrong-ca",
            "mobile_certificate_invalid",
            "could not be accepted",
        ),
        (
            "no-policy",
            "mobile_certificate_invalid",
            "could not be accepted",
        ),
        ("revoked", "mobile_certificate_revoked", "has been revoked"),
        ("expired", "mobile_certificate_expired", "has expired"),
    ] {
        f.confirms(NUMBER, user);
        assert_page(refused(&f, NUMBER).await, 403, code, words);
    }
}

#[tokio::test]
async fn an_unreachable_crl_fails_closed() {
    let f = fixture().await;
    f.confirms(NUMBER, "mervi");
    f.mssp.set_crl(None);
    assert_page(
        refused(&f, NUMBER).await,
        503,
        "mobile_revocation_unknown",
        "cannot be reached just now",
    );
}

#[tokio::test]
async fn a_wrong_ap_password_or_a_missing_mssp_is_unavailable() {
    let f =
        fixture_with(|s| s.mobile.ap_password = porttivahti::config::Secret::new("wrong-password"))
            .await;
    f.confirms(NUMBER, "mervi");
    let b = Browser::new(&f.app);
    let (ar, _) = authorize(&f, &b).await;
    let r = send_number(&b, &ar, NUMBER).await;
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("mobile_refused"));

    let (_closed, port) = common::refusing_port();
    let gone = fixture_with(|s| s.mobile.mssp_url = format!("http://127.0.0.1:{port}/soap")).await;
    let b = Browser::new(&gone.app);
    let (ar, _) = authorize(&gone, &b).await;
    let r = send_number(&b, &ar, NUMBER).await;
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("mobile_unavailable"));
}

#[tokio::test]
async fn an_invalid_number_is_a_form_error() {
    let f = fixture().await;
    let b = Browser::new(&f.app);
    let (ar, _) = authorize(&f, &b).await;
    let r = send_number(&b, &ar, "12345").await;
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("Check the phone number"), "{body}");
    assert!(body.contains("aria-invalid=\"true\""));
    assert!(
        body.contains("value=\"12345\""),
        "the number stays in the form"
    );
    assert!(f.mssp.asks().is_empty(), "nothing was sent to the MSSP");
}

#[tokio::test]
async fn another_browser_cannot_take_over_a_waiting_login() {
    let f = fixture().await;
    f.confirms(NUMBER, "mervi");
    let b = Browser::new(&f.app);
    let (ar, _) = authorize(&f, &b).await;
    let wait = location(&send_number(&b, &ar, NUMBER).await);
    let thief = Browser::new(&f.app);
    let r = get_en(&thief, &wait).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("took too long"));
    // The owner still finishes.
    assert_eq!(get_en(&b, &wait).await.status(), 200);
}

#[tokio::test]
async fn one_number_is_asked_only_so_often() {
    let f = fixture().await;
    f.mssp.answer(NUMBER, Answer::Silent);
    // Requests for one number from several browsers (addresses alike
    // here): after login_per_account (10) in the window, no more buzzing.
    for i in 0..10 {
        let b = Browser::new(&f.app);
        let (ar, _) = authorize(&f, &b).await;
        assert_eq!(
            send_number(&b, &ar, NUMBER).await.status(),
            303,
            "request {i}"
        );
    }
    let b = Browser::new(&f.app);
    let (ar, _) = authorize(&f, &b).await;
    assert_eq!(send_number(&b, &ar, NUMBER).await.status(), 429);
}

#[tokio::test]
async fn cancelling_on_the_page_returns_to_the_login() {
    let f = fixture().await;
    f.mssp.answer(NUMBER, Answer::Silent);
    let b = Browser::new(&f.app);
    let (ar, _) = authorize(&f, &b).await;
    let wait = location(&send_number(&b, &ar, NUMBER).await);
    let page = get_en(&b, &wait).await.text().await.unwrap();
    let marker = "id=\"mobile-cancel\" href=\"";
    let start = page.find(marker).unwrap() + marker.len();
    // Askama escapes & in the attribute.
    let cancel = page[start..start + page[start..].find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let r = b.get(&cancel).await;
    assert_eq!(location(&r), format!("/login?ar={ar}"));
    assert_eq!(get_en(&b, &wait).await.status(), 400, "the login is gone");
}

#[tokio::test]
async fn the_login_page_offers_the_mobile_certificate() {
    let f = fixture().await;
    let b = Browser::new(&f.app);
    let (ar, _) = authorize(&f, &b).await;
    let page = get_en(&b, &format!("/login?ar={ar}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("href=\"/login/mobile?ar={ar}\"")),
        "{page}"
    );
    assert!(page.contains("Mobile certificate"));
    let plain = common::spawn_app().await;
    let page = Browser::new(&plain)
        .get("/login")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("/login/mobile"));
    assert_eq!(
        Browser::new(&plain).get("/login/mobile").await.status(),
        404
    );
}

#[test]
fn configuration_is_checked_with_the_key_named() {
    let base = common::TEST_CONFIG.replace("SVC_DIGEST", &"0".repeat(64));
    let parse = |extra: &str| {
        Settings::parse(
            &format!("{base}\n{extra}"),
            std::path::Path::new("t"),
            Vec::new(),
        )
    };
    let ok = "[mobile]\nenabled = true\nmssp_url = \"https://mssp.example.fi/soap\"\nap_id = \"ap\"\n\
              mssp_id = \"m\"\ntrust_anchors = \"r.pem\"\n[[mobile.issuers]]\ncertificate = \"ca.pem\"\n";
    assert!(parse(ok).is_ok(), "{:?}", parse(ok).err());
    for (bad, key) in [
        (ok.replace("ap_id = \"ap\"\n", ""), "mobile.ap_id"),
        (
            ok.replace("https://mssp.example.fi/soap", "ftp://x"),
            "mobile.mssp_url",
        ),
        (
            ok.replace("https://mssp.example.fi/soap", "/dev-mssp/soap"),
            "development",
        ),
        (
            ok.replace("[mobile]\n", "[mobile]\ntimeout_secs = 1\n"),
            "mobile.timeout_secs",
        ),
        (
            ok.replace("[mobile]\n", "[mobile]\npolicy_oids = [\"x.y\"]\n"),
            "mobile.policy_oids",
        ),
        (
            ok.replace("[mobile]\n", "[mobile]\nloa = \"low\"\n"),
            "mobile.loa",
        ),
    ] {
        let err = parse(&bad).unwrap_err().to_string();
        assert!(err.contains(key), "{key}: {err}");
    }
}

#[tokio::test]
async fn the_development_mssp_signs_with_the_test_certificates() {
    let app = spawn_app_extra(PORTAL, &[], |s| {
        s.server.environment = porttivahti::config::Environment::Development;
        s.dev_idp.enabled = true;
        s.mobile = MobileSettings {
            enabled: true,
            mssp_url: "/dev-mssp/soap".into(),
            ap_id: "dev-ap".into(),
            ap_password: porttivahti::config::Secret::new("dev-password"),
            mssp_id: "dev-mssp".into(),
            trust_anchors: Some("certs/test-pki/mobile-roots.pem".into()),
            issuers: vec![CardIssuer {
                certificate: "certs/test-pki/mobile-ca.pem".into(),
                crl_url: None,
                card_type: None,
                revocation: Default::default(),
                ocsp_url: None,
            }],
            // The committed CRL names the development port 8080.
            revocation_unknown: porttivahti::config::RevocationUnknown::Allow,
            ..MobileSettings::default()
        };
    })
    .await;
    let b = Browser::new(&app);
    let start = |phone: &'static str| {
        let b = &b;
        async move { location(&send_number(b, "", phone).await) }
    };
    // Confirms after a few seconds.
    let wait = start("040 123 4567").await;
    assert!(
        get_en(&b, &wait)
            .await
            .text()
            .await
            .unwrap()
            .contains("event-id")
    );
    app.clock.advance(3);
    let r = get_en(&b, &wait).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/register"));
    // Refuses on the phone.
    let wait = start("040 123 4568").await;
    app.clock.advance(3);
    assert!(
        get_en(&b, &wait)
            .await
            .text()
            .await
            .unwrap()
            .contains("mobile_cancelled")
    );
    // Any other number is unknown.
    let r = send_number(&b, "", "040 765 4321").await;
    assert!(r.text().await.unwrap().contains("mobile_unknown_number"));
}
