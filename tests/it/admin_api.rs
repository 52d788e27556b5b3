//! The administration JSON API: the admin UI's operations for programs,
//! with the session cookie and CSRF header, or the service desk's
//! client-credentials token; nothing of another organisation leaks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
#[path = "admin_api/openapi.rs"]
mod openapi;
#[path = "admin_api/service_desk.rs"]
mod service_desk;

use common::*;
use porttivahti::domain::AccountStatus;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const API: &str = "/admin/api/v1";

/// How a test calls the API: a browser's cookie jar (with or without the
/// CSRF header), or a bearer token.
enum Auth<'a> {
    Cookie(&'a Browser, Option<&'a str>),
    Bearer(&'a str),
}

async fn send(
    app: &TestApp,
    auth: &Auth<'_>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let url = format!("{}{API}{path}", app.base);
    let req = match auth {
        Auth::Cookie(b, csrf) => {
            let req = b.http.request(method, url);
            match csrf {
                Some(t) => req.header("X-CSRF-Token", *t),
                None => req,
            }
        }
        Auth::Bearer(t) => porttivahti::http_client_builder()
            .build()
            .unwrap()
            .request(method, url)
            .bearer_auth(t),
    };
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    req.send().await.unwrap()
}

/// Status and JSON body.
async fn call(
    app: &TestApp,
    auth: &Auth<'_>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let r = send(app, auth, method, path, body).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status} not JSON: {text}"))
    };
    (status, v)
}

/// The CSRF token a session caller sends with state-changing requests.
async fn csrf_token(app: &TestApp, b: &Browser) -> String {
    let (s, me) = call(app, &Auth::Cookie(b, None), Method::GET, "/me", None).await;
    assert_eq!(s, 200, "{me}");
    me["csrf_token"].as_str().unwrap().to_string()
}

async fn token(app: &TestApp, client: &str, secret: &str) -> String {
    let r: Value = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base))
        .basic_auth(client, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_string()
}

async fn lock(app: &TestApp, username: &str) {
    let b = Browser::new(app);
    let (_, ch) = pkce();
    let r = b
        .get(&auth_url(
            app,
            "portal-a",
            "https://a.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    let login = location(&r);
    for _ in 0..5 {
        b.submit_login(&login, username, "wrong-password-x").await;
    }
}

#[tokio::test]
async fn a_liaison_creates_lists_and_unlocks_with_the_session_and_csrf_header() {
    let app = spawn_app().await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let get = Auth::Cookie(&liisa, None);
    let (s, me) = call(&app, &get, Method::GET, "/me", None).await;
    assert_eq!(s, 200);
    assert_eq!(me["principal"]["name"], "Liisa Yhteyshenkilö");
    assert_eq!(me["principal"]["kind"], "person");
    assert_eq!(me["operator"], false);
    assert_eq!(
        me["organisations"],
        json!([{ "id": "jkl", "name_fi": "Jyväskylän terveyskeskus",
                 "name_sv": "Jyväskylä hälsocentral", "networks": ["intermetso"] }])
    );
    let csrf = csrf_token(&app, &liisa).await;
    let post = Auth::Cookie(&liisa, Some(&csrf));

    let r = send(
        &app,
        &post,
        Method::POST,
        "/orgs/jkl/accounts",
        Some(
            json!({ "given_name": "Maija Liisa", "family_name": "Meikäläinen",
                     "email": "maija.meikalainen@example.fi", "phone": "040 123 4567",
                     "title": "lähihoitaja", "network": "intermetso" }),
        ),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let created: Value = r.json().await.unwrap();
    let id = created["account"]["id"].as_str().unwrap().to_string();
    assert_eq!(created["account"]["username"], "maija.meikalainen");
    assert_eq!(
        created["account"]["memberships"][0]["network"],
        "intermetso"
    );
    let otp = created["one_time_password"].as_str().unwrap();
    assert_eq!(otp.len(), 14);
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
    let r = p
        .submit_login(&location(&r), "maija.meikalainen", otp)
        .await;
    assert!(location(&r).starts_with("/password/change"));

    let (s, page) = call(&app, &get, Method::GET, "/orgs/jkl/accounts?q=meik", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        (page["total"].as_u64(), page["items"][0]["id"].as_str()),
        (Some(1), Some(id.as_str()))
    );
    let (_, page) = call(&app, &get, Method::GET, "/orgs/jkl/accounts?limit=2", None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert!(page["total"].as_u64().unwrap() >= 4);
    let (s, e) = call(&app, &get, Method::GET, "/orgs/jkl/accounts?offset=x", None).await;
    assert_eq!(
        (s.as_u16(), &e["error"], &e["field"]),
        (400, &json!("invalid"), &json!("offset"))
    );

    // Anna locks herself out; Liisa unlocks her.
    lock(&app, "anna.hoitaja").await;
    let anna = account_id(&app, "anna.hoitaja").await;
    let (_, a) = call(
        &app,
        &get,
        Method::GET,
        &format!("/orgs/jkl/accounts/{anna}"),
        None,
    )
    .await;
    assert_eq!(
        (&a["status"], &a["status_reason"]),
        (&json!("locked"), &json!("too_many_failed_logins"))
    );
    let path = format!("/orgs/jkl/accounts/{anna}/unlock");
    let (s, a) = call(&app, &post, Method::POST, &path, None).await;
    assert_eq!((s.as_u16(), &a["status"]), (200, &json!("active")));
    let (s, e) = call(&app, &post, Method::POST, &path, None).await;
    assert_eq!((s.as_u16(), &e["field"]), (400, &json!("status")), "{e}");

    // Contact edit, bad input beside its field, and an unknown field.
    let edit = format!("/orgs/jkl/accounts/{anna}");
    let (s, a) = call(
        &app,
        &post,
        Method::PUT,
        &edit,
        Some(json!({ "given_name": "Anna", "family_name": "Hoitaja", "phone": "014 266 0000" })),
    )
    .await;
    assert_eq!(
        (s.as_u16(), &a["phone"], &a["email"]),
        (200, &json!("014 266 0000"), &Value::Null)
    );
    for (body, field) in [
        (
            json!({ "given_name": "Anna", "family_name": "Hoitaja", "email": "not-an-address" }),
            "email",
        ),
        (
            json!({ "given_name": "", "family_name": "Hoitaja" }),
            "given_name",
        ),
        (
            json!({ "given_name": "Anna", "family_name": "Hoitaja", "nickname": "A" }),
            "nickname",
        ),
    ] {
        let (s, e) = call(&app, &post, Method::PUT, &edit, Some(body)).await;
        assert_eq!(
            (s.as_u16(), &e["error"], &e["field"]),
            (400, &json!("invalid"), &json!(field)),
            "{e}"
        );
        assert!(e["message"].as_str().unwrap().len() > 5);
    }
    let r = liisa
        .http
        .put(format!("{}{API}{edit}", app.base))
        .header("X-CSRF-Token", &csrf)
        .header("content-type", "text/plain")
        .body("given_name=X")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
}

#[tokio::test]
async fn a_cookie_without_the_csrf_header_changes_nothing() {
    let app = spawn_app().await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let anna = account_id(&app, "anna.hoitaja").await;
    lock(&app, "anna.hoitaja").await;
    let path = format!("/orgs/jkl/accounts/{anna}/unlock");
    for auth in [
        Auth::Cookie(&liisa, None),
        Auth::Cookie(&liisa, Some("forged")),
    ] {
        let (s, e) = call(&app, &auth, Method::POST, &path, None).await;
        assert_eq!((s.as_u16(), &e["error"]), (403, &json!("csrf")), "{e}");
        let (s, _) = call(
            &app,
            &auth,
            Method::POST,
            "/orgs/jkl/accounts",
            Some(json!({ "given_name": "Olli", "family_name": "Oikea", "network": "intermetso" })),
        )
        .await;
        assert_eq!(s, 403);
    }
    // What a cross-site form would send: the cookie, a form body, no header.
    let r = liisa
        .http
        .post(format!("{}{API}{path}", app.base))
        .form(&[("reason", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (a, _) = app
        .state
        .dir
        .credentials("anna.hoitaja")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, AccountStatus::Locked);
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
async fn another_organisations_account_answers_exactly_as_a_missing_one() {
    let app = spawn_app().await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let csrf = csrf_token(&app, &liisa).await;
    let (get, post) = (
        Auth::Cookie(&liisa, None),
        Auth::Cookie(&liisa, Some(&csrf)),
    );
    let sami = account_id(&app, "sami.sosiaali").await;
    let before = directory_snapshot(&app).await;
    assert!(before.contains("sami.sosiaali") && before.contains("memberships="));
    let (s, missing) = call(
        &app,
        &get,
        Method::GET,
        "/orgs/jkl/accounts/no-such-id",
        None,
    )
    .await;
    assert_eq!(s, 404);
    assert_eq!(
        missing,
        json!({ "error": "not_found", "message": "Not found." })
    );
    for path in [
        format!("/orgs/jkl/accounts/{sami}"),
        "/orgs/sos/accounts".to_string(),
        format!("/orgs/sos/accounts/{sami}"),
        "/orgs/sos/audit?format=csv".to_string(),
        "/orgs/nowhere/accounts".to_string(),
        "/organisations".to_string(),
        "/organisations/sos".to_string(),
        "/accounts?q=sami".to_string(),
        "/audit".to_string(),
        "/no/such/route".to_string(),
    ] {
        let (s, body) = call(&app, &get, Method::GET, &path, None).await;
        assert_eq!((s.as_u16(), &body), (404, &missing), "GET {path}");
    }
    for action in [
        "unlock",
        "reset-password",
        "disable",
        "enable",
        "move",
        "explode",
    ] {
        for org in ["jkl", "sos"] {
            let path = format!("/orgs/{org}/accounts/{sami}/{action}");
            let b = json!({ "reason": "ticket 1", "network": "intermetso" });
            let (s, r) = call(&app, &post, Method::POST, &path, Some(b)).await;
            assert_eq!((s.as_u16(), &r), (404, &missing), "POST {path}");
        }
    }
    let names = json!({ "given_name": "X", "family_name": "Y" });
    for (method, path, body) in [
        (
            Method::PUT,
            format!("/orgs/jkl/accounts/{sami}"),
            Some(names.clone()),
        ),
        (
            Method::POST,
            "/orgs/sos/accounts".to_string(),
            Some(json!({ "given_name": "X", "family_name": "Y", "network": "sonette" })),
        ),
        (
            Method::POST,
            "/organisations".to_string(),
            Some(json!({ "id": "x" })),
        ),
        (
            Method::PUT,
            "/organisations/sos".to_string(),
            Some(json!({ "name_fi": "X" })),
        ),
        (
            Method::POST,
            "/organisations/sos/liaisons".to_string(),
            Some(json!({ "username": "liisa.yhteys", "network": "sonette" })),
        ),
        (
            Method::DELETE,
            format!("/organisations/sos/liaisons/{sami}/sonette"),
            None,
        ),
        (
            Method::POST,
            format!("/accounts/{sami}/reset-password"),
            Some(json!({ "reason": "ticket 1" })),
        ),
    ] {
        let (s, r) = call(&app, &post, method.clone(), &path, body).await;
        assert_eq!((s.as_u16(), &r), (404, &missing), "{method} {path}");
    }
    // Nothing changed: names, passwords, authenticators, memberships,
    // accounts, organisations, operators, published liaisons.
    assert_eq!(directory_snapshot(&app).await, before);
    // The walk is not blind: the same call on an account within reach
    // does change the directory.
    let anna = account_id(&app, "anna.hoitaja").await;
    let (s, r) = call(
        &app,
        &post,
        Method::PUT,
        &format!("/orgs/jkl/accounts/{anna}"),
        Some(names),
    )
    .await;
    assert!(s.is_success(), "{s} {r}");
    assert_ne!(directory_snapshot(&app).await, before);
}

#[tokio::test]
async fn a_password_alone_is_not_strong_enough_and_no_credentials_is_401() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let r = send(&app, &Auth::Cookie(&b, None), Method::GET, "/me", None).await;
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "unauthenticated");
    // Sonja has no second factor: her password alone makes a session.
    let r = b
        .submit_login("/login", "sonja.liaison", "Sonette-yhteys-2026")
        .await;
    assert_eq!(r.status(), 303);
    for path in ["/me", "/orgs/sos/accounts"] {
        let (s, e) = call(&app, &Auth::Cookie(&b, None), Method::GET, path, None).await;
        assert_eq!(
            (s.as_u16(), &e["error"]),
            (403, &json!("not_strong")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_audit_trail_exports_over_the_api() {
    let app = spawn_app().await;
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let csrf = csrf_token(&app, &liisa).await;
    let get = Auth::Cookie(&liisa, None);
    let anna = account_id(&app, "anna.hoitaja").await;
    lock(&app, "anna.hoitaja").await;
    let (s, _) = call(
        &app,
        &Auth::Cookie(&liisa, Some(&csrf)),
        Method::POST,
        &format!("/orgs/jkl/accounts/{anna}/unlock"),
        None,
    )
    .await;
    assert_eq!(s, 200);

    let (s, page) = call(&app, &get, Method::GET, "/orgs/jkl/audit?limit=3", None).await;
    assert_eq!(s, 200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["action"], "admin.account.unlocked");
    assert!(items[0]["time"].as_str().unwrap().ends_with('Z'));
    let r = send(&app, &get, Method::GET, "/orgs/jkl/audit?format=csv", None).await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("time,actor,action,subject,org_id,source_ip,reason,detail\r\n"));
    let story: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter(|l| l.contains(&anna))
        .map(|l| l.split(',').nth(2).unwrap().trim_matches('"'))
        .collect();
    assert_eq!(
        &story[..2],
        &["admin.account.unlocked", "login.password.failure"]
    );
    let jsonl = send(
        &app,
        &get,
        Method::GET,
        "/orgs/jkl/audit?format=jsonl",
        None,
    )
    .await;
    assert!(
        jsonl.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/jsonl")
    );
    let jsonl = jsonl.text().await.unwrap();
    assert!(jsonl.lines().count() > 0, "an empty export proves nothing");
    assert!(
        jsonl
            .lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok())
    );
    assert_eq!(jsonl.lines().count(), csv.lines().count() - 1);
    let (s, e) = call(&app, &get, Method::GET, "/orgs/jkl/audit?format=xml", None).await;
    assert_eq!((s.as_u16(), &e["field"]), (400, &json!("format")));

    // The service desk filters the whole trail.
    let desk = token(&app, "desk-robot", DESK_SECRET).await;
    let bearer = Auth::Bearer(&desk);
    let (s, _) = call(
        &app,
        &bearer,
        Method::POST,
        &format!("/accounts/{anna}/unlock"),
        Some(json!({ "reason": "ticket 9" })),
    )
    .await;
    assert_eq!(s, 400, "not locked any more");
    let liisa_id = account_id(&app, "liisa.yhteys").await;
    let (_, page) = call(
        &app,
        &bearer,
        Method::GET,
        &format!("/audit?actor={liisa_id}&subject={anna}"),
        None,
    )
    .await;
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["admin.account.unlocked"]);
    let (_, page) = call(
        &app,
        &bearer,
        Method::GET,
        "/audit?org=sos&since=2000-01-01",
        None,
    )
    .await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["subject"] != json!(anna))
    );
    let (_, page) = call(
        &app,
        &bearer,
        Method::GET,
        "/audit?since=2999-01-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(page["items"], json!([]));
    let r = send(
        &app,
        &bearer,
        Method::GET,
        &format!("/audit?subject={anna}&format=jsonl"),
        None,
    )
    .await;
    assert!(r.text().await.unwrap().lines().count() >= 6);
    let (s, e) = call(&app, &bearer, Method::GET, "/audit?until=yesterday", None).await;
    assert_eq!((s.as_u16(), &e["field"]), (400, &json!("until")));
}
