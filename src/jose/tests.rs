//! The published examples (RFC 7516 Appendix A, RFC 7518 Appendix C) and
//! the refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

use super::jwe::{self, concat_kdf, open, seal};
use super::*;
use crate::crypto::{b64url, b64url_decode};

fn d(s: &str) -> Vec<u8> {
    b64url_decode(s).unwrap()
}

fn rsa_pkcs8() -> Vec<u8> {
    let k = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&k)
        .unwrap()
        .as_ref()
        .to_vec()
}

fn p256_pkcs8() -> Vec<u8> {
    EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .unwrap()
        .as_ref()
        .to_vec()
}

/// RFC 7516 A.1: the content layer of the RSA-OAEP + A256GCM example, with
/// the example's CEK and IV (RSA-OAEP with SHA-1 is not accepted here, so
/// the key layer is shown by the round trips below).
#[test]
fn rfc7516_a1_a256gcm() {
    let protected = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ";
    let cek = [
        177, 161, 244, 128, 84, 143, 225, 115, 63, 180, 3, 255, 107, 154, 212, 246, 138, 7, 110,
        91, 112, 46, 34, 105, 47, 130, 203, 46, 122, 234, 64, 252,
    ];
    let iv = d("48V1_ALb6US04U3b");
    let plaintext = b"The true sign of intelligence is not knowledge but imagination.";
    let ct = "5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A";
    let tag = "XFBoMYUZodetZdvTiFvSkQ";
    let (c, t) = seal(
        ContentEnc::A256GCM,
        &cek,
        &iv,
        protected.as_bytes(),
        plaintext,
    )
    .unwrap();
    assert_eq!((b64url(&c).as_str(), b64url(&t).as_str()), (ct, tag));
    let opened = open(
        ContentEnc::A256GCM,
        &cek,
        &iv,
        protected.as_bytes(),
        &d(ct),
        &d(tag),
    )
    .unwrap();
    assert_eq!(opened, plaintext);
    // One bit of the AAD (the protected header) changed: refused.
    let other = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifR";
    assert_eq!(
        open(
            ContentEnc::A256GCM,
            &cek,
            &iv,
            other.as_bytes(),
            &d(ct),
            &d(tag)
        ),
        Err(JoseError::Decrypt)
    );
}

const A2_CEK: [u8; 32] = [
    4, 211, 31, 197, 84, 157, 252, 254, 11, 100, 157, 250, 63, 170, 106, 206, 107, 124, 212, 45,
    111, 107, 9, 219, 200, 177, 0, 240, 143, 156, 44, 207,
];

/// RFC 7516 A.2 and A.3: A128CBC-HS256 with the examples' CEK and IV, under
/// the two examples' protected headers (different AAD, different tag).
#[test]
fn rfc7516_a2_a3_a128cbc_hs256() {
    let iv = d("AxY8DCtDaGlsbGljb3RoZQ");
    let ct = "KDlTtXchhZTGufMYmOYGS4HffxPSUrfmqCHXaI9wOGY";
    for (protected, tag) in [
        (
            "eyJhbGciOiJSU0ExXzUiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0",
            "9hH0vgRfYgPnAHOd8stkvw",
        ),
        (
            "eyJhbGciOiJBMTI4S1ciLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0",
            "U0m_YmjN04DJvceFICbCVQ",
        ),
    ] {
        let (c, t) = seal(
            ContentEnc::A128CBC_HS256,
            &A2_CEK,
            &iv,
            protected.as_bytes(),
            b"Live long and prosper.",
        )
        .unwrap();
        assert_eq!((b64url(&c).as_str(), b64url(&t).as_str()), (ct, tag));
        let opened = open(
            ContentEnc::A128CBC_HS256,
            &A2_CEK,
            &iv,
            protected.as_bytes(),
            &d(ct),
            &d(tag),
        )
        .unwrap();
        assert_eq!(opened, b"Live long and prosper.");
        let mut bad_tag = d(tag);
        bad_tag[15] ^= 1;
        assert_eq!(
            open(
                ContentEnc::A128CBC_HS256,
                &A2_CEK,
                &iv,
                protected.as_bytes(),
                &d(ct),
                &bad_tag
            ),
            Err(JoseError::Decrypt)
        );
    }
}

/// RFC 7518 Appendix C: ECDH-ES between the example's ephemeral key
/// (Alice) and the recipient's key (Bob) gives the published key, on the
/// recipient's side through the same path a JWE takes.
#[test]
fn rfc7518_c_ecdh_es() {
    let bob_d = d("VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw");
    let bob = aws_lc_rs::agreement::PrivateKey::from_private_key(
        &aws_lc_rs::agreement::ECDH_P256,
        &bob_d,
    )
    .unwrap();
    let bob_pub = bob.compute_public_key().unwrap();
    assert_eq!(
        b64url(&bob_pub.as_ref()[1..33]),
        "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ"
    );
    let alice = Jwk {
        kty: "EC".into(),
        kid: None,
        use_: None,
        alg: None,
        n: None,
        e: None,
        crv: Some("P-256".into()),
        x: Some("gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0".into()),
        y: Some("SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps".into()),
    };
    let derived = aws_lc_rs::agreement::agree(
        &bob,
        aws_lc_rs::agreement::UnparsedPublicKey::new(
            &aws_lc_rs::agreement::ECDH_P256,
            alice.ec_point("P-256").unwrap(),
        ),
        (),
        |z| Ok(concat_kdf(z, "A128GCM", b"Alice", b"Bob", 16)),
    )
    .unwrap();
    assert_eq!(b64url(derived), "VqqN6vgjbSBcIijNcacQGg");
}

fn jws_keys(k: &SigningKey) -> JwkSet {
    JwkSet {
        keys: vec![k.jwk.clone()],
    }
}

#[test]
fn round_trips_every_accepted_pair() {
    let rsa = DecryptionKey::from_pkcs8(&rsa_pkcs8()).unwrap();
    let ec = DecryptionKey::from_pkcs8(&p256_pkcs8()).unwrap();
    assert_eq!(rsa.jwk.use_.as_deref(), Some("enc"));
    let keys = [rsa, ec];
    for (key, alg) in [(&keys[0], KeyAlg::RsaOaep256), (&keys[1], KeyAlg::EcdhEs)] {
        for enc in ContentEnc::ALL {
            let t = jwe::encrypt(b"inner.jws.token", &key.jwk, alg, enc, Some("JWT")).unwrap();
            assert!(jwe::is_jwe(&t));
            let out = jwe::decrypt(&t, &keys, &KeyAlg::ALL, &ContentEnc::ALL).unwrap();
            assert_eq!(out.plaintext, b"inner.jws.token", "{alg:?} {enc:?}");
            assert_eq!(out.header.cty.as_deref(), Some("JWT"));
        }
    }
}

#[test]
fn hostile_jwe_is_refused() {
    let ours = DecryptionKey::from_pkcs8(&rsa_pkcs8()).unwrap();
    let other = DecryptionKey::from_pkcs8(&rsa_pkcs8()).unwrap();
    let ec = DecryptionKey::from_pkcs8(&p256_pkcs8()).unwrap();
    let keys = [ours];
    let all = |t: &str| jwe::decrypt(t, &keys, &KeyAlg::ALL, &ContentEnc::ALL);
    let t = jwe::encrypt(
        b"x",
        &keys[0].jwk,
        KeyAlg::RsaOaep256,
        ContentEnc::A256GCM,
        None,
    )
    .unwrap();
    assert!(all(&t).is_ok());

    // To another key whose kid we do not know; to it with our kid put in.
    let to_other = jwe::encrypt(
        b"x",
        &other.jwk,
        KeyAlg::RsaOaep256,
        ContentEnc::A256GCM,
        None,
    )
    .unwrap();
    assert!(matches!(all(&to_other), Err(JoseError::UnknownKey(_))));
    let mut forged = other.jwk.clone();
    forged.kid = keys[0].jwk.kid.clone();
    let to_other =
        jwe::encrypt(b"x", &forged, KeyAlg::RsaOaep256, ContentEnc::A256GCM, None).unwrap();
    assert_eq!(all(&to_other).unwrap_err(), JoseError::Decrypt);

    // Every part tampered with.
    let parts: Vec<&str> = t.split('.').collect();
    for i in 1..5 {
        let mut p = parts.clone();
        let mut bytes = d(p[i]);
        bytes[0] ^= 0x80;
        let changed = b64url(&bytes);
        p[i] = &changed;
        assert!(all(&p.join(".")).is_err(), "part {i} tampered");
    }
    // A header changed (kid kept): the AAD no longer matches.
    let mut h: serde_json::Value = serde_json::from_slice(&d(parts[0])).unwrap();
    h["typ"] = "JWT".into();
    let p = [
        &b64url(h.to_string()),
        parts[1],
        parts[2],
        parts[3],
        parts[4],
    ]
    .map(|s| s.to_string());
    assert_eq!(all(&p.join(".")).unwrap_err(), JoseError::Decrypt);

    // crit, zip, an algorithm not accepted, RSA1_5 and dir.
    for (member, value) in [
        ("crit", serde_json::json!(["exp"])),
        ("zip", serde_json::json!("DEF")),
        ("alg", serde_json::json!("RSA1_5")),
        ("alg", serde_json::json!("dir")),
        ("enc", serde_json::json!("A192GCM")),
    ] {
        let mut h: serde_json::Value = serde_json::from_slice(&d(parts[0])).unwrap();
        h[member] = value;
        let p = [
            &b64url(h.to_string()),
            parts[1],
            parts[2],
            parts[3],
            parts[4],
        ]
        .map(|s| s.to_string());
        assert!(all(&p.join(".")).is_err(), "{member}");
    }
    assert!(matches!(
        jwe::decrypt(&t, &keys, &[KeyAlg::EcdhEs], &ContentEnc::ALL),
        Err(JoseError::Algorithm(_))
    ));
    assert!(matches!(
        jwe::decrypt(&t, &keys, &KeyAlg::ALL, &[ContentEnc::A128CBC_HS256]),
        Err(JoseError::Algorithm(_))
    ));

    // ECDH-ES: an ephemeral key off the curve, and an encrypted key where
    // there must be none.
    let keys = [ec];
    let t = jwe::encrypt(
        b"x",
        &keys[0].jwk,
        KeyAlg::EcdhEs,
        ContentEnc::A256GCM,
        None,
    )
    .unwrap();
    let parts: Vec<&str> = t.split('.').collect();
    let mut h: serde_json::Value = serde_json::from_slice(&d(parts[0])).unwrap();
    h["epk"]["y"] = b64url([1u8; 32]).into();
    let p = [
        &b64url(h.to_string()),
        parts[1],
        parts[2],
        parts[3],
        parts[4],
    ]
    .map(|s| s.to_string());
    let ec_all = |t: &str| jwe::decrypt(t, &keys, &KeyAlg::ALL, &ContentEnc::ALL);
    assert!(ec_all(&p.join(".")).is_err());
    let p = [parts[0], "AAAA", parts[2], parts[3], parts[4]].join(".");
    assert!(ec_all(&p).is_err());
    assert!(ec_all(&t).is_ok());
}

#[test]
fn jws_signs_and_verifies() {
    for der in [rsa_pkcs8(), p256_pkcs8()] {
        let k = SigningKey::from_pkcs8(&der).unwrap();
        let t = k.sign(Some("JWT"), br#"{"a":1}"#).unwrap();
        let v = jws::verify(&t, &jws_keys(&k), &SigAlg::ALL).unwrap();
        assert_eq!(v.payload, br#"{"a":1}"#);
        assert_eq!(v.header.kid.as_deref(), Some(k.kid()));
    }
}

#[test]
fn hostile_jws_is_refused() {
    let k = SigningKey::from_pkcs8(&rsa_pkcs8()).unwrap();
    let other = SigningKey::from_pkcs8(&rsa_pkcs8()).unwrap();
    let keys = jws_keys(&k);
    let t = k.sign(Some("JWT"), br#"{"a":1}"#).unwrap();
    let parts: Vec<&str> = t.split('.').collect();
    let with_header =
        |h: serde_json::Value, sig: &str| format!("{}.{}.{sig}", b64url(h.to_string()), parts[1]);
    // alg none, with and without a signature.
    let none = serde_json::json!({"alg": "none", "kid": k.kid()});
    assert!(matches!(
        jws::verify(&with_header(none.clone(), ""), &keys, &SigAlg::ALL),
        Err(JoseError::Algorithm(_))
    ));
    assert!(matches!(
        jws::verify(&with_header(none, parts[2]), &keys, &SigAlg::ALL),
        Err(JoseError::Algorithm(_))
    ));
    // HS256 with the public key as the secret (algorithm confusion).
    let hs = serde_json::json!({"alg": "HS256", "kid": k.kid()});
    assert!(matches!(
        jws::verify(&with_header(hs, parts[2]), &keys, &SigAlg::ALL),
        Err(JoseError::Algorithm(_))
    ));
    // An algorithm the caller does not accept.
    assert!(matches!(
        jws::verify(&t, &keys, &[SigAlg::ES256]),
        Err(JoseError::Algorithm(_))
    ));
    // An unknown kid; signed by another key under our kid.
    let unknown = other.sign(None, br#"{"a":1}"#).unwrap();
    assert!(matches!(
        jws::verify(&unknown, &keys, &SigAlg::ALL),
        Err(JoseError::UnknownKey(_))
    ));
    let mut forged_keys = jws_keys(&other);
    forged_keys.keys[0].kid = Some(k.kid().to_string());
    assert_eq!(
        jws::verify(&t, &forged_keys, &SigAlg::ALL).unwrap_err(),
        JoseError::Signature
    );
    // crit; a payload changed; a key marked for encryption.
    let crit = serde_json::json!({"alg": "RS256", "kid": k.kid(), "crit": ["b64"]});
    assert_eq!(
        jws::verify(&with_header(crit, parts[2]), &keys, &SigAlg::ALL).unwrap_err(),
        JoseError::Critical
    );
    let changed = format!("{}.{}.{}", parts[0], b64url(br#"{"a":2}"#), parts[2]);
    assert_eq!(
        jws::verify(&changed, &keys, &SigAlg::ALL).unwrap_err(),
        JoseError::Signature
    );
    let mut enc_keys = keys.clone();
    enc_keys.keys[0].use_ = Some("enc".into());
    assert!(matches!(
        jws::verify(&t, &enc_keys, &SigAlg::ALL),
        Err(JoseError::UnknownKey(_))
    ));
    assert!(jws::verify(&t, &keys, &SigAlg::ALL).is_ok());
}

#[test]
fn thumbprint_is_rfc7638() {
    // RFC 7638 §3.1's example key and thumbprint.
    let k = Jwk {
        kty: "RSA".into(),
        kid: None,
        use_: None,
        alg: None,
        n: Some("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into()),
        e: Some("AQAB".into()),
        crv: None,
        x: None,
        y: None,
    };
    assert_eq!(
        k.thumbprint().unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

/// Random changes to a valid JWE and to a valid JWS — a character replaced,
/// removed or added anywhere, parts dropped or repeated — are every one
/// refused, and never panic. Deterministic (a fixed xorshift seed).
#[test]
fn hostile_random_mutations_are_refused_without_panic() {
    let dec = DecryptionKey::from_pkcs8(&p256_pkcs8()).unwrap();
    let sig = SigningKey::from_pkcs8(&p256_pkcs8()).unwrap();
    let keys = [dec];
    let set = jws_keys(&sig);
    let inner = sig.sign(Some("JWT"), br#"{"sub":"s"}"#).unwrap();
    let jwe = jwe::encrypt(
        inner.as_bytes(),
        &keys[0].jwk,
        KeyAlg::EcdhEs,
        ContentEnc::A128CBC_HS256,
        Some("JWT"),
    )
    .unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    const ALPHABET: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
    let mut refused = 0;
    for round in 0..3000 {
        let (original, is_jwe) = if round % 2 == 0 {
            (&jwe, true)
        } else {
            (&inner, false)
        };
        let mut t: Vec<u8> = original.as_bytes().to_vec();
        match next(4) {
            0 => {
                let i = next(t.len());
                let c = ALPHABET[next(ALPHABET.len())];
                if t[i] == c {
                    continue;
                }
                t[i] = c;
            }
            1 => {
                t.remove(next(t.len()));
            }
            2 => t.insert(next(t.len() + 1), ALPHABET[next(ALPHABET.len())]),
            _ => {
                let parts: Vec<&[u8]> = original.as_bytes().split(|b| *b == b'.').collect();
                let i = next(parts.len());
                let mut p = parts.clone();
                if next(2) == 0 {
                    p.remove(i);
                } else {
                    p.insert(i, parts[i]);
                }
                t = p.join(&b'.');
            }
        }
        let Ok(t) = String::from_utf8(t) else {
            continue;
        };
        if t == *original {
            continue;
        }
        let refused_here = if is_jwe {
            jwe::decrypt(&t, &keys, &KeyAlg::ALL, &ContentEnc::ALL).is_err()
        } else {
            jws::verify(&t, &set, &SigAlg::ALL).is_err()
        };
        assert!(refused_here, "a changed token was accepted: {t}");
        refused += 1;
    }
    assert!(refused > 2500, "{refused}");
    println!("hostile inputs refused: {refused}");
}
