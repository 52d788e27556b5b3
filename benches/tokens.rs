//! Token issuance and offline validation, beside the raw ES256 sign and
//! verify rate of the same machine in the same run, so the overhead of
//! claims, JSON and base64 over the signature itself can be read off.
//!
//! Run with `cargo bench --bench tokens`. See docs/performance.md.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    ParsedPublicKey,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use porttivahti::domain::{AccountStatus, AuthMethod, LoA, Network, OrgKind, Role};
use porttivahti::oidc::TokenResponse;
use porttivahti::store::sql::SqliteDirectory;
use porttivahti::store::{Account, Membership, Organisation};
use porttivahti::tokens::claims::{
    AccessTokenClaims, IdTokenClaims, Person, acr, amr, person_claims,
};
use porttivahti::tokens::jwt::{self, Audience, Expect, TokenType};
use porttivahti::tokens::keyring::{JwkSet, KeySet, VerifyingKey, verifying_keys_from_jwks};
use porttivahti::tokens::{Keyring, random_token};

const ISSUER: &str = "https://porttivahti.example.fi";
const CLIENT: &str = "demo-portal";
const PORTAL: &str = "hopo";

/// A person like the demo account anna.hoitaja: one organisation, one
/// network, profile and email scopes.
fn person() -> Person {
    let account = Account {
        id: "q3Zb9kT1xY0aLm2N".into(),
        username: "anna.hoitaja".into(),
        given_name: "Anna".into(),
        family_name: "Hoitaja".into(),
        email: Some("anna.hoitaja@example.fi".into()),
        phone: None,
        title: Some("sairaanhoitaja".into()),
        status: AccountStatus::Active,
        status_reason: None,
        must_change_password: false,
        failed_logins: 0,
        created_at: 1_700_000_000,
        last_login_at: Some(1_700_000_000),
        managed_by: None,
        external_id: None,
        updated_at: None,
    };
    let org = Organisation {
        id: "jkl-terveys".into(),
        oid: "1.2.246.10.208153.10.0".parse().expect("oid"),
        business_id: "0208153-7".parse().expect("business id"),
        name_fi: "Jyväskylän terveyskeskus (demo)".into(),
        name_sv: "Jyväskylä hälsocentral (demo)".into(),
        kind: OrgKind::HealthCentre,
        municipality: Some("Jyväskylä".into()),
        networks: vec![Network::Intermetso, Network::Sonette],
    };
    Person {
        memberships: vec![Membership {
            account_id: account.id.clone(),
            org_id: org.id.clone(),
            network: Network::Intermetso,
            role: Role::Member,
        }],
        account,
        organisations: vec![org],
        profile: None,
    }
}

/// What `sso::issue` does for an authorization-code or refresh grant once
/// the stores have answered: claims for both tokens, two signatures, and
/// the JSON response body.
fn issue_user_tokens(keys: &KeySet, person: &Person, scope: &[String], now: i64) -> Vec<u8> {
    let portals = vec![PORTAL.to_string(), "intermetso".to_string()];
    let claims = person_claims(person, scope, portals);
    let methods = [AuthMethod::Password];
    let sid = "sid-0123456789abcdef";
    let id = IdTokenClaims {
        iss: ISSUER.into(),
        sub: person.account.id.clone(),
        aud: Audience::One(CLIENT.into()),
        azp: CLIENT.into(),
        exp: now + 300,
        iat: now,
        auth_time: now - 60,
        nonce: None,
        acr: acr(LoA::Low),
        amr: amr(&methods),
        sid: sid.into(),
        card_type: None,
        person: claims.clone(),
    };
    let family = random_token(16);
    let at = AccessTokenClaims {
        iss: ISSUER.into(),
        sub: person.account.id.clone(),
        aud: Audience::One(PORTAL.into()),
        exp: now + 300,
        iat: now,
        jti: format!("{family}.{}", random_token(9)),
        client_id: CLIENT.into(),
        scope: scope.join(" "),
        auth_time: Some(now - 60),
        acr: Some(acr(LoA::Low)),
        amr: Some(amr(&methods)),
        sid: Some(sid.into()),
        card_type: None,
        portals: claims.portals,
        organisations: claims.organisations,
        authorities: Vec::new(),
    };
    let resp = TokenResponse {
        access_token: jwt::encode(&keys.signing, TokenType::AccessToken, &at).expect("encode"),
        token_type: "Bearer",
        expires_in: 300,
        id_token: Some(jwt::encode(&keys.signing, TokenType::Jwt, &id).expect("encode")),
        refresh_token: Some(format!("{family}.{}", random_token(32))),
        scope: scope.join(" "),
    };
    serde_json::to_vec(&resp).expect("json")
}

/// What `sso::client_credentials` does: one access token, one signature.
fn issue_client_credentials(keys: &KeySet, now: i64) -> Vec<u8> {
    let at = AccessTokenClaims {
        iss: ISSUER.into(),
        sub: "hopo-backend".into(),
        aud: Audience::One("hopo-api".into()),
        exp: now + 300,
        iat: now,
        jti: random_token(16),
        client_id: "hopo-backend".into(),
        scope: String::new(),
        auth_time: None,
        acr: None,
        amr: None,
        sid: None,
        card_type: None,
        portals: Vec::new(),
        organisations: Vec::new(),
        authorities: Vec::new(),
    };
    let resp = TokenResponse {
        access_token: jwt::encode(&keys.signing, TokenType::AccessToken, &at).expect("encode"),
        token_type: "Bearer",
        expires_in: 300,
        id_token: None,
        refresh_token: None,
        scope: String::new(),
    };
    serde_json::to_vec(&resp).expect("json")
}

/// Length of the JWS signing input (`header.payload`) of a compact token.
fn signing_input_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
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
    let person = person();
    let scope: Vec<String> = ["openid", "profile", "email"].map(String::from).to_vec();

    // A relying service's view: keys from the published JWKS document.
    let jwks: JwkSet = serde_json::from_str(&keys.jwks_json).expect("jwks");
    let rs_keys: Vec<VerifyingKey> = verifying_keys_from_jwks(&jwks);

    // Tokens to validate, and their sizes (the raw benchmark signs a
    // message of about the same length).
    let body: serde_json::Value =
        serde_json::from_slice(&issue_user_tokens(&keys, &person, &scope, now)).expect("json");
    let access_token = body["access_token"].as_str().expect("at").to_string();
    let id_token = body["id_token"].as_str().expect("id").to_string();
    let cc_body: serde_json::Value =
        serde_json::from_slice(&issue_client_credentials(&keys, now)).expect("json");
    let cc_token = cc_body["access_token"].as_str().expect("at").to_string();
    eprintln!(
        "signing input bytes: user access token {}, ID token {}, client-credentials access token {}",
        signing_input_len(&access_token),
        signing_input_len(&id_token),
        signing_input_len(&cc_token),
    );

    // Raw ES256: a key parsed once, a 600-byte message, fixed (r||s)
    // signatures as JWS uses them.
    let raw_pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("key");
    let raw_pub = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, raw_pair.public_key().as_ref())
        .expect("public key");
    let rng = SystemRandom::new();
    let message = vec![b'e'; 600];
    let raw_sig = raw_pair.sign(&rng, &message).expect("sign");

    let mut g = c.benchmark_group("es256_raw");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign_600B", |b| {
        b.iter(|| raw_pair.sign(&rng, black_box(&message)).expect("sign"))
    });
    g.bench_function("verify_600B", |b| {
        b.iter(|| {
            raw_pub
                .verify_sig(black_box(&message), black_box(raw_sig.as_ref()))
                .expect("verify")
        })
    });
    g.finish();

    let mut g = c.benchmark_group("issue");
    g.throughput(Throughput::Elements(1));
    g.bench_function("user_grant_id_and_access_token", |b| {
        b.iter(|| issue_user_tokens(&keys, black_box(&person), &scope, now))
    });
    g.bench_function("client_credentials_access_token", |b| {
        b.iter(|| issue_client_credentials(&keys, black_box(now)))
    });
    g.finish();

    let expect_at = Expect {
        issuer: ISSUER,
        audience: Some(PORTAL),
        typ: TokenType::AccessToken,
        now,
        allow_expired: false,
        leeway: 30,
    };
    let expect_id = Expect {
        issuer: ISSUER,
        audience: Some(CLIENT),
        typ: TokenType::Jwt,
        now,
        allow_expired: false,
        leeway: 30,
    };
    // Sanity: the tokens validate before we time it.
    jwt::verify::<AccessTokenClaims>(&access_token, rs_keys.as_slice(), &expect_at)
        .expect("access token validates");
    jwt::verify::<IdTokenClaims>(&id_token, rs_keys.as_slice(), &expect_id)
        .expect("ID token validates");

    let mut g = c.benchmark_group("validate_offline");
    g.throughput(Throughput::Elements(1));
    g.bench_function("access_token", |b| {
        b.iter(|| {
            jwt::verify::<AccessTokenClaims>(
                black_box(&access_token),
                rs_keys.as_slice(),
                &expect_at,
            )
            .expect("valid")
        })
    });
    g.bench_function("id_token", |b| {
        b.iter(|| {
            jwt::verify::<IdTokenClaims>(black_box(&id_token), rs_keys.as_slice(), &expect_id)
                .expect("valid")
        })
    });
    g.finish();
}

criterion_group! {
    name = tokens;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(tokens);
