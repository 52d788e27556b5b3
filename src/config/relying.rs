//! Settings for what relying portals get beyond tokens: back-channel
//! logout, pairwise subjects, and the Suomi.fi e-Authorizations service.

use serde::Deserialize;

use super::Secret;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    #[default]
    Public,
    Pairwise,
}

/// Telling portals that a session ended (back-channel logout).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogoutSettings {
    /// How often each node looks for expired sessions to announce.
    pub sweep_secs: u64,
    /// Delivery attempts of one logout token (the first included).
    pub attempts: u32,
    /// Wait before the first retry; doubled after each failure.
    pub retry_initial_ms: u64,
    /// Lifetime of a logout token (covers the retries).
    pub token_ttl_secs: u64,
    /// Timeout of one delivery.
    pub timeout_ms: u64,
}

impl Default for LogoutSettings {
    fn default() -> Self {
        Self {
            sweep_secs: 30,
            attempts: 6,
            retry_initial_ms: 2000,
            token_ttl_secs: 300,
            timeout_ms: 5000,
        }
    }
}

/// The Suomi.fi e-Authorizations service (Suomi.fi-valtuudet).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MandateSettings {
    /// Base URL, e.g. `https://asiointivaltuustarkastus.suomi.fi`.
    pub url: String,
    /// Our client id at the service.
    pub client_id: String,
    /// The API key that keys the request header's HMAC.
    pub api_key: Secret,
    /// The mandate codes (issues) to ask about, e.g. the two Kanta ones.
    #[serde(default)]
    pub mandate_codes: Vec<String>,
    /// Path of the mandate query, with `{sessionId}` and `{issue}`.
    #[serde(default = "default_mandate_path")]
    pub mandate_path: String,
    #[serde(default = "default_mandate_timeout")]
    pub timeout_ms: u64,
}

fn default_mandate_path() -> String {
    "/service/ypa/api/organizations/{sessionId}?issues={issue}".into()
}

fn default_mandate_timeout() -> u64 {
    5000
}

impl MandateSettings {
    /// The settings with a path URL (this server's development service)
    /// made absolute against `self_url`, how this node reaches itself.
    pub fn resolved(&self, self_url: &str) -> Self {
        let mut s = self.clone();
        if s.url.starts_with('/') {
            s.url = format!("{}{}", self_url.trim_end_matches('/'), s.url);
        }
        s
    }

    /// Start-up checks; the error names the key.
    pub(super) fn check(&self, dev_service: bool) -> Result<(), String> {
        // A path is this server's development service (`/dev-mandates`).
        let own = self.url.starts_with('/');
        if own && !dev_service {
            return Err(format!(
                "suomifi_mandates.url {:?} is a path, which means this server's development \
                 e-Authorizations service: that needs [dev_idp] enabled (development only)",
                self.url
            ));
        }
        if !own
            && url::Url::parse(&self.url).map_or(true, |u| !matches!(u.scheme(), "http" | "https"))
        {
            return Err(format!(
                "suomifi_mandates.url must be an http(s) URL, got {:?}",
                self.url
            ));
        }
        if !self.mandate_path.starts_with('/') || !self.mandate_path.contains("{sessionId}") {
            return Err(
                "suomifi_mandates.mandate_path must start with / and contain {sessionId}".into(),
            );
        }
        if self.client_id.is_empty() || self.api_key.expose().is_empty() {
            return Err("suomifi_mandates: client_id and api_key are required".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mandates(extra: &str) -> Result<(), String> {
        let text = format!(
            "url = \"https://valtuudet.example\"\nclient_id = \"c\"\napi_key = \"k\"\n{extra}"
        );
        toml::from_str::<MandateSettings>(&text)
            .map_err(|e| e.to_string())?
            .check(false)
    }

    #[test]
    fn mandate_settings_are_checked_naming_the_key() {
        assert!(mandates("").is_ok());
        let own: MandateSettings =
            toml::from_str("url = \"/dev-mandates\"\nclient_id = \"c\"\napi_key = \"k\"\n")
                .unwrap();
        assert!(own.check(true).is_ok());
        let e = own.check(false).unwrap_err();
        assert!(e.contains("[dev_idp] enabled"), "{e}");
        let e = mandates("mandate_path = \"/x\"").unwrap_err();
        assert!(e.contains("suomifi_mandates.mandate_path"), "{e}");
        let e = toml::from_str::<MandateSettings>(
            "url = \"ftp://x\"\nclient_id = \"c\"\napi_key = \"k\"",
        )
        .unwrap()
        .check(true)
        .unwrap_err();
        assert!(e.contains("suomifi_mandates.url"), "{e}");
        assert!(mandates("apikey = \"x\"").unwrap_err().contains("apikey"));
    }

    #[test]
    fn logout_defaults_retry_a_minute() {
        let l = LogoutSettings::default();
        let total: u64 = (0..l.attempts - 1).map(|i| l.retry_initial_ms << i).sum();
        assert_eq!(total, 62_000);
    }
}
