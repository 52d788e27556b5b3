//! What a new password must be: long enough, not the username, not a
//! commonly used password.

use std::collections::HashSet;
use std::path::Path;

/// The most common passwords of public breach lists, and the obvious local
/// ones; a configured file adds more.
const BUILTIN: &str = include_str!("common-passwords.txt");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyViolation {
    TooShort(usize),
    TooLong,
    ContainsUsername,
    Common,
    Mismatch,
}

pub struct PasswordPolicy {
    min_length: usize,
    blocked: HashSet<String>,
}

impl PasswordPolicy {
    pub fn new(min_length: usize, extra: Option<&Path>) -> std::io::Result<Self> {
        let mut blocked: HashSet<String> = BUILTIN
            .lines()
            .map(|l| l.trim().to_lowercase())
            .filter(|l| !l.is_empty())
            .collect();
        if let Some(p) = extra {
            for l in std::fs::read_to_string(p)?.lines() {
                let l = l.trim().to_lowercase();
                if !l.is_empty() {
                    blocked.insert(l);
                }
            }
        }
        Ok(Self {
            min_length,
            blocked,
        })
    }

    pub fn min_length(&self) -> usize {
        self.min_length
    }

    pub fn check(
        &self,
        username: &str,
        password: &str,
        repeat: &str,
    ) -> Result<(), PolicyViolation> {
        if password != repeat {
            return Err(PolicyViolation::Mismatch);
        }
        let len = password.chars().count();
        if len < self.min_length {
            return Err(PolicyViolation::TooShort(self.min_length));
        }
        if len > 256 {
            return Err(PolicyViolation::TooLong);
        }
        let lower = password.to_lowercase();
        let user = username.trim().to_lowercase();
        if !user.is_empty() && lower.contains(&user) {
            return Err(PolicyViolation::ContainsUsername);
        }
        // Common passwords, also with digits or punctuation appended.
        let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
        if self.blocked.contains(&lower) || self.blocked.contains(stem) {
            return Err(PolicyViolation::Common);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let p = PasswordPolicy::new(12, None).unwrap();
        assert_eq!(
            p.check("u", "short", "short"),
            Err(PolicyViolation::TooShort(12))
        );
        assert_eq!(
            p.check("hoitaja.anna", "xHOITAJA.ANNAx1", "xHOITAJA.ANNAx1"),
            Err(PolicyViolation::ContainsUsername)
        );
        assert_eq!(
            p.check("u", "salasana1234", "salasana1234"),
            Err(PolicyViolation::Common)
        );
        assert_eq!(
            p.check("u", "Password123!", "Password123!"),
            Err(PolicyViolation::Common)
        );
        assert_eq!(
            p.check("u", "kolme iloista kissaa", "kolme iloista kisaa"),
            Err(PolicyViolation::Mismatch)
        );
        assert_eq!(
            p.check("u", "kolme iloista kissaa", "kolme iloista kissaa"),
            Ok(())
        );
    }
}
