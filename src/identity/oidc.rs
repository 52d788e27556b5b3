//! Organisation login through an upstream OpenID Connect provider (Entra
//! ID and the like), apart from HTTP: the code flow with PKCE, a nonce and
//! a browser-bound state, and the ID token checked by the `openidconnect`
//! crate against the provider's discovered keys, then mapped by the
//! source's claim names.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};

use crate::config::sources::OidcSourceSettings;
use crate::domain::{AuthMethod, Lang};
use crate::identity::redirect::{
    Departure, Outgoing, RedirectSource, Refusal, Returned, SourceError,
};
use crate::identity::sources::SamlSource;
use crate::identity::{Attributes, VerifiedIdentity};
use crate::store::ephemeral::EphemeralState;
use crate::tokens::hash_secret;

/// What this node remembers of a departure to the provider (stored as
/// pending `oidc` under the hash of the `state`).
#[derive(Debug, Serialize, Deserialize)]
struct SentOidc {
    source: String,
    ar: String,
    binding: String,
    verifier: String,
    nonce: String,
}

/// What the provider sends back to the callback.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    /// RFC 9207: the issuer of the answer, when the provider says it.
    pub iss: Option<String>,
}

/// This gateway's callback for `source`.
pub fn callback_url(public_url: &str, source: &str) -> String {
    format!("{public_url}/login/oidc/{source}/callback")
}

/// The relying party: what it needs to send the person and check the
/// answer.
pub struct Rp<'a> {
    pub eph: &'a EphemeralState,
    pub http: &'a reqwest::Client,
    /// The gateway's public base URL (callback URLs).
    pub public_url: &'a str,
    pub now: i64,
    /// How long a departure waits for its answer.
    pub login_ttl: i64,
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

impl Rp<'_> {
    fn client(&self, src: &SamlSource) -> Result<Client, SourceError> {
        let (Some(meta), Some(o)) = (src.provider(), src.settings.oidc()) else {
            return Err(SourceError::Unavailable(
                src.last_error()
                    .unwrap_or_else(|| "provider not yet discovered".into()),
            ));
        };
        let redirect = RedirectUrl::new(callback_url(self.public_url, src.id()))
            .map_err(|e| SourceError::Internal(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(
            (*meta).clone(),
            ClientId::new(o.client_id.clone()),
            Some(ClientSecret::new(o.client_secret.expose().to_string())),
        )
        .set_redirect_uri(redirect);
        Ok(client)
    }
}

impl RedirectSource for Rp<'_> {
    type Answer = Callback;

    async fn start(&self, src: &SamlSource, d: Departure<'_>) -> Result<Outgoing, SourceError> {
        let client = self.client(src).inspect_err(|_| {
            tracing::warn!(source = %src.id(), error = src.last_error().as_deref().map(tracing::field::display), "login through an OpenID Connect source not yet discovered");
        })?;
        let Some(o) = src.settings.oidc() else {
            return Err(SourceError::Unavailable(
                "not an OpenID Connect source".into(),
            ));
        };
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &o.scopes {
            req = req.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = req
            .set_pkce_challenge(challenge)
            .add_extra_param("ui_locales", d.lang.as_str())
            .url();
        self.eph
            .put_pending(
                "oidc",
                &hash_secret(state.secret()),
                &SentOidc {
                    source: src.id().to_string(),
                    ar: d.ar.to_string(),
                    binding: d.binding.to_string(),
                    verifier: verifier.secret().clone(),
                    nonce: nonce.secret().clone(),
                },
                self.login_ttl,
            )
            .await?;
        tracing::info!(source = %src.id(), "sent to the OpenID Connect provider");
        Ok(Outgoing::Redirect(url.to_string()))
    }

    async fn finish(
        &self,
        src: &SamlSource,
        q: Callback,
        bound: &(dyn Fn(&str) -> bool + Sync),
        ip: Option<&str>,
        _lang: Lang,
    ) -> Result<Returned, SourceError> {
        let id = src.id();
        let Some(state) = q.state.as_deref() else {
            tracing::warn!(source = %id, ip = ip.map(tracing::field::display), "OpenID Connect callback without a state");
            return Err(SourceError::refused(Refusal::OtherBrowser, "", "no state"));
        };
        let Some(sent) = self
            .eph
            .take_pending::<SentOidc>("oidc", &hash_secret(state))
            .await?
        else {
            tracing::warn!(source = %id, ip = ip.map(tracing::field::display), "OpenID Connect callback with an unknown, expired or used state");
            return Err(SourceError::refused(
                Refusal::OtherBrowser,
                "",
                "unknown, expired or used state",
            ));
        };
        let ar = sent.ar.as_str();
        let untrusted = |reason: String| SourceError::refused(Refusal::Untrusted, ar, reason);
        if sent.source != id || !bound(&sent.binding) {
            tracing::warn!(source = %id, ip = ip.map(tracing::field::display), "OpenID Connect callback in another browser or for another source");
            return Err(SourceError::refused(
                Refusal::OtherBrowser,
                ar,
                "another source or browser",
            ));
        }
        if let Some(e) = q.error.as_deref() {
            tracing::info!(source = %id, ip = ip.map(tracing::field::display), error = %e, "the OpenID Connect provider did not authenticate");
            return Err(SourceError::refused(Refusal::Cancelled, ar, e));
        }
        let (Some(code), Some(o)) = (q.code.as_deref(), src.settings.oidc()) else {
            return Err(untrusted("no code".into()));
        };
        let client = self.client(src).map_err(|e| untrusted(e.to_string()))?;
        let exchange = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| {
                tracing::warn!(source = %id, error = %e, "the provider has no token endpoint");
                untrusted(e.to_string())
            })?;
        let tokens = exchange
            .set_pkce_verifier(PkceCodeVerifier::new(sent.verifier.clone()))
            .request_async(self.http)
            .await
            .map_err(|e| {
                tracing::warn!(source = %id, ip = ip.map(tracing::field::display), error = %e, "code exchange at the OpenID Connect provider failed");
                untrusted(e.to_string())
            })?;
        let Some(id_token) = tokens.id_token() else {
            tracing::warn!(source = %id, "the provider returned no ID token");
            return Err(untrusted("no ID token".into()));
        };
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(sent.nonce.clone()))
            .map_err(|e| {
                tracing::warn!(source = %id, ip = ip.map(tracing::field::display), error = %e, "ID token from the OpenID Connect provider refused");
                untrusted(e.to_string())
            })?;
        // Claims beside the standard ones (Entra's `oid`, `groups`), from the
        // payload whose signature, issuer, audience and nonce were just checked.
        let raw: serde_json::Map<String, serde_json::Value> = id_token
            .to_string()
            .split('.')
            .nth(1)
            .and_then(crate::tokens::b64url_decode)
            .and_then(|p| serde_json::from_slice(&p).ok())
            .unwrap_or_default();
        let text = |name: &str| -> Option<String> {
            match name {
                "sub" => Some(claims.subject().as_str().to_string()),
                "email" => claims.email().map(|e| e.as_str().to_string()),
                "given_name" => claims
                    .given_name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_string()),
                "family_name" => claims
                    .family_name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_string()),
                other => raw.get(other).and_then(|v| v.as_str()).map(str::to_string),
            }
        };
        let identity = identity_of(
            src,
            o,
            &text,
            &raw,
            claims.auth_time().map(|t| t.timestamp()),
            self.now,
        )
        .inspect_err(|m| tracing::warn!(source = %id, reason = %m, "the ID token lacks what this source needs"))
        .map_err(untrusted)?;
        Ok(Returned {
            identity,
            ar: sent.ar,
            upstream: None,
            national_id: None,
        })
    }
}

/// Who the checked ID token says the person is, by the source's claim
/// names.
fn identity_of(
    src: &SamlSource,
    o: &OidcSourceSettings,
    text: &dyn Fn(&str) -> Option<String>,
    raw: &serde_json::Map<String, serde_json::Value>,
    auth_time: Option<i64>,
    now: i64,
) -> Result<VerifiedIdentity, String> {
    let Some(subject) = text(&o.claims.subject).filter(|s| !s.is_empty()) else {
        return Err(format!("no subject claim {:?}", o.claims.subject));
    };
    let groups = raw
        .get(&o.claims.groups)
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|g| g.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok(VerifiedIdentity {
        source: src.id().to_string(),
        subject,
        loa: o.loa,
        methods: vec![AuthMethod::Oidc],
        authenticated_at: auth_time.unwrap_or(now),
        links_with: None,
        attributes: Attributes {
            given_name: text(&o.claims.given_name),
            family_name: text(&o.claims.family_name),
            email: text(&o.claims.email),
            groups,
            organisation: src.settings.organisation.clone(),
            ..Attributes::default()
        },
    })
}
