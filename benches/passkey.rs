//! The passkey assertion check (`RelyingParty::parse_assertion` and
//! `verify_assertion`: base64url, client data JSON, authenticator data,
//! the COSE key, two SHA-256 and the signature) beside one raw P-256
//! ECDSA verification of the same signed bytes in the same run, so the
//! relying party's overhead over the signature can be read as a ratio.
//!
//! Run with `cargo bench --bench passkey`. See docs/performance.md.

use std::hint::black_box;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use porttivahti::crypto::{b64url, b64url_decode, sha256};
use porttivahti::identity::passkey::RelyingParty;
use porttivahti::identity::passkey::soft::{Client, SoftAuthenticator};

const ORIGIN: &str = "https://sso.example.fi";
const RP_ID: &str = "sso.example.fi";

fn benches(c: &mut Criterion) {
    let rp = RelyingParty::new(RP_ID, "Porttivahti", &[ORIGIN.to_string()]);
    let client = Client {
        origin: ORIGIN,
        rp_id: RP_ID,
    };
    let mut a = SoftAuthenticator::new(b"q3Zb9kT1xY0aLm2N");
    let challenge = [9u8; 32];
    let reg = a.register(&client, &b64url(challenge));
    let cred = rp
        .verify_registration(&reg, &challenge, true)
        .expect("registration");
    let response = a.assert(&client, &b64url(challenge));

    // The raw verification's inputs, as the check computes them.
    let auth = b64url_decode(&response.response.authenticator_data).expect("authenticator data");
    let cdj = b64url_decode(&response.response.client_data_json).expect("client data");
    let sig = b64url_decode(&response.response.signature).expect("signature");
    let mut signed = auth.clone();
    signed.extend_from_slice(&sha256(&cdj));
    let point = match porttivahti::identity::passkey::CoseKey::parse(&cred.public_key) {
        Ok(porttivahti::identity::passkey::CoseKey::Es256(p)) => p,
        other => panic!("not ES256: {other:?}"),
    };

    let mut g = c.benchmark_group("passkey");
    g.throughput(Throughput::Elements(1));
    g.bench_function("raw_p256_verify", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, black_box(&point))
                .verify(black_box(&signed), black_box(&sig))
                .expect("signature")
        })
    });
    g.bench_function("assertion_check", |b| {
        b.iter(|| {
            let parsed = RelyingParty::parse_assertion(black_box(&response)).expect("parse");
            rp.verify_assertion(&parsed, &challenge, black_box(&cred.public_key), true)
                .expect("assertion")
        })
    });
    g.finish();
}

criterion_group!(passkey, benches);
criterion_main!(passkey);
