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

pub use crate::oidc::bounds::*;

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
}
