//! The response checks against an IdP that really signs and encrypts:
//! every way a response must be refused, and the ways it must pass.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::idp::{Answer, Idp, IdpPerson, ReceivedRequest};
use super::response::{Expectations, ResponseError, validate};
use super::xmlsec::{KeyPair, Signers};

const NOW: i64 = 1_768_478_400;
const ACS: &str = "https://pv.example.fi/saml/hus/acs";
const SP: &str = "https://pv.example.fi/saml/hus/metadata";

fn sp_key() -> KeyPair {
    KeyPair::from_files("certs/dev/saml-sp-key.pem", "certs/dev/saml-sp.pem").unwrap()
}

fn idp() -> Idp {
    Idp {
        entity_id: "https://idp.hus.example.fi".into(),
        sso_url: "https://idp.hus.example.fi/sso".into(),
        slo_url: "https://idp.hus.example.fi/slo".into(),
        key: KeyPair::from_files("certs/dev/dev-idp-key.pem", "certs/dev/dev-idp.pem").unwrap(),
    }
}

fn req() -> ReceivedRequest {
    ReceivedRequest {
        id: "_req1".into(),
        issuer: SP.into(),
        acs: ACS.into(),
        relay_state: None,
        context_refs: vec![],
        locale: None,
        force_authn: false,
    }
}

fn anna() -> IdpPerson {
    IdpPerson {
        name_id: "anna@hus.example.fi".into(),
        authn_context: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport".into(),
        attributes: vec![
            ("urn:oid:2.5.4.42".into(), vec!["Anna".into()]),
            ("urn:oid:2.5.4.4".into(), vec!["Hoitaja".into()]),
        ],
    }
}

fn check(
    text: &str,
    idp: &Idp,
    f: impl FnOnce(&mut Expectations<'_>),
) -> Result<super::response::Assertion, ResponseError> {
    let signers = Signers::from_der(&[idp.key.cert_der()]).unwrap();
    let key = sp_key();
    let mut exp = Expectations {
        idp_entity_id: &idp.entity_id,
        signers: &signers,
        sp_entity_id: SP,
        acs: ACS,
        request_id: "_req1",
        now: NOW + 2,
        skew: 60,
        max_age: 300,
        require_encryption: false,
        sp_key: &key,
    };
    f(&mut exp);
    validate(text, &exp)
}

fn ok(text: &str) -> super::response::Assertion {
    check(text, &idp(), |_| {}).unwrap()
}

fn refused(text: &str) -> String {
    match check(text, &idp(), |_| {}) {
        Err(ResponseError::Invalid(m))
        | Err(ResponseError::Signature(m))
        | Err(ResponseError::Expired(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn signed_assertion_passes_and_is_read() {
    let r = idp()
        .response(&req(), Some(&anna()), &Answer::new(NOW))
        .unwrap();
    let a = ok(&r);
    assert_eq!(a.name_id, "anna@hus.example.fi");
    assert_eq!(a.issuer, "https://idp.hus.example.fi");
    assert_eq!(a.first("urn:oid:2.5.4.42"), Some("Anna"));
    assert_eq!(a.not_on_or_after, NOW + 300);
    assert!(a.session_index.is_some());
}

#[test]
fn encrypted_assertions_pass_with_gcm_and_cbc() {
    let sp = sp_key();
    for cbc in [false, true] {
        let mut ans = Answer::new(NOW);
        ans.encrypt_to = Some(sp.recipient());
        ans.cbc = cbc;
        let r = idp().response(&req(), Some(&anna()), &ans).unwrap();
        assert!(r.contains("EncryptedAssertion") && !r.contains("anna@hus"));
        assert_eq!(ok(&r).name_id, "anna@hus.example.fi");
        // Required encryption is satisfied.
        assert!(check(&r, &idp(), |e| e.require_encryption = true).is_ok());
    }
}

#[test]
fn signed_response_over_an_encrypted_unsigned_assertion_passes() {
    let mut ans = Answer::new(NOW);
    ans.sign_assertion = false;
    ans.sign_response = true;
    ans.encrypt_to = Some(sp_key().recipient());
    let r = idp().response(&req(), Some(&anna()), &ans).unwrap();
    assert_eq!(ok(&r).name_id, "anna@hus.example.fi");
}

#[test]
fn unsigned_and_foreign_signatures_are_refused() {
    let mut ans = Answer::new(NOW);
    ans.sign_assertion = false;
    let r = idp().response(&req(), Some(&anna()), &ans).unwrap();
    assert!(refused(&r).contains("signed"));
    // An encrypted but unsigned assertion: anyone can encrypt to us.
    ans.encrypt_to = Some(sp_key().recipient());
    let r = idp().response(&req(), Some(&anna()), &ans).unwrap();
    assert!(refused(&r).contains("signed"));
    // Signed by a key the metadata does not name (the SP's own key here).
    let mut foreign = idp();
    foreign.key = sp_key();
    let r = foreign
        .response(&req(), Some(&anna()), &Answer::new(NOW))
        .unwrap();
    assert!(refused(&r).contains("signature"));
}

#[test]
fn tampering_after_signing_is_refused() {
    let r = idp()
        .response(&req(), Some(&anna()), &Answer::new(NOW))
        .unwrap();
    let t = r.replace(">Hoitaja<", ">Lääkäri<");
    assert_ne!(t, r);
    assert!(refused(&t).contains("signature"));
    let t = r.replace("anna@hus.example.fi", "ville@hus.example.fi");
    assert!(refused(&t).contains("signature"));
}

#[test]
fn a_comment_inside_the_nameid_is_refused() {
    // Exclusive C14N drops comments, so a comment inserted after signing
    // leaves the signature valid. Parsers disagree on the value (the part
    // before the comment, or the whole text), so it is refused rather than
    // read either way.
    let mut mallory = anna();
    mallory.name_id = "anna@hus.example.fi.evil".into();
    let r = idp()
        .response(&req(), Some(&mallory), &Answer::new(NOW))
        .unwrap();
    let t = r.replace(
        "anna@hus.example.fi.evil<",
        "anna@hus.example.fi<!---->.evil<",
    );
    assert_ne!(t, r);
    assert!(refused(&t).contains("NameID: a comment splits the value"));
}

#[test]
fn signature_wrapping_is_refused() {
    let i = idp();
    let r = i
        .response(&req(), Some(&anna()), &Answer::new(NOW))
        .unwrap();
    let start = r.find("<saml:Assertion").unwrap();
    let end = r.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    let signed = &r[start..end];
    // An evil unsigned assertion beside the signed one.
    let mut evil = Answer::new(NOW);
    evil.sign_assertion = false;
    let mut mallory = anna();
    mallory.name_id = "mallory@hus.example.fi".into();
    let evil_assertion = i.assertion_xml(&req(), &mallory, &evil);
    let two = format!("{}{}{}", &r[..end], evil_assertion, &r[end..]);
    assert!(refused(&two).contains("exactly one"));
    // The signed one hidden in an extension, the evil one in its place.
    let hidden = format!(
        "{}<samlp:Extensions>{signed}</samlp:Extensions>{evil_assertion}{}",
        &r[..start],
        &r[end..]
    );
    assert!(refused(&hidden).contains("exactly one"));
    // The evil one with the signed one's ID: duplicate IDs.
    let same_id = evil_assertion.replace(&evil.assertion_id, "_dup");
    let signed_dup = signed.replacen(&format!("ID=\"{}\"", anna_id(signed)), "ID=\"_dup\"", 1);
    let dup = format!("{}{signed_dup}{}", &r[..start], &r[end..]).replace(
        "</samlp:Response>",
        &format!("<samlp:Extensions>{same_id}</samlp:Extensions></samlp:Response>"),
    );
    assert!(!refused(&dup).is_empty());
}

fn anna_id(assertion: &str) -> String {
    let i = assertion.find(" ID=\"").unwrap() + 5;
    assertion[i..].split('"').next().unwrap().to_string()
}

#[test]
fn wrong_audience_recipient_request_and_issuer_are_refused() {
    let i = idp();
    let mut ans = Answer::new(NOW);
    ans.audience = Some("https://other.example.fi/sp".into());
    let r = i.response(&req(), Some(&anna()), &ans).unwrap();
    assert!(refused(&r).contains("another service"));

    let r = i
        .response(&req(), Some(&anna()), &Answer::new(NOW))
        .unwrap();
    let e = check(&r, &i, |e| e.request_id = "_other").unwrap_err();
    assert!(e.to_string().contains("InResponseTo"));
    let e = check(&r, &i, |e| e.acs = "https://pv.example.fi/saml/oys/acs").unwrap_err();
    assert!(e.to_string().contains("not for this service"));
    let e = check(&r, &i, |e| e.idp_entity_id = "https://idp.oys.example.fi").unwrap_err();
    assert!(e.to_string().contains("issued by"));
    let e = check(&r, &i, |e| e.require_encryption = true).unwrap_err();
    assert!(e.to_string().contains("not encrypted"));
}

#[test]
fn time_windows_hold() {
    let i = idp();
    let r = i
        .response(&req(), Some(&anna()), &Answer::new(NOW))
        .unwrap();
    let e = check(&r, &i, |e| e.now = NOW + 300 + 61).unwrap_err();
    assert!(matches!(e, ResponseError::Expired(_)), "{e:?}");
    let e = check(&r, &i, |e| e.now = NOW - 200).unwrap_err();
    assert!(matches!(e, ResponseError::Expired(_)), "{e:?}");
    // Within the skew on either side.
    assert!(check(&r, &i, |e| e.now = NOW - 30).is_ok());
}

#[test]
fn a_failure_status_is_reported_as_such() {
    let mut ans = Answer::new(NOW);
    ans.status = Some((
        "urn:oasis:names:tc:SAML:2.0:status:Responder".into(),
        Some("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed".into()),
    ));
    let r = idp().response(&req(), None, &ans).unwrap();
    match check(&r, &idp(), |_| {}) {
        Err(ResponseError::Status { code, sub }) => {
            assert!(code.ends_with("Responder"));
            assert!(sub.unwrap().ends_with("AuthnFailed"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn idp_reads_a_signed_request() {
    let sp = sp_key();
    let i = idp();
    let r = super::request::AuthnRequest {
        id: "_req1",
        issuer: SP,
        destination: &i.sso_url,
        acs: ACS,
        now: NOW,
        force_authn: true,
        context_refs: &["http://ftn.ficora.fi/2017/loa3"],
        locale: Some("en"),
    };
    let url = super::request::redirect_url(&i.sso_url, "SAMLRequest", &r.to_xml(), Some("rs"), &sp)
        .unwrap();
    let got = i
        .read_request(url.split_once('?').unwrap().1, Some(&sp.cert_der()))
        .unwrap();
    assert_eq!(got.id, "_req1");
    assert_eq!(got.acs, ACS);
    assert_eq!(
        got.context_refs,
        vec!["http://ftn.ficora.fi/2017/loa3".to_string()]
    );
    assert_eq!(got.locale.as_deref(), Some("en"));
    assert!(got.force_authn);
    // Signed by someone else: refused.
    assert!(
        i.read_request(url.split_once('?').unwrap().1, Some(&i.key.cert_der()))
            .is_err()
    );
}

/// Re-signs the assertion of `r` after `edit` changed its signature
/// template, so the only thing wrong is what `edit` did.
fn resigned(edit: impl Fn(&str) -> String) -> String {
    let i = idp();
    let mut ans = Answer::new(NOW);
    ans.sign_assertion = false;
    let assertion = i.assertion_xml(&req(), &anna(), &ans);
    let end = assertion.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let template = edit(&format!(
        "{}{}{}",
        &assertion[..end],
        super::xmlsec::signature_template(&ans.assertion_id, &i.key.cert_b64),
        &assertion[end..]
    ));
    let signed = i.key.sign_template(&template).unwrap();
    let r = i.response(&req(), Some(&anna()), &ans).unwrap();
    let start = r.find("<saml:Assertion").unwrap();
    let stop = r.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    format!("{}{signed}{}", &r[..start], &r[stop..])
}

/// A validly signed response with `edit` applied to it: the wrapper's
/// checks run before verification, so each edit is refused for what it is.
fn edited(edit: impl Fn(&str) -> String) -> String {
    let r = resigned(|t| t.to_string());
    let e = edit(&r);
    assert_ne!(e, r, "the edit changed nothing");
    e
}

#[test]
fn the_wrapper_refuses_weak_or_outside_references_before_verifying() {
    // As made, the re-signed response passes.
    assert_eq!(
        ok(&resigned(|t| t.to_string())).name_id,
        "anna@hus.example.fi"
    );
    // rsa-sha1 and sha1 digests.
    let m = refused(&edited(|t| {
        t.replace("xmldsig-more#rsa-sha256", "xmldsig-more#rsa-sha1")
            .replace(
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha1",
                "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            )
    }));
    assert!(m.contains("signature algorithm"), "{m}");
    let m = refused(&edited(|t| {
        t.replace(
            "http://www.w3.org/2001/04/xmlenc#sha256",
            "http://www.w3.org/2000/09/xmldsig#sha1",
        )
    }));
    assert!(m.contains("digest algorithm"), "{m}");
    // Inclusive C14N instead of exclusive.
    let m = refused(&edited(|t| {
        t.replacen(
            "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
            "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>",
            1,
        )
    }));
    assert!(m.contains("canonicalization"), "{m}");
    // A Reference to a file is refused before anything reads it.
    let r = resigned(|t| t.to_string());
    let id_ref = r.find("<ds:Reference URI=\"#").unwrap() + "<ds:Reference URI=\"".len();
    let end = r[id_ref..].find('"').unwrap() + id_ref;
    let file = format!("{}file:///etc/passwd{}", &r[..id_ref], &r[end..]);
    let m = refused(&file);
    assert!(m.contains("only same-document references"), "{m}");
    // An XPath transform.
    let m = refused(&edited(|t| {
        t.replacen(
            "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
            "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath>1</ds:XPath></ds:Transform>",
            1,
        )
    }));
    assert!(m.contains("transform"), "{m}");
}
