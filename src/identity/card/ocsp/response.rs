//! Reading and checking an `OCSPResponse` (RFC 6960 4.2.1):
//!
//! ```text
//! OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED,
//!                             responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
//! ResponseBytes ::= SEQUENCE { responseType OID, response OCTET STRING }
//! BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData,
//!     signatureAlgorithm AlgorithmIdentifier, signature BIT STRING,
//!     certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
//! ResponseData ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1,
//!     responderID CHOICE { byName [1], byKey [2] }, producedAt GeneralizedTime,
//!     responses SEQUENCE OF SingleResponse,
//!     responseExtensions [1] EXPLICIT Extensions OPTIONAL }
//! SingleResponse ::= SEQUENCE { certID CertID,
//!     certStatus CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo,
//!                         unknown [2] IMPLICIT NULL },
//!     thisUpdate GeneralizedTime, nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL,
//!     singleExtensions [1] EXPLICIT Extensions OPTIONAL }
//! ```

use std::fmt;

use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::time::ASN1Time;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

use super::{CertId, HashAlg, NONCE};
use crate::identity::card::cert::CaFacts;
use crate::identity::card::der::{self, Element, Reader};
use crate::identity::card::sig;

/// id-pkix-ocsp-basic.
const BASIC: [u64; 10] = [1, 3, 6, 1, 5, 5, 7, 48, 1, 1];

/// What the answer must be about, and when it is read.
pub struct Expected<'a> {
    pub ca: &'a CaFacts,
    /// The card's serial (INTEGER content octets).
    pub serial: &'a [u8],
    /// The nonce the request carried.
    pub nonce: &'a [u8],
    pub now: i64,
    pub skew: i64,
    /// The oldest a response without `nextUpdate` may be.
    pub max_age: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SingleStatus {
    Good,
    Revoked { at: i64 },
    Unknown,
}

/// Who signed a believed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// The issuing CA's own key.
    Ca,
    /// A responder certificate (its subject) that the CA issued for OCSP
    /// signing.
    Delegated(String),
}

impl fmt::Display for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signer::Ca => f.write_str("the issuing CA"),
            Signer::Delegated(subject) => write!(f, "delegated responder {subject}"),
        }
    }
}

/// A response that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub status: SingleStatus,
    pub this_update: i64,
    pub next_update: Option<i64>,
    pub signer: Signer,
    /// The responder echoed our nonce (RFC 5019 responders that serve
    /// pre-signed answers send none, which is accepted).
    pub nonce_echoed: bool,
}

/// Checks `der` against `e`. `Err` says why the response is not believed.
pub fn check_response(der: &[u8], e: &Expected<'_>) -> Result<Checked, String> {
    let basic_der = basic_response_bytes(der)?;
    let basic = Basic::parse(basic_der)?;
    let signer = verify_signature(&basic, e.ca, e.now)?;
    let data = ResponseData::parse(basic.tbs.content)?;
    let nonce_echoed = check_nonce(data.nonce, e.nonce)?;
    let single = find_single(&data.responses, e)?;
    check_times(&single, e)?;
    Ok(Checked {
        status: single.status,
        this_update: single.this_update,
        next_update: single.next_update,
        signer,
        nonce_echoed,
    })
}

fn sequence_at<'a>(input: &'a [u8], what: &str) -> Result<Element<'a>, String> {
    let e = Element::parse_all(input, what)?;
    if e.tag != der::SEQUENCE {
        return Err(format!("{what}: not a SEQUENCE"));
    }
    Ok(e)
}

fn status_name(status: u64) -> String {
    let name = match status {
        1 => "malformedRequest",
        2 => "internalError",
        3 => "tryLater",
        5 => "sigRequired",
        6 => "unauthorized",
        _ => "an unknown status",
    };
    format!("{name} ({status})")
}

/// The BasicOCSPResponse inside a successful OCSPResponse.
fn basic_response_bytes(der: &[u8]) -> Result<&[u8], String> {
    let top = sequence_at(der, "OCSPResponse")?;
    let mut r = top.reader();
    let status = r
        .expect(der::ENUMERATED, "responseStatus")?
        .small_uint("responseStatus")?;
    if status != 0 {
        return Err(format!("the responder answered {}", status_name(status)));
    }
    let bytes = r.expect(der::context(0), "responseBytes")?;
    r.finish("OCSPResponse")?;
    let rb = sequence_at(bytes.content, "ResponseBytes")?;
    let mut r = rb.reader();
    let kind = r.expect(der::OID, "responseType")?;
    if kind.raw != der::oid(&BASIC).as_slice() {
        return Err("the response type is not id-pkix-ocsp-basic".into());
    }
    let response = r.expect(der::OCTET_STRING, "response")?;
    r.finish("ResponseBytes")?;
    Ok(response.content)
}

/// The parts of a BasicOCSPResponse.
struct Basic<'a> {
    tbs: Element<'a>,
    signature_algorithm: Element<'a>,
    signature: &'a [u8],
    /// DER of the certificates the responder included.
    certs: Vec<&'a [u8]>,
}

impl<'a> Basic<'a> {
    fn parse(input: &'a [u8]) -> Result<Self, String> {
        let top = sequence_at(input, "BasicOCSPResponse")?;
        let mut r = top.reader();
        let tbs = r.expect(der::SEQUENCE, "tbsResponseData")?;
        let signature_algorithm = r.expect(der::SEQUENCE, "signatureAlgorithm")?;
        let bits = r.expect(der::BIT_STRING, "signature")?;
        // The first content octet counts unused bits; a signature has none.
        let signature = match bits.content {
            [0, sig @ ..] => sig,
            _ => return Err("signature: not a whole number of bytes".into()),
        };
        let mut certs = Vec::new();
        if let Some(wrapper) = r.optional(der::context(0), "certs")? {
            let list = sequence_at(wrapper.content, "certs")?;
            let mut lr = list.reader();
            while !lr.is_empty() {
                certs.push(lr.expect(der::SEQUENCE, "certificate")?.raw);
            }
        }
        r.finish("BasicOCSPResponse")?;
        Ok(Self {
            tbs,
            signature_algorithm,
            signature,
            certs,
        })
    }
}

/// The response must be signed by the CA's key, or by a certificate
/// included in it that the CA issued with id-kp-OCSPSigning and that is
/// valid now (RFC 6960 4.2.2.2). The responderID is not relied on: the
/// key that verifies is what counts.
fn verify_signature(basic: &Basic<'_>, ca: &CaFacts, now: i64) -> Result<Signer, String> {
    let (_, alg) = AlgorithmIdentifier::from_der(basic.signature_algorithm.raw)
        .map_err(|e| format!("signatureAlgorithm: {e}"))?;
    let (_, ca_key) =
        SubjectPublicKeyInfo::from_der(&ca.spki).map_err(|e| format!("CA key: {e}"))?;
    let mut reasons = match sig::verify(&ca_key, &alg, basic.tbs.raw, basic.signature) {
        Ok(()) => return Ok(Signer::Ca),
        Err(e) => vec![format!("the CA's key: {e}")],
    };
    for cert_der in &basic.certs {
        match authorised_responder(cert_der, ca, &ca_key, now) {
            Ok(cert) => {
                let subject = cert.subject().to_string();
                match sig::verify(cert.public_key(), &alg, basic.tbs.raw, basic.signature) {
                    Ok(()) => return Ok(Signer::Delegated(subject)),
                    Err(e) => reasons.push(format!("responder {subject}: {e}")),
                }
            }
            Err(e) => reasons.push(e),
        }
    }
    Err(format!(
        "the response is signed neither by the CA nor by a responder it authorised ({})",
        reasons.join("; ")
    ))
}

/// A certificate the CA issued to sign OCSP responses on its behalf.
fn authorised_responder<'c>(
    der: &'c [u8],
    ca: &CaFacts,
    ca_key: &SubjectPublicKeyInfo<'_>,
    now: i64,
) -> Result<X509Certificate<'c>, String> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| format!("an included certificate cannot be read: {e}"))?;
    let subject = cert.subject().to_string();
    if cert.issuer().as_raw() != ca.subject_raw.as_slice() {
        return Err(format!(
            "responder {subject} is issued by {}, not by {}",
            cert.issuer(),
            ca.subject
        ));
    }
    sig::verify(
        ca_key,
        &cert.signature_algorithm,
        cert.tbs_certificate.as_ref(),
        &cert.signature_value.data,
    )
    .map_err(|e| format!("responder {subject}: its certificate: {e}"))?;
    if !matches!(cert.extended_key_usage(), Ok(Some(eku)) if eku.value.ocsp_signing) {
        return Err(format!(
            "responder {subject}: ExtendedKeyUsage does not name id-kp-OCSPSigning"
        ));
    }
    let validity = cert.validity();
    if now < validity.not_before.timestamp() || now > validity.not_after.timestamp() {
        return Err(format!(
            "responder {subject}: its certificate is not valid now"
        ));
    }
    Ok(cert)
}

/// The parts of ResponseData that are checked.
struct ResponseData<'a> {
    responses: Vec<Element<'a>>,
    /// The nonce extension's value, if the responder sent one.
    nonce: Option<&'a [u8]>,
}

impl<'a> ResponseData<'a> {
    fn parse(content: &'a [u8]) -> Result<Self, String> {
        let mut r = Reader::new(content);
        if let Some(v) = r.optional(der::context(0), "version")? {
            let n = Element::parse_all(v.content, "version")?;
            if n.tag != der::INTEGER || n.small_uint("version")? != 0 {
                return Err("ResponseData: not version 1".into());
            }
        }
        let id = r.next("responderID")?;
        if id.tag != der::context(1) && id.tag != der::context(2) {
            return Err("responderID: neither byName nor byKey".into());
        }
        r.expect(der::GENERALIZED_TIME, "producedAt")?;
        let list = r.expect(der::SEQUENCE, "responses")?;
        let mut responses = Vec::new();
        let mut lr = list.reader();
        while !lr.is_empty() {
            responses.push(lr.expect(der::SEQUENCE, "SingleResponse")?);
        }
        let nonce = match r.optional(der::context(1), "responseExtensions")? {
            Some(ext) => find_nonce(ext.content)?,
            None => None,
        };
        r.finish("ResponseData")?;
        Ok(Self { responses, nonce })
    }
}

/// The nonce among `Extensions` (inside its [n] EXPLICIT wrapper). An
/// unknown critical extension makes the response unusable.
fn find_nonce(wrapper_content: &[u8]) -> Result<Option<&[u8]>, String> {
    let list = sequence_at(wrapper_content, "Extensions")?;
    let mut lr = list.reader();
    let nonce_oid = der::oid(&NONCE);
    let mut nonce = None;
    while !lr.is_empty() {
        let ext = lr.expect(der::SEQUENCE, "Extension")?;
        let mut r = ext.reader();
        let id = r.expect(der::OID, "extnID")?;
        let critical = match r.optional(0x01, "critical")? {
            Some(b) => b.content != [0],
            None => false,
        };
        let value = r.expect(der::OCTET_STRING, "extnValue")?;
        r.finish("Extension")?;
        if id.raw == nonce_oid.as_slice() {
            nonce = Some(value.content);
        } else if critical {
            return Err(format!(
                "the response has an unknown critical extension ({:02x?})",
                id.content
            ));
        }
    }
    Ok(nonce)
}

/// A nonce, when present, must be ours. RFC 8954 wraps it in an OCTET
/// STRING inside extnValue; some older responders put the bare bytes
/// there, which is accepted too.
fn check_nonce(got: Option<&[u8]>, ours: &[u8]) -> Result<bool, String> {
    let Some(value) = got else {
        return Ok(false);
    };
    let wrapped = Element::parse_all(value, "nonce")
        .ok()
        .filter(|e| e.tag == der::OCTET_STRING)
        .map(|e| e.content);
    if wrapped == Some(ours) || value == ours {
        Ok(true)
    } else {
        Err("the response's nonce is not the one we sent (a replayed answer?)".into())
    }
}

struct Single {
    status: SingleStatus,
    this_update: i64,
    next_update: Option<i64>,
}

/// The SingleResponse whose CertID names our certificate.
fn find_single(responses: &[Element<'_>], e: &Expected<'_>) -> Result<Single, String> {
    for single in responses {
        let mut r = single.reader();
        let cert_id = r.expect(der::SEQUENCE, "certID")?;
        if names_our_certificate(&cert_id, e)? {
            return read_single(r);
        }
    }
    Err(format!(
        "the response has no answer for serial {} of {}",
        crate::tokens::hex(e.serial),
        e.ca.subject
    ))
}

/// Whether a CertID names our certificate: same issuer name and key
/// hashes (recomputed with the hash it names) and same serial.
fn names_our_certificate(cert_id: &Element<'_>, e: &Expected<'_>) -> Result<bool, String> {
    let mut r = cert_id.reader();
    let alg = r.expect(der::SEQUENCE, "hashAlgorithm")?;
    let alg_oid = alg.reader().expect(der::OID, "hashAlgorithm")?;
    let Some(hash) = HashAlg::from_oid_der(alg_oid.raw) else {
        return Ok(false);
    };
    let name_hash = r.expect(der::OCTET_STRING, "issuerNameHash")?;
    let key_hash = r.expect(der::OCTET_STRING, "issuerKeyHash")?;
    let serial = r.expect(der::INTEGER, "serialNumber")?;
    r.finish("CertID")?;
    let ours = CertId::new(hash, e.ca, e.serial)?;
    Ok(name_hash.content == ours.issuer_name_hash.as_slice()
        && key_hash.content == ours.issuer_key_hash.as_slice()
        && serial.content == e.serial)
}

/// certStatus, thisUpdate, nextUpdate of a SingleResponse (after its
/// CertID).
fn read_single(mut r: Reader<'_>) -> Result<Single, String> {
    let status = r.next("certStatus")?;
    let status = match status.tag {
        t if t == der::context_primitive(0) => SingleStatus::Good,
        t if t == der::context(1) => {
            // RevokedInfo ::= SEQUENCE { revocationTime, revocationReason [0] OPTIONAL }
            let mut info = status.reader();
            let at = time(info.next("revocationTime")?)?;
            SingleStatus::Revoked { at }
        }
        t if t == der::context_primitive(2) => SingleStatus::Unknown,
        t => return Err(format!("certStatus: unexpected tag {t:#04x}")),
    };
    let this_update = time(r.next("thisUpdate")?)?;
    let next_update = match r.optional(der::context(0), "nextUpdate")? {
        Some(wrapper) => Some(time(Element::parse_all(wrapper.content, "nextUpdate")?)?),
        None => None,
    };
    r.optional(der::context(1), "singleExtensions")?;
    r.finish("SingleResponse")?;
    Ok(Single {
        status,
        this_update,
        next_update,
    })
}

fn time(e: Element<'_>) -> Result<i64, String> {
    if e.tag != der::GENERALIZED_TIME {
        return Err("a time is not a GeneralizedTime".into());
    }
    let (_, t) = ASN1Time::from_der(e.raw).map_err(|err| format!("bad time: {err}"))?;
    Ok(t.timestamp())
}

/// thisUpdate not in the future, nextUpdate not past (both within the
/// tolerated clock skew); without nextUpdate, thisUpdate at most
/// `max_age` old.
fn check_times(s: &Single, e: &Expected<'_>) -> Result<(), String> {
    if s.this_update > e.now + e.skew {
        return Err(format!(
            "thisUpdate {} is in the future (now {})",
            s.this_update, e.now
        ));
    }
    match s.next_update {
        Some(next) if e.now > next + e.skew => Err(format!(
            "the response is stale: its nextUpdate {next} has passed (now {})",
            e.now
        )),
        None if e.now - s.this_update > e.max_age => Err(format!(
            "the response is stale: no nextUpdate, and thisUpdate {} is older than {} s",
            s.this_update, e.max_age
        )),
        _ => Ok(()),
    }
}
