//! The request read back by an independent parser (yasna, in the test
//! responder) and every check of a response, against responses that the
//! test responder signs.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384,
};

use super::*;
use crate::identity::card::cert::read_ca;

#[path = "../../../../tests/it/common/ocsp.rs"]
mod responder;

use responder::{Answer, SHA1, SHA256, Status};

const NOW: i64 = 1_800_000_000;
const SERIAL: &[u8] = &[0x4c, 0x00, 0x01];
const NONCE_SENT: [u8; 16] = [7; 16];

struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    der: Vec<u8>,
    key: Vec<u8>,
    facts: CaFacts,
}

fn at(t: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t).unwrap()
}

/// A card CA like the test PKI's: ECDSA P-384.
fn ca(cn: &str) -> Ca {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
    let pkcs8 = key.serialize_der();
    let issuer = CertifiedIssuer::self_signed(p, key).unwrap();
    let der = issuer.der().to_vec();
    let facts = read_ca(&der).unwrap();
    Ca {
        issuer,
        der,
        key: pkcs8,
        facts,
    }
}

/// A responder certificate issued by `ca`, with id-kp-OCSPSigning or not:
/// (certificate DER, PKCS#8 key).
fn delegate(ca: &Ca, ocsp_signing: bool) -> (Vec<u8>, Vec<u8>) {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "Test OCSP responder");
    if ocsp_signing {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
    }
    p.not_before = at(NOW - 86_400);
    p.not_after = at(NOW + 86_400);
    let cert = p.signed_by(&key, &ca.issuer).unwrap();
    (cert.der().to_vec(), key.serialize_der())
}

fn answer(ca: &Ca, status: Status) -> Answer {
    Answer {
        cert_id: responder::cert_id(SHA1, &ca.der, SERIAL),
        status,
        this_update: NOW - 60,
        next_update: Some(NOW + 3600),
        nonce: Some(NONCE_SENT.to_vec()),
    }
}

fn check(ca: &Ca, der: &[u8]) -> Result<Checked, String> {
    check_response(
        der,
        &Expected {
            ca: &ca.facts,
            serial: SERIAL,
            nonce: &NONCE_SENT,
            now: NOW,
            skew: 300,
            max_age: 3600,
        },
    )
}

fn signed(ca: &Ca, a: &Answer) -> Vec<u8> {
    responder::sign(a, &responder::Signer::new(&ca.key, Vec::new()), NOW)
}

#[test]
fn the_request_reads_back_as_written() {
    let ca = ca("Card CA");
    for serial in [SERIAL, &[0x00, 0x80, 0x01][..], &[0x01][..]] {
        let id = CertId::new(HashAlg::Sha1, &ca.facts, serial).unwrap();
        // The CertID is byte for byte what an independent encoder writes.
        assert_eq!(id.to_der(), responder::cert_id(SHA1, &ca.der, serial));
        let nonce = new_nonce().unwrap();
        let req = responder::parse_request(&request_der(&id, &nonce)).unwrap();
        let (name, key) = responder::issuer_parts(&ca.der);
        assert_eq!(req.hash_oid, SHA1);
        assert_eq!(req.name_hash, responder::hash(SHA1, &name));
        assert_eq!(req.key_hash, responder::hash(SHA1, &key));
        assert_eq!(req.name_hash.len(), 20);
        assert_eq!(req.serial, serial);
        assert_eq!(req.nonce.as_deref(), Some(&nonce[..]));
    }
    assert_ne!(new_nonce().unwrap(), new_nonce().unwrap());
}

#[test]
fn good_revoked_and_unknown_are_read() {
    let ca = ca("Card CA");
    let good = check(&ca, &signed(&ca, &answer(&ca, Status::Good))).unwrap();
    assert_eq!(good.status, SingleStatus::Good);
    assert_eq!(good.signer, Signer::Ca);
    assert!(good.nonce_echoed);
    assert_eq!(
        (good.this_update, good.next_update),
        (NOW - 60, Some(NOW + 3600))
    );
    let revoked = check(&ca, &signed(&ca, &answer(&ca, Status::Revoked))).unwrap();
    assert_eq!(
        revoked.status,
        SingleStatus::Revoked {
            at: NOW - 60 - 86_400
        }
    );
    let unknown = check(&ca, &signed(&ca, &answer(&ca, Status::Unknown))).unwrap();
    assert_eq!(unknown.status, SingleStatus::Unknown);
}

#[test]
fn a_sha256_cert_id_is_understood() {
    let ca = ca("Card CA");
    let mut a = answer(&ca, Status::Revoked);
    a.cert_id = responder::cert_id(SHA256, &ca.der, SERIAL);
    let c = check(&ca, &signed(&ca, &a)).unwrap();
    assert!(matches!(c.status, SingleStatus::Revoked { .. }));
}

#[test]
fn a_forged_or_tampered_response_is_refused() {
    let ca = ca("Card CA");
    let a = answer(&ca, Status::Good);
    let err = check(
        &ca,
        &responder::sign(&a, &responder::Signer::stranger(), NOW),
    )
    .unwrap_err();
    assert!(err.contains("signed neither"), "{err}");
    // The same CA name with another key.
    let impostor = self::ca("Card CA");
    let err = check(&ca, &signed(&impostor, &a)).unwrap_err();
    assert!(err.contains("signed neither"), "{err}");
    // Good turned into revoked... or rather revoked turned into good:
    // the status byte [1] (0xa1) cannot be swapped without breaking the
    // signature, so flip a bit of thisUpdate's text instead.
    let mut der = signed(&ca, &a);
    let year = format!("{}", at(NOW - 60).year());
    let pos = der.windows(4).rposition(|w| w == year.as_bytes()).unwrap();
    der[pos + 3] ^= 0x01;
    let err = check(&ca, &der).unwrap_err();
    assert!(err.contains("signed neither"), "{err}");
    assert!(check(&ca, b"junk").is_err());
    assert!(check(&ca, &[]).is_err());
}

#[test]
fn unsuccessful_answers_name_their_status() {
    let ca = ca("Card CA");
    for (status, name) in [
        (1, "malformedRequest"),
        (2, "internalError"),
        (3, "tryLater"),
        (6, "unauthorized"),
    ] {
        let err = check(&ca, &responder::unsuccessful(status)).unwrap_err();
        assert!(err.contains(name), "{err}");
    }
}

#[test]
fn stale_and_future_answers_are_refused() {
    let ca = ca("Card CA");
    let mut a = answer(&ca, Status::Good);
    a.this_update = NOW - 2 * 86_400;
    a.next_update = Some(NOW - 86_400);
    let err = check(&ca, &signed(&ca, &a)).unwrap_err();
    assert!(err.contains("stale"), "{err}");
    // Within the tolerated skew it is still current.
    a.next_update = Some(NOW - 200);
    assert!(check(&ca, &signed(&ca, &a)).is_ok());
    a.this_update = NOW + 1000;
    a.next_update = Some(NOW + 5000);
    let err = check(&ca, &signed(&ca, &a)).unwrap_err();
    assert!(err.contains("future"), "{err}");
    // Without nextUpdate, thisUpdate may be at most max_age old.
    a.next_update = None;
    a.this_update = NOW - 3000;
    assert!(check(&ca, &signed(&ca, &a)).is_ok());
    a.this_update = NOW - 4000;
    let err = check(&ca, &signed(&ca, &a)).unwrap_err();
    assert!(err.contains("stale"), "{err}");
}

#[test]
fn a_foreign_nonce_is_refused_and_a_missing_one_accepted() {
    let ca = ca("Card CA");
    let mut a = answer(&ca, Status::Good);
    a.nonce = Some(vec![0x42; 16]);
    let err = check(&ca, &signed(&ca, &a)).unwrap_err();
    assert!(err.contains("nonce"), "{err}");
    a.nonce = None;
    let c = check(&ca, &signed(&ca, &a)).unwrap();
    assert!(!c.nonce_echoed);
}

#[test]
fn an_answer_about_another_certificate_is_refused() {
    let ca = ca("Card CA");
    let mut a = answer(&ca, Status::Good);
    a.cert_id = responder::cert_id(SHA1, &ca.der, &[0x4c, 0x00, 0x02]);
    let err = check(&ca, &signed(&ca, &a)).unwrap_err();
    assert!(err.contains("no answer for serial 4c0001"), "{err}");
    // The right serial of another CA, signed by ours.
    let other = self::ca("Other CA");
    a.cert_id = responder::cert_id(SHA1, &other.der, SERIAL);
    let err = check(&ca, &signed(&ca, &a)).unwrap_err();
    assert!(err.contains("no answer"), "{err}");
}

#[test]
fn a_delegated_responder_must_be_authorised_by_the_ca() {
    let ca = ca("Card CA");
    let a = answer(&ca, Status::Good);
    let (cert, key) = delegate(&ca, true);
    let der = responder::sign(&a, &responder::Signer::new(&key, vec![cert]), NOW);
    let c = check(&ca, &der).unwrap();
    assert_eq!(c.signer, Signer::Delegated("CN=Test OCSP responder".into()));
    // Without id-kp-OCSPSigning.
    let (cert, key) = delegate(&ca, false);
    let der = responder::sign(&a, &responder::Signer::new(&key, vec![cert]), NOW);
    let err = check(&ca, &der).unwrap_err();
    assert!(err.contains("OCSPSigning"), "{err}");
    // Issued by another CA of the same name.
    let impostor = self::ca("Card CA");
    let (cert, key) = delegate(&impostor, true);
    let der = responder::sign(&a, &responder::Signer::new(&key, vec![cert]), NOW);
    let err = check(&ca, &der).unwrap_err();
    assert!(err.contains("its certificate"), "{err}");
    // Valid once, expired now.
    let (cert, key) = delegate(&ca, true);
    let der = responder::sign(&a, &responder::Signer::new(&key, vec![cert]), NOW);
    let later = check_response(
        &der,
        &Expected {
            ca: &ca.facts,
            serial: SERIAL,
            nonce: &NONCE_SENT,
            now: NOW + 2 * 86_400,
            skew: 300,
            max_age: 3600,
        },
    )
    .unwrap_err();
    assert!(later.contains("not valid now"), "{later}");
}
