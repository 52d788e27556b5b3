//! `[events]`: signed events (Standard Webhooks) to the services that must
//! react to changes of accounts (events/).

use serde::Deserialize;

use super::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventSettings {
    /// How often each node looks for new events and for retries due.
    pub poll_ms: u64,
    /// Attempts of one delivery before it is marked failed (the service
    /// desk sees it, and may retry it).
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles with each attempt, up
    /// to `retry_max_secs`.
    pub retry_base_secs: u64,
    pub retry_max_secs: u64,
    /// How long one delivery may take.
    pub timeout_ms: u64,
    /// Days after which delivered events are deleted (with their
    /// deliveries), once a day: an event goes when every configured
    /// subscriber has reached it and no delivery of it is pending or
    /// failed. 0 keeps them all.
    pub retention_days: u32,
    pub subscribers: Vec<SubscriberSettings>,
}

impl Default for EventSettings {
    fn default() -> Self {
        Self {
            poll_ms: 1000,
            max_attempts: 10,
            retry_base_secs: 10,
            retry_max_secs: 3600,
            timeout_ms: 5000,
            retention_days: 30,
            subscribers: Vec::new(),
        }
    }
}

/// A service that receives events (`[[events.subscribers]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriberSettings {
    /// Stable: deliveries are kept per subscriber id.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// The signing secret in Standard Webhooks form: `whsec_` and base64
    /// of 24 to 64 random bytes.
    pub secret: Secret,
    /// Only events of these organisations (an account event belongs to the
    /// organisations the account is a member of); empty: all.
    #[serde(default)]
    pub organisations: Vec<String>,
    /// Only these event types (`account.disabled` …); empty: all.
    #[serde(default)]
    pub types: Vec<String>,
}

impl SubscriberSettings {
    /// The secret's key bytes.
    pub fn key(&self) -> Option<Vec<u8>> {
        let b64 = self.secret.expose().strip_prefix("whsec_")?;
        crate::crypto::b64_std_decode(b64).ok()
    }
}

impl EventSettings {
    pub fn check(&self) -> Result<(), String> {
        let mut ids = std::collections::HashSet::new();
        for s in &self.subscribers {
            if s.id.is_empty() || !ids.insert(s.id.as_str()) {
                return Err(format!(
                    "events.subscribers: id {:?} is empty or given twice",
                    s.id
                ));
            }
            let url = url::Url::parse(&s.url)
                .map_err(|e| format!("events.subscribers {:?}: url is not valid: {e}", s.id))?;
            if !matches!(url.scheme(), "https" | "http") {
                return Err(format!(
                    "events.subscribers {:?}: url must be https (http only on loopback in \
                     development)",
                    s.id
                ));
            }
            if !s.key().is_some_and(|k| (24..=64).contains(&k.len())) {
                return Err(format!(
                    "events.subscribers {:?}: secret must be whsec_ and base64 of 24 to 64 \
                     random bytes",
                    s.id
                ));
            }
        }
        if self.max_attempts == 0 {
            return Err("events.max_attempts must be at least 1".into());
        }
        Ok(())
    }
}
