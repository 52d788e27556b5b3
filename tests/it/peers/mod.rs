//! The protocols against implementations no one in this project wrote, so
//! that a bug our code shares with our own test peers cannot pass:
//!
//! - `saml_pysaml2`: pysaml2 (with xmlsec1) as the organisation and
//!   Suomi.fi IdP, signing the response and/or the assertion, encrypting
//!   with AES-GCM or AES-CBC; its default 3DES is refused;
//! - `oidc_node`: node-oidc-provider as the upstream OpenID provider;
//! - `jose_node`: our JWE opened and JWS made by panva's `jose`;
//! - `suomifi_oidc_node`: node-oidc-provider on the Finnish Trust Network's
//!   OpenID Connect profile (signed request objects, private_key_jwt, ID
//!   tokens and userinfo signed then encrypted) as Suomi.fi over OIDC;
//! - `scim_python`: the compliance checker scim2-tester against `/scim/v2/`,
//!   and a provisioning flow driven by scim2-client;
//! - `webhooks`: signed events verified by the standardwebhooks library in
//!   a receiver of its own;
//! - `mobile_openssl`: `openssl cms -sign` makes the mobile signature;
//! - `fixed_values`: the e-Authorizations request header, the Suomi.fi
//!   subject and pairwise subjects against values computed once with
//!   Python's `hmac` module and written down.
//!
//! The peers are installed by `tests/peers/setup.sh` (pysaml2 into
//! `tests/peers/.venv`, node-oidc-provider into `tests/peers/node_modules`;
//! xmlsec1, node and openssl from the system). They run when
//! `PORTTIVAHTI_TEST_PEERS` is set (`.ci/run` sets it), and then a missing
//! peer fails; otherwise they are skipped like the other tests that need
//! something from outside. The fixed values need nothing and always run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixed_values;
mod jose_node;
mod mobile_openssl;
mod oidc_node;
mod saml_pysaml2;
mod scim_python;
mod suomifi_oidc_node;
mod webhooks;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// Where the peers' scripts and installations are.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

/// `true` when the peers are asked for (`PORTTIVAHTI_TEST_PEERS`, which
/// `.ci/run` sets) and `what` is there; a missing peer then fails the test.
/// Not asked for, the test is skipped, said loudly (`common::needed`).
fn present(what: &str, there: bool) -> bool {
    if crate::common::needed("PORTTIVAHTI_TEST_PEERS").is_none() {
        return false;
    }
    assert!(
        there,
        "{what} is missing and PORTTIVAHTI_TEST_PEERS is set: run tests/peers/setup.sh"
    );
    true
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// A peer process on loopback: its base URL (the first line it prints,
/// `listening <url>`) and what it wrote to standard error. Killed when
/// dropped; it also exits by itself when its standard input closes.
pub struct Peer {
    child: Child,
    pub base: String,
    stderr: Arc<Mutex<String>>,
}

impl Peer {
    async fn start(mut command: Command) -> Peer {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        // Standard error, and standard output after the first line, go to
        // the log (read to the end: a peer writing to a closed pipe dies).
        let stderr = Arc::new(Mutex::new(String::new()));
        let drain = |mut from: Box<dyn Read + Send>, sink: Arc<Mutex<String>>| {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = from.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        };
        drain(Box::new(child.stderr.take().unwrap()), stderr.clone());
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let sink = stderr.clone();
        let first = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            let read = out.read_line(&mut line).map(|_| line);
            drain(Box::new(out), sink);
            read
        });
        let line = tokio::time::timeout(std::time::Duration::from_secs(20), first)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{command:?} did not start in 20 s: {}",
                    stderr.lock().unwrap()
                )
            })
            .unwrap()
            .unwrap();
        let Some(base) = line.trim().strip_prefix("listening ") else {
            let _ = child.kill();
            panic!(
                "{command:?} did not start: {line:?}\n{}",
                stderr.lock().unwrap()
            );
        };
        Peer {
            base: base.to_string(),
            child,
            stderr,
        }
    }

    /// What the peer wrote to standard error so far (for failure messages).
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The pysaml2 IdP (`tests/peers/saml_idp.py`), or `None` when it is not
/// installed and not required.
pub async fn pysaml2_idp() -> Option<Peer> {
    let python = dir().join(".venv/bin/python");
    let there = python.is_file() && on_path("xmlsec1");
    if !present("pysaml2 (tests/peers/.venv) with xmlsec1", there) {
        return None;
    }
    let mut c = Command::new(python);
    c.arg("-W").arg("ignore").arg(dir().join("saml_idp.py"));
    Some(Peer::start(c).await)
}

/// The virtual environment's Python with scim2-tester and scim2-client,
/// or `None` when they are not installed and not required.
pub fn scim_python() -> Option<PathBuf> {
    let python = dir().join(".venv/bin/python");
    let there = python.is_file()
        && dir().join(".venv/installed-requirements.txt").is_file()
        && std::fs::read_to_string(dir().join(".venv/installed-requirements.txt"))
            .is_ok_and(|r| r.contains("scim2-tester"));
    present("scim2-tester and scim2-client (tests/peers/.venv)", there).then_some(python)
}

/// The webhook receiver (`tests/peers/webhook_receiver.py`, verifying with
/// the standardwebhooks library) for `secret`, answering 503 to its first
/// `fail_first` requests; `None` when it is not installed and not
/// required.
pub async fn webhook_receiver(secret: &str, fail_first: u32) -> Option<Peer> {
    let python = scim_python()?;
    let mut c = Command::new(python);
    c.arg("-W")
        .arg("ignore")
        .arg(dir().join("webhook_receiver.py"))
        .arg(secret)
        .arg(fail_first.to_string());
    Some(Peer::start(c).await)
}

/// node-oidc-provider (`tests/peers/oidc_provider.mjs`), or `None` when it
/// is not installed and not required.
pub async fn node_oidc_provider() -> Option<Peer> {
    let there = dir().join("node_modules/oidc-provider").is_dir() && on_path("node");
    if !present("node-oidc-provider (tests/peers/node_modules)", there) {
        return None;
    }
    let mut c = Command::new("node");
    c.arg(dir().join("oidc_provider.mjs"));
    Some(Peer::start(c).await)
}

/// node-oidc-provider on the Finnish Trust Network's OpenID Connect profile
/// (`tests/peers/ftn_provider.mjs`), or `None` when it is not installed and
/// not required.
pub async fn ftn_provider() -> Option<Peer> {
    let there = dir().join("node_modules/oidc-provider").is_dir() && on_path("node");
    if !present("node-oidc-provider (tests/peers/node_modules)", there) {
        return None;
    }
    let mut c = Command::new("node");
    c.arg(dir().join("ftn_provider.mjs"));
    Some(Peer::start(c).await)
}

/// Whether the `openssl` command is there (or `false` after saying so).
pub fn openssl() -> bool {
    present("the openssl command", on_path("openssl"))
}
