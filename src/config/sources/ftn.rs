//! `kind = "suomifi_oidc"`: Suomi.fi e-Identification over OpenID Connect,
//! by the Finnish Trust Network's OpenID Connect profile (Traficom
//! recommendation 213/2023 S, regulation 72B): a signed request object,
//! `private_key_jwt`, ID tokens (and userinfo) signed and then encrypted to
//! this gateway, the gateway's keys published at a URL.
//!
//! The service's own endpoint paths and claim names are not confirmed
//! here: every one is configuration, with the FTN profile's as defaults
//! (docs/configuration.md says what to confirm before going live).

use serde::Deserialize;

use crate::domain::LoA;

/// The settings of a `suomifi_oidc` source.
#[derive(Debug, Clone)]
pub struct FtnSourceSettings {
    /// The provider's issuer; discovery at
    /// `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// The lowest level asked for (`acr_values`), as with the SAML
    /// profile.
    pub loa: LoA,
    /// Scopes beside `openid`.
    pub scopes: Vec<String>,
    /// Our signing keys for this source (PKCS#8 PEM, RSA or P-256): the
    /// first signs request objects and client assertions, every one is
    /// published (a new key is added second, then moved first once the
    /// provider has fetched the keys again; the old one is removed last).
    pub signing_keys: Vec<String>,
    /// Our decryption keys (PKCS#8 PEM; RSA for RSA-OAEP-256, P-256 for
    /// ECDH-ES): every one is published with `use: enc` and accepted, so a
    /// new key can be published before the provider encrypts to it.
    pub decryption_keys: Vec<String>,
    /// A key (PKCS#8 PEM) that signs our key set for the provider, as
    /// OpenID Federation's `signed_jwks_uri` has it (`typ: jwk-set+jwt`), at
    /// `/login/oidc/{id}/signed-jwks`; its public half is given to the
    /// service out of band. Absent: no signed key set is published.
    pub jwks_signing_key: Option<String>,
    /// The SAML Suomi.fi source whose people these are: logins through
    /// this source reach the accounts linked through that one (same
    /// identity code, same keyed hash), so a person keeps the account
    /// through the transition.
    pub same_accounts_as: Option<String>,
    /// Refuse an ID token (and userinfo) that is not encrypted.
    pub require_encryption: bool,
    /// Send the request object by pushed authorization request when the
    /// provider offers an endpoint for it.
    pub use_par: bool,
    /// Fetch userinfo after the token (signed and/or encrypted, or plain
    /// JSON when the provider answers so and encryption is not required).
    pub userinfo: bool,
    pub id_token_signing_algs: Vec<String>,
    pub encryption_algs: Vec<String>,
    pub encryption_encs: Vec<String>,
    /// Endpoint overrides; unset ones come from discovery.
    pub endpoints: EndpointOverrides,
    pub person_claims: PersonClaims,
    /// How often discovery and the provider's keys are fetched again.
    pub refresh_secs: u64,
    /// Clock difference tolerated in `exp`, `iat` and `nbf`.
    pub clock_skew_secs: i64,
}

/// `[sources.endpoints]`: where the service's published metadata is not
/// (yet) what is to be used.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EndpointOverrides {
    pub authorization: Option<String>,
    pub token: Option<String>,
    pub userinfo: Option<String>,
    pub jwks: Option<String>,
    pub end_session: Option<String>,
    pub par: Option<String>,
}

/// `[sources.person_claims]`: the claim names (ID token or userinfo) for
/// what the SAML profile reads from its attributes. Defaults as the FTN
/// profile's brokers name them; unverified for the Suomi.fi interface.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PersonClaims {
    /// The personal identity code: kept only as its keyed hash.
    pub national_id: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    /// Home municipality, in Finnish and in Swedish.
    pub municipality_fi: String,
    pub municipality_sv: String,
}

impl Default for PersonClaims {
    fn default() -> Self {
        Self {
            national_id: "hetu".into(),
            given_name: "given_name".into(),
            family_name: "family_name".into(),
            email: "email".into(),
            municipality_fi: "municipality_fi".into(),
            municipality_sv: "municipality_sv".into(),
        }
    }
}

pub(super) fn default_signing_algs() -> Vec<String> {
    ["RS256", "PS256", "ES256"].map(String::from).to_vec()
}

pub(super) fn default_encryption_algs() -> Vec<String> {
    ["RSA-OAEP-256", "ECDH-ES"].map(String::from).to_vec()
}

pub(super) fn default_encryption_encs() -> Vec<String> {
    ["A256GCM", "A128CBC-HS256"].map(String::from).to_vec()
}

impl FtnSourceSettings {
    /// The issuer, with a path of this server (the development IdP's face)
    /// made a URL under `public_url`.
    pub fn issuer_at(&self, public_url: &str) -> String {
        if self.issuer.starts_with('/') {
            format!("{public_url}{}", self.issuer)
        } else {
            self.issuer.clone()
        }
    }

    /// Checks what can be checked without the key files (read at start).
    pub fn check(&self, id: &str, s: &crate::config::Settings) -> Result<(), String> {
        use crate::jose::{ContentEnc, KeyAlg, SigAlg};
        // A path is this server's: the development IdP's OpenID Connect
        // face (refused in production, see `standins.rs`).
        if self.issuer.starts_with('/') {
            if !s.dev_idp.enabled {
                return Err(format!(
                    "source {id:?}: issuer {:?} is a path of this server, which only the \
                     development IdP serves ([dev_idp] enabled = true)",
                    self.issuer
                ));
            }
        } else if url::Url::parse(&self.issuer).is_err() {
            return Err(format!(
                "source {id:?}: issuer {:?} is not a URL",
                self.issuer
            ));
        }
        if self.client_id.is_empty() {
            return Err(format!(
                "source {id:?}: a suomifi_oidc source needs client_id"
            ));
        }
        if self.signing_keys.is_empty() {
            return Err(format!(
                "source {id:?}: signing_keys must name at least one PKCS#8 PEM key \
                 (request objects and private_key_jwt are signed with the first)"
            ));
        }
        if self.decryption_keys.is_empty() {
            return Err(format!(
                "source {id:?}: decryption_keys must name at least one PKCS#8 PEM key \
                 (the provider encrypts ID tokens to it)"
            ));
        }
        for a in &self.id_token_signing_algs {
            if SigAlg::parse(a).is_none() {
                return Err(format!(
                    "source {id:?}: id_token_signing_algs: {a:?} is not one of {}",
                    SigAlg::ALL.map(|x| x.as_str()).join(", ")
                ));
            }
        }
        for a in &self.encryption_algs {
            if KeyAlg::parse(a).is_none() {
                return Err(format!(
                    "source {id:?}: encryption_algs: {a:?} is not one of RSA-OAEP-256, ECDH-ES"
                ));
            }
        }
        for e in &self.encryption_encs {
            if ContentEnc::parse(e).is_none() {
                return Err(format!(
                    "source {id:?}: encryption_encs: {e:?} is not one of {}",
                    ContentEnc::ALL.map(|x| x.as_str()).join(", ")
                ));
            }
        }
        if self.id_token_signing_algs.is_empty()
            || (self.require_encryption
                && (self.encryption_algs.is_empty() || self.encryption_encs.is_empty()))
        {
            return Err(format!(
                "source {id:?}: id_token_signing_algs, encryption_algs and encryption_encs \
                 must each name at least one algorithm"
            ));
        }
        let endpoints = [
            ("authorization", &self.endpoints.authorization),
            ("token", &self.endpoints.token),
            ("userinfo", &self.endpoints.userinfo),
            ("jwks", &self.endpoints.jwks),
            ("end_session", &self.endpoints.end_session),
            ("par", &self.endpoints.par),
        ];
        for (name, u) in endpoints {
            if let Some(u) = u
                && url::Url::parse(u).is_err()
            {
                return Err(format!(
                    "source {id:?}: endpoints.{name} {u:?} is not a URL"
                ));
            }
        }
        if s.server.environment == crate::config::Environment::Production
            && !self.issuer.starts_with("https://")
            && !self.issuer.starts_with('/')
        {
            return Err(format!(
                "source {id:?}: issuer {:?} must be an https:// URL in production",
                self.issuer
            ));
        }
        if let Some(other) = &self.same_accounts_as {
            let Some(o) = s.sources.iter().find(|x| &x.id == other) else {
                return Err(format!(
                    "source {id:?}: same_accounts_as names {other:?}, which is not a source"
                ));
            };
            if !o.is_suomifi() {
                return Err(format!(
                    "source {id:?}: same_accounts_as names {other:?}, which is not a \
                     kind = \"suomifi\" source"
                ));
            }
        }
        if self.refresh_secs < 60 {
            return Err(format!(
                "source {id:?}: metadata_refresh_secs must be at least 60"
            ));
        }
        Ok(())
    }
}
