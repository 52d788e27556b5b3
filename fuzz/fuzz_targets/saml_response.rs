//! The SAML response checks on arbitrary input: whatever arrives at the
//! assertion consumer service, the checks return an error or an assertion,
//! never panic, loop or read outside the document. Seeds: a valid signed and
//! a valid encrypted response (scripts/fuzz.sh writes them).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use porttivahti::identity::saml::response::{Expectations, in_response_to, validate};
use porttivahti::identity::saml::xmlsec::{KeyPair, Signers};

struct Fixed {
    sp: KeyPair,
    signers: Signers,
}

fn fixed() -> &'static Fixed {
    static F: OnceLock<Fixed> = OnceLock::new();
    F.get_or_init(|| {
        let idp = KeyPair::from_files("../certs/dev/dev-idp-key.pem", "../certs/dev/dev-idp.pem")
            .expect("run from fuzz/");
        Fixed {
            sp: KeyPair::from_files("../certs/dev/saml-sp-key.pem", "../certs/dev/saml-sp.pem")
                .expect("run from fuzz/"),
            signers: Signers::from_der(&[idp.cert_der()]).expect("IdP certificate"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let f = fixed();
    let _ = in_response_to(text);
    let exp = Expectations {
        idp_entity_id: "https://idp.hus.example.fi",
        signers: &f.signers,
        sp_entity_id: "https://pv.example.fi/saml/hus/metadata",
        acs: "https://pv.example.fi/saml/hus/acs",
        request_id: "_req1",
        now: 1_768_478_402,
        skew: 60,
        max_age: 300,
        require_encryption: false,
        sp_key: &f.sp,
    };
    let _ = validate(text, &exp);
});
