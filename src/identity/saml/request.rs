//! AuthnRequests (and LogoutRequests) and the HTTP-Redirect binding's
//! detached signature.

use std::io::{Read, Write};

use super::xml::{BINDING_POST, SAML, SAMLP, esc, instant};
use super::xmlsec::{KeyPair, XmlSecError, verify_rsa_sha256};

pub const SIG_ALG_RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/// What goes into one AuthnRequest.
#[derive(Debug, Clone)]
pub struct AuthnRequest<'a> {
    pub id: &'a str,
    /// Our entity id.
    pub issuer: &'a str,
    /// The IdP's SingleSignOnService.
    pub destination: &'a str,
    pub acs: &'a str,
    pub now: i64,
    /// Ask the IdP to authenticate again even with a session of its own.
    pub force_authn: bool,
    /// AuthnContextClassRefs to ask for (minimum comparison); none = any.
    pub context_refs: &'a [&'a str],
    /// The page's language for the IdP (Suomi.fi's `vetuma` extension).
    pub locale: Option<&'a str>,
}

impl AuthnRequest<'_> {
    pub fn to_xml(&self) -> String {
        let mut x = format!(
            "<samlp:AuthnRequest xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" ID=\"{id}\" \
             Version=\"2.0\" IssueInstant=\"{t}\" Destination=\"{dest}\" \
             AssertionConsumerServiceURL=\"{acs}\" ProtocolBinding=\"{BINDING_POST}\"{force}>\
             <saml:Issuer>{iss}</saml:Issuer>",
            id = esc(self.id),
            t = instant(self.now),
            dest = esc(self.destination),
            acs = esc(self.acs),
            force = if self.force_authn {
                " ForceAuthn=\"true\""
            } else {
                ""
            },
            iss = esc(self.issuer),
        );
        if let Some(lang) = self.locale {
            x.push_str(&format!(
                "<samlp:Extensions><vetuma xmlns=\"urn:vetuma:SAML:2.0:extensions\">\
                 <LG>{}</LG></vetuma></samlp:Extensions>",
                esc(lang)
            ));
        }
        x.push_str(
            "<samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\" \
             AllowCreate=\"true\"/>",
        );
        if !self.context_refs.is_empty() {
            x.push_str("<samlp:RequestedAuthnContext Comparison=\"minimum\">");
            for r in self.context_refs {
                x.push_str(&format!(
                    "<saml:AuthnContextClassRef>{}</saml:AuthnContextClassRef>",
                    esc(r)
                ));
            }
            x.push_str("</samlp:RequestedAuthnContext>");
        }
        x.push_str("</samlp:AuthnRequest>");
        x
    }
}

/// A LogoutRequest for the IdP's session of `name_id`.
pub fn logout_request_xml(
    id: &str,
    issuer: &str,
    destination: &str,
    now: i64,
    name_id: &str,
    session_index: Option<&str>,
) -> String {
    format!(
        "<samlp:LogoutRequest xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" ID=\"{id}\" \
         Version=\"2.0\" IssueInstant=\"{t}\" Destination=\"{dest}\">\
         <saml:Issuer>{iss}</saml:Issuer><saml:NameID>{nid}</saml:NameID>{si}\
         </samlp:LogoutRequest>",
        id = esc(id),
        t = instant(now),
        dest = esc(destination),
        iss = esc(issuer),
        nid = esc(name_id),
        si = session_index
            .map(|s| format!("<samlp:SessionIndex>{}</samlp:SessionIndex>", esc(s)))
            .unwrap_or_default(),
    )
}

/// A successful LogoutResponse to the request `in_response_to`.
pub fn logout_response_xml(
    id: &str,
    issuer: &str,
    destination: &str,
    now: i64,
    in_response_to: &str,
) -> String {
    format!(
        "<samlp:LogoutResponse xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" ID=\"{id}\" \
         Version=\"2.0\" IssueInstant=\"{t}\" Destination=\"{dest}\" InResponseTo=\"{irt}\">\
         <saml:Issuer>{iss}</saml:Issuer><samlp:Status><samlp:StatusCode \
         Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>\
         </samlp:LogoutResponse>",
        id = esc(id),
        t = instant(now),
        dest = esc(destination),
        irt = esc(in_response_to),
        iss = esc(issuer),
    )
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The HTTP-Redirect binding: `destination?SAMLRequest=…&RelayState=…
/// &SigAlg=…&Signature=…`, deflated and signed with RSA-SHA256.
pub fn redirect_url(
    destination: &str,
    param: &str,
    xml: &str,
    relay_state: Option<&str>,
    key: &KeyPair,
) -> Result<String, XmlSecError> {
    let mut deflater =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflater
        .write_all(xml.as_bytes())
        .map_err(|e| XmlSecError::Signing(e.to_string()))?;
    let deflated = deflater
        .finish()
        .map_err(|e| XmlSecError::Signing(e.to_string()))?;
    let mut signed = format!("{param}={}", enc(&crate::tokens::b64_std(deflated)));
    if let Some(rs) = relay_state {
        signed.push_str(&format!("&RelayState={}", enc(rs)));
    }
    signed.push_str(&format!("&SigAlg={}", enc(SIG_ALG_RSA_SHA256)));
    let sig = key.sign_rsa_sha256(signed.as_bytes())?;
    let sep = if destination.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{destination}{sep}{signed}&Signature={}",
        enc(&crate::tokens::b64_std(sig))
    ))
}

/// A message received over the HTTP-Redirect binding.
#[derive(Debug)]
pub struct RedirectMessage {
    pub xml: String,
    pub relay_state: Option<String>,
    /// The query parameters, for other uses (e.g. `locale`).
    pub params: Vec<(String, String)>,
}

/// Reads (and, with `signer`, verifies the signature of) a redirect-binding
/// query string. The signature is checked over the parameters exactly as
/// they arrived.
pub fn read_redirect(
    raw_query: &str,
    param: &str,
    signer: Option<&[u8]>,
) -> Result<RedirectMessage, String> {
    let mut raw: Vec<(&str, &str)> = Vec::new();
    for part in raw_query.split('&') {
        if let Some((k, v)) = part.split_once('=') {
            raw.push((k, v));
        }
    }
    let get_raw = |k: &str| raw.iter().find(|(kk, _)| *kk == k).map(|(_, v)| *v);
    let decode = |v: &str| -> String {
        url::form_urlencoded::parse(format!("v={v}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let msg_raw = get_raw(param).ok_or_else(|| format!("no {param} parameter"))?;
    let relay_raw = get_raw("RelayState");
    if let Some(cert) = signer {
        let alg = get_raw("SigAlg")
            .map(decode)
            .ok_or("the message is not signed")?;
        if alg != SIG_ALG_RSA_SHA256 {
            return Err(format!("signature algorithm {alg:?} is not accepted"));
        }
        let sig = get_raw("Signature")
            .map(decode)
            .ok_or("the message is not signed")?;
        let sig = crate::tokens::b64_std_decode(&sig).map_err(|_| "the signature is not base64")?;
        let mut signed = format!("{param}={msg_raw}");
        if let Some(rs) = relay_raw {
            signed.push_str(&format!("&RelayState={rs}"));
        }
        signed.push_str(&format!(
            "&SigAlg={}",
            get_raw("SigAlg").unwrap_or_default()
        ));
        if !verify_rsa_sha256(cert, signed.as_bytes(), &sig) {
            return Err("the signature does not verify".into());
        }
    }
    let deflated = crate::tokens::b64_std_decode(&decode(msg_raw))
        .map_err(|_| format!("{param} is not base64"))?;
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .take(1024 * 1024)
        .read_to_string(&mut xml)
        .map_err(|_| format!("{param} is not deflated XML"))?;
    Ok(RedirectMessage {
        xml,
        relay_state: relay_raw.map(decode),
        params: raw.iter().map(|(k, v)| (decode(k), decode(v))).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp() -> KeyPair {
        KeyPair::from_files("certs/dev/saml-sp-key.pem", "certs/dev/saml-sp.pem").unwrap()
    }

    #[test]
    fn redirect_binding_round_trip_and_tamper() {
        let key = sp();
        let req = AuthnRequest {
            id: "_abc",
            issuer: "https://sp.example.fi/saml/hus/metadata",
            destination: "https://idp.example.fi/sso",
            acs: "https://sp.example.fi/saml/hus/acs",
            now: 1_768_478_400,
            force_authn: false,
            context_refs: &["http://ftn.ficora.fi/2017/loa2"],
            locale: Some("sv"),
        };
        let xml = req.to_xml();
        let url = redirect_url(req.destination, "SAMLRequest", &xml, Some("rs 1"), &key).unwrap();
        let query = url.split_once('?').unwrap().1;
        let m = read_redirect(query, "SAMLRequest", Some(&key.cert_der())).unwrap();
        assert_eq!(m.xml, xml);
        assert_eq!(m.relay_state.as_deref(), Some("rs 1"));
        assert!(m.xml.contains("<LG>sv</LG>"));
        let tampered = query.replace("RelayState=rs", "RelayState=rx");
        assert!(read_redirect(&tampered, "SAMLRequest", Some(&key.cert_der())).is_err());
        let unsigned = query.split("&SigAlg").next().unwrap();
        assert!(read_redirect(unsigned, "SAMLRequest", Some(&key.cert_der())).is_err());
    }
}
