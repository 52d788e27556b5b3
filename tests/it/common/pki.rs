//! The test PKI of certificate-card login, made with rcgen: a root, a card
//! CA under it, a wrong CA beside it, and one card certificate of each
//! kind (and of each way a card can be wrong). Generated afresh relative
//! to a given time, so validity and CRL dates never go stale; the same
//! code writes the development files (`examples/test_pki.rs`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    CrlDistributionPoint, CustomExtension, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    PKCS_ECDSA_P384_SHA384, RevocationReason, RevokedCertParams, SerialNumber,
};
use time::OffsetDateTime;

/// Test policy OIDs of each card type (the real DVV OIDs are
/// configuration, to be confirmed against DVV's profile).
pub const POLICY_PROFESSIONAL: &str = "1.3.6.1.4.1.99999.517.1.1";
pub const POLICY_STAFF: &str = "1.3.6.1.4.1.99999.517.1.2";
pub const POLICY_OPERATOR: &str = "1.3.6.1.4.1.99999.517.1.3";
pub const POLICY_SUBSTITUTE: &str = "1.3.6.1.4.1.99999.517.1.4";
pub const POLICY_TEMPORARY: &str = "1.3.6.1.4.1.99999.517.1.5";
pub const POLICY_TEST: &str = "1.3.6.1.4.1.99999.517.1.6";
/// The subject attribute that carries the registration number in the test
/// certificates.
pub const REGISTRATION_ATTRIBUTE: &str = "1.3.6.1.4.1.99999.517.9";

const DAY: i64 = 86_400;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Usage {
    /// KeyUsage digitalSignature (critical), EKU clientAuth.
    ClientAuth,
    /// EKU emailProtection only.
    NoClientAuthEku,
    /// A non-critical KeyUsage with nonRepudiation only.
    NoDigitalSignature,
}

struct Spec {
    name: &'static str,
    satu: &'static str,
    given: &'static str,
    family: &'static str,
    title: &'static str,
    policy: &'static str,
    from: i64,
    until: i64,
    usage: Usage,
    wrong_ca: bool,
}

pub struct TestCard {
    pub name: &'static str,
    pub satu: &'static str,
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    pub key_pem: String,
    pub key_der: Vec<u8>,
    pub serial: Vec<u8>,
    /// The card's certificate and its CA's, PEM.
    pub chain_pem: String,
}

pub struct TestPki {
    pub root_pem: String,
    pub card_ca_pem: String,
    pub card_ca_key_pem: String,
    pub wrong_ca_pem: String,
    card_ca: CertifiedIssuer<'static, KeyPair>,
    pub cards: BTreeMap<&'static str, TestCard>,
    pub crl_url: String,
}

fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap()
}

fn der_oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
    let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &a in &arcs[2..] {
        let mut bytes = vec![(a & 0x7f) as u8];
        let mut rest = a >> 7;
        while rest > 0 {
            bytes.push((rest & 0x7f) as u8 | 0x80);
            rest >>= 7;
        }
        bytes.reverse();
        body.extend(bytes);
    }
    let mut out = vec![0x06, body.len() as u8];
    out.extend(body);
    out
}

fn der_seq(content: Vec<u8>) -> Vec<u8> {
    assert!(content.len() < 128);
    let mut out = vec![0x30, content.len() as u8];
    out.extend(content);
    out
}

fn arcs(dotted: &str) -> Vec<u64> {
    dotted.split('.').map(|a| a.parse().unwrap()).collect()
}

/// certificatePolicies with one policy.
fn policies(oid: &str) -> CustomExtension {
    CustomExtension::from_oid_content(&[2, 5, 29, 32], der_seq(der_seq(der_oid(oid))))
}

fn ca_params(cn: &str, from: i64, until: i64) -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FI");
    dn.push(DnType::OrganizationName, "Porttivahti test PKI");
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = at(from);
    p.not_after = at(until);
    p.key_identifier_method = KeyIdMethod::Sha256;
    p
}

impl TestPki {
    /// A PKI valid around `now`, whose cards name `crl_url` as their CRL
    /// distribution point.
    pub fn generate(now: i64, crl_url: &str) -> Self {
        let year = 365 * DAY;
        let root_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
        let root = CertifiedIssuer::self_signed(
            ca_params(
                "Porttivahti Test Root CA - G3 ECC",
                now - year,
                now + 20 * year,
            ),
            root_key,
        )
        .unwrap();
        let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
        let card_ca_key_pem = ca_key.serialize_pem();
        let mut ca = ca_params(
            "Porttivahti Test Social and Health Care CA",
            now - year,
            now + 10 * year,
        );
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.use_authority_key_identifier_extension = true;
        let card_ca = CertifiedIssuer::signed_by(ca, ca_key, &root).unwrap();
        let wrong_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let wrong_ca = CertifiedIssuer::self_signed(
            ca_params("Someone Else's CA", now - year, now + 10 * year),
            wrong_key,
        )
        .unwrap();

        let valid = (now - 30 * DAY, now + 5 * year - 30 * DAY);
        let specs = [
            (
                "professional",
                "99912345A",
                "Anna",
                "Hoitaja",
                "sairaanhoitaja",
                POLICY_PROFESSIONAL,
                valid,
                Usage::ClientAuth,
                false,
            ),
            (
                "staff",
                "99923456B",
                "Sami",
                "Sihteeri",
                "osastosihteeri",
                POLICY_STAFF,
                valid,
                Usage::ClientAuth,
                false,
            ),
            (
                "operator",
                "99934567C",
                "Olli",
                "Konsultti",
                "IT-konsultti",
                POLICY_OPERATOR,
                valid,
                Usage::ClientAuth,
                false,
            ),
            (
                "substitute",
                "99945678D",
                "Anna",
                "Hoitaja",
                "sairaanhoitaja",
                POLICY_SUBSTITUTE,
                (now - DAY, now + 89 * DAY),
                Usage::ClientAuth,
                false,
            ),
            (
                "temporary",
                "99956789E",
                "Tiina",
                "Tilapäinen",
                "lähihoitaja",
                POLICY_TEMPORARY,
                (now - DAY, now + 13 * DAY),
                Usage::ClientAuth,
                false,
            ),
            (
                "test",
                "99967890F",
                "Testi",
                "Toimittaja",
                "testaaja",
                POLICY_TEST,
                valid,
                Usage::ClientAuth,
                false,
            ),
            (
                "expired",
                "99978901H",
                "Eero",
                "Entinen",
                "lääkäri",
                POLICY_PROFESSIONAL,
                (now - 5 * year - DAY, now - DAY),
                Usage::ClientAuth,
                false,
            ),
            (
                "revoked",
                "99989012J",
                "Reijo",
                "Peruttu",
                "lääkäri",
                POLICY_PROFESSIONAL,
                valid,
                Usage::ClientAuth,
                false,
            ),
            (
                "no-client-auth",
                "99990123K",
                "Kaisa",
                "Allekirjoittaja",
                "lääkäri",
                POLICY_PROFESSIONAL,
                valid,
                Usage::NoClientAuthEku,
                false,
            ),
            (
                "no-digital-signature",
                "99901234L",
                "Niilo",
                "Avain",
                "lääkäri",
                POLICY_PROFESSIONAL,
                valid,
                Usage::NoDigitalSignature,
                false,
            ),
            (
                "wrong-ca",
                "99911111M",
                "Veera",
                "Väärä",
                "lääkäri",
                POLICY_PROFESSIONAL,
                valid,
                Usage::ClientAuth,
                true,
            ),
        ];
        let mut cards = BTreeMap::new();
        for (n, (name, satu, given, family, title, policy, (from, until), usage, wrong)) in
            specs.into_iter().enumerate()
        {
            let spec = Spec {
                name,
                satu,
                given,
                family,
                title,
                policy,
                from,
                until,
                usage,
                wrong_ca: wrong,
            };
            let issuer = if spec.wrong_ca { &wrong_ca } else { &card_ca };
            let issuer_pem = if spec.wrong_ca {
                wrong_ca.pem()
            } else {
                card_ca.pem()
            };
            let card = make_card(&spec, n as u8 + 1, issuer, &issuer_pem, crl_url, None);
            cards.insert(name, card);
        }
        Self {
            root_pem: root.pem(),
            card_ca_pem: card_ca.pem(),
            card_ca_key_pem,
            wrong_ca_pem: wrong_ca.pem(),
            card_ca,
            cards,
            crl_url: crl_url.to_string(),
        }
    }

    pub fn card(&self, name: &str) -> &TestCard {
        self.cards
            .get(name)
            .unwrap_or_else(|| panic!("no test card {name}"))
    }

    /// A CRL of the card CA, valid from `this_update` to `next_update`,
    /// listing the cards named in `revoked`. DER.
    pub fn crl(&self, revoked: &[&str], this_update: i64, next_update: i64) -> Vec<u8> {
        self.crl_padded(revoked, 0, this_update, next_update)
    }

    /// As [`Self::crl`], with `filler` more revoked serials of no test
    /// card: a CRL of a real CA's size, for measuring.
    pub fn crl_padded(
        &self,
        revoked: &[&str],
        filler: usize,
        this_update: i64,
        next_update: i64,
    ) -> Vec<u8> {
        let entry = |serial: Vec<u8>| RevokedCertParams {
            serial_number: SerialNumber::from_slice(&serial),
            revocation_time: at(this_update - 3600),
            reason_code: Some(RevocationReason::KeyCompromise),
            invalidity_date: None,
        };
        let mut revoked_certs: Vec<RevokedCertParams> = revoked
            .iter()
            .map(|name| entry(self.card(name).serial.clone()))
            .collect();
        // 16-byte serials like a CA's random ones, starting 0x7f so none
        // is a test card's.
        revoked_certs.extend((0..filler as u64).map(|i| {
            let mut serial = vec![0x7f; 8];
            serial.extend_from_slice(&i.to_be_bytes());
            entry(serial)
        }));
        let params = CertificateRevocationListParams {
            this_update: at(this_update),
            next_update: at(next_update),
            crl_number: SerialNumber::from_slice(&(this_update as u64).to_be_bytes()[4..]),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params.signed_by(&self.card_ca).unwrap().der().to_vec()
    }

    /// Writes the PEM files the configuration names: `roots.pem` (trust
    /// anchor), `card-ca.pem` (the card CA), and each card's
    /// `<name>.pem`, `<name>-key.pem`, `<name>-chain.pem`.
    pub fn write(&self, dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("roots.pem"), &self.root_pem).unwrap();
        std::fs::write(dir.join("card-ca.pem"), &self.card_ca_pem).unwrap();
        std::fs::write(dir.join("wrong-ca.pem"), &self.wrong_ca_pem).unwrap();
        for c in self.cards.values() {
            std::fs::write(dir.join(format!("{}.pem", c.name)), &c.cert_pem).unwrap();
            std::fs::write(dir.join(format!("{}-key.pem", c.name)), &c.key_pem).unwrap();
            std::fs::write(dir.join(format!("{}-chain.pem", c.name)), &c.chain_pem).unwrap();
        }
    }
}

fn make_card(
    spec: &Spec,
    serial: u8,
    issuer: &CertifiedIssuer<'static, KeyPair>,
    issuer_pem: &str,
    crl_url: &str,
    extra: Option<CustomExtension>,
) -> TestCard {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FI");
    dn.push(
        DnType::CommonName,
        format!("{} {} {}", spec.family, spec.given, spec.satu),
    );
    dn.push(DnType::CustomDnType(vec![2, 5, 4, 4]), spec.family);
    dn.push(DnType::CustomDnType(vec![2, 5, 4, 42]), spec.given);
    dn.push(
        DnType::CustomDnType(vec![2, 5, 4, 5]),
        DnValue::PrintableString(spec.satu.try_into().unwrap()),
    );
    dn.push(DnType::CustomDnType(vec![2, 5, 4, 12]), spec.title);
    dn.push(
        DnType::CustomDnType(arcs(REGISTRATION_ATTRIBUTE)),
        DnValue::PrintableString(format!("100{:08}", serial).as_str().try_into().unwrap()),
    );
    p.distinguished_name = dn;
    p.serial_number = Some(SerialNumber::from_slice(&[0x4c, 0x00, serial]));
    p.not_before = at(spec.from);
    p.not_after = at(spec.until);
    p.use_authority_key_identifier_extension = true;
    p.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![crl_url.to_string()],
    }];
    p.custom_extensions.push(policies(spec.policy));
    p.custom_extensions.extend(extra);
    match spec.usage {
        Usage::ClientAuth => {
            p.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ];
            p.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::ClientAuth,
                ExtendedKeyUsagePurpose::EmailProtection,
            ];
        }
        Usage::NoClientAuthEku => {
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
        }
        Usage::NoDigitalSignature => {
            // KeyUsage nonRepudiation only, and not critical: it must be
            // enforced all the same.
            p.custom_extensions.push(CustomExtension::from_oid_content(
                &[2, 5, 29, 15],
                vec![0x03, 0x02, 0x06, 0x40],
            ));
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
    }
    let cert = p.signed_by(&key, issuer).unwrap();
    let cert_pem = cert.pem();
    TestCard {
        name: spec.name,
        satu: spec.satu,
        cert_der: cert.der().to_vec(),
        chain_pem: format!("{cert_pem}{issuer_pem}"),
        cert_pem,
        key_pem: key.serialize_pem(),
        key_der: key.serialize_der(),
        serial: vec![0x4c, 0x00, serial],
    }
}

/// The certificate policy the operators' mobile certificates share
/// (Finnish Trust Network; e.g. Telia's CPS).
pub const POLICY_MOBILE: &str = "1.2.246.277.1.11";

/// A test mobile certificate and its key.
pub struct TestMobile {
    pub name: &'static str,
    pub satu: &'static str,
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    pub key_pem: String,
    /// PKCS#8.
    pub key_der: Vec<u8>,
    pub serial: Vec<u8>,
}

/// The test PKI of mobile certificate login: an operator's root, a mobile
/// certificate CA under it, a CA nobody trusts, and mobile certificates
/// (P-256, SATU in the subject serialNumber, the mobile policy), one of
/// each way a certificate can be wrong.
pub struct TestMobilePki {
    pub root_pem: String,
    pub ca_pem: String,
    ca: CertifiedIssuer<'static, KeyPair>,
    pub users: BTreeMap<&'static str, TestMobile>,
}

impl TestMobilePki {
    /// A PKI valid around `now`, whose certificates name `crl_url`.
    pub fn generate(now: i64, crl_url: &str) -> Self {
        let year = 365 * DAY;
        let root = CertifiedIssuer::self_signed(
            ca_params(
                "Porttivahti Test Operator Root CA",
                now - year,
                now + 20 * year,
            ),
            KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap(),
        )
        .unwrap();
        let mut ca = ca_params(
            "Porttivahti Test Mobile Certificate CA",
            now - year,
            now + 10 * year,
        );
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.use_authority_key_identifier_extension = true;
        let ca = CertifiedIssuer::signed_by(
            ca,
            KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap(),
            &root,
        )
        .unwrap();
        let wrong_ca = CertifiedIssuer::self_signed(
            ca_params("Someone Else's Mobile CA", now - year, now + 10 * year),
            KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap(),
        )
        .unwrap();
        let valid = (now - 30 * DAY, now + 5 * year);
        // name, SATU, given, family, policy, validity, wrong CA
        let specs = [
            (
                "mervi",
                "99950001A",
                "Mervi",
                "Mobiili",
                POLICY_MOBILE,
                valid,
                false,
            ),
            (
                "teemu",
                "99950002B",
                "Teemu",
                "Tekstari",
                POLICY_MOBILE,
                valid,
                false,
            ),
            (
                "revoked",
                "99950003C",
                "Reija",
                "Peruttu",
                POLICY_MOBILE,
                valid,
                false,
            ),
            (
                "expired",
                "99950004D",
                "Eila",
                "Entinen",
                POLICY_MOBILE,
                (now - 3 * year, now - DAY),
                false,
            ),
            (
                "wrong-ca",
                "99950005E",
                "Ville",
                "Väärä",
                POLICY_MOBILE,
                valid,
                true,
            ),
            (
                "no-policy",
                "99950006F",
                "Niko",
                "Politiikaton",
                POLICY_PROFESSIONAL,
                valid,
                false,
            ),
        ];
        let mut users = BTreeMap::new();
        for (n, (name, satu, given, family, policy, (from, until), wrong)) in
            specs.into_iter().enumerate()
        {
            let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
            let mut p = CertificateParams::default();
            let mut dn = DistinguishedName::new();
            dn.push(DnType::CountryName, "FI");
            dn.push(DnType::CommonName, format!("{family} {given} {satu}"));
            dn.push(DnType::CustomDnType(vec![2, 5, 4, 4]), family);
            dn.push(DnType::CustomDnType(vec![2, 5, 4, 42]), given);
            dn.push(
                DnType::CustomDnType(vec![2, 5, 4, 5]),
                DnValue::PrintableString(satu.try_into().unwrap()),
            );
            p.distinguished_name = dn;
            let serial = vec![0x6d, 0x00, n as u8 + 1];
            p.serial_number = Some(SerialNumber::from_slice(&serial));
            p.not_before = at(from);
            p.not_after = at(until);
            p.use_authority_key_identifier_extension = true;
            p.crl_distribution_points = vec![CrlDistributionPoint {
                uris: vec![crl_url.to_string()],
            }];
            p.custom_extensions.push(policies(policy));
            p.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::ContentCommitment,
            ];
            p.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::ClientAuth,
                ExtendedKeyUsagePurpose::EmailProtection,
            ];
            let issuer = if wrong { &wrong_ca } else { &ca };
            let cert = p.signed_by(&key, issuer).unwrap();
            users.insert(
                name,
                TestMobile {
                    name,
                    satu,
                    cert_der: cert.der().to_vec(),
                    cert_pem: cert.pem(),
                    key_pem: key.serialize_pem(),
                    key_der: key.serialize_der(),
                    serial,
                },
            );
        }
        Self {
            root_pem: root.pem(),
            ca_pem: ca.pem(),
            ca,
            users,
        }
    }

    pub fn user(&self, name: &str) -> &TestMobile {
        self.users
            .get(name)
            .unwrap_or_else(|| panic!("no test mobile certificate {name}"))
    }

    /// A CRL of the mobile CA listing the certificates named in `revoked`.
    pub fn crl(&self, revoked: &[&str], this_update: i64, next_update: i64) -> Vec<u8> {
        let params = CertificateRevocationListParams {
            this_update: at(this_update),
            next_update: at(next_update),
            crl_number: SerialNumber::from_slice(&(this_update as u64).to_be_bytes()[4..]),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|name| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&self.user(name).serial),
                    revocation_time: at(this_update - 3600),
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params.signed_by(&self.ca).unwrap().der().to_vec()
    }

    /// Writes `mobile-roots.pem`, `mobile-ca.pem` and each certificate's
    /// `mobile-<name>.pem` and `mobile-<name>-key.pem`.
    pub fn write(&self, dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("mobile-roots.pem"), &self.root_pem).unwrap();
        std::fs::write(dir.join("mobile-ca.pem"), &self.ca_pem).unwrap();
        for u in self.users.values() {
            std::fs::write(dir.join(format!("mobile-{}.pem", u.name)), &u.cert_pem).unwrap();
            std::fs::write(dir.join(format!("mobile-{}-key.pem", u.name)), &u.key_pem).unwrap();
        }
    }
}

/// AuthorityInfoAccess with one OCSP responder (id-ad-ocsp, a URI).
fn aia_ocsp(url: &str) -> CustomExtension {
    let mut description = der_oid("1.3.6.1.5.5.7.48.1");
    // accessLocation: GeneralName uniformResourceIdentifier, [6] IMPLICIT IA5String.
    description.extend([0x86, url.len() as u8]);
    description.extend(url.as_bytes());
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], der_seq(der_seq(description)))
}

impl TestPki {
    /// Anna Hoitaja's professional card again, with serial 4c0080 and an
    /// AuthorityInfoAccess naming `ocsp_url` as its OCSP responder.
    pub fn card_with_ocsp(&self, now: i64, ocsp_url: &str) -> TestCard {
        anna_card(
            "ocsp-aia",
            0x80,
            (now - 30 * DAY, now + 365 * DAY),
            Some(aia_ocsp(ocsp_url)),
            &self.card_ca,
            &self.card_ca_pem,
            &self.crl_url,
        )
    }

    /// Anna Hoitaja's professional card, serial 4c00`serial`, valid
    /// from `from` until `until` (which may be after the card CA's own
    /// end, ten years from the PKI's `now`).
    pub fn card_valid(&self, serial: u8, from: i64, until: i64) -> TestCard {
        anna_card(
            "valid",
            serial,
            (from, until),
            None,
            &self.card_ca,
            &self.card_ca_pem,
            &self.crl_url,
        )
    }

    /// Anna Hoitaja's professional card from an impostor: a CA of the
    /// card CA's very name, with a key of its own and no link to the
    /// root. (The card, and the impostor CA's PEM.)
    pub fn impostor_card(&self, now: i64) -> (TestCard, String) {
        let ca = CertifiedIssuer::self_signed(
            ca_params(
                "Porttivahti Test Social and Health Care CA",
                now - 365 * DAY,
                now + 10 * 365 * DAY,
            ),
            KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap(),
        )
        .unwrap();
        let pem = ca.pem();
        let card = anna_card(
            "impostor",
            0x81,
            (now - 30 * DAY, now + 365 * DAY),
            None,
            &ca,
            &pem,
            &self.crl_url,
        );
        (card, pem)
    }

    /// A delegated OCSP responder of the card CA: a certificate it issued
    /// with ExtendedKeyUsage id-kp-OCSPSigning, valid around `now`.
    /// (certificate DER, PKCS#8 key DER).
    pub fn ocsp_responder(&self, now: i64) -> (Vec<u8>, Vec<u8>) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "FI");
        dn.push(DnType::CommonName, "Porttivahti Test OCSP Responder");
        p.distinguished_name = dn;
        p.not_before = at(now - DAY);
        p.not_after = at(now + 30 * DAY);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
        let cert = p.signed_by(&key, &self.card_ca).unwrap();
        (cert.der().to_vec(), key.serialize_der())
    }
}

/// Anna Hoitaja's professional card, serial 4c00`serial`, issued by
/// `issuer`, with `extra` among its extensions.
fn anna_card(
    name: &'static str,
    serial: u8,
    (from, until): (i64, i64),
    extra: Option<CustomExtension>,
    issuer: &CertifiedIssuer<'static, KeyPair>,
    issuer_pem: &str,
    crl_url: &str,
) -> TestCard {
    let spec = Spec {
        name,
        satu: "99912345A",
        given: "Anna",
        family: "Hoitaja",
        title: "sairaanhoitaja",
        policy: POLICY_PROFESSIONAL,
        from,
        until,
        usage: Usage::ClientAuth,
        wrong_ca: false,
    };
    make_card(&spec, serial, issuer, issuer_pem, crl_url, extra)
}
