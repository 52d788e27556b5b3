//! The service desk's own client: a client-credentials token acts as an
//! operator; tokens of other clients and people's tokens do not.

use super::*;

#[tokio::test]
async fn the_service_desk_client_resets_a_password_with_a_reason() {
    let app = spawn_app().await;
    let desk = token(&app, "desk-robot", DESK_SECRET).await;
    let bearer = Auth::Bearer(&desk);
    let (s, me) = call(&app, &bearer, Method::GET, "/me", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        (
            &me["principal"]["id"],
            &me["principal"]["kind"],
            &me["operator"]
        ),
        (
            &json!("client:desk-robot"),
            &json!("service_client"),
            &json!(true)
        )
    );
    assert!(me.get("csrf_token").is_none());
    let anna = account_id(&app, "anna.hoitaja").await;
    lock(&app, "anna.hoitaja").await;
    let path = format!("/accounts/{anna}/reset-password");
    for body in [None, Some(json!({ "reason": "x" }))] {
        let (s, e) = call(&app, &bearer, Method::POST, &path, body).await;
        assert_eq!((s.as_u16(), &e["field"]), (400, &json!("reason")), "{e}");
    }
    // Acting through an organisation also needs the reason.
    let (s, e) = call(
        &app,
        &bearer,
        Method::POST,
        &format!("/orgs/jkl/accounts/{anna}/unlock"),
        None,
    )
    .await;
    assert_eq!((s.as_u16(), &e["field"]), (400, &json!("reason")));
    // No CSRF header: a bearer token cannot be sent by another site.
    let (s, r) = call(
        &app,
        &bearer,
        Method::POST,
        &path,
        Some(json!({ "reason": "tiketti 4711" })),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let otp = r["one_time_password"].as_str().unwrap();
    let ev = app.state.dir.audit_events(Some(&anna), 5).await.unwrap();
    let reset = ev
        .iter()
        .find(|e| e.action == "admin.account.password_reset")
        .unwrap();
    assert_eq!(
        (reset.actor.as_str(), reset.reason.as_deref()),
        ("client:desk-robot", Some("tiketti 4711"))
    );
    // The reset lifted the lock; the one-time password must be changed.
    let b = Browser::new(&app);
    let (_, ch) = pkce();
    let r = b
        .get(&auth_url(
            &app,
            "portal-a",
            "https://a.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    let r = b.submit_login(&location(&r), "anna.hoitaja", otp).await;
    assert!(location(&r).starts_with("/password/change"));
    let (s, page) = call(&app, &bearer, Method::GET, "/accounts?q=anna", None).await;
    assert_eq!(
        (s.as_u16(), &page["items"][0]["status"]),
        (200, &json!("active"))
    );

    // Tokens that are not the service desk's get 401.
    let svc = token(&app, "svc", SVC_SECRET).await;
    let (v, chal) = pkce();
    let back = Browser::new(&app)
        .authorize_with_login(
            &auth_url(&app, "portal-a", "https://a.example/cb", Some(&chal), &[]),
            "sami.sosiaali",
            "Sonette-demo-2026",
        )
        .await;
    let person: Value = exchange(
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
    let person = person["access_token"].as_str().unwrap().to_string();
    let mut tampered = desk.clone();
    tampered.pop();
    for t in [svc.as_str(), person.as_str(), tampered.as_str(), "nonsense"] {
        let r = send(&app, &Auth::Bearer(t), Method::GET, "/me", None).await;
        assert_eq!(r.status(), 401, "{t}");
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("invalid_token")
        );
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_token");
    }
    // Expired.
    app.clock.advance(3600);
    let (s, _) = call(&app, &bearer, Method::GET, "/me", None).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn the_service_desk_keeps_the_register_over_the_api() {
    let app = spawn_app().await;
    let desk = token(&app, "desk-robot", DESK_SECRET).await;
    let bearer = Auth::Bearer(&desk);
    let org = |bid: &str| {
        json!({ "id": "kuopio-sote", "name_fi": "Kuopion sote",
        "name_sv": "Kuopio social- och hälsovård", "business_id": bid,
        "oid": "1.2.246.10.1234567.10.0", "kind": "wellbeing_area",
        "networks": ["intermetso", "sonette"] })
    };
    let (s, e) = call(
        &app,
        &bearer,
        Method::POST,
        "/organisations",
        Some(org("7019376-7")),
    )
    .await;
    assert_eq!((s.as_u16(), &e["field"]), (400, &json!("business_id")));
    let r = send(
        &app,
        &bearer,
        Method::POST,
        "/organisations",
        Some(org("7019376-8")),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["location"],
        "/admin/api/v1/organisations/kuopio-sote"
    );
    let (s, _) = call(
        &app,
        &bearer,
        Method::POST,
        "/organisations",
        Some(org("7019376-8")),
    )
    .await;
    assert_eq!(s, 400, "the same id twice");
    let mut changed = org("7019376-8");
    changed["municipality"] = json!("Kuopio");
    let (s, o) = call(
        &app,
        &bearer,
        Method::PUT,
        "/organisations/kuopio-sote",
        Some(changed.clone()),
    )
    .await;
    assert_eq!((s.as_u16(), &o["municipality"]), (200, &json!("Kuopio")));
    changed["id"] = json!("other");
    let (s, e) = call(
        &app,
        &bearer,
        Method::PUT,
        "/organisations/kuopio-sote",
        Some(changed),
    )
    .await;
    assert_eq!((s.as_u16(), &e["field"]), (400, &json!("id")));
    let (_, list) = call(&app, &bearer, Method::GET, "/organisations?q=kuopion", None).await;
    assert_eq!(list["items"][0]["id"], "kuopio-sote");

    let (s, o) = call(
        &app,
        &bearer,
        Method::POST,
        "/organisations/kuopio-sote/liaisons",
        Some(json!({ "username": "anna.hoitaja", "network": "intermetso",
                     "email": "tunnukset@kuopio.example.fi", "phone": "017 123 4567" })),
    )
    .await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(o["liaisons"][0]["name"], "Anna Hoitaja");
    let (s, e) = call(
        &app,
        &bearer,
        Method::POST,
        "/organisations/kuopio-sote/liaisons",
        Some(json!({ "username": "nobody.here", "network": "intermetso" })),
    )
    .await;
    assert_eq!((s.as_u16(), &e["field"]), (400, &json!("username")));
    let anna = account_id(&app, "anna.hoitaja").await;
    let path = format!("/organisations/kuopio-sote/liaisons/{anna}/intermetso");
    let r = send(&app, &bearer, Method::DELETE, &path, None).await;
    assert_eq!(r.status(), 204);
    let (s, _) = call(&app, &bearer, Method::DELETE, &path, None).await;
    assert_eq!(s, 404);
    let (_, o) = call(
        &app,
        &bearer,
        Method::GET,
        "/organisations/kuopio-sote",
        None,
    )
    .await;
    assert_eq!(o["liaisons"], json!([]));
}

#[tokio::test]
async fn hostile_a_service_desk_token_revoked_at_revoke_stops_working_at_once() {
    let app = spawn_app().await;
    let desk = token(&app, "desk-robot", DESK_SECRET).await;
    let other = token(&app, "desk-robot", DESK_SECRET).await;
    let bearer = Auth::Bearer(&desk);
    let (s, _) = call(&app, &bearer, Method::GET, "/me", None).await;
    assert_eq!(s, 200);
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/revoke", app.base))
        .basic_auth("desk-robot", Some(DESK_SECRET))
        .form(&[("token", desk.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // At once, for reading and for changing alike.
    let (s, e) = call(&app, &bearer, Method::GET, "/me", None).await;
    assert_eq!(
        (s.as_u16(), &e["error"]),
        (401, &json!("invalid_token")),
        "{e}"
    );
    let anna = account_id(&app, "anna.hoitaja").await;
    let (s, _) = call(
        &app,
        &bearer,
        Method::POST,
        &format!("/accounts/{anna}/reset-password"),
        Some(json!({ "reason": "tiketti 4712" })),
    )
    .await;
    assert_eq!(s, 401);
    // The mark is in the shared ephemeral store (every node reads it), not
    // in this node's memory.
    let jti = jwt_payload(&desk)["jti"].as_str().unwrap().to_string();
    assert!(app.state.eph.access_token_revoked(&jti).await.unwrap());
    // The client's other token is not touched.
    let (s, _) = call(&app, &Auth::Bearer(&other), Method::GET, "/me", None).await;
    assert_eq!(s, 200);
    hostile_refused(
        "hostile_a_service_desk_token_revoked_at_revoke_stops_working_at_once",
        2,
    );
}
