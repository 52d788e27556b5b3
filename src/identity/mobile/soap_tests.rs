use super::*;

fn ap() -> ApInfo<'static> {
    ApInfo {
        ap_id: "http://ap.example.fi",
        password: "s<cret",
        trans_id: "T1",
        instant: 1_768_478_400,
        mssp_id: "http://mssp.example.fi",
    }
}

#[test]
fn the_signature_request_asks_what_ficom_specifies() {
    let soap = SignatureRequest {
        ap: ap(),
        msisdn: "+358401234567",
        data_to_be_signed: "Porttivahti & co",
        signature_profile: "http://mss.ficom.fi/TS102204/v1.0.0#signature",
        event_id: "A3K9",
        display_name: "Porttivahti",
        timeout_secs: 120,
    }
    .to_soap();
    let doc = xml::parse(&soap).unwrap();
    let req = xml::all(&doc, MSS_NS, "MSS_SignatureReq")[0];
    assert_eq!(
        xml::attr(&doc, req, "MessagingMode"),
        Some("asynchClientServer")
    );
    assert_eq!(xml::attr(&doc, req, "MajorVersion"), Some("1"));
    let ap_info = xml::all(&doc, MSS_NS, "AP_Info")[0];
    assert_eq!(xml::attr(&doc, ap_info, "AP_PWD"), Some("s<cret"));
    assert_eq!(
        xml::attr(&doc, ap_info, "Instant"),
        Some("2026-01-15T12:00:00Z")
    );
    let dtbs = xml::all(&doc, MSS_NS, "DataToBeSigned")[0];
    assert_eq!(xml::text(&doc, dtbs).unwrap(), "Porttivahti & co");
    assert_eq!(xml::attr(&doc, dtbs, "MimeType"), Some("text/plain"));
    let event = xml::all(&doc, FI_NS, "EventID")[0];
    assert_eq!(xml::text(&doc, event).unwrap(), "A3K9");
    let uris: Vec<String> = xml::all(&doc, MSS_NS, "mssURI")
        .into_iter()
        .map(|u| xml::text(&doc, u).unwrap())
        .collect();
    for u in [
        EVENT_ID_URI,
        DISPLAY_NAME_URI,
        PERSON_IDENTITY_URI,
        PKCS7_FORMAT,
    ] {
        assert!(uris.iter().any(|x| x == u), "{u} in {uris:?}");
    }
}

#[test]
fn the_status_request_names_the_transaction() {
    let soap = status_request(&ap(), "mssp-42");
    let doc = xml::parse(&soap).unwrap();
    let req = xml::all(&doc, MSS_NS, "MSS_StatusReq")[0];
    assert_eq!(xml::attr(&doc, req, "MSSP_TransID"), Some("mssp-42"));
}

fn wrap(body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><S:Envelope xmlns:S="{SOAP_NS}"><S:Body>{body}</S:Body></S:Envelope>"#
    )
}

#[test]
fn accepted_pending_and_signed_replies() {
    let accepted = wrap(&format!(
        r#"<MSS_SignatureResponse><MSS_SignatureResp xmlns="{MSS_NS}" MajorVersion="1" MinorVersion="1" MSSP_TransID="abc"><Status><StatusCode Value="100"/><StatusMessage>REQUEST_OK</StatusMessage></Status></MSS_SignatureResp></MSS_SignatureResponse>"#
    ));
    assert_eq!(
        parse_reply(&accepted).unwrap(),
        Reply::Status {
            code: 100,
            message: "REQUEST_OK".into(),
            mssp_trans_id: Some("abc".into()),
            signature: None,
            satu: None
        }
    );
    let pending = wrap(&format!(
        r#"<m:MSS_StatusResp xmlns:m="{MSS_NS}" MSSP_TransID="abc"><m:Status><m:StatusCode Value="504"/></m:Status></m:MSS_StatusResp>"#
    ));
    assert!(matches!(
        parse_reply(&pending).unwrap(),
        Reply::Status { code: 504, .. }
    ));
    let signed = wrap(&format!(
        r#"<m:MSS_StatusResp xmlns:m="{MSS_NS}" xmlns:fi="{FI_NS}" xmlns:saml="{SAML_NS}" MSSP_TransID="abc"><m:MSS_Signature><m:Base64Signature>AAEC
        AwQ=</m:Base64Signature></m:MSS_Signature><m:Status><m:StatusCode Value="502"/><m:StatusMessage>VALID_SIGNATURE</m:StatusMessage></m:Status><fi:ServiceResponses><fi:ServiceResponse><saml:Assertion><saml:AttributeStatement><saml:Attribute Name="{PERSON_ID_SATU}"><saml:AttributeValue>99912345A</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></fi:ServiceResponse></fi:ServiceResponses></m:MSS_StatusResp>"#
    ));
    match parse_reply(&signed).unwrap() {
        Reply::Status {
            code,
            signature,
            satu,
            ..
        } => {
            assert_eq!(code, 502);
            assert_eq!(signature, Some(vec![0, 1, 2, 3, 4]));
            assert_eq!(satu.as_deref(), Some("99912345A"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn faults_carry_the_status_code() {
    let soap11 = wrap(
        r#"<S:Fault><faultcode xmlns:fi="http://mss.ficom.fi/TS102204/v1.0.0#">fi:_105</faultcode><faultstring>UNKNOWN_CLIENT</faultstring></S:Fault>"#,
    );
    assert!(matches!(
        parse_reply(&soap11).unwrap(),
        Reply::Fault {
            code: Some(105),
            ..
        }
    ));
    let soap12 = format!(
        r#"<e:Envelope xmlns:e="{SOAP12_NS}"><e:Body><e:Fault><e:Code><e:Value>e:Receiver</e:Value><e:Subcode><e:Value>mss:_401</e:Value></e:Subcode></e:Code><e:Reason><e:Text>USER_CANCEL</e:Text></e:Reason></e:Fault></e:Body></e:Envelope>"#
    );
    assert!(matches!(
        parse_reply(&soap12).unwrap(),
        Reply::Fault {
            code: Some(401),
            ..
        }
    ));
    let no_code = wrap(
        r#"<S:Fault><faultcode>S:Server</faultcode><faultstring>boom</faultstring></S:Fault>"#,
    );
    assert!(matches!(
        parse_reply(&no_code).unwrap(),
        Reply::Fault { code: None, .. }
    ));
}

#[test]
fn what_is_not_an_mssp_answer_is_refused() {
    for bad in [
        "<html>oops</html>",
        "not xml",
        &wrap("<nothing/>"),
        &format!(r#"<!DOCTYPE x [<!ENTITY a "b">]>{}"#, wrap("<nothing/>")),
        &wrap(&format!(
            r#"<m:MSS_StatusResp xmlns:m="{MSS_NS}"><m:Status><m:StatusCode Value="x"/></m:Status></m:MSS_StatusResp>"#
        )),
        &wrap(&format!(
            r#"<m:MSS_StatusResp xmlns:m="{MSS_NS}"><m:MSS_Signature><m:Base64Signature>!!</m:Base64Signature></m:MSS_Signature><m:Status><m:StatusCode Value="502"/></m:Status></m:MSS_StatusResp>"#
        )),
    ] {
        assert!(parse_reply(bad).is_err(), "{bad}");
    }
}
