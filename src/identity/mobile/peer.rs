//! The MSSP's side of TS 102 204, for the development MSSP (and the
//! tests' peer): reading what an application provider sends and writing
//! the answers. Never used to talk to a real MSSP.

use super::soap::{FI_NS, MSS_NS, SOAP_NS};
use crate::identity::saml::xml::{self, esc};

/// What an application provider asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Signature(SignatureAsk),
    Status {
        ap_id: String,
        ap_password: String,
        mssp_trans_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureAsk {
    pub ap_id: String,
    pub ap_password: String,
    pub ap_trans_id: String,
    pub messaging_mode: String,
    pub timeout_secs: Option<u64>,
    pub msisdn: String,
    pub data_to_be_signed: String,
    pub event_id: Option<String>,
    pub display_name: Option<String>,
    /// The mssURIs of the additional services asked for.
    pub services: Vec<String>,
}

pub fn parse_request(text: &str) -> Result<Request, String> {
    let doc = xml::parse(text)?;
    let one = |ns: &str, local: &str| -> Result<_, String> {
        xml::all(&doc, ns, local)
            .into_iter()
            .next()
            .ok_or(format!("no {local}"))
    };
    let text_of =
        |ns: &str, local: &str| -> Result<String, String> { xml::text(&doc, one(ns, local)?) };
    let ap = one(MSS_NS, "AP_Info")?;
    let ap_attr = |name: &str| xml::attr(&doc, ap, name).unwrap_or("").to_string();
    if let Some(status) = xml::all(&doc, MSS_NS, "MSS_StatusReq").into_iter().next() {
        return Ok(Request::Status {
            ap_id: ap_attr("AP_ID"),
            ap_password: ap_attr("AP_PWD"),
            mssp_trans_id: xml::attr(&doc, status, "MSSP_TransID")
                .unwrap_or("")
                .to_string(),
        });
    }
    let req = one(MSS_NS, "MSS_SignatureReq")?;
    let services = xml::all(&doc, MSS_NS, "Description")
        .into_iter()
        .flat_map(|d| xml::children(&doc, d, MSS_NS, "mssURI").collect::<Vec<_>>())
        .filter_map(|u| xml::text(&doc, u).ok())
        .collect();
    Ok(Request::Signature(SignatureAsk {
        ap_id: ap_attr("AP_ID"),
        ap_password: ap_attr("AP_PWD"),
        ap_trans_id: ap_attr("AP_TransID"),
        messaging_mode: xml::attr(&doc, req, "MessagingMode")
            .unwrap_or("")
            .to_string(),
        timeout_secs: xml::attr(&doc, req, "TimeOut").and_then(|t| t.parse().ok()),
        msisdn: text_of(MSS_NS, "MSISDN")?,
        data_to_be_signed: text_of(MSS_NS, "DataToBeSigned")?,
        event_id: text_of(FI_NS, "EventID").ok(),
        display_name: text_of(FI_NS, "DisplayName").ok(),
        services,
    }))
}

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns:mss="{MSS_NS}" xmlns:fi="{FI_NS}"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    )
}

fn status(code: u32, message: &str) -> String {
    format!(
        r#"<mss:Status><mss:StatusCode Value="{code}"/><mss:StatusMessage>{}</mss:StatusMessage></mss:Status>"#,
        esc(message)
    )
}

/// The answer to MSS_Signature: accepted under `mssp_trans_id`.
pub fn signature_response(ap_trans_id: &str, mssp_trans_id: &str) -> String {
    envelope(&format!(
        r#"<MSS_SignatureResponse><mss:MSS_SignatureResp MajorVersion="1" MinorVersion="1" MSSP_TransID="{}"><mss:AP_Info AP_TransID="{}"/>{}</mss:MSS_SignatureResp></MSS_SignatureResponse>"#,
        esc(mssp_trans_id),
        esc(ap_trans_id),
        status(100, "REQUEST_OK")
    ))
}

/// The answer to MSS_StatusQuery; `signature` is the PKCS#7 (DER).
pub fn status_response(
    mssp_trans_id: &str,
    code: u32,
    message: &str,
    signature: Option<&[u8]>,
) -> String {
    let sig = signature
        .map(|s| {
            format!(
                "<mss:MSS_Signature><mss:Base64Signature>{}</mss:Base64Signature></mss:MSS_Signature>",
                crate::tokens::b64_std(s)
            )
        })
        .unwrap_or_default();
    envelope(&format!(
        r#"<MSS_StatusQueryResponse><mss:MSS_StatusResp MajorVersion="1" MinorVersion="1" MSSP_TransID="{}">{sig}{}</mss:MSS_StatusResp></MSS_StatusQueryResponse>"#,
        esc(mssp_trans_id),
        status(code, message)
    ))
}

/// A SOAP 1.1 fault with FiCom's status subcode (`fi:_105`).
pub fn fault(code: u32, message: &str) -> String {
    envelope(&format!(
        r#"<soapenv:Fault><faultcode>fi:_{code}</faultcode><faultstring>{}</faultstring></soapenv:Fault>"#,
        esc(message)
    ))
}

#[cfg(test)]
mod tests {
    use super::super::soap::{self, ApInfo, Reply, SignatureRequest};
    use super::*;

    #[test]
    fn the_peer_reads_what_the_client_sends_and_the_client_reads_its_answers() {
        let ap = ApInfo {
            ap_id: "ap",
            password: "pw",
            trans_id: "T1",
            instant: 0,
            mssp_id: "mssp",
        };
        let sent = SignatureRequest {
            ap,
            msisdn: "+358401234567",
            data_to_be_signed: "x",
            signature_profile: "p",
            event_id: "A3K9",
            display_name: "Porttivahti",
            timeout_secs: 60,
        }
        .to_soap();
        let Request::Signature(ask) = parse_request(&sent).unwrap() else {
            panic!("not a signature request")
        };
        assert_eq!(ask.event_id.as_deref(), Some("A3K9"));
        assert_eq!(ask.messaging_mode, "asynchClientServer");
        assert_eq!(ask.timeout_secs, Some(60));
        assert!(ask.services.iter().any(|s| s == soap::DISPLAY_NAME_URI));
        assert!(matches!(
            soap::parse_reply(&signature_response("T1", "M1")).unwrap(),
            Reply::Status { code: 100, mssp_trans_id: Some(m), .. } if m == "M1"
        ));
        assert!(matches!(
            soap::parse_reply(&status_response("M1", 502, "VALID_SIGNATURE", Some(b"sig"))).unwrap(),
            Reply::Status { code: 502, signature: Some(s), .. } if s == b"sig"
        ));
        assert!(matches!(
            soap::parse_reply(&fault(401, "USER_CANCEL")).unwrap(),
            Reply::Fault {
                code: Some(401),
                ..
            }
        ));
    }
}
