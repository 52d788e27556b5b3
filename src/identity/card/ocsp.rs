//! OCSP (RFC 6960, with the RFC 5019 profile most responders follow): ask
//! the card CA's responder whether one certificate is revoked.
//!
//! The request is written by hand (`der.rs`): one CertID and a nonce. The
//! answer is believed only when it is signed by the CA itself or by a
//! responder certificate the CA issued for OCSP signing, names our CertID,
//! is current and echoes our nonce if it carries one (`ocsp/response.rs`).
//! Good and revoked answers are cached per serial until the response's
//! `nextUpdate`, at most `card.ocsp_cache_max_secs`.

mod response;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_lc_rs::digest;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::cert::CaFacts;
use super::der;

pub use response::{Checked, Expected, Signer, SingleStatus, check_response};

/// id-ad-ocsp, the AIA access method of an OCSP responder.
pub const AD_OCSP: &str = "1.3.6.1.5.5.7.48.1";
/// id-pkix-ocsp-nonce.
const NONCE: [u64; 10] = [1, 3, 6, 1, 5, 5, 7, 48, 1, 2];
const SHA1: [u64; 6] = [1, 3, 14, 3, 2, 26];
const SHA256: [u64; 9] = [2, 16, 840, 1, 101, 3, 4, 2, 1];
/// Larger answers are refused: a response for one certificate with a
/// responder certificate is a few kilobytes.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// The hash of a CertID. Requests use SHA-1: RFC 5019 requires responders
/// to understand it and many understand nothing else. SHA-1 serves only
/// to name the certificate here (no signature rests on it); answers
/// naming the certificate with SHA-256 are understood too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    Sha1,
    Sha256,
}

impl HashAlg {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            HashAlg::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashAlg::Sha256 => &digest::SHA256,
        };
        digest::digest(alg, data).as_ref().to_vec()
    }

    fn oid(self) -> &'static [u64] {
        match self {
            HashAlg::Sha1 => &SHA1,
            HashAlg::Sha256 => &SHA256,
        }
    }

    /// The algorithm an AlgorithmIdentifier's OID names, if supported.
    fn from_oid_der(oid: &[u8]) -> Option<Self> {
        [HashAlg::Sha1, HashAlg::Sha256]
            .into_iter()
            .find(|a| der::oid(a.oid()) == oid)
    }
}

/// Which certificate a request asks about (RFC 6960 4.1.1): hashes of
/// the issuer's name (DER) and key (the subjectPublicKey bits), and the
/// serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertId {
    pub alg: HashAlg,
    pub issuer_name_hash: Vec<u8>,
    pub issuer_key_hash: Vec<u8>,
    /// The serial's INTEGER content octets, as in the certificate.
    pub serial: Vec<u8>,
}

impl CertId {
    pub fn new(alg: HashAlg, ca: &CaFacts, serial: &[u8]) -> Result<Self, String> {
        let (_, key) =
            SubjectPublicKeyInfo::from_der(&ca.spki).map_err(|e| format!("CA key: {e}"))?;
        Ok(Self {
            alg,
            issuer_name_hash: alg.digest(&ca.subject_raw),
            issuer_key_hash: alg.digest(&key.subject_public_key.data),
            serial: serial.to_vec(),
        })
    }

    /// `CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash,
    /// serialNumber }`; the AlgorithmIdentifier carries NULL parameters,
    /// as RFC 5019 and most responders write it.
    pub fn to_der(&self) -> Vec<u8> {
        let alg = der::sequence(&[&der::oid(self.alg.oid()), &der::null()]);
        der::sequence(&[
            &alg,
            &der::octet_string(&self.issuer_name_hash),
            &der::octet_string(&self.issuer_key_hash),
            &der::integer_content(&self.serial),
        ])
    }
}

/// `OCSPRequest` for one certificate, unsigned, with a nonce:
///
/// ```text
/// OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest }
/// TBSRequest  ::= SEQUENCE {
///     -- version [0] v1 is the DEFAULT, so DER leaves it out
///     requestList       SEQUENCE OF Request,
///     requestExtensions [2] EXPLICIT Extensions }
/// Request     ::= SEQUENCE { reqCert CertID }
/// Extension   ::= SEQUENCE { extnID, extnValue OCTET STRING }  -- not critical
/// ```
///
/// The nonce extension's value is itself the DER of an OCTET STRING
/// (RFC 8954).
pub fn request_der(id: &CertId, nonce: &[u8]) -> Vec<u8> {
    let request = der::sequence(&[&id.to_der()]);
    let request_list = der::sequence(&[&request]);
    let nonce_ext = der::sequence(&[
        &der::oid(&NONCE),
        &der::octet_string(&der::octet_string(nonce)),
    ]);
    let extensions = der::explicit(2, &der::sequence(&[&nonce_ext]));
    let tbs = der::sequence(&[&request_list, &extensions]);
    der::sequence(&[&tbs])
}

/// A fresh 16-byte nonce (RFC 8954 asks for 1 to 32).
pub fn new_nonce() -> Result<[u8; 16], String> {
    let mut n = [0u8; 16];
    aws_lc_rs::rand::fill(&mut n).map_err(|_| "no randomness for the OCSP nonce".to_string())?;
    Ok(n)
}

/// What a trusted OCSP answer says of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    Good,
    Revoked { at: i64 },
}

impl std::fmt::Display for Known {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Known::Good => f.write_str("good"),
            Known::Revoked { at } => write!(f, "revoked (at {at})"),
        }
    }
}

#[derive(Debug, Clone)]
struct Cached {
    status: Known,
    url: String,
    until: i64,
}

/// How answers are checked and kept.
#[derive(Debug, Clone, Copy)]
pub struct OcspPolicy {
    /// Longest an answer is cached; also the oldest a response without
    /// `nextUpdate` may be.
    pub cache_max: i64,
    /// Clock difference tolerated on thisUpdate and nextUpdate.
    pub skew: i64,
}

/// Cached entries above this number are pruned of expired ones.
const PRUNE_ABOVE: usize = 10_000;

/// Asks responders and caches their good and revoked answers, by
/// (CA index, serial).
pub struct OcspClient {
    http: reqwest::Client,
    policy: OcspPolicy,
    cache: Mutex<HashMap<(usize, Vec<u8>), Cached>>,
}

impl OcspClient {
    pub fn new(timeout_secs: u64, policy: OcspPolicy) -> Result<Self, String> {
        let http = crate::http_client_builder()
            .timeout(Duration::from_secs(timeout_secs.max(1)))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            policy,
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn cached(&self, ca: usize, serial: &[u8], url: &str, now: i64) -> Option<Known> {
        let cache = self.cache.lock().ok()?;
        cache
            .get(&(ca, serial.to_vec()))
            .filter(|c| now < c.until && c.url == url)
            .map(|c| c.status)
    }

    fn remember(&self, ca: usize, serial: &[u8], entry: Cached, now: i64) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= PRUNE_ABOVE {
                cache.retain(|_, c| now < c.until);
            }
            cache.insert((ca, serial.to_vec()), entry);
        }
    }

    /// The status of the certificate `serial` of CA `ca_index` (whose
    /// facts are `ca`) from the responder at `url`: from the cache while
    /// an earlier answer holds, else asked. `Err` is the reason no
    /// trustworthy answer was had (including the responder's "unknown").
    pub async fn status(
        &self,
        ca_index: usize,
        ca: &CaFacts,
        serial: &[u8],
        url: &str,
        now: i64,
    ) -> Result<Known, String> {
        if let Some(known) = self.cached(ca_index, serial, url, now) {
            return Ok(known);
        }
        let id = CertId::new(HashAlg::Sha1, ca, serial)?;
        let nonce = new_nonce()?;
        let body = self.post(url, request_der(&id, &nonce)).await?;
        let expected = Expected {
            ca,
            serial,
            nonce: &nonce,
            now,
            skew: self.policy.skew,
            max_age: self.policy.cache_max,
        };
        let checked = check_response(&body, &expected)?;
        let known = match checked.status {
            SingleStatus::Good => Known::Good,
            SingleStatus::Revoked { at } => Known::Revoked { at },
            SingleStatus::Unknown => {
                return Err("the responder answered \"unknown\" for this certificate".into());
            }
        };
        let until = checked
            .next_update
            .unwrap_or(checked.this_update + self.policy.cache_max)
            .min(now + self.policy.cache_max);
        tracing::info!(
            url,
            serial = %crate::tokens::hex(serial),
            status = %known,
            this_update = checked.this_update,
            next_update = checked.next_update,
            signed_by = %checked.signer,
            nonce_echoed = checked.nonce_echoed,
            cached_until = until,
            "OCSP answer"
        );
        let entry = Cached {
            status: known,
            url: url.to_string(),
            until,
        };
        self.remember(ca_index, serial, entry, now);
        Ok(known)
    }

    /// POSTs a request (RFC 6960 A.1) and returns the body of a 200 answer.
    async fn post(&self, url: &str, request: Vec<u8>) -> Result<Vec<u8>, String> {
        let mut resp = self
            .http
            .post(url)
            .header("content-type", "application/ocsp-request")
            .header("accept", "application/ocsp-response")
            .body(request)
            .send()
            .await
            .map_err(|e| format!("asking {url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("asking {url}: HTTP {}", resp.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("asking {url}: {e}"))?
        {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(format!(
                    "{url}: OCSP response larger than {MAX_RESPONSE_BYTES} bytes"
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests;
