//! Time-based one-time passwords (RFC 6238) as every authenticator app
//! knows them: HMAC-SHA1, 30-second steps, 6 digits, the secret shown as
//! base32 (RFC 4648) in an `otpauth://` URI.
//!
//! A second factor, not an identity source: the password source checks a
//! code after the password. [`verify`] returns the time step that matched
//! so the caller can refuse a code whose step it has already accepted
//! (one code, one login). Secrets are stored sealed
//! ([`crate::tokens::sealing::Sealer`], the account id as associated data).

use aws_lc_rs::hmac;

use crate::tokens::constant_time_eq;

/// Length of a generated secret: 160 bits, the HMAC-SHA1 output size that
/// RFC 4226 recommends.
pub const SECRET_LEN: usize = 20;
/// Seconds per time step.
pub const STEP_SECS: u64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of now: one step covers a clock that is
/// half a minute off and a code typed as it changes.
pub const DEFAULT_WINDOW: u64 = 1;

/// A new random secret.
pub fn generate_secret() -> [u8; SECRET_LEN] {
    let mut secret = [0u8; SECRET_LEN];
    // The OS random source failing is unrecoverable for a security service.
    #[allow(clippy::expect_used)]
    aws_lc_rs::rand::fill(&mut secret).expect("the operating system's random source failed");
    secret
}

/// The time step that contains `unix` (seconds since the epoch); `None`
/// before the epoch.
pub fn time_step(unix: i64) -> Option<u64> {
    u64::try_from(unix).ok().map(|t| t / STEP_SECS)
}

/// HOTP (RFC 4226 section 5): HMAC-SHA1 of the counter, dynamically
/// truncated to `digits` decimal digits.
fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    // SHA-1 gives 20 bytes; the offset is the low nibble of the last one,
    // so offset + 3 <= 18 stays inside.
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    binary % 10u32.pow(digits)
}

fn format_code(value: u32, digits: u32) -> String {
    format!("{value:0width$}", width = digits as usize)
}

/// The code for time step `step`.
pub fn code_for_step(secret: &[u8], step: u64) -> String {
    format_code(hotp(secret, step, DIGITS), DIGITS)
}

/// The code an authenticator shows at `now_unix`; `None` before the epoch.
pub fn code_at(secret: &[u8], now_unix: i64) -> Option<String> {
    time_step(now_unix).map(|step| code_for_step(secret, step))
}

/// Checks `code` against the steps within `window_steps` of `now_unix`
/// (use [`DEFAULT_WINDOW`]) and returns the step it matched. Anything but
/// exactly six ASCII digits is refused; callers strip the spaces people
/// type. Every step in the window is compared, in constant time, so the
/// time taken does not tell which one matched.
pub fn verify(secret: &[u8], code: &str, now_unix: i64, window_steps: u64) -> Option<u64> {
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = time_step(now_unix)?;
    let mut matched = None;
    for step in now.saturating_sub(window_steps)..=now.saturating_add(window_steps) {
        let expected = code_for_step(secret, step);
        if constant_time_eq(expected.as_bytes(), code.as_bytes()) && matched.is_none() {
            matched = Some(step);
        }
    }
    matched
}

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, upper case, without `=` padding (as authenticator
/// apps expect the secret).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(
                BASE32_ALPHABET[((buffer >> bits) & 0x1f) as usize],
            ));
        }
    }
    if bits > 0 {
        out.push(char::from(
            BASE32_ALPHABET[((buffer << (5 - bits)) & 0x1f) as usize],
        ));
    }
    out
}

fn base32_value(c: u8) -> Option<u64> {
    match c {
        b'A'..=b'Z' => Some(u64::from(c - b'A')),
        b'a'..=b'z' => Some(u64::from(c - b'a')),
        b'2'..=b'7' => Some(u64::from(c - b'2') + 26),
        _ => None,
    }
}

/// Decodes RFC 4648 base32 as a person may type it: any case, spaces
/// (and other ASCII white space) anywhere, `=` padding optional but only
/// at the end and then to a multiple of eight. Refuses other characters,
/// impossible lengths and non-zero trailing bits, so each secret has one
/// spelling.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let data_len = compact
        .iter()
        .position(|&b| b == b'=')
        .unwrap_or(compact.len());
    let (data, padding) = compact.split_at(data_len);
    if padding.iter().any(|&b| b != b'=') {
        return None;
    }
    if !padding.is_empty() && (!compact.len().is_multiple_of(8) || padding.len() >= 8) {
        return None;
    }
    // Characters in a final partial group: 2, 4, 5 or 7 encode 1-4 bytes.
    if matches!(data.len() % 8, 1 | 3 | 6) {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 5 / 8);
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for &c in data {
        buffer = (buffer << 5) | base32_value(c)?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    if buffer & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(out)
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so
/// a space is `%20` (not `+`) and a `:` in a name cannot split the label.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `otpauth://` URI an authenticator app reads from a QR code
/// (the Key URI Format): label `issuer:account`, the secret in base32 and
/// the parameters spelled out.
pub fn provisioning_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        account = percent_encode(account),
        secret = base32_encode(secret),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RFC 6238 and RFC 4226 test secret.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        for (unix, expected) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let code = format_code(hotp(RFC_SECRET, unix / STEP_SECS, 8), 8);
            assert_eq!(code, expected, "T = {unix}");
            // The six-digit code is the last six of the eight.
            let six = code_at(RFC_SECRET, unix as i64).unwrap();
            assert_eq!(six, &expected[2..], "T = {unix}");
        }
    }

    #[test]
    fn rfc4226_appendix_d_hotp_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(code_for_step(RFC_SECRET, counter as u64), *code);
        }
    }

    #[test]
    fn rfc4648_base32_vectors() {
        for (plain, padded) in [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ] {
            let unpadded = padded.trim_end_matches('=');
            assert_eq!(base32_encode(plain.as_bytes()), unpadded);
            assert_eq!(base32_decode(padded).unwrap(), plain.as_bytes(), "{padded}");
            assert_eq!(base32_decode(unpadded).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn base32_decoding_forgives_case_and_spaces_but_nothing_else() {
        let secret = b"12345678901234567890";
        let encoded = base32_encode(secret);
        assert_eq!(encoded, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            base32_decode("gezd gnbv gy3t qojq GEZD GNBV GY3T QOJQ\n").unwrap(),
            secret
        );
        assert_eq!(base32_decode(" m z x w 6 ").unwrap(), b"foo");
        for bad in [
            "MZXW1",            // 1 is not in the alphabet
            "MZXW6=YTB",        // padding in the middle
            "MZXW6==",          // padding to a length that is not a multiple of 8
            "M",                // one character cannot hold a byte
            "MZX",              // nor three
            "MZXW6Y",           // nor six
            "MZ",               // non-zero trailing bits ("MY" is canonical for "f")
            "MZXW6YT!",         // nor is !
            "MY==============", // more padding than a group
        ] {
            assert_eq!(base32_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn generated_secrets_are_twenty_random_bytes_that_survive_base32() {
        let a = generate_secret();
        let b = generate_secret();
        assert_ne!(a, b);
        let encoded = base32_encode(&a);
        assert_eq!(encoded.len(), 32);
        assert_eq!(base32_decode(&encoded).unwrap(), a);
    }

    #[test]
    fn the_window_accepts_one_step_either_side_and_no_more() {
        let now = 1_700_000_015; // step 56_666_667, 15 s into it
        let step = time_step(now).unwrap();
        let at = |s: u64| code_for_step(RFC_SECRET, s);
        assert_eq!(
            verify(RFC_SECRET, &at(step), now, DEFAULT_WINDOW),
            Some(step)
        );
        assert_eq!(
            verify(RFC_SECRET, &at(step - 1), now, DEFAULT_WINDOW),
            Some(step - 1)
        );
        assert_eq!(
            verify(RFC_SECRET, &at(step + 1), now, DEFAULT_WINDOW),
            Some(step + 1)
        );
        for outside in [step - 2, step + 2, step - 10] {
            let code = at(outside);
            // (A code can repeat by chance; these do not.)
            assert_ne!(code, at(step));
            assert_eq!(verify(RFC_SECRET, &code, now, DEFAULT_WINDOW), None);
        }
        // A zero window takes only the current step.
        assert_eq!(verify(RFC_SECRET, &at(step), now, 0), Some(step));
        assert_eq!(verify(RFC_SECRET, &at(step - 1), now, 0), None);
        // The step returned is the code's, not now's: the one to remember
        // against replay.
        assert_eq!(
            verify(RFC_SECRET, &at(step), now + 29, DEFAULT_WINDOW),
            Some(step)
        );
    }

    #[test]
    fn codes_that_are_not_six_ascii_digits_are_refused() {
        let now = 1_700_000_015;
        let code = code_at(RFC_SECRET, now).unwrap();
        assert_eq!(verify(RFC_SECRET, &code, now, 1), time_step(now));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        let padded = format!(" {code}");
        let longer = format!("{code}0");
        let plus = format!("+{}", &code[1..]);
        // Full-width digits are not ASCII digits.
        let wide: String = code
            .chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap())
            .collect();
        for bad in [
            "",
            &code[..5],
            longer.as_str(),
            spaced.as_str(),
            padded.as_str(),
            plus.as_str(),
            wide.as_str(),
            "abcdef",
        ] {
            assert_eq!(verify(RFC_SECRET, bad, now, 1), None, "{bad:?}");
        }
        // Before the epoch there is no step.
        assert_eq!(verify(RFC_SECRET, &code, -1, 1), None);
        assert_eq!(code_at(RFC_SECRET, -1), None);
    }

    #[test]
    fn the_provisioning_uri_is_percent_encoded_and_complete() {
        let uri = provisioning_uri(
            b"12345678901234567890",
            "Porttivahti K-S",
            "anna.hoitaja@jkl:ä",
        );
        assert_eq!(
            uri,
            "otpauth://totp/Porttivahti%20K-S:anna.hoitaja%40jkl%3A%C3%A4\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Porttivahti%20K-S\
             &algorithm=SHA1&digits=6&period=30"
        );
        // A URL parser reads back what was meant.
        let parsed = url::Url::parse(&uri).unwrap();
        assert_eq!(parsed.scheme(), "otpauth");
        assert_eq!(parsed.host_str(), Some("totp"));
        let q: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        assert_eq!(
            q,
            [
                ("secret", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
                ("issuer", "Porttivahti K-S"),
                ("algorithm", "SHA1"),
                ("digits", "6"),
                ("period", "30"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }
}
