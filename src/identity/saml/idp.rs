//! A SAML identity provider that really signs and encrypts: the built-in
//! development IdP (`/dev-idp/`) and the IdP peer of the tests. It reads a
//! signed AuthnRequest, and answers with a Response whose assertion is
//! signed with its key and encrypted to the SP's certificate.

use super::metadata::{IDP_METADATA_ID, idp_metadata};
use super::request::read_redirect;
use super::xml::{self, SAML, SAMLP, STATUS_SUCCESS, attr, esc, instant};
use super::xmlsec::{KeyPair, Recipient, XmlSecError, signature_template};

/// An AuthnRequest as the IdP received it.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub id: String,
    /// The SP's entity id.
    pub issuer: String,
    pub acs: String,
    pub relay_state: Option<String>,
    pub context_refs: Vec<String>,
    pub locale: Option<String>,
    pub force_authn: bool,
}

/// Who logs in, as the IdP vouches.
#[derive(Debug, Clone)]
pub struct IdpPerson {
    pub name_id: String,
    pub authn_context: String,
    pub attributes: Vec<(String, Vec<String>)>,
}

/// How to answer: tests vary these to make responses a real SP must refuse.
#[derive(Debug, Clone)]
pub struct Answer {
    pub now: i64,
    pub sign_assertion: bool,
    pub sign_response: bool,
    /// Encrypt the assertion to this certificate.
    pub encrypt_to: Option<Recipient>,
    pub cbc: bool,
    /// How long the assertion is good for.
    pub lifetime: i64,
    pub assertion_id: String,
    /// Override the audience (a foreign one, in tests).
    pub audience: Option<String>,
    /// Override the status (e.g. `urn:…:status:Responder`), with a sub-code.
    pub status: Option<(String, Option<String>)>,
    pub session_index: String,
    /// Raw XML in place of the (escaped) NameID: tests put the comment
    /// trick here, `user@hus.fi<!---->.evil`, and the IdP signs it.
    pub name_id_xml: Option<String>,
}

impl Answer {
    pub fn new(now: i64) -> Self {
        Self {
            now,
            sign_assertion: true,
            sign_response: false,
            encrypt_to: None,
            cbc: false,
            lifetime: 300,
            assertion_id: format!("_a{}", crate::tokens::random_token(16)),
            audience: None,
            status: None,
            session_index: format!("_s{}", crate::tokens::random_token(12)),
            name_id_xml: None,
        }
    }
}

/// Signs metadata written by [`idp_metadata`] as a whole (its
/// `EntityDescriptor`, ID [`IDP_METADATA_ID`]) with `federation`'s key.
pub fn sign_metadata(xml: &str, federation: &KeyPair) -> Result<String, XmlSecError> {
    let open = xml
        .find("<md:EntityDescriptor")
        .and_then(|at| xml[at..].find('>').map(|end| at + end + 1))
        .ok_or_else(|| XmlSecError::Signing("no EntityDescriptor to sign".into()))?;
    let template = format!(
        "{}{}{}",
        &xml[..open],
        signature_template(IDP_METADATA_ID, &federation.cert_b64),
        &xml[open..]
    );
    federation.sign_template(&template)
}

#[derive(Clone)]
pub struct Idp {
    pub entity_id: String,
    pub sso_url: String,
    pub slo_url: String,
    pub key: KeyPair,
}

impl Idp {
    pub fn metadata(&self) -> String {
        idp_metadata(
            &self.entity_id,
            &self.sso_url,
            &self.slo_url,
            &self.key.cert_b64,
        )
    }

    /// The metadata signed as a whole with a federation's key (Suomi.fi and
    /// Haka publish theirs so).
    pub fn signed_metadata(&self, federation: &KeyPair) -> Result<String, XmlSecError> {
        sign_metadata(&self.metadata(), federation)
    }

    /// Reads a redirect-binding AuthnRequest, checking its signature with
    /// the SP's certificate when given.
    pub fn read_request(
        &self,
        raw_query: &str,
        sp_cert: Option<&[u8]>,
    ) -> Result<ReceivedRequest, String> {
        let m = read_redirect(raw_query, "SAMLRequest", sp_cert)?;
        let doc = xml::parse(&m.xml)?;
        let root = doc
            .document_element()
            .filter(|&r| xml::is(&doc, r, SAMLP, "AuthnRequest"))
            .ok_or("not an AuthnRequest")?;
        if attr(&doc, root, "Destination") != Some(self.sso_url.as_str()) {
            return Err("the AuthnRequest is for another IdP".into());
        }
        let issuer =
            xml::only_child(&doc, root, SAML, "Issuer")?.ok_or("the AuthnRequest has no Issuer")?;
        let mut context_refs = Vec::new();
        for rac in xml::children(&doc, root, SAMLP, "RequestedAuthnContext") {
            for r in xml::children(&doc, rac, SAML, "AuthnContextClassRef") {
                context_refs.push(xml::text(&doc, r)?);
            }
        }
        let locale = doc
            .descendants(root)
            .into_iter()
            .find(|&n| xml::is(&doc, n, "urn:vetuma:SAML:2.0:extensions", "LG"))
            .map(|n| xml::text(&doc, n))
            .transpose()?;
        Ok(ReceivedRequest {
            id: attr(&doc, root, "ID")
                .ok_or("the AuthnRequest has no ID")?
                .to_string(),
            issuer: xml::text(&doc, issuer)?,
            acs: attr(&doc, root, "AssertionConsumerServiceURL")
                .ok_or("the AuthnRequest names no AssertionConsumerServiceURL")?
                .to_string(),
            relay_state: m.relay_state,
            context_refs,
            locale,
            force_authn: attr(&doc, root, "ForceAuthn") == Some("true"),
        })
    }

    /// The assertion, unsigned.
    pub fn assertion_xml(&self, req: &ReceivedRequest, who: &IdpPerson, a: &Answer) -> String {
        let until = instant(a.now + a.lifetime);
        let mut attrs = String::new();
        for (name, values) in &who.attributes {
            attrs.push_str(&format!(
                "<saml:Attribute Name=\"{}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\">",
                esc(name)
            ));
            for v in values {
                attrs.push_str(&format!(
                    "<saml:AttributeValue>{}</saml:AttributeValue>",
                    esc(v)
                ));
            }
            attrs.push_str("</saml:Attribute>");
        }
        format!(
            "<saml:Assertion xmlns:saml=\"{SAML}\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{now}\">\
             <saml:Issuer>{iss}</saml:Issuer>\
             <saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\">{nid}</saml:NameID>\
             <saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
             <saml:SubjectConfirmationData InResponseTo=\"{irt}\" NotOnOrAfter=\"{until}\" Recipient=\"{acs}\"/>\
             </saml:SubjectConfirmation></saml:Subject>\
             <saml:Conditions NotBefore=\"{nb}\" NotOnOrAfter=\"{until}\">\
             <saml:AudienceRestriction><saml:Audience>{aud}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
             <saml:AuthnStatement AuthnInstant=\"{now}\" SessionIndex=\"{si}\">\
             <saml:AuthnContext><saml:AuthnContextClassRef>{ctx}</saml:AuthnContextClassRef></saml:AuthnContext>\
             </saml:AuthnStatement>\
             <saml:AttributeStatement>{attrs}</saml:AttributeStatement>\
             </saml:Assertion>",
            id = esc(&a.assertion_id),
            now = instant(a.now),
            nb = instant(a.now - 5),
            iss = esc(&self.entity_id),
            nid = a.name_id_xml.clone().unwrap_or_else(|| esc(&who.name_id)),
            irt = esc(&req.id),
            acs = esc(&req.acs),
            aud = esc(a.audience.as_deref().unwrap_or(&req.issuer)),
            si = esc(&a.session_index),
            ctx = esc(&who.authn_context),
        )
    }

    /// Puts a signature template right after the Issuer of the element
    /// that starts `xml` and signs it.
    fn sign_element(&self, xml: &str, id: &str) -> Result<String, XmlSecError> {
        let end = xml
            .find("</saml:Issuer>")
            .ok_or_else(|| XmlSecError::Signing("no Issuer to sign after".into()))?
            + "</saml:Issuer>".len();
        let template = format!(
            "{}{}{}",
            &xml[..end],
            signature_template(id, &self.key.cert_b64),
            &xml[end..]
        );
        self.key.sign_template(&template)
    }

    /// The whole Response, signed and encrypted as `a` says.
    pub fn response(
        &self,
        req: &ReceivedRequest,
        who: Option<&IdpPerson>,
        a: &Answer,
    ) -> Result<String, XmlSecError> {
        let response_id = format!("_r{}", crate::tokens::random_token(16));
        let (status, assertion) = match (&a.status, who) {
            (Some((code, sub)), _) => {
                let inner = sub
                    .as_ref()
                    .map(|s| format!("<samlp:StatusCode Value=\"{}\"/>", esc(s)))
                    .unwrap_or_default();
                (
                    format!(
                        "<samlp:Status><samlp:StatusCode Value=\"{}\">{inner}</samlp:StatusCode></samlp:Status>",
                        esc(code)
                    ),
                    String::new(),
                )
            }
            (None, Some(who)) => {
                let mut assertion = self.assertion_xml(req, who, a);
                if a.sign_assertion {
                    assertion = self.sign_element(&assertion, &a.assertion_id)?;
                }
                if let Some(r) = &a.encrypt_to {
                    assertion = format!(
                        "<saml:EncryptedAssertion>{}</saml:EncryptedAssertion>",
                        r.encrypt(&assertion, a.cbc)?
                    );
                }
                (
                    format!(
                        "<samlp:Status><samlp:StatusCode Value=\"{STATUS_SUCCESS}\"/></samlp:Status>"
                    ),
                    assertion,
                )
            }
            (None, None) => {
                return Err(XmlSecError::Signing("a success needs a person".into()));
            }
        };
        let response = format!(
            "<samlp:Response xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" ID=\"{rid}\" Version=\"2.0\" \
             IssueInstant=\"{now}\" Destination=\"{acs}\" InResponseTo=\"{irt}\">\
             <saml:Issuer>{iss}</saml:Issuer>{status}{assertion}</samlp:Response>",
            rid = response_id,
            now = instant(a.now),
            acs = esc(&req.acs),
            irt = esc(&req.id),
            iss = esc(&self.entity_id),
        );
        if a.sign_response {
            return self.sign_element(&response, &response_id);
        }
        Ok(response)
    }

    /// An auto-submitting HTML form that POSTs `response` to the ACS.
    pub fn post_form(req: &ReceivedRequest, response: &str) -> String {
        let rs = req
            .relay_state
            .as_deref()
            .map(|r| {
                format!(
                    "<input type=\"hidden\" name=\"RelayState\" value=\"{}\">",
                    esc(r)
                )
            })
            .unwrap_or_default();
        format!(
            "<!doctype html><html lang=\"fi\"><head><meta charset=\"utf-8\"><title>SAML</title></head>\
             <body><form method=\"post\" action=\"{acs}\" data-autosubmit>\
             <input type=\"hidden\" name=\"SAMLResponse\" value=\"{resp}\">{rs}\
             <button type=\"submit\">Jatka / Fortsätt / Continue</button></form>\
             <script src=\"/static/autosubmit.js\"></script></body></html>",
            acs = esc(&req.acs),
            resp = crate::tokens::b64_std(response),
        )
    }
}
