//! Event deliveries that fail: kept with their attempts and error, shown
//! to the service desk (and to no one else), and retried on its word.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;
use crate::scim::{Scim, desk_token, provisioning_client};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD5Uo1gbD0tVw=";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_are_shown_to_the_service_desk_and_retried() {
    let (_closed, port) = refusing_port();
    let app = spawn_app_extra(
        &format!(
            r#"
[events]
poll_ms = 50
retry_base_secs = 1
max_attempts = 2

[[events.subscribers]]
id = "hopo"
url = "http://127.0.0.1:{port}/hook"
secret = "{SECRET}"
types = ["account.created"]
"#
        ),
        &[],
        |_| {},
    )
    .await;
    wait_for_subscriber(&app, "hopo").await;
    let (_, token) = provisioning_client(&app, "jkl", &[]).await;
    let (s, v) = Scim::new(&app, &token)
        .call(
            Method::POST,
            "/Users",
            Some(json!({
                "userName": "failing@hyvaks.fi",
                "name": { "givenName": "F", "familyName": "Ailing" },
            })),
        )
        .await;
    assert_eq!(s, 201);
    let account = v["id"].as_str().unwrap().to_string();
    let desk = desk_token(&app).await;
    let http = porttivahti::http_client_builder().build().unwrap();
    let list = |state: &'static str| {
        let http = http.clone();
        let desk = desk.clone();
        let base = app.base.clone();
        async move {
            let v: Value = http
                .get(format!(
                    "{base}/admin/api/v1/event-deliveries?state={state}"
                ))
                .bearer_auth(&desk)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["items"].as_array().unwrap().clone()
        }
    };
    let mut failed = Vec::new();
    for _ in 0..200 {
        failed = list("failed").await;
        if !failed.is_empty() {
            break;
        }
        app.clock.advance(2);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(failed.len(), 1, "{failed:?}");
    let f = &failed[0];
    // Only the type asked for: the provisioning client's creation (an
    // administrative action) was not queued for this subscriber.
    assert_eq!(f["event"]["type"], "account.created");
    assert_eq!(f["event"]["subject"], account.as_str());
    assert_eq!(f["attempts"], 2);
    assert_eq!(f["last_error"], "could not connect");
    let all = app.state.dir.deliveries(None, 100).await.unwrap();
    assert_eq!(all.len(), 1);
    // A liaison person does not see them.
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    assert_eq!(
        liisa.get("/admin/api/v1/event-deliveries").await.status(),
        404
    );
    // The service desk's page shows it, with a button that sends it again.
    make_operator(&app, "sonja.liaison").await;
    let sonja = strong_browser(&app, "sonja.liaison").await;
    let page = sonja
        .get("/admin/operator/events?lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("could not connect") && page.contains(&account),
        "{page}"
    );
    assert_eq!(liisa.get("/admin/operator/events").await.status(), 404);
    // The service desk retries it: pending again, from its first attempt.
    let event = f["event"]["id"].as_i64().unwrap();
    let r = http
        .post(format!(
            "{}/admin/api/v1/event-deliveries/hopo/{event}/retry",
            app.base
        ))
        .bearer_auth(&desk)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let audit = app.state.dir.audit_events(None, 20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "admin.event_delivery.retried" && e.actor == "client:desk-robot")
    );
    // Retrying what is not failed: missing.
    let r = http
        .post(format!(
            "{}/admin/api/v1/event-deliveries/hopo/999999/retry",
            app.base
        ))
        .bearer_auth(&desk)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Retention, 31 days on: the events the subscriber has reached and no
    // delivery needs (the administrative ones it does not take) are
    // deleted; the one whose delivery is not made stays.
    let end = app.state.dir.outbox_end().await.unwrap();
    for _ in 0..200 {
        if app.state.dir.event_cursor("hopo").await.unwrap() == Some(end) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.state.dir.event_cursor("hopo").await.unwrap(), Some(end));
    let published = app.state.dir.outbox_after(0, 100).await.unwrap();
    assert!(published.len() >= 2, "{published:?}");
    assert_eq!(
        porttivahti::startup::purge_events(&app.state, 30)
            .await
            .unwrap(),
        0,
        "nothing is 30 days old yet"
    );
    app.clock.advance(31 * 86_400);
    let deleted = porttivahti::startup::purge_events(&app.state, 30)
        .await
        .unwrap();
    assert_eq!(deleted as usize, published.len() - 1);
    let left = app.state.dir.outbox_after(0, 100).await.unwrap();
    assert_eq!(
        left.iter().map(|e| e.id).collect::<Vec<_>>(),
        [event],
        "the event still to be delivered stays"
    );
    assert_eq!(app.state.dir.deliveries(None, 100).await.unwrap().len(), 1);
}

/// Waits until the event worker has seen the subscriber (it hears of what
/// happens from then on).
pub async fn wait_for_subscriber(app: &TestApp, id: &str) {
    for _ in 0..100 {
        if app.state.dir.event_cursor(id).await.unwrap().is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the event worker never saw subscriber {id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_desk_retries_from_the_admin_page() {
    let (_closed, port) = refusing_port();
    let app = spawn_app_extra(
        &format!(
            r#"
[events]
poll_ms = 50
max_attempts = 1

[[events.subscribers]]
id = "hopo"
url = "http://127.0.0.1:{port}/hook"
secret = "{SECRET}"
"#
        ),
        &[],
        |_| {},
    )
    .await;
    wait_for_subscriber(&app, "hopo").await;
    let op_id = make_operator(&app, "sonja.liaison").await;
    let mut failed = Vec::new();
    for _ in 0..200 {
        failed = app
            .state
            .dir
            .deliveries(Some(porttivahti::store::events::DeliveryState::Failed), 10)
            .await
            .unwrap();
        if !failed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let d = failed.first().expect("a failed delivery");
    let sonja = strong_browser(&app, "sonja.liaison").await;
    let page = sonja
        .get("/admin/operator/events?lang=fi")
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    // Without the form's CSRF token nothing happens.
    let action = format!(
        "{}/admin/operator/events/hopo/{}/retry",
        app.base, d.event.id
    );
    let r = sonja
        .http
        .post(&action)
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 200);
    assert_eq!(
        app.state
            .dir
            .deliveries(Some(porttivahti::store::events::DeliveryState::Failed), 10)
            .await
            .unwrap()
            .len(),
        failed.len()
    );
    let r = sonja
        .http
        .post(&action)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("lähetetään uudelleen"));
    assert!(
        app.state
            .dir
            .audit_events(None, 20)
            .await
            .unwrap()
            .iter()
            .any(|e| e.action == "admin.event_delivery.retried" && e.actor == op_id)
    );
}
