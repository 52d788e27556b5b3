//! Logs (structured, with a request id on every line) and Prometheus
//! metrics.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `format` is "json" or "text".
pub fn init(format: &str) {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = if format == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

macro_rules! counters {
    ($($name:ident : $help:literal),+ $(,)?) => {
        /// Counters exported at `/metrics`.
        #[derive(Default)]
        pub struct Counters { $(pub $name: AtomicU64),+ }

        impl Counters {
            fn write(&self, out: &mut String) {
                $(
                    let _ = writeln!(out, "# HELP porttivahti_{} {}", stringify!($name), $help);
                    let _ = writeln!(out, "# TYPE porttivahti_{} counter", stringify!($name));
                    let _ = writeln!(out, "porttivahti_{} {}", stringify!($name), self.$name.load(Ordering::Relaxed));
                )+
            }
        }
    };
}

counters! {
    http_requests_total: "HTTP requests served.",
    http_server_errors_total: "HTTP responses with a 5xx status.",
    authorize_requests_total: "Authorization requests received.",
    logins_succeeded_total: "Successful logins.",
    logins_failed_total: "Failed login attempts (wrong or unknown credentials).",
    logins_rate_limited_total: "Login attempts refused by rate limits.",
    access_denied_total: "Logins refused by portal access policy.",
    codes_issued_total: "Authorization codes issued.",
    tokens_authorization_code_total: "Token responses for the authorization_code grant.",
    tokens_refresh_total: "Token responses for the refresh_token grant.",
    tokens_client_credentials_total: "Token responses for the client_credentials grant.",
    token_errors_total: "Token requests refused.",
    refresh_reuse_detected_total: "Replayed refresh tokens (families ended).",
    code_reuse_detected_total: "Replayed authorization codes.",
    logouts_total: "Sessions ended by logout.",
}

pub struct Metrics {
    pub counters: Counters,
    started: Instant,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            counters: Counters::default(),
            started: Instant::now(),
        }
    }
}

impl Metrics {
    pub fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.counters.write(&mut out);
        let _ = writeln!(
            out,
            "# HELP porttivahti_uptime_seconds Seconds since start."
        );
        let _ = writeln!(out, "# TYPE porttivahti_uptime_seconds gauge");
        let _ = writeln!(
            out,
            "porttivahti_uptime_seconds {}",
            self.started.elapsed().as_secs()
        );
        out
    }
}

/// A failed readiness check is logged at warning level at most once per
/// this many seconds per store (a load balancer polls often), with the
/// number of failures in between.
const READY_WARN_EVERY_SECS: i64 = 30;

/// When each store's last readiness warning was logged, and how many
/// failures were not logged since.
#[derive(Default)]
pub struct ReadyLog {
    directory: (AtomicI64, AtomicU64),
    ephemeral: (AtomicI64, AtomicU64),
}

impl ReadyLog {
    /// A readiness check of `store` failed with `error`.
    pub fn failed(&self, store: &'static str, error: &dyn std::fmt::Display) {
        let (last, quiet) = match store {
            "directory" => &self.directory,
            _ => &self.ephemeral,
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let prev = last.load(Ordering::Relaxed);
        if now - prev >= READY_WARN_EVERY_SECS
            && last
                .compare_exchange(prev, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let unlogged = quiet.swap(0, Ordering::Relaxed);
            tracing::warn!(
                store,
                error = %error,
                unlogged_failures = unlogged,
                "readiness: the {store} store did not answer; this node answers 503 on /readyz \
                 until it does"
            );
        } else {
            quiet.fetch_add(1, Ordering::Relaxed);
        }
    }
}
