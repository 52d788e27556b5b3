//! A verifier for relying services: checks Porttivahti's ES256 access
//! tokens offline against the published JWKS, and a tower layer that lets
//! through only requests whose token names the service's portal.
//!
//! The public keys are parsed once and cached by key id; a token naming a
//! key id not in the cache makes the verifier fetch the JWKS again (at most
//! once per `min_refetch`, so made-up key ids cannot flood the gateway).
//!
//! ```no_run
//! # async fn demo() -> Result<(), porttivahti::verifier::VerifyError> {
//! use std::sync::Arc;
//! use porttivahti::verifier::{RequirePortalLayer, Verifier, VerifierConfig};
//! let v = Verifier::fetching(
//!     VerifierConfig::new("https://sso.example.fi").audience("hopo"),
//!     "https://sso.example.fi/jwks",
//! )
//! .await?;
//! let app: axum::Router = axum::Router::new()
//!     .route("/api", axum::routing::get(|| async { "ok" }))
//!     .layer(RequirePortalLayer::new(Arc::new(v), "hopo"));
//! # Ok(()) }
//! ```

mod layer;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aws_lc_rs::signature::ParsedPublicKey;
use serde::de::DeserializeOwned;

use crate::clock::{Clock, SystemClock};
use crate::tokens::claims::AccessTokenClaims;
use crate::tokens::claims::{BACKCHANNEL_EVENT, LogoutTokenClaims};
use crate::tokens::jwt::{self, JwtError, KeySource, TokenType};
use crate::tokens::keyring::{JwkSet, verifying_keys_from_jwks};

pub use layer::{RequirePortal, RequirePortalLayer, VerifiedToken};

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Token(#[from] JwtError),
    #[error("the JWKS cannot be fetched: {0}")]
    Fetch(String),
    #[error("the JWKS is not valid: {0}")]
    Jwks(String),
    #[error("the token does not name portal {0:?}")]
    NotForPortal(String),
    #[error("not a logout token: {0}")]
    NotLogoutToken(&'static str),
}

/// What a verification demands.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// The gateway's issuer (its public URL).
    pub issuer: String,
    /// The expected `aud`; `None` accepts any audience (then check the
    /// `portals` claim, as the layer does).
    pub audience: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_secs: i64,
    /// Shortest time between two JWKS fetches caused by unknown key ids.
    pub min_refetch: Duration,
}

impl VerifierConfig {
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_string(),
            audience: None,
            leeway_secs: 60,
            min_refetch: Duration::from_secs(30),
        }
    }
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        self.audience = Some(aud.into());
        self
    }
    pub fn leeway_secs(mut self, secs: i64) -> Self {
        self.leeway_secs = secs;
        self
    }
    pub fn min_refetch(mut self, d: Duration) -> Self {
        self.min_refetch = d;
        self
    }
}

/// Parsed public keys by key id.
struct KeyMap(HashMap<String, ParsedPublicKey>);

impl KeySource for KeyMap {
    fn key(&self, kid: &str) -> Option<&ParsedPublicKey> {
        self.0.get(kid)
    }
}

fn parse_jwks(jwks: &JwkSet) -> Result<KeyMap, VerifyError> {
    let keys = verifying_keys_from_jwks(jwks);
    if keys.is_empty() {
        return Err(VerifyError::Jwks("no usable P-256 key".into()));
    }
    Ok(KeyMap(keys.into_iter().map(|k| (k.kid, k.key)).collect()))
}

/// Offline verification of Porttivahti's tokens.
pub struct Verifier {
    cfg: VerifierConfig,
    keys: RwLock<Arc<KeyMap>>,
    /// When the JWKS was last fetched; the lock also makes concurrent
    /// fetches wait for one.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    /// With the URL to fetch from; `None` for a fixed key set.
    source: Option<(String, reqwest::Client)>,
    clock: Arc<dyn Clock>,
}

impl Verifier {
    /// A verifier with a fixed key set (a JWKS read from a file): it never
    /// fetches.
    pub fn from_jwks(cfg: VerifierConfig, jwks: &JwkSet) -> Result<Self, VerifyError> {
        Ok(Self {
            keys: RwLock::new(Arc::new(parse_jwks(jwks)?)),
            cfg,
            source: None,
            last_fetch: tokio::sync::Mutex::new(None),
            clock: Arc::new(SystemClock),
        })
    }

    /// A verifier that fetches the JWKS from `url` now and again when it
    /// meets an unknown key id.
    pub async fn fetching(cfg: VerifierConfig, url: &str) -> Result<Self, VerifyError> {
        let http = crate::http_client_builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| VerifyError::Fetch(e.to_string()))?;
        let jwks = fetch(&http, url).await?;
        Ok(Self {
            keys: RwLock::new(Arc::new(parse_jwks(&jwks)?)),
            cfg,
            source: Some((url.to_string(), http)),
            last_fetch: tokio::sync::Mutex::new(Some(Instant::now())),
            clock: Arc::new(SystemClock),
        })
    }

    /// Uses `clock` for `exp` and `nbf` (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn config(&self) -> &VerifierConfig {
        &self.cfg
    }

    fn current(&self) -> Arc<KeyMap> {
        match self.keys.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn check<T: DeserializeOwned>(
        &self,
        token: &str,
        typ: TokenType,
        audience: Option<&str>,
    ) -> Result<T, JwtError> {
        let expect = jwt::Expect {
            issuer: &self.cfg.issuer,
            audience,
            typ,
            now: self.clock.now(),
            allow_expired: false,
            leeway: self.cfg.leeway_secs,
        };
        jwt::verify::<T>(token, &*self.current(), &expect).map(|v| v.claims)
    }

    /// Verifies an access token with the keys at hand, without fetching:
    /// signature (ES256), `typ: at+jwt`, issuer, audience, `exp` and `nbf`.
    pub fn verify_cached(&self, token: &str) -> Result<AccessTokenClaims, VerifyError> {
        Ok(self.check(token, TokenType::AccessToken, self.cfg.audience.as_deref())?)
    }

    /// [`Self::verify_cached`], fetching the JWKS once more when the token
    /// names a key id not in the cache (a rotated key).
    pub async fn verify(&self, token: &str) -> Result<AccessTokenClaims, VerifyError> {
        match self.verify_cached(token) {
            Err(VerifyError::Token(JwtError::UnknownKey)) if self.refetch().await? => {
                self.verify_cached(token)
            }
            other => other,
        }
    }

    /// Verifies an access token and that its `portals` claim names
    /// `portal`.
    pub async fn verify_for_portal(
        &self,
        token: &str,
        portal: &str,
    ) -> Result<AccessTokenClaims, VerifyError> {
        let c = self.verify(token).await?;
        if !c.portals.iter().any(|p| p == portal) {
            return Err(VerifyError::NotForPortal(portal.to_string()));
        }
        Ok(c)
    }

    /// Verifies a back-channel logout token meant for `client_id`
    /// (Back-Channel Logout 1.0 §2.6): `typ: logout+jwt`, signature,
    /// issuer, audience, `exp`, the logout event, `sid` or `sub`, no nonce.
    pub async fn verify_logout_token(
        &self,
        token: &str,
        client_id: &str,
    ) -> Result<LogoutTokenClaims, VerifyError> {
        let first = self.check::<LogoutTokenClaims>(token, TokenType::LogoutToken, Some(client_id));
        let c = match first {
            Err(JwtError::UnknownKey) if self.refetch().await? => {
                self.check(token, TokenType::LogoutToken, Some(client_id))?
            }
            other => other?,
        };
        if !c.events.contains_key(BACKCHANNEL_EVENT) {
            return Err(VerifyError::NotLogoutToken("no back-channel logout event"));
        }
        if c.sid.is_none() && c.sub.is_none() {
            return Err(VerifyError::NotLogoutToken("neither sid nor sub"));
        }
        if c.nonce.is_some() {
            return Err(VerifyError::NotLogoutToken("a nonce"));
        }
        Ok(c)
    }

    /// Fetches the JWKS again unless that was done within `min_refetch`.
    /// True when the keys were replaced.
    pub async fn refetch(&self) -> Result<bool, VerifyError> {
        let Some((url, http)) = &self.source else {
            return Ok(false);
        };
        let mut last = self.last_fetch.lock().await;
        if last.is_some_and(|t| t.elapsed() < self.cfg.min_refetch) {
            // Another request may just have fetched: try its keys.
            return Ok(true);
        }
        *last = Some(Instant::now());
        let map = parse_jwks(&fetch(http, url).await?)?;
        if let Ok(mut cur) = self.keys.write() {
            *cur = Arc::new(map);
        }
        Ok(true)
    }
}

async fn fetch(http: &reqwest::Client, url: &str) -> Result<JwkSet, VerifyError> {
    let r = http
        .get(url)
        .send()
        .await
        .map_err(|e| VerifyError::Fetch(e.to_string()))?;
    if !r.status().is_success() {
        return Err(VerifyError::Fetch(format!("HTTP {}", r.status())));
    }
    r.json::<JwkSet>()
        .await
        .map_err(|e| VerifyError::Jwks(e.to_string()))
}

/// Reads a JWKS from a file or fetches it from an `http(s)://` URL.
pub async fn load_jwks(source: &str) -> Result<JwkSet, VerifyError> {
    if source.starts_with("http://") || source.starts_with("https://") {
        fetch(
            &crate::http_client_builder()
                .build()
                .map_err(|e| VerifyError::Fetch(e.to_string()))?,
            source,
        )
        .await
    } else {
        let text = std::fs::read_to_string(source)
            .map_err(|e| VerifyError::Fetch(format!("{source}: {e}")))?;
        serde_json::from_str(&text).map_err(|e| VerifyError::Jwks(e.to_string()))
    }
}
