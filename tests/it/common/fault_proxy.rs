//! A TCP proxy between a gateway node and a store server that a test
//! switches between three modes, the ways a store goes away:
//!
//! - `Forward`: passes bytes both ways.
//! - `Refuse`: the store is down: open connections are closed and new
//!   ones are refused (the listening socket is closed; it is bound again,
//!   on the same port, when forwarding resumes).
//! - `BlackHole`: the network holds everything: open connections stay
//!   open but nothing passes, new connections are accepted and get
//!   nothing. When forwarding resumes, what was held is delivered (like a
//!   partition that heals).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Forward,
    Refuse,
    BlackHole,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Forward => "forward",
            Mode::Refuse => "refuse",
            Mode::BlackHole => "black-hole",
        }
    }
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    upstream: String,
    mode: watch::Sender<Mode>,
    /// The accept loop (absent while refusing) and every connection's pumps.
    listener: Mutex<Option<AbortHandle>>,
    conns: Arc<Mutex<Vec<AbortHandle>>>,
}

impl FaultProxy {
    /// Starts forwarding to `upstream` (`host:port`) on a free loopback port.
    pub async fn start(upstream: &str) -> Self {
        let addr = bind("127.0.0.1:0".parse().unwrap())
            .unwrap()
            .local_addr()
            .unwrap();
        let (mode, _) = watch::channel(Mode::Forward);
        let p = Self {
            addr,
            upstream: upstream.to_string(),
            mode,
            listener: Mutex::new(None),
            conns: Arc::default(),
        };
        assert!(p.try_listen());
        p
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn mode(&self) -> Mode {
        *self.mode.borrow()
    }

    pub async fn set(&self, m: Mode) {
        let before = self.mode();
        self.mode.send_replace(m);
        if m == Mode::Refuse {
            if let Some(h) = self.listener.lock().unwrap().take() {
                h.abort();
            }
            for h in self.conns.lock().unwrap().drain(..) {
                h.abort();
            }
        } else if before == Mode::Refuse {
            // The closed listener's task lets go of the port when it is
            // next polled: bind again once it has.
            for _ in 0..200 {
                if self.try_listen() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            panic!("the proxy could not listen on {} again", self.addr);
        }
    }

    /// Listens on the proxy's port; false when it is still taken.
    fn try_listen(&self) -> bool {
        let Ok(listener) = bind(self.addr).and_then(|s| s.listen(256)) else {
            return false;
        };
        let upstream = self.upstream.clone();
        let mode = self.mode.subscribe();
        let conns = self.conns.clone();
        let h = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                let (upstream, mut mode) = (upstream.clone(), mode.clone());
                let h = tokio::spawn(async move {
                    // A black hole holds a new connection unanswered.
                    if mode.wait_for(|m| *m == Mode::Forward).await.is_err() {
                        return;
                    }
                    let Ok(out) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (ir, iw) = inbound.into_split();
                    let (or, ow) = out.into_split();
                    tokio::join!(pump(ir, ow, mode.clone()), pump(or, iw, mode));
                });
                let mut list = conns.lock().unwrap();
                list.retain(|h| !h.is_finished());
                list.push(h.abort_handle());
            }
        });
        *self.listener.lock().unwrap() = Some(h.abort_handle());
        true
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(h) = self.listener.lock().unwrap().take() {
            h.abort();
        }
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }
}

fn bind(addr: SocketAddr) -> std::io::Result<TcpSocket> {
    let s = TcpSocket::new_v4()?;
    s.set_reuseaddr(true)?;
    s.bind(addr)?;
    Ok(s)
}

/// Copies one direction; what is read during a black hole waits until
/// forwarding resumes.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if mode.wait_for(|m| *m == Mode::Forward).await.is_err() {
            break;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// `host:port` of a store URL.
pub fn host_port(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        u.host_str().unwrap(),
        u.port_or_known_default().unwrap()
    )
}

/// The store URL `url`, reached through a proxy on `port` instead.
pub fn via(url: &str, port: u16) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.set_port(Some(port)).unwrap();
    u.set_host(Some("127.0.0.1")).unwrap();
    u.to_string()
}
