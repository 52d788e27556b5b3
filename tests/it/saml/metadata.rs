//! An IdP's metadata names the keys every login through it is checked
//! with: in production it comes over https (or from a file), and with
//! `metadata_signing_cert` only metadata signed as a whole by the
//! federation is believed. Part of the `saml` test target.

use super::*;
use porttivahti::identity::saml::idp::sign_metadata;

#[tokio::test]
async fn hostile_metadata_not_signed_by_the_federation_is_refused() {
    let logs = capture_logs();
    let (fed, fed_cert) = federation();
    let good = peer_serving("good", |idp| sign_metadata(&idp.metadata(), fed).unwrap()).await;
    let unsigned = peer("unsigned").await;
    // Signed, but by the IdP's own key rather than the federation's.
    let other_key = peer_serving("other-key", |idp| {
        sign_metadata(&idp.metadata(), &idp.key).unwrap()
    })
    .await;
    // Signed by the federation, then its sign-on address changed.
    let tampered = peer_serving("tampered", |idp| {
        sign_metadata(&idp.metadata(), fed)
            .unwrap()
            .replace("/sso\"", "/evil-sso\"")
    })
    .await;
    // Signed by the federation long ago, and past its validUntil.
    let expired = peer_serving("expired", |idp| {
        let old = idp.metadata().replacen(
            " entityID=",
            " validUntil=\"2020-01-01T00:00:00Z\" entityID=",
            1,
        );
        sign_metadata(&old, fed).unwrap()
    })
    .await;
    let mut toml = String::new();
    for (id, p) in [
        ("good", &good),
        ("unsigned", &unsigned),
        ("other-key", &other_key),
        ("tampered", &tampered),
        ("expired", &expired),
    ] {
        toml.push_str(&format!(
            "[[sources]]\nid = \"{id}\"\nkind = \"saml\"\nname = \"IdP {id}\"\n\
             metadata_url = \"{}/metadata\"\nmetadata_signing_cert = \"{fed_cert}\"\n\n",
            p.base
        ));
    }
    let app = common::spawn_app_extra(
        &toml,
        &[("PORTTIVAHTI__SERVER__ENVIRONMENT", "development")],
        |_| {},
    )
    .await;
    let refusals = [
        (
            "unsigned",
            "not signed as a whole with metadata_signing_cert",
        ),
        ("other-key", "does not verify with metadata_signing_cert"),
        ("tampered", "does not verify with metadata_signing_cert"),
        ("expired", "the metadata expired at 2020-01-01T00:00:00Z"),
    ];
    // Every source is tried at start; wait for each answer.
    for _ in 0..100 {
        let good_loaded = app.state.sources.get("good").unwrap().available();
        let all_refused = refusals.iter().all(|(id, reason)| {
            logs.line(&["WARN", &format!("source={id} "), reason])
                .is_some()
        });
        if good_loaded && all_refused {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(app.state.sources.get("good").unwrap().available());
    let b = Browser::new(&app);
    let page = b.get("/login").await.text().await.unwrap();
    let mut refused = 0;
    for (id, reason) in refusals {
        logs.assert_line(&[
            "WARN",
            &format!("source={id} "),
            reason,
            "identity provider metadata could not be loaded",
        ]);
        assert!(!app.state.sources.get(id).unwrap().available(), "{id}");
        let shown = page
            .split(&format!("IdP {id}"))
            .nth(1)
            .unwrap_or_else(|| panic!("{id} is not on the login page"));
        assert!(
            shown
                .chars()
                .take(80)
                .collect::<String>()
                .contains("ei juuri nyt käytettävissä"),
            "{id}"
        );
        assert_eq!(b.get(&format!("/login/source/{id}")).await.status(), 503);
        refused += 1;
    }
    assert_eq!(b.get("/login/source/good").await.status(), 303);
    common::hostile_refused(
        "hostile_metadata_not_signed_by_the_federation_is_refused",
        refused,
    );
}

#[test]
fn hostile_plain_http_metadata_is_refused_in_production() {
    let parse = |environment: &str, url: &str| {
        porttivahti::config::Settings::parse(
            &format!(
                "{}\n[[sources]]\nid = \"hus\"\nkind = \"saml\"\nname = \"HUS\"\nmetadata_url = \"{url}\"\n",
                common::TEST_CONFIG.replace("SVC_DIGEST", &"0".repeat(64))
            ),
            std::path::Path::new("t"),
            [(
                "PORTTIVAHTI__SERVER__ENVIRONMENT".to_string(),
                environment.to_string(),
            )],
        )
    };
    let mut refused = 0;
    for url in [
        "http://idp.hus.example.fi/metadata",
        "/dev-idp/org/metadata",
    ] {
        let err = parse("production", url).unwrap_err().to_string();
        // The production guard names it (before the source checks run).
        assert!(
            err.contains("sources \"hus\".metadata_url") && err.contains(url),
            "{err}"
        );
        refused += 1;
    }
    // https in production, and http in development, are not refused for
    // their scheme (anything else the production guard refuses is its own
    // business).
    for (env, url) in [
        ("production", "https://idp.hus.example.fi/metadata"),
        ("development", "http://127.0.0.1:8081/metadata"),
    ] {
        if let Err(e) = parse(env, url) {
            assert!(!e.to_string().contains("metadata_url"), "{env} {url}: {e}");
        }
    }
    common::hostile_refused(
        "hostile_plain_http_metadata_is_refused_in_production",
        refused,
    );
}
