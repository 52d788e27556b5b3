//! Writes SAML responses from the test IdP into a directory: a valid signed
//! one, a valid signed-and-encrypted one, and the negative fixtures the
//! tests refuse (tampered, unsigned, foreign key, two assertions, wrapped,
//! expired, wrong audience, wrong InResponseTo, error status). Seeds for the
//! fuzzer (scripts/fuzz.sh) and specimens for an IdP administrator.
//!
//!   cargo run --example saml_fixtures -- DIR

use porttivahti::identity::saml::idp::{Answer, Idp, IdpPerson, ReceivedRequest};
use porttivahti::identity::saml::xmlsec::KeyPair;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: saml_fixtures DIR")?;
    std::fs::create_dir_all(&dir)?;
    let idp = Idp {
        entity_id: "https://idp.hus.example.fi".into(),
        sso_url: "https://idp.hus.example.fi/sso".into(),
        slo_url: "https://idp.hus.example.fi/slo".into(),
        key: KeyPair::from_files("certs/dev/dev-idp-key.pem", "certs/dev/dev-idp.pem")?,
    };
    let sp = KeyPair::from_files("certs/dev/saml-sp-key.pem", "certs/dev/saml-sp.pem")?;
    let req = ReceivedRequest {
        id: "_req1".into(),
        issuer: "https://pv.example.fi/saml/hus/metadata".into(),
        acs: "https://pv.example.fi/saml/hus/acs".into(),
        relay_state: None,
        context_refs: vec![],
        locale: None,
        force_authn: false,
    };
    let who = IdpPerson {
        name_id: "anna@hus.example.fi".into(),
        authn_context: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport".into(),
        attributes: vec![("urn:oid:2.5.4.42".into(), vec!["Anna".into()])],
    };
    let now = 1_768_478_400;
    let write = |name: &str, xml: &str| std::fs::write(format!("{dir}/{name}.xml"), xml);
    let signed = idp.response(&req, Some(&who), &Answer::new(now))?;
    write("valid-signed", &signed)?;
    let mut a = Answer::new(now);
    a.encrypt_to = Some(sp.recipient());
    write("valid-encrypted", &idp.response(&req, Some(&who), &a)?)?;
    let mut a = Answer::new(now);
    a.sign_response = true;
    write(
        "valid-response-signed",
        &idp.response(&req, Some(&who), &a)?,
    )?;
    write("tampered", &signed.replace(">Anna<", ">Eve<"))?;
    let mut a = Answer::new(now);
    a.sign_assertion = false;
    write("unsigned", &idp.response(&req, Some(&who), &a)?)?;
    let mut other = idp.clone();
    other.key = sp.clone();
    write(
        "foreign-key",
        &other.response(&req, Some(&who), &Answer::new(now))?,
    )?;
    let unsigned = idp.assertion_xml(&req, &who, &Answer::new(now));
    let end = signed.find("</saml:Assertion>").ok_or("no assertion")? + "</saml:Assertion>".len();
    write(
        "two-assertions",
        &format!("{}{unsigned}{}", &signed[..end], &signed[end..]),
    )?;
    let start = signed.find("<saml:Assertion").ok_or("no assertion")?;
    write(
        "wrapped",
        &format!(
            "{}<samlp:Extensions>{}</samlp:Extensions>{unsigned}{}",
            &signed[..start],
            &signed[start..end],
            &signed[end..]
        ),
    )?;
    write(
        "expired",
        &idp.response(&req, Some(&who), &Answer::new(now - 3600))?,
    )?;
    let mut a = Answer::new(now);
    a.audience = Some("https://elsewhere.example/sp".into());
    write("wrong-audience", &idp.response(&req, Some(&who), &a)?)?;
    let mut r2 = req.clone();
    r2.id = "_other".into();
    write(
        "wrong-in-response-to",
        &idp.response(&r2, Some(&who), &Answer::new(now))?,
    )?;
    let mut a = Answer::new(now);
    a.status = Some((
        "urn:oasis:names:tc:SAML:2.0:status:Responder".into(),
        Some("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed".into()),
    ));
    write("error-status", &idp.response(&req, None, &a)?)?;
    println!("wrote the fixtures to {dir}");
    Ok(())
}
