//! Values computed outside the project, once, and written down: a bug in
//! our HMAC input (order, separator, encoding, time format) changes them,
//! whatever our own checks say. Each was computed with Python 3's `hmac`,
//! `hashlib` and `base64` modules; the line that made it is beside it.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, Uri};
use porttivahti::clock::ManualClock;
use porttivahti::config::MandateSettings;
use porttivahti::mandates::{AUTH_HEADER, MandateClient, auth_header, check_auth_header};

/// The Web API client id and API key of the Population Register Centre's
/// reference client for e-Authorizations (its examples' values).
const CLIENT_ID: &str = "42bbe569";
const API_KEY: &str = "3ba56df8-88b8-4805-9b04-2f8e7a61ae8f";
const PATH: &str = "/service/ypa/api/organizationRoles/sess-1";
const TIME: &str = "2026-01-15T10:00:00Z";
/// `calendar.timegm(time.strptime(TIME, "%Y-%m-%dT%H:%M:%SZ"))`
const UNIX: i64 = 1_768_471_200;
/// `f"{CLIENT_ID} {TIME} " + base64.b64encode(hmac.new(API_KEY.encode(),
/// f"{PATH} {TIME}".encode(), hashlib.sha256).digest()).decode()` — the
/// guide's recipe: HMAC-SHA256 keyed with the API key over the request's
/// path and query, a space and the time stamp, base64.
const HEADER: &str = "42bbe569 2026-01-15T10:00:00Z zm6itXiczfFUgOQM47CnTC784RhlL2u+V0WlAVBEO80=";

#[test]
fn the_e_authorizations_header_matches_an_independent_hmac() {
    assert_eq!(auth_header(CLIENT_ID, API_KEY, PATH, TIME), HEADER);
    // The service side of the tests' peer accepts it, and nothing else.
    assert!(check_auth_header(
        HEADER, CLIENT_ID, API_KEY, PATH, UNIX, 300
    ));
    assert!(!check_auth_header(
        HEADER,
        CLIENT_ID,
        API_KEY,
        "/service/ypa/api/organizationRoles/sess-2",
        UNIX,
        300
    ));
    let mut flipped = HEADER.to_string();
    flipped.replace_range(HEADER.len() - 3..HEADER.len() - 2, "X");
    assert!(!check_auth_header(
        &flipped, CLIENT_ID, API_KEY, PATH, UNIX, 300
    ));
}

/// The client, at the fixed time, sends exactly the header computed
/// outside the project on the request whose path is known in advance.
#[tokio::test]
async fn the_e_authorizations_client_sends_the_independent_header() {
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let record = seen.clone();
    let router = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let record = record.clone();
        async move {
            let header = headers
                .get(AUTH_HEADER)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default()
                .to_string();
            record
                .lock()
                .unwrap()
                .push((uri.path_and_query().unwrap().to_string(), header));
            if uri.path().starts_with("/service/ypa/user/register/") {
                axum::Json(serde_json::json!({"sessionId": "sess-1", "userId": "u-1"}))
            } else {
                axum::Json(serde_json::json!([]))
            }
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
    let settings: MandateSettings = toml::from_str(&format!(
        "url = \"{url}\"\nclient_id = \"{CLIENT_ID}\"\napi_key = \"{API_KEY}\"\nmandate_codes = []\n"
    ))
    .unwrap();
    let client = MandateClient::new(settings, Arc::new(ManualClock::new(UNIX))).unwrap();
    assert_eq!(client.authorities("010170-999R").await.unwrap(), vec![]);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen[0]
            .0
            .starts_with("/service/ypa/user/register/42bbe569/010170-999R?requestId="),
        "{seen:?}"
    );
    assert!(
        seen[0].1.starts_with("42bbe569 2026-01-15T10:00:00Z "),
        "{seen:?}"
    );
    assert_eq!(seen[1], (PATH.to_string(), HEADER.to_string()));
}

/// The national-id key and the key-encryption key of these vectors: base64
/// of "0123456789abcdef0123456789abcdef".
const KEY_B64: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

#[test]
fn the_suomifi_subject_matches_an_independent_hmac() {
    // "hetu-hmac:" + base64.urlsafe_b64encode(hmac.new(base64.b64decode(
    // KEY_B64), b"010280-952L", hashlib.sha256).digest()).decode().rstrip("=")
    let expected = "hetu-hmac:fNfFjnXsq4iGF7QWupJeOXHpKsSXpGwLbiCWF2waOQI";
    let key = porttivahti::tokens::b64_std_decode(KEY_B64).unwrap();
    assert_eq!(
        porttivahti::identity::suomifi::subject_of("010280-952L", &key),
        expected
    );
    // The code is read as written on a card: trimmed, upper case.
    assert_eq!(
        porttivahti::identity::suomifi::subject_of(" 010280-952l ", &key),
        expected
    );
}

#[test]
fn pairwise_subjects_match_an_independent_hmac() {
    // k = hmac.new(base64.b64decode(KEY_B64), b"porttivahti pairwise subjects v1",
    //              hashlib.sha256).digest()
    // base64.urlsafe_b64encode(hmac.new(k, sector.encode() + b"\0" +
    //     account.encode(), hashlib.sha256).digest()).decode().rstrip("=")
    use porttivahti::oidc::privacy::pairwise_subject;
    assert_eq!(
        pairwise_subject(KEY_B64, "ekstranet", "3f0c1d6e-acct"),
        "Ifk2IAIGe0r4EbLQbMWQXgq8ZUUW2KfVYKbEMuHUVLw"
    );
    assert_eq!(
        pairwise_subject(KEY_B64, "hopo", "3f0c1d6e-acct"),
        "1cB4U5MGDfiJQ6-3hrdOCEGaunagQ15YLfwts8PnAI8"
    );
}
