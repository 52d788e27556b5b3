//! CMS SignedData (RFC 5652), the "PKCS7" signature an MSSP returns: read
//! one signer's signature over its signed attributes and check that it
//! signed exactly what we asked; and build the same structure (the
//! development MSSP signs with it).
//!
//! Only what mobile signatures use is accepted: one signer, SHA-256,
//! signed attributes with contentType and messageDigest, content `data`
//! (attached or detached), RSA PKCS#1 v1.5 or ECDSA.

use x509_parser::asn1_rs::{Class, Tag};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::der::{self, Element};

pub const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
pub const DATA: &str = "1.2.840.113549.1.7.1";
const CONTENT_TYPE_ATTR: &str = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST_ATTR: &str = "1.2.840.113549.1.9.4";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmsError {
    #[error("the signature cannot be read: {0}")]
    Malformed(String),
    #[error("the signature is over other data: {0}")]
    OtherData(String),
    #[error("the signature does not verify: {0}")]
    BadSignature(String),
}

fn malformed(m: impl Into<String>) -> CmsError {
    CmsError::Malformed(m.into())
}

/// How a SignerInfo names its certificate.
enum SignerId<'a> {
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    KeyId(&'a [u8]),
}

struct SignerInfo<'a> {
    id: SignerId<'a>,
    digest_alg: String,
    /// The `[0] IMPLICIT` signed attributes, all their bytes.
    signed_attrs: &'a [u8],
    content_type: Option<String>,
    message_digest: Option<&'a [u8]>,
    signature_alg: String,
    signature: &'a [u8],
}

/// A parsed SignedData.
pub struct SignedData<'a> {
    content_type: String,
    /// The encapsulated content, when attached.
    content: Option<&'a [u8]>,
    /// Certificates (DER) that came with it.
    pub certificates: Vec<&'a [u8]>,
    signer: SignerInfo<'a>,
}

/// Reads `bytes` as a ContentInfo holding SignedData.
pub fn parse(bytes: &[u8]) -> Result<SignedData<'_>, CmsError> {
    let ci = der::only(bytes).map_err(malformed)?;
    let parts = sequence(&ci)?;
    let [kind, explicit] = parts.as_slice() else {
        return Err(malformed("ContentInfo is not two elements"));
    };
    if der::oid(kind).map_err(malformed)? != SIGNED_DATA {
        return Err(malformed("not SignedData"));
    }
    if !explicit.is(Class::ContextSpecific, 0) {
        return Err(malformed("ContentInfo content is not [0]"));
    }
    let sd = der::only(explicit.content).map_err(malformed)?;
    signed_data(&sequence(&sd)?)
}

fn sequence<'a>(e: &Element<'a>) -> Result<Vec<Element<'a>>, CmsError> {
    if !e.is_universal(Tag::Sequence) {
        return Err(malformed("expected a SEQUENCE"));
    }
    der::elements(e.content).map_err(malformed)
}

fn set<'a>(e: &Element<'a>) -> Result<Vec<Element<'a>>, CmsError> {
    if !e.is_universal(Tag::Set) {
        return Err(malformed("expected a SET"));
    }
    der::elements(e.content).map_err(malformed)
}

/// The algorithm OID of an AlgorithmIdentifier.
fn algorithm(e: &Element<'_>) -> Result<String, CmsError> {
    let parts = sequence(e)?;
    let first = parts
        .first()
        .ok_or_else(|| malformed("empty AlgorithmIdentifier"))?;
    der::oid(first).map_err(malformed)
}

fn signed_data<'a>(parts: &[Element<'a>]) -> Result<SignedData<'a>, CmsError> {
    // version, digestAlgorithms, encapContentInfo, [0] certificates,
    // [1] crls, signerInfos
    let (encap, rest) = match parts {
        [_version, _digests, encap, rest @ ..] => (encap, rest),
        _ => return Err(malformed("SignedData is too short")),
    };
    let Some((signers, middle)) = rest.split_last() else {
        return Err(malformed("SignedData has no signerInfos"));
    };
    let mut certificates = Vec::new();
    for m in middle {
        if m.is(Class::ContextSpecific, 0) {
            for c in der::elements(m.content).map_err(malformed)? {
                if c.is_universal(Tag::Sequence) {
                    certificates.push(c.raw);
                }
            }
        } else if !m.is(Class::ContextSpecific, 1) {
            return Err(malformed("unexpected element in SignedData"));
        }
    }
    let encap = sequence(encap)?;
    let content_type = der::oid(
        encap
            .first()
            .ok_or_else(|| malformed("empty encapContentInfo"))?,
    )
    .map_err(malformed)?;
    let content = match encap.get(1) {
        None => None,
        Some(e) if e.is(Class::ContextSpecific, 0) => {
            let octets = der::only(e.content).map_err(malformed)?;
            if !octets.is_universal(Tag::OctetString) {
                return Err(malformed("eContent is not an OCTET STRING"));
            }
            Some(octets.content)
        }
        Some(_) => return Err(malformed("bad eContent")),
    };
    let signers = set(signers)?;
    let [signer] = signers.as_slice() else {
        return Err(malformed(format!(
            "{} signers; exactly one is accepted",
            signers.len()
        )));
    };
    Ok(SignedData {
        content_type,
        content,
        certificates,
        signer: signer_info(signer)?,
    })
}

fn signer_info<'a>(e: &Element<'a>) -> Result<SignerInfo<'a>, CmsError> {
    let parts = sequence(e)?;
    let [_version, sid, digest, attrs, sig_alg, signature, ..] = parts.as_slice() else {
        return Err(malformed(
            "SignerInfo without signed attributes is not accepted",
        ));
    };
    let id = if sid.is(Class::ContextSpecific, 0) {
        SignerId::KeyId(sid.content)
    } else {
        let ias = sequence(sid)?;
        let [issuer, serial] = ias.as_slice() else {
            return Err(malformed("bad IssuerAndSerialNumber"));
        };
        if !serial.is_universal(Tag::Integer) {
            return Err(malformed("bad serial number"));
        }
        SignerId::IssuerSerial {
            issuer: issuer.raw,
            serial: serial.content,
        }
    };
    if !attrs.is(Class::ContextSpecific, 0) {
        return Err(malformed(
            "SignerInfo without signed attributes is not accepted",
        ));
    }
    if !signature.is_universal(Tag::OctetString) {
        return Err(malformed("the signature is not an OCTET STRING"));
    }
    let mut content_type = None;
    let mut message_digest = None;
    for attr in der::elements(attrs.content).map_err(malformed)? {
        let a = sequence(&attr)?;
        let [kind, values] = a.as_slice() else {
            return Err(malformed("bad attribute"));
        };
        let values = set(values)?;
        let [value] = values.as_slice() else {
            return Err(malformed("an attribute must have one value"));
        };
        let slot_taken = match der::oid(kind).map_err(malformed)?.as_str() {
            CONTENT_TYPE_ATTR => content_type
                .replace(der::oid(value).map_err(malformed)?)
                .is_some(),
            MESSAGE_DIGEST_ATTR if value.is_universal(Tag::OctetString) => {
                message_digest.replace(value.content).is_some()
            }
            MESSAGE_DIGEST_ATTR => return Err(malformed("messageDigest is not OCTET STRING")),
            _ => false,
        };
        if slot_taken {
            return Err(malformed("a signed attribute appears twice"));
        }
    }
    Ok(SignerInfo {
        id,
        digest_alg: algorithm(digest)?,
        signed_attrs: attrs.raw,
        content_type,
        message_digest,
        signature_alg: algorithm(sig_alg)?,
        signature: signature.content,
    })
}

impl<'a> SignedData<'a> {
    /// Checks that the one signer signed exactly `expected` and that its
    /// signature verifies with the key of its certificate, which must
    /// have come with the signature. Returns that certificate (DER); its
    /// chain and revocation are the caller's to check.
    pub fn verify(&self, expected: &[u8]) -> Result<&'a [u8], CmsError> {
        let s = &self.signer;
        if s.digest_alg != SHA256 {
            return Err(malformed(format!("digest {} is not SHA-256", s.digest_alg)));
        }
        if self.content_type != DATA {
            return Err(CmsError::OtherData(format!(
                "content type {}",
                self.content_type
            )));
        }
        match &s.content_type {
            Some(t) if *t == self.content_type => {}
            Some(t) => {
                return Err(CmsError::OtherData(format!(
                    "contentType attribute {t} differs from the content's"
                )));
            }
            None => return Err(malformed("no contentType attribute")),
        }
        if let Some(c) = self.content
            && c != expected
        {
            return Err(CmsError::OtherData("the attached content differs".into()));
        }
        let digest = s
            .message_digest
            .ok_or_else(|| malformed("no messageDigest attribute"))?;
        let ours = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, expected);
        if digest != ours.as_ref() {
            return Err(CmsError::OtherData(
                "messageDigest is not the SHA-256 of the data we sent".into(),
            ));
        }
        let cert_der = self.signer_certificate()?;
        let (_, cert) = X509Certificate::from_der(cert_der)
            .map_err(|e| malformed(format!("signer certificate: {e}")))?;
        // The signature is over the DER SET OF the attributes: the same
        // bytes with the universal SET tag in place of [0].
        let mut signed = s.signed_attrs.to_vec();
        signed[0] = 0x31;
        verify_signature(cert.public_key(), &s.signature_alg, &signed, s.signature)?;
        Ok(cert_der)
    }

    fn signer_certificate(&self) -> Result<&'a [u8], CmsError> {
        self.certificates
            .iter()
            .copied()
            .find(|der| {
                let Ok((_, c)) = X509Certificate::from_der(der) else {
                    return false;
                };
                match &self.signer.id {
                    SignerId::IssuerSerial { issuer, serial } => {
                        c.issuer().as_raw() == *issuer && c.raw_serial() == *serial
                    }
                    SignerId::KeyId(id) => key_id(&c).is_some_and(|k| k == *id),
                }
            })
            .ok_or_else(|| malformed("the signer's certificate is not included"))
    }
}

fn key_id<'c>(c: &'c X509Certificate<'_>) -> Option<&'c [u8]> {
    use x509_parser::extensions::ParsedExtension;
    c.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
            _ => None,
        })
}

fn verify_signature(
    key: &x509_parser::x509::SubjectPublicKeyInfo<'_>,
    signature_alg: &str,
    message: &[u8],
    sig: &[u8],
) -> Result<(), CmsError> {
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_ASN1, ECDSA_P384_SHA256_ASN1, RSA_PKCS1_2048_8192_SHA256,
        UnparsedPublicKey, VerificationAlgorithm,
    };
    let key_alg = key.algorithm.algorithm.to_id_string();
    let curve = key
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    let alg: &'static dyn VerificationAlgorithm =
        match (key_alg.as_str(), curve.as_deref(), signature_alg) {
            (RSA_ENCRYPTION, _, RSA_ENCRYPTION | SHA256_WITH_RSA) => &RSA_PKCS1_2048_8192_SHA256,
            (EC_PUBLIC_KEY, Some("1.2.840.10045.3.1.7"), ECDSA_WITH_SHA256) => {
                &ECDSA_P256_SHA256_ASN1
            }
            (EC_PUBLIC_KEY, Some("1.3.132.0.34"), ECDSA_WITH_SHA256) => &ECDSA_P384_SHA256_ASN1,
            (k, c, s) => {
                return Err(malformed(format!(
                    "unsupported signature: key {k} (curve {}), algorithm {s}",
                    c.unwrap_or("-")
                )));
            }
        };
    UnparsedPublicKey::new(alg, &key.subject_public_key.data[..])
        .verify(message, sig)
        .map_err(|_| CmsError::BadSignature("the signer's key did not make this signature".into()))
}

/// Signs bytes with SHA-256, returning the signature.
pub type SignFn<'a> = dyn Fn(&[u8]) -> Result<Vec<u8>, String> + 'a;

/// What signs, for [`build`]: the signer's certificate (DER) and a
/// function that signs bytes with its key (SHA-256).
pub struct Signer<'k> {
    pub certificate: &'k [u8],
    pub sign: &'k SignFn<'k>,
}

/// Builds a ContentInfo with SignedData: `content` signed by `signer`
/// through signed attributes (contentType, messageDigest), its certificate
/// included, the content attached when `attach`.
pub fn build(content: &[u8], signer: &Signer<'_>, attach: bool) -> Result<Vec<u8>, String> {
    let (_, cert) = X509Certificate::from_der(signer.certificate)
        .map_err(|e| format!("signer certificate: {e}"))?;
    let is_rsa = cert.public_key().algorithm.algorithm.to_id_string() == RSA_ENCRYPTION;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, content);
    let attr = |kind: &str, value: Vec<u8>| -> Result<Vec<u8>, String> {
        Ok(der::seq(&[&der::oid_der(kind)?, &der::set_of(vec![value])]))
    };
    let attrs = der::set_of(vec![
        attr(CONTENT_TYPE_ATTR, der::oid_der(DATA)?)?,
        attr(MESSAGE_DIGEST_ATTR, der::tlv(0x04, digest.as_ref()))?,
    ]);
    let signature = (signer.sign)(&attrs)?;
    let sha256 = der::seq(&[&der::oid_der(SHA256)?]);
    let sig_alg = if is_rsa {
        der::seq(&[&der::oid_der(RSA_ENCRYPTION)?, &[0x05, 0x00]])
    } else {
        der::seq(&[&der::oid_der(ECDSA_WITH_SHA256)?])
    };
    let issuer_serial = der::seq(&[cert.issuer().as_raw(), &der::tlv(0x02, cert.raw_serial())]);
    let mut implicit_attrs = attrs.clone();
    implicit_attrs[0] = 0xa0;
    let signer_info = der::seq(&[
        &der::tlv(0x02, &[1]),
        &issuer_serial,
        &sha256,
        &implicit_attrs,
        &sig_alg,
        &der::tlv(0x04, &signature),
    ]);
    let encap = if attach {
        der::seq(&[
            &der::oid_der(DATA)?,
            &der::tlv(0xa0, &der::tlv(0x04, content)),
        ])
    } else {
        der::seq(&[&der::oid_der(DATA)?])
    };
    let signed_data = der::seq(&[
        &der::tlv(0x02, &[1]),
        &der::set_of(vec![sha256.clone()]),
        &encap,
        &der::tlv(0xa0, signer.certificate),
        &der::set_of(vec![signer_info]),
    ]);
    Ok(der::seq(&[
        &der::oid_der(SIGNED_DATA)?,
        &der::tlv(0xa0, &signed_data),
    ]))
}

#[cfg(test)]
#[path = "cms_tests.rs"]
mod tests;
