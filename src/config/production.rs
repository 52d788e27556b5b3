//! The production start-up guard. In production (`server.environment`
//! absent or `"production"`) the gateway refuses to start with a secret
//! that is published or weak, with the demo portals on, with seeded
//! passwords or authenticator keys, or with a development stand-in
//! switched on. Every offending key is named, all in one message, so one
//! round of fixes is enough.
//!
//! A secret is **published** when it equals a value of the shipped
//! development configuration (`config/porttivahti.toml`, compiled in, so
//! the list follows the file); a `secret_sha256` is published when it is
//! the digest of such a value.
//!
//! A secret is **weak** when
//! - it is shorter than 16 characters (the keys of `[secrets]` have their
//!   own lengths, checked in every environment);
//! - it has at most 4 distinct symbols (`aaaa…`, `abab…`);
//! - it contains 8 symbols in a row that repeat one symbol or count up or
//!   down by one (`0123456789`, `abcdefgh`, `98765432`), or
//! - for the base64 keys of `[secrets]`: every decoded byte is printable
//!   ASCII, i.e. the key is typed text rather than random bytes.
//!
//! Symbols are the decoded bytes of a base64 key and the characters of any
//! other secret. Random values trip none of these rules in practice (the
//! likeliest, a 64-digit random hex secret, about once in a million); the
//! development and test values of this repository trip at least one.

use std::collections::HashSet;

use super::{Environment, Secret, Settings};

/// The shipped development configuration: every value in it is public.
const SHIPPED: &str = include_str!("../../config/porttivahti.toml");

/// Shortest secret accepted in production (characters).
const MIN_SECRET_CHARS: usize = 16;

/// Every string value of the shipped configuration.
fn published_values() -> HashSet<String> {
    fn walk(v: &toml::Value, out: &mut HashSet<String>) {
        match v {
            toml::Value::String(s) => {
                out.insert(s.clone());
            }
            toml::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            toml::Value::Table(t) => t.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = HashSet::new();
    if let Ok(t) = SHIPPED.parse::<toml::Table>() {
        t.values().for_each(|v| walk(v, &mut out));
    }
    out
}

/// Why `symbols` make a weak secret, if they do (rules above).
fn weakness(symbols: &[u32]) -> Option<&'static str> {
    if symbols.len() < MIN_SECRET_CHARS {
        return Some("shorter than 16 characters");
    }
    let distinct: HashSet<u32> = symbols.iter().copied().collect();
    if distinct.len() <= 4 {
        return Some("at most 4 distinct symbols");
    }
    for step in [0i64, 1, -1] {
        let mut run = 1;
        for w in symbols.windows(2) {
            run = if i64::from(w[1]) - i64::from(w[0]) == step {
                run + 1
            } else {
                1
            };
            if run >= 8 {
                return Some("a run of 8 repeated or counting symbols (such as 01234567)");
            }
        }
    }
    None
}

/// Checks one plain secret (a client secret, an API key, a password).
fn plain(key: String, s: &Secret, published: &HashSet<String>, out: &mut Vec<String>) {
    let v = s.expose();
    if published.contains(v) {
        out.push(format!(
            "{key}: published in the development configuration; generate a new one"
        ));
    } else if let Some(why) = weakness(&v.chars().map(u32::from).collect::<Vec<_>>()) {
        out.push(format!("{key}: weak ({why}); generate a random one"));
    }
}

/// Checks one base64 key of `[secrets]`.
fn key(name: &str, s: &Secret, published: &HashSet<String>, out: &mut Vec<String>) {
    let fix = "generate one with `head -c 32 /dev/urandom | base64`";
    if published.contains(s.expose()) {
        out.push(format!(
            "secrets.{name}: published in the development configuration; {fix}"
        ));
        return;
    }
    // Undecodable keys are refused by the general checks with their rule.
    let Ok(bytes) = crate::crypto::b64_std_decode(s.expose()) else {
        return;
    };
    let why = if bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        Some("its bytes are printable text, not random bytes")
    } else {
        weakness(&bytes.iter().map(|b| u32::from(*b)).collect::<Vec<_>>())
    };
    if let Some(why) = why {
        out.push(format!("secrets.{name}: weak ({why}); {fix}"));
    }
}

impl Settings {
    /// What production refuses in this configuration, one line per key;
    /// empty in development.
    pub fn production_refusals(&self) -> Vec<String> {
        if self.server.environment != Environment::Production {
            return Vec::new();
        }
        let published = published_values();
        let mut out = Vec::new();
        let s = &self.secrets;
        key(
            "key_encryption_key",
            &s.key_encryption_key,
            &published,
            &mut out,
        );
        key("cookie_key", &s.cookie_key, &published, &mut out);
        if let Some(k) = &s.national_id_key {
            key("national_id_key", k, &published, &mut out);
        }
        let published_digests: HashSet<String> = published
            .iter()
            .map(|v| crate::crypto::hex(&crate::crypto::sha256(v)))
            .collect();
        for c in &self.clients {
            if let Some(secret) = &c.secret {
                plain(
                    format!("clients {:?}.secret", c.client_id),
                    secret,
                    &published,
                    &mut out,
                );
            }
            if let Some(h) = &c.secret_sha256
                && published_digests.contains(&h.to_ascii_lowercase())
            {
                out.push(format!(
                    "clients {:?}.secret_sha256: the digest of a secret published in the \
                     development configuration; generate one with `porttivahti client-secret`",
                    c.client_id
                ));
            }
        }
        for sub in &self.events.subscribers {
            // Events name accounts and their changes: only over TLS, and
            // signed with a secret of the deployment's own.
            if sub
                .url
                .get(..7)
                .is_some_and(|p| p.eq_ignore_ascii_case("http://"))
            {
                out.push(format!(
                    "events.subscribers {:?}.url: {:?} must be an https:// URL in production",
                    sub.id, sub.url
                ));
            }
            plain(
                format!("events.subscribers {:?}.secret", sub.id),
                &sub.secret,
                &published,
                &mut out,
            );
        }
        for src in &self.sources {
            if let Some(o) = src.oidc() {
                plain(
                    format!("sources {:?}.client_secret", src.id),
                    &o.client_secret,
                    &published,
                    &mut out,
                );
            }
            // The gateway's own keys for a Suomi.fi source over OpenID
            // Connect: the development ones are public.
            if let Some(f) = src.ftn() {
                let federation: Vec<String> = f.jwks_signing_key.iter().cloned().collect();
                for (key, files) in [
                    ("signing_keys", &f.signing_keys),
                    ("decryption_keys", &f.decryption_keys),
                    ("jwks_signing_key", &federation),
                ] {
                    let dev: Vec<&String> =
                        files.iter().filter(|p| p.contains("certs/dev/")).collect();
                    if !dev.is_empty() {
                        out.push(format!(
                            "sources {:?}.{key}: {dev:?} are development keys, whose private \
                             parts are public; make the source's own (openssl genpkey, see \
                             docs/configuration.md)",
                            src.id
                        ));
                    }
                }
            }
            if let Some(u) = src.saml().and_then(|m| m.metadata_url.as_deref())
                && u.get(..7)
                    .is_some_and(|p| p.eq_ignore_ascii_case("http://"))
            {
                out.push(format!(
                    "sources {:?}.metadata_url: {u:?} must be an https:// URL in production \
                     (metadata over plain HTTP can be changed on the way)",
                    src.id
                ));
            }
        }
        if self.mobile.enabled {
            plain(
                "mobile.ap_password".into(),
                &self.mobile.ap_password,
                &published,
                &mut out,
            );
        }
        if let Some(m) = &self.suomifi_mandates {
            plain(
                "suomifi_mandates.api_key".into(),
                &m.api_key,
                &published,
                &mut out,
            );
        }
        // The development stand-ins (`standins.rs`).
        out.extend(self.development_standins());
        if self.card.enabled && self.card.allow_test_cards {
            out.push("card.allow_test_cards: test cards are for development only".into());
        }
        for a in &self.seed.accounts {
            if a.password.is_some() {
                out.push(format!(
                    "seed.accounts {:?}.password: a password written in the configuration; \
                     seed the account without one and set a one-time password with \
                     `porttivahti account reset-password`",
                    a.username
                ));
            }
            if a.totp_secret.is_some() {
                out.push(format!(
                    "seed.accounts {:?}.totp_secret: an authenticator key written in the \
                     configuration; the person sets up their own at /account/totp",
                    a.username
                ));
            }
        }
        out
    }

    /// Refuses a production configuration that [`Self::production_refusals`]
    /// finds fault with, naming every key.
    pub(super) fn check_production(&self) -> Result<(), String> {
        let refused = self.production_refusals();
        if refused.is_empty() {
            return Ok(());
        }
        Err(format!(
            "server.environment is \"production\" (the default when it is absent), and these \
             are refused in production:\n  - {}\n(a development configuration says \
             server.environment = \"development\")",
            refused.join("\n  - ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<u32> {
        s.chars().map(u32::from).collect()
    }

    #[test]
    fn weak_secrets_by_rule() {
        for weak in [
            "short",
            "aaaaaaaaaaaaaaaaaaaa",
            "abababababababababab",
            "secret-a-0123456789",
            "svc-secret-abcdefghijklmnopqrstuvwxyz",
            "x-98765432-yzw-qrs",
            "0123456789abcdef0123456789abcdef",
        ] {
            assert!(weakness(&chars(weak)).is_some(), "{weak}");
        }
        for strong in [
            "Zq3vN8xK2pLw7RtY",
            "f9dcaa15800eb7df92c379ce71f34963c02d2e1be4154e49fa67cf9daf1e62b5",
            "q8HnR2v-Kx0_pWmZ3tYb6LcJ9eUa1sDf4gVh7iNk5oE",
        ] {
            assert_eq!(weakness(&chars(strong)), None, "{strong}");
        }
    }

    #[test]
    fn random_values_pass() {
        for _ in 0..200 {
            let t = crate::crypto::random_token(32);
            assert_eq!(weakness(&chars(&t)), None, "{t}");
            let hex = crate::crypto::hex(&crate::crypto::sha256(&t));
            assert_eq!(weakness(&chars(&hex)), None, "{hex}");
        }
    }

    #[test]
    fn the_shipped_values_are_published() {
        let p = published_values();
        assert!(p.contains("demo-portal-secret-do-not-use-in-production"));
        assert!(p.contains("5RsV9AHDzpP518x5brXURg+Jv+vh4oCdzcJ5W9yGQ5g="));
    }
}
