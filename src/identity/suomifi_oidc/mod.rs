//! Suomi.fi e-Identification over OpenID Connect, by the Finnish Trust
//! Network's profile, apart from HTTP:
//!
//! - out: a request object (RFC 9101) signed with the source's key, sent by
//!   pushed authorization request (RFC 9126) when the provider offers it,
//!   else by value; PKCE, a nonce, the levels asked for as `acr_values`;
//! - back: the code exchanged with `private_key_jwt` (RFC 7523, a fresh
//!   `jti` each time), the ID token decrypted (JWE) with one of our keys
//!   and then its signature checked with the provider's published keys
//!   (fetched again once for a key id not yet seen), its claims checked
//!   (issuer, audience, `azp`, times, nonce, level), first-used; userinfo
//!   fetched the same way (signed and/or encrypted);
//! - mapped like the SAML Suomi.fi profile: the identity code only as its
//!   keyed hash, the same levels, linked with the SAML source's accounts
//!   when `same_accounts_as` says so.

mod claims;
pub mod provider;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use self::claims::{Claims, check_id_token, identity_of, text};
use self::provider::{FtnProvider, OurKeys};
use crate::config::sources::FtnSourceSettings;
use crate::crypto::{b64url, hash_secret, random_token, sha256};
use crate::domain::Lang;
use crate::identity::oidc::{Callback, callback_url};
use crate::identity::redirect::{
    Departure, Outgoing, RedirectSource, Refusal, Returned, SourceError,
};
use crate::identity::sources::{SamlSource, Sources};
use crate::identity::suomifi;
use crate::jose::{self, ContentEnc, JoseError, KeyAlg, SigAlg};
use crate::store::ephemeral::{EphemeralState, Upstream};

/// What this node remembers of a departure (pending `ftn` under the hash
/// of the `state`).
#[derive(Debug, Serialize, Deserialize)]
struct SentFtn {
    source: String,
    ar: String,
    binding: String,
    verifier: String,
    nonce: String,
}

/// The relying party of `suomifi_oidc` sources, for one request.
pub struct FtnRp<'a> {
    pub sources: &'a Sources,
    pub eph: &'a EphemeralState,
    pub http: &'a reqwest::Client,
    /// The gateway's public base URL (callback URLs).
    pub public_url: &'a str,
    pub now: i64,
    pub login_ttl: i64,
}

/// The URL where a source's keys are published.
pub fn keys_url(public_url: &str, source: &str) -> String {
    format!("{public_url}/login/oidc/{source}/jwks")
}

/// Where the provider sends the person back after logging out.
pub fn logged_out_url(public_url: &str, source: &str) -> String {
    format!("{public_url}/login/oidc/{source}/logged-out")
}

/// The provider's end-session URL for a session that came from it, with
/// the signed ID token as `id_token_hint` and `state`.
pub fn end_session_url(
    src: &SamlSource,
    u: &Upstream,
    public_url: &str,
    state: &str,
) -> Option<String> {
    let provider = src.ftn_provider()?;
    let end = provider.end_session.as_deref()?;
    let f = src.settings.ftn()?;
    let mut url = url::Url::parse(end).ok()?;
    {
        let mut q = url.query_pairs_mut();
        // The session keeps the signed ID token where a SAML session
        // keeps its SessionIndex.
        if let Some(t) = &u.session_index {
            q.append_pair("id_token_hint", t);
        }
        q.append_pair("client_id", &f.client_id);
        q.append_pair(
            "post_logout_redirect_uri",
            &logged_out_url(public_url, src.id()),
        );
        q.append_pair("state", state);
    }
    Some(url.to_string())
}

struct Ready<'s> {
    f: &'s FtnSourceSettings,
    keys: Arc<OurKeys>,
    provider: Arc<FtnProvider>,
}

fn ready(src: &SamlSource) -> Result<Ready<'_>, SourceError> {
    let (Some(f), Some(keys)) = (src.settings.ftn(), src.ftn_keys()) else {
        return Err(SourceError::Unavailable("not a suomifi_oidc source".into()));
    };
    let Some(provider) = src.ftn_provider() else {
        return Err(SourceError::Unavailable(
            src.last_error()
                .unwrap_or_else(|| "provider not yet discovered".into()),
        ));
    };
    Ok(Ready { f, keys, provider })
}

impl FtnRp<'_> {
    /// A `private_key_jwt` client assertion for `aud`: signed with the
    /// source's key, a fresh `jti`, valid one minute.
    fn client_assertion(&self, r: &Ready<'_>, aud: &str) -> Result<String, SourceError> {
        let claims = serde_json::json!({
            "iss": r.f.client_id,
            "sub": r.f.client_id,
            "aud": aud,
            "jti": random_token(24),
            "iat": self.now,
            "exp": self.now + 60,
        });
        r.keys
            .signer()
            .sign(Some("JWT"), claims.to_string().as_bytes())
            .map_err(|e| SourceError::Internal(e.to_string()))
    }

    /// Opens a token from the provider: decrypted with one of our keys
    /// when it is a JWE (required unless the source says otherwise), then
    /// its signature checked with the provider's keys, fetched again once
    /// for a key id not seen yet. Returns the signed token and its claims.
    async fn open(
        &self,
        src: &SamlSource,
        r: &Ready<'_>,
        token: &str,
    ) -> Result<(String, Claims), String> {
        let inner = if jose::jwe::is_jwe(token) {
            let algs: Vec<KeyAlg> =
                r.f.encryption_algs
                    .iter()
                    .filter_map(|a| KeyAlg::parse(a))
                    .collect();
            let encs: Vec<ContentEnc> =
                r.f.encryption_encs
                    .iter()
                    .filter_map(|e| ContentEnc::parse(e))
                    .collect();
            let d = jose::jwe::decrypt(token, &r.keys.decryption, &algs, &encs)
                .map_err(|e| format!("JWE: {e}"))?;
            String::from_utf8(d.plaintext)
                .map_err(|_| "JWE: the content is not text".to_string())?
        } else if r.f.require_encryption {
            return Err("not encrypted (a JWE is required)".into());
        } else {
            token.to_string()
        };
        let accepted: Vec<SigAlg> =
            r.f.id_token_signing_algs
                .iter()
                .filter_map(|a| SigAlg::parse(a))
                .collect();
        let verified = match jose::jws::verify(&inner, &r.provider.keys, &accepted) {
            Err(JoseError::UnknownKey(kid))
                if src.refresh_if_stale(self.http, "", self.now).await =>
            {
                tracing::info!(source = %src.id(), %kid, "the provider's keys fetched again for an unknown key id");
                let keys = src.ftn_provider().map(|p| p.keys.clone()).unwrap_or_default();
                jose::jws::verify(&inner, &keys, &accepted)
            }
            other => other,
        }
        .map_err(|e| format!("inner token: {e}"))?;
        let claims: Claims = serde_json::from_slice(&verified.payload)
            .map_err(|_| "inner token: the payload is not a JSON object".to_string())?;
        Ok((inner, claims))
    }

    async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<(reqwest::StatusCode, Vec<u8>), String> {
        let resp = self
            .http
            .post(url)
            .form(form)
            .header("accept", "application/json")
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| format!("POST {url}: {}", crate::error_chain(&e)))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| format!("POST {url}: {e}"))?;
        if body.len() > 256 * 1024 {
            return Err(format!("POST {url}: the answer is larger than 256 KiB"));
        }
        Ok((status, body.to_vec()))
    }
}

/// Text of an error answer, clipped for the log.
fn clip(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    s.chars().take(300).collect()
}

impl RedirectSource for FtnRp<'_> {
    type Answer = Callback;

    async fn start(&self, src: &SamlSource, d: Departure<'_>) -> Result<Outgoing, SourceError> {
        let r = ready(src).inspect_err(|e| {
            tracing::warn!(source = %src.id(), error = %e, "login through Suomi.fi over OpenID Connect: the provider is not discovered");
        })?;
        let state = random_token(24);
        let nonce = random_token(24);
        let verifier = random_token(32);
        let challenge = b64url(sha256(&verifier));
        let redirect_uri = callback_url(self.public_url, src.id());
        let scope = std::iter::once("openid")
            .chain(r.f.scopes.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        let mut request = serde_json::json!({
            "iss": r.f.client_id,
            "aud": r.provider.issuer,
            "client_id": r.f.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "acr_values": suomifi::requested(r.f.loa).join(" "),
            "ui_locales": d.lang.as_str(),
            "iat": self.now,
            "nbf": self.now,
            "exp": self.now + 300,
            "jti": random_token(16),
        });
        if d.force {
            request["prompt"] = "login".into();
            request["max_age"] = 0.into();
        }
        let request_object = r
            .keys
            .signer()
            .sign(Some("oauth-authz-req+jwt"), request.to_string().as_bytes())
            .map_err(|e| SourceError::Internal(e.to_string()))?;
        self.eph
            .put_pending(
                "ftn",
                &hash_secret(&state),
                &SentFtn {
                    source: src.id().to_string(),
                    ar: d.ar.to_string(),
                    binding: d.binding.to_string(),
                    verifier,
                    nonce,
                },
                self.login_ttl,
            )
            .await?;
        let mut url = url::Url::parse(&r.provider.authorization)
            .map_err(|e| SourceError::Internal(format!("authorization endpoint: {e}")))?;
        match r.provider.par.as_deref().filter(|_| r.f.use_par) {
            Some(par) => {
                let assertion = self.client_assertion(&r, &r.provider.issuer)?;
                let (status, body) = self
                    .post_form(
                        par,
                        &[
                            ("client_id", &r.f.client_id),
                            ("request", &request_object),
                            (
                                "client_assertion_type",
                                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                            ),
                            ("client_assertion", &assertion),
                        ],
                    )
                    .await
                    .map_err(SourceError::Unavailable)?;
                #[derive(Deserialize)]
                struct Pushed {
                    request_uri: String,
                }
                let pushed: Pushed = serde_json::from_slice(&body)
                    .ok()
                    .filter(|_| status.is_success())
                    .ok_or_else(|| {
                        tracing::warn!(source = %src.id(), %status, answer = %clip(&body), "the provider refused the pushed authorization request");
                        SourceError::Unavailable(format!("PAR: HTTP {status}"))
                    })?;
                url.query_pairs_mut()
                    .append_pair("client_id", &r.f.client_id)
                    .append_pair("request_uri", &pushed.request_uri);
            }
            None => {
                // The request object carries everything; OpenID Connect
                // Core §6.1 wants these three beside it too.
                url.query_pairs_mut()
                    .append_pair("client_id", &r.f.client_id)
                    .append_pair("response_type", "code")
                    .append_pair("scope", &scope)
                    .append_pair("request", &request_object);
            }
        }
        tracing::info!(source = %src.id(), par = r.provider.par.is_some() && r.f.use_par, "sent to Suomi.fi over OpenID Connect with a signed request object");
        Ok(Outgoing::Redirect(url.to_string()))
    }

    async fn finish(
        &self,
        src: &SamlSource,
        q: Callback,
        bound: &(dyn Fn(&str) -> bool + Sync),
        ip: Option<&str>,
        lang: Lang,
    ) -> Result<Returned, SourceError> {
        let id = src.id();
        let ipd = ip.map(tracing::field::display);
        let Some(state) = q.state.as_deref() else {
            tracing::warn!(source = %id, ip = ipd, "callback without a state");
            return Err(SourceError::refused(Refusal::OtherBrowser, "", "no state"));
        };
        let Some(sent) = self
            .eph
            .take_pending::<SentFtn>("ftn", &hash_secret(state))
            .await?
        else {
            tracing::warn!(source = %id, ip = ipd, "callback with an unknown, expired or used state");
            return Err(SourceError::refused(
                Refusal::OtherBrowser,
                "",
                "unknown, expired or used state",
            ));
        };
        let ar = sent.ar.clone();
        let refuse = |why: Refusal, reason: String| {
            tracing::warn!(source = %id, ip = ipd, %reason, "answer from Suomi.fi over OpenID Connect refused");
            SourceError::refused(why, &ar, reason)
        };
        if sent.source != id || !bound(&sent.binding) {
            return Err(refuse(
                Refusal::OtherBrowser,
                "another source or browser".into(),
            ));
        }
        let r = ready(src).map_err(|e| refuse(Refusal::Failed, e.to_string()))?;
        // RFC 9207: an `iss` in the answer must be this provider.
        if let Some(iss) = q.iss.as_deref()
            && iss != r.provider.issuer
        {
            return Err(refuse(
                Refusal::Untrusted,
                format!("answer from issuer {iss:?}"),
            ));
        }
        if let Some(e) = q.error.as_deref() {
            tracing::info!(source = %id, ip = ipd, error = %e, "the provider did not identify the person");
            return Err(SourceError::refused(Refusal::Cancelled, &ar, e));
        }
        let Some(code) = q.code.as_deref() else {
            return Err(refuse(Refusal::Untrusted, "no code".into()));
        };
        let assertion = self.client_assertion(&r, &r.provider.token)?;
        let redirect_uri = callback_url(self.public_url, id);
        let (status, body) = self
            .post_form(
                &r.provider.token,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", &redirect_uri),
                    ("code_verifier", &sent.verifier),
                    ("client_id", &r.f.client_id),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &assertion),
                ],
            )
            .await
            .map_err(|e| refuse(Refusal::Failed, e))?;
        #[derive(Deserialize)]
        struct Tokens {
            id_token: Option<String>,
            access_token: Option<String>,
        }
        let tokens: Tokens = serde_json::from_slice(&body)
            .ok()
            .filter(|_| status.is_success())
            .ok_or_else(|| {
                refuse(
                    Refusal::Failed,
                    format!("token endpoint: HTTP {status}: {}", clip(&body)),
                )
            })?;
        let Some(id_token) = tokens.id_token else {
            return Err(refuse(Refusal::Untrusted, "no ID token".into()));
        };
        let (signed, mut claims) = self
            .open(src, &r, &id_token)
            .await
            .map_err(|e| refuse(Refusal::Untrusted, format!("ID token: {e}")))?;
        check_id_token(&claims, r.f, &r.provider.issuer, &sent.nonce, self.now)
            .map_err(|(why, m)| refuse(why, format!("ID token: {m}")))?;
        let sub = text(&claims, "sub").unwrap_or_default();
        // The same ID token twice (a code answered twice) is refused.
        let exp = claims
            .get("exp")
            .and_then(|v| v.as_i64())
            .unwrap_or(self.now);
        let once = format!("ftn:{}:{}", r.provider.issuer, hash_secret(&signed));
        if !self
            .eph
            .first_use(&once, (exp - self.now).max(0) + r.f.clock_skew_secs)
            .await?
        {
            return Err(refuse(Refusal::Replay, "ID token replayed".into()));
        }
        if r.f.userinfo
            && let (Some(endpoint), Some(access)) = (
                r.provider.userinfo.as_deref(),
                tokens.access_token.as_deref(),
            )
        {
            let more = self
                .userinfo(src, &r, endpoint, access, &sub)
                .await
                .map_err(|e| refuse(Refusal::Untrusted, format!("userinfo: {e}")))?;
            // The ID token's own claims win; the level and the times are
            // the ID token's alone.
            for (k, v) in more {
                if !matches!(k.as_str(), "acr" | "auth_time" | "amr") {
                    claims.entry(k).or_insert(v);
                }
            }
        }
        let (identity, hetu) = identity_of(
            src,
            r.f,
            &claims,
            self.sources.national_id_key(),
            lang,
            self.now,
        )
        .map_err(|m| refuse(Refusal::Untrusted, m))?;
        tracing::info!(source = %id, loa = %identity.loa, "identified through Suomi.fi over OpenID Connect");
        Ok(Returned {
            identity,
            ar: sent.ar,
            // What the provider's logout needs: the `sub`, and in place
            // of a SAML SessionIndex the signed ID token, the
            // `id_token_hint` of the end-session request.
            upstream: Some(Upstream {
                source: id.to_string(),
                name_id: sub,
                session_index: Some(signed),
            }),
            national_id: Some(hetu),
        })
    }
}

impl FtnRp<'_> {
    /// Userinfo: a JWT (signed, encrypted or both) opened like the ID
    /// token, or plain JSON where encryption is not required; for the
    /// same `sub`.
    async fn userinfo(
        &self,
        src: &SamlSource,
        r: &Ready<'_>,
        endpoint: &str,
        access: &str,
        sub: &str,
    ) -> Result<Claims, String> {
        let resp = self
            .http
            .get(endpoint)
            .bearer_auth(access)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| format!("GET {endpoint}: {}", crate::error_chain(&e)))?;
        let status = resp.status();
        let jwt = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/jwt"));
        let body = resp.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() || body.len() > 256 * 1024 {
            return Err(format!("HTTP {status}: {}", clip(&body)));
        }
        let claims: Claims = if jwt {
            let token = std::str::from_utf8(&body).map_err(|_| "not text".to_string())?;
            let (_, c) = self.open(src, r, token.trim()).await?;
            if c.get("iss").is_some() && text(&c, "iss").as_deref() != Some(&r.provider.issuer) {
                return Err("issued by another issuer".into());
            }
            if let Some(aud) = c.get("aud") {
                let ours = match aud {
                    serde_json::Value::String(a) => a == &r.f.client_id,
                    serde_json::Value::Array(a) => {
                        a.iter().any(|v| v.as_str() == Some(&r.f.client_id))
                    }
                    _ => false,
                };
                if !ours {
                    return Err("not meant for us (aud)".into());
                }
            }
            c
        } else if r.f.require_encryption {
            return Err("plain JSON where an encrypted answer is required".into());
        } else {
            serde_json::from_slice(&body).map_err(|_| "not a JSON object".to_string())?
        };
        if text(&claims, "sub").as_deref() != Some(sub) {
            return Err("for another subject than the ID token".into());
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests;
