//! The strict wrapper over bergshamra: the only place that signs, verifies,
//! encrypts or decrypts XML. Verification trusts only keys from the IdP's
//! metadata (never a key inside the document), refuses signature positions
//! other than the enveloped one, and reports which elements the valid
//! signatures cover, so the caller uses only what was signed.

use bergshamra::keys::loader;
use bergshamra::xml::uppsala::{Document, NodeId};
use bergshamra::{DsigContext, EncContext, KeysManager, VerifyResult};

/// Why XML security failed; the text is for the operator's log.
#[derive(Debug, thiserror::Error)]
pub enum XmlSecError {
    #[error("key: {0}")]
    Key(String),
    #[error("signature: {0}")]
    Signature(String),
    #[error("decryption: {0}")]
    Decryption(String),
    #[error("signing: {0}")]
    Signing(String),
}

/// The signing certificates one IdP may use (its current and next key).
#[derive(Clone)]
pub struct Signers {
    keys: KeysManager,
    count: usize,
}

impl std::fmt::Debug for Signers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signers({} keys)", self.count)
    }
}

impl Signers {
    /// From DER certificates (as metadata carries them).
    pub fn from_der(certs: &[Vec<u8>]) -> Result<Self, XmlSecError> {
        let mut keys = KeysManager::new();
        for c in certs {
            keys.add_key(
                loader::load_x509_cert_der(c).map_err(|e| XmlSecError::Key(e.to_string()))?,
            );
        }
        if certs.is_empty() {
            return Err(XmlSecError::Key("no signing certificate".into()));
        }
        Ok(Self {
            keys,
            count: certs.len(),
        })
    }

    /// From a PEM file of one or more certificates (a federation's metadata
    /// signing certificate, with its next one during a rollover).
    pub fn from_pem_file(path: &str) -> Result<Self, XmlSecError> {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| XmlSecError::Key(format!("cannot read {path}: {e}")))?;
        let mut certs = Vec::new();
        let mut rest = pem.as_str();
        while let Some(at) = rest.find("-----BEGIN CERTIFICATE-----") {
            certs.push(pem_body(&rest[at..], "CERTIFICATE")?);
            rest = &rest[at + "-----BEGIN CERTIFICATE-----".len()..];
        }
        if certs.is_empty() {
            return Err(XmlSecError::Key(format!("{path} holds no CERTIFICATE")));
        }
        Self::from_der(&certs)
    }

    /// Verifies every signature in `doc` with these keys only and returns
    /// the elements that valid signatures cover. An invalid signature
    /// anywhere is an error: a document with a broken signature is not
    /// half-trusted.
    pub fn covered(&self, doc: &Document<'_>) -> Result<Vec<NodeId>, XmlSecError> {
        // Before any verification work: nothing outside the document, and
        // only the algorithms SAML needs.
        check_signatures(doc)?;
        let mut ctx = DsigContext::new(self.keys.clone());
        ctx.trusted_keys_only = true;
        ctx.strict_verification = true;
        let results = match bergshamra::dsig::verify::verify_all_document(&ctx, doc) {
            Ok(r) => r,
            Err(bergshamra::Error::MissingElement(_)) => return Ok(Vec::new()),
            Err(e) => return Err(XmlSecError::Signature(e.to_string())),
        };
        let mut covered = Vec::new();
        for r in results {
            match r {
                VerifyResult::Valid { references, .. } => {
                    for reference in references {
                        if !reference.digest_verified {
                            return Err(XmlSecError::Signature(
                                "a reference was not verified locally".into(),
                            ));
                        }
                        match reference.resolved_node {
                            Some(n) => covered.push(n),
                            None => {
                                return Err(XmlSecError::Signature(format!(
                                    "reference {:?} is not to an element of the document",
                                    reference.uri
                                )));
                            }
                        }
                    }
                }
                VerifyResult::Invalid { reason } => return Err(XmlSecError::Signature(reason)),
            }
        }
        Ok(covered)
    }
}

const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// RSA and ECDSA with SHA-256 or stronger; no SHA-1, no HMAC, no DSA.
const SIGNATURE_METHODS: &[&str] = &[
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
];
const DIGEST_METHODS: &[&str] = &[
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];

/// Refuses, before anything is verified, a signature that could make the
/// verifier read outside the document (a Reference URI not starting with
/// `#`), or that uses anything but exclusive C14N, the enveloped-signature
/// transform, and RSA/ECDSA with SHA-256 or stronger.
fn check_signatures(doc: &Document<'_>) -> Result<(), XmlSecError> {
    use super::xml::{DS, all, attr, children, is};
    let bad = |m: String| Err(XmlSecError::Signature(m));
    for sig in all(doc, DS, "Signature") {
        let Some(si) = children(doc, sig, DS, "SignedInfo").next() else {
            return bad("a Signature without SignedInfo".into());
        };
        for c in doc.children(si) {
            if doc.element(c).is_none() {
                continue;
            }
            let alg = attr(doc, c, "Algorithm").unwrap_or_default();
            if is(doc, c, DS, "CanonicalizationMethod") {
                if alg != EXC_C14N {
                    return bad(format!("canonicalization {alg:?} is not accepted"));
                }
            } else if is(doc, c, DS, "SignatureMethod") {
                if !SIGNATURE_METHODS.contains(&alg) {
                    return bad(format!("signature algorithm {alg:?} is not accepted"));
                }
            } else if is(doc, c, DS, "Reference") {
                let uri = attr(doc, c, "URI").unwrap_or_default();
                if !uri.starts_with('#') || uri.len() < 2 {
                    return bad(format!(
                        "a Reference to {uri:?} is refused: only same-document references (#id)"
                    ));
                }
                for child in doc.children(c) {
                    if doc.element(child).is_none() {
                        continue;
                    }
                    if is(doc, child, DS, "Transforms") {
                        for t in doc.children(child) {
                            if doc.element(t).is_none() {
                                continue;
                            }
                            let ta = attr(doc, t, "Algorithm").unwrap_or_default();
                            if !is(doc, t, DS, "Transform") || !(ta == EXC_C14N || ta == ENVELOPED)
                            {
                                return bad(format!("transform {ta:?} is not accepted"));
                            }
                        }
                    } else if is(doc, child, DS, "DigestMethod") {
                        let da = attr(doc, child, "Algorithm").unwrap_or_default();
                        if !DIGEST_METHODS.contains(&da) {
                            return bad(format!("digest algorithm {da:?} is not accepted"));
                        }
                    } else if !is(doc, child, DS, "DigestValue") {
                        return bad("an unexpected element inside a Reference".into());
                    }
                }
            } else {
                return bad("an unexpected element inside SignedInfo".into());
            }
        }
    }
    Ok(())
}

/// A private key with its certificate: the SP's (signs requests, decrypts
/// assertions) or the test IdP's (signs assertions).
#[derive(Clone)]
pub struct KeyPair {
    private: KeysManager,
    public: KeysManager,
    /// The certificate as base64 DER, for metadata and KeyInfo.
    pub cert_b64: String,
    /// The PKCS#8 DER of the private key (redirect-binding signatures).
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPair(***)")
    }
}

fn pem_body(pem: &str, label: &str) -> Result<Vec<u8>, XmlSecError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem
        .find(&begin)
        .ok_or_else(|| XmlSecError::Key(format!("no {label} in the PEM file")))?;
    let rest = &pem[start + begin.len()..];
    let stop = rest
        .find(&end)
        .ok_or_else(|| XmlSecError::Key(format!("unterminated {label}")))?;
    let b64: String = rest[..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    crate::tokens::b64_std_decode(&b64).map_err(|e| XmlSecError::Key(e.to_string()))
}

impl KeyPair {
    /// From a PKCS#8 private key PEM and a certificate PEM.
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> Result<Self, XmlSecError> {
        let pkcs8 = pem_body(key_pem, "PRIVATE KEY")?;
        let cert_der = pem_body(cert_pem, "CERTIFICATE")?;
        let mut private = KeysManager::new();
        private.add_key(
            loader::load_pem_auto(key_pem.as_bytes(), None)
                .map_err(|e| XmlSecError::Key(e.to_string()))?,
        );
        let mut public = KeysManager::new();
        public.add_key(
            loader::load_x509_cert_der(&cert_der).map_err(|e| XmlSecError::Key(e.to_string()))?,
        );
        aws_lc_rs::rsa::KeyPair::from_pkcs8(&pkcs8)
            .map_err(|e| XmlSecError::Key(format!("not an RSA PKCS#8 key: {e}")))?;
        Ok(Self {
            private,
            public,
            cert_b64: crate::tokens::b64_std(&cert_der),
            pkcs8,
        })
    }

    pub fn from_files(key_file: &str, cert_file: &str) -> Result<Self, XmlSecError> {
        let read = |p: &str| {
            std::fs::read_to_string(p)
                .map_err(|e| XmlSecError::Key(format!("cannot read {p}: {e}")))
        };
        Self::from_pem(&read(key_file)?, &read(cert_file)?)
    }

    pub fn cert_der(&self) -> Vec<u8> {
        crate::tokens::b64_std_decode(&self.cert_b64).unwrap_or_default()
    }

    /// RSA-SHA256 (PKCS#1 v1.5) over `data`: the redirect binding's
    /// detached signature.
    pub fn sign_rsa_sha256(&self, data: &[u8]) -> Result<Vec<u8>, XmlSecError> {
        let kp = aws_lc_rs::rsa::KeyPair::from_pkcs8(&self.pkcs8)
            .map_err(|e| XmlSecError::Signing(e.to_string()))?;
        let mut sig = vec![0; kp.public_modulus_len()];
        kp.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            data,
            &mut sig,
        )
        .map_err(|e| XmlSecError::Signing(e.to_string()))?;
        Ok(sig)
    }

    /// Signs the element with `ID="{id}"` in `xml`, which must hold an
    /// empty signature template (see [`signature_template`]).
    pub fn sign_template(&self, xml: &str) -> Result<String, XmlSecError> {
        let ctx = DsigContext::new(self.private.clone());
        bergshamra::sign(&ctx, xml).map_err(|e| XmlSecError::Signing(e.to_string()))
    }

    /// Decrypts the one `EncryptedData` in `xml` with this private key and
    /// returns the document with the plaintext in its place.
    pub fn decrypt(&self, xml: &str) -> Result<String, XmlSecError> {
        let ctx = EncContext::new(self.private.clone()).with_disable_cipher_reference(true);
        bergshamra::decrypt(&ctx, xml).map_err(|e| XmlSecError::Decryption(e.to_string()))
    }

    /// The certificate as a recipient of encrypted assertions.
    pub fn recipient(&self) -> Recipient {
        Recipient {
            public: self.public.clone(),
        }
    }
}

/// Whom an assertion is encrypted to: the SP's certificate.
#[derive(Clone, Debug)]
pub struct Recipient {
    public: KeysManager,
}

impl Recipient {
    pub fn from_der(cert: &[u8]) -> Result<Self, XmlSecError> {
        let mut public = KeysManager::new();
        public.add_key(
            loader::load_x509_cert_der(cert).map_err(|e| XmlSecError::Key(e.to_string()))?,
        );
        Ok(Self { public })
    }

    /// Encrypts `plaintext` (an element) to this certificate: an AES-256
    /// content key (GCM, or CBC when asked), wrapped with RSA-OAEP — what
    /// Suomi.fi does.
    pub fn encrypt(&self, plaintext: &str, cbc: bool) -> Result<String, XmlSecError> {
        let method = if cbc {
            "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
        } else {
            "http://www.w3.org/2009/xmlenc11#aes256-gcm"
        };
        let template = format!(
            "<xenc:EncryptedData xmlns:xenc=\"{x}\" Type=\"{x}Element\">\
             <xenc:EncryptionMethod Algorithm=\"{method}\"/>\
             <ds:KeyInfo xmlns:ds=\"{ds}\"><xenc:EncryptedKey>\
             <xenc:EncryptionMethod Algorithm=\"{x}rsa-oaep-mgf1p\">\
             <ds:DigestMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha1\"/>\
             </xenc:EncryptionMethod>\
             <xenc:CipherData><xenc:CipherValue></xenc:CipherValue></xenc:CipherData>\
             </xenc:EncryptedKey></ds:KeyInfo>\
             <xenc:CipherData><xenc:CipherValue></xenc:CipherValue></xenc:CipherData>\
             </xenc:EncryptedData>",
            x = super::xml::XENC,
            ds = super::xml::DS,
        );
        let ctx = EncContext::new(self.public.clone());
        bergshamra::encrypt(&ctx, &template, plaintext.as_bytes())
            .map_err(|e| XmlSecError::Signing(format!("encryption failed: {e}")))
    }
}

/// An enveloped-signature template over the element `ID="{id}"`
/// (RSA-SHA256, exclusive C14N), to place right after its Issuer.
pub fn signature_template(id: &str, cert_b64: &str) -> String {
    format!(
        "<ds:Signature xmlns:ds=\"{ds}\"><ds:SignedInfo>\
         <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
         <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\
         <ds:Reference URI=\"#{id}\"><ds:Transforms>\
         <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
         <ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
         </ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\
         <ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>\
         <ds:SignatureValue></ds:SignatureValue>\
         <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
         </ds:Signature>",
        ds = super::xml::DS,
        id = super::xml::esc(id),
    )
}

/// Verifies an RSA-SHA256 redirect-binding signature with a certificate.
pub fn verify_rsa_sha256(cert_der: &[u8], data: &[u8], sig: &[u8]) -> bool {
    let Ok(key) = loader::load_x509_cert_der(cert_der) else {
        return false;
    };
    let Some(spki) = key.to_spki_der() else {
        return false;
    };
    // SubjectPublicKeyInfo → the RSAPublicKey inside the BIT STRING.
    let Some(rsa_pub) = spki_public_key(&spki) else {
        return false;
    };
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        rsa_pub,
    )
    .verify(data, sig)
    .is_ok()
}

/// The subjectPublicKey bytes of a DER SubjectPublicKeyInfo.
fn spki_public_key(spki: &[u8]) -> Option<&[u8]> {
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let tag = *b.first()?;
        let first = *b.get(1)?;
        let (len, hdr) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return None;
            }
            let mut len = 0usize;
            for i in 0..n {
                len = (len << 8) | usize::from(*b.get(2 + i)?);
            }
            (len, 2 + n)
        };
        let body = b.get(hdr..hdr + len)?;
        Some((tag, body, &b[hdr + len..]))
    }
    let (t, seq, _) = tlv(spki)?;
    if t != 0x30 {
        return None;
    }
    let (_, _alg, rest) = tlv(seq)?;
    let (t, bits, _) = tlv(rest)?;
    if t != 0x03 || bits.first() != Some(&0) {
        return None;
    }
    Some(&bits[1..])
}
