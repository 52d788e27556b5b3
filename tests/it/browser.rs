//! The liaison person's main flows in a real browser: headless Chromium
//! driven over WebDriver. Needs `PORTTIVAHTI_TEST_CHROMEDRIVER` (CI sets it
//! after installing Debian's chromium and chromium-driver).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::webdriver;

use common::*;
use porttivahti::domain::AccountStatus;
use porttivahti::identity::totp;
use webdriver::{Driver, chromedriver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_liaison_creates_unlocks_resets_and_disables_in_a_browser() {
    let Some(cd) = chromedriver() else {
        eprintln!("PORTTIVAHTI_TEST_CHROMEDRIVER is not set: browser test not run");
        return;
    };
    let app = spawn_app().await;
    let d = Driver::start(&cd, "fi-FI").await;

    // Log in with the password and the authenticator code.
    d.goto(&format!("{}/admin/", app.base)).await;
    d.type_into("#username", "liisa.yhteys").await;
    d.type_into("#password", "Yhteys-demo-2026").await;
    d.click("form[action='/login/password'] button[type=submit]")
        .await;
    d.wait_for("one-time-code").await;
    let key = totp::base32_decode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
    // The code for the application's own (frozen) clock, not the wall's.
    d.type_into("#code", &totp::code_at(&key, app.clock_now()).unwrap())
        .await;
    d.click("form[action='/login/otp'] button[type=submit]")
        .await;
    d.wait_for("Organisaatiot, joiden tunnuksia hallinnoit")
        .await;

    // Create an account.
    d.click("a[href='/admin/orgs/jkl/accounts']").await;
    d.wait_for("anna.hoitaja").await;
    d.click("a[href='/admin/orgs/jkl/accounts/new']").await;
    d.type_into("#given_name", "Maija").await;
    d.type_into("#family_name", "Meikäläinen").await;
    d.type_into("#email", "maija@example.fi").await;
    d.click("form[action='/admin/orgs/jkl/accounts'] button[type=submit]")
        .await;
    d.wait_for("Tunnus on luotu").await;
    let username = d.text("#username").await;
    let otp = d.text("#one-time-password").await;
    assert_eq!(username, "maija.meikalainen");
    assert_eq!(otp.len(), 14);

    // The person gets it wrong five times and is locked out.
    let person = Browser::new(&app);
    for _ in 0..5 {
        person
            .submit_login("/login", &username, "not-the-password")
            .await;
    }
    let (acc, _) = app.state.dir.credentials(&username).await.unwrap().unwrap();
    assert_eq!(acc.status, AccountStatus::Locked);

    // The liaison sees it locked, and unlocks it.
    d.goto(&format!("{}/admin/orgs/jkl/accounts?q=maija", app.base))
        .await;
    d.wait_for("lukittu").await;
    d.click(&format!("a[href='/admin/orgs/jkl/accounts/{}']", acc.id))
        .await;
    d.wait_for("liian monta epäonnistunutta kirjautumisyritystä")
        .await;
    d.click("form[action$='/unlock'] button").await;
    d.wait_for("Tehty.").await;
    // The one-time password works, and must be changed.
    let r = person.submit_login("/login", &username, &otp).await;
    assert_eq!(location(&r), "/password/change");

    // A new one-time password, shown once.
    d.goto(&format!("{}/admin/orgs/jkl/accounts/{}", app.base, acc.id))
        .await;
    d.click("form[action$='/reset'] button").await;
    // It asks first, with a reason that goes to the audit trail.
    d.wait_for("Annetaanko uusi kertakäyttöinen salasana?")
        .await;
    d.type_into("#reason", "soitti tukeen").await;
    d.click("form.confirm button").await;
    d.wait_for("Uusi kertakäyttöinen salasana").await;
    let second = d.text("#one-time-password").await;
    assert_ne!(second, otp);

    // A leaver is disabled.
    d.goto(&format!("{}/admin/orgs/jkl/accounts/{}", app.base, acc.id))
        .await;
    d.click("form[action$='/disable'] button").await;
    d.wait_for("Poistetaanko tunnus käytöstä?").await;
    d.click("form.confirm button").await;
    d.wait_for("poistettu käytöstä").await;
    let (acc, _) = app.state.dir.credentials(&username).await.unwrap().unwrap();
    assert_eq!(acc.status, AccountStatus::Disabled);

    // And the whole story is in the audit trail.
    d.goto(&format!("{}/admin/orgs/jkl/audit", app.base)).await;
    let audit = d.wait_for("Tunnus poistettiin käytöstä").await;
    for name in [
        "Yhdyshenkilö loi tunnuksen",
        "Väärä salasana",
        "Lukitus avattiin",
        "Uusi kertakäyttöinen salasana annettiin",
        "soitti tukeen",
    ] {
        assert!(audit.contains(name), "{name}");
    }
}

/// A hospital-district nurse, new to Porttivahti, opens the demo portal
/// (Hopo), logs in through her organisation (the development IdP, which
/// really signs), registers once, and arrives at the portal; the second
/// time she goes straight through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_login_registers_once_in_a_browser() {
    use porttivahti::config::AccessRule;
    use porttivahti::domain::{AuthMethod, OrgKind};
    let Some(cd) = chromedriver() else {
        eprintln!("PORTTIVAHTI_TEST_CHROMEDRIVER is not set: browser test not run");
        return;
    };
    let extra = r#"
[dev_idp]
enabled = true

[[sources]]
id = "sairaala"
kind = "saml"
name = "Testisairaala"
group = "university_hospital_districts"
organisation = "shp"
metadata_url = "/dev-idp/org/metadata"

[[seed.organisations]]
id = "shp"
name_fi = "Testin sairaanhoitopiiri"
name_sv = "Testets sjukvårdsdistrikt"
business_id = "0245437-2"
oid = "1.2.246.10.245437.10.0"
kind = "hospital_district"
networks = []
"#;
    let app = spawn_app_extra(
        extra,
        &[("PORTTIVAHTI__SERVER__ENVIRONMENT", "development")],
        |s| {
            // Hopo for hospital-district staff by organisation login.
            let hopo = s.portals.iter_mut().find(|p| p.id == "hopo").unwrap();
            hopo.access.push(AccessRule {
                org_kinds: vec![OrgKind::HospitalDistrict],
                methods: vec![AuthMethod::Saml],
                ..AccessRule::default()
            });
        },
    )
    .await;
    wait_for_sources(&app).await;
    let d = Driver::start(&cd, "fi-FI").await;
    d.goto(&format!("{}/demo/", app.base)).await;
    d.click("a[href='/demo/login']").await;
    d.wait_for("Yliopistosairaanhoitopiirit").await;
    d.click("a[href^='/login/source/sairaala']").await;
    d.wait_for("Hanna Hoitaja").await;
    d.click("ul.people li:first-child button[type=submit]")
        .await;
    // The signed answer is posted by script; then the registration form.
    d.wait_for("Ensimmäinen kirjautuminen").await;
    d.type_into("#email", "hanna.hoitaja@sairaala.example.fi")
        .await;
    d.type_into("#phone", "040 123 4567").await;
    d.click("#profession_group option[value='nurse']").await;
    d.click("form[action='/register'] button[type=submit]")
        .await;
    let page = d.wait_for("hopo").await;
    assert!(page.contains("Hanna"), "{page}");
    assert!(d.url().await.contains("/demo/"));

    // Logged out of the gateway and back: no form this time.
    let d2 = Driver::start(&cd, "fi-FI").await;
    d2.goto(&format!("{}/demo/", app.base)).await;
    d2.click("a[href='/demo/login']").await;
    d2.wait_for("Testisairaala").await;
    d2.click("a[href^='/login/source/sairaala']").await;
    d2.wait_for("Hanna Hoitaja").await;
    d2.click("ul.people li:first-child button[type=submit]")
        .await;
    d2.wait_for("hopo").await;
    assert!(!d2.source().await.contains("Ensimmäinen kirjautuminen"));
}

/// A tester on the shipped development configuration (what `cargo run`
/// serves): logs in to the demo portal with a mobile certificate at the
/// development MSSP — the waiting page's script polls until the phone has
/// signed — registers once and sees the method in the claims; then opens
/// the demo Kanta Ekstranet, steps up to Suomi.fi as the managing director
/// and sees the company and the right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_demo_with_a_mobile_certificate_and_kanta_ekstranet_in_a_browser() {
    let Some(cd) = chromedriver() else {
        eprintln!("PORTTIVAHTI_TEST_CHROMEDRIVER is not set: browser test not run");
        return;
    };
    let app = spawn_shipped().await;
    wait_for_sources(&app).await;
    let d = Driver::start(&cd, "fi-FI").await;
    d.goto(&format!("{}/demo/", app.base)).await;
    d.click("#login").await;
    d.click("#mobile-login").await;
    d.type_into("#phone", "040 123 4567").await;
    d.click("form[action='/login/mobile'] button[type=submit]")
        .await;
    d.wait_for("id=\"event-id\"").await;
    let event = d.text("#event-id").await;
    assert_eq!(event.trim().chars().count(), 4, "{event}");
    // The development MSSP's phone confirms after three seconds of its clock.
    app.clock.advance(4);
    d.wait_for("action=\"/register\"").await;
    d.type_into("#email", "mervi.mobiili@example.fi").await;
    d.type_into("#phone", "040 123 4567").await;
    d.type_into("#municipality", "Jyväskylä").await;
    d.click("#profession_group option[value='nurse']").await;
    d.click("form[action='/register'] button[type=submit]")
        .await;
    let page = d.wait_for("id=\"id-claims\"").await;
    assert!(page.contains("mca"), "{page}");
    assert!(d.url().await.ends_with("/demo/"));

    // Kanta Ekstranet needs a position or a mandate: the person logs in
    // again through Suomi.fi as Rova's managing director.
    d.goto(&format!("{}/demo/ekstranet/", app.base)).await;
    d.click("#login").await;
    let page = d.wait_for("id=\"denied-why\"").await;
    assert!(page.contains("Suomi.fi-valtuus"), "{page}");
    d.click("a.button[href^='/login?ar=']").await;
    d.wait_for("Suomi.fi").await;
    d.click("a[href^='/login/source/suomifi']").await;
    d.wait_for("Teemu Toimitusjohtaja").await;
    d.click("ul.people li:nth-child(2) button[type=submit]")
        .await;
    d.wait_for("action=\"/register\"").await;
    d.type_into("#email", "teemu@rova.example.fi").await;
    d.type_into("#phone", "040 765 4321").await;
    d.type_into("#municipality", "Rovaniemi").await;
    d.click("#profession_group option[value='physician']").await;
    d.click("form[action='/register'] button[type=submit]")
        .await;
    let page = d.wait_for("id=\"id-claims\"").await;
    assert!(
        page.contains("7019376-8") && page.contains("full"),
        "{page}"
    );
    assert!(d.url().await.ends_with("/demo/ekstranet/"));
}
