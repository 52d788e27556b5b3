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
