//! A client of the Suomi.fi e-Authorizations service (Suomi.fi-valtuudet,
//! REST/JSON) for the company flow: register a session for a person, then
//! ask for the organisations where they hold trade-register roles and for
//! those that have given them a mandate.
//!
//! Every request carries `X-AsiointivaltuudetAuthorization: <client id>
//! <ISO-8601 time> <base64(HMAC-SHA256(api key, path + " " + time))>`,
//! where path is the request's path with its query; the service accepts
//! times within ±5 minutes.
//!
//! Unverified against the real service (so configuration, not code): the
//! path and answer of the mandate query, and whether the service lets a
//! server ask without the person's browser visiting its authorization page
//! in between. The answers are read leniently (unknown fields ignored).

use std::time::Duration;

use aws_lc_rs::hmac;
use serde::Deserialize;

use crate::config::MandateSettings;
use crate::policy::Authority;
use crate::tokens::{b64_std, random_token};

#[derive(Debug, thiserror::Error)]
pub enum MandateError {
    #[error("the e-Authorizations service cannot be reached: {0}")]
    Unreachable(String),
    #[error("the e-Authorizations service answered HTTP {0}")]
    Status(u16),
    #[error("the e-Authorizations service's answer is not understood: {0}")]
    Answer(String),
}

pub const AUTH_HEADER: &str = "X-AsiointivaltuudetAuthorization";

/// The header value for `path_and_query` at `time` (ISO 8601, UTC).
pub fn auth_header(client_id: &str, api_key: &str, path_and_query: &str, time: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, api_key.as_bytes());
    let mac = hmac::sign(&key, format!("{path_and_query} {time}").as_bytes());
    format!("{client_id} {time} {}", b64_std(mac.as_ref()))
}

/// Checks a header as the service does: the client, the MAC and the time
/// within `skew_secs` of `now`. (Used by tests' service peer.)
pub fn check_auth_header(
    header: &str,
    client_id: &str,
    api_key: &str,
    path_and_query: &str,
    now: i64,
    skew_secs: i64,
) -> bool {
    let mut parts = header.splitn(3, ' ');
    let (Some(id), Some(time), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Some(at) = crate::time::parse_utc(time) else {
        return false;
    };
    let expected = auth_header(client_id, api_key, path_and_query, time);
    id == client_id
        && (now - at).abs() <= skew_secs
        && crate::tokens::constant_time_eq(expected.as_bytes(), header.as_bytes())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Registration {
    session_id: String,
    #[serde(default)]
    #[allow(dead_code)]
    user_id: Option<String>,
}

/// An organisation in the service's answers.
#[derive(Debug, Deserialize)]
struct OrgEntry {
    #[serde(default)]
    name: Option<String>,
    identifier: String,
    #[serde(default)]
    roles: Vec<String>,
    /// `false` when the trade register's data was incomplete.
    #[serde(default = "yes")]
    complete: bool,
}

fn yes() -> bool {
    true
}

pub struct MandateClient {
    settings: MandateSettings,
    http: reqwest::Client,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
}

impl MandateClient {
    pub fn new(
        settings: MandateSettings,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
    ) -> Result<Self, MandateError> {
        let http = crate::http_client_builder()
            .timeout(Duration::from_millis(settings.timeout_ms.max(1)))
            .build()
            .map_err(|e| MandateError::Unreachable(e.to_string()))?;
        Ok(Self {
            settings,
            http,
            clock,
        })
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<T, MandateError> {
        let s = &self.settings;
        let time = crate::time::iso_utc(self.clock.now());
        let header = auth_header(&s.client_id, s.api_key.expose(), path_and_query, &time);
        let url = format!("{}{path_and_query}", s.url.trim_end_matches('/'));
        let r = self
            .http
            .get(url)
            .header(AUTH_HEADER, header)
            .send()
            .await
            .map_err(|e| MandateError::Unreachable(crate::error_chain(&e)))?;
        if !r.status().is_success() {
            return Err(MandateError::Status(r.status().as_u16()));
        }
        r.json::<T>()
            .await
            .map_err(|e| MandateError::Answer(e.to_string()))
    }

    /// What the person with `national_id` may do for which organisation:
    /// trade-register roles as `positions`, and the configured mandates as
    /// `mandates`. The Suomi.fi login calls this and puts the result into
    /// the session's `LoginAttributes::authorities`.
    pub async fn authorities(&self, national_id: &str) -> Result<Vec<Authority>, MandateError> {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let s = &self.settings;
        let reg: Registration = self
            .get(&format!(
                "/service/ypa/user/register/{}/{}?requestId={}",
                enc(&s.client_id),
                enc(national_id),
                random_token(12)
            ))
            .await?;
        let sid = enc(&reg.session_id);
        let mut out: Vec<Authority> = Vec::new();
        let roles: Vec<OrgEntry> = self
            .get(&format!("/service/ypa/api/organizationRoles/{sid}"))
            .await?;
        for o in roles {
            if !o.complete {
                tracing::warn!(business_id = %o.identifier, "e-Authorizations: incomplete trade-register data");
            }
            merge(&mut out, o.identifier, o.name, o.roles, Vec::new());
        }
        for code in &s.mandate_codes {
            let path = s
                .mandate_path
                .replace("{sessionId}", &sid)
                .replace("{issue}", &enc(code));
            let orgs: Vec<OrgEntry> = self.get(&path).await?;
            for o in orgs {
                merge(
                    &mut out,
                    o.identifier,
                    o.name,
                    Vec::new(),
                    vec![code.clone()],
                );
            }
        }
        Ok(out)
    }
}

fn merge(
    out: &mut Vec<Authority>,
    business_id: String,
    name: Option<String>,
    positions: Vec<String>,
    mandates: Vec<String>,
) {
    let i = match out.iter().position(|a| a.business_id == business_id) {
        Some(i) => i,
        None => {
            out.push(Authority {
                business_id,
                name: None,
                positions: Vec::new(),
                mandates: Vec::new(),
            });
            out.len() - 1
        }
    };
    let a = &mut out[i];
    if a.name.is_none() {
        a.name = name;
    }
    for p in positions {
        if !a.positions.contains(&p) {
            a.positions.push(p);
        }
    }
    for m in mandates {
        if !a.mandates.contains(&m) {
            a.mandates.push(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_checked_for_client_mac_and_time() {
        let t = "2026-11-22T12:00:00Z";
        let now = crate::time::parse_utc(t).unwrap();
        let h = auth_header("cid", "key", "/service/ypa/api/organizationRoles/s1", t);
        assert!(h.starts_with("cid 2026-11-22T12:00:00Z "));
        let p = "/service/ypa/api/organizationRoles/s1";
        assert!(check_auth_header(&h, "cid", "key", p, now, 300));
        assert!(check_auth_header(&h, "cid", "key", p, now + 300, 300));
        assert!(!check_auth_header(&h, "cid", "key", p, now + 301, 300));
        assert!(!check_auth_header(&h, "cid", "other", p, now, 300));
        assert!(!check_auth_header(&h, "other", "key", p, now, 300));
        assert!(!check_auth_header(&h, "cid", "key", "/other", now, 300));
    }
}
