//! `[admin]`: the audit trail's retention, and from when administrators
//! must log in in a way a fake login page cannot relay.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// Audit events older than this are deleted (daily). 0 keeps them
    /// forever.
    pub audit_retention_days: u32,
    /// From this date (UTC; `2027-01-15` or `2027-01-15T06:00:00Z`) the
    /// service desk's operators open `/admin/` only after a
    /// phishing-resistant login: a passkey, a certificate card, or an
    /// organisation or Suomi.fi login at substantial level or higher. A
    /// password with an authenticator-app code no longer does. Absent:
    /// never required.
    pub phishing_resistant_operators_from: Option<String>,
    /// The same for liaison persons.
    pub phishing_resistant_liaisons_from: Option<String>,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            audit_retention_days: 730,
            phishing_resistant_operators_from: None,
            phishing_resistant_liaisons_from: None,
        }
    }
}

impl AdminSettings {
    /// When operators (`operator`) or liaison persons must log in in a
    /// phishing-resistant way, as Unix time.
    pub fn phishing_resistant_from(&self, operator: bool) -> Option<i64> {
        let from = if operator {
            &self.phishing_resistant_operators_from
        } else {
            &self.phishing_resistant_liaisons_from
        };
        from.as_deref().and_then(crate::time::parse_utc)
    }

    pub fn check(&self) -> Result<(), String> {
        for (key, v) in [
            (
                "phishing_resistant_operators_from",
                &self.phishing_resistant_operators_from,
            ),
            (
                "phishing_resistant_liaisons_from",
                &self.phishing_resistant_liaisons_from,
            ),
        ] {
            if let Some(v) = v
                && crate::time::parse_utc(v).is_none()
            {
                return Err(format!(
                    "admin.{key} must be a date like 2027-01-15 or 2027-01-15T06:00:00Z, got {v:?}"
                ));
            }
        }
        Ok(())
    }
}
