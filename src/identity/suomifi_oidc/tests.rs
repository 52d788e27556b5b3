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
        jwks_signing_key: None,
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

fn pem_file(dir: &std::path::Path, name: &str, der: &[u8]) -> String {
    let b64 = crate::crypto::b64_std(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        ),
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

fn rsa_der() -> Vec<u8> {
    use aws_lc_rs::encoding::AsDer;
    let k = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&k)
        .unwrap()
        .as_ref()
        .to_vec()
}

/// A key change with overlap: the new keys are added beside the old ones
/// (both published, the first signs, both decrypt), then the old ones
/// leave and what was encrypted to them no longer opens.
#[test]
fn keys_change_with_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let [sig_old, sig_new, enc_old, enc_new] =
        ["sig-old", "sig-new", "enc-old", "enc-new"].map(|n| pem_file(dir.path(), n, &rsa_der()));
    let mut f = settings();
    f.signing_keys = vec![sig_new.clone(), sig_old.clone()];
    f.decryption_keys = vec![enc_new.clone(), enc_old.clone()];
    let both = OurKeys::load(&f).unwrap();
    let published = both.jwks();
    let uses: Vec<&str> = published
        .keys
        .iter()
        .map(|k| k.use_.as_deref().unwrap())
        .collect();
    assert_eq!(uses, ["sig", "sig", "enc", "enc"]);
    assert_eq!(both.signer().kid(), both.signing[0].kid());
    // The provider, still holding the old published set, encrypts to the
    // old key; with the new one published it may use either.
    let to_old = jose::jwe::encrypt(
        b"t",
        &both.decryption[1].jwk,
        KeyAlg::RsaOaep256,
        ContentEnc::A256GCM,
        None,
    )
    .unwrap();
    let to_new = jose::jwe::encrypt(
        b"t",
        &both.decryption[0].jwk,
        KeyAlg::RsaOaep256,
        ContentEnc::A256GCM,
        None,
    )
    .unwrap();
    for t in [&to_old, &to_new] {
        assert!(jose::jwe::decrypt(t, &both.decryption, &KeyAlg::ALL, &ContentEnc::ALL).is_ok());
    }
    // A request object the old signer made verifies against the set the
    // provider fetched during the overlap.
    let old_signed = both.signing[1].sign(None, b"{}").unwrap();
    assert!(jose::jws::verify(&old_signed, &published, &SigAlg::ALL).is_ok());
    // The old keys leave.
    f.signing_keys = vec![sig_new];
    f.decryption_keys = vec![enc_new];
    let after = OurKeys::load(&f).unwrap();
    assert_eq!(after.jwks().keys.len(), 2);
    assert!(jose::jwe::decrypt(&to_new, &after.decryption, &KeyAlg::ALL, &ContentEnc::ALL).is_ok());
    assert!(matches!(
        jose::jwe::decrypt(&to_old, &after.decryption, &KeyAlg::ALL, &ContentEnc::ALL),
        Err(JoseError::UnknownKey(_))
    ));
    // A key file that is not PKCS#8 is named.
    f.signing_keys = vec![
        dir.path()
            .join("missing.pem")
            .to_string_lossy()
            .into_owned(),
    ];
    assert!(OurKeys::load(&f).unwrap_err().contains("missing.pem"));
}
