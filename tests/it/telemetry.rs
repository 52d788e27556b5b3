//! What an operator reads: one access line per request (no query, no
//! Debug text), failed logins in the log without the password, no colour
//! codes when the output is not a terminal, and `/metrics` with request
//! histograms per route template, login outcomes, store latency and the
//! process, named as Prometheus asks; the example dashboard and alert
//! rules in docs/ use only metrics that exist.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn request_id(r: &reqwest::Response) -> String {
    r.headers()["x-request-id"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn one_access_line_per_request_without_the_query_or_debug_text() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let r = b.get("/liaisons?q=sala-haku-4711&lang=fi").await;
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    let lines = log_lines(&["porttivahti::access", &format!("request_id={id}")]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    for field in [
        "method=GET",
        "path=/liaisons ",
        "route=/liaisons ",
        "status=200",
        "duration_ms=",
    ] {
        assert!(line.contains(field), "{field} in {line}");
    }
    assert!(
        !line.contains("sala-ar-4711") && !line.contains("lang=fi"),
        "{line}"
    );
    // A templated route is named by its template.
    let r = b.get("/saml/no-such-source/metadata").await;
    let id = request_id(&r);
    let line = log_line(&["porttivahti::access", &format!("request_id={id}")]).unwrap();
    assert!(line.contains("route=/saml/{id}/metadata"), "{line}");
    assert!(
        line.contains("path=/saml/no-such-source/metadata"),
        "{line}"
    );
}

#[tokio::test]
async fn failed_password_logins_are_logged_with_the_address_and_never_the_password() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let r = b
        .submit_login("/login", "anna.hoitaja", "Vaara-salasana-5521")
        .await;
    assert_eq!(r.status(), 401);
    let id = request_id(&r);
    let line = log_line(&[&id, "password login failed: wrong password"]).unwrap();
    assert!(line.contains("username=anna.hoitaja"), "{line}");
    assert!(
        line.contains("ip=127.0.0.1") && line.contains("failures=1"),
        "{line}"
    );
    let r = b
        .submit_login("/login", "ei.ketaan-9931", "Toinen-salasana-5521")
        .await;
    let id = request_id(&r);
    let unknown = log_line(&[&id, "password login failed: unknown username"]).unwrap();
    assert!(unknown.contains("ip=127.0.0.1"), "{unknown}");
    // Nothing typed in either form, and no Debug text, on any line of
    // these requests.
    for id in [request_id(&r), id] {
        for l in log_lines(&[&id]) {
            assert!(!l.contains("salasana-5521"), "{l}");
            assert!(!l.contains("ei.ketaan-9931"), "the name typed: {l}");
            assert!(
                !l.contains("Some(") && !l.contains("None"),
                "Debug text: {l}"
            );
        }
    }
}

/// The metric families of a text exposition: name → type, and the names
/// of its samples.
fn families(text: &str) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let mut types = BTreeMap::new();
    let mut samples = BTreeSet::new();
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(
                types.insert(name.to_string(), kind.to_string()).is_none(),
                "{name} declared twice"
            );
        } else if !l.starts_with('#') && !l.is_empty() {
            let name = l.split(['{', ' ']).next().unwrap();
            samples.insert(name.to_string());
        }
    }
    (types, samples)
}

#[tokio::test]
async fn metrics_name_routes_logins_stores_and_the_process_as_prometheus_asks() {
    let app = spawn_app().await;
    let anna = Browser::new(&app);
    anna.submit_login("/login", "anna.hoitaja", "wrong-password-1")
        .await;
    let r = anna
        .submit_login("/login", "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert_eq!(r.status(), 303);
    let liisa = strong_browser(&app, "liisa.yhteys").await;
    let id = account_id(&app, "anna.hoitaja").await;
    assert_eq!(
        liisa
            .get(&format!("/admin/orgs/jkl/accounts/{id}"))
            .await
            .status(),
        200
    );
    anna.get("/no-such-page-8812").await;

    let r = anna.get("/metrics").await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = r.text().await.unwrap();
    // Routes by template: no account id, no unknown path.
    assert!(text.contains(
        "porttivahti_http_request_duration_seconds_count{method=\"GET\",route=\"/admin/orgs/{org}/accounts/{id}\",status=\"200\"} 1\n"
    ), "{text}");
    assert!(text.contains(
        "porttivahti_http_request_duration_seconds_bucket{method=\"POST\",route=\"/login/password\",status=\"401\",le=\"+Inf\"} 1\n"
    ));
    assert!(text.contains("route=\"unmatched\",status=\"404\""));
    assert!(!text.contains(&id) && !text.contains("no-such-page"));
    // Login outcomes by method and reason.
    assert!(text.contains(
        "porttivahti_login_attempts_total{method=\"password\",outcome=\"failure\",reason=\"invalid_credentials\"} 1\n"
    ), "{text}");
    assert!(text.contains(
        "porttivahti_login_attempts_total{method=\"password\",outcome=\"success\",reason=\"none\"} 1\n"
    ), "{text}");
    // Store latency, both stores.
    assert!(text.contains(
        "porttivahti_store_operation_duration_seconds_count{store=\"directory\",operation=\"credentials\",outcome=\"ok\"}"
    ));
    assert!(text.contains("store=\"ephemeral\",operation=\"incr\",outcome=\"ok\""));
    // Conventions: counters end in _total, durations are histograms in
    // seconds, every sample belongs to a declared family.
    let (types, samples) = families(&text);
    for (name, kind) in &types {
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{name}"
        );
        match kind.as_str() {
            "counter" => assert!(name.ends_with("_total"), "{name}"),
            "histogram" => assert!(name.ends_with("_seconds"), "{name}"),
            "gauge" => assert!(!name.ends_with("_total"), "{name}"),
            other => panic!("{name}: type {other}"),
        }
    }
    for s in &samples {
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                s.strip_suffix(suffix)
                    .filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(s);
        assert!(types.contains_key(family), "{s} has no TYPE");
    }
    for process in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        assert!(types.contains_key(process), "{process}");
    }

    // The example dashboard and alert rules ask only for what exists.
    let dashboard = std::fs::read_to_string("docs/grafana-dashboard.json").unwrap();
    let _: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    let alerts = std::fs::read_to_string("docs/prometheus-alerts.yml").unwrap();
    let mut used = 0;
    for doc in [&dashboard, &alerts] {
        for word in doc.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if word.starts_with("porttivahti_") || word.starts_with("process_") {
                assert!(
                    samples.contains(word) || types.contains_key(word),
                    "docs name {word}, which /metrics does not have"
                );
                used += 1;
            }
        }
    }
    assert!(used > 10);
}

/// The real binary, its output a pipe: no colour codes, and an access
/// line for the request it served.
#[tokio::test]
async fn a_log_that_is_not_a_terminal_has_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(crate::process::server_bin());
    cmd.arg("serve")
        .env(
            "PORTTIVAHTI__STORE__DATABASE_URL",
            format!("sqlite://{}/pv.db", dir.path().display()),
        )
        .env("PORTTIVAHTI__SERVER__LISTEN", "127.0.0.1:0")
        .env("PORTTIVAHTI__SERVER__TLS_LISTEN", "127.0.0.1:0")
        .env("PORTTIVAHTI__SERVER__PUBLIC_URL", "http://127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .env_remove("PORTTIVAHTI_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let up = tokio::task::spawn_blocking(move || {
        crate::process::spawn_listening(cmd, Duration::from_secs(120))
    })
    .await
    .unwrap();
    let mut child = up.child;
    let url = format!("http://{}/readyz?probe=x", up.addr);
    let started = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(&url).await
            && r.status() == 200
        {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("the binary did not become ready");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    // Standard error after the banner, drained by the reader thread until
    // the pipe closed with the process.
    let rest: Vec<String> = up.rest.iter().collect();
    let log = String::from_utf8_lossy(&out.stdout).to_string()
        + &up.stderr.join("\n")
        + "\n"
        + &rest.join("\n");
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log:\n{log}"
    );
    let access = log
        .lines()
        .find(|l| l.contains("porttivahti::access") && l.contains("route=/readyz"))
        .unwrap_or_else(|| panic!("no access line:\n{log}"));
    assert!(
        access.contains("path=/readyz") && !access.contains("probe"),
        "{access}"
    );
}
