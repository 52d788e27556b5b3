//! CMS against signatures OpenSSL made (`openssl cms -sign -md sha256`,
//! testdata/) and against our own builder.

use super::*;

const DATA: &[u8] = include_bytes!("testdata/data.txt");
const EC_ATTACHED: &[u8] = include_bytes!("testdata/ec-attached.p7s");
const RSA_DETACHED: &[u8] = include_bytes!("testdata/rsa-detached.p7s");

fn check(p7: &[u8], data: &[u8]) -> Result<Vec<u8>, CmsError> {
    parse(p7)?.verify(data).map(<[u8]>::to_vec)
}

fn subject_of(der: &[u8]) -> String {
    X509Certificate::from_der(der)
        .unwrap()
        .1
        .subject()
        .to_string()
}

fn position(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

#[test]
fn openssl_signatures_verify_over_the_data_sent() {
    let ec = check(EC_ATTACHED, DATA).unwrap();
    assert!(subject_of(&ec).contains("Test EC signer"));
    let rsa = check(RSA_DETACHED, DATA).unwrap();
    assert!(subject_of(&rsa).contains("Test RSA signer"));
}

#[test]
fn a_signature_over_other_data_is_refused() {
    let other = b"Porttivahti login 00000000";
    assert!(matches!(
        check(RSA_DETACHED, other),
        Err(CmsError::OtherData(_))
    ));
    assert!(matches!(
        check(EC_ATTACHED, other),
        Err(CmsError::OtherData(_))
    ));
}

#[test]
fn tampered_bytes_are_refused() {
    // The attached content changed (and the data we expect with it): the
    // messageDigest no longer matches.
    let mut p7 = EC_ATTACHED.to_vec();
    let at = position(&p7, b"8f2c1e0a");
    p7[at] = b'9';
    let mut data = DATA.to_vec();
    let at_data = position(&data, b"8f2c1e0a");
    data[at_data] = b'9';
    assert!(matches!(check(&p7, &data), Err(CmsError::OtherData(_))));
    // A signed attribute changed (signingTime): the signature breaks.
    for original in [EC_ATTACHED, RSA_DETACHED] {
        let mut p7 = original.to_vec();
        let at = position(&p7, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05]);
        // OID, SET header, UTCTime header, then the first digit.
        let digit = at + 9 + 2 + 2;
        p7[digit] = if p7[digit] == b'9' {
            b'8'
        } else {
            p7[digit] + 1
        };
        assert!(
            matches!(check(&p7, DATA), Err(CmsError::BadSignature(_))),
            "{:?}",
            check(&p7, DATA)
        );
    }
    // The signature itself changed.
    let mut p7 = RSA_DETACHED.to_vec();
    let last = p7.len() - 1;
    p7[last] ^= 1;
    assert!(matches!(check(&p7, DATA), Err(CmsError::BadSignature(_))));
    // Garbage and truncation.
    assert!(matches!(
        check(b"nonsense", DATA),
        Err(CmsError::Malformed(_))
    ));
    assert!(matches!(
        check(&RSA_DETACHED[..RSA_DETACHED.len() - 10], DATA),
        Err(CmsError::Malformed(_))
    ));
}

fn test_signer() -> (Vec<u8>, aws_lc_rs::signature::EcdsaKeyPair) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["signer.test".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let pair = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &key.serialize_der(),
    )
    .unwrap();
    (cert.der().to_vec(), pair)
}

#[test]
fn what_build_makes_verifies_and_only_over_its_content() {
    let (cert, pair) = test_signer();
    let sign = |m: &[u8]| -> Result<Vec<u8>, String> {
        pair.sign(&aws_lc_rs::rand::SystemRandom::new(), m)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| e.to_string())
    };
    let signer = Signer {
        certificate: &cert,
        sign: &sign,
    };
    for attach in [true, false] {
        let p7 = build(b"hello", &signer, attach).unwrap();
        assert_eq!(check(&p7, b"hello").unwrap(), cert);
        assert!(matches!(check(&p7, b"hellO"), Err(CmsError::OtherData(_))));
    }
    // Signed by another key than the certificate's.
    let (_, other) = test_signer();
    let wrong = |m: &[u8]| -> Result<Vec<u8>, String> {
        other
            .sign(&aws_lc_rs::rand::SystemRandom::new(), m)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| e.to_string())
    };
    let p7 = build(
        b"hello",
        &Signer {
            certificate: &cert,
            sign: &wrong,
        },
        false,
    )
    .unwrap();
    assert!(matches!(
        check(&p7, b"hello"),
        Err(CmsError::BadSignature(_))
    ));
}
