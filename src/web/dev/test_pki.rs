//! The test PKI's revocation lists, served with the demo so that
//! development card and mobile logins check revocation as production ones
//! do. The files are made by `scripts/test-pki.sh` (`certs/test-pki/`);
//! the development configuration names these paths as the CAs' `crl_url`.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Where the test PKI is (scripts/test-pki.sh).
pub(super) const PKI_DIR: &str = "certs/test-pki";

fn crl(file: &str) -> Response {
    match std::fs::read(format!("{PKI_DIR}/{file}")) {
        Ok(b) => ([(header::CONTENT_TYPE, "application/pkix-crl")], b).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /demo/test-pki/card-ca.crl`: the test card CA's CRL.
pub async fn card_crl() -> Response {
    crl("card-ca.crl")
}

/// `GET /demo/test-pki/mobile-ca.crl`: the test mobile CA's CRL.
pub async fn mobile_crl() -> Response {
    crl("mobile-ca.crl")
}
