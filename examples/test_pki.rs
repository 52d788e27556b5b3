//! Writes the development test PKI of certificate-card login: the same
//! generator the integration tests use (tests/common/pki.rs), with the
//! CRL distribution point of the development gateway.
//!
//!   cargo run --example test_pki                  # writes certs/test-pki/
//!   cargo run --example test_pki -- DIR [CRL_URL]
//!
//! scripts/test-pki.sh runs this and adds PKCS#12 files for browsers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/pki.rs"]
mod pki;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "certs/test-pki".into()));
    let crl_url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080/demo/test-pki/card-ca.crl".into());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let pki = pki::TestPki::generate(now, &crl_url);
    pki.write(&dir);
    // The development CRL lists the revoked card and lasts long.
    let crl = pki.crl(&["revoked"], now - 60, now + 10 * 365 * 86_400);
    std::fs::write(dir.join("card-ca.crl"), crl).unwrap();
    println!(
        "wrote {}: roots.pem, card-ca.pem, card-ca.crl and these cards:",
        dir.display()
    );
    for c in pki.cards.values() {
        println!("  {:<22} SATU {}  ({0}.pem, {0}-key.pem)", c.name, c.satu);
    }
}
