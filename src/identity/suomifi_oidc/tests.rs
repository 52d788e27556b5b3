#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::config::sources::{EndpointOverrides, PersonClaims};
use crate::domain::LoA;

fn settings() -> FtnSourceSettings {
    FtnSourceSettings {
        issuer: "https://op.example".into(),
        client_id: "gateway".into(),
        loa: LoA::Substantial,
        scopes: vec![],
        signing_keys: vec![],
        decryption_keys: vec![],
        same_accounts_as: None,
        require_encryption: true,
        use_par: true,
        userinfo: true,
        id_token_signing_algs: vec![],
        encryption_algs: vec![],
        encryption_encs: vec![],
        endpoints: EndpointOverrides::default(),
        person_claims: PersonClaims::default(),
        refresh_secs: 3600,
        clock_skew_secs: 60,
    }
}

fn claims(v: serde_json::Value) -> Claims {
    v.as_object().unwrap().clone()
}

const NOW: i64 = 1_800_000_000;

fn good() -> serde_json::Value {
    serde_json::json!({
        "iss": "https://op.example", "aud": "gateway", "sub": "s1",
        "exp": NOW + 300, "iat": NOW, "nonce": "n-1",
    })
}

fn check(v: serde_json::Value) -> Result<(), (Refusal, String)> {
    check_id_token(&claims(v), &settings(), "https://op.example", "n-1", NOW)
}

#[test]
fn hostile_id_token_claims_are_refused() {
    assert!(check(good()).is_ok());
    let with = |k: &str, v: serde_json::Value| {
        let mut g = good();
        g[k] = v;
        g
    };
    let cases = [
        (
            with("iss", "https://evil.example".into()),
            Refusal::Untrusted,
        ),
        (with("aud", "someone-else".into()), Refusal::Untrusted),
        (
            with("aud", serde_json::json!(["gateway", "other"])),
            Refusal::Untrusted,
        ),
        (with("azp", "other".into()), Refusal::Untrusted),
        (with("exp", (NOW - 61).into()), Refusal::Expired),
        (with("iat", (NOW + 61).into()), Refusal::Expired),
        (with("nbf", (NOW + 61).into()), Refusal::Expired),
        (with("nonce", "n-2".into()), Refusal::Untrusted),
        (with("sub", "".into()), Refusal::Untrusted),
    ];
    for (v, why) in &cases {
        assert_eq!(check(v.clone()).unwrap_err().0, *why, "{v}");
    }
    let mut no_nonce = good();
    no_nonce.as_object_mut().unwrap().remove("nonce");
    assert!(check(no_nonce).is_err());
    // Several audiences with azp naming us: accepted.
    let mut many = with("aud", serde_json::json!(["gateway", "other"]));
    many["azp"] = "gateway".into();
    assert!(check(many).is_ok());
    // Within the tolerated skew.
    assert!(check(with("exp", (NOW - 30).into())).is_ok());
    crate::identity::suomifi_oidc::tests::count(cases.len() + 1);
}

/// How many hostile inputs the test saw refused (as the integration
/// tests' `hostile_` tests print).
fn count(n: usize) {
    println!("hostile inputs refused: {n}");
}
