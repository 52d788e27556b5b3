//! What the OpenID Connect provider works with: the directory and the
//! ephemeral state, the signing keys, the portal policy, the registered
//! clients and the caches of the token endpoints. Built once at start-up;
//! the web layer's `AppState` holds one and lends it to every call here,
//! to the admin handles and to the introspection and logout services.

use std::collections::HashMap;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{ClientSettings, GrantType, Settings};
use crate::crypto::{constant_time_eq, sha256};
use crate::identity::password::PasswordSource;
use crate::mandates::MandateClient;
use crate::policy::Policy;
use crate::store::{Directory, EphemeralState};
use crate::telemetry::Metrics;
use crate::tokens::Keyring;
use crate::tokens::family::FamilyKeys;

/// A registered portal client with its secret digest.
pub struct Client {
    pub settings: ClientSettings,
    /// SHA-256 of the secret; `None` for a public client.
    secret_digest: Option<[u8; 32]>,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.secret_digest.is_none()
    }

    /// Constant-time comparison of digests: client secrets are generated
    /// and high-entropy, so a fast hash is safe.
    pub fn secret_matches(&self, presented: &str) -> bool {
        match &self.secret_digest {
            Some(d) => constant_time_eq(d, &sha256(presented)),
            None => false,
        }
    }

    pub fn allows(&self, g: GrantType) -> bool {
        self.settings.grant_types.contains(&g)
    }

    pub fn id(&self) -> &str {
        &self.settings.client_id
    }
}

pub struct Clients(HashMap<String, Client>);

impl Clients {
    pub fn new(list: &[ClientSettings]) -> Self {
        Self(
            list.iter()
                .map(|c| {
                    let secret_digest = match (&c.secret, &c.secret_sha256) {
                        (Some(s), _) => Some(sha256(s.expose())),
                        (None, Some(h)) => {
                            let mut d = [0u8; 32];
                            for (i, b) in d.iter_mut().enumerate() {
                                *b = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap_or(0);
                            }
                            Some(d)
                        }
                        (None, None) => None,
                    };
                    (
                        c.client_id.clone(),
                        Client {
                            settings: c.clone(),
                            secret_digest,
                        },
                    )
                })
                .collect(),
        )
    }

    pub fn get(&self, id: &str) -> Option<&Client> {
        self.0.get(id)
    }
}

/// The provider's dependencies.
pub struct Provider {
    pub settings: Settings,
    pub dir: Arc<dyn Directory>,
    pub eph: EphemeralState,
    pub keys: Keyring,
    pub policy: Policy,
    pub clients: Clients,
    /// Password accounts: verification and hashing (also of the one-time
    /// passwords the admin handles set).
    pub passwords: PasswordSource,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    /// Tie refresh tokens and access-token `jti`s to their refresh family
    /// in ways only this gateway can read.
    pub families: FamilyKeys,
    /// Outgoing HTTP: back-channel logout notices (and the demo portals).
    pub http: reqwest::Client,
    /// The Suomi.fi e-Authorizations service, when configured: the
    /// Suomi.fi login asks it what the person may do for which company.
    pub mandates: Option<MandateClient>,
    /// Access tokens this node verified lately (introspection).
    pub verified_tokens: super::introspection::VerifiedTokens,
    /// People read for token grants in the last seconds.
    pub people: super::People,
    /// Refresh-token rotations of this node whose answer from the store
    /// was lost (see [`super::token::Unsettled`]).
    pub unsettled: super::token::Unsettled,
}

impl Provider {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn issuer(&self) -> &str {
        self.settings.server.issuer()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer(), path)
    }
}
