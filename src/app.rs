//! The web layer's wiring: the OpenID Connect provider's services and what
//! only the routes use (the password rules, cookie keys, card and mobile
//! login, the identity sources), built once at start-up and shared by
//! every request. Lower layers never see it: they
//! take the [`Provider`] (or narrower arguments), which `AppState` derefs
//! to.

use std::ops::Deref;
use std::sync::Arc;

use crate::identity::password::PasswordPolicy;
pub use crate::oidc::{Client, Clients, Provider};

pub struct AppState {
    /// The OpenID Connect provider's services (directory, ephemeral
    /// state, keys, policy, clients, caches).
    pub oidc: Arc<Provider>,
    pub password_policy: PasswordPolicy,
    /// Keys CSRF tokens.
    pub cookie_key: aws_lc_rs::hmac::Key,
    /// How this node reaches itself over HTTP (configured paths that name
    /// this server, the demo portal's back channel), e.g.
    /// `http://127.0.0.1:8080`.
    pub self_url: String,
    /// Certificate-card verification, when `card.enabled`.
    pub cards: Option<crate::identity::card::Cards>,
    /// Mobile certificate login, when `mobile.enabled`.
    pub mobile: Option<crate::identity::mobile::Mobile>,
    /// The public base URL of the HTTPS listener (card login), when there
    /// is one.
    pub tls_url: Option<String>,
    /// Organisation IdPs and Suomi.fi, with their metadata.
    pub sources: Arc<crate::identity::sources::Sources>,
    /// Readiness failures logged lately (rate-limited warnings).
    pub ready_log: crate::telemetry::ReadyLog,
}

pub type SharedState = Arc<AppState>;

/// Handlers reach the provider's services as `app.dir`, `app.now()` …,
/// and pass `&app` wherever a `&Provider` is asked for.
impl Deref for AppState {
    type Target = Provider;

    fn deref(&self) -> &Provider {
        &self.oidc
    }
}
