//! Every state-changing form of the admin UI needs the CSRF token of the
//! browser that sends it: without one, with a wrong one, or with another
//! session's, the answer is `400` and nothing changes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;

/// What the admin forms could change, in one comparable value.
async fn snapshot(app: &TestApp, anna: &str) -> String {
    let d = &app.state.dir;
    format!(
        "{:?}",
        (
            d.credentials("anna.hoitaja").await.unwrap(),
            d.memberships(anna).await.unwrap(),
            d.credentials("maija.meikalainen").await.unwrap(),
            d.organisation("jkl").await.unwrap(),
            d.organisation("kuopio-sote").await.unwrap(),
            d.liaison_contacts("jkl").await.unwrap(),
            d.audit_events(None, 100_000).await.unwrap().len(),
        )
    )
}

async fn csrf_of(b: &Browser, path: &str) -> String {
    let page = b.get(path).await.text().await.unwrap();
    hidden(&page, "csrf")
}

async fn post(b: &Browser, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    b.http
        .post(format!("{}{path}", b.base))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A state-changing admin form: who sends it, the CSRF token of their
/// browser, the token of another session, where it goes and what it holds.
struct Form<'a> {
    by: &'a Browser,
    own: &'a str,
    foreign: &'a str,
    path: String,
    fields: &'a [(&'a str, &'a str)],
}

/// The same token with its last character changed.
fn tampered(token: &str) -> String {
    let mut t = token.to_string();
    let last = t.pop().unwrap();
    t.push(if last == 'A' { 'B' } else { 'A' });
    t
}

#[tokio::test]
async fn hostile_admin_forms_without_the_browsers_csrf_token_change_nothing() {
    let app = spawn_app().await;
    make_operator(&app, "sonja.liaison").await;
    let anna = account_id(&app, "anna.hoitaja").await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let desk = strong_browser(&app, "sonja.liaison").await;
    // The same person in another session, and another person.
    let liisa_elsewhere = strong_browser(&app, "liisa.yhteys").await;
    let liisa_token = csrf_of(&liisa, "/admin/").await;
    let desk_token = csrf_of(&desk, "/admin/").await;
    let elsewhere_token = csrf_of(&liisa_elsewhere, "/admin/").await;
    assert_ne!(liisa_token, elsewhere_token);
    assert_ne!(liisa_token, desk_token);

    let account = format!("/admin/orgs/jkl/accounts/{anna}");
    let new_account: &[(&str, &str)] = &[
        ("nonce", "n1"),
        ("given_name", "Maija"),
        ("family_name", "Meikäläinen"),
        ("network", "intermetso"),
    ];
    let edit: &[(&str, &str)] = &[
        ("given_name", "Anna"),
        ("family_name", "Muutettu"),
        ("email", "muutettu@example.fi"),
    ];
    let act: &[(&str, &str)] = &[
        ("reason", "asiakkaan pyyntö"),
        ("network", "sonette"),
        ("confirm", "yes"),
    ];
    let org: &[(&str, &str)] = &[
        ("id", "kuopio-sote"),
        ("name_fi", "Kuopion sote"),
        ("name_sv", "Kuopio social- och hälsovård"),
        ("business_id", "7019376-8"),
        ("oid", "1.2.246.10.1234567.10.0"),
        ("kind", "wellbeing_area"),
        ("networks", "intermetso"),
    ];
    let jkl_org: &[(&str, &str)] = &[
        ("name_fi", "Muutettu nimi"),
        ("name_sv", "Ändrat namn"),
        ("business_id", "7019376-8"),
        ("oid", "1.2.246.10.7654321.10.0"),
        ("kind", "health_centre"),
        ("networks", "intermetso"),
    ];
    let appoint: &[(&str, &str)] = &[
        ("username", "anna.hoitaja"),
        ("network", "intermetso"),
        ("email", "anna@example.fi"),
    ];
    let liisa_id = account_id(&app, "liisa.yhteys").await;
    let remove: &[(&str, &str)] = &[("account_id", &liisa_id), ("network", "intermetso")];

    let as_liisa = |path: String, foreign, fields| Form {
        by: &liisa,
        own: &liisa_token,
        foreign,
        path,
        fields,
    };
    let as_desk = |path: &str, foreign, fields| Form {
        by: &desk,
        own: &desk_token,
        foreign,
        path: path.to_string(),
        fields,
    };
    let mut routes = vec![
        as_liisa(
            "/admin/orgs/jkl/accounts".into(),
            &elsewhere_token,
            new_account,
        ),
        as_liisa(format!("{account}/edit"), &desk_token, edit),
    ];
    for action in ["unlock", "reset", "disable", "enable", "move"] {
        routes.push(as_liisa(
            format!("{account}/{action}"),
            &elsewhere_token,
            act,
        ));
    }
    routes.extend([
        as_desk("/admin/operator/orgs/new", &liisa_token, org),
        as_desk("/admin/operator/orgs/jkl", &liisa_token, jkl_org),
        as_desk(
            "/admin/operator/orgs/jkl/liaisons",
            &elsewhere_token,
            appoint,
        ),
        as_desk(
            "/admin/operator/orgs/jkl/liaisons/remove",
            &liisa_token,
            remove,
        ),
    ]);

    let before = snapshot(&app, &anna).await;
    let mut refused = 0;
    for Form {
        by,
        own,
        foreign,
        path,
        fields,
    } in &routes
    {
        let wrong = tampered(own);
        for (case, token) in [
            ("no token", None),
            ("an empty token", Some("")),
            ("a wrong token", Some(wrong.as_str())),
            ("another session's token", Some(*foreign)),
        ] {
            let mut form: Vec<(&str, &str)> = fields.to_vec();
            if let Some(t) = token {
                form.push(("csrf", t));
            }
            let r = post(by, path, &form).await;
            assert_eq!(r.status(), 400, "POST {path} with {case}");
            assert_eq!(
                r.headers()["cache-control"],
                "no-store",
                "POST {path} with {case}"
            );
            let page = r.text().await.unwrap();
            assert!(
                page.contains("Lomake ehti vanhentua"),
                "POST {path} with {case}: {page}"
            );
            assert_eq!(
                snapshot(&app, &anna).await,
                before,
                "POST {path} with {case} changed something"
            );
            refused += 1;
        }
    }

    // The page says so in the person's language.
    let r = liisa
        .http
        .post(format!("{}{account}/disable?lang=sv", app.base))
        .form(act)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Formuläret hann gå ut"));
    refused += 1;
    assert_eq!(snapshot(&app, &anna).await, before);

    // With the browser's own token the same forms do their work, so the
    // refusals above were for the token alone.
    let mut form: Vec<(&str, &str)> = edit.to_vec();
    form.push(("csrf", &liisa_token));
    let r = post(&liisa, &format!("{account}/edit"), &form).await;
    assert_eq!(r.status(), 200);
    let mut form: Vec<(&str, &str)> = act.to_vec();
    form.push(("csrf", &liisa_token));
    let r = post(&liisa, &format!("{account}/disable"), &form).await;
    assert_eq!(r.status(), 200);
    let mut form: Vec<(&str, &str)> = org.to_vec();
    form.push(("csrf", &desk_token));
    let r = post(&desk, "/admin/operator/orgs/new", &form).await;
    assert_eq!(r.status(), 200);
    assert_ne!(snapshot(&app, &anna).await, before);

    hostile_refused(
        "hostile_admin_forms_without_the_browsers_csrf_token_change_nothing",
        refused,
    );
}

#[tokio::test]
async fn hostile_a_form_without_a_session_goes_to_the_login_and_changes_nothing() {
    let app = spawn_app().await;
    let anna = account_id(&app, "anna.hoitaja").await;
    let before = snapshot(&app, &anna).await;
    let b = Browser::new(&app);
    let mut refused = 0;
    for path in [
        format!("/admin/orgs/jkl/accounts/{anna}/disable"),
        "/admin/operator/orgs/new".to_string(),
    ] {
        let r = post(&b, &path, &[("csrf", "x"), ("reason", "r")]).await;
        assert_eq!(
            (r.status().as_u16(), location(&r)),
            (303, "/login".to_string()),
            "POST {path}"
        );
        refused += 1;
    }
    assert_eq!(snapshot(&app, &anna).await, before);
    hostile_refused(
        "hostile_a_form_without_a_session_goes_to_the_login_and_changes_nothing",
        refused,
    );
}
