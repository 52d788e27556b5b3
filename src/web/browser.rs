//! What a request from a browser carries: language, cookies, address,
//! session, and the CSRF token of its forms.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{HeaderMap, HeaderValue, header, request::Parts};
use axum::response::Response;

use crate::app::{AppState, SharedState};
use crate::config::IpNet;
use crate::domain::Lang;
use crate::store::ephemeral::Session;
use crate::tokens::{b64url, constant_time_eq, hash_secret, random_token};

pub struct Browser {
    pub lang: Lang,
    /// The language was picked on the page (`?lang=`): remember it.
    pub lang_chosen: bool,
    cookies: HashMap<String, String>,
    pub ip: Option<IpAddr>,
}

fn parse_cookies(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

impl FromRequestParts<SharedState> for Browser {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &SharedState) -> Result<Self, Infallible> {
        let cookies = parse_cookies(&parts.headers);
        let from_query = parts.uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang" || k == "ui_locales")
                .and_then(|(_, v)| {
                    v.split(' ')
                        .find_map(|l| l.split('-').next()?.parse::<Lang>().ok())
                })
        });
        let lang = from_query
            .or_else(|| cookies.get("pv_lang").and_then(|l| l.parse().ok()))
            .unwrap_or_else(|| {
                Lang::from_accept_language(
                    parts
                        .headers
                        .get(header::ACCEPT_LANGUAGE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or(""),
                )
            });
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let ip = peer.map(|p| client_ip(p, &parts.headers, &s.settings.server.trusted_proxies));
        Ok(Browser {
            lang,
            lang_chosen: from_query.is_some(),
            cookies,
            ip,
        })
    }
}

/// The client's address: the peer, or — when the peer is a trusted proxy —
/// the nearest address in `X-Forwarded-For` that is not one of ours. The
/// hops are read from the right (the nearest first); a hop that does not
/// parse makes the rest of the header untrusted and the proxy's own
/// address counts: the reading never skips past it to a value further left,
/// which whoever sent the request may have written.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d.
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    // Several headers are one list, in order; a value that is not text is
    // a hop that does not parse.
    let hops: Vec<Option<IpAddr>> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| match v.to_str() {
            Ok(v) => v.split(',').map(parse_hop).collect::<Vec<_>>(),
            Err(_) => vec![None],
        })
        .collect();
    for hop in hops.into_iter().rev() {
        match hop {
            Some(ip) if is_trusted(ip) => {}
            Some(ip) => return ip,
            None => {
                tracing::warn!(
                    proxy = %peer,
                    "X-Forwarded-For has a hop that is not an address: the proxy's address is used"
                );
                return peer;
            }
        }
    }
    peer
}

/// One `X-Forwarded-For` hop: an address, possibly with a port
/// (`192.0.2.1:5000`, `[2001:db8::1]:5000`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// Cookie attributes by where the gateway is served.
pub fn cookie_name(state: &AppState, base: &str) -> String {
    if state.settings.server.is_https() {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

pub fn set_cookie(
    state: &AppState,
    base: &str,
    value: &str,
    max_age: Option<i64>,
    same_site: &str,
) -> String {
    let secure = if state.settings.server.is_https() {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite={same_site}{secure}{age}",
        cookie_name(state, base)
    )
}

pub fn clear_cookie(state: &AppState, base: &str) -> String {
    set_cookie(state, base, "", Some(0), "Lax")
}

/// Adds `Set-Cookie` headers to a response.
pub fn with_cookies(mut resp: Response, cookies: impl IntoIterator<Item = String>) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

impl Browser {
    pub fn cookie(&self, state: &AppState, base: &str) -> Option<&str> {
        self.cookies
            .get(&cookie_name(state, base))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn ip_string(&self) -> Option<String> {
        self.ip.map(|i| i.to_string())
    }

    /// The language cookie to set when the person picked a language.
    pub fn lang_cookie(&self, state: &AppState) -> Option<String> {
        self.lang_chosen.then(|| {
            set_cookie(
                state,
                "pv_lang",
                self.lang.as_str(),
                Some(365 * 86400),
                "Lax",
            )
        })
    }

    /// The session this browser holds, if it is valid now and good for
    /// more than changing a one-time password, with its store key. Every
    /// page and API behind a login asks here, so a session started with a
    /// one-time password reaches none of them until the password is changed.
    pub async fn session(
        &self,
        state: &AppState,
    ) -> Result<Option<(String, Session)>, crate::store::StoreError> {
        Ok(self
            .any_session(state)
            .await?
            .filter(|(_, s)| !s.password_change_only()))
    }

    /// The session this browser holds, if it is valid now, even one that
    /// may only change its one-time password: for the password change
    /// itself, logout, and a new login replacing it.
    pub async fn any_session(
        &self,
        state: &AppState,
    ) -> Result<Option<(String, Session)>, crate::store::StoreError> {
        let Some(raw) = self.cookie(state, "pv_sid") else {
            return Ok(None);
        };
        let key = hash_secret(raw);
        Ok(state
            .eph
            .session(&key, state.now())
            .await?
            .map(|s| (key, s)))
    }

    /// The session, when the browser holds one that may only change its
    /// one-time password (what a page behind a login says instead of
    /// asking to log in). Logs the refusal of `what`.
    pub async fn password_change_pending(
        &self,
        state: &AppState,
        what: &str,
    ) -> Result<bool, crate::store::StoreError> {
        let pending = self
            .any_session(state)
            .await?
            .filter(|(_, s)| s.password_change_only());
        if let Some((_, s)) = &pending {
            tracing::warn!(
                account = %s.account_id,
                sid = %s.sid,
                ip = self.ip.map(tracing::field::display),
                request_id = crate::web::middleware::current_request_id().as_deref().map(tracing::field::display),
                refused = what,
                "a session started with a one-time password asked for more than the \
                 password change; sent to change it"
            );
        }
        Ok(pending.is_some())
    }

    /// The CSRF token for a form, and the cookie to set when the browser
    /// has none yet.
    pub fn csrf(&self, state: &AppState) -> (String, Option<String>) {
        match self.cookie(state, "pv_csrf") {
            Some(seed) => (csrf_token(state, seed), None),
            None => {
                let seed = random_token(24);
                (
                    csrf_token(state, &seed),
                    Some(set_cookie(state, "pv_csrf", &seed, None, "Strict")),
                )
            }
        }
    }

    pub fn csrf_ok(&self, state: &AppState, presented: &str) -> bool {
        self.cookie(state, "pv_csrf").is_some_and(|seed| {
            constant_time_eq(csrf_token(state, seed).as_bytes(), presented.as_bytes())
        })
    }
}

fn csrf_token(state: &AppState, seed: &str) -> String {
    b64url(aws_lc_rs::hmac::sign(&state.cookie_key, seed.as_bytes()))
}

/// The cookie of a session the login core started (`Started::secret`).
pub fn session_cookie(state: &AppState, secret: &str) -> String {
    set_cookie(state, "pv_sid", secret, None, "Lax")
}

impl Browser {
    /// Who is logging in from where, for the login core: the address, and
    /// the session this browser holds now (a new login replaces it).
    pub async fn attempt(
        &self,
        state: &AppState,
    ) -> Result<crate::login::Attempt, crate::store::StoreError> {
        Ok(crate::login::Attempt {
            ip: self.ip_string(),
            replaces: self.any_session(state).await?.map(|(key, _)| key),
        })
    }
}
