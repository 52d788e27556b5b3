//! A mobile phone number in international form, as an MSSP wants it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// `+` and 8 to 15 digits (E.164), e.g. `+358401234567`. Parsed from what
/// people type: `040 123 4567`, `+358 40 1234567`, `00358-40-123 4567`; a
/// national number (leading 0) is Finnish.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Msisdn(String);

impl Msisdn {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs: the country and network code and the last two digits,
    /// e.g. `+35840*******67`.
    pub fn masked(&self) -> String {
        let digits = &self.0[1..];
        let keep_head = 5.min(digits.len());
        let keep_tail = 2.min(digits.len() - keep_head);
        format!(
            "+{}{}{}",
            &digits[..keep_head],
            "*".repeat(digits.len() - keep_head - keep_tail),
            &digits[digits.len() - keep_tail..]
        )
    }
}

impl FromStr for Msisdn {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let compact: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{a0}'))
            .collect();
        let digits = if let Some(rest) = compact.strip_prefix('+') {
            rest.to_string()
        } else if let Some(rest) = compact.strip_prefix("00") {
            rest.to_string()
        } else if let Some(rest) = compact.strip_prefix('0') {
            format!("358{rest}")
        } else {
            return Err("a phone number starts with 0 or +".into());
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("a phone number holds only digits".into());
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err("the phone number is too short or too long".into());
        }
        Ok(Self(format!("+{digits}")))
    }
}

impl TryFrom<String> for Msisdn {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Msisdn> for String {
    fn from(m: Msisdn) -> String {
        m.0
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_forms_become_international() {
        for typed in [
            "040 123 4567",
            "0401234567",
            "+358 40 1234567",
            "+358401234567",
            "00358-40-123 4567",
            " (040) 123-4567 ",
        ] {
            assert_eq!(
                typed.parse::<Msisdn>().unwrap().as_str(),
                "+358401234567",
                "{typed}"
            );
        }
    }

    #[test]
    fn nonsense_is_refused() {
        for typed in [
            "",
            "123",
            "040 123 456a",
            "+358",
            "+0401234567",
            "040",
            "+1234567890123456",
        ] {
            assert!(typed.parse::<Msisdn>().is_err(), "{typed}");
        }
    }

    #[test]
    fn masked_keeps_only_the_network_and_the_end() {
        let m: Msisdn = "0401234567".parse().unwrap();
        assert_eq!(m.masked(), "+35840*****67");
    }
}
