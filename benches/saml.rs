//! Checking SAML responses through every check of the assertion consumer
//! service (XML parsing, the wrapper's algorithm and reference checks,
//! signature verification, decryption, conditions, attribute reading),
//! beside the raw RSA-2048 operations of the same machine in the same run:
//! one public-key verification (the floor of a signed response) and one
//! private-key RSA-OAEP decryption (the floor of an encrypted one), both
//! RSA-2048.
//!
//! Run with `cargo bench --bench saml`. See docs/performance.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use porttivahti::identity::saml::idp::{Answer, Idp, IdpPerson, ReceivedRequest};
use porttivahti::identity::saml::response::{Expectations, validate};
use porttivahti::identity::saml::xmlsec::{KeyPair, Signers};

const NOW: i64 = 1_768_478_400;
const ACS: &str = "https://pv.example.fi/saml/hus/acs";
const SP: &str = "https://pv.example.fi/saml/hus/metadata";

fn idp() -> Idp {
    Idp {
        entity_id: "https://idp.hus.example.fi".into(),
        sso_url: "https://idp.hus.example.fi/sso".into(),
        slo_url: "https://idp.hus.example.fi/slo".into(),
        key: KeyPair::from_files("certs/dev/dev-idp-key.pem", "certs/dev/dev-idp.pem").unwrap(),
    }
}

fn request() -> ReceivedRequest {
    ReceivedRequest {
        id: "_req1".into(),
        issuer: SP.into(),
        acs: ACS.into(),
        relay_state: None,
        context_refs: vec![],
        locale: None,
        force_authn: false,
    }
}

/// A Suomi.fi-like person: ten attributes.
fn person() -> IdpPerson {
    let a = |n: &str, v: &str| (n.to_string(), vec![v.to_string()]);
    IdpPerson {
        name_id: "_t6bV1yA0uQmP4xN8cR2s".into(),
        authn_context: "http://ftn.ficora.fi/2017/loa3".into(),
        attributes: vec![
            a("urn:oid:1.2.246.21", "010280-952L"),
            a("urn:oid:1.2.246.22", "99912345A"),
            a("urn:oid:2.5.4.3", "Suominen Sanna Maria"),
            a("urn:oid:2.16.840.1.113730.3.1.241", "Sanna Suominen"),
            a(
                "http://eidas.europa.eu/attributes/naturalperson/CurrentGivenName",
                "Sanna Maria",
            ),
            a("urn:oid:2.5.4.42", "Sanna"),
            a("urn:oid:2.5.4.4", "Suominen"),
            a(
                "urn:oid:0.9.2342.19200300.100.1.3",
                "sanna.suominen@example.fi",
            ),
            a("urn:oid:1.2.246.517.2002.2.18", "179"),
            a("urn:oid:1.2.246.517.2002.2.19", "Jyväskylä"),
        ],
    }
}

fn benches(c: &mut Criterion) {
    let i = idp();
    // An RSA-2048 SP key, as most IdPs and Suomi.fi expect (the
    // development SP key is RSA-3072: about 3x slower to decrypt with).
    let sp = KeyPair::from_files("certs/dev/dev-idp-key.pem", "certs/dev/dev-idp.pem").unwrap();
    let signers = Signers::from_der(&[i.key.cert_der()]).unwrap();
    let signed = i
        .response(&request(), Some(&person()), &Answer::new(NOW))
        .unwrap();
    let mut enc = Answer::new(NOW);
    enc.encrypt_to = Some(sp.recipient());
    let encrypted = i.response(&request(), Some(&person()), &enc).unwrap();
    let exp = |require_encryption| Expectations {
        idp_entity_id: &i.entity_id,
        signers: &signers,
        sp_entity_id: SP,
        acs: ACS,
        request_id: "_req1",
        now: NOW + 1,
        skew: 60,
        max_age: 300,
        require_encryption,
        sp_key: &sp,
    };
    // Both must pass, or the figures mean nothing.
    validate(&signed, &exp(false)).unwrap();
    validate(&encrypted, &exp(true)).unwrap();

    // The crypto floor: one RSA-2048 verify and one RSA-2048 OAEP decrypt.
    let msg = b"the canonical SignedInfo of a SAML assertion, about this long.";
    let idp_pkcs8 = pkcs8("certs/dev/dev-idp-key.pem");
    let kp = aws_lc_rs::rsa::KeyPair::from_pkcs8(&idp_pkcs8).unwrap();
    let mut sig = vec![0; kp.public_modulus_len()];
    kp.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        msg,
        &mut sig,
    )
    .unwrap();
    let public = aws_lc_rs::signature::KeyPair::public_key(&kp)
        .as_ref()
        .to_vec();
    let sp_pkcs8 = pkcs8("certs/dev/dev-idp-key.pem");
    let private = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(&sp_pkcs8).unwrap();
    let public_enc = private.public_key();
    let oaep_pub = aws_lc_rs::rsa::OaepPublicEncryptingKey::new(public_enc).unwrap();
    let mut ct = vec![0; oaep_pub.ciphertext_size()];
    let ct = oaep_pub
        .encrypt(
            &aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1,
            &[7u8; 32],
            &mut ct,
            None,
        )
        .unwrap()
        .to_vec();
    let oaep = aws_lc_rs::rsa::OaepPrivateDecryptingKey::new(private).unwrap();

    let mut g = c.benchmark_group("saml");
    g.throughput(Throughput::Elements(1));
    g.bench_function("rsa2048_verify", |b| {
        b.iter(|| {
            aws_lc_rs::signature::UnparsedPublicKey::new(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                &public,
            )
            .verify(black_box(msg), black_box(&sig))
            .unwrap()
        })
    });
    g.bench_function("rsa2048_oaep_decrypt", |b| {
        let mut out = vec![0; 512];
        b.iter(|| {
            oaep.decrypt(
                &aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1,
                black_box(&ct),
                &mut out,
                None,
            )
            .unwrap()
            .len()
        })
    });
    g.bench_function("signed_response", |b| {
        b.iter(|| validate(black_box(&signed), &exp(false)).unwrap())
    });
    g.bench_function("signed_encrypted_response", |b| {
        b.iter(|| validate(black_box(&encrypted), &exp(true)).unwrap())
    });
    g.finish();
}

fn pkcs8(path: &str) -> Vec<u8> {
    let pem = std::fs::read_to_string(path).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    porttivahti::tokens::b64_std_decode(&b64).unwrap()
}

criterion_group! {
    name = saml;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(saml);
