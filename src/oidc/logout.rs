//! Telling portals that a session ended: OpenID Connect Back-Channel
//! Logout 1.0 (a signed logout token POSTed to each portal of the session,
//! retried with backoff), the sweeper that announces sessions that expire,
//! and the front-channel fallback's URLs for the logout page.
//!
//! Whichever of logout, account end and the sweeper gets to a session
//! first claims it in the ephemeral store, so each portal is told once
//! even with several nodes.

use std::sync::Arc;
use std::time::Duration;

use super::{Client, Provider};
use crate::config::LogoutSettings;
use crate::store::StoreResult;
use crate::tokens::jwt::{self, Audience, TokenType};
use crate::tokens::random_token;

pub use crate::tokens::claims::{BACKCHANNEL_EVENT, LogoutTokenClaims};

/// Whether a client wants to hear of sessions ending on the back channel.
pub fn wants_notice(client: &Client) -> bool {
    client.settings.backchannel_logout_uri.is_some()
}

/// A signed logout token for `client` about session `sid`.
pub fn logout_token(
    app: &Provider,
    client: &Client,
    sid: &str,
    account_id: Option<&str>,
) -> Result<String, crate::tokens::KeyError> {
    let now = app.now();
    let mut events = serde_json::Map::new();
    events.insert(BACKCHANNEL_EVENT.into(), serde_json::json!({}));
    let claims = LogoutTokenClaims {
        iss: app.issuer().to_string(),
        sub: account_id.map(|a| crate::oidc::privacy::subject_for(app, client, a)),
        aud: Audience::One(client.id().to_string()),
        iat: now,
        exp: now + app.settings.logout.token_ttl_secs as i64,
        jti: random_token(16),
        events,
        sid: Some(sid.to_string()),
        nonce: None,
    };
    jwt::encode(&app.keys.current().signing, TokenType::LogoutToken, &claims)
}

/// Session `sid` (of `account_id`, when known) has ended: unless another
/// path already did, tell every portal of the session that asked.
pub async fn session_ended(app: &Provider, sid: &str, account_id: Option<&str>) -> StoreResult<()> {
    let clients = app.eph.session_clients(sid).await?;
    let wanted: Vec<&Client> = clients
        .iter()
        .filter_map(|c| app.clients.get(c))
        .filter(|c| wants_notice(c))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let claim_ttl = app.settings.tokens.session_ttl_secs as i64 + 86_400;
    if !app.eph.claim_session_end(sid, claim_ttl).await? {
        return Ok(());
    }
    for client in wanted {
        let Some(uri) = client.settings.backchannel_logout_uri.clone() else {
            continue;
        };
        match logout_token(app, client, sid, account_id) {
            Ok(token) => deliver(
                app.http.clone(),
                app.settings.logout.clone(),
                client.id().to_string(),
                uri,
                token,
            ),
            Err(e) => {
                tracing::error!(client = client.id(), error = %e, "cannot sign a logout token")
            }
        }
    }
    Ok(())
}

/// POSTs `token` to `uri` in the background: retried on network errors,
/// 5xx and 429, waiting `retry_initial_ms` and doubling, `attempts` times
/// in all. A portal that answers another 4xx refused the token; that is
/// logged and not retried.
pub fn deliver(
    http: reqwest::Client,
    settings: LogoutSettings,
    client_id: String,
    uri: String,
    token: String,
) {
    tokio::spawn(async move {
        let mut wait = Duration::from_millis(settings.retry_initial_ms.max(1));
        for attempt in 1..=settings.attempts.max(1) {
            let sent = http
                .post(&uri)
                .timeout(Duration::from_millis(settings.timeout_ms.max(1)))
                .header(reqwest::header::CACHE_CONTROL, "no-store")
                .form(&[("logout_token", token.as_str())])
                .send()
                .await;
            let retry = match &sent {
                Ok(r) if r.status().is_success() => {
                    tracing::info!(client = %client_id, attempt, "back-channel logout delivered");
                    return;
                }
                Ok(r) => {
                    let s = r.status();
                    tracing::warn!(client = %client_id, attempt, status = s.as_u16(), "back-channel logout refused");
                    s.is_server_error() || s.as_u16() == 429
                }
                Err(e) => {
                    tracing::warn!(client = %client_id, attempt, error = %e, "back-channel logout not delivered");
                    true
                }
            };
            if !retry {
                return;
            }
            if attempt < settings.attempts {
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
            }
        }
        tracing::error!(client = %client_id, "back-channel logout given up after every attempt");
    });
}

/// The front-channel logout URLs of the session's portals that asked for
/// one (with `iss` and `sid` when they want them), for iframes on the
/// logout page.
pub async fn frontchannel_urls(app: &Provider, sid: &str) -> StoreResult<Vec<String>> {
    let mut out = Vec::new();
    for id in app.eph.session_clients(sid).await? {
        let Some(c) = app.clients.get(&id) else {
            continue;
        };
        let Some(uri) = &c.settings.frontchannel_logout_uri else {
            continue;
        };
        out.push(if c.settings.frontchannel_logout_session_required {
            crate::oidc::redirect_with(uri, &[("iss", Some(app.issuer())), ("sid", Some(sid))])
        } else {
            uri.clone()
        });
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Announces sessions that expire: every `logout.sweep_secs`, the minutes
/// that have fully passed since the last sweep are looked at, and their
/// sessions' portals are told (once, whichever node gets there first).
/// A node starts an hour back, and after a long pause looks back at most
/// one session lifetime.
pub fn spawn_expiry_sweeper(state: &Arc<Provider>) {
    let every = Duration::from_secs(state.settings.logout.sweep_secs.max(1));
    let weak = Arc::downgrade(state);
    // At start, look back an hour: sessions that expired while no node
    // was running are announced late rather than never (the claim keeps
    // them from being announced twice).
    let mut next = state.now().div_euclid(60) - 60;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let Some(app) = weak.upgrade() else { break };
            let last_full = app.now().div_euclid(60) - 1;
            // After a long pause, look back one session lifetime at most.
            let horizon = (app.settings.tokens.session_ttl_secs as i64 / 60) + 2;
            next = next.max(last_full - horizon);
            while next <= last_full {
                if let Err(e) = sweep_minute(&app, next).await {
                    tracing::warn!(error = %e, "logout sweeper: will try this minute again");
                    break;
                }
                next += 1;
            }
        }
    });
}

async fn sweep_minute(app: &Provider, bucket: i64) -> StoreResult<()> {
    for (sid, account) in app.eph.sessions_expiring_in(bucket).await? {
        session_ended(app, &sid, Some(&account)).await?;
    }
    Ok(())
}
