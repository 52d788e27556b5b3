//! Certificate revocation lists: fetched over HTTP from each card CA's
//! distribution point, verified against the CA's key, cached, and fetched
//! again before `nextUpdate`. A lookup is a hash-set probe, so a CRL of
//! 100,000 entries costs no more per login than one of ten.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::cert::CaFacts;
use super::sig;

const DELTA_CRL_INDICATOR: &str = "2.5.29.27";

/// A verified revocation list of one CA.
#[derive(Debug)]
pub struct Crl {
    revoked: HashSet<Vec<u8>>,
    pub this_update: i64,
    /// Until when the list may be used: its `nextUpdate`, or the configured
    /// default lifetime after fetching when it has none.
    pub valid_until: i64,
    /// When to fetch a fresh one.
    pub refresh_at: i64,
    pub url: String,
}

impl Crl {
    /// Is the certificate with this serial (DER content) revoked?
    pub fn is_revoked(&self, serial: &[u8]) -> bool {
        self.revoked.contains(serial)
    }

    pub fn len(&self) -> usize {
        self.revoked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.revoked.is_empty()
    }
}

/// How CRLs are fetched and kept.
#[derive(Debug, Clone, Copy)]
pub struct CrlPolicy {
    pub refresh_before: i64,
    pub default_lifetime: i64,
    pub max_bytes: usize,
}

/// Parses `bytes` (DER, or PEM `X509 CRL`) and verifies it was signed by
/// `ca`. `now` places the refresh time.
pub fn parse_and_verify(
    bytes: &[u8],
    ca: &CaFacts,
    url: &str,
    now: i64,
    policy: CrlPolicy,
) -> Result<Crl, String> {
    let der = pem_or_der(bytes)?;
    let (rest, crl) =
        CertificateRevocationList::from_der(&der).map_err(|e| format!("not a CRL: {e}"))?;
    if !rest.is_empty() {
        return Err("trailing bytes after the CRL".into());
    }
    if crl.issuer().as_raw() != ca.subject_raw.as_slice() {
        return Err(format!(
            "CRL issued by {}, not by {}",
            crl.issuer(),
            ca.subject
        ));
    }
    if !ca.crl_sign {
        return Err(format!("{} may not sign CRLs (KeyUsage)", ca.subject));
    }
    if crl
        .extensions()
        .iter()
        .any(|e| e.oid.to_id_string() == DELTA_CRL_INDICATOR)
    {
        return Err("delta CRLs are not supported".into());
    }
    let (_, key) = SubjectPublicKeyInfo::from_der(&ca.spki).map_err(|e| format!("CA key: {e}"))?;
    sig::verify(
        &key,
        &crl.signature_algorithm,
        crl.tbs_cert_list.as_ref(),
        &crl.signature_value.data,
    )
    .map_err(|e| format!("CRL signature: {e}"))?;
    let this_update = crl.last_update().timestamp();
    let next_update = crl.next_update().map(|t| t.timestamp());
    let valid_until = next_update.unwrap_or(now + policy.default_lifetime);
    let refresh_at = match next_update {
        Some(n) => (n - policy.refresh_before).max(this_update),
        None => valid_until,
    };
    let revoked = crl
        .iter_revoked_certificates()
        .map(|r| r.raw_serial().to_vec())
        .collect();
    Ok(Crl {
        revoked,
        this_update,
        valid_until,
        refresh_at,
        url: url.to_string(),
    })
}

fn pem_or_der(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let head = bytes.trim_ascii_start();
    if !head.starts_with(b"-----BEGIN") {
        return Ok(bytes.to_vec());
    }
    let text = std::str::from_utf8(head).map_err(|_| "PEM CRL is not text".to_string())?;
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN X509 CRL-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    crate::tokens::b64_std_decode(body.trim()).map_err(|e| format!("PEM CRL: {e}"))
}

/// The CRLs of the card CAs, by CA index, with one fetch at a time per CA.
pub struct CrlCache {
    http: reqwest::Client,
    policy: CrlPolicy,
    cached: Mutex<HashMap<usize, Arc<Crl>>>,
    /// The URL each CA's CRL was last asked from (a configured override or
    /// a card's distribution point), for the background refresh.
    urls: Mutex<HashMap<usize, String>>,
    fetching: Vec<tokio::sync::Mutex<()>>,
}

impl CrlCache {
    pub fn new(http: reqwest::Client, policy: CrlPolicy, issuers: usize) -> Self {
        Self {
            http,
            policy,
            cached: Mutex::new(HashMap::new()),
            urls: Mutex::new(HashMap::new()),
            fetching: (0..issuers).map(|_| tokio::sync::Mutex::new(())).collect(),
        }
    }

    fn cached(&self, ca: usize) -> Option<Arc<Crl>> {
        self.cached.lock().ok()?.get(&ca).cloned()
    }

    /// Remembers `url` as where CA `ca` publishes, for [`Self::refresh_due`].
    pub fn remember_url(&self, ca: usize, url: &str) {
        if let Ok(mut m) = self.urls.lock() {
            m.insert(ca, url.to_string());
        }
    }

    /// A usable CRL of CA `ca`: the cached one while it is not due, else a
    /// fresh one from `url`; when fetching fails, the cached one while it
    /// is still valid.
    pub async fn get(
        &self,
        ca: usize,
        facts: &CaFacts,
        url: &str,
        now: i64,
    ) -> Result<Arc<Crl>, String> {
        self.remember_url(ca, url);
        if let Some(c) = self
            .cached(ca)
            .filter(|c| now < c.refresh_at && c.url == url)
        {
            return Ok(c);
        }
        let Some(lock) = self.fetching.get(ca) else {
            return Err("unknown CA".into());
        };
        let _one_at_a_time = lock.lock().await;
        // Another request may have fetched it while this one waited.
        if let Some(c) = self
            .cached(ca)
            .filter(|c| now < c.refresh_at && c.url == url)
        {
            return Ok(c);
        }
        match self.fetch(facts, url, now).await {
            Ok(crl) => {
                let crl = Arc::new(crl);
                tracing::info!(
                    ca = %facts.subject,
                    url,
                    entries = crl.len(),
                    valid_until = crl.valid_until,
                    "certificate revocation list fetched"
                );
                if let Ok(mut m) = self.cached.lock() {
                    m.insert(ca, crl.clone());
                }
                Ok(crl)
            }
            Err(e) => {
                let stale = self
                    .cached(ca)
                    .filter(|c| now < c.valid_until && c.url == url);
                match stale {
                    Some(c) => {
                        tracing::warn!(
                            ca = %facts.subject, url, error = %e, valid_until = c.valid_until,
                            "could not fetch a fresh CRL; using the cached one, still valid"
                        );
                        Ok(c)
                    }
                    None => Err(e),
                }
            }
        }
    }

    async fn fetch(&self, facts: &CaFacts, url: &str, now: i64) -> Result<Crl, String> {
        let mut resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("fetching {url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("fetching {url}: HTTP {}", resp.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("fetching {url}: {e}"))?
        {
            if body.len() + chunk.len() > self.policy.max_bytes {
                return Err(format!(
                    "{url}: CRL larger than {} bytes",
                    self.policy.max_bytes
                ));
            }
            body.extend_from_slice(&chunk);
        }
        parse_and_verify(&body, facts, url, now, self.policy)
    }

    /// The CAs whose CRL is due for a fetch at `now`, with the URL.
    pub fn refresh_due(&self, now: i64) -> Vec<(usize, String)> {
        let urls = self.urls.lock().map(|m| m.clone()).unwrap_or_default();
        urls.into_iter()
            .filter(|(ca, _)| self.cached(*ca).is_none_or(|c| now >= c.refresh_at))
            .collect()
    }
}

/// The timeout of CRL fetches.
pub fn http_client(timeout_secs: u64) -> Result<reqwest::Client, String> {
    crate::http_client_builder()
        .timeout(Duration::from_secs(timeout_secs.max(1)))
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
        IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
        PKCS_ECDSA_P384_SHA384, RevokedCertParams, SerialNumber,
    };
    use time::OffsetDateTime;

    const NOW: i64 = 1_800_000_000;
    const POLICY: CrlPolicy = CrlPolicy {
        refresh_before: 600,
        default_lifetime: 3600,
        max_bytes: 1 << 20,
    };

    fn ca(alg: &'static rcgen::SignatureAlgorithm, cn: &str) -> CertifiedIssuer<'static, KeyPair> {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        CertifiedIssuer::self_signed(p, KeyPair::generate_for(alg).unwrap()).unwrap()
    }

    fn crl(ca: &CertifiedIssuer<'static, KeyPair>, serials: &[&[u8]]) -> Vec<u8> {
        let at = |t| OffsetDateTime::from_unix_timestamp(t).unwrap();
        CertificateRevocationListParams {
            this_update: at(NOW - 60),
            next_update: at(NOW + 86_400),
            crl_number: SerialNumber::from_slice(&[1]),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(s),
                    revocation_time: at(NOW - 120),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(ca)
        .unwrap()
        .der()
        .to_vec()
    }

    #[test]
    fn a_crl_verifies_against_its_ca_and_lists_serials() {
        for alg in [&PKCS_ECDSA_P256_SHA256, &PKCS_ECDSA_P384_SHA384] {
            let ca = ca(alg, "Card CA");
            let facts = super::super::cert::read_ca(ca.der()).unwrap();
            let der = crl(&ca, &[&[0x4c, 0x01], &[0x4c, 0x02]]);
            let c = parse_and_verify(&der, &facts, "http://x", NOW, POLICY).unwrap();
            assert!(c.is_revoked(&[0x4c, 0x01]) && !c.is_revoked(&[0x4c, 0x03]));
            assert_eq!(c.len(), 2);
            assert_eq!(c.valid_until, NOW + 86_400);
            assert_eq!(c.refresh_at, NOW + 86_400 - 600);
            // PEM is accepted too.
            let pem = format!(
                "-----BEGIN X509 CRL-----\n{}\n-----END X509 CRL-----\n",
                crate::tokens::b64_std(&der)
            );
            assert!(parse_and_verify(pem.as_bytes(), &facts, "http://x", NOW, POLICY).is_ok());
        }
    }

    #[test]
    fn a_forged_or_foreign_crl_is_refused() {
        let ca = ca(&PKCS_ECDSA_P384_SHA384, "Card CA");
        let facts = super::super::cert::read_ca(ca.der()).unwrap();
        let mut der = crl(&ca, &[&[0x4c, 0x01]]);
        // Flip a bit of the revoked serial: the signature no longer holds.
        let at = der.windows(2).position(|w| w == [0x4c, 0x01]).unwrap();
        der[at + 1] ^= 0x02;
        let err = parse_and_verify(&der, &facts, "u", NOW, POLICY).unwrap_err();
        assert!(err.contains("signature"), "{err}");
        // Same name, another key.
        let impostor = self::ca(&PKCS_ECDSA_P384_SHA384, "Card CA");
        let err = parse_and_verify(&crl(&impostor, &[]), &facts, "u", NOW, POLICY).unwrap_err();
        assert!(err.contains("signature"), "{err}");
        // Another CA altogether.
        let other = self::ca(&PKCS_ECDSA_P256_SHA256, "Other CA");
        let err = parse_and_verify(&crl(&other, &[]), &facts, "u", NOW, POLICY).unwrap_err();
        assert!(err.contains("not by"), "{err}");
        assert!(parse_and_verify(b"junk", &facts, "u", NOW, POLICY).is_err());
    }
}
