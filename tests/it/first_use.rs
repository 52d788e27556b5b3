//! What a nurse, a liaison person and a first-time visitor meet (issue
//! 17), over HTTP: the lockout warned the same for any username, a
//! refusal decided before registration and said in the person's words,
//! names from configuration in Swedish and English, a search that ignores
//! case and diacritics, the start-up that follows the listen address and
//! says where to go, the logged-in page's links, and `totp-code` without a
//! configuration file. The same pages at phone width: `screens`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use crate::common::{self, Browser, location, spawn_app};
use crate::demo_portals::{demo_app, follow, suomifi_login};

const TEA_TEST_METHOD: usize = 4;

/// The text of the element with `id` (its first line of markup).
fn element(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open = start + html[start..].find('>')? + 1;
    let end = open + html[open..].find("</")?;
    Some(html[open..end].to_string())
}

#[tokio::test]
async fn wrong_passwords_warn_of_the_lock_alike_for_known_and_unknown_usernames() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let mut seen = Vec::new();
    for attempt in 1..=6 {
        let known = b
            .submit_login("/login", "sami.sosiaali", "wrong-password-1")
            .await;
        assert_eq!(known.status(), 401);
        let known = known.text().await.unwrap();
        let unknown = b
            .submit_login("/login", "nobody.here", "wrong-password-1")
            .await;
        assert_eq!(unknown.status(), 401);
        let unknown = unknown.text().await.unwrap();
        let (k, u) = (
            element(&known, "lock-warning"),
            element(&unknown, "lock-warning"),
        );
        assert_eq!(
            k, u,
            "attempt {attempt}: the warning must not tell which exists"
        );
        seen.push(k);
    }
    // Nothing at first; from the third on, when the account locks; from the
    // fifth on, that it may be locked now.
    assert_eq!(seen[0], None);
    assert_eq!(seen[1], None);
    assert!(
        seen[2].as_deref().unwrap().contains("5 kertaa peräkkäin"),
        "{seen:?}"
    );
    assert!(
        seen[4].as_deref().unwrap().contains("voi nyt olla lukittu"),
        "{seen:?}"
    );
    // The account is locked now; the right password says so and leads back
    // to the login page (other methods).
    let r = b
        .submit_login("/login?lang=en", "sami.sosiaali", "Sonette-demo-2026")
        .await;
    assert_eq!(r.status(), 403);
    let html = r.text().await.unwrap();
    assert!(html.contains("Your account is locked"), "{html}");
    assert!(
        html.contains("href=\"/login\">Back to the login page (other ways to log in)"),
        "{html}"
    );
    // The liaison persons are named, and the desk can unlock.
    assert!(html.contains("Sonja Sosionomi"), "{html}");
    assert!(html.contains("unlock"), "{html}");
}

#[tokio::test]
async fn a_first_login_too_weak_for_the_portal_is_refused_before_registration() {
    let app = demo_app().await;
    let b = Browser::new(&app);
    b.get("/liaisons?lang=en").await;
    let (url, page) = suomifi_login(&b, "/demo/login", TEA_TEST_METHOD).await;
    assert!(!url.contains("/register"), "{url}");
    assert_eq!(page.status(), 403, "{url}");
    let html = page.text().await.unwrap();
    // The portal and the levels by name, in English; no internal ids.
    assert!(
        html.contains("No access to this service: Mental Hub for professionals"),
        "{html}"
    );
    assert!(html.contains("No account was created"), "{html}");
    assert!(
        html.contains("access to one of the services: Intermetso, Sonette, Santra"),
        "{html}"
    );
    assert!(
        html.contains("identification at least at the level: substantial (for example bank codes"),
        "{html}"
    );
    assert!(!html.contains("intermetso, sonette, santra"), "{html}");
    // The concrete next step, and the way back to the login page.
    assert!(
        html.contains(
            "through Suomi.fi with bank codes, a mobile certificate or a certificate card"
        ),
        "{html}"
    );
    assert!(html.contains("href=\"/login?ar="), "{html}");
    // The desk speaks of access, not of unlocking and passwords.
    assert!(
        html.contains("the service desk tells you how to get access"),
        "{html}"
    );
    assert!(!html.contains("unlock"), "{html}");
    // Nothing was registered and no session started.
    let (url, _) = follow(&b, b.get("/").await).await;
    assert!(url.contains("/login"), "{url}");
    assert!(
        common::log_line(&[
            "first login refused before registration",
            "mielenterveystalo"
        ])
        .is_some()
    );
}

#[tokio::test]
async fn names_from_configuration_follow_the_pages_language() {
    let app = demo_app().await;
    let b = Browser::new(&app);
    // The demo portal speaks Swedish, and asks the gateway to.
    let html = b.get("/demo/?lang=sv").await.text().await.unwrap();
    assert!(html.contains("<html lang=\"sv\">"), "{html}");
    assert!(html.contains("Logga in"), "{html}");
    assert!(
        html.contains("Mentalhälsohuset för yrkesverksamma"),
        "{html}"
    );
    let r = b.get("/demo/login").await;
    let to = location(&r);
    assert!(to.contains("ui_locales=sv"), "{to}");
    let (url, page) = follow(&b, r).await;
    assert!(url.contains("/login?ar="), "{url}");
    let html = page.text().await.unwrap();
    // The portal and the service desk by their Swedish names.
    assert!(
        html.contains("<strong>Mentalhälsohuset för yrkesverksamma</strong>"),
        "{html}"
    );
    assert!(!html.contains("Alueellinen palvelupiste"), "{html}");
    assert!(!html.contains("Mielenterveystalo"), "{html}");
    // The development IdP's heading too.
    let ar = common::query_param(&url, "ar").unwrap();
    let (url, page) = follow(&b, b.get(&format!("/login/source/ksshp?ar={ar}")).await).await;
    assert!(url.contains("/dev-idp/org/sso"), "{url}");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Testidentifiering för utveckling: organisationens inloggning"),
        "{html}"
    );
    // In English, the English names.
    let html = b.get("/demo/?lang=en").await.text().await.unwrap();
    assert!(html.contains("Mental Hub for professionals"), "{html}");
    let html = b.get("/liaisons?lang=en").await.text().await.unwrap();
    assert!(html.contains("Regional service desk (demo)"), "{html}");
}

#[tokio::test]
async fn the_organisation_search_ignores_case_and_diacritics() {
    let app = demo_app().await;
    let b = Browser::new(&app);
    for (q, found) in [
        ("jyvaskyla", "Jyväskylän terveyskeskus (demo)"),
        ("JYVÄSKYLÄ", "Jyväskylän terveyskeskus (demo)"),
        ("Keski-Suomi", "Keski-Suomen hyvinvointialue (demo)"),
        (
            "keski-suomi hyvinvointialue",
            "Keski-Suomen hyvinvointialue (demo)",
        ),
    ] {
        let html = b
            .get(&format!("/liaisons?q={}", urlencode(q)))
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains(found), "/liaisons?q={q}: {html}");
    }
    // The login page's organisation logins: by the source's own name, and
    // by what the register knows of its organisation (the hospital
    // district is in Jyväskylä).
    for q in [
        "Keski-Suomi",
        "keski-suomen",
        "jyvaskyla",
        "SAIRAANHOITOPIIRI",
    ] {
        let html = b
            .get(&format!("/login?q={}", urlencode(q)))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("href=\"/login/source/ksshp\""),
            "/login?q={q}: {html}"
        );
    }
    let html = b.get("/login?q=kuopio").await.text().await.unwrap();
    assert!(!html.contains("href=\"/login/source/ksshp\""), "{html}");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn in_development_the_public_url_follows_the_listen_address_and_the_banner_says_where_to_go()
{
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/pv.db", dir.path().display());
    let env = |listen: &str, extra: &[(&str, &str)]| {
        let mut v: Vec<(String, String)> = vec![
            ("PORTTIVAHTI__STORE__DATABASE_URL".into(), db.clone()),
            ("PORTTIVAHTI__SERVER__LISTEN".into(), listen.into()),
            (
                "PORTTIVAHTI__SERVER__TLS_LISTEN".into(),
                "127.0.0.1:0".into(),
            ),
        ];
        v.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        v
    };
    let shipped = Path::new("config/porttivahti.toml");
    use porttivahti::config::Settings;
    // Only the port changed: everything published follows it.
    let s = Settings::load(Some(shipped), env("0.0.0.0:9090", &[])).unwrap();
    assert_eq!(s.server.public_url, "http://127.0.0.1:9090");
    // Set, it stays.
    let s = Settings::load(
        Some(shipped),
        env(
            "127.0.0.1:9090",
            &[(
                "PORTTIVAHTI__SERVER__PUBLIC_URL",
                "http://sso.example.test:8080",
            )],
        ),
    )
    .unwrap();
    assert_eq!(s.server.public_url, "http://sso.example.test:8080");
    // Served: discovery and the demo portal's redirect follow the bound
    // address, and the banner names the demo, the file and the database.
    let settings = Settings::load(Some(shipped), env("127.0.0.1:0", &[])).unwrap();
    let clock = Arc::new(porttivahti::clock::ManualClock::starting_now());
    let app = porttivahti::startup::Application::build(settings, clock)
        .await
        .unwrap();
    let base = format!("http://{}", app.local_addr());
    let banner = app.banner(shipped);
    tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::new();
    let disc: serde_json::Value = http
        .get(format!("{base}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(disc["issuer"], base.as_str());
    assert!(
        banner.contains(&format!("demo portal:    {base}/demo/")),
        "{banner}"
    );
    assert!(
        banner.contains("configuration:  config/porttivahti.toml"),
        "{banner}"
    );
    assert!(
        banner.contains(&format!("database:       {db}")),
        "{banner}"
    );
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}/demo/login"))
        .send()
        .await
        .unwrap();
    let to = location(&r);
    assert!(
        to.starts_with(&format!("{base}/authorize?"))
            && to.contains(&urlencode(&format!("{base}/demo/callback"))),
        "{to}"
    );
}

#[tokio::test]
async fn the_logged_in_page_links_the_portals_and_the_account_page() {
    let app = demo_app().await;
    let b = Browser::new(&app);
    let r = b
        .submit_login("/login", "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert_eq!(location(&r), "/");
    let html = b.get("/").await.text().await.unwrap();
    // Anna reaches Intermetso and Hopo (no address configured: plain
    // text) and the demo Mielenterveystalo (linked).
    assert!(html.contains("<li>Intermetso</li>"), "{html}");
    assert!(
        html.contains("<a href=\"/demo/\">Mielenterveystalo ammattilaisille</a>"),
        "{html}"
    );
    assert!(html.contains("<a href=\"/account/\">"), "{html}");
}

/// The binary under test: `PORTTIVAHTI_TEST_BIN` when set (a copy, for a
/// target directory other builds share), else the one cargo built.
#[test]
fn totp_code_needs_no_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(crate::process::server_bin())
        .args(["totp-code", "JBSWY3DPEHPK3PXP"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let key = porttivahti::identity::totp::base32_decode("JBSWY3DPEHPK3PXP").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let near: Vec<String> = [now - 30, now, now + 30]
        .iter()
        .map(|t| porttivahti::identity::totp::code_at(&key, *t).unwrap())
        .collect();
    assert!(near.contains(&code), "{code} not in {near:?}");
    // A key that is not base32 is refused with a reason.
    let out = std::process::Command::new(crate::process::server_bin())
        .args(["totp-code", "not base32!"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not base32"));
}

#[test]
fn the_readme_says_what_a_fresh_machine_needs() {
    let cargo = std::fs::read_to_string("Cargo.toml").unwrap();
    let version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("Cargo.toml sets rust-version");
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(readme.contains(&format!("Rust {version} or newer")));
    assert!(readme.contains("C compiler"));
}
