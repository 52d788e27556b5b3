//! Test harness: the real application on port 0 with a fresh database, a
//! browser with a cookie jar, and a real OpenID Connect client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use porttivahti::app::SharedState;
use porttivahti::clock::ManualClock;
use porttivahti::config::Settings;
use porttivahti::startup::Application;

/// A development configuration (demo portal, seeded passwords, weak
/// secrets): production refuses it. Tests of production behaviour set
/// `PORTTIVAHTI__SERVER__ENVIRONMENT=production`.
pub const TEST_CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:0"
environment = "development"

[secrets]
key_encryption_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
cookie_key = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="

[password]
argon2_memory_kib = 256
argon2_iterations = 1
lock_after_failures = 5
min_length = 12

[rate_limit]
login_per_ip = 1000
login_per_account = 10
window_secs = 300

[service_desk]
name = "Testin palvelupiste"
email = "desk@example.fi"
phone = "014 000 0000"

[[portals]]
id = "intermetso"
name = "Intermetso"
[[portals.access]]
networks = ["intermetso"]

[[portals]]
id = "sonette"
name = "Sonette"
[[portals.access]]
networks = ["sonette"]

[[portals]]
id = "hopo"
name = "Hopo"
[[portals.access]]
via_portals = ["intermetso", "sonette"]

[[clients]]
client_id = "portal-a"
portal = "hopo"
secret = "secret-a-0123456789"
redirect_uris = ["https://a.example/cb"]
post_logout_redirect_uris = ["https://a.example/bye"]

[[clients]]
client_id = "portal-b"
portal = "hopo"
redirect_uris = ["https://b.example/cb"]

[[clients]]
client_id = "intermetso-portal"
portal = "intermetso"
secret = "secret-i-0123456789"
redirect_uris = ["https://intermetso.example/cb"]

[[clients]]
client_id = "svc"
portal = "hopo"
secret_sha256 = "SVC_DIGEST"
grant_types = ["client_credentials"]
service_audience = "hopo-api"

[[clients]]
client_id = "desk-robot"
portal = "hopo"
secret = "desk-robot-secret-0123456789"
grant_types = ["client_credentials"]
service_audience = "porttivahti-admin"
service_desk = true

[demo]
enabled = true
client_id = "portal-a"
client_secret = "secret-a-0123456789"

[[seed.organisations]]
id = "jkl"
name_fi = "Jyväskylän terveyskeskus"
name_sv = "Jyväskylä hälsocentral"
business_id = "0208153-7"
oid = "1.2.246.10.208153.10.0"
kind = "health_centre"
networks = ["intermetso"]

[[seed.organisations]]
id = "sos"
name_fi = "Sosiaalipalvelut"
name_sv = "Socialtjänster"
business_id = "1943231-3"
oid = "1.2.246.10.1943231.10.0"
kind = "social_services"
networks = ["sonette"]

[[seed.accounts]]
username = "anna.hoitaja"
password = "Intermetso-demo-2026"
given_name = "Anna"
family_name = "Hoitaja"
email = "anna@example.fi"
organisation = "jkl"
network = "intermetso"

[[seed.accounts]]
username = "sami.sosiaali"
password = "Sonette-demo-2026"
given_name = "Sami"
family_name = "Sosiaali"
organisation = "sos"
network = "sonette"

[[seed.accounts]]
username = "sonja.liaison"
password = "Sonette-yhteys-2026"
given_name = "Sonja"
family_name = "Sosionomi"
organisation = "sos"
network = "sonette"
role = "liaison"
published_email = "sonette-tunnukset@example.fi"
published_phone = "014 266 1111"

[[seed.accounts]]
username = "liisa.yhteys"
password = "Yhteys-demo-2026"
given_name = "Liisa"
family_name = "Yhteyshenkilö"
organisation = "jkl"
network = "intermetso"
role = "liaison"
totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
published_email = "intermetso-tunnukset@example.fi"

[[seed.accounts]]
username = "ville.vaihto"
password = "Vaihda-heti-2026"
given_name = "Ville"
family_name = "Vaihtaja"
organisation = "jkl"
network = "intermetso"
must_change_password = true
"#;

pub const SVC_SECRET: &str = "svc-secret-abcdefghijklmnopqrstuvwxyz";
/// The service desk's own client (`service_desk = true`).
pub const DESK_SECRET: &str = "desk-robot-secret-0123456789";

pub struct TestApp {
    pub base: String,
    /// The HTTPS listener, when `server.tls_listen` is set.
    pub tls: Option<std::net::SocketAddr>,
    pub state: SharedState,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_extra("", &[], tweak).await
}

/// The test application with `extra` TOML after [`TEST_CONFIG`] (more
/// `[[sources]]`, `[[portals]]`, …) and `env` overrides.
pub async fn spawn_app_extra(
    extra: &str,
    env: &[(&str, &str)],
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    spawn_app_extra_on(listener, extra, env, tweak).await
}

/// [`spawn_app_extra`] serving on `listener`, bound by the caller (whose
/// address another peer must know before the application starts).
pub async fn spawn_app_extra_on(
    listener: tokio::net::TcpListener,
    extra: &str,
    env: &[(&str, &str)],
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    install_logs();
    let dir = tempfile::tempdir().unwrap();
    let digest = porttivahti::tokens::hex(&porttivahti::tokens::sha256(SVC_SECRET));
    let text = format!("{}\n{extra}", TEST_CONFIG.replace("SVC_DIGEST", &digest));
    let db = format!("sqlite://{}/pv.db", dir.path().display());
    let mut vars = vec![("PORTTIVAHTI__STORE__DATABASE_URL".to_string(), db)];
    vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut settings = Settings::parse(&text, Path::new("test"), vars).unwrap();
    tweak(&mut settings);
    let clock = Arc::new(ManualClock::starting_now());
    let app = Application::build_on(settings, clock.clone(), listener)
        .await
        .unwrap();
    let base = format!("http://{}", app.local_addr());
    let tls = app.tls_local_addr();
    let state = app.state();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        base,
        tls,
        state,
        clock,
        _dir: dir,
    }
}

/// The application on the shipped development configuration
/// (`config/porttivahti.toml`: demo portals, development IdP and
/// e-Authorizations service, demo data) on free ports with a fresh
/// database, seeded as `serve` seeds it.
pub async fn spawn_shipped() -> TestApp {
    install_logs();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/pv.db", dir.path().display());
    let vars = [
        ("PORTTIVAHTI__STORE__DATABASE_URL", db.as_str()),
        ("PORTTIVAHTI__SERVER__LISTEN", "127.0.0.1:0"),
        ("PORTTIVAHTI__SERVER__PUBLIC_URL", "http://127.0.0.1:0"),
        ("PORTTIVAHTI__SERVER__TLS_LISTEN", "127.0.0.1:0"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    let settings = Settings::load(Some(Path::new("config/porttivahti.toml")), vars).unwrap();
    let clock = Arc::new(ManualClock::starting_now());
    let app = Application::build(settings, clock.clone()).await.unwrap();
    let state = app.state();
    porttivahti::startup::seed(&*state.dir, &state.settings, clock_now_of(&clock))
        .await
        .unwrap();
    let base = format!("http://{}", app.local_addr());
    let tls = app.tls_local_addr();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        base,
        tls,
        state,
        clock,
        _dir: dir,
    }
}

fn clock_now_of(clock: &ManualClock) -> i64 {
    use porttivahti::clock::Clock;
    clock.now()
}

/// A browser: keeps cookies, does not follow redirects.
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location header; status {}", r.status()))
        .to_str()
        .unwrap()
        .to_string()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let u = url::Url::parse(url).unwrap();
    u.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The value of a hidden input in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name} in page"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            http: porttivahti::http_client_builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
        }
    }

    pub async fn get(&self, path_or_url: &str) -> reqwest::Response {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("{}{}", self.base, path_or_url)
        };
        self.http.get(url).send().await.unwrap()
    }

    /// Opens the login page at `login_url` and submits the password form.
    pub async fn submit_login(
        &self,
        login_url: &str,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = self.get(login_url).await.text().await.unwrap();
        let csrf = hidden(&page, "csrf");
        let ar = hidden(&page, "ar");
        self.http
            .post(format!("{}/login/password", self.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("ar", &ar),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Follows an authorization URL through the login page to the
    /// redirect back to the portal; returns that redirect URL.
    pub async fn authorize_with_login(
        &self,
        auth_url: &str,
        username: &str,
        password: &str,
    ) -> String {
        let r = self.get(auth_url).await;
        assert_eq!(r.status(), 303, "authorize should redirect to login");
        let login = location(&r);
        assert!(login.starts_with("/login?ar="), "{login}");
        let r = self.submit_login(&login, username, password).await;
        assert_eq!(
            r.status(),
            303,
            "login should redirect: {}",
            r.text().await.unwrap()
        );
        location(&r)
    }
}

/// A PKCE pair (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    let verifier = porttivahti::tokens::random_token(48);
    let challenge = porttivahti::tokens::b64url(porttivahti::tokens::sha256(&verifier));
    (verifier, challenge)
}

pub fn auth_url(
    app: &TestApp,
    client: &str,
    redirect: &str,
    challenge: Option<&str>,
    extra: &[(&str, &str)],
) -> String {
    let mut u = url::Url::parse(&format!("{}/authorize", app.base)).unwrap();
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", client)
            .append_pair("redirect_uri", redirect)
            .append_pair("scope", "openid profile email")
            .append_pair("state", "st-123")
            .append_pair("nonce", "n-456");
        if let Some(c) = challenge {
            q.append_pair("code_challenge", c)
                .append_pair("code_challenge_method", "S256");
        }
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    u.to_string()
}

/// Exchanges a code at the token endpoint with HTTP Basic.
pub async fn exchange(
    app: &TestApp,
    client: &str,
    secret: Option<&str>,
    code: &str,
    redirect: &str,
    verifier: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    let req = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base));
    let req = match secret {
        Some(s) => req.basic_auth(client, Some(s)),
        None => {
            form.push(("client_id", client));
            req
        }
    };
    req.form(&form).send().await.unwrap()
}

pub async fn refresh(app: &TestApp, client: &str, secret: &str, token: &str) -> reqwest::Response {
    porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base))
        .basic_auth(client, Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap()
}

/// The JSON payload of a JWT, unverified (for reading claims a test has
/// verified another way).
pub fn jwt_payload(token: &str) -> serde_json::Value {
    let p = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&porttivahti::tokens::b64url_decode(p).unwrap()).unwrap()
}

pub fn jwt_header(token: &str) -> serde_json::Value {
    let p = token.split('.').next().unwrap();
    serde_json::from_slice(&porttivahti::tokens::b64url_decode(p).unwrap()).unwrap()
}

impl TestApp {
    pub fn clock_now(&self) -> i64 {
        use porttivahti::clock::Clock;
        self.clock.now()
    }
}

/// PostgreSQL for the scale-out tests: `PORTTIVAHTI_TEST_POSTGRES_URL`
/// (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), `None` when unset.
/// CI sets it, so an unreachable server fails there rather than skipping.
pub fn postgres_admin_url() -> Option<String> {
    needed("PORTTIVAHTI_TEST_POSTGRES_URL")
}

pub fn redis_url() -> Option<String> {
    needed("PORTTIVAHTI_TEST_REDIS_URL")
}

/// What a test needs from outside (a server's URL, a tool's path), from
/// the environment variable `var`. When it is missing the test does not
/// run — said loudly: a `SKIPPED` line on stderr at once (past the test
/// harness's capture) and a summary when the binary exits. With
/// `PORTTIVAHTI_TEST_REQUIRE_ALL=1` (as `.ci/run` sets) a missing one
/// fails the test instead.
pub fn needed(var: &str) -> Option<String> {
    if let Some(v) = std::env::var(var).ok().filter(|s| !s.is_empty()) {
        return Some(v);
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if std::env::var("PORTTIVAHTI_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("{test} needs {var} (PORTTIVAHTI_TEST_REQUIRE_ALL=1: nothing may be skipped)");
    }
    let line = format!("SKIPPED {test}: {var} is not set\n");
    use std::io::Write;
    let _ = std::io::stderr().write_all(line.as_bytes());
    let mut skipped = SKIPPED.lock().unwrap();
    if skipped.is_empty() {
        // SAFETY: registers a plain `extern "C"` function without
        // captures; it only reads a static.
        unsafe { libc::atexit(skipped_summary) };
    }
    skipped.push(line);
    None
}

static SKIPPED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

extern "C" fn skipped_summary() {
    use std::io::Write;
    let Ok(skipped) = SKIPPED.lock() else { return };
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "\n{} test(s) did NOT run (they reported ok):",
        skipped.len()
    );
    for line in skipped.iter() {
        let _ = err.write_all(line.as_bytes());
    }
}

/// Creates a fresh database on the test server and returns its URL.
pub async fn fresh_postgres_db(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!(
        "pv_test_{}",
        porttivahti::tokens::random_token(9)
            .to_lowercase()
            .replace(['-', '_'], "x")
    );
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is not reachable: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let mut u = url::Url::parse(admin_url).unwrap();
    u.set_path(&format!("/{name}"));
    u.to_string()
}

/// A fresh key prefix on the test Redis.
pub fn fresh_redis_prefix() -> String {
    format!("pvtest:{}:", porttivahti::tokens::random_token(9))
}

/// Makes `username` a service-desk operator, as `porttivahti operator
/// add` does; returns the account id.
pub async fn make_operator(app: &TestApp, username: &str) -> String {
    let id = account_id(app, username).await;
    app.state
        .dir
        .add_operator(
            &id,
            &porttivahti::store::AuditEvent::new(app.clock_now(), "cli", "admin.operator.added")
                .subject(id.clone()),
        )
        .await
        .unwrap();
    id
}

/// A browser holding a session as after a password and second-factor login
/// (that login itself is tested in its own file), for the admin tests.
pub async fn strong_browser(app: &TestApp, username: &str) -> Browser {
    use porttivahti::domain::{AuthMethod, LoA};
    use porttivahti::store::ephemeral::Session;
    let (a, _) = app.state.dir.credentials(username).await.unwrap().unwrap();
    let now = app.clock_now();
    let session = Session {
        sid: porttivahti::tokens::random_token(16),
        account_id: a.id,
        auth_time: now,
        expires_at: now + 3600,
        loa: LoA::Low,
        methods: vec![AuthMethod::Password, AuthMethod::Otp],
        source: "password".into(),
        card_type: None,
        source_org_kind: None,
        source_org: None,
        upstream: None,
        attributes: Default::default(),
        one_time_password: Default::default(),
    };
    let secret = porttivahti::tokens::random_token(32);
    app.state
        .eph
        .put_session(&porttivahti::tokens::hash_secret(&secret), &session, now)
        .await
        .unwrap();
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(
        &format!("pv_sid={secret}; Path=/"),
        &app.base.parse().unwrap(),
    );
    Browser {
        http: porttivahti::http_client_builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: app.base.clone(),
    }
}

pub async fn account_id(app: &TestApp, username: &str) -> String {
    app.state
        .dir
        .credentials(username)
        .await
        .unwrap()
        .unwrap()
        .0
        .id
}

/// Anna logs in through portal A in `b` and the portal redeems the code:
/// the token response, and the PKCE challenge used (for later requests).
pub async fn login_at_portal_a(app: &TestApp, b: &Browser) -> (serde_json::Value, String) {
    let (v, ch) = pkce();
    let back = b
        .authorize_with_login(
            &auth_url(app, "portal-a", "https://a.example/cb", Some(&ch), &[]),
            "anna.hoitaja",
            "Intermetso-demo-2026",
        )
        .await;
    let code = query_param(&back, "code").expect("a code");
    let t = exchange(
        app,
        "portal-a",
        Some("secret-a-0123456789"),
        &code,
        "https://a.example/cb",
        Some(&v),
    )
    .await
    .json()
    .await
    .unwrap();
    (t, ch)
}

/// Waits (up to 5 s) until every configured identity source has its
/// metadata or discovery document, which nodes fetch in the background.
pub async fn wait_for_sources(app: &TestApp) {
    let ready = || app.state.sources.all().iter().all(|s| s.available());
    for _ in 0..100 {
        if ready() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the identity sources' metadata did not load in 5 s");
}

/// Reports how many hostile inputs a `hostile_*` test saw refused. Written
/// straight to the process's standard error, past the test harness's capture,
/// so `cargo test hostile_` shows the count of every hostile test it ran.
pub fn hostile_refused(test: &str, refused: usize) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "hostile: {refused} hostile inputs refused by {test}"
    );
}

/// Every log line of the test binary: one subscriber for all its tests,
/// installed before the first application starts (the application's own
/// `telemetry::init` then leaves it in place). A test finds its own lines
/// by something only it logs, such as its responder's URL. With
/// `PORTTIVAHTI_TEST_LOGS=stderr` the lines are also written to stderr.
static LOGS: std::sync::OnceLock<Arc<std::sync::Mutex<Vec<u8>>>> = std::sync::OnceLock::new();

struct LogWriter {
    buf: Arc<std::sync::Mutex<Vec<u8>>>,
    echo: bool,
}

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.lock().unwrap().extend_from_slice(bytes);
        if self.echo {
            std::io::stderr().write_all(bytes)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the binary-wide log capture (once).
pub fn install_logs() {
    LOGS.get_or_init(|| {
        let buf = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = buf.clone();
        let echo = std::env::var("PORTTIVAHTI_TEST_LOGS").is_ok_and(|v| v == "stderr");
        // Another subscriber may be in place already (a binary of its own
        // that installed one): then this capture stays empty.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info,sqlx=warn"))
            .with_ansi(false)
            .with_writer(move || LogWriter {
                buf: sink.clone(),
                echo,
            })
            .try_init();
        buf
    });
}

/// Every captured log line that contains every one of `needles`.
pub fn log_lines(needles: &[&str]) -> Vec<String> {
    let Some(logs) = LOGS.get() else {
        return Vec::new();
    };
    let logs = logs.lock().unwrap().clone();
    String::from_utf8_lossy(&logs)
        .lines()
        .filter(|l| needles.iter().all(|n| l.contains(n)))
        .map(str::to_string)
        .collect()
}

/// The first captured log line that contains every one of `needles`.
pub fn log_line(needles: &[&str]) -> Option<String> {
    let logs = LOGS.get()?.lock().unwrap().clone();
    String::from_utf8_lossy(&logs)
        .lines()
        .find(|l| needles.iter().all(|n| l.contains(n)))
        .map(str::to_string)
}

/// Everything of the directory a refused administrative act could have
/// changed — organisations, accounts (names, contact data, status,
/// password hashes, authenticator secrets), memberships, operators and the
/// published liaison contacts — as one text to compare before and after.
/// The audit trail is left out: refusals are recorded there.
pub async fn directory_snapshot(app: &TestApp) -> String {
    use porttivahti::domain::Network;
    use porttivahti::store::AccountQuery;
    let dir = &app.state.dir;
    let mut out = Vec::new();
    let mut ids = std::collections::BTreeMap::new();
    for org in dir.organisations().await.unwrap() {
        out.push(format!("{org:?}"));
        let mut contacts = dir.liaison_contacts(&org.id).await.unwrap();
        contacts.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        out.push(format!("contacts {}: {contacts:?}", org.id));
        let q = AccountQuery {
            org_id: &org.id,
            networks: Network::ALL,
            text: "",
            reach_only: false,
            offset: 0,
            limit: 10_000,
        };
        for a in dir.find_accounts(&q).await.unwrap().0 {
            ids.insert(a.id.clone(), a.username.clone());
        }
    }
    for (id, username) in ids {
        let (account, hash) = dir.credentials(&username).await.unwrap().unwrap();
        let mut memberships = dir.memberships(&id).await.unwrap();
        memberships.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        out.push(format!(
            "{account:?} hash={hash:?} totp={:?} operator={} memberships={memberships:?}",
            dir.totp_secret(&id).await.unwrap(),
            dir.is_operator(&id).await.unwrap()
        ));
    }
    out.join("\n")
}

/// A loopback port that refuses connections for as long as the returned
/// socket lives: bound, never listening, so no other test can take it
/// (instead of assuming some port is closed, or binding and dropping).
pub fn refusing_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}
