//! What a liaison person sees when acting on an account and reading what
//! happened: a question before a reset or a disable (with an optional
//! reason that is recorded), and an audit trail in words and Helsinki
//! time that filters by person, event and time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use porttivahti::domain::AccountStatus;
use porttivahti::time::{local, local_zoned};

async fn post(b: &Browser, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    b.http
        .post(format!("{}{path}", b.base))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn page(b: &Browser, path: &str) -> String {
    let r = b.get(path).await;
    assert_eq!(r.status(), 200, "GET {path}");
    r.text().await.unwrap()
}

/// The rows of an audit page's table.
fn rows(html: &str) -> Vec<&str> {
    match html.split_once("<tbody>") {
        Some((_, rest)) => rest
            .split("</tbody>")
            .next()
            .unwrap()
            .split("<tr>")
            .skip(1)
            .collect(),
        None => Vec::new(),
    }
}

#[tokio::test]
async fn reset_and_disable_ask_first_and_record_the_reason_given() {
    let app = spawn_app().await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let anna = account_id(&app, "anna.hoitaja").await;
    let account = format!("/admin/orgs/jkl/accounts/{anna}");
    let csrf = hidden(&page(&liisa, &account).await, "csrf");
    let hash = |app: &TestApp| {
        let dir = app.state.dir.clone();
        async move { dir.credentials("anna.hoitaja").await.unwrap().unwrap() }
    };
    let (before, before_hash) = hash(&app).await;
    let events_before = app.state.dir.audit_events(Some(&anna), 100).await.unwrap();

    // The first press asks, says what will happen, and does nothing.
    for (action, question, consequence) in [
        (
            "reset",
            "Annetaanko uusi kertakäyttöinen salasana?",
            "Nykyinen salasana lakkaa toimimasta heti",
        ),
        (
            "disable",
            "Poistetaanko tunnus käytöstä?",
            "Henkilö ei voi enää kirjautua",
        ),
    ] {
        let r = post(&liisa, &format!("{account}/{action}"), &[("csrf", &csrf)]).await;
        assert_eq!(r.status(), 200);
        let q = r.text().await.unwrap();
        assert!(q.contains(question) && q.contains(consequence), "{q}");
        assert!(q.contains("Anna Hoitaja") && q.contains("(anna.hoitaja)"));
        assert_eq!(hidden(&q, "confirm"), "yes");
        // The reason is optional for a liaison person, and says so.
        assert!(q.contains("Syy (vapaaehtoinen)"), "{q}");
        assert!(!q.contains(" required"), "{q}");
        assert!(q.contains(&format!("href=\"{account}\"")), "a way back");
        let (now, now_hash) = hash(&app).await;
        assert_eq!((now.status, now_hash), (before.status, before_hash.clone()));
        assert_eq!(
            app.state.dir.audit_events(Some(&anna), 100).await.unwrap(),
            events_before,
            "{action}: nothing recorded before the answer"
        );
    }

    // Confirmed without a reason: done, nothing invented for the reason.
    let r = post(
        &liisa,
        &format!("{account}/reset"),
        &[("csrf", &csrf), ("confirm", "yes"), ("reason", "")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("one-time-password"));
    let ev = app.state.dir.audit_events(Some(&anna), 1).await.unwrap();
    assert_eq!(
        (ev[0].action.as_str(), ev[0].reason.as_deref()),
        ("admin.account.password_reset", None)
    );
    // Confirmed with a reason: recorded with the event.
    let r = post(
        &liisa,
        &format!("{account}/disable"),
        &[
            ("csrf", &csrf),
            ("confirm", "yes"),
            ("reason", "siirtyi toiseen työpaikkaan"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(hash(&app).await.0.status, AccountStatus::Disabled);
    let ev = app.state.dir.audit_events(Some(&anna), 1).await.unwrap();
    assert_eq!(
        (ev[0].action.as_str(), ev[0].reason.as_deref()),
        (
            "admin.account.disabled",
            Some("siirtyi toiseen työpaikkaan")
        )
    );
    // A reason that is not one line of text comes back on the question,
    // with what was typed, and nothing is done.
    let r = post(
        &liisa,
        &format!("{account}/enable"),
        &[("csrf", &csrf), ("reason", "palasi")],
    )
    .await;
    assert_eq!(r.status(), 200, "enable does not ask");
    let r = post(
        &liisa,
        &format!("{account}/disable"),
        &[("csrf", &csrf), ("confirm", "yes"), ("reason", "a\u{7}b")],
    )
    .await;
    assert_eq!(r.status(), 400);
    let q = r.text().await.unwrap();
    assert!(
        q.contains("Poistetaanko tunnus käytöstä?") && q.contains("Syy on yksi rivi"),
        "{q}"
    );
    assert_eq!(hash(&app).await.0.status, AccountStatus::Active);
    // In Swedish too.
    let r = liisa
        .http
        .post(format!("{}{account}/disable?lang=sv", app.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Inaktivera kontot?"));
}

#[tokio::test]
async fn the_audit_trail_speaks_the_persons_language_in_helsinki_time_and_filters() {
    let app = spawn_app().await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let anna = account_id(&app, "anna.hoitaja").await;
    let account = format!("/admin/orgs/jkl/accounts/{anna}");
    let csrf = hidden(&page(&liisa, &account).await, "csrf");
    // A wrong password, then the liaison person disables Anna with a reason.
    let person = Browser::new(&app);
    person
        .submit_login("/login", "anna.hoitaja", "not-her-password")
        .await;
    let r = post(
        &liisa,
        &format!("{account}/disable"),
        &[
            ("csrf", &csrf),
            ("confirm", "yes"),
            ("reason", "lähti talosta"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);

    let now = app.clock_now();
    let trail = page(&liisa, "/admin/orgs/jkl/audit").await;
    let disabled = rows(&trail)
        .into_iter()
        .find(|r| r.contains("data-code=\"admin.account.disabled\""))
        .unwrap_or_else(|| panic!("{trail}"));
    assert!(
        disabled.contains(">Tunnus poistettiin käytöstä<"),
        "{disabled}"
    );
    assert!(disabled.contains(&local_zoned(now)), "{disabled}");
    assert!(local_zoned(now).ends_with(" EET") || local_zoned(now).ends_with(" EEST"));
    assert!(disabled.contains("Liisa Yhteys") && disabled.contains("Anna Hoitaja"));
    assert!(disabled.contains("lähti talosta"));
    assert!(trail.contains("Europe/Helsinki"), "the zone is named");
    // No raw code is shown as the event's name anywhere.
    assert!(!trail.contains(">admin.account.disabled<") && !trail.contains("<code>"));

    // By event: one event, or a family of them.
    let only = page(&liisa, "/admin/orgs/jkl/audit?event=admin.account.disabled").await;
    let only = rows(&only);
    assert_eq!(only.len(), 1, "{only:?}");
    let logins = page(&liisa, "/admin/orgs/jkl/audit?event=login.").await;
    assert!(!rows(&logins).is_empty());
    assert!(
        rows(&logins)
            .iter()
            .all(|r| r.contains("data-code=\"login."))
    );
    assert!(
        logins.contains("value=\"login.\" selected"),
        "the choice stays"
    );

    // By person: a username (or a name) within reach; what they did or
    // what was done to them.
    let of_anna = page(&liisa, "/admin/orgs/jkl/audit?person=anna.hoitaja").await;
    let of_anna = rows(&of_anna);
    assert!(of_anna.len() >= 2);
    assert!(
        of_anna.iter().all(|r| r.contains("Anna Hoitaja")),
        "{of_anna:?}"
    );
    let of_liisa = page(&liisa, "/admin/orgs/jkl/audit?person=Liisa").await;
    assert!(rows(&of_liisa).iter().all(|r| r.contains("Liisa Yhteys")));
    assert!(!rows(&of_liisa).iter().any(|r| r.contains("Väärä salasana")));
    let nobody = page(&liisa, "/admin/orgs/jkl/audit?person=sami.sosiaali").await;
    assert!(rows(&nobody).is_empty(), "another organisation's person");
    assert!(
        nobody.contains("Kukaan ei vastaa tätä henkilöhakua."),
        "{nobody}"
    );

    // By time: Helsinki dates, both days included.
    let today = &local(now)[..10];
    let tomorrow = &local(now + 86_400)[..10];
    let yesterday = &local(now - 86_400)[..10];
    let day = page(
        &liisa,
        &format!("/admin/orgs/jkl/audit?from={today}&to={today}&event=admin.account.disabled"),
    )
    .await;
    assert_eq!(rows(&day).len(), 1);
    for (from, to) in [(tomorrow, ""), ("", yesterday)] {
        let none = page(
            &liisa,
            &format!("/admin/orgs/jkl/audit?from={from}&to={to}"),
        )
        .await;
        assert!(rows(&none).is_empty(), "from {from} to {to}");
        assert!(none.contains("Ei tapahtumia näillä rajauksilla."));
    }
    let bad = page(&liisa, "/admin/orgs/jkl/audit?from=15.1.2026").await;
    assert!(bad.contains("Anna päivämäärä muodossa vvvv-kk-pp."));

    // The export follows the filters and keeps them in its link.
    let filtered = "/admin/orgs/jkl/audit?person=anna.hoitaja&event=admin.";
    let html = page(&liisa, filtered).await;
    let export = html
        .split("href=\"")
        .map(|h| h.split('"').next().unwrap().replace("&#38;", "&"))
        .find(|h| h.contains("format=csv"))
        .unwrap();
    assert_eq!(
        export,
        "/admin/orgs/jkl/audit?person=anna.hoitaja&event=admin.&from=&to=&format=csv"
    );
    let csv = liisa
        .get(&format!("{filtered}&format=csv"))
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(lines.len(), 1, "{csv}");
    assert!(lines[0].contains("\"Tunnus poistettiin käytöstä\";\"admin.account.disabled\""));
    assert!(lines[0].contains("\"lähti talosta\""));

    // In the person's language (remembered from here on).
    let sv = page(&liisa, "/admin/orgs/jkl/audit?lang=sv").await;
    assert!(sv.contains(">Kontot inaktiverades<") && sv.contains(">Fel lösenord<"));
    let en = page(&liisa, "/admin/orgs/jkl/audit?lang=en").await;
    assert!(en.contains(">Account disabled<") && en.contains(">Wrong password<"));
}
