//! Signed events, verified by a receiver that uses the Standard Webhooks
//! reference library (standardwebhooks), not our code: delivered at least
//! once, retried after a refusal, filtered by organisation, and kept in
//! the directory across a restart.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;
use crate::events::wait_for_subscriber;
use crate::scim::{Scim, provisioning_client};

/// 32 random bytes, as Standard Webhooks writes a secret.
pub const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD5Uo1gbD0tVw=";

pub fn events_config(url: &str, organisations: &[&str]) -> String {
    format!(
        r#"
[events]
poll_ms = 50
retry_base_secs = 5
max_attempts = 4

[[events.subscribers]]
id = "hopo"
url = "{url}"
secret = "{SECRET}"
organisations = {organisations:?}
"#
    )
}

/// The events the receiver verified so far.
fn verified(peer: &super::Peer) -> Vec<Value> {
    peer.log()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["verified"] == true)
        .collect()
}

async fn wait_for(peer: &super::Peer, app: &TestApp, kinds: &[&str]) -> Vec<Value> {
    for _ in 0..200 {
        let got = verified(peer);
        if kinds.iter().all(|k| got.iter().any(|v| v["type"] == *k)) {
            return got;
        }
        // Retries are due by the application's clock.
        app.clock.advance(5);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the receiver did not verify {kinds:?}:\n{}", peer.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_signed_retried_and_filtered_by_organisation() {
    // The first request is refused: the event comes again.
    let Some(peer) = super::webhook_receiver(SECRET, 1).await else {
        return;
    };
    let app = spawn_app_extra(
        &events_config(&format!("{}/hook", peer.base), &["jkl"]),
        &[],
        |_| {},
    )
    .await;
    wait_for_subscriber(&app, "hopo").await;
    let (_, token) = provisioning_client(&app, "jkl", &[]).await;
    let scim = Scim::new(&app, &token);
    let (s, v) = scim
        .call(
            Method::POST,
            "/Users",
            Some(json!({
                "userName": "outi@hyvaks.fi",
                "name": { "givenName": "Outi", "familyName": "O" },
            })),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    scim.call(
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{ "op": "replace", "path": "active", "value": false }]
        })),
    )
    .await;
    // A refused request is a provisioning error the services hear of.
    let (s, _) = scim
        .call(
            Method::POST,
            "/Users",
            Some(json!({
                "userName": "outi@hyvaks.fi",
                "name": { "givenName": "Outi", "familyName": "O" },
            })),
        )
        .await;
    assert_eq!(s, 409);
    // Another organisation's change, which this subscriber did not ask for.
    let (_, sos) = provisioning_client(&app, "sos", &[]).await;
    let (s, _) = Scim::new(&app, &sos)
        .call(
            Method::POST,
            "/Users",
            Some(json!({
                "userName": "toinen@sos.fi",
                "name": { "givenName": "Toinen", "familyName": "S" },
            })),
        )
        .await;
    assert_eq!(s, 201);
    let got = wait_for(
        &peer,
        &app,
        &["account.created", "account.disabled", "provisioning.error"],
    )
    .await;
    let created = got
        .iter()
        .find(|v| v["type"] == "account.created" && v["body"]["data"]["account_id"] == id.as_str())
        .unwrap();
    assert_eq!(created["body"]["data"]["account_id"], id.as_str());
    assert_eq!(created["body"]["data"]["organisation"], "jkl");
    assert!(
        created["body"]["data"]["actor"]
            .as_str()
            .unwrap()
            .starts_with("scim:")
    );
    assert!(peer.log().contains("refused_on_purpose"));
    // Every verified event is jkl's; the sos account's never came.
    assert!(
        got.iter()
            .all(|v| v["body"]["data"]["organisation"] == "jkl"),
        "{got:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !peer.log().contains("\"verified\": false"),
        "{}",
        peer.log()
    );
    let delivered = app
        .state
        .dir
        .deliveries(
            Some(porttivahti::store::events::DeliveryState::Delivered),
            100,
        )
        .await
        .unwrap();
    assert!(
        delivered
            .iter()
            .all(|d| d.event.org_id.as_deref() == Some("jkl"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_kept_across_a_restart() {
    let Some(peer) = super::webhook_receiver(SECRET, 0).await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/pv.db", data.path().display());
    let env = [("PORTTIVAHTI__STORE__DATABASE_URL", db.as_str())];
    // The first node cannot reach the subscriber.
    let (_closed, port) = refusing_port();
    let first = spawn_app_extra(
        &events_config(&format!("http://127.0.0.1:{port}/hook"), &[]),
        &env,
        |_| {},
    )
    .await;
    wait_for_subscriber(&first, "hopo").await;
    let (_, token) = provisioning_client(&first, "jkl", &[]).await;
    let (s, _) = Scim::new(&first, &token)
        .call(
            Method::POST,
            "/Users",
            Some(json!({
                "userName": "restart@hyvaks.fi",
                "name": { "givenName": "Reija", "familyName": "Restart" },
            })),
        )
        .await;
    assert_eq!(s, 201);
    let mut tried = false;
    for _ in 0..100 {
        let pending = first
            .state
            .dir
            .deliveries(
                Some(porttivahti::store::events::DeliveryState::Pending),
                100,
            )
            .await
            .unwrap();
        if pending
            .iter()
            .any(|d| d.event.kind == "account.created" && d.attempts >= 1)
        {
            tried = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(tried, "the first node never tried");
    // A new node on the same directory, which can reach it.
    let second = spawn_app_extra(
        &events_config(&format!("{}/hook", peer.base), &[]),
        &env,
        |_| {},
    )
    .await;
    let got = wait_for(&peer, &second, &["account.created"]).await;
    assert!(got.iter().any(|v| v["type"] == "account.created"));
}
