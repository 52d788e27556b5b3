//! Bounds on what an unauthenticated request can make the gateway keep.
//! Every GET of `/authorize` or `/login/source/{id}` without a session
//! stores a pending login in the ephemeral store until the person comes
//! back or `tokens.login_ttl_secs` passes; so each parameter it stores has
//! a longest length, and one address may start only
//! `rate_limit.started_per_ip` of them per window. docs/configuration.md
//! (`[rate_limit]`) gives the resulting bound of the store.

use std::net::IpAddr;

use super::browser::Browser;
use super::error::WebError;
use crate::app::AppState;
use crate::telemetry::Metrics;

/// Longest `client_id` looked up (bytes); a longer one is no client.
pub const MAX_CLIENT_ID: usize = 128;
/// Longest `redirect_uri` (bytes); it must equal a registered one anyway.
pub const MAX_REDIRECT_URI: usize = 2048;
/// Longest `scope` parameter (bytes).
pub const MAX_SCOPE: usize = 512;
/// Longest `state` (bytes).
pub const MAX_STATE: usize = 1024;
/// Longest `nonce` (bytes).
pub const MAX_NONCE: usize = 256;
/// Longest `login_hint` (bytes).
pub const MAX_LOGIN_HINT: usize = 256;
/// Longest `idp_hint` (bytes): a source id.
pub const MAX_IDP_HINT: usize = 64;
/// Longest `acr_values` (bytes).
pub const MAX_ACR_VALUES: usize = 256;
/// Longest pending-login id (`ar`) accepted back; ours are 24 characters.
pub const MAX_AR: usize = 64;
/// What one stored pending login takes at most, key and value (bytes),
/// with every parameter at its longest: the figure of the documented bound.
pub const MAX_PENDING_ENTRY_BYTES: usize = 8192;

/// Why a stored parameter is refused, if it is: longer than `max` bytes,
/// or with control characters (none of them needs any).
pub fn param_problem(name: &str, value: Option<&str>, max: usize) -> Option<String> {
    let v = value?;
    if v.len() > max {
        return Some(format!("{name} is longer than {max} bytes"));
    }
    if v.chars().any(char::is_control) {
        return Some(format!("{name} contains control characters"));
    }
    None
}

/// A pending-login id as this server makes them: base64url, short.
pub fn ar_ok(ar: &str) -> bool {
    ar.len() <= MAX_AR
        && ar
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// At most `max` bytes of `s` (on a character boundary), for a log line.
pub fn clip(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    if end < s.len() {
        format!("{}…", &s[..end])
    } else {
        s.to_string()
    }
}

/// What a per-address limit counts against: an IPv4 address, or the /64
/// network of an IPv6 address (one subscriber's; they are handed out
/// whole, so one person has 2^64 addresses).
pub fn address_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(ip) => ip.to_string(),
        None => "unknown".into(),
    }
}

/// Counts one pending login about to be stored for the browser's address.
/// Past `rate_limit.started_per_ip` in the window the request is refused
/// and nothing is stored; the refusal is logged once a window per address.
pub async fn count_started_login(
    app: &AppState,
    browser: &Browser,
    endpoint: &'static str,
) -> Result<(), WebError> {
    let rl = &app.settings.rate_limit;
    let address = address_key(browser.ip);
    let n = app
        .eph
        .count(&format!("start:{address}"), rl.window_secs)
        .await?;
    if n <= rl.started_per_ip {
        return Ok(());
    }
    Metrics::inc(&app.metrics.counters.logins_rate_limited_total);
    if n == rl.started_per_ip + 1 {
        tracing::warn!(
            %address,
            endpoint,
            limit = rl.started_per_ip,
            window_secs = rl.window_secs,
            "too many logins started from one address: refused (nothing stored) until the \
             window ends; logged once a window"
        );
    }
    Err(WebError::TooManyRequests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_ipv6_by_network() {
        let a = address_key(Some("2001:db8:1:2:aaaa::1".parse().unwrap()));
        let b = address_key(Some("2001:db8:1:2:bbbb::9".parse().unwrap()));
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(address_key(Some("192.0.2.7".parse().unwrap())), "192.0.2.7");
    }

    #[test]
    fn parameters_and_ids() {
        assert!(param_problem("state", Some(&"x".repeat(MAX_STATE)), MAX_STATE).is_none());
        assert!(param_problem("state", Some(&"x".repeat(MAX_STATE + 1)), MAX_STATE).is_some());
        assert!(param_problem("state", Some("a\nb"), MAX_STATE).is_some());
        assert!(param_problem("state", None, MAX_STATE).is_none());
        assert!(ar_ok("") && ar_ok("Ab-_09") && !ar_ok("a b") && !ar_ok(&"a".repeat(65)));
        assert_eq!(clip("ääkkönen", 3), "ä…");
    }
}
