//! Building the application from settings, and serving it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;

use crate::app::{AppState, Clients, SharedState};
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::Role;
use crate::identity::password::{PasswordPolicy, PasswordSource};
use crate::policy::Policy;
use crate::store::deadline::Deadline;
use crate::store::memory::MemoryEphemeral;
use crate::store::redis::RedisEphemeral;
use crate::store::sql::{PgDirectory, SqliteDirectory};
use crate::store::timed::{TimedDirectory, TimedEphemeral};
use crate::store::{
    AuditEvent, Directory, Ephemeral, EphemeralState, LiaisonContact, Membership, NewAccount,
    Organisation, StoreError, StoreResult,
};
use crate::telemetry::Metrics;
use crate::tokens::{Keyring, b64_std_decode, random_token};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("directory: {0}")]
    Directory(StoreError),
    #[error("ephemeral store: {0}")]
    Ephemeral(StoreError),
    #[error("{0}")]
    Unsupported(String),
    #[error("signing keys: {0}")]
    Keys(#[from] crate::tokens::KeyError),
    #[error("{0}")]
    Other(String),
}

/// Opens the directory named by `database_url`.
pub async fn open_directory(settings: &Settings) -> Result<Arc<dyn Directory>, StartupError> {
    let url = &settings.store.database_url;
    let max = settings.store.max_connections;
    if url.starts_with("sqlite:") {
        let d = SqliteDirectory::connect(url, max)
            .await
            .map_err(StartupError::Directory)?;
        Ok(Arc::new(d))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let st = &settings.store;
        let timeouts = crate::store::sql::PgTimeouts {
            statement: Duration::from_millis(st.statement_timeout_ms),
            acquire: Duration::from_millis(st.query_timeout_ms).min(Duration::from_secs(3)),
        };
        let d = PgDirectory::connect_with(url, max, timeouts)
            .await
            .map_err(StartupError::Directory)?;
        Ok(Arc::new(Deadline::new(
            d,
            Duration::from_millis(st.query_timeout_ms),
        )))
    } else {
        Err(StartupError::Unsupported(format!(
            "store.database_url {url:?}: use sqlite://… or postgres://…"
        )))
    }
}

/// Opens the ephemeral store: Redis when `redis_url` is set, else memory.
pub fn open_ephemeral(settings: &Settings) -> Result<Arc<dyn Ephemeral>, StartupError> {
    match &settings.store.redis_url {
        Some(url) => Ok(Arc::new(
            RedisEphemeral::connect(url, &settings.store.redis_prefix)
                .map_err(StartupError::Ephemeral)?,
        )),
        None => Ok(Arc::new(MemoryEphemeral::new())),
    }
}

pub struct Application {
    listener: TcpListener,
    tls_listener: Option<crate::web::tls::TlsListener>,
    state: SharedState,
}

impl Application {
    /// Binds the listener and builds everything the server needs.
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        let addr = settings.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        Self::build_on(settings, clock, listener).await
    }

    /// Builds everything the server needs around a listener bound already
    /// (a test that must know the address before the server is built binds
    /// once and passes it in, instead of reserving a port and rebinding).
    pub async fn build_on(
        mut settings: Settings,
        clock: Arc<dyn Clock>,
        listener: TcpListener,
    ) -> Result<Self, StartupError> {
        let started = Instant::now();
        let addr = settings.server.listen;
        let local = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { addr, source })?;
        // A public URL on port 0 (tests) follows the bound port.
        if settings
            .server
            .public_url
            .trim_end_matches('/')
            .ends_with(":0")
        {
            settings.server.public_url = format!("http://{local}");
        }
        // Every store operation is timed into the metrics.
        let metrics = Metrics::default();
        let eph = TimedEphemeral::wrap(open_ephemeral(&settings)?, metrics.store.clone());
        let dir = TimedDirectory::wrap(open_directory(&settings).await?, metrics.store.clone());
        seed(&*dir, &settings, clock.now()).await?;
        let kek = b64_std_decode(settings.secrets.key_encryption_key.expose())
            .map_err(|e| StartupError::Other(format!("secrets.key_encryption_key: {e}")))?;
        let keys = Keyring::load_or_create(&*dir, &kek, clock.now()).await?;
        let families = crate::tokens::family::FamilyKeys::from_kek(&kek)
            .ok_or_else(|| StartupError::Other("refresh-family keys".into()))?;
        let cookie_key_bytes = b64_std_decode(settings.secrets.cookie_key.expose())
            .map_err(|e| StartupError::Other(format!("secrets.cookie_key: {e}")))?;
        let cookie_key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &cookie_key_bytes);
        #[cfg(feature = "dev")]
        crate::web::dev::prepare(&mut settings).map_err(StartupError::Other)?;
        let passwords = PasswordSource::new(dir.clone(), &settings.password)
            .map_err(|e| StartupError::Other(e.to_string()))?;
        let password_policy = PasswordPolicy::new(
            settings.password.min_length,
            settings.password.blocklist_file.as_deref(),
        )
        .map_err(|e| StartupError::Other(format!("password.blocklist_file: {e}")))?;
        let self_ip = if local.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            local.ip()
        };
        let self_url = format!("http://{}", SocketAddr::new(self_ip, local.port()));
        // A CRL URL that is a path is this server's (development).
        let own = |u: &mut Option<String>| {
            if let Some(path) = u.as_mut().filter(|p| p.starts_with('/')) {
                *path = format!("{self_url}{path}");
            }
        };
        settings
            .card
            .issuers
            .iter_mut()
            .for_each(|i| own(&mut i.crl_url));
        settings
            .mobile
            .issuers
            .iter_mut()
            .for_each(|i| own(&mut i.crl_url));
        let http = crate::http_client_builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| StartupError::Other(e.to_string()))?;
        let cards = if settings.card.enabled {
            Some(Arc::new(
                crate::identity::card::CardVerifier::new(&settings.card)
                    .map_err(StartupError::Other)?,
            ))
        } else {
            None
        };
        let mobile = if settings.mobile.enabled {
            Some(Arc::new(
                crate::identity::mobile::MobileLogin::new(&settings.mobile)
                    .map_err(StartupError::Other)?,
            ))
        } else {
            None
        };
        let (tls_listener, tls_url) = match settings.server.tls_listen {
            Some(addr) => {
                let (l, url) = bind_tls(&settings, addr, cards.as_deref()).await?;
                (Some(l), Some(url))
            }
            None => (None, None),
        };
        let sources = Arc::new(
            crate::identity::sources::Sources::new(&settings, clock.now())
                .map_err(StartupError::Other)?,
        );
        let mandates = match &settings.suomifi_mandates {
            Some(m) => Some(
                crate::mandates::MandateClient::new(m.resolved(&self_url), clock.clone())
                    .map_err(|e| StartupError::Other(e.to_string()))?,
            ),
            None => None,
        };
        let oidc = Arc::new(crate::oidc::Provider {
            mandates,
            verified_tokens: Default::default(),
            people: Default::default(),
            unsettled: Default::default(),
            policy: Policy::new(settings.portals.clone()),
            clients: Clients::new(&settings.clients),
            eph: EphemeralState::new(eph),
            settings,
            dir,
            keys,
            clock,
            metrics,
            families,
            http,
            passwords,
        });
        let state = Arc::new(AppState {
            oidc,
            sources,
            self_url,
            password_policy,
            cookie_key,
            cards,
            mobile,
            tls_url,
            ready_log: Default::default(),
        });
        let ephemeral_ok = crate::web::routes::ops::ping_within("ephemeral", state.eph.ping())
            .await
            .is_ok();
        tracing::info!(
            listen = %local,
            tls_listen = tls_listener.as_ref().map(|l| tracing::field::display(l.addr())),
            issuer = state.issuer(),
            startup_ms = started.elapsed().as_millis() as u64,
            ephemeral = if ephemeral_ok { "ok" } else { "unreachable" },
            "Porttivahti listening"
        );
        if !ephemeral_ok {
            tracing::warn!(
                "the ephemeral store (Redis) is unreachable: /readyz says not ready until it returns"
            );
        }
        spawn_key_reloader(&state);
        spawn_retention(&state);
        spawn_event_worker(&state);
        spawn_crl_refresh(&state);
        state.sources.spawn_refresher(
            state.http.clone(),
            state.clock.clone(),
            state.self_url.clone(),
        );
        crate::oidc::logout::spawn_expiry_sweeper(&state.oidc);
        Ok(Self {
            listener,
            tls_listener,
            state,
        })
    }

    /// The bound address of the HTTPS listener, if there is one.
    pub fn tls_local_addr(&self) -> Option<SocketAddr> {
        self.tls_listener.as_ref().map(|l| l.addr())
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn state(&self) -> SharedState {
        self.state.clone()
    }

    /// What a person starting the server reads first: where to go, and
    /// which configuration file and database it serves from (a password
    /// in the database URL is not shown).
    pub fn banner(&self, config: &std::path::Path) -> String {
        let st = &self.state;
        let mut lines = vec![format!(
            "Porttivahti ({}) is listening on {}",
            match st.settings.server.environment {
                crate::config::Environment::Development => "development",
                crate::config::Environment::Production => "production",
            },
            self.local_addr()
        )];
        let mut row = |what: &str, value: String| lines.push(format!("  {what:<15} {value}"));
        if st.settings.demo.enabled {
            row("demo portal:", st.url("/demo/"));
        }
        row("login page:", st.url("/login"));
        row("administration:", st.url("/admin/"));
        if let Some(tls) = &st.tls_url {
            row("card login:", format!("{tls}/login/card"));
        }
        row("configuration:", config.display().to_string());
        row(
            "database:",
            without_password(&st.settings.store.database_url),
        );
        row(
            "session state:",
            match &st.settings.store.redis_url {
                Some(r) => without_password(r),
                None => "in memory (this process)".into(),
            },
        );
        lines.join("\n")
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = crate::web::router(self.state);
        let Some(tls) = self.tls_listener else {
            return axum::serve(
                self.listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown)
            .await;
        };
        // Both listeners stop on the one signal.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let tls_app = app
            .clone()
            .layer(axum::middleware::from_fn(crate::web::tls::tls_context));
        let plain = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(wait(stopped.clone()));
        let secure = axum::serve(
            tls,
            tls_app.into_make_service_with_connect_info::<crate::web::tls::TlsConnectInfo>(),
        )
        .with_graceful_shutdown(wait(stopped));
        let (a, b) = tokio::join!(plain, secure);
        a.and(b)
    }
}

/// Binds the HTTPS listener; returns it with its public base URL.
async fn bind_tls(
    settings: &Settings,
    addr: SocketAddr,
    cards: Option<&crate::identity::card::CardVerifier>,
) -> Result<(crate::web::tls::TlsListener, String), StartupError> {
    let tcp = TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })?;
    let local = tcp
        .local_addr()
        .map_err(|source| StartupError::Bind { addr, source })?;
    let config = crate::web::tls::server_config(
        &settings.server.tls_cert,
        &settings.server.tls_key,
        cards.is_some(),
        cards.map(|c| c.hint_subjects()).unwrap_or_default(),
    )
    .map_err(StartupError::Other)?;
    let url = match &settings.server.tls_public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let host = url::Url::parse(&settings.server.public_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| "localhost".into());
            format!("https://{host}:{}", local.port())
        }
    };
    let listener = crate::web::tls::TlsListener::new(tcp, config)
        .map_err(|source| StartupError::Bind { addr, source })?;
    Ok((listener, url))
}

/// Keeps the card CAs' revocation lists fresh in the background, so a
/// login seldom waits for a fetch.
fn spawn_crl_refresh(state: &SharedState) {
    if state.cards.is_none() && state.mobile.is_none() {
        return;
    }
    let weak = Arc::downgrade(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tick.tick().await;
            let Some(state) = weak.upgrade() else { break };
            if let Some(cards) = &state.cards {
                cards.refresh_crls(state.now()).await;
            }
            if let Some(mobile) = &state.mobile {
                mobile.refresh_crls(state.now()).await;
            }
        }
    });
}

/// Re-reads the signing keys now and then: another node may have added or
/// rotated one.
fn spawn_key_reloader(state: &SharedState) {
    let every = std::time::Duration::from_secs(state.settings.tokens.key_reload_secs.max(1));
    let weak = Arc::downgrade(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(state) = weak.upgrade() else { break };
            if let Err(e) = state.keys.reload(&*state.dir, state.now()).await {
                tracing::warn!(error = %e, "could not reload signing keys; keeping the current ones");
            }
        }
    });
}

/// Delivers signed events to the configured subscribers (`[events]`).
fn spawn_event_worker(state: &SharedState) {
    if state.settings.events.subscribers.is_empty() {
        return;
    }
    let every = std::time::Duration::from_millis(state.settings.events.poll_ms.max(50));
    let worker = crate::events::Worker::new(
        state.dir.clone(),
        state.http.clone(),
        state.settings.events.clone(),
        state.clock.clone(),
    );
    let weak = Arc::downgrade(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if weak.upgrade().is_none() {
                break;
            }
            if let Err(e) = worker.run_once().await {
                tracing::warn!(error = %e, "event delivery: the directory did not answer; trying again");
            }
        }
    });
}

/// Deletes audit events and delivered signed events past their
/// retention, once a day (and at start).
fn spawn_retention(state: &SharedState) {
    let days = state.settings.admin.audit_retention_days;
    let event_days = state.settings.events.retention_days;
    if days == 0 && event_days == 0 {
        return;
    }
    let weak = Arc::downgrade(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(86_400));
        loop {
            tick.tick().await;
            let Some(state) = weak.upgrade() else { break };
            if days > 0 {
                let before = state.now() - i64::from(days) * 86_400;
                match state.dir.purge_audit(before).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(deleted = n, days, "audit events past retention deleted")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "audit retention: could not delete old events")
                    }
                }
            }
            if event_days > 0 {
                match purge_events(&state, event_days).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        deleted = n,
                        days = event_days,
                        "delivered signed events past retention deleted"
                    ),
                    Err(e) => tracing::warn!(
                        error = %e,
                        "event retention: could not delete old events; trying again tomorrow"
                    ),
                }
            }
        }
    });
}

/// Deletes the signed events older than `days` that every configured
/// subscriber has reached and no delivery still needs.
pub async fn purge_events(state: &AppState, days: u32) -> StoreResult<u64> {
    let mut reached: Option<i64> = None;
    for s in &state.settings.events.subscribers {
        // A subscriber not seen yet starts at the newest event: it needs
        // none of the old ones.
        if let Some(c) = state.dir.event_cursor(&s.id).await? {
            reached = Some(reached.map_or(c, |r| r.min(c)));
        }
    }
    let before = state.now() - i64::from(days) * 86_400;
    state.dir.purge_events(before, reached).await
}

/// Writes the configured seed organisations and accounts that are missing.
pub async fn seed(dir: &dyn Directory, settings: &Settings, now: i64) -> Result<(), StartupError> {
    let store = StartupError::Directory;
    for o in &settings.seed.organisations {
        if dir.organisation(&o.id).await.map_err(store)?.is_some() {
            continue;
        }
        let org = Organisation {
            id: o.id.clone(),
            oid: o.oid.clone(),
            business_id: o.business_id.clone(),
            name_fi: o.name_fi.clone(),
            name_sv: o.name_sv.clone(),
            kind: o.kind,
            municipality: o.municipality.clone(),
            networks: o.networks.clone(),
        };
        let audit = AuditEvent::new(now, "seed", "organisation.created")
            .detail(serde_json::json!({ "org": o.id }));
        match dir.insert_organisation(&org, &audit).await {
            // Another node seeded it at the same moment.
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(store(e)),
        }
    }
    let hasher = crate::identity::password::Hasher::new(&settings.password)
        .map_err(|e| StartupError::Other(e.to_string()))?;
    for a in &settings.seed.accounts {
        if dir.credentials(&a.username).await.map_err(store)?.is_some() {
            continue;
        }
        // Without a password the account waits for a one-time password
        // (`porttivahti account reset-password`) or another login method.
        let hash = match &a.password {
            Some(p) => Some(
                hasher
                    .hash(p.expose())
                    .await
                    .map_err(|e| StartupError::Other(e.to_string()))?,
            ),
            None => None,
        };
        let id = random_token(12);
        let new = NewAccount {
            id: id.clone(),
            username: a.username.clone(),
            given_name: a.given_name.clone(),
            family_name: a.family_name.clone(),
            email: a.email.clone(),
            phone: a.phone.clone(),
            title: a.title.clone(),
            password_hash: hash,
            must_change_password: a.must_change_password,
            created_at: now,
        };
        let mut memberships = vec![Membership {
            account_id: id.clone(),
            org_id: a.organisation.clone(),
            network: a.network,
            role: Role::Member,
        }];
        if a.role == Role::Liaison {
            memberships.push(Membership {
                role: Role::Liaison,
                ..memberships[0].clone()
            });
        }
        let audit = AuditEvent::new(now, "seed", "account.created")
            .subject(id.clone())
            .detail(serde_json::json!({ "username": a.username, "org": a.organisation }));
        match dir.create_account(&new, &memberships, &audit).await {
            Ok(_) => {}
            // Another node seeded it at the same moment.
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(store(e)),
        }
        if let Some(b32) = &a.totp_secret {
            let secret = crate::identity::totp::base32_decode(b32.expose()).ok_or_else(|| {
                StartupError::Other(format!(
                    "seed account {:?}: totp_secret is not base32",
                    a.username
                ))
            })?;
            let kek = b64_std_decode(settings.secrets.key_encryption_key.expose())
                .map_err(|e| StartupError::Other(e.to_string()))?;
            let sealer = crate::identity::second_factor_sealer(&kek)
                .ok_or_else(|| StartupError::Other("second-factor sealing key".into()))?;
            let audit = AuditEvent::new(now, "seed", "account.totp.enrolled").subject(id.clone());
            dir.set_totp_secret(&id, Some(&sealer.seal(&secret, id.as_bytes())), &audit)
                .await
                .map_err(store)?;
        }
        if a.role == Role::Liaison {
            let contact = LiaisonContact {
                account_id: id.clone(),
                org_id: a.organisation.clone(),
                network: a.network,
                name: format!("{} {}", a.given_name, a.family_name),
                email: a.published_email.clone(),
                phone: a.published_phone.clone(),
            };
            let audit =
                AuditEvent::new(now, "seed", "liaison.contact_published").subject(id.clone());
            dir.publish_liaison_contact(&contact, &audit)
                .await
                .map_err(store)?;
        }
        tracing::info!(username = %a.username, "seeded account");
    }
    for username in &settings.seed.operators {
        let Some((a, _)) = dir.credentials(username).await.map_err(store)? else {
            return Err(StartupError::Other(format!(
                "seed.operators names {username:?}, which is not an account"
            )));
        };
        if !dir.is_operator(&a.id).await.map_err(store)? {
            let audit = AuditEvent::new(now, "seed", "admin.operator.added").subject(a.id.clone());
            match dir.add_operator(&a.id, &audit).await {
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(store(e)),
            }
        }
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// A store URL with its password (if any) replaced by `***`.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_banner_shows_no_store_password() {
        assert_eq!(
            super::without_password("postgres://pv:s3cret@db.example:5432/pv"),
            "postgres://pv:***@db.example:5432/pv"
        );
        assert_eq!(
            super::without_password("redis://:s3cret@127.0.0.1:6379/0"),
            "redis://:***@127.0.0.1:6379/0"
        );
        assert_eq!(
            super::without_password("sqlite://data/porttivahti.db"),
            "sqlite://data/porttivahti.db"
        );
    }
}
