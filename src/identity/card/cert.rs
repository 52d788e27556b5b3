//! What a card certificate says, read with x509-parser: who (subject), by
//! whom (issuer), until when, for what (key usage, policies), and where its
//! revocation list and OCSP responder are.

use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::X509Name;

const SERIAL_NUMBER: &str = "2.5.4.5";
const COMMON_NAME: &str = "2.5.4.3";
const SURNAME: &str = "2.5.4.4";
const GIVEN_NAME: &str = "2.5.4.42";
const TITLE: &str = "2.5.4.12";

/// The facts of one certificate that card login needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    /// DER content of the serial number (as CRLs list it).
    pub serial: Vec<u8>,
    pub subject: String,
    /// DER of the issuer's name, to match a configured CA exactly.
    pub issuer_raw: Vec<u8>,
    pub issuer: String,
    pub not_before: i64,
    pub not_after: i64,
    /// The subject `serialNumber` (DVV: the SATU).
    pub serial_number: Option<String>,
    pub common_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub title: Option<String>,
    /// The subject attribute named by `card.registration_number_attribute`.
    pub registration_number: Option<String>,
    /// Certificate policy OIDs, dotted.
    pub policies: Vec<String>,
    /// http(s) URIs of the CRL distribution points.
    pub crl_urls: Vec<String>,
    /// http(s) URIs of the OCSP responders in AuthorityInfoAccess
    /// (access method id-ad-ocsp).
    pub ocsp_urls: Vec<String>,
    /// KeyUsage is present and allows digitalSignature (critical or not).
    pub digital_signature: bool,
    /// ExtendedKeyUsage is present and names clientAuth.
    pub client_auth: bool,
}

impl CertFacts {
    pub fn serial_hex(&self) -> String {
        crate::tokens::hex(&self.serial)
    }
}

fn attribute(name: &X509Name<'_>, oid: &str) -> Option<String> {
    name.iter_attributes()
        .find(|a| a.attr_type().to_id_string() == oid)
        .and_then(|a| a.as_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Reads a DER certificate; `registration_attr` is the dotted OID of the
/// subject attribute holding the registration number, if configured.
pub fn read(der: &[u8], registration_attr: Option<&str>) -> Result<CertFacts, String> {
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|e| format!("not a certificate: {e}"))?;
    if !rest.is_empty() {
        return Err("trailing bytes after the certificate".into());
    }
    let subject = cert.subject();
    let mut policies = Vec::new();
    let mut crl_urls = Vec::new();
    let mut ocsp_urls = Vec::new();
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::CertificatePolicies(ps) => {
                policies.extend(ps.iter().map(|p| p.policy_id.to_id_string()));
            }
            ParsedExtension::CRLDistributionPoints(dps) => {
                for dp in dps.iter() {
                    if let Some(DistributionPointName::FullName(names)) = &dp.distribution_point {
                        for n in names {
                            if let GeneralName::URI(u) = n
                                && (u.starts_with("http://") || u.starts_with("https://"))
                            {
                                crl_urls.push(u.to_string());
                            }
                        }
                    }
                }
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for desc in aia.iter() {
                    if desc.access_method.to_id_string() == super::ocsp::AD_OCSP
                        && let GeneralName::URI(u) = &desc.access_location
                        && (u.starts_with("http://") || u.starts_with("https://"))
                    {
                        ocsp_urls.push(u.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    let digital_signature =
        matches!(cert.key_usage(), Ok(Some(ku)) if ku.value.digital_signature());
    let client_auth = matches!(cert.extended_key_usage(), Ok(Some(eku)) if eku.value.client_auth);
    Ok(CertFacts {
        serial: cert.raw_serial().to_vec(),
        subject: subject.to_string(),
        issuer_raw: cert.issuer().as_raw().to_vec(),
        issuer: cert.issuer().to_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        serial_number: attribute(subject, SERIAL_NUMBER),
        common_name: attribute(subject, COMMON_NAME),
        given_name: attribute(subject, GIVEN_NAME),
        family_name: attribute(subject, SURNAME),
        title: attribute(subject, TITLE),
        registration_number: registration_attr.and_then(|oid| attribute(subject, oid)),
        policies,
        crl_urls,
        ocsp_urls,
        digital_signature,
        client_auth,
    })
}

/// A CA certificate as the verifier keeps it: its name (to match card
/// issuers and CRL issuers) and its key (to verify CRLs).
pub struct CaFacts {
    pub subject_raw: Vec<u8>,
    pub subject: String,
    /// SubjectPublicKeyInfo DER.
    pub spki: Vec<u8>,
    /// KeyUsage allows cRLSign (or there is no KeyUsage).
    pub crl_sign: bool,
    /// The CA certificate's own validity (Unix seconds).
    pub not_before: i64,
    pub not_after: i64,
}

pub fn read_ca(der: &[u8]) -> Result<CaFacts, String> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| format!("not a certificate: {e}"))?;
    let crl_sign = match cert.key_usage() {
        Ok(Some(ku)) => ku.value.crl_sign(),
        Ok(None) => true,
        Err(e) => return Err(format!("bad KeyUsage: {e}")),
    };
    Ok(CaFacts {
        subject_raw: cert.subject().as_raw().to_vec(),
        subject: cert.subject().to_string(),
        spki: cert.public_key().raw.to_vec(),
        crl_sign,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
    })
}
