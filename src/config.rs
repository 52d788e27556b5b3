//! Typed settings, layered: built-in defaults → TOML file → `PORTTIVAHTI__…`
//! environment variables (double underscore = nesting). Parsed and checked
//! once at start-up, then passed explicitly.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::{BusinessId, Network, OrgKind, OrgOid, Role};

mod relying;

pub use relying::{LogoutSettings, MandateSettings, SubjectType};

mod card;
pub use card::{CardIssuer, CardSettings, CardTypeRule, RevocationCheck, RevocationUnknown};

mod admin;
mod events;
mod mobile;
mod passkeys;
pub use admin::AdminSettings;
pub use events::{EventSettings, SubscriberSettings};
pub use mobile::{FICOM_SIGNATURE_PROFILE, MobileSettings};
pub use passkeys::PasskeySettings;

mod demo;
pub use demo::{DemoPortalSettings, DemoSettings, DemoSlot};

mod desk;
pub mod server;
pub use desk::ServiceDesk;

mod portals;
pub use portals::{AccessRule, PERSON_CLAIMS, PortalSettings, check_acyclic, check_rules};

mod production;
mod standins;

/// The identity sources' settings (`[[sources]]`, `[saml]`, `[registration]`,
/// `[dev_idp]`) and their checks.
pub mod sources;

/// A dotted OID such as `1.2.246.277.1.11`.
pub(crate) fn oid_ok(o: &str) -> bool {
    o.split('.').count() >= 2
        && o.split('.')
            .all(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path} is not valid TOML: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("configuration is not valid: {0}")]
    Invalid(String),
}

/// A secret value: never printed, never logged.
#[derive(Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub store: StoreSettings,
    pub secrets: SecretSettings,
    #[serde(default)]
    pub tokens: TokenSettings,
    #[serde(default)]
    pub password: PasswordSettings,
    #[serde(default)]
    pub rate_limit: RateLimitSettings,
    pub service_desk: ServiceDesk,
    #[serde(default)]
    pub portals: Vec<PortalSettings>,
    #[serde(default)]
    pub clients: Vec<ClientSettings>,
    #[serde(default)]
    pub admin: AdminSettings,
    #[serde(default)]
    pub seed: SeedSettings,
    #[serde(default)]
    pub demo: DemoSettings,
    #[serde(default)]
    pub card: CardSettings,
    /// Mobile certificate (mobiilivarmenne) login.
    #[serde(default)]
    pub mobile: MobileSettings,
    /// Organisation IdPs and Suomi.fi (`[[sources]]`).
    #[serde(default)]
    pub sources: Vec<sources::SourceSettings>,
    #[serde(default)]
    pub saml: sources::SamlSettings,
    #[serde(default)]
    pub registration: sources::RegistrationSettings,
    #[serde(default)]
    pub dev_idp: sources::DevIdpSettings,
    #[serde(default)]
    pub logout: LogoutSettings,
    /// The Suomi.fi e-Authorizations service (Kanta Ekstranet mandates).
    #[serde(default)]
    pub suomifi_mandates: Option<MandateSettings>,
    #[serde(default)]
    pub passkeys: PasskeySettings,
    /// Signed events to subscribing services.
    #[serde(default)]
    pub events: EventSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Plain HTTP listener.
    pub listen: SocketAddr,
    /// The issuer and base of every URL the gateway publishes; in
    /// development, unless set, `http://` and the listen address.
    pub public_url: String,
    /// Log format: "text" or "json".
    pub log_format: String,
    /// Reverse proxies (addresses or CIDR blocks) whose `X-Forwarded-For`
    /// tells the client's address. Requests from anywhere else are taken at
    /// their peer address.
    pub trusted_proxies: Vec<IpNet>,
    /// HTTPS listener that asks for (but does not require) a client
    /// certificate: certificate-card login. Absent: no HTTPS listener.
    pub tls_listen: Option<SocketAddr>,
    /// PEM chain (server certificate first) and key of the HTTPS listener.
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    /// The public base URL of the HTTPS listener; default: the host of
    /// `public_url` with the port of `tls_listen`.
    pub tls_public_url: Option<String>,
    /// `production` (the default) or `development`: development conveniences
    /// such as the built-in test IdP, the demo, seeded passwords and
    /// published or weak secrets are refused in production.
    pub environment: Environment,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    #[default]
    Production,
    Development,
}

/// An address block such as `10.0.0.0/8` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(i) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(i) & mask
            }
            (IpAddr::V6(_), IpAddr::V4(i)) => {
                self.contains(std::net::IpAddr::V6(i.to_ipv6_mapped()))
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpNet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, p) = s.split_once('/').unwrap_or((s, ""));
        let addr: std::net::IpAddr = a
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an address or CIDR block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if p.is_empty() {
            max
        } else {
            p.parse().map_err(|_| format!("{s:?}: bad prefix length"))?
        };
        if prefix > max {
            return Err(format!("{s:?}: prefix longer than {max}"));
        }
        Ok(Self { addr, prefix })
    }
}

impl<'de> Deserialize<'de> for IpNet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            log_format: "text".into(),
            trusted_proxies: Vec::new(),
            tls_listen: None,
            tls_cert: PathBuf::from("certs/dev/server-chain.pem"),
            tls_key: PathBuf::from("certs/dev/server-key.pem"),
            tls_public_url: None,
            environment: Environment::Production,
        }
    }
}

impl ServerSettings {
    /// The public URL without a trailing slash: the issuer.
    pub fn issuer(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// `sqlite://path` (created when missing) or `postgres://…`.
    pub database_url: String,
    /// Redis for ephemeral state; absent means in memory (one node).
    pub redis_url: Option<String>,
    /// Prefix of every Redis key, so several deployments can share a server.
    pub redis_prefix: String,
    pub max_connections: u32,
    /// PostgreSQL: the server's `statement_timeout` for every statement
    /// of the gateway's connections, in milliseconds.
    pub statement_timeout_ms: u64,
    /// PostgreSQL: how long the gateway waits for one directory operation
    /// (its statements, the wait for a connection included) before it
    /// gives up and answers "temporarily unavailable", in milliseconds.
    /// Holds also when the database stops answering altogether.
    pub query_timeout_ms: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/porttivahti.db".into(),
            redis_url: None,
            redis_prefix: "pv:".into(),
            max_connections: 8,
            statement_timeout_ms: 5_000,
            query_timeout_ms: 6_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSettings {
    /// Base64 of 32 random bytes: encrypts signing keys in the directory.
    pub key_encryption_key: Secret,
    /// Base64 of at least 32 random bytes: keys the CSRF tokens of forms.
    pub cookie_key: Secret,
    /// Base64 of at least 32 random bytes: keys the hashes that link a
    /// personal identity code to an account (the code is never stored).
    /// Needed when a Suomi.fi source is configured.
    #[serde(default)]
    pub national_id_key: Option<Secret>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenSettings {
    pub id_token_ttl_secs: u64,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub code_ttl_secs: u64,
    /// Lifetime of a single sign-on session.
    pub session_ttl_secs: u64,
    /// How long a started login may wait for the person.
    pub login_ttl_secs: u64,
    /// How often each node re-reads the signing keys from the directory
    /// (another node may have rotated them).
    pub key_reload_secs: u64,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            id_token_ttl_secs: 300,
            access_token_ttl_secs: 300,
            refresh_token_ttl_secs: 8 * 3600,
            code_ttl_secs: 60,
            session_ttl_secs: 10 * 3600,
            login_ttl_secs: 1800,
            key_reload_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordSettings {
    /// Argon2id memory in KiB (OWASP: 19456).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Consecutive failures after which the account locks.
    pub lock_after_failures: u32,
    pub min_length: usize,
    /// Extra file of forbidden passwords, one a line, beside the built-in list.
    pub blocklist_file: Option<PathBuf>,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        Self {
            argon2_memory_kib: 19456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            lock_after_failures: 5,
            min_length: 12,
            blocklist_file: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Login attempts one address may make in `window_secs`.
    pub login_per_ip: u64,
    /// Login attempts against one username in `window_secs`.
    pub login_per_account: u64,
    /// Logins one address (an IPv6 /64) may start in `window_secs`: each
    /// stores a pending request (`/authorize`, `/login/source/{id}`).
    pub started_per_ip: u64,
    pub window_secs: u64,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            login_per_ip: 30,
            login_per_account: 10,
            started_per_ip: 300,
            window_secs: 300,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    pub client_id: String,
    /// The portal this client is; decides who gets a code and the audience.
    pub portal: String,
    pub name: Option<String>,
    /// Plain secret (development); hashed at start-up.
    pub secret: Option<Secret>,
    /// Hex SHA-256 of a generated high-entropy secret (production).
    pub secret_sha256: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default = "default_grants")]
    pub grant_types: Vec<GrantType>,
    /// Audience of client-credentials access tokens (default: the portal).
    pub service_audience: Option<String>,
    /// The regional service desk's own client: its client-credentials
    /// access tokens act as an operator in the administration API.
    #[serde(default)]
    pub service_desk: bool,
    /// OpenID Connect Back-Channel Logout: where logout tokens are POSTed
    /// when a session this client got tokens in ends.
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// The client needs `sid` in logout tokens (always sent here).
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    /// Front-channel logout: loaded in an iframe of the logout page.
    #[serde(default)]
    pub frontchannel_logout_uri: Option<String>,
    /// Add `iss` and `sid` to the front-channel logout URI.
    #[serde(default)]
    pub frontchannel_logout_session_required: bool,
    /// `public` (the account id) or `pairwise` (a per-sector `sub`).
    #[serde(default)]
    pub subject_type: SubjectType,
    /// The sector of pairwise subjects (clients sharing it see the same
    /// `sub`); default: the client id.
    #[serde(default)]
    pub sector_identifier: Option<String>,
}

fn default_grants() -> Vec<GrantType> {
    vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

/// Data written into the directory at start-up when missing (development
/// and first installation). Existing rows are never overwritten.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSettings {
    #[serde(default)]
    pub organisations: Vec<SeedOrganisation>,
    #[serde(default)]
    pub accounts: Vec<SeedAccount>,
    /// Usernames (of seeded accounts) that are service desk operators.
    #[serde(default)]
    pub operators: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedOrganisation {
    pub id: String,
    pub name_fi: String,
    pub name_sv: String,
    pub business_id: BusinessId,
    pub oid: OrgOid,
    pub kind: OrgKind,
    #[serde(default)]
    pub municipality: Option<String>,
    #[serde(default)]
    pub networks: Vec<Network>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedAccount {
    pub username: String,
    /// Initial password (development). Refused in production: seed the
    /// account without one and set a one-time password with `porttivahti
    /// account reset-password`.
    #[serde(default)]
    pub password: Option<Secret>,
    pub given_name: String,
    pub family_name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    pub organisation: String,
    pub network: Network,
    #[serde(default = "default_role")]
    pub role: Role,
    #[serde(default)]
    pub must_change_password: bool,
    /// An authenticator app's key (base32), for demo accounts that
    /// administer: its codes are the second factor.
    #[serde(default)]
    pub totp_secret: Option<Secret>,
    /// For a liaison person: contact details they agreed to publish.
    #[serde(default)]
    pub published_email: Option<String>,
    #[serde(default)]
    pub published_phone: Option<String>,
}

fn default_role() -> Role {
    Role::Member
}

impl Settings {
    /// Loads `path` (when given) over the built-in defaults, then applies
    /// `PORTTIVAHTI__…` overrides from `env`, then checks the whole.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_path_buf(),
                    source,
                })?;
                Self::parse(&text, p, env)
            }
            None => Self::parse("", Path::new("(built-in defaults)"), env),
        }
    }

    /// Parses TOML `text` (named `origin` in errors) with `env` overrides.
    pub fn parse(
        text: &str,
        origin: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = text.parse::<toml::Table>().map_err(|e| ConfigError::Toml {
            path: origin.to_path_buf(),
            message: e.to_string(),
        })?;
        apply_env(&mut table, env)?;
        let public_url_set = table
            .get("server")
            .and_then(|s| s.get("public_url"))
            .is_some();
        let mut settings: Settings = Settings::deserialize(toml::Value::Table(table))
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if !public_url_set && settings.server.environment == Environment::Development {
            settings.server.public_url = server::url_of_listen(settings.server.listen);
        }
        settings.check()?;
        Ok(settings)
    }

    /// Cross-checks that serde cannot: references between sections.
    fn check(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        // What this build lacks first; then every key production refuses.
        self.check_build().map_err(ConfigError::Invalid)?;
        self.check_production().map_err(ConfigError::Invalid)?;
        if !(self.server.public_url.starts_with("http://")
            || self.server.public_url.starts_with("https://"))
        {
            return bad(format!(
                "server.public_url must be an http(s) URL, got {:?}",
                self.server.public_url
            ));
        }
        match crate::crypto::b64_std_decode(self.secrets.key_encryption_key.expose()) {
            Ok(bytes) if bytes.len() == 32 => {}
            _ => {
                return bad(
                    "secrets.key_encryption_key must be base64 of exactly 32 random bytes \
                     (head -c 32 /dev/urandom | base64)"
                        .into(),
                );
            }
        }
        match crate::crypto::b64_std_decode(self.secrets.cookie_key.expose()) {
            Ok(bytes) if bytes.len() >= 32 => {}
            _ => {
                return bad(
                    "secrets.cookie_key must be base64 of at least 32 random bytes \
                     (head -c 32 /dev/urandom | base64)"
                        .into(),
                );
            }
        }
        if !matches!(self.server.log_format.as_str(), "text" | "json") {
            return bad(format!(
                "server.log_format must be \"text\" or \"json\", got {:?}",
                self.server.log_format
            ));
        }
        let st = &self.store;
        if st.statement_timeout_ms == 0
            || st.query_timeout_ms == 0
            || st.statement_timeout_ms > st.query_timeout_ms
        {
            return bad(format!(
                "store.statement_timeout_ms ({}) and store.query_timeout_ms ({}) must be \
                 above 0, the statement timeout no longer than the query timeout",
                st.statement_timeout_ms, st.query_timeout_ms
            ));
        }
        if !(8..=256).contains(&self.password.min_length) {
            return bad("password.min_length must be between 8 and 256".into());
        }
        let mut portal_ids = HashSet::new();
        for p in &self.portals {
            if !portal_ids.insert(p.id.as_str()) {
                return bad(format!("portal {:?} is defined twice", p.id));
            }
        }
        for p in &self.portals {
            for rule in &p.access {
                for via in &rule.via_portals {
                    if !portal_ids.contains(via.as_str()) || via == &p.id {
                        return bad(format!(
                            "portal {:?}: access.via_portals names {:?}, which is not another portal",
                            p.id, via
                        ));
                    }
                }
            }
        }
        self.admin.check().map_err(ConfigError::Invalid)?;
        self.events.check().map_err(ConfigError::Invalid)?;
        (self.passkeys.check(&self.server.public_url)).map_err(ConfigError::Invalid)?;
        check_acyclic(&self.portals).map_err(ConfigError::Invalid)?;
        check_rules(&self.portals).map_err(ConfigError::Invalid)?;
        let mut client_ids = HashSet::new();
        for c in &self.clients {
            if !client_ids.insert(c.client_id.as_str()) {
                return bad(format!("client {:?} is defined twice", c.client_id));
            }
            if !portal_ids.contains(c.portal.as_str()) {
                return bad(format!(
                    "client {:?} names portal {:?}, which is not configured",
                    c.client_id, c.portal
                ));
            }
            if c.secret.is_some() && c.secret_sha256.is_some() {
                return bad(format!(
                    "client {:?}: give either secret or secret_sha256, not both",
                    c.client_id
                ));
            }
            if let Some(h) = &c.secret_sha256
                && (h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return bad(format!(
                    "client {:?}: secret_sha256 must be 64 hex digits",
                    c.client_id
                ));
            }
            let public = c.secret.is_none() && c.secret_sha256.is_none();
            if public && c.grant_types.contains(&GrantType::ClientCredentials) {
                return bad(format!(
                    "client {:?}: the client_credentials grant needs a secret",
                    c.client_id
                ));
            }
            if c.service_desk && !c.grant_types.contains(&GrantType::ClientCredentials) {
                return bad(format!(
                    "client {:?}: service_desk needs the client_credentials grant",
                    c.client_id
                ));
            }
            for uri in c
                .redirect_uris
                .iter()
                .chain(&c.post_logout_redirect_uris)
                .chain(&c.backchannel_logout_uri)
                .chain(&c.frontchannel_logout_uri)
            {
                if url::Url::parse(uri).is_err() || uri.contains('#') {
                    return bad(format!(
                        "client {:?}: {uri:?} is not an absolute URL without a fragment",
                        c.client_id
                    ));
                }
            }
        }
        let org_ids: HashSet<&str> = self
            .seed
            .organisations
            .iter()
            .map(|o| o.id.as_str())
            .collect();
        for a in &self.seed.accounts {
            if !org_ids.contains(a.organisation.as_str()) {
                return bad(format!(
                    "seed account {:?} names organisation {:?}, which is not seeded",
                    a.username, a.organisation
                ));
            }
        }
        if self.demo.enabled {
            self.check_demo().map_err(ConfigError::Invalid)?;
        }
        sources::check(self).map_err(ConfigError::Invalid)?;
        let mut known: Vec<&str> = sources::BUILT_IN
            .iter()
            .copied()
            .chain(self.sources.iter().map(|s| s.id.as_str()))
            .collect();
        if self.card.enabled {
            if known.contains(&self.card.source.as_str()) {
                return bad(format!(
                    "card.source {:?} is already the id of another source",
                    self.card.source
                ));
            }
            known.push(&self.card.source);
        }
        if self.mobile.enabled {
            if known.contains(&self.mobile.source.as_str()) {
                return bad(format!(
                    "mobile.source {:?} is already the id of another source",
                    self.mobile.source
                ));
            }
            known.push(&self.mobile.source);
        }
        for p in &self.portals {
            for rule in &p.access {
                if let Some(s) = rule.sources.iter().find(|s| !known.contains(&s.as_str())) {
                    return bad(format!(
                        "portal {:?}: access.sources names {s:?}; known sources: {}",
                        p.id,
                        known.join(", ")
                    ));
                }
            }
        }
        self.card
            .check(self.server.environment == Environment::Development)
            .map_err(ConfigError::Invalid)?;
        self.mobile
            .check(self.server.environment == Environment::Development)
            .map_err(ConfigError::Invalid)?;
        if self.mobile.enabled && self.mobile.mssp_url.starts_with('/') && !self.dev_idp.enabled {
            return bad(
                "mobile.mssp_url names the development MSSP, which needs [dev_idp] enabled = true"
                    .into(),
            );
        }
        if let Some(u) = &self.server.tls_public_url
            && !u.starts_with("https://")
        {
            return bad(format!(
                "server.tls_public_url must be an https URL, got {u:?}"
            ));
        }
        if let Some(m) = &self.suomifi_mandates {
            m.check(self.dev_idp.enabled)
                .map_err(ConfigError::Invalid)?;
        }
        if self.rate_limit.started_per_ip == 0 {
            return bad("rate_limit.started_per_ip must be at least 1".into());
        }
        if self.password.lock_after_failures == 0 {
            return bad("password.lock_after_failures must be at least 1".into());
        }
        Ok(())
    }
}

/// Writes `PORTTIVAHTI__A__B=value` into `table` as `a.b = value`. A value
/// that reads as a TOML literal (number, boolean, array) is taken as one;
/// anything else is a string.
fn apply_env(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let mut overrides: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in env {
        if let Some(rest) = k.strip_prefix("PORTTIVAHTI__") {
            overrides.insert(rest.to_ascii_lowercase(), v);
        }
    }
    for (path, raw) in overrides {
        let parts: Vec<&str> = path.split("__").collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(ConfigError::Invalid(format!(
                "environment variable PORTTIVAHTI__{} has an empty section",
                path.to_ascii_uppercase()
            )));
        }
        let value = format!("v = {raw}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(raw));
        let mut cur = &mut *table;
        for part in &parts[..parts.len() - 1] {
            let entry = cur
                .entry(part.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            cur = match entry {
                toml::Value::Table(t) => t,
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "environment variable PORTTIVAHTI__{}: {part} is not a section",
                        path.to_ascii_uppercase()
                    )));
                }
            };
        }
        cur.insert(parts[parts.len() - 1].to_string(), value);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
