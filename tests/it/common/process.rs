//! The gateway's binary as a process of its own, on a port it binds
//! itself: the test reads the bound address from the banner the server
//! prints when it listens, so no port is reserved, dropped and bound again.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The binary to run: `PORTTIVAHTI_TEST_BIN` (a copy, for a target
/// directory other builds share and may replace the one cargo names), or
/// the one cargo built for this test run.
pub fn server_bin() -> String {
    std::env::var("PORTTIVAHTI_TEST_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_porttivahti").to_string())
}

/// A started server and what it printed on its way to listening.
pub struct Listening {
    pub child: Child,
    /// The bound address, as `127.0.0.1:PORT`.
    pub addr: String,
    /// Every line of standard error up to the banner.
    pub stderr: Vec<String>,
    /// The rest of standard error, line by line, read on a thread of its
    /// own so that the server never blocks on a full pipe.
    pub rest: mpsc::Receiver<String>,
}

const BANNER: &str = " is listening on ";

/// Starts `cmd` (a `serve` command whose listen address is
/// `127.0.0.1:0`) with its standard error piped, and waits (up to
/// `within`) for the banner that names the bound address. Panics with
/// what the server said if it exits or stays silent.
pub fn spawn_listening(mut cmd: Command, within: Duration) -> Listening {
    let mut child = cmd
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let stderr: ChildStderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let addr = line.split_once(BANNER).map(|(_, a)| a.trim().to_string());
                seen.push(line);
                if let Some(addr) = addr {
                    return Listening {
                        child,
                        addr,
                        stderr: seen,
                        rest: rx,
                    };
                }
            }
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!(
                    "the server did not say it was listening within {within:?} (exit: {status:?}):\n{}",
                    seen.join("\n")
                );
            }
        }
    }
}
