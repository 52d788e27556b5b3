//! Provisioning over SCIM 2.0 (`/scim/v2/`): the service desk's
//! provisioning clients, the Users resource through the organisation's
//! scope handle, deprovisioning that ends sessions and tokens at once,
//! and refusals that leave the directory as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

const EXT: &str = "urn:ietf:params:scim:schemas:extension:porttivahti:2.0:User";

/// An organisation in both networks, with an account in each.
pub const DUAL: &str = r#"
[[seed.organisations]]
id = "dual"
name_fi = "Keski-Suomen hyvinvointialue"
name_sv = "Mellersta Finlands välfärdsområde"
business_id = "3221356-1"
oid = "1.2.246.10.3221356.10.0"
kind = "health_centre"
networks = ["intermetso", "sonette"]

[[seed.accounts]]
username = "ilkka.intermetso"
password = "Intermetso-dual-2026"
given_name = "Ilkka"
family_name = "Intermetso"
organisation = "dual"
network = "intermetso"

[[seed.accounts]]
username = "sanna.sonette"
password = "Sonette-dual-2026"
given_name = "Sanna"
family_name = "Sonette"
organisation = "dual"
network = "sonette"
"#;

pub async fn desk_token(app: &TestApp) -> String {
    let r: Value = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base))
        .basic_auth("desk-robot", Some(DESK_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_string()
}

/// Creates a provisioning client of `org` in `networks` through the admin
/// API: its id and token.
pub async fn provisioning_client(app: &TestApp, org: &str, networks: &[&str]) -> (String, String) {
    let desk = desk_token(app).await;
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!(
            "{}/admin/api/v1/organisations/{org}/provisioning-clients",
            app.base
        ))
        .bearer_auth(&desk)
        .json(&json!({ "name": format!("Entra ID ({org})"), "networks": networks }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    (
        v["client"]["id"].as_str().unwrap().to_string(),
        v["token"].as_str().unwrap().to_string(),
    )
}

pub struct Scim<'a> {
    pub app: &'a TestApp,
    pub token: String,
    pub http: reqwest::Client,
}

impl<'a> Scim<'a> {
    pub fn new(app: &'a TestApp, token: &str) -> Self {
        Self {
            app,
            token: token.to_string(),
            http: porttivahti::http_client_builder().build().unwrap(),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .http
            .request(method, format!("{}/scim/v2{path}", self.app.base))
            .bearer_auth(&self.token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        req.send().await.unwrap()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let r = self.send(method, path, body, &[]).await;
        let status = r.status();
        let text = r.text().await.unwrap();
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text}"))
        };
        (status, v)
    }
}

fn user(username: &str, external_id: &str) -> Value {
    let email = if username.contains('@') {
        username.to_string()
    } else {
        format!("{username}@example.fi")
    };
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": username,
        "externalId": external_id,
        "name": { "givenName": "Outi", "familyName": "Osastonhoitaja" },
        "title": "osastonhoitaja",
        "active": true,
        "emails": [{ "value": email, "type": "work", "primary": true }],
        "phoneNumbers": [{ "value": "040 765 4321", "type": "work" }],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "Osasto 5" }
    })
}

fn is_scim_error(v: &Value, status: u16, scim_type: Option<&str>) {
    assert_eq!(
        v["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
        "{v}"
    );
    assert_eq!(v["status"], json!(status.to_string()), "{v}");
    if let Some(t) = scim_type {
        assert_eq!(v["scimType"], json!(t), "{v}");
    }
    assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()), "{v}");
}

#[tokio::test]
async fn provisioning_clients_are_the_service_desks_shown_once_and_revocable() {
    let app = spawn_app().await;
    let (id, token) = provisioning_client(&app, "jkl", &[]).await;
    assert!(token.starts_with("pvscim_"));
    let scim = Scim::new(&app, &token);
    let (s, list) = scim.call(Method::GET, "/Users?count=5", None).await;
    assert_eq!(s, 200, "{list}");
    // The listing never shows the token again; it holds no digest either.
    let desk = desk_token(&app).await;
    let listed = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!(
            "{}/admin/api/v1/organisations/jkl/provisioning-clients",
            app.base
        ))
        .bearer_auth(&desk)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains(&id) && !listed.contains(&token[7..]),
        "{listed}"
    );
    assert!(!listed.contains("digest"), "{listed}");
    let stored = app.state.dir.provisioning_clients("jkl").await.unwrap();
    assert_eq!(
        stored[0].networks,
        vec![porttivahti::domain::Network::Intermetso]
    );
    // A liaison person is not the service desk: the route answers as missing.
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let me: Value = liisa.get("/admin/api/v1/me").await.json().await.unwrap();
    let before = directory_snapshot(&app).await;
    let r = liisa
        .http
        .post(format!(
            "{}/admin/api/v1/organisations/jkl/provisioning-clients",
            app.base
        ))
        .header("X-CSRF-Token", me["csrf_token"].as_str().unwrap())
        .json(&json!({ "name": "oma" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.state
            .dir
            .provisioning_clients("jkl")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(directory_snapshot(&app).await, before);
    // A network the organisation is not in is refused, and nothing is made.
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!(
            "{}/admin/api/v1/organisations/jkl/provisioning-clients",
            app.base
        ))
        .bearer_auth(&desk)
        .json(&json!({ "name": "väärä", "networks": ["sonette"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        app.state
            .dir
            .provisioning_clients("jkl")
            .await
            .unwrap()
            .len(),
        1
    );
    // Revoked: the token stops working at the next request.
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .delete(format!(
            "{}/admin/api/v1/organisations/jkl/provisioning-clients/{id}",
            app.base
        ))
        .bearer_auth(&desk)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (s, body) = scim.call(Method::GET, "/Users", None).await;
    assert_eq!(s, 401);
    is_scim_error(&body, 401, None);
    // Revoking twice, or another organisation's client id: missing.
    let again = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .delete(format!(
            "{}/admin/api/v1/organisations/sos/provisioning-clients/{id}",
            app.base
        ))
        .bearer_auth(&desk)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let events = app.state.dir.audit_events(None, 50).await.unwrap();
    for action in [
        "admin.provisioning_client.created",
        "admin.provisioning_client.revoked",
    ] {
        let e = events.iter().find(|e| e.action == action).unwrap();
        assert_eq!(e.actor, "client:desk-robot");
        assert_eq!(e.org_id.as_deref(), Some("jkl"));
    }
    // No token at all, a made-up one, a token of another kind.
    for bad in ["", "pvscim_nope", "Bearer-ish"] {
        let (s, body) = Scim::new(&app, bad).call(Method::GET, "/Users", None).await;
        assert_eq!(s, 401, "{bad}");
        is_scim_error(&body, 401, None);
    }
}

#[tokio::test]
async fn discovery_describes_what_is_kept() {
    let app = spawn_app().await;
    let (_, token) = provisioning_client(&app, "jkl", &[]).await;
    let scim = Scim::new(&app, &token);
    let (s, spc) = scim.call(Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(s, 200);
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["etag"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], false);
    assert_eq!(spc["filter"]["maxResults"], 1000);
    let (s, rt) = scim.call(Method::GET, "/ResourceTypes", None).await;
    assert_eq!(s, 200);
    assert_eq!(rt["Resources"][0]["endpoint"], "/Users");
    assert_eq!(rt["Resources"][0]["schemaExtensions"][0]["schema"], EXT);
    let (s, schemas) = scim.call(Method::GET, "/Schemas", None).await;
    assert_eq!(s, 200);
    assert_eq!(schemas["totalResults"], 2);
    let (s, one) = scim
        .call(Method::GET, &format!("/Schemas/{EXT}"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(one["attributes"][0]["name"], "networks");
    let (s, body) = scim.call(Method::GET, "/Groups", None).await;
    assert_eq!(s, 404);
    is_scim_error(&body, 404, None);
    let (s, _) = Scim::new(&app, "")
        .call(Method::GET, "/ServiceProviderConfig", None)
        .await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn users_are_created_read_listed_replaced_patched_and_deleted() {
    let app = spawn_app().await;
    let (client, token) = provisioning_client(&app, "jkl", &[]).await;
    let scim = Scim::new(&app, &token);
    let r = scim
        .send(
            Method::POST,
            "/Users",
            Some(user("outi@hyvaks.fi", "e-1")),
            &[],
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/scim+json"
    );
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("{}/scim/v2/Users/{id}", app.base));
    assert_eq!(created["meta"]["version"], json!(etag));
    assert_eq!(created["userName"], "outi@hyvaks.fi");
    assert_eq!(created["externalId"], "e-1");
    assert_eq!(created["active"], true);
    assert_eq!(created[EXT]["networks"], json!(["intermetso"]));
    assert_eq!(created[EXT]["managedBy"], "jkl");
    // In the directory: managed, a member of jkl in Intermetso, no password.
    let (account, hash) = app
        .state
        .dir
        .credentials("OUTI@hyvaks.fi")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.managed_by.as_deref(), Some("jkl"));
    assert_eq!(account.phone.as_deref(), Some("040 765 4321"));
    assert!(hash.is_none());
    let created_event = app
        .state
        .dir
        .audit_events(Some(&id), 10)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "scim.account.created")
        .unwrap();
    assert_eq!(created_event.actor, format!("scim:{client}"));

    // Read, and the version as a conditional GET.
    let (s, got) = scim.call(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!((s, &got), (StatusCode::OK, &created));
    let r = scim
        .send(
            Method::GET,
            &format!("/Users/{id}"),
            None,
            &[("if-none-match", &etag)],
        )
        .await;
    assert_eq!(r.status(), 304);

    // Three more, for the filters and pages.
    for (u, x) in [
        ("pekka@hyvaks.fi", "e-2"),
        ("paula@hyvaks.fi", "e-3"),
        ("ulla@muu.fi", "e-4"),
    ] {
        let (s, b) = scim.call(Method::POST, "/Users", Some(user(u, x))).await;
        assert_eq!(s, 201, "{b}");
    }
    let count = |filter: &str| {
        let scim = &scim;
        let filter = filter.to_string();
        async move {
            let (s, v) = scim
                .call(
                    Method::GET,
                    &format!("/Users?filter={}", urlencode(&filter)),
                    None,
                )
                .await;
            assert_eq!(s, 200, "{filter}: {v}");
            let mut names: Vec<String> = v["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["userName"].as_str().unwrap().to_string())
                .collect();
            names.sort();
            assert_eq!(v["totalResults"], json!(names.len()), "{filter}");
            names
        }
    };
    assert_eq!(
        count("userName eq \"PEKKA@hyvaks.fi\"").await,
        ["pekka@hyvaks.fi"]
    );
    assert_eq!(count("externalId eq \"e-3\"").await, ["paula@hyvaks.fi"]);
    assert!(count("externalId eq \"E-3\"").await.is_empty());
    assert_eq!(
        count("userName sw \"p\" and emails co \"hyvaks\"").await,
        ["paula@hyvaks.fi", "pekka@hyvaks.fi"]
    );
    assert_eq!(
        count("emails.value ew \"muu.fi\" or externalId eq \"e-1\"").await,
        ["outi@hyvaks.fi", "ulla@muu.fi"]
    );
    // Seeded accounts of jkl are within reach too (not liisa: a liaison
    // person is, but anna is a member only).
    assert_eq!(
        count("userName eq \"anna.hoitaja\"").await,
        ["anna.hoitaja"]
    );
    assert!(count("userName co \"100%_\"").await.is_empty());
    // Pages: 1-based, stable.
    let (_, p1) = scim
        .call(
            Method::GET,
            "/Users?filter=userName%20co%20%22%40%22&startIndex=1&count=2",
            None,
        )
        .await;
    let (_, p2) = scim
        .call(
            Method::GET,
            "/Users?filter=userName%20co%20%22%40%22&startIndex=3&count=2",
            None,
        )
        .await;
    assert_eq!(p1["totalResults"], 4);
    assert_eq!(
        (p1["itemsPerPage"].clone(), p2["itemsPerPage"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(p2["startIndex"], 3);
    assert_ne!(p1["Resources"][0]["id"], p2["Resources"][0]["id"]);
    let (_, none) = scim.call(Method::GET, "/Users?count=0", None).await;
    assert_eq!(none["Resources"], json!([]));
    assert!(none["totalResults"].as_u64().unwrap() >= 4);
    // attributes / excludedAttributes.
    let (_, only) = scim
        .call(
            Method::GET,
            &format!("/Users/{id}?attributes=userName"),
            None,
        )
        .await;
    assert!(
        only.get("userName").is_some() && only.get("title").is_none(),
        "{only}"
    );
    let (_, without) = scim
        .call(
            Method::GET,
            &format!("/Users/{id}?excludedAttributes=title"),
            None,
        )
        .await;
    assert!(without.get("title").is_none() && without.get("userName").is_some());

    // PUT replaces what the identity management owns.
    let mut replaced = user("outi.o@hyvaks.fi", "e-1");
    replaced["name"]["familyName"] = json!("Ylihoitaja");
    replaced.as_object_mut().unwrap().remove("phoneNumbers");
    let r = scim
        .send(
            Method::PUT,
            &format!("/Users/{id}"),
            Some(replaced),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(r.status(), 200);
    let after_put: Value = r.json().await.unwrap();
    assert_eq!(after_put["userName"], "outi.o@hyvaks.fi");
    assert_eq!(after_put["name"]["familyName"], "Ylihoitaja");
    assert!(after_put.get("phoneNumbers").is_none());
    assert_ne!(after_put["meta"]["version"], json!(etag));

    // A stale version is refused, and nothing changes.
    let before = directory_snapshot(&app).await;
    let r = scim
        .send(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "replace", "path": "title", "value": "x" }]
            })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(r.status(), 412);
    assert_eq!(directory_snapshot(&app).await, before);

    // PATCH as Entra ID sends it.
    let (s, patched) = scim
        .call(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [
                    { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "outi.o@hyvaks.fi" },
                    { "op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "050 111 2222" },
                    { "op": "Replace", "path": "name.givenName", "value": "Outi-Maria" },
                    { "op": "Add", "value": { "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Osasto 6", "preferredLanguage": "fi-FI" } }
                ]
            })),
        )
        .await;
    assert_eq!(s, 200, "{patched}");
    assert_eq!(patched["name"]["givenName"], "Outi-Maria");
    assert_eq!(patched["emails"], json!([{ "value": "outi.o@hyvaks.fi" }]));
    assert_eq!(patched["phoneNumbers"][0]["value"], "050 111 2222");
    let updated = app
        .state
        .dir
        .audit_events(Some(&id), 20)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "scim.account.updated")
        .unwrap();
    assert_eq!(updated.actor, format!("scim:{client}"));
    // The values are personal data: the audit trail names only the fields.
    assert!(!updated.detail.as_deref().unwrap().contains("Outi-Maria"));

    // DELETE disables; the account and its audit trail stay, but SCIM no
    // longer finds it (RFC 7644 §3.6).
    let (s, _) = scim
        .call(Method::DELETE, &format!("/Users/{id}"), None)
        .await;
    assert_eq!(s, 204);
    let (s, body) = scim.call(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(s, 404);
    is_scim_error(&body, 404, None);
    assert!(count("externalId eq \"e-1\"").await.is_empty());
    let account = app.state.dir.account(&id).await.unwrap().unwrap();
    assert_eq!(account.status, porttivahti::domain::AccountStatus::Disabled);
    let trail = app.state.dir.audit_events(Some(&id), 20).await.unwrap();
    assert!(trail.iter().any(|e| e.action == "scim.account.created"));
    let disabled = trail
        .iter()
        .find(|e| e.action == "admin.account.disabled")
        .unwrap();
    assert_eq!(disabled.actor, format!("scim:{client}"));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn deprovisioning_ends_sessions_refresh_families_and_access_tokens_at_once() {
    let app = spawn_app().await;
    let (client, token) = provisioning_client(&app, "jkl", &[]).await;
    let scim = Scim::new(&app, &token);
    let b = Browser::new(&app);
    let (tokens, challenge) = login_at_portal_a(&app, &b).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let userinfo = |t: String| {
        let app = &app;
        async move {
            porttivahti::http_client_builder()
                .build()
                .unwrap()
                .get(format!("{}/userinfo", app.base))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(userinfo(access.to_string()).await, 200);
    let anna = account_id(&app, "anna.hoitaja").await;
    assert_eq!(
        app.state.eph.account_sessions(&anna).await.unwrap().len(),
        1
    );
    let (s, v) = scim
        .call(
            Method::PATCH,
            &format!("/Users/{anna}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "Replace", "path": "active", "value": "False" }]
            })),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["active"], false);
    // At once: the access token, the refresh token and the session.
    assert_eq!(userinfo(access.to_string()).await, 401);
    let r = refresh(&app, "portal-a", "secret-a-0123456789", refresh_token).await;
    assert_eq!(r.status(), 400);
    let r = b
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb",
            Some(&challenge),
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        query_param(&location(&r), "error").as_deref(),
        Some("login_required")
    );
    let e = app
        .state
        .dir
        .audit_events(Some(&anna), 20)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "admin.account.disabled")
        .unwrap();
    assert_eq!(e.actor, format!("scim:{client}"));
    assert_eq!(e.org_id.as_deref(), Some("jkl"));
    // Re-enabled by the identity management: a fresh login works again.
    let (s, v) = scim
        .call(
            Method::PATCH,
            &format!("/Users/{anna}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "replace", "value": { "active": true } }]
            })),
        )
        .await;
    assert_eq!((s, v["active"].clone()), (StatusCode::OK, json!(true)));
    let (again, _) = login_at_portal_a(&app, &Browser::new(&app)).await;
    assert!(again["access_token"].is_string());
}

#[tokio::test]
async fn another_organisations_and_other_networks_accounts_are_not_there() {
    let app = spawn_app_extra(DUAL, &[], |_| {}).await;
    // jkl's client; and a client of "dual" that may provision Intermetso only.
    let (_, jkl) = provisioning_client(&app, "jkl", &[]).await;
    let (_, dual) = provisioning_client(&app, "dual", &["intermetso"]).await;
    let jkl = Scim::new(&app, &jkl);
    let dual = Scim::new(&app, &dual);
    let sami = account_id(&app, "sami.sosiaali").await;
    let sonja = account_id(&app, "sonja.liaison").await;
    let sanna = account_id(&app, "sanna.sonette").await;
    let ilkka = account_id(&app, "ilkka.intermetso").await;
    let before = directory_snapshot(&app).await;
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "path": "active", "value": false }]
    });
    for (scim, id) in [
        (&jkl, &sami),
        (&jkl, &sonja),
        (&jkl, &ilkka),
        (&dual, &sanna),
    ] {
        for (method, body) in [
            (Method::GET, None),
            (Method::PATCH, Some(patch.clone())),
            (Method::PUT, Some(user("vieras@x.fi", "v-1"))),
            (Method::DELETE, None),
        ] {
            let (s, v) = scim
                .call(method.clone(), &format!("/Users/{id}"), body)
                .await;
            assert_eq!(s, 404, "{method} {id}: {v}");
            is_scim_error(&v, 404, None);
            assert_eq!(directory_snapshot(&app).await, before, "{method} {id}");
        }
    }
    for (scim, name) in [
        (&jkl, "sami.sosiaali"),
        (&dual, "sanna.sonette"),
        (&jkl, "ilkka.intermetso"),
    ] {
        let (s, v) = scim
            .call(
                Method::GET,
                &format!(
                    "/Users?filter={}",
                    urlencode(&format!("userName eq \"{name}\""))
                ),
                None,
            )
            .await;
        assert_eq!(
            (s, v["totalResults"].clone()),
            (StatusCode::OK, json!(0)),
            "{name}"
        );
    }
    let (s, v) = dual
        .call(
            Method::GET,
            &format!(
                "/Users?filter={}",
                urlencode("userName eq \"ilkka.intermetso\"")
            ),
            None,
        )
        .await;
    assert_eq!((s, v["totalResults"].clone()), (StatusCode::OK, json!(1)));
    // Creating into a network the client may not provision: refused.
    let mut u = user("uusi@kshva.fi", "k-1");
    u[EXT] = json!({ "networks": ["sonette"] });
    let (s, v) = dual.call(Method::POST, "/Users", Some(u)).await;
    assert_eq!(s, 400);
    is_scim_error(&v, 400, Some("invalidValue"));
    assert_eq!(directory_snapshot(&app).await, before);
    // Nor moving Ilkka there.
    let (s, v) = dual
        .call(
            Method::PATCH,
            &format!("/Users/{ilkka}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "add", "path": format!("{EXT}:networks"), "value": ["sonette"] }]
            })),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(directory_snapshot(&app).await, before);
}

#[tokio::test]
async fn refusals_leave_the_directory_as_it_was() {
    let app = spawn_app().await;
    let (_, token) = provisioning_client(&app, "jkl", &[]).await;
    let scim = Scim::new(&app, &token);
    let (s, v) = scim
        .call(Method::POST, "/Users", Some(user("outi@hyvaks.fi", "e-1")))
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let before = directory_snapshot(&app).await;
    let patch = |ops: Value| json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops });
    type Case = (Method, String, Option<Value>, u16, Option<&'static str>);
    let cases: Vec<Case> = vec![
        (
            Method::POST,
            "/Users".into(),
            Some(user("anna.hoitaja", "x")),
            409,
            Some("uniqueness"),
        ),
        (
            Method::POST,
            "/Users".into(),
            Some(user("ANNA.HOITAJA", "x")),
            409,
            Some("uniqueness"),
        ),
        (
            Method::POST,
            "/Users".into(),
            Some(user("toinen@hyvaks.fi", "e-1")),
            409,
            Some("uniqueness"),
        ),
        (
            Method::POST,
            "/Users".into(),
            Some(json!({ "userName": "x y" })),
            400,
            Some("invalidValue"),
        ),
        (
            Method::POST,
            "/Users".into(),
            Some(json!({ "userName": "nimeton" })),
            400,
            Some("invalidValue"),
        ),
        (
            Method::POST,
            "/Users".into(),
            Some(json!([1, 2])),
            400,
            Some("invalidSyntax"),
        ),
        (
            Method::POST,
            "/Users".into(),
            Some(json!({ "userName": 5 })),
            400,
            Some("invalidValue"),
        ),
        (
            Method::GET,
            "/Users?filter=title%20eq%20%22x%22".into(),
            None,
            400,
            Some("invalidFilter"),
        ),
        (
            Method::GET,
            "/Users?filter=userName%20eq".into(),
            None,
            400,
            Some("invalidFilter"),
        ),
        (
            Method::GET,
            "/Users?count=many".into(),
            None,
            400,
            Some("invalidValue"),
        ),
        (
            Method::PATCH,
            format!("/Users/{id}"),
            Some(patch(
                json!([{ "op": "replace", "path": "id", "value": "x" }]),
            )),
            400,
            Some("mutability"),
        ),
        (
            Method::PATCH,
            format!("/Users/{id}"),
            Some(patch(
                json!([{ "op": "replace", "path": "password", "value": "x" }]),
            )),
            400,
            Some("invalidPath"),
        ),
        (
            Method::PATCH,
            format!("/Users/{id}"),
            Some(patch(json!([{ "op": "remove" }]))),
            400,
            Some("noTarget"),
        ),
        (
            Method::PATCH,
            format!("/Users/{id}"),
            Some(patch(
                json!([{ "op": "replace", "path": "userName", "value": "anna.hoitaja" }]),
            )),
            409,
            Some("uniqueness"),
        ),
        (
            Method::PATCH,
            format!("/Users/{id}"),
            Some(patch(
                json!([{ "op": "remove", "path": "name.familyName" }]),
            )),
            400,
            Some("invalidValue"),
        ),
        (
            Method::PATCH,
            format!("/Users/{id}"),
            Some(patch(
                json!([{ "op": "replace", "path": "active", "value": "ehkä" }]),
            )),
            400,
            Some("invalidValue"),
        ),
        (
            Method::PATCH,
            format!("/Users/{id}"),
            Some(json!({ "Operations": "x" })),
            400,
            Some("invalidSyntax"),
        ),
        (
            Method::PUT,
            format!("/Users/{id}"),
            Some(json!({ "userName": "outi@hyvaks.fi" })),
            400,
            Some("invalidValue"),
        ),
        (Method::DELETE, "/Users/eiole".into(), None, 404, None),
    ];
    for (method, path, body, status, scim_type) in cases {
        let (s, v) = scim.call(method.clone(), &path, body.clone()).await;
        assert_eq!(s.as_u16(), status, "{method} {path} {body:?}: {v}");
        is_scim_error(&v, status, scim_type);
        assert_eq!(
            directory_snapshot(&app).await,
            before,
            "{method} {path} {body:?}"
        );
    }
    // A body that is not JSON, and not SCIM's media type.
    let r = scim
        .http
        .post(format!("{}/scim/v2/Users", app.base))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("userName=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(directory_snapshot(&app).await, before);
}

#[tokio::test]
async fn liaison_persons_see_managed_accounts_and_cannot_edit_what_the_idm_owns() {
    let app = spawn_app().await;
    let (_, token) = provisioning_client(&app, "jkl", &[]).await;
    let scim = Scim::new(&app, &token);
    let anna = account_id(&app, "anna.hoitaja").await;
    // The identity management takes over an account made by hand.
    let (s, v) = scim
        .call(
            Method::PATCH,
            &format!("/Users/{anna}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "add", "path": "externalId", "value": "entra-anna" }]
            })),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v[EXT]["managedBy"], "jkl");
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let me: Value = liisa.get("/admin/api/v1/me").await.json().await.unwrap();
    let csrf = me["csrf_token"].as_str().unwrap();
    let (s, seen): (StatusCode, Value) = {
        let r = liisa
            .get(&format!("/admin/api/v1/orgs/jkl/accounts/{anna}"))
            .await;
        (r.status(), r.json().await.unwrap())
    };
    assert_eq!(s, 200);
    assert_eq!(seen["managed_by"], "jkl");
    assert_eq!(seen["external_id"], "entra-anna");
    let before = directory_snapshot(&app).await;
    let r = liisa
        .http
        .put(format!(
            "{}/admin/api/v1/orgs/jkl/accounts/{anna}",
            app.base
        ))
        .header("X-CSRF-Token", csrf)
        .json(&json!({ "given_name": "Anni", "family_name": "Hoitaja" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["field"], "managed", "{v}");
    assert_eq!(directory_snapshot(&app).await, before);
    // The admin page says who keeps the data, and offers no edit.
    let page = liisa
        .get(&format!("/admin/orgs/jkl/accounts/{anna}?lang=en"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("identity management keeps"), "{page}");
    assert!(!page.contains(&format!("/admin/orgs/jkl/accounts/{anna}/edit\"")));
    // Disabling stays open to the liaison person (a leaver not yet
    // deprovisioned); enabling is the identity management's.
    let r = liisa
        .http
        .post(format!(
            "{}/admin/api/v1/orgs/jkl/accounts/{anna}/disable",
            app.base
        ))
        .header("X-CSRF-Token", csrf)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let before = directory_snapshot(&app).await;
    let r = liisa
        .http
        .post(format!(
            "{}/admin/api/v1/orgs/jkl/accounts/{anna}/enable",
            app.base
        ))
        .header("X-CSRF-Token", csrf)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(directory_snapshot(&app).await, before);
}

#[tokio::test]
async fn the_service_desk_creates_and_revokes_clients_in_the_admin_ui() {
    let app = spawn_app().await;
    make_operator(&app, "sonja.liaison").await;
    let op = strong_browser(&app, "sonja.liaison").await;
    let org = op
        .get("/admin/operator/orgs/jkl?lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        org.contains("/admin/operator/orgs/jkl/provisioning"),
        "{org}"
    );
    let page = op
        .get("/admin/operator/orgs/jkl/provisioning?lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("No provisioning clients."));
    let csrf = hidden(&page, "csrf");
    let r = op
        .http
        .post(format!("{}/admin/operator/orgs/jkl/provisioning", app.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Entra ID"),
            ("networks", "intermetso"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let shown = r.text().await.unwrap();
    let token = shown
        .split("id=\"provisioning-token\" class=\"secret\">")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .unwrap()
        .to_string();
    assert!(token.starts_with("pvscim_"), "{shown}");
    assert!(shown.contains(&format!("{}/scim/v2", app.base)));
    let scim = Scim::new(&app, &token);
    assert_eq!(scim.call(Method::GET, "/Users", None).await.0, 200);
    // Shown once: the page afterwards lists the client, not its token.
    let again = op
        .get("/admin/operator/orgs/jkl/provisioning?lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(again.contains("Entra ID") && !again.contains(&token));
    // Without the CSRF token nothing is made.
    let r = op
        .http
        .post(format!("{}/admin/operator/orgs/jkl/provisioning", app.base))
        .form(&[("csrf", "wrong"), ("name", "Toinen")])
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 200);
    assert_eq!(
        app.state
            .dir
            .provisioning_clients("jkl")
            .await
            .unwrap()
            .len(),
        1
    );
    let client = app.state.dir.provisioning_clients("jkl").await.unwrap()[0]
        .id
        .clone();
    let r = op
        .http
        .post(format!(
            "{}/admin/operator/orgs/jkl/provisioning/revoke",
            app.base
        ))
        .form(&[("csrf", csrf.as_str()), ("client", client.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(scim.call(Method::GET, "/Users", None).await.0, 401);
    // A liaison person reaches none of it.
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    assert_eq!(
        liisa
            .get("/admin/operator/orgs/jkl/provisioning")
            .await
            .status(),
        404
    );
}
