//! A minimal W3C WebDriver client (plain JSON over HTTP) driving headless
//! Chromium through chromedriver, for the browser tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Driver {
    child: Child,
    http: reqwest::Client,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Ending the WebDriver session makes chromedriver close Chromium;
        // killing chromedriver alone would leave the browser running.
        // Plain HTTP over a blocking socket: no runtime in a destructor.
        use std::io::{Read, Write};
        if let Some(hostport) = self.base.strip_prefix("http://")
            && let Ok(mut tcp) = std::net::TcpStream::connect(hostport)
        {
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = write!(
                tcp,
                "DELETE /session/{} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session
            );
            let _ = tcp.read_to_end(&mut Vec::new());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `PORTTIVAHTI_TEST_CHROMEDRIVER` names chromedriver; `None` when unset.
pub fn chromedriver() -> Option<String> {
    crate::common::needed("PORTTIVAHTI_TEST_CHROMEDRIVER")
}

impl Driver {
    pub async fn start(chromedriver: &str, lang: &str) -> Self {
        // Port 0: chromedriver binds a port of its own and says which.
        let mut child = Command::new(chromedriver)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e}"));
        let out = child.stdout.take().unwrap();
        let port = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut lines = std::io::BufReader::new(out).lines();
            let port = lines.by_ref().map_while(Result::ok).find_map(|l| {
                l.split_once("started successfully on port ")
                    .and_then(|(_, p)| p.trim_end_matches('.').trim().parse::<u16>().ok())
            });
            // Go on draining what it writes later.
            std::thread::spawn(move || lines.for_each(drop));
            port
        })
        .await
        .unwrap()
        .expect("chromedriver did not say which port it listens on");
        let http = porttivahti::http_client_builder().build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": std::env::var("PORTTIVAHTI_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1200,900",
                    format!("--lang={lang}"), format!("--user-data-dir={}", profile.path().display())
                ],
                "prefs": { "intl.accept_languages": lang }
            }
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_string();
        Self {
            child,
            http,
            base,
            session,
            _profile: profile,
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = self.http.request(method, url);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if v["value"].get("error").is_some() {
            panic!("WebDriver {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Waits up to 10 s for an element matching the CSS selector.
    pub async fn find(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            let url = format!("{}/session/{}/element", self.base, self.session);
            let v: Value = self
                .http
                .post(url)
                .json(&json!({ "using": "css selector", "value": css }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(id) = v["value"][ELEMENT].as_str() {
                return id.to_string();
            }
            if started.elapsed() > Duration::from_secs(10) {
                panic!(
                    "no element {css:?} on {}:\n{}",
                    self.url().await,
                    self.source().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/clear"),
            Some(json!({})),
        )
        .await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{el}/text"), None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Waits until the page source contains `needle`.
    pub async fn wait_for(&self, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let s = self.source().await;
            if s.contains(needle) {
                return s;
            }
            if started.elapsed() > Duration::from_secs(10) {
                panic!("{needle:?} never appeared on {}:\n{s}", self.url().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `script` (a function body; `return` gives the value) in the page.
    pub async fn script(&self, script: &str) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// Clicks and waits until the next page has loaded (a form's answer).
    pub async fn click_to_next_page(&self, css: &str) {
        self.script("window.__pv_before = 1; return 0;").await;
        self.click(css).await;
        let started = Instant::now();
        loop {
            let done = self
                .script(
                    "return window.__pv_before === undefined && document.readyState === 'complete';",
                )
                .await;
            if done.as_bool() == Some(true) {
                return;
            }
            if started.elapsed() > Duration::from_secs(10) {
                panic!("no new page after clicking {css:?} on {}", self.url().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Forgets every cookie of the current site (a new visitor).
    pub async fn delete_cookies(&self) {
        self.cmd(reqwest::Method::DELETE, "/cookie", None).await;
    }

    /// A Chrome DevTools Protocol command through chromedriver.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
        .await
    }

    /// Shows pages as a screen `width` CSS pixels wide: a phone (with its
    /// viewport rules, `mobile`) or a desktop.
    pub async fn screen(&self, width: u32, height: u32, mobile: bool) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
        )
        .await;
    }

    /// How far the page reaches past the screen's right edge (CSS pixels;
    /// 0 when nothing scrolls sideways), and the widest element that does,
    /// to say what to fix.
    pub async fn overflow(&self) -> (i64, String) {
        let v = self
            .script(
                "const w = document.documentElement.clientWidth;
                 let worst = '', most = 0;
                 for (const e of document.querySelectorAll('body *')) {
                   const r = e.getBoundingClientRect();
                   if (r.right - w > most) { most = r.right - w;
                     worst = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''); }
                 }
                 return [document.documentElement.scrollWidth - w, worst];",
            )
            .await;
        (
            v[0].as_i64().unwrap_or(0),
            v[1].as_str().unwrap_or("").to_string(),
        )
    }

    /// Saves the whole page (beyond the screen's height) as a PNG.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let v = self
            .cdp(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true }),
            )
            .await;
        let png = base64_decode(v["data"].as_str().unwrap());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    porttivahti::crypto::b64_std_decode(s).unwrap()
}

/// The WebDriver WebAuthn extension (W3C WebAuthn §11): Chromium's virtual
/// authenticators, which really make keys and sign.
impl Driver {
    /// A platform authenticator with resident keys and user verification
    /// (a phone or laptop's passkey store); returns its id.
    pub async fn add_virtual_authenticator(&self, user_verified: bool) -> String {
        self.cmd(
            reqwest::Method::POST,
            "/webauthn/authenticator",
            Some(json!({
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserConsenting": true,
                "isUserVerified": user_verified,
            })),
        )
        .await
        .as_str()
        .unwrap()
        .to_string()
    }

    /// The credentials the authenticator holds.
    pub async fn virtual_credentials(&self, authenticator: &str) -> Vec<Value> {
        self.cmd(
            reqwest::Method::GET,
            &format!("/webauthn/authenticator/{authenticator}/credentials"),
            None,
        )
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
    }

    /// Removes the authenticator (and the credentials it holds).
    pub async fn remove_virtual_authenticator(&self, authenticator: &str) {
        self.cmd(
            reqwest::Method::DELETE,
            &format!("/webauthn/authenticator/{authenticator}"),
            None,
        )
        .await;
    }

    /// Puts a credential (as [`Driver::virtual_credentials`] lists it)
    /// into the authenticator.
    pub async fn add_virtual_credential(&self, authenticator: &str, credential: &Value) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/webauthn/authenticator/{authenticator}/credential"),
            Some(credential.clone()),
        )
        .await;
    }

    /// Whether the authenticator's user verification succeeds from now on.
    pub async fn set_user_verified(&self, authenticator: &str, verified: bool) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/webauthn/authenticator/{authenticator}/uv"),
            Some(json!({ "isUserVerified": verified })),
        )
        .await;
    }

    /// The value of a cookie the browser holds for the current page.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        let url = format!("{}/session/{}/cookie/{name}", self.base, self.session);
        let v: Value = self.http.get(url).send().await.ok()?.json().await.ok()?;
        v["value"]["value"].as_str().map(str::to_string)
    }

    /// Waits up to 10 s until the element matching `css` is shown.
    pub async fn wait_displayed(&self, css: &str) {
        let started = Instant::now();
        loop {
            let el = self.find(css).await;
            if self
                .cmd(
                    reqwest::Method::GET,
                    &format!("/element/{el}/displayed"),
                    None,
                )
                .await
                .as_bool()
                == Some(true)
            {
                return;
            }
            if started.elapsed() > Duration::from_secs(10) {
                panic!(
                    "{css:?} never shown on {}:\n{}",
                    self.url().await,
                    self.source().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
