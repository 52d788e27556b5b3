//! Mobile certificate (mobiilivarmenne) login: the operator's Mobile
//! Signature Service Provider has the person sign a fresh challenge on
//! the phone (ETSI TS 102 204, asynchronous client-server mode, FiCom's
//! EventID, DisplayName and PersonIdentity services); we check that the
//! returned PKCS#7 signs exactly that challenge, and the certificate like
//! a card's (chain, key usage, revocation: the card verifier, with the
//! mobile CAs), and read the SATU from it. Nothing here knows axum.
//!
//! A login is a [`Transaction`], kept by the caller (in the shared
//! ephemeral store, so any node can poll it): [`MobileLogin::start`]
//! makes one, [`MobileLogin::poll`] asks the MSSP once how it stands.

pub mod cms;
mod der;
mod error;
/// The MSSP's side: the development MSSP's and the tests' peer, never in
/// a production build.
#[cfg(any(feature = "dev", feature = "test-support", test))]
pub mod peer;
pub mod soap;

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};

pub use error::MobileError;

use crate::config::MobileSettings;
use crate::domain::{AuthMethod, LoA, Msisdn, Satu};
use crate::identity::card::{CardError, CardVerifier, Usage, cert};
use crate::identity::{Attributes, VerifiedIdentity};
use soap::{ApInfo, Reply, status};

/// Letters and digits that cannot be mistaken for each other on a phone
/// screen (no 0/O, 1/I).
const EVENT_ID_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A started login, as the MSSP knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub msisdn: Msisdn,
    pub mssp_trans_id: String,
    /// The code shown on the screen and on the phone.
    pub event_id: String,
    /// Exactly what we asked to be signed.
    pub data_to_be_signed: String,
    pub started_at: i64,
}

/// How a transaction stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Waiting,
    Signed(MobileIdentity),
}

/// Who a verified mobile signature says signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MobileIdentity {
    pub satu: Satu,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub issuer: String,
    pub serial: String,
}

impl MobileIdentity {
    /// The identity the mobile certificate vouches for.
    pub fn verified(&self, source: &str, loa: LoA, now: i64) -> VerifiedIdentity {
        VerifiedIdentity {
            source: source.to_string(),
            subject: self.satu.to_string(),
            loa,
            methods: vec![AuthMethod::MobileCertificate],
            authenticated_at: now,
            links_with: None,
            attributes: Attributes {
                given_name: self.given_name.clone(),
                family_name: self.family_name.clone(),
                ..Attributes::default()
            },
        }
    }
}

pub struct MobileLogin {
    settings: MobileSettings,
    http: reqwest::Client,
    certificates: CardVerifier,
}

/// Shared handle.
pub type Mobile = Arc<MobileLogin>;

/// A fresh event id: four characters of [`EVENT_ID_ALPHABET`] (32
/// symbols, so a random byte modulo 32 is unbiased).
pub fn new_event_id() -> String {
    let mut bytes = [0u8; 4];
    // The system random source does not fail in practice; a zeroed id
    // would still be a valid (if guessable) display code, never a secret.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes
        .iter()
        .map(|b| EVENT_ID_ALPHABET[usize::from(*b) % EVENT_ID_ALPHABET.len()] as char)
        .collect()
}

/// An AP_TransID: unique per request, an XML NCName.
fn ap_trans_id() -> String {
    format!(
        "pv{}",
        crate::tokens::random_token(12).replace(['-', '_'], "x")
    )
}

impl MobileLogin {
    pub fn new(settings: &MobileSettings) -> Result<Self, String> {
        let certificates = CardVerifier::new(&settings.certificate_settings())
            .map_err(|e| e.replace("card.", "mobile."))?;
        let http = crate::http_client_builder()
            .timeout(Duration::from_secs(settings.request_timeout_secs.max(1)))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            settings: settings.clone(),
            http,
            certificates,
        })
    }

    pub fn settings(&self) -> &MobileSettings {
        &self.settings
    }

    /// Fetches the mobile CAs' revocation lists that are due.
    pub async fn refresh_crls(&self, now: i64) {
        self.certificates.refresh_crls(now).await;
    }

    fn ap<'a>(&'a self, trans_id: &'a str, now: i64) -> ApInfo<'a> {
        ApInfo {
            ap_id: &self.settings.ap_id,
            password: self.settings.ap_password.expose(),
            trans_id,
            instant: now,
            mssp_id: &self.settings.mssp_id,
        }
    }

    /// `url`, or this server's `base` before it when it is a path.
    fn resolve(url: &str, base: &str) -> String {
        if url.starts_with('/') {
            format!("{}{url}", base.trim_end_matches('/'))
        } else {
            url.to_string()
        }
    }

    /// Asks the MSSP to have `msisdn` sign a fresh challenge. `base` is
    /// how this server reaches itself (the development MSSP).
    pub async fn start(
        &self,
        base: &str,
        msisdn: &Msisdn,
        now: i64,
    ) -> Result<Transaction, MobileError> {
        let event_id = new_event_id();
        let data_to_be_signed = format!(
            "{}: {}",
            self.settings.display_name,
            crate::tokens::random_token(16)
        );
        let trans_id = ap_trans_id();
        let request = soap::SignatureRequest {
            ap: self.ap(&trans_id, now),
            msisdn: msisdn.as_str(),
            data_to_be_signed: &data_to_be_signed,
            signature_profile: &self.settings.signature_profile,
            event_id: &event_id,
            display_name: &self.settings.display_name,
            timeout_secs: self.settings.timeout_secs,
        };
        let url = Self::resolve(&self.settings.mssp_url, base);
        let result = match self.call(&url, "#MSS_Signature", request.to_soap()).await {
            Ok(Reply::Status {
                code: status::REQUEST_OK,
                mssp_trans_id: Some(id),
                ..
            }) if !id.is_empty() => Ok(Transaction {
                msisdn: msisdn.clone(),
                mssp_trans_id: id,
                event_id,
                data_to_be_signed,
                started_at: now,
            }),
            Ok(reply) => Err(refusal(reply)),
            Err(e) => Err(e),
        };
        match &result {
            Ok(t) => tracing::info!(
                msisdn = %msisdn.masked(),
                mssp_trans_id = %t.mssp_trans_id,
                event_id = %t.event_id,
                "mobile signature requested"
            ),
            Err(e) => log_refusal(msisdn, "-", e),
        }
        result
    }

    /// Asks the MSSP once how `t` stands; past our own deadline, the
    /// person is out of time without asking. Every refusal is logged.
    pub async fn poll(
        &self,
        base: &str,
        t: &Transaction,
        now: i64,
    ) -> Result<Progress, MobileError> {
        let result = self.poll_inner(base, t, now).await;
        match &result {
            Ok(Progress::Signed(id)) => tracing::info!(
                msisdn = %t.msisdn.masked(),
                mssp_trans_id = %t.mssp_trans_id,
                issuer = %id.issuer,
                serial = %id.serial,
                "mobile signature verified"
            ),
            Ok(Progress::Waiting) => {}
            Err(e) => log_refusal(&t.msisdn, &t.mssp_trans_id, e),
        }
        result
    }

    async fn poll_inner(
        &self,
        base: &str,
        t: &Transaction,
        now: i64,
    ) -> Result<Progress, MobileError> {
        let deadline = t.started_at + self.settings.timeout_secs as i64;
        if now >= deadline {
            return Err(MobileError::Timeout(format!(
                "our deadline of {} s passed",
                self.settings.timeout_secs
            )));
        }
        let trans_id = ap_trans_id();
        let body = soap::status_request(&self.ap(&trans_id, now), &t.mssp_trans_id);
        let url = Self::resolve(
            self.settings
                .status_url
                .as_deref()
                .unwrap_or(&self.settings.mssp_url),
            base,
        );
        match self.call(&url, "#MSS_StatusQuery", body).await? {
            Reply::Status {
                code: status::OUTSTANDING_TRANSACTION,
                ..
            } => Ok(Progress::Waiting),
            Reply::Status {
                code: status::SIGNATURE | status::VALID_SIGNATURE,
                signature: Some(signature),
                satu,
                ..
            } => {
                let id = self.verify(&signature, &t.data_to_be_signed, now).await?;
                if let Some(told) = satu
                    && told != id.satu.as_str()
                {
                    return Err(MobileError::Signature(cms::CmsError::OtherData(
                        "PersonIdentity names another SATU than the certificate".into(),
                    )));
                }
                Ok(Progress::Signed(id))
            }
            Reply::Status {
                code: status::SIGNATURE | status::VALID_SIGNATURE,
                signature: None,
                ..
            } => Err(MobileError::Unavailable(
                "a signature status without a signature".into(),
            )),
            Reply::Status {
                code: status::INVALID_SIGNATURE,
                ..
            } => Err(MobileError::Signature(cms::CmsError::BadSignature(
                "the MSSP says INVALID_SIGNATURE".into(),
            ))),
            reply => Err(refusal(reply)),
        }
    }

    /// Checks that `signature` (PKCS#7) signs exactly `data_to_be_signed`
    /// and that its certificate is a valid, unrevoked mobile certificate.
    pub async fn verify(
        &self,
        signature: &[u8],
        data_to_be_signed: &str,
        now: i64,
    ) -> Result<MobileIdentity, MobileError> {
        let signed = cms::parse(signature).map_err(MobileError::Signature)?;
        let der = signed
            .verify(data_to_be_signed.as_bytes())
            .map_err(MobileError::Signature)?;
        let facts =
            cert::read(der, None).map_err(|e| MobileError::Certificate(CardError::Malformed(e)))?;
        self.certificates
            .check_certificate(&CertificateDer::from(der), &facts, now, Usage::Signing)
            .await
            .map_err(MobileError::Certificate)?;
        if !facts
            .policies
            .iter()
            .any(|p| self.settings.policy_oids.contains(p))
        {
            return Err(MobileError::WrongPolicy(facts.policies.clone()));
        }
        let satu = facts
            .serial_number
            .as_deref()
            .unwrap_or("")
            .parse::<Satu>()
            .map_err(|e| MobileError::Certificate(CardError::NoSatu(e)))?;
        Ok(MobileIdentity {
            satu,
            given_name: facts.given_name.clone(),
            family_name: facts.family_name.clone(),
            issuer: facts.issuer.clone(),
            serial: facts.serial_hex(),
        })
    }

    async fn call(&self, url: &str, action: &str, body: String) -> Result<Reply, MobileError> {
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .header("SOAPAction", action)
            .body(body)
            .send()
            .await
            .map_err(|e| MobileError::Unavailable(format!("{url}: {e}")))?;
        let http_status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| MobileError::Unavailable(format!("{url}: {e}")))?;
        soap::parse_reply(&text)
            .map_err(|e| MobileError::Unavailable(format!("{url}: HTTP {http_status}: {e}")))
    }
}

/// The error an MSSP's non-success answer means.
fn refusal(reply: Reply) -> MobileError {
    match reply {
        Reply::Status { code, message, .. } => from_status(code, message),
        Reply::Fault {
            code: Some(code),
            text,
        } => from_status(code, text),
        Reply::Fault { code: None, text } => {
            MobileError::Unavailable(format!("SOAP fault: {text}"))
        }
    }
}

fn from_status(code: u32, message: String) -> MobileError {
    match code {
        status::UNKNOWN_CLIENT | status::NO_KEY_FOUND | status::NO_CERT_FOUND => {
            MobileError::UnknownNumber(code)
        }
        status::USER_CANCEL => MobileError::Cancelled(code),
        status::EXPIRED_TRANSACTION => {
            MobileError::Timeout(format!("the MSSP says EXPIRED_TRANSACTION ({code})"))
        }
        status::PIN_BLOCKED | status::CARD_BLOCKED => MobileError::Blocked(code),
        _ => MobileError::Refused { code, message },
    }
}

fn log_refusal(msisdn: &Msisdn, mssp_trans_id: &str, e: &MobileError) {
    tracing::warn!(
        code = e.code(),
        msisdn = %msisdn.masked(),
        mssp_trans_id,
        status = %e.status().map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
        error = %e,
        "mobile login refused"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_four_unambiguous_characters() {
        let ids: std::collections::HashSet<String> = (0..50).map(|_| new_event_id()).collect();
        assert!(ids.len() > 40, "random: {ids:?}");
        for id in &ids {
            assert_eq!(id.len(), 4);
            assert!(id.bytes().all(|b| EVENT_ID_ALPHABET.contains(&b)), "{id}");
        }
    }

    #[test]
    fn statuses_map_to_their_refusals() {
        let code = |c| from_status(c, String::new()).code();
        assert_eq!(code(105), "mobile_unknown_number");
        assert_eq!(code(404), "mobile_unknown_number");
        assert_eq!(code(401), "mobile_cancelled");
        assert_eq!(code(208), "mobile_timeout");
        assert_eq!(code(402), "mobile_blocked");
        assert_eq!(code(104), "mobile_refused");
        assert_eq!(
            refusal(Reply::Fault {
                code: None,
                text: "x".into()
            })
            .code(),
            "mobile_unavailable"
        );
    }

    /// Collects what is logged while `f` runs.
    fn logged(f: impl FnOnce()) -> String {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buf.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn refusals_are_logged_for_the_operator_with_the_number_masked() {
        let m: Msisdn = "+358401234567".parse().unwrap();
        let line = logged(|| log_refusal(&m, "mssp-7", &MobileError::Cancelled(401)));
        for part in [
            "WARN",
            "mobile login refused",
            "code=\"mobile_cancelled\"",
            "msisdn=+35840*****67",
            "mssp_trans_id=\"mssp-7\"",
            "status=401",
        ] {
            assert!(line.contains(part), "{part} in {line}");
        }
        assert!(!line.contains("401234567"), "the number is masked: {line}");
    }

    #[test]
    fn a_path_is_this_server() {
        assert_eq!(
            MobileLogin::resolve("/dev-mssp/soap", "http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/dev-mssp/soap"
        );
        assert_eq!(
            MobileLogin::resolve("https://mssp.example.fi/soap", "http://x"),
            "https://mssp.example.fi/soap"
        );
    }
}
