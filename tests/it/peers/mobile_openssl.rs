//! Mobile certificate login with signatures OpenSSL made: the MSSP on
//! loopback answers with what `openssl cms -sign` writes over the data the
//! gateway asked the phone to sign, so the CMS reader
//! (src/identity/mobile/cms.rs) is checked against an implementation no
//! one here wrote, attached and detached, and refuses OpenSSL's signature
//! over other data.

use std::process::Command;
use std::sync::Arc;

use crate::common::{self, Browser};
use crate::mobile::{self, NUMBER};
use crate::mssp::Answer;
use porttivahti::tokens::b64_std;

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = b64_std(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// `openssl cms -sign -binary -md sha256 -outform DER` over `data` with the
/// certificate and its PKCS#8 key; `-nodetach` when `attached`.
fn openssl_cms(data: &[u8], cert_der: &[u8], key_pkcs8: &[u8], attached: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, input, out) = (
        dir.path().join("signer.pem"),
        dir.path().join("signer-key.pem"),
        dir.path().join("data"),
        dir.path().join("signature.p7s"),
    );
    std::fs::write(&cert, pem("CERTIFICATE", cert_der)).unwrap();
    std::fs::write(&key, pem("PRIVATE KEY", key_pkcs8)).unwrap();
    std::fs::write(&input, data).unwrap();
    let mut c = Command::new("openssl");
    c.args([
        "cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER",
    ])
    .arg("-signer")
    .arg(&cert)
    .arg("-inkey")
    .arg(&key)
    .arg("-in")
    .arg(&input)
    .arg("-out")
    .arg(&out);
    if attached {
        c.arg("-nodetach");
    }
    let done = c.output().unwrap();
    assert!(
        done.status.success(),
        "openssl cms -sign: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    std::fs::read(&out).unwrap()
}

fn openssl_signs(f: &mobile::Fixture, user: &str, attached: bool, other_data: bool) -> Answer {
    let u = f.pki.user(user);
    let (cert, key) = (u.cert_der.clone(), u.key_der.clone());
    Answer::SignWith(Arc::new(move |data: &[u8]| {
        let data = if other_data {
            b"something else entirely".as_slice()
        } else {
            data
        };
        openssl_cms(data, &cert, &key, attached)
    }))
}

#[tokio::test]
async fn openssl_made_mobile_signatures_log_in_and_over_other_data_are_refused() {
    if !super::openssl() {
        return;
    }
    let f = mobile::fixture().await;
    // Attached, as MSSPs send it: the first login registers.
    f.mssp
        .answer(NUMBER, openssl_signs(&f, "mervi", true, false));
    let b = Browser::new(&f.app);
    let (ar, verifier) = mobile::authorize(&f, &b).await;
    let r = mobile::login_with(&f, &b, &ar, "040 123 4567").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert!(
        common::location(&r).starts_with("/register"),
        "{}",
        common::location(&r)
    );
    let r = mobile::register(&b).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let t = mobile::tokens(&f, &r, &verifier).await;
    let id = common::jwt_payload(t["id_token"].as_str().unwrap());
    assert_eq!(id["amr"], serde_json::json!(["mca"]), "{id}");

    // Detached: straight through.
    f.mssp
        .answer(NUMBER, openssl_signs(&f, "mervi", false, false));
    let b = Browser::new(&f.app);
    let (ar, _) = mobile::authorize(&f, &b).await;
    let r = mobile::login_with(&f, &b, &ar, "040 123 4567").await;
    assert_eq!(r.status(), 303);
    assert!(
        common::location(&r).starts_with(mobile::REDIRECT),
        "{}",
        common::location(&r)
    );

    // OpenSSL's valid signature over other data, and a certificate of
    // another CA: refused.
    for (user, other_data, code) in [
        ("mervi", true, "mobile_signature_invalid"),
        ("wrong-ca", false, "mobile_certificate_invalid"),
    ] {
        f.mssp
            .answer(NUMBER, openssl_signs(&f, user, true, other_data));
        mobile::assert_page(
            mobile::refused(&f, NUMBER).await,
            403,
            code,
            "could not be accepted",
        );
    }
}
