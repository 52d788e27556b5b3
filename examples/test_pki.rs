//! Writes the development test PKIs of certificate-card and mobile
//! certificate login: the same generators the integration tests use
//! (tests/it/common/pki.rs), with the CRL distribution points of the
//! development gateway.
//!
//!   cargo run --example test_pki                  # writes certs/test-pki/
//!   cargo run --example test_pki -- DIR [CRL_URL]
//!   cargo run --example test_pki -- --mobile-only [DIR]
//!
//! scripts/test-pki.sh runs this and adds PKCS#12 files for browsers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/it/common/pki.rs"]
mod pki;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

const DEV_BASE: &str = "http://127.0.0.1:8080/demo/test-pki";
const TEN_YEARS: i64 = 10 * 365 * 86_400;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mobile_only = args.first().is_some_and(|a| a == "--mobile-only");
    if mobile_only {
        args.remove(0);
    }
    let mut args = args.into_iter();
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "certs/test-pki".into()));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if !mobile_only {
        let crl_url = args
            .next()
            .unwrap_or_else(|| format!("{DEV_BASE}/card-ca.crl"));
        write_cards(&dir, now, &crl_url);
    }
    write_mobile(&dir, now, &format!("{DEV_BASE}/mobile-ca.crl"));
}

fn write_cards(dir: &Path, now: i64, crl_url: &str) {
    let pki = pki::TestPki::generate(now, crl_url);
    pki.write(dir);
    // The development CRL lists the revoked card and lasts long.
    let crl = pki.crl(&["revoked"], now - 60, now + TEN_YEARS);
    std::fs::write(dir.join("card-ca.crl"), crl).unwrap();
    println!(
        "wrote {}: roots.pem, card-ca.pem, card-ca.crl and these cards:",
        dir.display()
    );
    for c in pki.cards.values() {
        println!("  {:<22} SATU {}  ({0}.pem, {0}-key.pem)", c.name, c.satu);
    }
}

fn write_mobile(dir: &Path, now: i64, crl_url: &str) {
    let pki = pki::TestMobilePki::generate(now, crl_url);
    pki.write(dir);
    let crl = pki.crl(&["revoked"], now - 60, now + TEN_YEARS);
    std::fs::write(dir.join("mobile-ca.crl"), crl).unwrap();
    println!(
        "wrote {}: mobile-roots.pem, mobile-ca.pem, mobile-ca.crl and these mobile certificates:",
        dir.display()
    );
    for u in pki.users.values() {
        println!("  mobile-{:<15} SATU {}", u.name, u.satu);
    }
}
