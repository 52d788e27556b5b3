//! The configured SAML sources at run time: each IdP's metadata (from a
//! file, or from a URL refreshed on a schedule, keeping the last good copy
//! when a refresh fails) and our SP key.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::saml::metadata::{IdpMetadata, check_federation_signature};
use super::saml::xmlsec::{KeyPair, Signers};
use crate::config::Settings;
use crate::config::sources::SourceSettings;
use crate::identity::suomifi_oidc::provider::{self as ftn, FtnProvider, OurKeys};

/// An IdP's metadata as last loaded.
#[derive(Debug)]
pub struct Loaded {
    pub meta: IdpMetadata,
    pub signers: Signers,
    pub loaded_at: i64,
}

#[derive(Debug)]
pub struct SamlSource {
    pub settings: SourceSettings,
    loaded: RwLock<Option<Arc<Loaded>>>,
    last_error: RwLock<Option<String>>,
    /// When a refresh was last tried (rate-limits refreshes on demand).
    last_try: RwLock<i64>,
    /// An OpenID Connect source's discovery document and keys.
    provider: RwLock<Option<Arc<openidconnect::core::CoreProviderMetadata>>>,
    /// A `suomifi_oidc` source's provider (endpoints and keys) as last
    /// discovered.
    ftn: RwLock<Option<Arc<FtnProvider>>>,
    /// A `suomifi_oidc` source's own keys (read at start).
    ftn_keys: Option<Arc<OurKeys>>,
    /// The federation's metadata signing certificate(s)
    /// (`metadata_signing_cert`): when set, only metadata signed with it is
    /// installed.
    metadata_signer: Option<Signers>,
}

impl SamlSource {
    pub fn id(&self) -> &str {
        &self.settings.id
    }

    /// The metadata, when it has been loaded.
    pub fn loaded(&self) -> Option<Arc<Loaded>> {
        self.loaded.read().ok().and_then(|g| g.clone())
    }

    /// An OpenID Connect source's provider metadata, when discovered.
    pub fn provider(&self) -> Option<Arc<openidconnect::core::CoreProviderMetadata>> {
        self.provider.read().ok().and_then(|g| g.clone())
    }

    /// A `suomifi_oidc` source's provider, when discovered.
    pub fn ftn_provider(&self) -> Option<Arc<FtnProvider>> {
        self.ftn.read().ok().and_then(|g| g.clone())
    }

    /// A `suomifi_oidc` source's own keys.
    pub fn ftn_keys(&self) -> Option<Arc<OurKeys>> {
        self.ftn_keys.clone()
    }

    /// Whether a login through this source can start now.
    pub fn available(&self) -> bool {
        self.loaded().is_some() || self.provider().is_some() || self.ftn_provider().is_some()
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.read().ok().and_then(|g| g.clone())
    }

    fn install(&self, text: &str, now: i64) -> Result<(), String> {
        if let Some(federation) = &self.metadata_signer {
            check_federation_signature(text, federation, now)?;
        }
        let meta = IdpMetadata::parse(text)?;
        let signers = Signers::from_der(&meta.signing_certs).map_err(|e| e.to_string())?;
        let changed = self
            .loaded()
            .is_none_or(|old| old.meta.signing_certs != meta.signing_certs);
        if changed {
            tracing::info!(
                source = %self.settings.id,
                entity_id = %meta.entity_id,
                keys = meta.signing_certs.len(),
                "identity provider metadata loaded (signing keys new or changed)"
            );
        }
        if let Ok(mut g) = self.loaded.write() {
            *g = Some(Arc::new(Loaded {
                meta,
                signers,
                loaded_at: now,
            }));
        }
        if let Ok(mut g) = self.last_error.write() {
            *g = None;
        }
        Ok(())
    }

    fn failed(&self, message: String) {
        tracing::warn!(
            source = %self.settings.id,
            error = %message,
            kept_previous = self.loaded().is_some(),
            "identity provider metadata could not be loaded; the last good copy stays in use"
        );
        if let Ok(mut g) = self.last_error.write() {
            *g = Some(message);
        }
    }

    /// Loads the metadata again (file or URL).
    /// A `metadata_url` starting with `/` is this node's own (`base`): the
    /// development IdP.
    pub async fn refresh(
        &self,
        http: &reqwest::Client,
        base: &str,
        now: i64,
    ) -> Result<(), String> {
        if let Ok(mut t) = self.last_try.write() {
            *t = now;
        }
        if let Some(f) = self.settings.ftn() {
            return match ftn::discover(http, f).await {
                Ok(p) => {
                    let changed = self.ftn_provider().is_none_or(|old| old.keys != p.keys);
                    if changed {
                        tracing::info!(source = %self.settings.id, issuer = %f.issuer, keys = p.keys.keys.len(), par = p.par.is_some(), "Suomi.fi OpenID provider discovered (keys new or changed)");
                    }
                    if let Ok(mut g) = self.ftn.write() {
                        *g = Some(Arc::new(p));
                    }
                    if let Ok(mut g) = self.last_error.write() {
                        *g = None;
                    }
                    Ok(())
                }
                Err(e) => {
                    self.failed(e.clone());
                    Err(e)
                }
            };
        }
        if let Some(o) = self.settings.oidc() {
            let result = discover(http, &o.issuer).await;
            return match result {
                Ok(meta) => {
                    tracing::info!(source = %self.settings.id, issuer = %o.issuer, "OpenID Connect provider discovered");
                    if let Ok(mut g) = self.provider.write() {
                        *g = Some(Arc::new(meta));
                    }
                    if let Ok(mut g) = self.last_error.write() {
                        *g = None;
                    }
                    Ok(())
                }
                Err(e) => {
                    self.failed(e.clone());
                    Err(e)
                }
            };
        }
        let Some(saml) = self.settings.saml() else {
            return Err("not a SAML source".into());
        };
        let text = match (&saml.metadata_file, &saml.metadata_url) {
            (Some(f), _) => std::fs::read_to_string(f).map_err(|e| format!("cannot read {f}: {e}")),
            (None, Some(u)) if u.starts_with('/') => fetch(http, &format!("{base}{u}")).await,
            (None, Some(u)) => fetch(http, u).await,
            (None, None) => Err("no metadata_file or metadata_url".into()),
        };
        let result = text.and_then(|t| self.install(&t, now));
        if let Err(e) = &result {
            self.failed(e.clone());
        }
        result
    }

    /// Refreshes now unless tried within the last minute: a response whose
    /// signature fails may mean the IdP has rolled its key over.
    pub async fn refresh_if_stale(&self, http: &reqwest::Client, base: &str, now: i64) -> bool {
        let last = self.last_try.read().map(|t| *t).unwrap_or(0);
        if now - last < 60 {
            return false;
        }
        self.refresh(http, base, now).await.is_ok()
    }
}

async fn discover(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<openidconnect::core::CoreProviderMetadata, String> {
    let issuer = openidconnect::IssuerUrl::new(issuer.to_string())
        .map_err(|e| format!("issuer {issuer:?}: {e}"))?;
    openidconnect::core::CoreProviderMetadata::discover_async(issuer.clone(), http)
        .await
        .map_err(|e| format!("discovery at {}: {e}", issuer.as_str()))
}

async fn fetch(http: &reqwest::Client, url: &str) -> Result<String, String> {
    let resp = http
        .get(url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| format!("GET {url}: {}", crate::error_chain(&e)))?;
    if !resp.status().is_success() {
        return Err(format!("GET {url}: HTTP {}", resp.status()));
    }
    let body = resp.bytes().await.map_err(|e| format!("GET {url}: {e}"))?;
    if body.len() > 4 * 1024 * 1024 {
        return Err(format!("GET {url}: the metadata is larger than 4 MiB"));
    }
    String::from_utf8(body.to_vec()).map_err(|_| format!("GET {url}: not UTF-8"))
}

/// Every configured SAML source and our SP key.
pub struct Sources {
    list: Vec<Arc<SamlSource>>,
    /// Our SP key, when a SAML source (or the development IdP, which
    /// answers our requests) needs it.
    pub sp_key: Option<KeyPair>,
    national_id_key: Vec<u8>,
}

impl Sources {
    /// Reads the SP key and the metadata files; URL metadata is fetched by
    /// [`Sources::spawn_refresher`].
    pub fn new(s: &Settings, now: i64) -> Result<Self, String> {
        let sp_key = if !s.sources.iter().any(|x| x.saml().is_some()) && !s.dev_idp.enabled {
            None
        } else {
            Some(
                KeyPair::from_files(&s.saml.sp_key_file, &s.saml.sp_cert_file)
                    .map_err(|e| format!("saml.sp_key_file / sp_cert_file: {e}"))?,
            )
        };
        let mut list: Vec<Arc<SamlSource>> = Vec::new();
        for settings in &s.sources {
            let metadata_signer = match settings
                .saml()
                .and_then(|m| m.metadata_signing_cert.as_ref())
            {
                Some(path) => Some(Signers::from_pem_file(path).map_err(|e| {
                    format!("source {:?}: metadata_signing_cert: {e}", settings.id)
                })?),
                None => None,
            };
            let ftn_keys = match settings.ftn() {
                Some(f) => Some(Arc::new(
                    OurKeys::load(f).map_err(|e| format!("source {:?}: {e}", settings.id))?,
                )),
                None => None,
            };
            let mut settings = settings.clone();
            if let crate::config::sources::SourceKind::SuomifiOidc(f) = &mut settings.kind {
                f.issuer = f.issuer_at(s.server.issuer());
            }
            list.push(Arc::new(SamlSource {
                settings,
                loaded: RwLock::new(None),
                last_error: RwLock::new(None),
                last_try: RwLock::new(0),
                provider: RwLock::new(None),
                ftn: RwLock::new(None),
                ftn_keys,
                metadata_signer,
            }));
        }
        for src in &list {
            if let Some(f) = src.settings.saml().and_then(|m| m.metadata_file.as_ref()) {
                let text = std::fs::read_to_string(f)
                    .map_err(|e| format!("source {:?}: cannot read {f}: {e}", src.id()))?;
                src.install(&text, now)
                    .map_err(|e| format!("source {:?}: metadata {f}: {e}", src.id()))?;
            }
        }
        let national_id_key = s
            .secrets
            .national_id_key
            .as_ref()
            .and_then(|k| crate::tokens::b64_std_decode(k.expose()).ok())
            .unwrap_or_default();
        Ok(Self {
            list,
            sp_key,
            national_id_key,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Arc<SamlSource>> {
        self.list.iter().find(|s| s.id() == id)
    }

    pub fn all(&self) -> &[Arc<SamlSource>] {
        &self.list
    }

    /// The source whose configured domains include the domain of `hint`
    /// (an e-mail address or a bare domain).
    pub fn for_hint(&self, hint: &str) -> Option<&Arc<SamlSource>> {
        let (_, domain) = hint.rsplit_once('@')?;
        let domain = domain.trim().to_ascii_lowercase();
        if domain.is_empty() {
            return None;
        }
        self.list.iter().find(|s| {
            s.settings
                .domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(&domain))
        })
    }

    pub fn national_id_key(&self) -> &[u8] {
        &self.national_id_key
    }

    /// Keeps URL metadata fresh: at once (retrying with backoff until the
    /// first success), then every `metadata_refresh_secs`.
    pub fn spawn_refresher(
        self: &Arc<Self>,
        http: reqwest::Client,
        clock: Arc<dyn crate::clock::Clock>,
        base: String,
    ) {
        for src in self.list.iter().cloned() {
            let every = match (src.settings.saml(), src.settings.oidc(), src.settings.ftn()) {
                (Some(m), _, _) if m.metadata_url.is_some() => m.metadata_refresh_secs,
                (_, Some(o), _) => o.refresh_secs,
                (_, _, Some(f)) => f.refresh_secs,
                _ => continue,
            };
            let http = http.clone();
            let clock = clock.clone();
            let base = base.clone();
            tokio::spawn(async move {
                let mut backoff = 1u64;
                loop {
                    let wait = match src.refresh(&http, &base, clock.now()).await {
                        Ok(()) => {
                            backoff = 1;
                            every
                        }
                        Err(_) if !src.available() => {
                            backoff = (backoff * 2).min(60);
                            backoff
                        }
                        Err(_) => every.min(300),
                    };
                    tokio::time::sleep(Duration::from_secs(wait)).await;
                }
            });
        }
    }
}
