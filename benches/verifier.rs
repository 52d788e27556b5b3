//! Offline verification in the relying-service verifier
//! (`porttivahti::verifier`), beside the raw ES256 verification of the
//! same signing input measured in the same run, so the verifier's
//! overhead over the signature check can be read off as a ratio.
//!
//! Run with `cargo bench --bench verifier`. See docs/performance.md.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use porttivahti::store::sql::SqliteDirectory;
use porttivahti::tokens::claims::{AccessTokenClaims, OrgClaim};
use porttivahti::tokens::jwt::{self, Audience, TokenType};
use porttivahti::tokens::keyring::{JwkSet, verifying_keys_from_jwks};
use porttivahti::tokens::{Keyring, b64url_decode, random_token};
use porttivahti::verifier::{Verifier, VerifierConfig};

const ISSUER: &str = "https://porttivahti.example.fi";

/// An access token like the demo person's at the demo portal.
fn claims(now: i64) -> AccessTokenClaims {
    AccessTokenClaims {
        iss: ISSUER.into(),
        sub: "q3Zb9kT1xY0aLm2N".into(),
        aud: Audience::One("hopo".into()),
        exp: now + 300,
        iat: now,
        jti: format!("{}.{}", random_token(16), random_token(9)),
        client_id: "demo-portal".into(),
        scope: "openid profile email".into(),
        auth_time: Some(now - 60),
        acr: Some("urn:porttivahti:loa:low".into()),
        amr: Some(vec!["pwd".into()]),
        sid: Some("sid-0123456789abcdef".into()),
        portals: vec!["intermetso".into(), "hopo".into()],
        organisations: vec![OrgClaim {
            oid: "1.2.246.10.208153.10.0".into(),
            business_id: "0208153-7".into(),
            name: "Jyväskylän terveyskeskus (demo)".into(),
            networks: vec!["intermetso".into()],
            roles: vec!["member".into()],
        }],
        authorities: Vec::new(),
        card_type: None,
    }
}

fn benches(c: &mut Criterion) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let keyring = rt.block_on(async {
        let dir = SqliteDirectory::in_memory().await.expect("directory");
        Keyring::load_or_create(&dir, &[7u8; 32], now)
            .await
            .expect("keyring")
    });
    let keys = keyring.current();
    let token = jwt::encode(&keys.signing, TokenType::AccessToken, &claims(now)).expect("encode");
    let jwks_json = keys.jwks_json.clone();
    let jwks: JwkSet = serde_json::from_str(&jwks_json).expect("jwks");

    // The raw operation: the token's own signing input and signature,
    // with a key parsed once.
    let dot = token.rfind('.').expect("jws");
    let signing_input = token.as_bytes()[..dot].to_vec();
    let signature = b64url_decode(&token[dot + 1..]).expect("signature");
    let raw_keys = verifying_keys_from_jwks(&jwks);
    let raw = &raw_keys[0].key;
    eprintln!("signing input bytes: {}", signing_input.len());

    let v =
        Verifier::from_jwks(VerifierConfig::new(ISSUER).audience("hopo"), &jwks).expect("verifier");
    v.verify_cached(&token).expect("the token verifies");

    // The machine is shared: contention changes between Criterion's
    // benchmarks, which run one after the other. Interleaving the two in
    // short rounds gives a ratio that drift cannot skew.
    let mut raw_us = Vec::new();
    let mut ver_us = Vec::new();
    for _ in 0..30 {
        let t = std::time::Instant::now();
        for _ in 0..500 {
            raw.verify_sig(black_box(&signing_input), black_box(&signature))
                .expect("verify");
        }
        raw_us.push(t.elapsed().as_secs_f64() * 1e6 / 500.0);
        let t = std::time::Instant::now();
        for _ in 0..500 {
            v.verify_cached(black_box(&token)).expect("valid");
        }
        ver_us.push(t.elapsed().as_secs_f64() * 1e6 / 500.0);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratios: Vec<f64> = raw_us.iter().zip(&ver_us).map(|(r, v)| v / r).collect();
    let (r, vv) = (median(&mut raw_us), median(&mut ver_us));
    eprintln!(
        "interleaved, 30 rounds of 500: raw ES256 verify {r:.2} µs, verify_cached {vv:.2} µs, median per-round ratio {:.3}",
        median(&mut ratios.clone())
    );

    let mut g = c.benchmark_group("verifier");
    g.throughput(Throughput::Elements(1));
    g.bench_function("es256_raw_verify", |b| {
        b.iter(|| {
            raw.verify_sig(black_box(&signing_input), black_box(&signature))
                .expect("verify")
        })
    });
    g.bench_function("verify_cached", |b| {
        b.iter(|| v.verify_cached(black_box(&token)).expect("valid"))
    });
    g.bench_function("verify_for_portal_async", |b| {
        b.iter(|| {
            rt.block_on(v.verify_for_portal(black_box(&token), "hopo"))
                .expect("valid")
        })
    });
    // What not caching the parsed key would cost: parse the JWKS document
    // and the key for every token.
    g.bench_function("parse_jwks_then_verify", |b| {
        b.iter(|| {
            let set: JwkSet = serde_json::from_str(black_box(&jwks_json)).expect("jwks");
            let v = Verifier::from_jwks(VerifierConfig::new(ISSUER).audience("hopo"), &set)
                .expect("verifier");
            v.verify_cached(black_box(&token)).expect("valid")
        })
    });
    g.finish();
}

criterion_group! {
    name = verifier;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(verifier);
