//! The service container: settings, stores, keys, policy and clients,
//! built once at start-up and shared by every request. No web types here.

use std::collections::HashMap;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{ClientSettings, GrantType, Settings};
use crate::identity::password::{PasswordPolicy, PasswordSource};
use crate::policy::Policy;
use crate::store::{Directory, EphemeralState};
use crate::telemetry::Metrics;
use crate::tokens::{Keyring, constant_time_eq, sha256};

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

pub struct AppState {
    pub settings: Settings,
    pub dir: Arc<dyn Directory>,
    pub eph: EphemeralState,
    pub keys: Keyring,
    pub policy: Policy,
    pub clients: Clients,
    pub passwords: PasswordSource,
    pub password_policy: PasswordPolicy,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    /// Keys CSRF tokens.
    pub cookie_key: aws_lc_rs::hmac::Key,
    /// Tie refresh tokens and access-token `jti`s to their refresh family
    /// in ways only this gateway can read.
    pub families: crate::tokens::family::FamilyKeys,
    /// HTTP client for the demo portal.
    pub http: reqwest::Client,
    /// How this node reaches itself over HTTP (the demo portal's back
    /// channel), e.g. `http://127.0.0.1:8080`.
    pub self_url: String,
    /// The demo portals' verifier of back-channel logout tokens, made
    /// on first use from this node's JWKS.
    pub demo_verifier: tokio::sync::OnceCell<crate::verifier::Verifier>,
    /// Certificate-card verification, when `card.enabled`.
    pub cards: Option<crate::identity::card::Cards>,
    /// Mobile certificate login, when `mobile.enabled`.
    pub mobile: Option<crate::identity::mobile::Mobile>,
    /// The public base URL of the HTTPS listener (card login), when there
    /// is one.
    pub tls_url: Option<String>,
    /// Organisation IdPs and Suomi.fi, with their metadata.
    pub sources: Arc<crate::identity::sources::Sources>,
    /// The Suomi.fi e-Authorizations service, when configured: the
    /// Suomi.fi login asks it what the person may do for which company.
    pub mandates: Option<crate::mandates::MandateClient>,
    /// Access tokens this node verified lately (introspection).
    pub verified_tokens: crate::introspection::VerifiedTokens,
    /// People read for token grants in the last seconds.
    pub people: crate::sso::People,
}

pub type SharedState = Arc<AppState>;

impl AppState {
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
