//! The Suomi.fi profile over the SAML source: its attributes, its levels
//! of assurance, and the keyed hash that stands for the identity code.

use crate::domain::LoA;

/// Suomi.fi's attribute names (NameFormat URI).
pub mod attr {
    pub const NATIONAL_ID: &str = "urn:oid:1.2.246.21";
    pub const SATU: &str = "urn:oid:1.2.246.22";
    pub const CN: &str = "urn:oid:2.5.4.3";
    pub const DISPLAY_NAME: &str = "urn:oid:2.16.840.1.113730.3.1.241";
    pub const FIRST_NAMES: &str =
        "http://eidas.europa.eu/attributes/naturalperson/CurrentGivenName";
    pub const GIVEN_NAME: &str = "urn:oid:2.5.4.42";
    pub const SURNAME: &str = "urn:oid:2.5.4.4";
    pub const MAIL: &str = "urn:oid:0.9.2342.19200300.100.1.3";
    pub const MUNICIPALITY_CODE: &str = "urn:oid:1.2.246.517.2002.2.18";
    pub const MUNICIPALITY_FI: &str = "urn:oid:1.2.246.517.2002.2.19";
    pub const MUNICIPALITY_SV: &str = "urn:oid:1.2.246.517.2002.2.20";
}

pub const LOA2: &str = "http://ftn.ficora.fi/2017/loa2";
pub const LOA3: &str = "http://ftn.ficora.fi/2017/loa3";
pub const EIDAS_SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";
pub const EIDAS_HIGH: &str = "http://eidas.europa.eu/LoA/high";
pub const TEST_METHOD: &str = "urn:oid:1.2.246.517.3002.110.999";

/// The AuthnContextClassRefs to ask for at least `loa`.
pub fn requested(loa: LoA) -> &'static [&'static str] {
    match loa {
        LoA::High => &[LOA3, EIDAS_HIGH],
        LoA::Substantial | LoA::Low => &[LOA2, LOA3, EIDAS_SUBSTANTIAL, EIDAS_HIGH],
    }
}

/// The level an AuthnContextClassRef stands for. The test method is low:
/// it never satisfies a rule that asks for strong identification.
pub fn level(class_ref: &str) -> Option<LoA> {
    match class_ref {
        LOA3 | EIDAS_HIGH => Some(LoA::High),
        LOA2 | EIDAS_SUBSTANTIAL => Some(LoA::Substantial),
        TEST_METHOD => Some(LoA::Low),
        _ => None,
    }
}

/// The subject that stands for a personal identity code: HMAC-SHA256 with
/// the configured key, so the code itself is never stored.
pub fn subject_of(national_id: &str, key: &[u8]) -> String {
    let tag = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key),
        national_id.trim().to_ascii_uppercase().as_bytes(),
    );
    format!("hetu-hmac:{}", crate::tokens::b64url(tag.as_ref()))
}

/// A personal identity code's form: DDMMYY, century sign, 3 digits and a
/// check character (mod 31).
pub fn valid_national_id(s: &str) -> bool {
    let s = s.trim().to_ascii_uppercase();
    let b = s.as_bytes();
    if b.len() != 11
        || !b[..6].iter().all(u8::is_ascii_digit)
        || !b[7..10].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    if !b"+-ABCDEFYXWVU".contains(&b[6]) {
        return false;
    }
    let n: u64 = match format!("{}{}", &s[..6], &s[7..10]).parse() {
        Ok(n) => n,
        Err(_) => return false,
    };
    const CHECK: &[u8] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
    CHECK[(n % 31) as usize] == b[10]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_codes() {
        assert!(valid_national_id("010280-952L"));
        assert!(valid_national_id("010280A952L"));
        assert!(!valid_national_id("010280-952M"));
        assert!(!valid_national_id("010280*952L"));
        assert!(!valid_national_id("01028-9952L"));
    }

    #[test]
    fn keyed_subjects() {
        let k = [7u8; 32];
        let a = subject_of("010280-952L", &k);
        assert_eq!(a, subject_of(" 010280-952l ", &k));
        assert_ne!(a, subject_of("010280-952L", &[8u8; 32]));
        assert!(!a.contains("010280"));
    }

    #[test]
    fn levels() {
        assert_eq!(level(LOA3), Some(LoA::High));
        assert_eq!(level(EIDAS_SUBSTANTIAL), Some(LoA::Substantial));
        assert_eq!(level(TEST_METHOD), Some(LoA::Low));
        assert_eq!(level("urn:x"), None);
    }
}
