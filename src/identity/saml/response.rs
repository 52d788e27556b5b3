//! Checking a SAML Response from an IdP. An assertion is accepted only when
//! every condition holds; what is read comes only from the signed element.

use bergshamra::xml::uppsala::{Document, NodeId};

use super::xml::{self, SAML, SAMLP, STATUS_SUCCESS, attr, only_child, parse_instant};
use super::xmlsec::{KeyPair, Signers};

/// What this SP expects of one response.
pub struct Expectations<'a> {
    pub idp_entity_id: &'a str,
    pub signers: &'a Signers,
    /// Our entity id: the Audience.
    pub sp_entity_id: &'a str,
    /// Our ACS URL: the Destination and Recipient.
    pub acs: &'a str,
    /// The ID of the AuthnRequest this browser sent.
    pub request_id: &'a str,
    pub now: i64,
    pub skew: i64,
    pub max_age: i64,
    pub require_encryption: bool,
    pub sp_key: &'a KeyPair,
}

/// What a valid assertion says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    pub id: String,
    pub issuer: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub session_index: Option<String>,
    pub authn_context: Option<String>,
    pub authn_instant: Option<i64>,
    /// Until when the assertion may be used (for the replay cache).
    pub not_on_or_after: i64,
    pub attributes: Vec<(String, Vec<String>)>,
}

impl Assertion {
    pub fn first(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.attributes
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.iter().cloned())
            .collect()
    }
}

/// Why a response was refused. The text is the operator's log line.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ResponseError {
    /// The IdP answered but did not authenticate (cancelled, failed).
    #[error("the IdP answered {code}{}", sub.as_deref().map(|s| format!(" / {s}")).unwrap_or_default())]
    Status { code: String, sub: Option<String> },
    /// Outside its validity window.
    #[error("{0}")]
    Expired(String),
    /// Anything that makes the response untrustworthy.
    #[error("{0}")]
    Invalid(String),
    /// No signature by a key of the IdP's metadata covers what must be
    /// signed: the one failure that fresh metadata (a key rolled over)
    /// can cure.
    #[error("{0}")]
    Signature(String),
}

fn unsigned(m: impl Into<String>) -> ResponseError {
    ResponseError::Signature(m.into())
}

fn invalid(m: impl Into<String>) -> ResponseError {
    ResponseError::Invalid(m.into())
}

/// Reads the `InResponseTo` of a response before it is checked, to find
/// the request it answers. Nothing else is trusted from this. `Ok(None)`:
/// a Response that answers no request (unsolicited); an error: the message
/// is refused already (a document type declaration, not XML, not a
/// Response), with the reason for the log.
pub fn in_response_to(text: &str) -> Result<Option<String>, ResponseError> {
    let doc = xml::parse(text).map_err(invalid)?;
    let root = doc
        .document_element()
        .filter(|&r| xml::is(&doc, r, SAMLP, "Response"))
        .ok_or_else(|| invalid("the message is not a SAML Response"))?;
    Ok(attr(&doc, root, "InResponseTo").map(str::to_string))
}

/// Checks the response `text` (the decoded SAMLResponse) against `exp`.
pub fn validate(text: &str, exp: &Expectations<'_>) -> Result<Assertion, ResponseError> {
    let doc = xml::parse(text).map_err(invalid)?;
    let root = doc
        .document_element()
        .filter(|&r| xml::is(&doc, r, SAMLP, "Response"))
        .ok_or_else(|| invalid("the message is not a SAML Response"))?;
    if attr(&doc, root, "Version") != Some("2.0") {
        return Err(invalid("the Response is not SAML 2.0"));
    }
    if attr(&doc, root, "InResponseTo") != Some(exp.request_id) {
        return Err(invalid(
            "InResponseTo does not name the request sent from this browser",
        ));
    }
    // A failure status needs no signature to be believed.
    let status = only_child(&doc, root, SAMLP, "Status")
        .map_err(invalid)?
        .ok_or_else(|| invalid("the Response has no Status"))?;
    let code = only_child(&doc, status, SAMLP, "StatusCode")
        .map_err(invalid)?
        .ok_or_else(|| invalid("the Response has no StatusCode"))?;
    let value = attr(&doc, code, "Value").unwrap_or_default();
    if value != STATUS_SUCCESS {
        let sub = only_child(&doc, code, SAMLP, "StatusCode")
            .ok()
            .flatten()
            .and_then(|c| attr(&doc, c, "Value"))
            .map(str::to_string);
        return Err(ResponseError::Status {
            code: value.to_string(),
            sub,
        });
    }
    if let Some(issuer) = only_child(&doc, root, SAML, "Issuer").map_err(invalid)? {
        let issuer = xml::text(&doc, issuer).map_err(invalid)?;
        if issuer != exp.idp_entity_id {
            return Err(invalid(format!(
                "the Response is issued by {issuer:?}, not by {:?}",
                exp.idp_entity_id
            )));
        }
    }

    // Exactly one assertion, plain or encrypted, directly in the Response.
    let plain = xml::all(&doc, SAML, "Assertion");
    let encrypted = xml::all(&doc, SAML, "EncryptedAssertion");
    if plain.len() + encrypted.len() != 1 {
        return Err(invalid(format!(
            "the Response holds {} assertions and {} encrypted assertions; exactly one is accepted",
            plain.len(),
            encrypted.len()
        )));
    }
    let holder = plain.first().or(encrypted.first()).copied().unwrap_or(root);
    if doc.parent(holder) != Some(root) {
        return Err(invalid("the assertion is not a child of the Response"));
    }
    if exp.require_encryption && encrypted.is_empty() {
        return Err(invalid(
            "the assertion is not encrypted, and this source requires encryption",
        ));
    }
    let covered = exp
        .signers
        .covered(&doc)
        .map_err(|e| unsigned(format!("signature check failed: {e}")))?;
    let response_signed = covered.contains(&root);
    if response_signed && attr(&doc, root, "Destination").is_none() {
        return Err(invalid("the signed Response has no Destination"));
    }
    if let Some(dest) = attr(&doc, root, "Destination")
        && dest != exp.acs
    {
        return Err(invalid(format!(
            "the Response is for {dest:?}, not for this service ({:?})",
            exp.acs
        )));
    }

    if let Some(&a) = plain.first() {
        if !response_signed && !covered.contains(&a) {
            return Err(unsigned(
                "neither the Response nor the assertion is signed by the IdP's key",
            ));
        }
        return read_assertion(&doc, a, exp);
    }

    // Encrypted: decrypt, then read the assertion on its own; it must be
    // signed itself unless the whole Response (over the ciphertext) was.
    let decrypted = exp
        .sp_key
        .decrypt(text)
        .map_err(|e| invalid(format!("the assertion cannot be decrypted: {e}")))?;
    let ddoc = xml::parse(&decrypted).map_err(invalid)?;
    let inner = xml::all(&ddoc, SAML, "Assertion");
    let [a] = inner.as_slice() else {
        return Err(invalid(format!(
            "the encrypted part holds {} assertions; exactly one is accepted",
            inner.len()
        )));
    };
    if !ddoc
        .parent(*a)
        .is_some_and(|p| xml::is(&ddoc, p, SAML, "EncryptedAssertion"))
    {
        return Err(invalid(
            "the decrypted assertion is not where it was encrypted",
        ));
    }
    let source = ddoc
        .node_source(*a)
        .ok_or_else(|| invalid("the decrypted assertion cannot be read"))?;
    let adoc = xml::parse(source)
        .map_err(|e| invalid(format!("the decrypted assertion does not stand alone: {e}")))?;
    let aroot = adoc
        .document_element()
        .ok_or_else(|| invalid("the decrypted assertion is empty"))?;
    let acovered = exp
        .signers
        .covered(&adoc)
        .map_err(|e| unsigned(format!("assertion signature check failed: {e}")))?;
    if !response_signed && !acovered.contains(&aroot) {
        return Err(unsigned(
            "neither the Response nor the decrypted assertion is signed by the IdP's key",
        ));
    }
    read_assertion(&adoc, aroot, exp)
}

fn time_attr(doc: &Document<'_>, id: NodeId, name: &str) -> Result<Option<i64>, ResponseError> {
    match attr(doc, id, name) {
        None => Ok(None),
        Some(s) => parse_instant(s)
            .map(Some)
            .ok_or_else(|| invalid(format!("{name} {s:?} is not a UTC time"))),
    }
}

fn read_assertion(
    doc: &Document<'_>,
    a: NodeId,
    exp: &Expectations<'_>,
) -> Result<Assertion, ResponseError> {
    let (now, skew) = (exp.now, exp.skew);
    if attr(doc, a, "Version") != Some("2.0") {
        return Err(invalid("the assertion is not SAML 2.0"));
    }
    let id = attr(doc, a, "ID")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("the assertion has no ID"))?
        .to_string();
    let issuer = only_child(doc, a, SAML, "Issuer")
        .map_err(invalid)?
        .ok_or_else(|| invalid("the assertion has no Issuer"))?;
    let issuer = xml::text(doc, issuer).map_err(invalid)?;
    if issuer != exp.idp_entity_id {
        return Err(invalid(format!(
            "the assertion is issued by {issuer:?}, not by {:?}",
            exp.idp_entity_id
        )));
    }
    let issued = time_attr(doc, a, "IssueInstant")?
        .ok_or_else(|| invalid("the assertion has no IssueInstant"))?;
    if issued > now + skew {
        return Err(ResponseError::Expired(format!(
            "the assertion was issued {}s in the future (check the clocks)",
            issued - now
        )));
    }
    if now - issued > exp.max_age + skew {
        return Err(ResponseError::Expired(format!(
            "the assertion was issued {}s ago; at most {}s is accepted",
            now - issued,
            exp.max_age
        )));
    }

    // Subject: one NameID and a bearer confirmation for us.
    let subject = only_child(doc, a, SAML, "Subject")
        .map_err(invalid)?
        .ok_or_else(|| invalid("the assertion has no Subject"))?;
    if xml::children(doc, subject, SAML, "EncryptedID")
        .next()
        .is_some()
    {
        return Err(invalid("an encrypted NameID is not supported"));
    }
    let name_id_el = only_child(doc, subject, SAML, "NameID")
        .map_err(invalid)?
        .ok_or_else(|| invalid("the Subject has no NameID"))?;
    let name_id = xml::text(doc, name_id_el).map_err(|e| invalid(format!("NameID: {e}")))?;
    if name_id.is_empty() {
        return Err(invalid("the NameID is empty"));
    }
    let mut confirmed_until = None;
    let mut reasons = Vec::new();
    for sc in xml::children(doc, subject, SAML, "SubjectConfirmation") {
        if attr(doc, sc, "Method") != Some("urn:oasis:names:tc:SAML:2.0:cm:bearer") {
            continue;
        }
        let Some(data) = only_child(doc, sc, SAML, "SubjectConfirmationData").map_err(invalid)?
        else {
            reasons.push("no SubjectConfirmationData".to_string());
            continue;
        };
        if attr(doc, data, "Recipient") != Some(exp.acs) {
            reasons.push(format!(
                "Recipient {:?} is not this service",
                attr(doc, data, "Recipient").unwrap_or_default()
            ));
            continue;
        }
        if attr(doc, data, "InResponseTo") != Some(exp.request_id) {
            reasons.push("InResponseTo of the confirmation does not match".into());
            continue;
        }
        if attr(doc, data, "NotBefore").is_some() {
            reasons.push("a bearer confirmation must not have NotBefore".into());
            continue;
        }
        match time_attr(doc, data, "NotOnOrAfter")? {
            Some(t) if t > now - skew => confirmed_until = Some(t),
            Some(_) => {
                return Err(ResponseError::Expired(
                    "the subject confirmation has expired".into(),
                ));
            }
            None => reasons.push("the confirmation has no NotOnOrAfter".into()),
        }
        if confirmed_until.is_some() {
            break;
        }
    }
    let Some(mut until) = confirmed_until else {
        return Err(invalid(format!(
            "no bearer subject confirmation for this service ({})",
            if reasons.is_empty() {
                "none given".to_string()
            } else {
                reasons.join("; ")
            }
        )));
    };

    // Conditions: the time window and the audience.
    let cond = only_child(doc, a, SAML, "Conditions")
        .map_err(invalid)?
        .ok_or_else(|| invalid("the assertion has no Conditions"))?;
    if let Some(nb) = time_attr(doc, cond, "NotBefore")?
        && nb > now + skew
    {
        return Err(ResponseError::Expired(format!(
            "the assertion is valid only from {}s from now (check the clocks)",
            nb - now
        )));
    }
    if let Some(na) = time_attr(doc, cond, "NotOnOrAfter")? {
        if na <= now - skew {
            return Err(ResponseError::Expired("the assertion has expired".into()));
        }
        until = until.min(na);
    }
    let restrictions: Vec<_> = xml::children(doc, cond, SAML, "AudienceRestriction").collect();
    if restrictions.is_empty() {
        return Err(invalid("the assertion names no audience"));
    }
    for r in restrictions {
        let mut ours = false;
        for aud in xml::children(doc, r, SAML, "Audience") {
            if xml::text(doc, aud).map_err(invalid)? == exp.sp_entity_id {
                ours = true;
            }
        }
        if !ours {
            return Err(invalid(format!(
                "the assertion is meant for another service, not {:?}",
                exp.sp_entity_id
            )));
        }
    }

    // How the person authenticated.
    let authn = xml::children(doc, a, SAML, "AuthnStatement")
        .next()
        .ok_or_else(|| invalid("the assertion has no AuthnStatement"))?;
    let session_index = attr(doc, authn, "SessionIndex").map(str::to_string);
    let authn_instant = time_attr(doc, authn, "AuthnInstant")?;
    let authn_context = match only_child(doc, authn, SAML, "AuthnContext").map_err(invalid)? {
        Some(ctx) => match only_child(doc, ctx, SAML, "AuthnContextClassRef").map_err(invalid)? {
            Some(r) => Some(xml::text(doc, r).map_err(invalid)?),
            None => None,
        },
        None => None,
    };

    let mut attributes = Vec::new();
    for st in xml::children(doc, a, SAML, "AttributeStatement") {
        for at in xml::children(doc, st, SAML, "Attribute") {
            let Some(name) = attr(doc, at, "Name") else {
                continue;
            };
            let mut values = Vec::new();
            for v in xml::children(doc, at, SAML, "AttributeValue") {
                values.push(
                    xml::text(doc, v).map_err(|e| invalid(format!("attribute {name}: {e}")))?,
                );
            }
            attributes.push((name.to_string(), values));
        }
    }
    Ok(Assertion {
        id,
        issuer,
        name_id,
        name_id_format: attr(doc, name_id_el, "Format").map(str::to_string),
        session_index,
        authn_context,
        authn_instant,
        not_on_or_after: until,
        attributes,
    })
}
