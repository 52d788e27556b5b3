//! The public liaison directory as a person without an account meets it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use porttivahti::config::{Secret, SeedAccount, Settings};
use porttivahti::domain::{AccountStatus, Network, Role};
use porttivahti::store::AuditEvent;

/// `GET path` with no cookies; the status, `Cache-Control` and the page.
async fn get(app: &TestApp, path: &str, accept_language: Option<&str>) -> (u16, String, String) {
    let mut req = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}{}", app.base, path));
    if let Some(l) = accept_language {
        req = req.header("accept-language", l);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let cache = r
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, cache, r.text().await.unwrap())
}

/// The part of the page about one organisation, by its heading id.
fn org_section<'a>(page: &'a str, org_id: &str) -> Option<&'a str> {
    let heading = format!("<h3 id=\"org-{org_id}\">");
    let item = page
        .split("<li class=\"org\">")
        .skip(1)
        .find(|item| item.contains(&heading))?;
    Some(item.split("</section>").next().unwrap_or(item))
}

/// Organisations in the results.
fn org_count(page: &str) -> usize {
    page.matches("<li class=\"org\">").count()
}

fn with_municipalities(s: &mut Settings) {
    for o in &mut s.seed.organisations {
        o.municipality = Some(
            match o.id.as_str() {
                "jkl" => "Jyväskylä",
                _ => "Muurame",
            }
            .to_string(),
        );
    }
}

#[tokio::test]
async fn without_a_query_the_page_lists_every_organisation_with_a_search_box() {
    let app = spawn_app().await;
    let (status, cache, page) = get(&app, "/liaisons", None).await;
    assert_eq!(status, 200);
    assert_eq!(cache, "public, max-age=60");
    assert!(page.contains("<html lang=\"fi\">"));
    assert!(page.contains("<h1>Yhdyshenkilöt</h1>"), "{page}");
    // A labelled search field in a GET form.
    assert!(page.contains("<form method=\"get\" action=\"/liaisons\""));
    assert!(page.contains("<label for=\"q\">Hae organisaatiota</label>"));
    assert!(page.contains("<input id=\"q\" name=\"q\" type=\"search\" value=\"\""));
    // Both organisations, in a list, each under its own heading.
    assert_eq!(org_count(&page), 2, "{page}");
    let jkl = org_section(&page, "jkl").expect("Jyväskylä is listed");
    assert!(jkl.contains("Jyväskylän terveyskeskus"));
    assert!(jkl.contains("<p class=\"other-name\" lang=\"sv\">Jyväskylä hälsocentral</p>"));
    assert!(jkl.contains("<dd>0208153-7</dd>"));
    assert!(jkl.contains("<h4>Intermetso</h4>"));
    assert!(jkl.contains("Liisa Yhteyshenkilö"), "{jkl}");
    assert!(jkl.contains("intermetso-tunnukset@example.fi"), "{jkl}");
    let sos = org_section(&page, "sos").expect("Sosiaalipalvelut is listed");
    assert!(sos.contains("Sonja Sosionomi"));
    // The service desk is the fallback at the bottom.
    let desk = page.find("Jos yhdyshenkilöä ei tavoita").expect("fallback");
    assert!(desk > page.find("Sonja Sosionomi").unwrap());
    assert!(page.contains("<a href=\"mailto:desk@example.fi\">desk@example.fi</a>"));
    assert!(page.contains("<a class=\"nowrap\" href=\"tel:0140000000\">014 000 0000</a>"));
}

#[tokio::test]
async fn a_liaison_is_shown_under_the_network_name_with_mail_and_phone_links() {
    let app = spawn_app().await;
    let (_, _, page) = get(&app, "/liaisons?q=sosiaali", None).await;
    assert_eq!(org_count(&page), 1, "{page}");
    let sos = org_section(&page, "sos").unwrap();
    assert!(sos.contains("<h4>Sonette</h4>"), "{sos}");
    assert!(!page.contains(">sonette<"), "the display name, not the id");
    assert!(sos.contains(
        "<a href=\"mailto:sonette-tunnukset@example.fi\">sonette-tunnukset@example.fi</a>"
    ));
    assert!(sos.contains("<a class=\"nowrap\" href=\"tel:0142661111\">014 266 1111</a>"));
    assert!(sos.contains("<dd>1943231-3</dd>"));
}

#[tokio::test]
async fn organisations_are_found_by_either_name_in_any_case() {
    let app = spawn_app().await;
    let (status, cache, page) = get(&app, "/liaisons?q=TERVEYSKESKUS", None).await;
    assert_eq!(status, 200);
    assert_eq!(cache, "public, max-age=60");
    assert_eq!(org_count(&page), 1, "{page}");
    assert!(org_section(&page, "jkl").is_some());
    assert!(!page.contains("Sosiaalipalvelut"));
    // The query is kept in the field and named in the heading.
    assert!(page.contains("value=\"TERVEYSKESKUS\""));
    assert!(page.contains("<h2 id=\"results\">Hakutulokset: ”TERVEYSKESKUS”</h2>"));

    // The Swedish name finds the same organisation.
    let (_, _, page) = get(&app, "/liaisons?q=h%C3%A4lsocentral", None).await;
    assert_eq!(org_count(&page), 1, "{page}");
    assert!(org_section(&page, "jkl").is_some());
}

#[tokio::test]
async fn organisations_are_found_by_business_id() {
    let app = spawn_app().await;
    let (_, _, page) = get(&app, "/liaisons?q=1943231-3", None).await;
    assert_eq!(org_count(&page), 1, "{page}");
    let sos = org_section(&page, "sos").unwrap();
    assert!(sos.contains("Sonja Sosionomi"));
    assert!(!page.contains("Jyväskylän terveyskeskus"));
    // Part of one is enough.
    let (_, _, page) = get(&app, "/liaisons?q=%200208153%20", None).await;
    assert_eq!(org_count(&page), 1, "{page}");
    assert!(org_section(&page, "jkl").is_some());
}

#[tokio::test]
async fn organisations_are_found_by_municipality() {
    let app = spawn_app_with(with_municipalities).await;
    let (_, _, page) = get(&app, "/liaisons?q=muurame", None).await;
    assert_eq!(org_count(&page), 1, "{page}");
    let sos = org_section(&page, "sos").unwrap();
    assert!(sos.contains("<dt>Kunta</dt><dd>Muurame</dd>"), "{sos}");
    assert!(sos.contains("Sonja Sosionomi"));
    let (_, _, page) = get(&app, "/liaisons?q=Jyv%C3%A4skyl%C3%A4", None).await;
    assert!(org_section(&page, "jkl").is_some());
    assert!(org_section(&page, "sos").is_none());
}

#[tokio::test]
async fn sql_wildcards_in_the_query_are_literal_and_match_nothing() {
    let app = spawn_app().await;
    for q in [
        "%25",
        "_",
        "%25%25",
        "__",
        "%25_%25",
        "s%25",
        "1943231_3",
        "%5C",
    ] {
        let (status, _, page) = get(&app, &format!("/liaisons?q={q}"), None).await;
        assert_eq!(status, 200, "{q}");
        assert_eq!(org_count(&page), 0, "q={q}: {page}");
        assert!(!page.contains("Sonja Sosionomi"), "{q}");
        assert!(
            page.contains("Haulla ei löytynyt yhtään organisaatiota."),
            "{q}: {page}"
        );
        // The service desk is offered instead.
        assert!(page.contains("Jos yhdyshenkilöä ei tavoita"));
        assert!(page.contains("desk@example.fi"));
    }
}

#[tokio::test]
async fn the_query_is_escaped_in_the_page() {
    let app = spawn_app().await;
    let (status, _, page) = get(&app, "/liaisons?q=%3Cscript%3Ex%22", None).await;
    assert_eq!(status, 200);
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("value=\"&#60;script&#62;x&#34;\""), "{page}");
}

#[tokio::test]
async fn the_page_is_in_swedish_and_english_too() {
    let app = spawn_app().await;
    // Chosen on the page: the language is remembered, and so the response
    // is not for shared caches.
    let b = Browser::new(&app);
    let r = b.get("/liaisons?lang=sv&q=1943231-3").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers().get("cache-control").unwrap(),
        "private, max-age=60"
    );
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("pv_lang=sv"))
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("<html lang=\"sv\">"));
    assert!(page.contains("<h1>Kontaktpersoner</h1>"), "{page}");
    assert!(page.contains("<label for=\"q\">Sök organisation</label>"));
    // The Swedish name leads; the Finnish one follows, marked as Finnish.
    let sos = org_section(&page, "sos").unwrap();
    assert!(sos.contains(">Socialtjänster</h3>"), "{sos}");
    assert!(sos.contains("<p class=\"other-name\" lang=\"fi\">Sosiaalipalvelut</p>"));
    assert!(sos.contains("<dt>FO-nummer</dt>"));
    assert!(page.contains("Om du inte når kontaktpersonen"));
    // The search form keeps the language picked by hand.
    assert!(page.contains("<input type=\"hidden\" name=\"lang\" value=\"sv\">"));
    // The other languages are one link away, with the query kept.
    assert!(
        page.contains("href=\"/liaisons?q=1943231-3&#38;lang=fi\""),
        "{page}"
    );

    // From the browser's language: cacheable, and it varies by it.
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}/liaisons?q=zzz", app.base))
        .header("accept-language", "sv-FI,sv;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers().get("cache-control").unwrap(),
        "public, max-age=60"
    );
    let vary = r
        .headers()
        .get("vary")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        vary.contains("Accept-Language") && vary.contains("Cookie"),
        "{vary}"
    );
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Sökningen gav inga organisationer."),
        "{page}"
    );
    assert!(!page.contains("name=\"lang\""));

    let (_, _, page) = get(&app, "/liaisons", Some("en")).await;
    assert!(page.contains("<h1>Liaison persons</h1>"));
    assert!(page.contains("<dt>Business ID</dt>"));
    assert!(page.contains("If you cannot reach a liaison person"));
}

#[tokio::test]
async fn accounts_that_are_not_published_liaisons_never_appear() {
    // A second liaison person of Jyväskylä with private contact data beside
    // the published one (a new username: the seed skips existing ones).
    let app = spawn_app_with(|s| {
        s.seed.accounts.push(SeedAccount {
            username: "kaisa.kontakti".into(),
            password: Some(Secret::new("Kontakti-demo-2026")),
            given_name: "Kaisa".into(),
            family_name: "Kontaktinen".into(),
            email: Some("kaisa.private@example.fi".into()),
            phone: Some("040 999 9999".into()),
            title: None,
            organisation: "jkl".into(),
            network: Network::Intermetso,
            role: Role::Liaison,
            totp_secret: None,
            must_change_password: false,
            published_email: Some("kaisa-julkinen@example.fi".into()),
            published_phone: None,
        });
    })
    .await;
    // The private values did reach the directory...
    let (kaisa, _) = app
        .state
        .dir
        .credentials("kaisa.kontakti")
        .await
        .unwrap()
        .expect("the seeded liaison person");
    assert_eq!(kaisa.email.as_deref(), Some("kaisa.private@example.fi"));
    assert_eq!(kaisa.phone.as_deref(), Some("040 999 9999"));
    let (_, _, page) = get(&app, "/liaisons", None).await;
    let jkl = org_section(&page, "jkl").unwrap();
    let sos = org_section(&page, "sos").unwrap();
    assert!(jkl.contains("Liisa Yhteyshenkilö"), "{jkl}");
    assert!(jkl.contains("Kaisa Kontaktinen"), "{jkl}");
    assert!(jkl.contains("mailto:intermetso-tunnukset@example.fi"));
    assert!(jkl.contains("mailto:kaisa-julkinen@example.fi"));
    assert!(!jkl.contains("Sonja"));
    assert!(sos.contains("Sonja Sosionomi"));
    assert!(!sos.contains("Liisa") && !sos.contains("Kaisa"));
    // ...but only what was published is shown: not the account's own
    // e-mail or phone.
    assert!(!page.contains("kaisa.private@example.fi"));
    assert!(!page.contains("040 999 9999"));
    // Members are never listed, nor usernames.
    for hidden in [
        "Anna",
        "Hoitaja",
        "anna@example.fi",
        "anna.hoitaja",
        "Sami",
        "sami.sosiaali",
        "Ville",
        "sonja.liaison",
    ] {
        assert!(!page.contains(hidden), "{hidden} is shown");
    }

    // A disabled liaison person disappears from the directory.
    let (sonja, _) = app
        .state
        .dir
        .credentials("sonja.liaison")
        .await
        .unwrap()
        .unwrap();
    app.state
        .dir
        .set_status(
            &sonja.id,
            AccountStatus::Disabled,
            Some("left"),
            &AuditEvent::new(app.clock_now(), "cli", "account.disabled").subject(&sonja.id),
        )
        .await
        .unwrap();
    let (_, _, page) = get(&app, "/liaisons?q=sosiaali", None).await;
    let sos = org_section(&page, "sos").unwrap();
    assert!(!page.contains("Sonja"), "{page}");
    assert!(sos.contains("<h4>Sonette</h4>"));
    assert!(sos.contains("Ei julkaistua yhdyshenkilöä."));
}

#[tokio::test]
async fn an_empty_directory_says_so() {
    let app = spawn_app_with(|s| {
        s.seed.accounts.clear();
        s.seed.organisations.clear();
    })
    .await;
    let (status, _, page) = get(&app, "/liaisons", None).await;
    assert_eq!(status, 200);
    assert_eq!(org_count(&page), 0);
    assert!(
        page.contains("Hakemistossa ei ole vielä organisaatioita."),
        "{page}"
    );
    assert!(page.contains("desk@example.fi"));
}
