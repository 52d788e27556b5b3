//! Porttivahti: an identity and access broker for Finnish social- and
//! health-care professionals. See docs/architecture.md.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod admin;
pub mod app;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod events;
pub mod identity;
pub mod jose;
pub mod login;
pub mod mandates;
pub mod oidc;
pub mod policy;
pub mod provisioning;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod tokens;
pub mod verifier;
pub mod web;

/// A builder for the gateway's outgoing HTTP(S) clients (IdP metadata,
/// OpenID Connect discovery, CRLs, OCSP, the MSSP, the e-Authorizations
/// service, the verifier's JWKS): rustls on aws-lc-rs, trusting the
/// system's CA certificates (or the file named by `SSL_CERT_FILE`).
pub fn http_client_builder() -> reqwest::ClientBuilder {
    // The process's rustls provider, once; later calls find it set.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
}

/// An error with its causes, for a log line an operator can act on
/// (reqwest's own message says only "error sending request").
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod layers;
