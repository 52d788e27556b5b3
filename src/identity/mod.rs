//! Identity sources: each turns some proof into a [`VerifiedIdentity`].
//! Sources differ in shape, so each kind has its own small capability.

pub mod card;
pub mod config;
pub mod mobile;
pub mod password;
pub mod saml;
pub mod sources;
pub mod suomifi;
pub mod totp;

/// The sealer of second-factor secrets at rest: a key derived from the
/// key-encryption key, so the two uses never share a key.
pub fn second_factor_sealer(kek: &[u8]) -> Option<crate::tokens::sealing::Sealer> {
    let key = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, kek),
        b"porttivahti totp secrets v1",
    );
    crate::tokens::sealing::Sealer::new(key.as_ref()).ok()
}

/// The identity sources this build knows; portal rules may name them.
pub const SOURCES: &[&str] = &[password::SOURCE];

use serde::{Deserialize, Serialize};

use crate::domain::{AuthMethod, LoA};

/// What a source vouches for after checking the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedIdentity {
    /// The configured source, e.g. `password`.
    pub source: String,
    /// The subject as that source names it; for password accounts the
    /// account id.
    pub subject: String,
    pub loa: LoA,
    pub methods: Vec<AuthMethod>,
    pub authenticated_at: i64,
    /// What the source told about the person, for first-login registration
    /// and the profile. Never holds a personal identity code.
    #[serde(default)]
    pub attributes: Attributes,
}

/// Person data a source vouches for beside the subject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    /// Group or role names from an organisation IdP.
    pub groups: Vec<String>,
    /// Home municipality (Suomi.fi), as its name.
    pub municipality: Option<String>,
    /// The register's organisation that vouched (organisation logins).
    pub organisation: Option<String>,
}

/// Checks `[[sources]]` against the rest of the configuration.
pub fn check_sources(s: &crate::config::Settings) -> Result<(), String> {
    use crate::config::Environment;
    // First: a source naming the development IdP's metadata is refused
    // below too, and this is the reason to give.
    if s.dev_idp.enabled && s.server.environment == Environment::Production {
        return Err(
            "dev_idp.enabled: the built-in test identity provider is refused in production \
             (server.environment = \"production\"); turn it off"
                .into(),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for src in &s.sources {
        let id = &src.id;
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "source id {id:?} must be lower-case letters, digits, - or _"
            ));
        }
        if SOURCES.contains(&id.as_str()) {
            return Err(format!(
                "source id {id:?} is reserved for a built-in source"
            ));
        }
        if !seen.insert(id.as_str()) {
            return Err(format!("source {id:?} is defined twice"));
        }
        if let Some(o) = src.oidc() {
            if url::Url::parse(&o.issuer).is_err() {
                return Err(format!("source {id:?}: issuer {:?} is not a URL", o.issuer));
            }
            if o.client_id.is_empty() || o.client_secret.expose().is_empty() {
                return Err(format!(
                    "source {id:?}: an OpenID Connect source needs client_id and client_secret"
                ));
            }
            if o.refresh_secs < 60 {
                return Err(format!(
                    "source {id:?}: metadata_refresh_secs must be at least 60"
                ));
            }
            continue;
        }
        let Some(saml) = src.saml() else {
            continue;
        };
        match (&saml.metadata_file, &saml.metadata_url) {
            (Some(_), None) | (None, Some(_)) => {}
            _ => {
                return Err(format!(
                    "source {id:?}: give exactly one of metadata_file and metadata_url"
                ));
            }
        }
        if let Some(u) = &saml.metadata_url
            && !u.starts_with('/')
            && url::Url::parse(u).is_err()
        {
            return Err(format!("source {id:?}: metadata_url {u:?} is not a URL"));
        }
        // The metadata names the keys every login through the source is
        // checked with: in production it comes over TLS (or from a file),
        // never over plain HTTP.
        if let Some(u) = &saml.metadata_url
            && s.server.environment == Environment::Production
            && !u.starts_with("https://")
        {
            return Err(format!(
                "source {id:?}: metadata_url {u:?} must be an https:// URL in production \
                 (plain http:// and this server's own /dev-idp/ metadata are for \
                 server.environment = \"development\"); or use metadata_file"
            ));
        }
        if saml.metadata_refresh_secs < 60 {
            return Err(format!(
                "source {id:?}: metadata_refresh_secs must be at least 60"
            ));
        }
        if src.is_suomifi() {
            let key_ok = s
                .secrets
                .national_id_key
                .as_ref()
                .and_then(|k| crate::tokens::b64_std_decode(k.expose()).ok())
                .is_some_and(|b| b.len() >= 32);
            if !key_ok {
                return Err(format!(
                    "source {id:?} is a Suomi.fi source: secrets.national_id_key must be base64 \
                     of at least 32 random bytes (head -c 32 /dev/urandom | base64)"
                ));
            }
        }
    }
    if s.registration.profession_groups.is_empty() {
        return Err("registration.profession_groups must name at least one group".into());
    }
    Ok(())
}
