//! Changing one's own password: the current password is asked unless the
//! change is forced; a forced change keeps neither the one-time password nor
//! the one it replaced; a change ends the account's other sessions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;

const ANNA: &str = "Intermetso-demo-2026";

async fn change(
    b: &Browser,
    current: Option<&str>,
    new: &str,
) -> (reqwest::StatusCode, String, Option<String>) {
    let page = b.get("/password/change").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("ar", ""),
        ("new_password", new),
        ("new_password_repeat", new),
    ];
    if let Some(c) = current {
        form.push(("current_password", c));
    }
    let r = b
        .http
        .post(format!("{}/password/change", b.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let next = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, r.text().await.unwrap(), next)
}

async fn logged_in(b: &Browser) -> bool {
    b.get("/").await.status() == 200
}

#[tokio::test]
async fn hostile_a_password_change_needs_the_current_password_and_ends_other_sessions() {
    let app = spawn_app().await;
    let mut refused = 0;
    let b = Browser::new(&app);
    let other = Browser::new(&app);
    for x in [&b, &other] {
        let r = x.submit_login("/login", "anna.hoitaja", ANNA).await;
        assert_eq!(location(&r), "/");
    }
    let page = b.get("/password/change").await.text().await.unwrap();
    assert!(page.contains("name=\"current_password\""), "{page}");
    let new = "kolme iloista kissaa";
    for (current, text) in [
        (None, "Kirjoita nykyinen salasanasi."),
        (
            Some("väärä salasana tässä"),
            "Nykyinen salasana ei ole oikein.",
        ),
    ] {
        let (status, body, _) = change(&b, current, new).await;
        assert_eq!(status, 400, "{current:?}");
        assert!(body.contains(text), "{body}");
        refused += 1;
    }
    // The old password still works; the other browser is still logged in.
    assert!(logged_in(&other).await);
    let (status, _, next) = change(&b, Some(ANNA), new).await;
    assert_eq!(
        (status.as_u16(), next.as_deref()),
        (303, Some("/?changed=1"))
    );
    assert!(logged_in(&b).await, "this session goes on");
    assert!(!logged_in(&other).await, "the other session has ended");
    let c = Browser::new(&app);
    assert_eq!(
        c.submit_login("/login", "anna.hoitaja", ANNA)
            .await
            .status(),
        401
    );
    assert_eq!(
        location(&c.submit_login("/login", "anna.hoitaja", new).await),
        "/"
    );
    hostile_refused(
        "hostile_a_password_change_needs_the_current_password_and_ends_other_sessions",
        refused,
    );
}

#[tokio::test]
async fn hostile_a_forced_change_keeps_neither_the_one_time_nor_the_previous_password() {
    let app = spawn_app().await;
    let mut refused = 0;
    // Liisa resets Anna's password.
    let anna = account_id(&app, "anna.hoitaja").await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let page = liisa
        .get(&format!("/admin/orgs/jkl/accounts/{anna}"))
        .await
        .text()
        .await
        .unwrap();
    let r = liisa
        .http
        .post(format!("{}/admin/orgs/jkl/accounts/{anna}/reset", app.base))
        .form(&[("csrf", hidden(&page, "csrf").as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    let marker = "class=\"secret\">";
    let start = page.find(marker).unwrap() + marker.len();
    let otp = page[start..start + page[start..].find('<').unwrap()].to_string();
    // Anna logs in with it in two browsers; no current password is asked.
    let b = Browser::new(&app);
    let other = Browser::new(&app);
    for x in [&b, &other] {
        let r = x.submit_login("/login", "anna.hoitaja", &otp).await;
        assert_eq!(location(&r), "/password/change");
    }
    let page = b.get("/password/change").await.text().await.unwrap();
    assert!(!page.contains("name=\"current_password\""), "{page}");
    for old in [otp.as_str(), ANNA] {
        let (status, body, _) = change(&b, None, old).await;
        assert_eq!(status, 400, "{old}");
        assert!(
            body.contains("ei saa olla kertakäyttöinen salasana eikä aiempi"),
            "{body}"
        );
        refused += 1;
    }
    let new = "kolme iloista kissaa";
    let (status, _, next) = change(&b, None, new).await;
    assert_eq!(
        (status.as_u16(), next.as_deref()),
        (303, Some("/?changed=1"))
    );
    assert!(logged_in(&b).await);
    assert_eq!(
        location(&other.get("/password/change").await),
        "/login",
        "the other one-time session has ended"
    );
    hostile_refused(
        "hostile_a_forced_change_keeps_neither_the_one_time_nor_the_previous_password",
        refused,
    );
}
