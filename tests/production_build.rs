//! The production build (`--no-default-features`, docs/deployment.md) has
//! no development stand-in: every route of `src/web/dev/` answers 404
//! even with the settings that would switch it on forced past the
//! configuration check, and a configuration that asks for a stand-in is
//! refused at start-up, naming each key.
//!
//! Run it with `cargo test --no-default-features --test production_build`
//! (the README's test command does); in the default build it is empty.
#![cfg(not(feature = "dev"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use porttivahti::clock::ManualClock;
use porttivahti::config::{DemoPortalSettings, Secret, Settings};
use porttivahti::startup::Application;

/// A development configuration that asks for no stand-in.
const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:0"
environment = "development"

[secrets]
key_encryption_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
cookie_key = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="

[service_desk]
name = "Testin palvelupiste"
email = "desk@example.fi"

[[portals]]
id = "hopo"
name = "Hopo"

[[clients]]
client_id = "portal-a"
portal = "hopo"
secret = "secret-a-0123456789"
redirect_uris = ["https://a.example/cb"]
"#;

/// Every route pattern registered under `src/web/dev/`, read from the
/// source so that a stand-in added later is covered too.
fn development_routes() -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("src/web/dev").unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(".route(") {
            rest = &rest[i + ".route(".len()..];
            let Some(open) = rest.find('"') else { break };
            let tail = &rest[open + 1..];
            let Some(close) = tail.find('"') else { break };
            out.push(tail[..close].to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `/dev-idp/{profile}/sso` → `/dev-idp/org/sso`.
fn concrete(pattern: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('}') else { break };
        out.push_str("org");
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_development_routes_are_read_from_the_source() {
    let routes = development_routes();
    for r in [
        "/dev-idp/{profile}/metadata",
        "/dev-idp/{profile}/sso",
        "/dev-mssp/soap",
        "/dev-mandates/service/ypa/api/organizations/{sid}",
        "/demo/",
        "/demo/{path}/backchannel-logout",
        "/demo/test-pki/card-ca.crl",
        "/demo/test-pki/mobile-ca.crl",
    ] {
        assert!(routes.iter().any(|x| x == r), "{r} in {routes:?}");
    }
    assert_eq!(concrete("/demo/{path}/login"), "/demo/org/login");
}

#[tokio::test]
async fn no_development_route_answers_even_when_its_settings_are_forced_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/pv.db", dir.path().display());
    let mut settings = Settings::parse(
        CONFIG,
        Path::new("test"),
        [("PORTTIVAHTI__STORE__DATABASE_URL".to_string(), db)],
    )
    .unwrap();
    // What a development build serves the stand-ins for, set past the
    // check that refuses it in this build.
    settings.dev_idp.enabled = true;
    settings.demo.enabled = true;
    settings.demo.client_id = "portal-a".into();
    settings.demo.client_secret = Secret::new("secret-a-0123456789");
    settings.demo.portals.push(DemoPortalSettings {
        path: "org".into(),
        client_id: "portal-a".into(),
        client_secret: Secret::new("secret-a-0123456789"),
    });
    settings.suomifi_mandates = Some(
        toml::from_str("url = \"/dev-mandates\"\nclient_id = \"c\"\napi_key = \"k\"\n").unwrap(),
    );
    let clock = Arc::new(ManualClock::new(1_900_000_000));
    let app = Application::build(settings, clock).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The server answers its real routes.
    for path in ["/healthz", "/.well-known/openid-configuration", "/jwks"] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
    }
    let routes = development_routes();
    assert!(routes.len() >= 15, "{routes:?}");
    for pattern in &routes {
        let url = format!("{base}{}", concrete(pattern));
        let got = http.get(&url).send().await.unwrap();
        assert_eq!(got.status(), 404, "GET {pattern}");
        let posted = http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("csrf=x&ticket=x&person=0&logout_token=x")
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 404, "POST {pattern}");
    }
}

#[test]
fn a_configuration_asking_for_a_stand_in_is_refused_naming_each_key() {
    let err = Settings::load(Some(Path::new("config/porttivahti.toml")), Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("this build has no development stand-ins"),
        "{err}"
    );
    for key in [
        "dev_idp.enabled",
        "demo.enabled",
        "mobile.mssp_url",
        "suomifi_mandates.url",
        "card.issuers[0].crl_url",
        "mobile.issuers[0].crl_url",
        "sources \"ksshp\".metadata_url",
        "sources \"suomifi\".metadata_url",
        "sources \"suomifi-oidc\".issuer",
    ] {
        assert!(err.contains(key), "{key} in {err}");
    }
    // One at a time, over a configuration that asks for none, and in a
    // development environment too.
    for (var, value, key) in [
        ("PORTTIVAHTI__DEV_IDP__ENABLED", "true", "dev_idp.enabled"),
        ("PORTTIVAHTI__DEMO__ENABLED", "true", "demo.enabled"),
    ] {
        let err = Settings::parse(CONFIG, Path::new("test"), [(var.into(), value.into())])
            .unwrap_err()
            .to_string();
        assert!(err.contains("no development stand-ins"), "{err}");
        assert!(err.contains(key), "{key} in {err}");
    }
    assert!(Settings::parse(CONFIG, Path::new("test"), Vec::new()).is_ok());
}

#[test]
fn the_server_refuses_to_start_with_the_development_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_porttivahti"))
        .args(["--config", "config/porttivahti.toml"])
        .env(
            "PORTTIVAHTI__STORE__DATABASE_URL",
            format!("sqlite://{}/pv.db", dir.path().display()),
        )
        .env("PORTTIVAHTI__SERVER__LISTEN", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("the production build started with the development configuration");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("this build has no development stand-ins"),
        "{stderr}"
    );
    assert!(stderr.contains("demo.enabled"), "{stderr}");
}
