//! A Mobile Signature Service Provider on loopback for the tests: it
//! checks what Porttivahti sends (TS 102 204 SOAP, FiCom's services),
//! answers like an operator's MSSP in asynchronous client-server mode, and
//! signs with the test mobile certificates. It also serves the mobile
//! CA's CRL.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use porttivahti::identity::mobile::cms;
use porttivahti::identity::mobile::peer::{Request, SignatureAsk, parse_request};

pub const AP_ID: &str = "http://porttivahti.test/ap";
pub const AP_PASSWORD: &str = "ap-password-0123456789";
const MSS: &str = "http://uri.etsi.org/TS102204/v1.1.2#";
const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// Makes a CMS signature of the data to be signed.
pub type SignFn = Arc<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

/// What the person with a number does.
#[derive(Clone)]
pub enum Answer {
    /// Confirms with the PIN: the certificate and its PKCS#8 key.
    Confirm { cert: Vec<u8>, key: Vec<u8> },
    /// Confirms, but the MSSP returns a signature over other data.
    ConfirmOtherData { cert: Vec<u8>, key: Vec<u8> },
    /// Confirms with the signature this makes of the data to be signed
    /// (e.g. `openssl cms -sign`, tests/it/peers/mobile_openssl.rs).
    SignWith(SignFn),
    /// Refuses on the phone.
    Cancel,
    /// Never answers.
    Silent,
    /// Ends the transaction with this fault status (e.g. 208, 402).
    Fault(u32),
    /// Ends the transaction with this status and no signature (e.g. 503).
    Status(u32),
}

#[derive(Default)]
struct Inner {
    numbers: Mutex<HashMap<String, Answer>>,
    asks: Mutex<Vec<SignatureAsk>>,
    /// MSSP_TransID → (what was asked, status queries so far).
    transactions: Mutex<HashMap<String, (SignatureAsk, usize)>>,
    crl: Mutex<Option<Vec<u8>>>,
    crl_hits: AtomicUsize,
}

#[derive(Clone)]
pub struct Mssp {
    inner: Arc<Inner>,
    pub url: String,
    pub crl_url: String,
}

impl Mssp {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let s = Mssp {
            inner: Arc::default(),
            url: format!("{base}/soap/services/MSS_SignaturePort"),
            crl_url: format!("{base}/mobile-ca.crl"),
        };
        let router = axum::Router::new()
            .route(
                "/soap/services/MSS_SignaturePort",
                axum::routing::post(soap),
            )
            .route("/mobile-ca.crl", axum::routing::get(crl))
            .with_state(s.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        s
    }

    pub fn answer(&self, msisdn: &str, a: Answer) {
        self.inner
            .numbers
            .lock()
            .unwrap()
            .insert(msisdn.to_string(), a);
    }

    pub fn set_crl(&self, der: Option<Vec<u8>>) {
        *self.inner.crl.lock().unwrap() = der;
    }

    pub fn crl_hits(&self) -> usize {
        self.inner.crl_hits.load(Ordering::SeqCst)
    }

    /// The signature requests received, oldest first.
    pub fn asks(&self) -> Vec<SignatureAsk> {
        self.inner.asks.lock().unwrap().clone()
    }
}

async fn crl(State(s): State<Mssp>) -> Response {
    s.inner.crl_hits.fetch_add(1, Ordering::SeqCst);
    match s.inner.crl.lock().unwrap().clone() {
        Some(der) => ([("content-type", "application/pkix-crl")], der).into_response(),
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP}"><SOAP-ENV:Body>{body}</SOAP-ENV:Body></SOAP-ENV:Envelope>"#
    )
}

fn fault(code: u32, text: &str) -> Response {
    let body = envelope(&format!(
        r#"<SOAP-ENV:Fault><faultcode xmlns:fi="http://mss.ficom.fi/TS102204/v1.0.0#">fi:_{code}</faultcode><faultstring>{text}</faultstring></SOAP-ENV:Fault>"#
    ));
    (StatusCode::INTERNAL_SERVER_ERROR, body).into_response()
}

fn status(id: &str, code: u32, message: &str, signature: Option<&[u8]>) -> Response {
    // Base64 folded at 64 characters, as some MSSPs send it.
    let sig = signature
        .map(|s| {
            let b64 = porttivahti::tokens::b64_std(s);
            let folded: Vec<String> = b64
                .as_bytes()
                .chunks(64)
                .map(|c| String::from_utf8(c.to_vec()).unwrap())
                .collect();
            format!(
                "<MSS_Signature><Base64Signature>{}</Base64Signature></MSS_Signature>",
                folded.join("\n")
            )
        })
        .unwrap_or_default();
    envelope(&format!(
        r#"<MSS_StatusQueryResponse><MSS_StatusResp xmlns="{MSS}" MajorVersion="1" MinorVersion="1" MSSP_TransID="{id}">{sig}<Status><StatusCode Value="{code}"/><StatusMessage>{message}</StatusMessage></Status></MSS_StatusResp></MSS_StatusQueryResponse>"#
    ))
    .into_response()
}

fn sign(data: &[u8], cert: &[u8], key: &[u8]) -> Vec<u8> {
    let pair = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        key,
    )
    .unwrap();
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let f =
        |m: &[u8]| -> Result<Vec<u8>, String> { Ok(pair.sign(&rng, m).unwrap().as_ref().to_vec()) };
    cms::build(
        data,
        &cms::Signer {
            certificate: cert,
            sign: &f,
        },
        true,
    )
    .unwrap()
}

async fn soap(State(s): State<Mssp>, body: String) -> Response {
    match parse_request(&body).expect("a TS 102 204 request") {
        Request::Signature(ask) => {
            if ask.ap_id != AP_ID || ask.ap_password != AP_PASSWORD {
                return fault(104, "UNAUTHORIZED_ACCESS");
            }
            s.inner.asks.lock().unwrap().push(ask.clone());
            if !s.inner.numbers.lock().unwrap().contains_key(&ask.msisdn) {
                return fault(105, "UNKNOWN_CLIENT");
            }
            let mut txs = s.inner.transactions.lock().unwrap();
            let id = format!("mssp-{}", txs.len() + 1);
            txs.insert(id.clone(), (ask, 0));
            envelope(&format!(
                r#"<MSS_SignatureResponse><MSS_SignatureResp xmlns="{MSS}" MajorVersion="1" MinorVersion="1" MSSP_TransID="{id}"><Status><StatusCode Value="100"/><StatusMessage>REQUEST_OK</StatusMessage></Status></MSS_SignatureResp></MSS_SignatureResponse>"#
            ))
            .into_response()
        }
        Request::Status {
            ap_id,
            ap_password,
            mssp_trans_id,
        } => {
            if ap_id != AP_ID || ap_password != AP_PASSWORD {
                return fault(104, "UNAUTHORIZED_ACCESS");
            }
            let (ask, polls) = {
                let mut txs = s.inner.transactions.lock().unwrap();
                let Some(entry) = txs.get_mut(&mssp_trans_id) else {
                    return fault(101, "WRONG_PARAM");
                };
                entry.1 += 1;
                (entry.0.clone(), entry.1)
            };
            // The person takes one poll to find the phone.
            if polls == 1 {
                return status(&mssp_trans_id, 504, "OUTSTANDING_TRANSACTION", None);
            }
            let answer = s.inner.numbers.lock().unwrap()[&ask.msisdn].clone();
            match answer {
                Answer::Confirm { cert, key } => {
                    let p7 = sign(ask.data_to_be_signed.as_bytes(), &cert, &key);
                    status(&mssp_trans_id, 502, "VALID_SIGNATURE", Some(&p7))
                }
                Answer::ConfirmOtherData { cert, key } => {
                    let p7 = sign(b"something else entirely", &cert, &key);
                    status(&mssp_trans_id, 502, "VALID_SIGNATURE", Some(&p7))
                }
                Answer::SignWith(sign) => {
                    let p7 = sign(ask.data_to_be_signed.as_bytes());
                    status(&mssp_trans_id, 502, "VALID_SIGNATURE", Some(&p7))
                }
                Answer::Cancel => fault(401, "USER_CANCEL"),
                Answer::Silent => status(&mssp_trans_id, 504, "OUTSTANDING_TRANSACTION", None),
                Answer::Fault(code) => fault(code, "FAULT"),
                Answer::Status(code) => status(&mssp_trans_id, code, "STATUS", None),
            }
        }
    }
}
