use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("a business id has the form NNNNNNN-C (seven digits, a hyphen, a check digit): {0:?}")]
    BusinessIdShape(String),
    #[error("business id {0:?} has a wrong check digit")]
    BusinessIdCheck(String),
    #[error("an organisation OID is dot-separated numbers starting 1.2.246.: {0:?}")]
    OidShape(String),
}

/// Finnish business id (Y-tunnus) with a verified check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BusinessId(String);

impl BusinessId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The check digit for seven digits, or `None` when remainder 1 makes
    /// the number invalid.
    fn check_digit(digits: &[u8; 7]) -> Option<u8> {
        const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = digits
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(*d) * w)
            .sum();
        match sum % 11 {
            0 => Some(0),
            1 => None,
            r => Some((11 - r) as u8),
        }
    }
}

impl FromStr for BusinessId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = || IdError::BusinessIdShape(s.to_string());
        let b = s.as_bytes();
        if b.len() != 9 || b[7] != b'-' || !b[..7].iter().chain(&b[8..]).all(u8::is_ascii_digit) {
            return Err(shape());
        }
        let mut digits = [0u8; 7];
        for (d, c) in digits.iter_mut().zip(&b[..7]) {
            *d = c - b'0';
        }
        match Self::check_digit(&digits) {
            Some(c) if c == b[8] - b'0' => Ok(Self(s.to_string())),
            _ => Err(IdError::BusinessIdCheck(s.to_string())),
        }
    }
}

impl fmt::Display for BusinessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An organisation OID in the Finnish arc (1.2.246.…), e.g. a THL SOTE
/// organisation register id `1.2.246.10.2430960.10.0`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgOid(String);

impl OrgOid {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for OrgOid {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let well_formed = s.starts_with("1.2.246.")
            && s.len() <= 128
            && s.split('.').all(|arc| {
                !arc.is_empty()
                    && arc.bytes().all(|c| c.is_ascii_digit())
                    && (arc == "0" || !arc.starts_with('0'))
            });
        if well_formed {
            Ok(Self(s.to_string()))
        } else {
            Err(IdError::OidShape(s.to_string()))
        }
    }
}

impl fmt::Display for OrgOid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! serde_via_str {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
serde_via_str!(BusinessId);
serde_via_str!(OrgOid);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_id_check_digit() {
        // Published examples: Rova Oy 7019376-8 (seed), 2430960-?
        assert!("7019376-8".parse::<BusinessId>().is_ok());
        assert!("0245437-2".parse::<BusinessId>().is_ok());
        assert_eq!(
            "7019376-7".parse::<BusinessId>(),
            Err(IdError::BusinessIdCheck("7019376-7".into()))
        );
        assert!(matches!(
            "701937-8".parse::<BusinessId>(),
            Err(IdError::BusinessIdShape(_))
        ));
        assert!("70193768".parse::<BusinessId>().is_err());
        assert!("７019376-8".parse::<BusinessId>().is_err());
    }

    #[test]
    fn remainder_one_is_invalid_whatever_the_digit() {
        // Find a seven-digit body whose weighted sum leaves 1 and check that
        // no check digit makes it valid.
        let body = (0..10_000_000u32)
            .map(|n| format!("{n:07}"))
            .find(|s| {
                let d: Vec<u8> = s.bytes().map(|c| c - b'0').collect();
                let arr: [u8; 7] = d.try_into().unwrap();
                BusinessId::check_digit(&arr).is_none()
            })
            .unwrap();
        for c in 0..10 {
            assert!(format!("{body}-{c}").parse::<BusinessId>().is_err());
        }
    }

    #[test]
    fn oid_shape() {
        assert!("1.2.246.10.2430960.10.0.13.3".parse::<OrgOid>().is_ok());
        assert!("1.2.246.10.0".parse::<OrgOid>().is_ok());
        assert!("1.2.246..10".parse::<OrgOid>().is_err());
        assert!("1.2.246.010".parse::<OrgOid>().is_err());
        assert!("2.5.4.5".parse::<OrgOid>().is_err());
        assert!("1.2.246.10.x".parse::<OrgOid>().is_err());
    }
}
