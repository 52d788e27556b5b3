//! The relying party against a software authenticator that signs for
//! real: every check has a case that passes and a case that fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::soft::{Client, SoftAuthenticator};
use super::*;

const ORIGIN: &str = "https://sso.example.fi";
const RP_ID: &str = "sso.example.fi";

fn rp() -> RelyingParty {
    RelyingParty::new(RP_ID, "Porttivahti", &[ORIGIN.to_string()])
}

fn client() -> Client<'static> {
    Client {
        origin: ORIGIN,
        rp_id: RP_ID,
    }
}

fn challenge() -> (Vec<u8>, String) {
    let c = vec![7u8; 32];
    let s = b64url(&c);
    (c, s)
}

fn registered(a: &SoftAuthenticator) -> NewCredential {
    let (c, s) = challenge();
    rp().verify_registration(&a.register(&client(), &s), &c, true)
        .unwrap()
}

#[test]
fn registration_with_none_and_packed_attestation() {
    let a = SoftAuthenticator::new(b"acct-1");
    let cred = registered(&a);
    assert_eq!(cred.credential_id, a.credential_id);
    assert_eq!(cred.public_key, a.cose_key());
    assert_eq!(cred.alg, data::ES256);
    assert_eq!(cred.attestation_format, "none");
    assert!(cred.user_verified && !cred.backup_eligible && !cred.backed_up);

    let mut p = SoftAuthenticator::new(b"acct-1");
    p.packed = true;
    p.backup_eligible = true;
    p.backed_up = true;
    let cred = registered(&p);
    assert_eq!(cred.attestation_format, "packed");
    assert!(cred.backup_eligible && cred.backed_up);
}

#[test]
fn registration_refusals() {
    let (c, s) = challenge();
    let rp = rp();
    let a = SoftAuthenticator::new(b"acct-1");
    let refused =
        |r: &RegistrationResponse, uv: bool| rp.verify_registration(r, &c, uv).unwrap_err();

    assert_eq!(
        refused(&a.register(&client(), "AAAA"), true),
        PasskeyError::Challenge
    );
    let evil = Client {
        origin: "https://sso.example.fi.evil.example",
        rp_id: RP_ID,
    };
    assert!(matches!(
        refused(&a.register(&evil, &s), true),
        PasskeyError::Origin(_)
    ));
    let other_rp = Client {
        origin: ORIGIN,
        rp_id: "example.fi",
    };
    assert_eq!(
        refused(&a.register(&other_rp, &s), true),
        PasskeyError::RpId
    );

    let mut no_uv = SoftAuthenticator::new(b"acct-1");
    no_uv.user_verified = false;
    assert_eq!(
        refused(&no_uv.register(&client(), &s), true),
        PasskeyError::UserVerification
    );
    assert!(
        rp.verify_registration(&no_uv.register(&client(), &s), &c, false)
            .is_ok()
    );

    // A packed statement signed over something else.
    let mut p = SoftAuthenticator::new(b"acct-1");
    p.packed = true;
    let mut r = p.register(&client(), &s);
    let other = p.register(&client(), &b64url([8u8; 32]));
    let mut obj: ciborium::Value =
        ciborium::de::from_reader(&b64url_decode(&r.response.attestation_object).unwrap()[..])
            .unwrap();
    let other_obj: ciborium::Value =
        ciborium::de::from_reader(&b64url_decode(&other.response.attestation_object).unwrap()[..])
            .unwrap();
    if let (ciborium::Value::Map(m), ciborium::Value::Map(o)) = (&mut obj, &other_obj) {
        m[1] = o[1].clone();
    }
    let mut bytes = Vec::new();
    ciborium::ser::into_writer(&obj, &mut bytes).unwrap();
    r.response.attestation_object = b64url(&bytes);
    assert!(matches!(refused(&r, true), PasskeyError::Attestation(_)));

    // The id the browser names must be the attested credential's.
    let mut r = a.register(&client(), &s);
    r.id = b64url([1u8; 32]);
    assert!(matches!(refused(&r, true), PasskeyError::Malformed(_)));

    // An assertion's client data is not a registration's.
    let mut r = a.register(&client(), &s);
    r.response.client_data_json =
        b64url(SoftAuthenticator::client_data("webauthn.get", &s, ORIGIN));
    assert!(matches!(refused(&r, true), PasskeyError::WrongType(_)));
}

#[test]
fn assertion_checks_out_and_reports_flags_and_counter() {
    let mut a = SoftAuthenticator::new(b"acct-1");
    let cred = registered(&a);
    let (c, s) = challenge();
    let parsed = RelyingParty::parse_assertion(&a.assert(&client(), &s)).unwrap();
    assert_eq!(parsed.credential_id, a.credential_id);
    assert_eq!(parsed.user_handle.as_deref(), Some(&b"acct-1"[..]));
    assert_eq!(parsed.challenge(), s);
    let ok = rp()
        .verify_assertion(&parsed, &c, &cred.public_key, true)
        .unwrap();
    assert_eq!(ok.sign_count, 2);
    assert!(ok.user_verified);
    assert!(counter_ok(cred.sign_count, ok.sign_count));
}

#[test]
fn assertion_refusals() {
    let mut a = SoftAuthenticator::new(b"acct-1");
    let cred = registered(&a);
    let rp = rp();
    let (c, s) = challenge();
    let refused = |resp: AssertionResponse, key: &[u8], uv: bool| {
        let parsed = RelyingParty::parse_assertion(&resp).unwrap();
        rp.verify_assertion(&parsed, &c, key, uv).unwrap_err()
    };
    let k = cred.public_key.clone();

    assert_eq!(
        refused(a.assert(&client(), "AAAA"), &k, true),
        PasskeyError::Challenge
    );
    let evil = Client {
        origin: "http://sso.example.fi",
        rp_id: RP_ID,
    };
    assert!(matches!(
        refused(a.assert(&evil, &s), &k, true),
        PasskeyError::Origin(_)
    ));
    let other_rp = Client {
        origin: ORIGIN,
        rp_id: "evil.example",
    };
    assert_eq!(
        refused(a.assert(&other_rp, &s), &k, true),
        PasskeyError::RpId
    );
    let cdj = SoftAuthenticator::client_data("webauthn.create", &s, ORIGIN);
    assert!(matches!(
        refused(a.assert_with(RP_ID, &cdj), &k, true),
        PasskeyError::WrongType(_)
    ));
    let cross = serde_json::to_vec(&serde_json::json!({
        "type": "webauthn.get", "challenge": s, "origin": ORIGIN, "crossOrigin": true
    }))
    .unwrap();
    assert_eq!(
        refused(a.assert_with(RP_ID, &cross), &k, true),
        PasskeyError::CrossOrigin
    );

    // Another credential's signature against this one's key.
    let mut b = SoftAuthenticator::new(b"acct-2");
    assert_eq!(
        refused(b.assert(&client(), &s), &k, true),
        PasskeyError::Signature
    );

    // A tampered signature, and tampered authenticator data (UV set after
    // signing).
    let mut r = a.assert(&client(), &s);
    let mut sig = b64url_decode(&r.response.signature).unwrap();
    let last = sig.len() - 1;
    sig[last] ^= 1;
    r.response.signature = b64url(sig);
    assert_eq!(refused(r, &k, true), PasskeyError::Signature);
    a.user_verified = false;
    let mut r = a.assert(&client(), &s);
    assert_eq!(refused(r.clone(), &k, true), PasskeyError::UserVerification);
    let mut auth = b64url_decode(&r.response.authenticator_data).unwrap();
    auth[32] |= data::FLAG_UV;
    r.response.authenticator_data = b64url(auth);
    assert_eq!(refused(r, &k, true), PasskeyError::Signature);
    // Without UV required, presence is enough.
    let parsed = RelyingParty::parse_assertion(&a.assert(&client(), &s)).unwrap();
    assert!(
        !rp.verify_assertion(&parsed, &c, &k, false)
            .unwrap()
            .user_verified
    );
}

#[test]
fn authenticator_data_and_keys_are_read_strictly() {
    assert!(AuthData::parse(&[0u8; 36]).is_err());
    let mut d = vec![0u8; 37];
    d[32] = data::FLAG_UP | data::FLAG_BS;
    assert!(matches!(
        AuthData::parse(&d),
        Err(PasskeyError::Malformed(_))
    ));
    d[32] = data::FLAG_UP;
    d.push(0);
    assert!(AuthData::parse(&d).is_err(), "trailing bytes");
    d.pop();
    assert_eq!(AuthData::parse(&d).unwrap().sign_count, 0);
    // RS1 (-65535) and a P-384 key are refused.
    let key = |kty: i64, alg: i64, crv: i64| {
        let v = ciborium::Value::Map(vec![
            (1.into(), kty.into()),
            (3.into(), alg.into()),
            ((-1).into(), crv.into()),
            ((-2).into(), ciborium::Value::Bytes(vec![1; 32])),
            ((-3).into(), ciborium::Value::Bytes(vec![1; 32])),
        ]);
        let mut out = Vec::new();
        ciborium::ser::into_writer(&v, &mut out).unwrap();
        out
    };
    assert_eq!(
        CoseKey::parse(&key(3, -65535, 0)),
        Err(PasskeyError::Algorithm(-65535))
    );
    assert!(CoseKey::parse(&key(2, -7, 2)).is_err());
    assert!(CoseKey::parse(&key(2, -7, 1)).is_ok());
}

#[test]
fn counters_must_count_up_unless_neither_counts() {
    assert!(counter_ok(0, 0));
    assert!(counter_ok(0, 1));
    assert!(counter_ok(5, 6));
    assert!(!counter_ok(5, 5), "a counter that stays: cloned");
    assert!(!counter_ok(5, 4), "a counter that goes back: cloned");
    assert!(!counter_ok(5, 0), "a counter that stops counting");
}
