//! The gateway's own HTTP clients (IdP metadata, OpenID Connect discovery,
//! CRLs, OCSP, the MSSP, the e-Authorizations service) speak HTTPS and
//! trust the system's CA certificates — here, as rustls-native-certs
//! allows, the file named by `SSL_CERT_FILE`: the development CA.
//!
//! One test in its own binary, because it sets an environment variable.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "it/common/mod.rs"]
mod common;

#[tokio::test]
async fn idp_metadata_is_fetched_over_https_with_the_system_roots() {
    // SAFETY: the only test of this binary, before any thread reads the
    // environment.
    unsafe { std::env::set_var("SSL_CERT_FILE", "certs/dev/ca.pem") };
    // One gateway serves its development IdP's metadata on its HTTPS
    // listener...
    let idp = common::spawn_app_extra(
        "[dev_idp]\nenabled = true\n",
        &[("PORTTIVAHTI__SERVER__ENVIRONMENT", "development")],
        |s| s.server.tls_listen = Some("127.0.0.1:0".parse().unwrap()),
    )
    .await;
    let port = idp.tls.unwrap().port();
    // ...and another reads it from there, as from a real IdP.
    let extra = format!(
        r#"
[[sources]]
id = "https-idp"
kind = "saml"
name = "IdP over HTTPS"
group = "university_hospital_districts"
metadata_url = "https://localhost:{port}/dev-idp/org/metadata"
"#
    );
    let app = common::spawn_app_extra(&extra, &[], |_| {}).await;
    common::wait_for_sources(&app).await;
    // A server whose certificate no trusted CA signed is refused (the
    // roots are read when a client is made: these are the card test PKI's).
    unsafe { std::env::set_var("SSL_CERT_FILE", "certs/test-pki/roots.pem") };
    let wrong = extra.replace("id = \"https-idp\"", "id = \"untrusted\"");
    let other = common::spawn_app_extra(&wrong, &[], |_| {}).await;
    let mut error = None;
    for _ in 0..100 {
        error = other.state.sources.all()[0].last_error();
        if error.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let error = format!("{error:?}");
    assert!(error.contains("UnknownIssuer"), "{error}");
    assert!(!other.state.sources.all()[0].available());
}
