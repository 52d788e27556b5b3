//! The messages of ETSI TS 102 204 (SOAP 1.1 binding) as FiCom's
//! application guideline uses them: MSS_Signature in asynchronous
//! client-server mode, then MSS_StatusQuery until the phone has answered.
//! Building what we send and reading what the MSSP answers; no HTTP here.

use bergshamra::xml::uppsala::{Document, NodeId};

use crate::identity::saml::xml::{self, esc};

pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const MSS_NS: &str = "http://uri.etsi.org/TS102204/v1.1.2#";
pub const FI_NS: &str = "http://mss.ficom.fi/TS102204/v1.0.0#";
pub const PKCS7_FORMAT: &str = "http://uri.etsi.org/TS102204/v1.1.2#PKCS7";
pub const EVENT_ID_URI: &str = "http://mss.ficom.fi/TS102204/v1.0.0#eventId";
pub const DISPLAY_NAME_URI: &str = "http://mss.ficom.fi/TS102204/v1.0.0#displayName";
pub const PERSON_IDENTITY_URI: &str = "http://mss.ficom.fi/TS102204/v1.0.0#personIdentity";
/// The PersonIdentity attribute we ask for: the SATU.
pub const PERSON_ID_SATU: &str = "http://mss.ficom.fi/TS102204/v1.0.0/PersonID#satu";
pub const ASYNCH_CLIENT_SERVER: &str = "asynchClientServer";
const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// Status codes of TS 102 204 (section 6.2) that this client acts on.
pub mod status {
    pub const REQUEST_OK: u32 = 100;
    pub const UNKNOWN_CLIENT: u32 = 105;
    pub const EXPIRED_TRANSACTION: u32 = 208;
    pub const USER_CANCEL: u32 = 401;
    pub const PIN_BLOCKED: u32 = 402;
    pub const CARD_BLOCKED: u32 = 403;
    pub const NO_KEY_FOUND: u32 = 404;
    pub const NO_CERT_FOUND: u32 = 422;
    pub const SIGNATURE: u32 = 500;
    pub const VALID_SIGNATURE: u32 = 502;
    pub const INVALID_SIGNATURE: u32 = 503;
    pub const OUTSTANDING_TRANSACTION: u32 = 504;
}

/// Who we are to the MSSP, in every request.
pub struct ApInfo<'a> {
    pub ap_id: &'a str,
    pub password: &'a str,
    pub trans_id: &'a str,
    pub instant: i64,
    pub mssp_id: &'a str,
}

impl ApInfo<'_> {
    fn to_xml(&self) -> String {
        format!(
            r#"<mss:AP_Info AP_ID="{}" AP_PWD="{}" AP_TransID="{}" Instant="{}"/><mss:MSSP_Info><mss:MSSP_ID><mss:URI>{}</mss:URI></mss:MSSP_ID></mss:MSSP_Info>"#,
            esc(self.ap_id),
            esc(self.password),
            esc(self.trans_id),
            xml::instant(self.instant),
            esc(self.mssp_id)
        )
    }
}

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns:mss="{MSS_NS}" xmlns:fi="{FI_NS}"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    )
}

fn service(uri: &str, inner: &str) -> String {
    format!(
        "<mss:Service><mss:Description><mss:mssURI>{uri}</mss:mssURI></mss:Description>{inner}</mss:Service>"
    )
}

/// An MSS_Signature request.
pub struct SignatureRequest<'a> {
    pub ap: ApInfo<'a>,
    pub msisdn: &'a str,
    pub data_to_be_signed: &'a str,
    pub signature_profile: &'a str,
    pub event_id: &'a str,
    pub display_name: &'a str,
    pub timeout_secs: u64,
}

impl SignatureRequest<'_> {
    pub fn to_soap(&self) -> String {
        let person = format!(
            r#"<saml2p:AttributeQuery xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml2="{SAML_NS}"><saml2:Attribute Name="{PERSON_ID_SATU}"/></saml2p:AttributeQuery>"#
        );
        let services = [
            service(
                EVENT_ID_URI,
                &format!("<fi:EventID>{}</fi:EventID>", esc(self.event_id)),
            ),
            service(
                DISPLAY_NAME_URI,
                &format!(
                    "<fi:DisplayName>{}</fi:DisplayName>",
                    esc(self.display_name)
                ),
            ),
            service(PERSON_IDENTITY_URI, &person),
        ]
        .concat();
        envelope(&format!(
            r#"<MSS_Signature><mss:MSS_SignatureReq MajorVersion="1" MinorVersion="1" MessagingMode="{ASYNCH_CLIENT_SERVER}" TimeOut="{}">{}<mss:MobileUser><mss:MSISDN>{}</mss:MSISDN></mss:MobileUser><mss:DataToBeSigned MimeType="text/plain" Encoding="UTF-8">{}</mss:DataToBeSigned><mss:SignatureProfile><mss:mssURI>{}</mss:mssURI></mss:SignatureProfile><mss:AdditionalServices>{services}</mss:AdditionalServices><mss:MSS_Format><mss:mssURI>{PKCS7_FORMAT}</mss:mssURI></mss:MSS_Format></mss:MSS_SignatureReq></MSS_Signature>"#,
            self.timeout_secs,
            self.ap.to_xml(),
            esc(self.msisdn),
            esc(self.data_to_be_signed),
            esc(self.signature_profile),
        ))
    }
}

/// An MSS_StatusQuery request for the transaction `mssp_trans_id`.
pub fn status_request(ap: &ApInfo<'_>, mssp_trans_id: &str) -> String {
    envelope(&format!(
        r#"<MSS_StatusQuery><mss:MSS_StatusReq MajorVersion="1" MinorVersion="1" MSSP_TransID="{}">{}</mss:MSS_StatusReq></MSS_StatusQuery>"#,
        esc(mssp_trans_id),
        ap.to_xml()
    ))
}

/// What an MSSP answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// An MSS_SignatureResp or MSS_StatusResp.
    Status {
        code: u32,
        message: String,
        mssp_trans_id: Option<String>,
        /// The PKCS#7 signature (DER), when the status carries one.
        signature: Option<Vec<u8>>,
        /// The SATU the PersonIdentity service told, if it did.
        satu: Option<String>,
    },
    /// A SOAP fault; FiCom puts the status code in its subcode (`fi:_105`).
    Fault { code: Option<u32>, text: String },
}

/// Reads an MSSP's answer (DTDs refused, as everywhere).
pub fn parse_reply(text: &str) -> Result<Reply, String> {
    let doc = xml::parse(text)?;
    let root = doc.document_element().ok_or("no root element")?;
    if !(xml::is(&doc, root, SOAP_NS, "Envelope") || xml::is(&doc, root, SOAP12_NS, "Envelope")) {
        return Err("not a SOAP envelope".into());
    }
    let fault = xml::all(&doc, SOAP_NS, "Fault")
        .into_iter()
        .chain(xml::all(&doc, SOAP12_NS, "Fault"))
        .next();
    if let Some(f) = fault {
        return Ok(read_fault(&doc, f));
    }
    let resp = xml::all(&doc, MSS_NS, "MSS_SignatureResp")
        .into_iter()
        .chain(xml::all(&doc, MSS_NS, "MSS_StatusResp"))
        .next()
        .ok_or("neither MSS_SignatureResp nor MSS_StatusResp nor a fault")?;
    let status = xml::only_child(&doc, resp, MSS_NS, "Status")?.ok_or("no Status")?;
    let code_el =
        xml::only_child(&doc, status, MSS_NS, "StatusCode")?.ok_or("no Status/StatusCode")?;
    let code = xml::attr(&doc, code_el, "Value")
        .and_then(|v| v.trim().parse().ok())
        .ok_or("StatusCode has no numeric Value")?;
    let message = match xml::only_child(&doc, status, MSS_NS, "StatusMessage")? {
        Some(m) => xml::text(&doc, m)?,
        None => String::new(),
    };
    let signature = match xml::only_child(&doc, resp, MSS_NS, "MSS_Signature")? {
        None => None,
        Some(s) => {
            let b64 = xml::only_child(&doc, s, MSS_NS, "Base64Signature")?
                .ok_or("MSS_Signature without Base64Signature")?;
            let compact: String = xml::text(&doc, b64)?
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            Some(
                crate::tokens::b64_std_decode(&compact)
                    .map_err(|_| "Base64Signature is not base64")?,
            )
        }
    };
    Ok(Reply::Status {
        code,
        message,
        mssp_trans_id: xml::attr(&doc, resp, "MSSP_TransID").map(str::to_string),
        signature,
        satu: person_satu(&doc),
    })
}

fn read_fault(doc: &Document<'_>, fault: NodeId) -> Reply {
    let mut words = Vec::new();
    for n in doc.descendants(fault) {
        if doc.element(n).is_some()
            && let Ok(t) = xml::text(doc, n)
            && !t.is_empty()
        {
            words.push(t);
        }
        if let Some(v) = xml::attr(doc, n, "Value") {
            words.push(format!("_{v}"));
        }
    }
    let code = words.iter().find_map(|w| status_in(w));
    Reply::Fault {
        code,
        text: words.join(" | "),
    }
}

/// `fi:_105`, `mss:_401` or `_208` → the number.
fn status_in(word: &str) -> Option<u32> {
    let (_, digits) = word.rsplit_once('_')?;
    (digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The SATU a PersonIdentity service response names, if any.
fn person_satu(doc: &Document<'_>) -> Option<String> {
    xml::all(doc, SAML_NS, "Attribute")
        .into_iter()
        .filter(|&a| xml::attr(doc, a, "Name") == Some(PERSON_ID_SATU))
        .find_map(|a| {
            let v = xml::children(doc, a, SAML_NS, "AttributeValue").next()?;
            xml::text(doc, v).ok().filter(|t| !t.is_empty())
        })
}

#[cfg(test)]
#[path = "soap_tests.rs"]
mod tests;
