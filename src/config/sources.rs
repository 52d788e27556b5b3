//! Configuration of the identity sources: organisation IdPs over SAML 2.0,
//! the Suomi.fi profile over the same, and the built-in development IdP.
//! A tagged enum, so every match over source kinds is exhaustive.

use serde::Deserialize;

use crate::domain::LoA;

pub mod ftn;
pub use ftn::{EndpointOverrides, FtnSourceSettings, PersonClaims};

/// One `[[sources]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "RawSource")]
pub struct SourceSettings {
    /// Short stable id used in URLs (`/saml/{id}/acs`), identity links and
    /// portal rules, e.g. `hus`.
    pub id: String,
    /// The name on the login page, in Finnish; `name_sv`/`name_en` default
    /// to it.
    pub name: String,
    #[serde(default)]
    pub name_sv: Option<String>,
    #[serde(default)]
    pub name_en: Option<String>,
    /// Where the login page lists the source.
    #[serde(default)]
    pub group: SourceGroup,
    /// The register's organisation that vouches for its people (organisation
    /// logins); it counts as the person's organisation for portal rules.
    #[serde(default)]
    pub organisation: Option<String>,
    /// E-mail domains whose `login_hint` goes straight to this source.
    #[serde(default)]
    pub domains: Vec<String>,
    pub kind: SourceKind,
}

/// `[[sources]]` as written: one flat table (serde's `flatten` cannot be
/// combined with refusing unknown keys, so the nesting is done here).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: String,
    kind: KindName,
    name: String,
    #[serde(default)]
    name_sv: Option<String>,
    #[serde(default)]
    name_en: Option<String>,
    #[serde(default)]
    group: SourceGroup,
    #[serde(default)]
    organisation: Option<String>,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    metadata_file: Option<String>,
    #[serde(default)]
    metadata_url: Option<String>,
    #[serde(default = "default_refresh")]
    metadata_refresh_secs: u64,
    #[serde(default)]
    metadata_signing_cert: Option<String>,
    #[serde(default)]
    post_binding: bool,
    #[serde(default = "default_loa")]
    loa: LoA,
    #[serde(default)]
    require_encryption: Option<bool>,
    #[serde(default)]
    attributes: AttributeMap,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<crate::config::Secret>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    claims: ClaimMap,
    // suomifi_oidc
    #[serde(default)]
    signing_keys: Vec<String>,
    #[serde(default)]
    decryption_keys: Vec<String>,
    #[serde(default)]
    same_accounts_as: Option<String>,
    #[serde(default)]
    jwks_signing_key: Option<String>,
    #[serde(default)]
    use_par: Option<bool>,
    #[serde(default)]
    userinfo: Option<bool>,
    #[serde(default = "ftn::default_signing_algs")]
    id_token_signing_algs: Vec<String>,
    #[serde(default = "ftn::default_encryption_algs")]
    encryption_algs: Vec<String>,
    #[serde(default = "ftn::default_encryption_encs")]
    encryption_encs: Vec<String>,
    #[serde(default)]
    endpoints: EndpointOverrides,
    #[serde(default)]
    person_claims: PersonClaims,
    #[serde(default)]
    clock_skew_secs: Option<i64>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindName {
    Saml,
    Suomifi,
    Oidc,
    SuomifiOidc,
}

impl From<RawSource> for SourceSettings {
    fn from(r: RawSource) -> Self {
        let saml = SamlSourceSettings {
            metadata_file: r.metadata_file,
            metadata_url: r.metadata_url,
            metadata_refresh_secs: r.metadata_refresh_secs,
            metadata_signing_cert: r.metadata_signing_cert,
            post_binding: r.post_binding,
            loa: r.loa,
            require_encryption: r.require_encryption.unwrap_or(false),
            attributes: r.attributes,
        };
        SourceSettings {
            id: r.id,
            name: r.name,
            name_sv: r.name_sv,
            name_en: r.name_en,
            group: r.group,
            organisation: r.organisation,
            domains: r.domains,
            kind: match r.kind {
                KindName::Saml => SourceKind::Saml(saml),
                KindName::Suomifi => SourceKind::Suomifi(saml),
                KindName::SuomifiOidc => SourceKind::SuomifiOidc(Box::new(FtnSourceSettings {
                    issuer: r.issuer.unwrap_or_default(),
                    client_id: r.client_id.unwrap_or_default(),
                    loa: saml.loa,
                    scopes: if r.scopes.is_empty() {
                        vec!["profile".into()]
                    } else {
                        r.scopes
                    },
                    signing_keys: r.signing_keys,
                    decryption_keys: r.decryption_keys,
                    same_accounts_as: r.same_accounts_as,
                    jwks_signing_key: r.jwks_signing_key,
                    // The FTN profile encrypts: off only when said so.
                    require_encryption: r.require_encryption.unwrap_or(true),
                    use_par: r.use_par.unwrap_or(true),
                    userinfo: r.userinfo.unwrap_or(true),
                    id_token_signing_algs: r.id_token_signing_algs,
                    encryption_algs: r.encryption_algs,
                    encryption_encs: r.encryption_encs,
                    endpoints: r.endpoints,
                    person_claims: r.person_claims,
                    refresh_secs: saml.metadata_refresh_secs,
                    clock_skew_secs: r.clock_skew_secs.unwrap_or(120),
                })),
                KindName::Oidc => SourceKind::Oidc(OidcSourceSettings {
                    issuer: r.issuer.unwrap_or_default(),
                    client_id: r.client_id.unwrap_or_default(),
                    client_secret: r.client_secret.unwrap_or_default(),
                    scopes: if r.scopes.is_empty() {
                        vec!["profile".into(), "email".into()]
                    } else {
                        r.scopes
                    },
                    loa: saml.loa,
                    claims: r.claims,
                    refresh_secs: saml.metadata_refresh_secs,
                }),
            },
        }
    }
}

impl SourceSettings {
    pub fn name_in(&self, lang: crate::domain::Lang) -> &str {
        use crate::domain::Lang;
        match lang {
            Lang::Fi => &self.name,
            Lang::Sv => self.name_sv.as_deref().unwrap_or(&self.name),
            Lang::En => self.name_en.as_deref().unwrap_or(&self.name),
        }
    }

    /// The SAML settings of a SAML or Suomi.fi source.
    pub fn saml(&self) -> Option<&SamlSourceSettings> {
        match &self.kind {
            SourceKind::Saml(s) | SourceKind::Suomifi(s) => Some(s),
            SourceKind::Oidc(_) | SourceKind::SuomifiOidc(_) => None,
        }
    }

    pub fn oidc(&self) -> Option<&OidcSourceSettings> {
        match &self.kind {
            SourceKind::Oidc(o) => Some(o),
            _ => None,
        }
    }

    /// The settings of a Suomi.fi source over OpenID Connect.
    pub fn ftn(&self) -> Option<&FtnSourceSettings> {
        match &self.kind {
            SourceKind::SuomifiOidc(f) => Some(f),
            _ => None,
        }
    }

    /// Suomi.fi over SAML (the profile over the SAML source).
    pub fn is_suomifi(&self) -> bool {
        matches!(self.kind, SourceKind::Suomifi(_))
    }

    /// Suomi.fi by either interface: its levels, its identity code, the
    /// e-Authorizations lookup.
    pub fn is_suomifi_any(&self) -> bool {
        matches!(
            self.kind,
            SourceKind::Suomifi(_) | SourceKind::SuomifiOidc(_)
        )
    }
}

/// The login page's groups, as the professionals know them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceGroup {
    /// Yliopistosairaanhoitopiirit.
    UniversityHospitalDistricts,
    /// Hyvinvointiyhtymät ja -alueet.
    #[default]
    WellbeingAreas,
    /// Ammattilaiskäyttäjät ja yhteistyökumppanit (Suomi.fi).
    Professionals,
}

#[derive(Debug, Clone)]
pub enum SourceKind {
    /// An organisation's SAML 2.0 identity provider.
    Saml(SamlSourceSettings),
    /// Suomi.fi e-Identification: the SAML source with Suomi.fi's
    /// attributes, levels of assurance and identity-code handling.
    Suomifi(SamlSourceSettings),
    /// An organisation's OpenID Connect provider (Entra ID and the like).
    Oidc(OidcSourceSettings),
    /// Suomi.fi e-Identification over OpenID Connect, by the Finnish Trust
    /// Network's profile (signed request objects, private_key_jwt, ID
    /// tokens signed then encrypted).
    SuomifiOidc(Box<FtnSourceSettings>),
}

/// An upstream OpenID Connect provider: discovery, the code flow with
/// PKCE and a nonce, and ID-token validation.
#[derive(Debug, Clone)]
pub struct OidcSourceSettings {
    /// The issuer; its `/.well-known/openid-configuration` is fetched.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: crate::config::Secret,
    /// Scopes beside `openid`.
    pub scopes: Vec<String>,
    /// The level the session gets.
    pub loa: LoA,
    pub claims: ClaimMap,
    /// How often discovery and keys are fetched again.
    pub refresh_secs: u64,
}

/// Which ID-token claims mean what (Entra ID: `oid` is the stable subject
/// within a tenant).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimMap {
    pub subject: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub groups: String,
}

impl Default for ClaimMap {
    fn default() -> Self {
        Self {
            subject: "sub".into(),
            given_name: "given_name".into(),
            family_name: "family_name".into(),
            email: "email".into(),
            groups: "groups".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SamlSourceSettings {
    /// The IdP's metadata from a file...
    pub metadata_file: Option<String>,
    /// ...or from a URL, refreshed every `metadata_refresh_secs` (the last
    /// good copy is kept when a refresh fails).
    pub metadata_url: Option<String>,
    pub metadata_refresh_secs: u64,
    /// The federation's metadata signing certificate (PEM path): when set,
    /// the metadata must be signed as a whole with it, or it is refused.
    pub metadata_signing_cert: Option<String>,
    /// Send the AuthnRequest by HTTP-POST instead of HTTP-Redirect.
    pub post_binding: bool,
    /// For `saml`: the level the session gets; for `suomifi`: the lowest
    /// level asked for.
    pub loa: LoA,
    /// Require the assertion to arrive encrypted (Suomi.fi always does).
    pub require_encryption: bool,
    /// Which attributes mean what.
    pub attributes: AttributeMap,
}

fn default_refresh() -> u64 {
    3600
}

fn default_loa() -> LoA {
    LoA::Substantial
}

/// Attribute names (as the IdP sends them) for each thing Porttivahti
/// reads. `subject = "NameID"` takes the subject from the NameID.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttributeMap {
    pub subject: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub groups: String,
}

impl Default for AttributeMap {
    fn default() -> Self {
        Self {
            subject: "NameID".into(),
            given_name: "urn:oid:2.5.4.42".into(),
            family_name: "urn:oid:2.5.4.4".into(),
            email: "urn:oid:0.9.2342.19200300.100.1.3".into(),
            phone: "urn:oid:2.5.4.20".into(),
            title: "urn:oid:2.5.4.12".into(),
            groups: "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups".into(),
        }
    }
}

/// `[saml]`: this service provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SamlSettings {
    /// RSA key and certificate that sign AuthnRequests and decrypt
    /// assertions (PEM files).
    pub sp_key_file: String,
    pub sp_cert_file: String,
    /// Clock difference tolerated in NotBefore / NotOnOrAfter.
    pub clock_skew_secs: i64,
    /// An assertion older than this (IssueInstant) is refused.
    pub max_assertion_age_secs: i64,
    /// Largest SAMLResponse accepted, in bytes (after base64).
    pub max_response_bytes: usize,
}

impl Default for SamlSettings {
    fn default() -> Self {
        Self {
            sp_key_file: "certs/dev/saml-sp-key.pem".into(),
            sp_cert_file: "certs/dev/saml-sp.pem".into(),
            clock_skew_secs: 120,
            max_assertion_age_secs: 600,
            max_response_bytes: 256 * 1024,
        }
    }
}

/// `[registration]`: the first-login form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationSettings {
    /// The profession groups a person picks from (mandatory field).
    pub profession_groups: Vec<ProfessionGroup>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfessionGroup {
    pub id: String,
    pub fi: String,
    pub sv: String,
    pub en: String,
}

impl ProfessionGroup {
    pub fn name_in(&self, lang: crate::domain::Lang) -> &str {
        use crate::domain::Lang;
        match lang {
            Lang::Fi => &self.fi,
            Lang::Sv => &self.sv,
            Lang::En => &self.en,
        }
    }
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        let g = |id: &str, fi: &str, sv: &str, en: &str| ProfessionGroup {
            id: id.into(),
            fi: fi.into(),
            sv: sv.into(),
            en: en.into(),
        };
        Self {
            profession_groups: vec![
                g("physician", "Lääkäri", "Läkare", "Physician"),
                g(
                    "nurse",
                    "Sairaanhoitaja, terveydenhoitaja tai kätilö",
                    "Sjukskötare, hälsovårdare eller barnmorska",
                    "Nurse, public health nurse or midwife",
                ),
                g(
                    "practical_nurse",
                    "Lähihoitaja",
                    "Närvårdare",
                    "Practical nurse",
                ),
                g(
                    "psychologist",
                    "Psykologi tai psykoterapeutti",
                    "Psykolog eller psykoterapeut",
                    "Psychologist or psychotherapist",
                ),
                g(
                    "social_worker",
                    "Sosiaalityöntekijä tai sosionomi",
                    "Socialarbetare eller socionom",
                    "Social worker or social services professional",
                ),
                g(
                    "therapist",
                    "Kuntoutuksen ammattilainen",
                    "Rehabiliteringsexpert",
                    "Rehabilitation professional",
                ),
                g(
                    "pharmacist",
                    "Farmaseutti tai proviisori",
                    "Farmaceut eller provisor",
                    "Pharmacist",
                ),
                g("student", "Opiskelija", "Studerande", "Student"),
                g(
                    "other",
                    "Muu ammattilainen",
                    "Annan yrkesperson",
                    "Other professional",
                ),
            ],
        }
    }
}

/// `[dev_idp]`: a built-in identity provider for trying organisation and
/// Suomi.fi logins without a real one. Refused in production.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DevIdpSettings {
    pub enabled: bool,
    /// Its RSA signing key and certificate (PEM files).
    pub key_file: String,
    pub cert_file: String,
}

impl Default for DevIdpSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            key_file: "certs/dev/dev-idp-key.pem".into(),
            cert_file: "certs/dev/dev-idp.pem".into(),
        }
    }
}

/// The built-in identity sources; portal rules may name them beside the
/// configured `[[sources]]`.
pub const BUILT_IN: &[&str] = &[PASSWORD];

/// The id of the password source (Intermetso and Sonette accounts).
pub const PASSWORD: &str = "password";

/// Checks `[[sources]]` against the rest of the configuration.
pub fn check(s: &crate::config::Settings) -> Result<(), String> {
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
        if BUILT_IN.contains(&id.as_str()) {
            return Err(format!(
                "source id {id:?} is reserved for a built-in source"
            ));
        }
        if !seen.insert(id.as_str()) {
            return Err(format!("source {id:?} is defined twice"));
        }
        if src.is_suomifi_any() {
            let key_ok = s
                .secrets
                .national_id_key
                .as_ref()
                .and_then(|k| crate::crypto::b64_std_decode(k.expose()).ok())
                .is_some_and(|b| b.len() >= 32);
            if !key_ok {
                return Err(format!(
                    "source {id:?} is a Suomi.fi source: secrets.national_id_key must be base64 \
                     of at least 32 random bytes (head -c 32 /dev/urandom | base64)"
                ));
            }
        }
        if let Some(f) = src.ftn() {
            f.check(id, s)?;
            continue;
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
    }
    if s.registration.profession_groups.is_empty() {
        return Err("registration.profession_groups must name at least one group".into());
    }
    Ok(())
}
