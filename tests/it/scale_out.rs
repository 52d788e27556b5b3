//! Several gateway nodes on one PostgreSQL and one Redis, and what happens
//! when a store goes away. Needs `PORTTIVAHTI_TEST_POSTGRES_URL` and
//! `PORTTIVAHTI_TEST_REDIS_URL` (CI sets both); without them these tests
//! say so and do nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use tokio::net::{TcpListener, TcpStream};

const PUBLIC: &str = "http://sso.test";

pub(crate) struct Node {
    pub(crate) child: Child,
    pub(crate) base: String,
    /// The node's standard error after its banner (kept so the reader
    /// thread goes on draining the pipe).
    _log: std::sync::mpsc::Receiver<String>,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) struct Cluster {
    config: tempfile::TempDir,
    /// The stores' URLs as the nodes are given them (the fault suite puts
    /// its proxies here).
    pub(crate) db: String,
    pub(crate) redis: String,
    prefix: String,
    /// Further settings for every node, as environment variables.
    pub(crate) env: Vec<(String, String)>,
}

impl Cluster {
    pub(crate) async fn new() -> Option<Self> {
        let (Some(pg), Some(redis)) = (postgres_admin_url(), redis_url()) else {
            eprintln!(
                "PORTTIVAHTI_TEST_POSTGRES_URL / PORTTIVAHTI_TEST_REDIS_URL not set: scale-out test not run"
            );
            return None;
        };
        let db = fresh_postgres_db(&pg).await;
        let config = tempfile::tempdir().unwrap();
        let digest = porttivahti::tokens::hex(&porttivahti::tokens::sha256(SVC_SECRET));
        std::fs::write(
            config.path().join("pv.toml"),
            TEST_CONFIG.replace("SVC_DIGEST", &digest),
        )
        .unwrap();
        Some(Self {
            config,
            db,
            redis,
            prefix: fresh_redis_prefix(),
            env: Vec::new(),
        })
    }

    pub(crate) fn command(&self) -> Command {
        let mut c = Command::new(crate::process::server_bin());
        c.arg("--config")
            .arg(self.config.path().join("pv.toml"))
            .env("PORTTIVAHTI__SERVER__PUBLIC_URL", PUBLIC)
            .env("PORTTIVAHTI__STORE__DATABASE_URL", &self.db)
            .env("PORTTIVAHTI__STORE__REDIS_URL", &self.redis)
            .env("PORTTIVAHTI__STORE__REDIS_PREFIX", &self.prefix)
            .env("PORTTIVAHTI__TOKENS__KEY_RELOAD_SECS", "1")
            .env("RUST_LOG", "warn")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        c
    }

    pub(crate) async fn node(&self) -> Node {
        // The node binds a port of its own and names it in its banner.
        let mut cmd = self.command();
        cmd.arg("serve")
            .env("PORTTIVAHTI__SERVER__LISTEN", "127.0.0.1:0");
        let up = tokio::task::spawn_blocking(move || {
            crate::process::spawn_listening(cmd, Duration::from_secs(20))
        })
        .await
        .unwrap();
        let node = Node {
            child: up.child,
            base: format!("http://{}", up.addr),
            _log: up.rest,
        };
        let started = Instant::now();
        loop {
            if let Ok(r) = porttivahti::http_client_builder()
                .build()
                .unwrap()
                .get(format!("{}/readyz", node.base))
                .send()
                .await
                && r.status() == 200
            {
                return node;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "node did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub(crate) fn browser(base: &str) -> Browser {
    Browser {
        http: porttivahti::http_client_builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: base.to_string(),
    }
}

pub(crate) fn authorize(
    base: &str,
    client: &str,
    redirect: &str,
    challenge: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut u = url::Url::parse(&format!("{base}/authorize")).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client)
        .append_pair("redirect_uri", redirect)
        .append_pair("scope", "openid profile")
        .append_pair("state", "s")
        .append_pair("nonce", "n")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .extend_pairs(extra);
    u.to_string()
}

async fn token(base: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{base}/token"))
        .basic_auth("portal-a", Some("secret-a-0123456789"))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn cc_kid(base: &str) -> String {
    let r: serde_json::Value = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{base}/token"))
        .basic_auth("svc", Some(SVC_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwt_header(r["access_token"].as_str().unwrap())["kid"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_serve_one_region_together() {
    let Some(cluster) = Cluster::new().await else {
        return;
    };
    let a = cluster.node().await;
    let b = cluster.node().await;
    let cb = "https://a.example/cb";

    // Log in through node A; the code is redeemed on node B.
    let br = browser(&a.base);
    let (v, ch) = pkce();
    let back = br
        .authorize_with_login(
            &authorize(&a.base, "portal-a", cb, &ch, &[]),
            "anna.hoitaja",
            "Intermetso-demo-2026",
        )
        .await;
    let code = query_param(&back, "code").unwrap();
    let (s, t) = token(
        &b.base,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", cb),
            ("code_verifier", &v),
        ],
    )
    .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(jwt_payload(t["id_token"].as_str().unwrap())["iss"], PUBLIC);

    // Refresh on B, then on A with the rotated token; the old one is dead on both.
    let rt0 = t["refresh_token"].as_str().unwrap().to_string();
    let (s, t1) = token(
        &b.base,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt0)],
    )
    .await;
    assert_eq!(s, 200);
    let rt1 = t1["refresh_token"].as_str().unwrap().to_string();
    let (s, t2) = token(
        &a.base,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
    )
    .await;
    assert_eq!(s, 200);
    let rt2 = t2["refresh_token"].as_str().unwrap().to_string();

    // One code redeemed on both nodes at the same moment: exactly once.
    let (v2, ch2) = pkce();
    let r = br.get(&authorize(&a.base, "portal-a", cb, &ch2, &[])).await;
    let code = query_param(&location(&r), "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", cb),
        ("code_verifier", v2.as_str()),
    ];
    let (ra, rb) = tokio::join!(token(&a.base, &form), token(&b.base, &form));
    assert_eq!(
        [ra.0, rb.0].iter().filter(|s| **s == 200).count(),
        1,
        "{ra:?} {rb:?}"
    );
    // The same refresh token on both nodes at once: rotated exactly once.
    let f = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt2.as_str()),
    ];
    let (ra, rb) = tokio::join!(token(&a.base, &f), token(&b.base, &f));
    assert_eq!(
        [ra.0, rb.0].iter().filter(|s| **s == 200).count(),
        1,
        "{ra:?} {rb:?}"
    );

    // The session is shared: node B gives a code without a login.
    let (_, ch3) = pkce();
    let r = br
        .get(&authorize(
            &b.base,
            "portal-b",
            "https://b.example/cb",
            &ch3,
            &[("prompt", "none")],
        ))
        .await;
    assert!(
        query_param(&location(&r), "code").is_some(),
        "{}",
        location(&r)
    );

    // Log out on B: the session is gone on A too.
    let id_token = t1["id_token"].as_str().unwrap();
    let r = br
        .get(&format!(
            "{}/logout?id_token_hint={id_token}&post_logout_redirect_uri=https://a.example/bye",
            b.base
        ))
        .await;
    assert_eq!(location(&r), "https://a.example/bye");
    let r = br
        .get(&authorize(
            &a.base,
            "portal-a",
            cb,
            &ch3,
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        query_param(&location(&r), "error").as_deref(),
        Some("login_required")
    );
    let ui = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}/userinfo", a.base))
        .bearer_auth(t1["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), 401);

    // A key rotation made on one side is seen by both nodes.
    let old = cc_kid(&a.base).await;
    assert_eq!(
        cc_kid(&b.base).await,
        old,
        "both nodes sign with the same key"
    );
    let out = cluster.command().args(["keys", "rotate"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (ka, kb) = (cc_kid(&a.base).await, cc_kid(&b.base).await);
        if ka != old && kb != old {
            assert_eq!(ka, kb);
            break;
        }
        if Instant::now() >= deadline {
            let list = cluster.command().args(["keys", "list"]).output().unwrap();
            panic!(
                "nodes did not pick up the new key: old {old}, a {ka}, b {kb}; rotate said {}; keys:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&list.stdout),
                String::from_utf8_lossy(&list.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let jwks: serde_json::Value = reqwest::get(format!("{}/jwks", b.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        2,
        "the old key stays published"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_login_loses_nothing_else() {
    let Some(cluster) = Cluster::new().await else {
        return;
    };
    let mut a = cluster.node().await;
    let b = cluster.node().await;
    let br = browser(&a.base);
    let (v, ch) = pkce();
    // The login starts on A ...
    let r = br
        .get(&authorize(
            &a.base,
            "portal-a",
            "https://a.example/cb",
            &ch,
            &[],
        ))
        .await;
    let login = location(&r);
    let page = br.get(&login).await.text().await.unwrap();
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    // ... and the form is posted to B, which carries it through.
    let r = br
        .http
        .post(format!("{}/login/password", b.base))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("ar", &hidden(&page, "ar")),
            ("username", "anna.hoitaja"),
            ("password", "Intermetso-demo-2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let code = query_param(&location(&r), "code").unwrap();
    let (s, _) = token(
        &b.base,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://a.example/cb"),
            ("code_verifier", &v),
        ],
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_a_service_desk_token_revoked_on_one_node_is_refused_on_the_other() {
    let Some(cluster) = Cluster::new().await else {
        return;
    };
    let a = cluster.node().await;
    let b = cluster.node().await;
    let http = porttivahti::http_client_builder().build().unwrap();
    let t: serde_json::Value = http
        .post(format!("{}/token", a.base))
        .basic_auth("desk-robot", Some(DESK_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let desk = t["access_token"].as_str().unwrap();
    let me = |base: String| {
        let http = http.clone();
        async move {
            http.get(format!("{base}/admin/api/v1/me"))
                .bearer_auth(desk)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        (me(a.base.clone()).await, me(b.base.clone()).await),
        (200, 200)
    );
    let r = http
        .post(format!("{}/revoke", a.base))
        .basic_auth("desk-robot", Some(DESK_SECRET))
        .form(&[("token", desk)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        (me(a.base.clone()).await, me(b.base.clone()).await),
        (401, 401)
    );
    hostile_refused(
        "hostile_a_service_desk_token_revoked_on_one_node_is_refused_on_the_other",
        2,
    );
}

/// A TCP forwarder that the test can cut and restore, standing between a
/// node and a store server.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    conns: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (up2, conns2) = (up.clone(), conns.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let upstream = upstream.clone();
                let h = tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                conns2.lock().unwrap().push(h.abort_handle());
            }
        });
        Self { port, up, conns }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn host_port(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        u.host_str().unwrap(),
        u.port_or_known_default().unwrap()
    )
}

fn via(url: &str, port: u16) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.set_port(Some(port)).unwrap();
    u.set_host(Some("127.0.0.1")).unwrap();
    u.to_string()
}

async fn wait_ready(base: &str, want: u16) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = reqwest::get(format!("{base}/readyz")).await.unwrap();
        let s = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap();
        if s == want {
            return body;
        }
        assert!(Instant::now() < deadline, "readyz stayed {s}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_outages_give_clear_errors_and_the_node_recovers() {
    let (Some(pg), Some(redis)) = (postgres_admin_url(), redis_url()) else {
        eprintln!(
            "PORTTIVAHTI_TEST_POSTGRES_URL / PORTTIVAHTI_TEST_REDIS_URL not set: fault test not run"
        );
        return;
    };
    let db = fresh_postgres_db(&pg).await;
    let pg_proxy = Proxy::start(host_port(&db)).await;
    let redis_proxy = Proxy::start(host_port(&redis)).await;
    let (db_via, redis_via) = (via(&db, pg_proxy.port), via(&redis, redis_proxy.port));
    let app = spawn_app_with(move |s| {
        s.store.database_url = db_via;
        s.store.redis_url = Some(redis_via);
        s.store.redis_prefix = fresh_redis_prefix();
    })
    .await;
    let br = Browser::new(&app);
    let (_, ch) = pkce();
    let cb = "https://a.example/cb";
    wait_ready(&app.base, 200).await;

    for (name, proxy) in [("ephemeral", &redis_proxy), ("directory", &pg_proxy)] {
        let r = br
            .get(&auth_url(
                &app,
                "portal-a",
                cb,
                Some(&ch),
                &[("prompt", "login")],
            ))
            .await;
        let login = location(&r);
        let page = br.get(&login).await.text().await.unwrap();
        proxy.cut();
        let body = wait_ready(&app.base, 503).await;
        assert_eq!(body[name], "unavailable", "{body}");
        // A person gets a clear page, not a hang or a stack trace.
        let started = Instant::now();
        let r = br
            .http
            .post(format!("{}/login/password", app.base))
            .form(&[
                ("csrf", hidden(&page, "csrf").as_str()),
                ("ar", &hidden(&page, "ar")),
                ("username", "anna.hoitaja"),
                ("password", "Intermetso-demo-2026"),
            ])
            .send()
            .await
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "answered in time"
        );
        assert_eq!(r.status(), 503, "{name} down");
        assert!(r.headers().get("retry-after").is_some());
        let text = r.text().await.unwrap();
        assert!(text.contains("tilapäisesti poissa käytöstä"), "{text}");
        assert!(
            !text.contains("redis") && !text.contains("sqlx") && !text.contains("pool"),
            "no internals: {text}"
        );
        // Portals get a standard OAuth error.
        let r = porttivahti::http_client_builder()
            .build()
            .unwrap()
            .post(format!("{}/token", app.base))
            .basic_auth("portal-a", Some("secret-a-0123456789"))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", "x.y")])
            .send()
            .await
            .unwrap();
        if name == "ephemeral" {
            assert_eq!(r.status(), 503);
            assert_eq!(
                r.json::<serde_json::Value>().await.unwrap()["error"],
                "temporarily_unavailable"
            );
        }
        // The store returns; the node recovers by itself.
        proxy.restore();
        wait_ready(&app.base, 200).await;
        let back = br
            .authorize_with_login(
                &auth_url(&app, "portal-a", cb, Some(&ch), &[("prompt", "login")]),
                "anna.hoitaja",
                "Intermetso-demo-2026",
            )
            .await;
        assert!(query_param(&back, "code").is_some(), "{name}: works again");
    }
    // No login was half-recorded during the outages: the failures counter
    // is untouched and the account is active.
    let (a, _) = app
        .state
        .dir
        .credentials("anna.hoitaja")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.failed_logins, 0);
}
