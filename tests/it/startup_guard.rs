//! The production start-up guard: the shipped development configuration,
//! run in production, does not start, and the refusal names every key at
//! fault; a production configuration with its own secrets and no demo
//! starts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use porttivahti::clock::ManualClock;
use porttivahti::config::Settings;
use porttivahti::startup::Application;

/// What production must refuse in `config/porttivahti.toml`: the fixed
/// development stand-ins, and every secret, seeded password and
/// authenticator key the file carries (read from the file, so a demo
/// account added later is expected too).
fn offending_keys_of_the_shipped_file() -> Vec<String> {
    let mut keys: Vec<String> = [
        "secrets.key_encryption_key",
        "secrets.cookie_key",
        "secrets.national_id_key",
        "demo.enabled",
        "dev_idp.enabled",
        "card.allow_test_cards",
        "card.issuers[0].crl_url",
        "mobile.issuers[0].crl_url",
        "mobile.mssp_url",
        "mobile.ap_password",
        "suomifi_mandates.url",
        "suomifi_mandates.api_key",
        "sources \"ksshp\".metadata_url",
        "sources \"suomifi\".metadata_url",
        "sources \"suomifi-oidc\".issuer",
        "sources \"suomifi-oidc\".signing_keys",
        "sources \"suomifi-oidc\".decryption_keys",
    ]
    .map(String::from)
    .to_vec();
    let file: toml::Table = std::fs::read_to_string("config/porttivahti.toml")
        .unwrap()
        .parse()
        .unwrap();
    for c in file["clients"].as_array().unwrap() {
        if c.get("secret").is_some() {
            keys.push(format!(
                "clients {:?}.secret",
                c["client_id"].as_str().unwrap()
            ));
        }
    }
    for a in file["seed"]["accounts"].as_array().unwrap() {
        let user = a["username"].as_str().unwrap();
        for k in ["password", "totp_secret"] {
            if a.get(k).is_some() {
                keys.push(format!("seed.accounts {user:?}.{k}"));
            }
        }
    }
    keys
}

/// Runs the real binary on the shipped configuration with `args`, in
/// production; returns its exit status and standard error. A binary that
/// starts serving instead is killed and the test fails.
fn run_shipped_in_production(args: &[&str]) -> (std::process::ExitStatus, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/pv.db", dir.path().display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_porttivahti"))
        .args(args)
        .env("PORTTIVAHTI__SERVER__ENVIRONMENT", "production")
        .env("PORTTIVAHTI__STORE__DATABASE_URL", db)
        .env("PORTTIVAHTI__SERVER__LISTEN", "127.0.0.1:0")
        .env("PORTTIVAHTI__SERVER__TLS_LISTEN", "127.0.0.1:0")
        .env_remove("PORTTIVAHTI_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("porttivahti {args:?} started in production with the development configuration");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status, err)
}

#[test]
fn hostile_the_shipped_configuration_does_not_start_in_production() {
    let expected = offending_keys_of_the_shipped_file();
    let mut refused = 0;
    // `serve` (the default command) and `check-config` report the same.
    for args in [&[][..], &["check-config"][..]] {
        let (status, err) = run_shipped_in_production(args);
        assert!(!status.success(), "{args:?} exited with {status}");
        assert!(err.contains("refused in production"), "{err}");
        for key in &expected {
            assert!(
                err.contains(&format!("  - {key}:")),
                "{key} not named in:\n{err}"
            );
        }
        // One line per key, nothing else refused.
        assert_eq!(err.matches("\n  - ").count(), expected.len(), "{err}");
        refused += expected.len();
    }
    common::hostile_refused(
        "hostile_the_shipped_configuration_does_not_start_in_production",
        refused,
    );
}

#[test]
fn hostile_the_test_configuration_is_refused_in_production() {
    // Its secrets are weak by rule (typed text, counting runs) rather
    // than listed anywhere.
    let text = common::TEST_CONFIG.replace("SVC_DIGEST", &"0".repeat(64));
    let env = [(
        "PORTTIVAHTI__SERVER__ENVIRONMENT".to_string(),
        "production".to_string(),
    )];
    let err = Settings::parse(&text, Path::new("t"), env)
        .unwrap_err()
        .to_string();
    let expected = [
        "secrets.key_encryption_key: weak",
        "secrets.cookie_key: weak",
        "clients \"portal-a\".secret: weak",
        "clients \"intermetso-portal\".secret: weak",
        "clients \"desk-robot\".secret: weak",
        "demo.enabled",
        "seed.accounts \"anna.hoitaja\".password",
        "seed.accounts \"liisa.yhteys\".totp_secret",
    ];
    for key in expected {
        assert!(
            err.contains(&format!("  - {key}")),
            "{key} not named in:\n{err}"
        );
    }
    common::hostile_refused(
        "hostile_the_test_configuration_is_refused_in_production",
        expected.len(),
    );
}

/// 32 random bytes in standard base64: a key as the documentation says to
/// make one.
fn random_key() -> String {
    let bytes = porttivahti::tokens::b64url_decode(&porttivahti::tokens::random_token(32)).unwrap();
    porttivahti::tokens::b64_std(bytes)
}

#[tokio::test]
async fn a_production_configuration_with_its_own_secrets_and_no_demo_starts() {
    porttivahti::telemetry::init("text");
    let dir = tempfile::tempdir().unwrap();
    let portal_secret = porttivahti::tokens::random_token(32);
    let digest = porttivahti::tokens::hex(&porttivahti::tokens::sha256(&portal_secret));
    // No `environment`: production is the default.
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:0"

[secrets]
key_encryption_key = "{kek}"
cookie_key = "{cookie}"

[password]
argon2_memory_kib = 256
argon2_iterations = 1

[service_desk]
name = "Palvelupiste"
email = "desk@example.fi"

[[portals]]
id = "hopo"
name = "Hopo"
[[portals.access]]
networks = ["intermetso"]

[[clients]]
client_id = "hopo"
portal = "hopo"
secret_sha256 = "{digest}"
redirect_uris = ["https://hopo.example/cb"]

[[clients]]
client_id = "hopo-backend"
portal = "hopo"
secret = "{backend}"
grant_types = ["client_credentials"]

[seed]
operators = ["olli.operaattori"]

[[seed.organisations]]
id = "jkl"
name_fi = "Jyväskylän terveyskeskus"
name_sv = "Jyväskylä hälsocentral"
business_id = "0208153-7"
oid = "1.2.246.10.208153.10.0"
kind = "health_centre"

[[seed.accounts]]
username = "olli.operaattori"
given_name = "Olli"
family_name = "Operaattori"
organisation = "jkl"
network = "intermetso"
"#,
        kek = random_key(),
        cookie = random_key(),
        backend = porttivahti::tokens::random_token(32),
    );
    let db = format!("sqlite://{}/pv.db", dir.path().display());
    let settings = Settings::parse(
        &text,
        Path::new("production.toml"),
        [("PORTTIVAHTI__STORE__DATABASE_URL".to_string(), db)],
    )
    .unwrap();
    assert_eq!(
        settings.server.environment,
        porttivahti::config::Environment::Production
    );
    let app = Application::build(settings, Arc::new(ManualClock::starting_now()))
        .await
        .unwrap();
    let base = format!("http://{}", app.local_addr());
    let state = app.state();
    tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::new();
    let ok = |path: &'static str| {
        let http = http.clone();
        let base = base.clone();
        async move { http.get(format!("{base}{path}")).send().await.unwrap() }
    };
    assert_eq!(ok("/healthz").await.status(), 200);
    assert_eq!(ok("/.well-known/openid-configuration").await.status(), 200);
    assert_eq!(ok("/demo/").await.status(), 404);
    // The operator is seeded without a password: none works until the
    // service desk sets a one-time one.
    let (account, hash) = state
        .dir
        .credentials("olli.operaattori")
        .await
        .unwrap()
        .unwrap();
    assert!(hash.is_none());
    assert!(state.dir.is_operator(&account.id).await.unwrap());
}
