//! Logs (structured, with a request id on every line) and Prometheus
//! metrics, written by hand in the text format (`series`, `process`).

pub mod process;
pub mod series;

use std::fmt::Write;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tracing_subscriber::EnvFilter;

pub use series::{CounterVec, HistogramVec};

/// Colours only for a person watching a terminal: never in a file, a pipe
/// or a journal, and never when `NO_COLOR` is set (no-color.org).
pub fn colours(stdout_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stdout_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Installs the global subscriber. `format` is "json" or "text".
pub fn init(format: &str) {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let ansi = colours(
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
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
    /// Requests by method, route template (never the raw path) and status.
    pub http: HistogramVec,
    /// Login attempts by method, outcome and reason.
    pub logins: CounterVec,
    /// Directory and ephemeral-store operations; shared with the timing
    /// wrappers around the stores (`store::timed`).
    pub store: Arc<HistogramVec>,
    started: Instant,
    start_time: f64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            counters: Counters::default(),
            http: HistogramVec::new(
                "porttivahti_http_request_duration_seconds",
                "Time to answer an HTTP request, by method, route template and status.",
                &["method", "route", "status"],
            ),
            logins: CounterVec::new(
                "porttivahti_login_attempts_total",
                "Login attempts by method (password, totp, card, mobile, or the identity \
                 source's id), outcome (success, failure, refused) and reason.",
                &["method", "outcome", "reason"],
            ),
            store: Arc::new(HistogramVec::new(
                "porttivahti_store_operation_duration_seconds",
                "Time of a directory or ephemeral-store operation, by store, operation and \
                 outcome (ok, error).",
                &["store", "operation", "outcome"],
            )),
            started: Instant::now(),
            start_time: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        }
    }
}

impl Metrics {
    pub fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// A login attempt's outcome. `reason` is a fixed code (`none` for a
    /// success), never anything a person typed.
    pub fn login(&self, method: &str, outcome: &str, reason: &str) {
        self.logins.inc(&[method, outcome, reason]);
    }

    pub fn render(&self) -> String {
        let mut out = String::with_capacity(16_384);
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
        self.http.write(&mut out);
        self.logins.write(&mut out);
        self.store.write(&mut out);
        process::write(&mut out, self.start_time);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        use std::ffi::OsStr;
        assert!(colours(true, None));
        assert!(!colours(false, None), "a file or a pipe");
        assert!(!colours(true, Some(OsStr::new("1"))));
        assert!(
            colours(true, Some(OsStr::new(""))),
            "an empty NO_COLOR is unset"
        );
    }
}
