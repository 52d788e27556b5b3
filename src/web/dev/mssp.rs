//! The built-in development MSSP at `/dev-mssp/soap`: the operator's side
//! of mobile certificate login, for trying it without a phone. It speaks
//! the same SOAP as a real MSSP (asynchronous client-server mode) and
//! really signs, with the test mobile certificates of certs/test-pki/
//! (scripts/test-pki.sh). Present only with `[dev_idp] enabled`, which
//! production configurations refuse, and only in a build with the `dev`
//! feature.
//!
//! Test numbers (README): +358 40 123 4567 confirms after a few seconds;
//! +358 40 123 4568 refuses on the phone; +358 40 123 4569 never answers;
//! +358 40 123 4560 confirms with a revoked certificate; any other number
//! is unknown.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};

use crate::app::{AppState, SharedState};
use crate::identity::mobile::cms;
use crate::identity::mobile::peer::{self, Request, SignatureAsk};
use crate::identity::mobile::soap::{ASYNCH_CLIENT_SERVER, status};
use crate::tokens::{constant_time_eq, random_token};

use super::test_pki::PKI_DIR;

/// How long the test person takes to answer.
const ANSWER_AFTER_SECS: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// Confirms with the PIN, signing with the named test certificate.
    Confirm(&'static str),
    /// Presses "cancel" on the phone.
    Refuse,
    /// Never answers.
    Silent,
}

fn behaviour(msisdn: &str) -> Option<Behaviour> {
    match msisdn {
        "+358401234567" => Some(Behaviour::Confirm("mobile-mervi")),
        "+358401234568" => Some(Behaviour::Refuse),
        "+358401234569" => Some(Behaviour::Silent),
        "+358401234560" => Some(Behaviour::Confirm("mobile-revoked")),
        _ => None,
    }
}

/// A request the development MSSP is working on.
#[derive(Debug, Serialize, Deserialize)]
struct DevTransaction {
    msisdn: String,
    data_to_be_signed: String,
    created_at: i64,
    timeout_secs: i64,
}

fn soap_response(status: StatusCode, xml: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

fn fault(code: u32, message: &str) -> Response {
    soap_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        peer::fault(code, message),
    )
}

fn ap_ok(app: &AppState, ap_id: &str, password: &str) -> bool {
    let m = &app.settings.mobile;
    ap_id == m.ap_id && constant_time_eq(password.as_bytes(), m.ap_password.expose().as_bytes())
}

/// `POST /dev-mssp/soap`: MSS_Signature and MSS_StatusQuery.
pub async fn soap(State(app): State<SharedState>, body: String) -> Response {
    match peer::parse_request(&body) {
        Ok(Request::Signature(ask)) => signature(&app, ask).await,
        Ok(Request::Status {
            ap_id,
            ap_password,
            mssp_trans_id,
        }) if ap_ok(&app, &ap_id, &ap_password) => status_query(&app, &mssp_trans_id).await,
        Ok(Request::Status { .. }) => fault(104, "UNAUTHORIZED_ACCESS"),
        Err(e) => fault(101, &format!("WRONG_PARAM: {e}")),
    }
}

async fn signature(app: &AppState, ask: SignatureAsk) -> Response {
    if !ap_ok(app, &ask.ap_id, &ask.ap_password) {
        return fault(104, "UNAUTHORIZED_ACCESS");
    }
    if ask.messaging_mode != ASYNCH_CLIENT_SERVER {
        return fault(101, "WRONG_PARAM: only asynchClientServer");
    }
    if behaviour(&ask.msisdn).is_none() {
        return fault(status::UNKNOWN_CLIENT, "UNKNOWN_CLIENT");
    }
    let id = format!("devmssp{}", random_token(12).replace(['-', '_'], "x"));
    let timeout = ask.timeout_secs.unwrap_or(120) as i64;
    let tx = DevTransaction {
        msisdn: ask.msisdn.clone(),
        data_to_be_signed: ask.data_to_be_signed.clone(),
        created_at: app.now(),
        timeout_secs: timeout,
    };
    if app
        .eph
        .put_pending("devmssp", &id, &tx, timeout + 120)
        .await
        .is_err()
    {
        return fault(900, "INTERNAL_ERROR");
    }
    tracing::info!(
        event_id = ask.event_id.as_deref().unwrap_or("-"),
        mssp_trans_id = %id,
        "development MSSP: signature requested"
    );
    soap_response(
        StatusCode::OK,
        peer::signature_response(&ask.ap_trans_id, &id),
    )
}

async fn status_query(app: &AppState, id: &str) -> Response {
    let Ok(Some(tx)) = app.eph.pending::<DevTransaction>("devmssp", id).await else {
        return fault(101, "WRONG_PARAM: unknown MSSP_TransID");
    };
    let elapsed = app.now() - tx.created_at;
    let outstanding = || {
        soap_response(
            StatusCode::OK,
            peer::status_response(
                id,
                status::OUTSTANDING_TRANSACTION,
                "OUTSTANDING_TRANSACTION",
                None,
            ),
        )
    };
    match behaviour(&tx.msisdn) {
        _ if elapsed < ANSWER_AFTER_SECS => outstanding(),
        Some(Behaviour::Confirm(name)) => match sign(name, &tx.data_to_be_signed) {
            Ok(p7) => soap_response(
                StatusCode::OK,
                peer::status_response(id, status::SIGNATURE, "SIGNATURE", Some(&p7)),
            ),
            Err(e) => {
                tracing::warn!(error = %e, "development MSSP cannot sign (run scripts/test-pki.sh)");
                fault(900, "INTERNAL_ERROR")
            }
        },
        Some(Behaviour::Refuse) => fault(status::USER_CANCEL, "USER_CANCEL"),
        Some(Behaviour::Silent) if elapsed >= tx.timeout_secs => {
            fault(status::EXPIRED_TRANSACTION, "EXPIRED_TRANSACTION")
        }
        Some(Behaviour::Silent) => outstanding(),
        None => fault(status::UNKNOWN_CLIENT, "UNKNOWN_CLIENT"),
    }
}

/// Signs `data` as the test person `name` would on the phone.
fn sign(name: &str, data: &str) -> Result<Vec<u8>, String> {
    let cert_path = format!("{PKI_DIR}/{name}.pem");
    let key_path = format!("{PKI_DIR}/{name}-key.pem");
    let cert =
        CertificateDer::from_pem_file(&cert_path).map_err(|e| format!("{cert_path}: {e}"))?;
    let key =
        match PrivateKeyDer::from_pem_file(&key_path).map_err(|e| format!("{key_path}: {e}"))? {
            PrivateKeyDer::Pkcs8(k) => k,
            _ => return Err(format!("{key_path}: not a PKCS#8 key")),
        };
    let pair = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        key.secret_pkcs8_der(),
    )
    .map_err(|e| format!("{key_path}: {e}"))?;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let sign = |m: &[u8]| -> Result<Vec<u8>, String> {
        pair.sign(&rng, m)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| e.to_string())
    };
    cms::build(
        data.as_bytes(),
        &cms::Signer {
            certificate: &cert,
            sign: &sign,
        },
        false,
    )
}
