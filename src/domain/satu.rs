//! The electronic identification number (SATU, FINUID) that DVV writes in
//! the subject `serialNumber` of its certificates.

use std::fmt;
use std::str::FromStr;

/// Eight digits and a check character, e.g. `99912345A`. The check
/// character's algorithm is not verified against DVV's specification, so
/// only the shape is checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Satu(String);

impl Satu {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Satu {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let b = s.as_bytes();
        let ok = b.len() == 9
            && b[..8].iter().all(u8::is_ascii_digit)
            && (b[8].is_ascii_uppercase() || b[8].is_ascii_digit());
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(format!(
                "a SATU is eight digits and a check character: {s:?}"
            ))
        }
    }
}

impl fmt::Display for Satu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape() {
        assert!("99912345A".parse::<Satu>().is_ok());
        assert!("123456789".parse::<Satu>().is_ok());
        for bad in ["9991234A", "99912345a", "99912345AB", "x9912345A", ""] {
            assert!(bad.parse::<Satu>().is_err(), "{bad}");
        }
    }
}
