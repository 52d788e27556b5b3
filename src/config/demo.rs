//! `[demo]`: the demo portals, real OpenID Connect clients of the gateway
//! under `/demo/` (development configuration only).

use std::collections::HashSet;

use serde::Deserialize;

use super::{GrantType, Secret, Settings};

/// The demo portal page: a real OIDC client of the gateway, served under
/// `/demo/` only when enabled (development configuration).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    #[serde(default)]
    pub enabled: bool,
    /// The registered client the demo page uses.
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Secret,
    /// Further demo portals, each a client of its own under
    /// `/demo/{path}/` (e.g. Kanta Ekstranet), so single sign-on and the
    /// back-channel logout between portals can be tried.
    #[serde(default)]
    pub portals: Vec<DemoPortalSettings>,
}

/// One further demo portal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoPortalSettings {
    /// The path segment under `/demo/`: lowercase letters, digits, `-`.
    pub path: String,
    pub client_id: String,
    pub client_secret: Secret,
}

/// A demo portal as served: `path` is empty for the first one (`/demo/`).
#[derive(Debug, Clone)]
pub struct DemoSlot {
    pub path: String,
    pub client_id: String,
    pub client_secret: Secret,
}

impl DemoSlot {
    /// `/demo/` or `/demo/{path}/`.
    pub fn base(&self) -> String {
        if self.path.is_empty() {
            "/demo/".into()
        } else {
            format!("/demo/{}/", self.path)
        }
    }
}

impl DemoSettings {
    /// Every demo portal, the first one (`client_id`) first.
    pub fn slots(&self) -> Vec<DemoSlot> {
        let first = DemoSlot {
            path: String::new(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
        };
        std::iter::once(first)
            .chain(self.portals.iter().map(|p| DemoSlot {
                path: p.path.clone(),
                client_id: p.client_id.clone(),
                client_secret: p.client_secret.clone(),
            }))
            .collect()
    }

    /// The demo portal under `path` (empty: the first).
    pub fn slot(&self, path: &str) -> Option<DemoSlot> {
        self.slots().into_iter().find(|s| s.path == path)
    }
}

impl Settings {
    /// The demo portals: distinct paths that cannot shadow the demo's own
    /// routes, each a confidential code-flow client whose secret is given.
    pub(super) fn check_demo(&self) -> Result<(), String> {
        let mut seen: HashSet<String> = HashSet::new();
        for slot in self.demo.slots() {
            let key = if slot.path.is_empty() {
                "demo.client_id".to_string()
            } else {
                format!("demo.portals {:?}", slot.path)
            };
            if !slot.path.is_empty()
                && (!slot
                    .path
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    || [
                        "login",
                        "logout",
                        "callback",
                        "backchannel-logout",
                        "test-pki",
                    ]
                    .contains(&slot.path.as_str()))
            {
                return Err(format!(
                    "{key}: path must be lowercase letters, digits and -, and not one of the \
                     demo's own routes"
                ));
            }
            if !seen.insert(slot.path.clone()) {
                return Err(format!("{key}: the path is used twice"));
            }
            let Some(c) = self.clients.iter().find(|c| c.client_id == slot.client_id) else {
                return Err(format!(
                    "{key}: client {:?} is not a configured client",
                    slot.client_id
                ));
            };
            let secret_ok = match (&c.secret, &c.secret_sha256) {
                (Some(s), _) => s == &slot.client_secret,
                (None, Some(h)) => {
                    crate::crypto::hex(&crate::crypto::sha256(slot.client_secret.expose()))
                        == h.to_ascii_lowercase()
                }
                (None, None) => false,
            };
            if !secret_ok || !c.grant_types.contains(&GrantType::AuthorizationCode) {
                return Err(format!(
                    "{key}: client {:?} must be confidential, allow authorization_code, and \
                     the demo's client_secret must be its secret",
                    c.client_id
                ));
            }
        }
        Ok(())
    }
}
