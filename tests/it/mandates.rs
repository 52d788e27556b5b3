//! The Suomi.fi e-Authorizations client against a real HTTP peer on
//! loopback that checks the HMAC request header and answers in the
//! documented shape.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use porttivahti::clock::ManualClock;
use porttivahti::config::MandateSettings;
use porttivahti::mandates::{AUTH_HEADER, MandateClient, MandateError, check_auth_header};
use porttivahti::policy::Authority;
use serde_json::json;

const CLIENT: &str = "porttivahti-test";
const KEY: &str = "api-key-0123456789";
const HETU: &str = "010170-999R";

/// The service's own clock is frozen: a test skews the client against it
/// exactly, whatever time the test takes.
const SERVICE_NOW: i64 = 1_790_000_000;

#[derive(Clone, Default)]
struct Service {
    seen: Arc<Mutex<Vec<String>>>,
}

/// The service: every request must carry a valid header for its own path
/// and query, within five minutes of the service's clock.
async fn handle(State(s): State<Service>, uri: Uri, headers: HeaderMap) -> Response {
    let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    s.seen.lock().unwrap().push(pq.to_string());
    let ok = headers
        .get(AUTH_HEADER)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| check_auth_header(h, CLIENT, KEY, pq, SERVICE_NOW, 300));
    if !ok {
        return (StatusCode::UNAUTHORIZED, "bad header").into_response();
    }
    let path = uri.path();
    if path == format!("/service/ypa/user/register/{CLIENT}/{HETU}") {
        assert!(uri.query().unwrap_or("").starts_with("requestId="));
        return axum::Json(json!({"sessionId": "sess-1", "userId": "user-1"})).into_response();
    }
    if path == "/service/ypa/api/organizationRoles/sess-1" {
        return axum::Json(json!([
            {"name": "Rova Oy", "identifier": "7019376-8", "complete": true, "roles": ["TJ"]},
            {"name": "Osakas Oy", "identifier": "0208153-7", "complete": true, "roles": ["YHM", "J"]}
        ]))
        .into_response();
    }
    if path == "/service/ypa/api/organizations/sess-1" {
        return match uri.query() {
            Some("issues=sote-onboarding") => {
                axum::Json(json!([{"name": "Osakas Oy", "identifier": "0208153-7"}]))
                    .into_response()
            }
            Some("issues=sote-dataprotection-view") => axum::Json(json!([
                {"name": "Lukija Oy", "identifier": "1943231-3"},
                {"name": "Osakas Oy", "identifier": "0208153-7"}
            ]))
            .into_response(),
            _ => axum::Json(json!([])).into_response(),
        };
    }
    StatusCode::NOT_FOUND.into_response()
}

async fn service() -> (Service, String) {
    let s = Service::default();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let router = axum::Router::new().fallback(handle).with_state(s.clone());
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
    (s, url)
}

fn settings(url: &str, key: &str) -> MandateSettings {
    let text = format!(
        "url = \"{url}\"\nclient_id = \"{CLIENT}\"\napi_key = \"{key}\"\nmandate_codes = [\"sote-onboarding\", \"sote-dataprotection-view\"]\n"
    );
    toml::from_str(&text).unwrap()
}

#[tokio::test]
async fn positions_and_mandates_per_organisation() {
    let (svc, url) = service().await;
    let c =
        MandateClient::new(settings(&url, KEY), Arc::new(ManualClock::new(SERVICE_NOW))).unwrap();
    let got = c.authorities(HETU).await.unwrap();
    let a = |b: &str, n: &str, p: &[&str], m: &[&str]| Authority {
        business_id: b.into(),
        name: Some(n.into()),
        positions: p.iter().map(|s| s.to_string()).collect(),
        mandates: m.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(
        got,
        vec![
            a("7019376-8", "Rova Oy", &["TJ"], &[]),
            a(
                "0208153-7",
                "Osakas Oy",
                &["YHM", "J"],
                &["sote-onboarding", "sote-dataprotection-view"]
            ),
            a("1943231-3", "Lukija Oy", &[], &["sote-dataprotection-view"]),
        ]
    );
    assert_eq!(svc.seen.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn a_wrong_key_or_a_skewed_clock_is_refused() {
    let (_, url) = service().await;
    let c = MandateClient::new(
        settings(&url, "wrong-key"),
        Arc::new(ManualClock::new(SERVICE_NOW)),
    )
    .unwrap();
    assert!(matches!(
        c.authorities(HETU).await,
        Err(MandateError::Status(401))
    ));
    let skewed = Arc::new(ManualClock::new(SERVICE_NOW + 301));
    let c = MandateClient::new(settings(&url, KEY), skewed.clone()).unwrap();
    assert!(matches!(
        c.authorities(HETU).await,
        Err(MandateError::Status(401))
    ));
    skewed.advance(-2);
    assert!(
        c.authorities(HETU).await.is_ok(),
        "299 s of skew is allowed"
    );
}

#[tokio::test]
async fn an_unreachable_service_is_an_error_not_an_empty_answer() {
    let (_closed, port) = crate::common::refusing_port();
    let c = MandateClient::new(
        settings(&format!("http://127.0.0.1:{port}"), KEY),
        Arc::new(ManualClock::new(SERVICE_NOW)),
    )
    .unwrap();
    assert!(matches!(
        c.authorities(HETU).await,
        Err(MandateError::Unreachable(_))
    ));
}

#[test]
fn secrets_do_not_print() {
    let s = settings("http://127.0.0.1:1", KEY);
    assert!(!format!("{s:?}").contains(KEY));
}
