//! SAML metadata: reading an IdP's, writing ours.

use super::xml::{self, BINDING_POST, BINDING_REDIRECT, DS, MD, attr, esc};
use super::xmlsec::Signers;

/// What Porttivahti needs from an IdP's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    pub entity_id: String,
    pub sso_redirect: Option<String>,
    pub sso_post: Option<String>,
    pub slo_redirect: Option<String>,
    /// DER certificates the IdP signs with (current and next).
    pub signing_certs: Vec<Vec<u8>>,
    /// The IdP asks for signed AuthnRequests.
    pub wants_signed_requests: bool,
}

impl IdpMetadata {
    /// Parses an `EntityDescriptor` (or the first IdP in an
    /// `EntitiesDescriptor` whose entityID is `entity_id`, when given).
    pub fn parse(text: &str) -> Result<Self, String> {
        let doc = xml::parse(text)?;
        let idps = xml::all(&doc, MD, "IDPSSODescriptor");
        let [idp] = idps.as_slice() else {
            return Err(format!(
                "the metadata describes {} identity providers; one is expected",
                idps.len()
            ));
        };
        let entity = doc
            .parent(*idp)
            .filter(|&p| xml::is(&doc, p, MD, "EntityDescriptor"))
            .ok_or("IDPSSODescriptor is not inside an EntityDescriptor")?;
        let entity_id = attr(&doc, entity, "entityID")
            .filter(|s| !s.is_empty())
            .ok_or("EntityDescriptor has no entityID")?
            .to_string();
        let mut m = IdpMetadata {
            entity_id,
            sso_redirect: None,
            sso_post: None,
            slo_redirect: None,
            signing_certs: Vec::new(),
            wants_signed_requests: attr(&doc, *idp, "WantAuthnRequestsSigned") == Some("true"),
        };
        for sso in xml::children(&doc, *idp, MD, "SingleSignOnService") {
            let loc = attr(&doc, sso, "Location").map(str::to_string);
            match attr(&doc, sso, "Binding") {
                Some(BINDING_REDIRECT) => m.sso_redirect = m.sso_redirect.or(loc),
                Some(BINDING_POST) => m.sso_post = m.sso_post.or(loc),
                _ => {}
            }
        }
        for slo in xml::children(&doc, *idp, MD, "SingleLogoutService") {
            if attr(&doc, slo, "Binding") == Some(BINDING_REDIRECT) {
                m.slo_redirect = m
                    .slo_redirect
                    .or(attr(&doc, slo, "Location").map(str::to_string));
            }
        }
        for kd in xml::children(&doc, *idp, MD, "KeyDescriptor") {
            if !matches!(attr(&doc, kd, "use"), None | Some("signing")) {
                continue;
            }
            for ki in xml::children(&doc, kd, DS, "KeyInfo") {
                for xd in xml::children(&doc, ki, DS, "X509Data") {
                    for c in xml::children(&doc, xd, DS, "X509Certificate") {
                        let b64: String = xml::text(&doc, c)?
                            .chars()
                            .filter(|c| !c.is_whitespace())
                            .collect();
                        let der = crate::tokens::b64_std_decode(&b64)
                            .map_err(|e| format!("a signing certificate is not base64: {e}"))?;
                        m.signing_certs.push(der);
                    }
                }
            }
        }
        if m.signing_certs.is_empty() {
            return Err("the metadata names no signing certificate".into());
        }
        if m.sso_redirect.is_none() && m.sso_post.is_none() {
            return Err(
                "the metadata names no SingleSignOnService (HTTP-Redirect or HTTP-POST)".into(),
            );
        }
        Ok(m)
    }
}

/// Our service-provider metadata for one source.
pub fn sp_metadata(entity_id: &str, acs: &str, slo: &str, cert_b64: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <md:EntityDescriptor xmlns:md=\"{MD}\" xmlns:ds=\"{DS}\" entityID=\"{eid}\">\
         <md:SPSSODescriptor AuthnRequestsSigned=\"true\" WantAssertionsSigned=\"true\" \
         protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
         <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}\
         </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
         <md:KeyDescriptor use=\"encryption\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}\
         </ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
         <md:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes256-gcm\"/>\
         <md:EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#aes256-cbc\"/>\
         <md:EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p\"/>\
         </md:KeyDescriptor>\
         <md:SingleLogoutService Binding=\"{BINDING_REDIRECT}\" Location=\"{slo}\"/>\
         <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>\
         <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\
         <md:AssertionConsumerService Binding=\"{BINDING_POST}\" Location=\"{acs}\" index=\"0\" isDefault=\"true\"/>\
         </md:SPSSODescriptor></md:EntityDescriptor>\n",
        eid = esc(entity_id),
        cert = cert_b64,
        slo = esc(slo),
        acs = esc(acs),
    )
}

/// The `ID` of the metadata [`idp_metadata`] writes: what a federation's
/// signature over it refers to.
pub const IDP_METADATA_ID: &str = "_idp-metadata";

/// An IdP's metadata (the test and development IdP publishes this).
pub fn idp_metadata(entity_id: &str, sso: &str, slo: &str, cert_b64: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <md:EntityDescriptor xmlns:md=\"{MD}\" xmlns:ds=\"{DS}\" ID=\"{IDP_METADATA_ID}\" entityID=\"{eid}\">\
         <md:IDPSSODescriptor WantAuthnRequestsSigned=\"true\" \
         protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
         <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}\
         </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
         <md:SingleLogoutService Binding=\"{BINDING_REDIRECT}\" Location=\"{slo}\"/>\
         <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>\
         <md:SingleSignOnService Binding=\"{BINDING_REDIRECT}\" Location=\"{sso}\"/>\
         <md:SingleSignOnService Binding=\"{BINDING_POST}\" Location=\"{sso}\"/>\
         </md:IDPSSODescriptor></md:EntityDescriptor>\n",
        eid = esc(entity_id),
        cert = cert_b64,
        sso = esc(sso),
        slo = esc(slo),
    )
}

/// Checks that `text` is signed as a whole (its document element) by one
/// of `federation`'s certificates, and, when it says `validUntil`, that it
/// has not expired: metadata published by a federation (Suomi.fi, Haka)
/// is trusted only so. The error is the operator's log line.
pub fn check_federation_signature(
    text: &str,
    federation: &Signers,
    now: i64,
) -> Result<(), String> {
    let doc = xml::parse(text)?;
    let root = doc.document_element().ok_or("the metadata is empty")?;
    let covered = federation.covered(&doc).map_err(|e| {
        format!("the metadata's signature does not verify with metadata_signing_cert: {e}")
    })?;
    if !covered.contains(&root) {
        return Err(
            "the metadata is not signed as a whole with metadata_signing_cert (unsigned metadata is refused for this source)"
                .into(),
        );
    }
    if let Some(until) = attr(&doc, root, "validUntil") {
        let until = xml::parse_instant(until)
            .ok_or_else(|| format!("the metadata's validUntil {until:?} is not a UTC time"))?;
        if until <= now {
            return Err(format!(
                "the metadata expired at {} (validUntil)",
                xml::instant(until)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes() {
        let cert = crate::tokens::b64_std(b"not really a certificate");
        let text = idp_metadata(
            "https://idp.example.fi",
            "https://idp.example.fi/sso",
            "https://idp.example.fi/slo",
            &cert,
        );
        let m = IdpMetadata::parse(&text).unwrap();
        assert_eq!(m.entity_id, "https://idp.example.fi");
        assert_eq!(
            m.sso_redirect.as_deref(),
            Some("https://idp.example.fi/sso")
        );
        assert_eq!(m.sso_post.as_deref(), Some("https://idp.example.fi/sso"));
        assert_eq!(
            m.slo_redirect.as_deref(),
            Some("https://idp.example.fi/slo")
        );
        assert_eq!(m.signing_certs, vec![b"not really a certificate".to_vec()]);
        assert!(m.wants_signed_requests);
    }

    #[test]
    fn refuses_metadata_without_keys_or_endpoints() {
        let no_keys = "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\">\
            <md:IDPSSODescriptor><md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"https://x/sso\"/>\
            </md:IDPSSODescriptor></md:EntityDescriptor>";
        assert!(
            IdpMetadata::parse(no_keys)
                .unwrap_err()
                .contains("no signing certificate")
        );
        assert!(IdpMetadata::parse("<x/>").is_err());
    }
}
