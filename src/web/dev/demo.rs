//! The demo portal: a real OpenID Connect client of the gateway, served
//! under `/demo/` only when the configuration enables it. It talks to the
//! gateway over HTTP like any portal: authorization code with PKCE, token
//! exchange, ID token verified against the published JWKS, userinfo.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::{Deserialize, Serialize};

use super::DevState;
use crate::app::{AppState, SharedState};
use crate::config::{DemoSlot, Settings};
use crate::domain::Lang;
use crate::tokens::claims::IdTokenClaims;
use crate::tokens::jwt::{self, TokenType};
use crate::tokens::keyring::{JwkSet, verifying_keys_from_jwks};
use crate::tokens::{b64url, b64url_decode, random_token, sha256};
use crate::verifier::{Verifier, VerifierConfig};
use crate::web::browser::{Browser, set_cookie, with_cookies};
use crate::web::pages::{lang_links, render};

use super::demo_i18n::{DemoTexts, demo_texts};

#[derive(askama::Template)]
#[template(path = "dev/demo.html")]
struct DemoPage {
    t: &'static DemoTexts,
    langs: Vec<crate::web::pages::LangLink>,
    portal: String,
    login_url: String,
    /// The other demo portals, for trying single sign-on between them.
    others: Vec<DemoLink>,
    /// The gateway ended this portal's session over the back channel.
    ended: bool,
    error: Option<String>,
    id_claims: Option<String>,
    access_claims: Option<String>,
    userinfo: Option<String>,
    logout_url: String,
}

struct DemoLink {
    name: String,
    href: String,
}

/// The demo portals' own callbacks, landing pages and back-channel logout
/// endpoints follow the public URL: added to their clients at start-up.
pub(super) fn add_demo_uris(settings: &mut Settings) {
    let issuer = settings.server.issuer().to_string();
    for slot in settings.demo.slots() {
        let Some(c) = settings
            .clients
            .iter_mut()
            .find(|c| c.client_id == slot.client_id)
        else {
            continue;
        };
        let base = format!("{issuer}{}", slot.base());
        let cb = format!("{base}callback");
        if !c.redirect_uris.contains(&cb) {
            c.redirect_uris.push(cb);
        }
        if !c.post_logout_redirect_uris.contains(&base) {
            c.post_logout_redirect_uris.push(base.clone());
        }
        if c.backchannel_logout_uri.is_none() {
            c.backchannel_logout_uri = Some(format!("{base}backchannel-logout"));
            c.backchannel_logout_session_required = true;
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Pending {
    client_id: String,
    nonce: String,
    verifier: String,
}

#[derive(Serialize, Deserialize)]
struct DemoSession {
    id_token: String,
    id_claims: String,
    access_claims: String,
    userinfo: String,
    sid: Option<String>,
}

/// How long the demo remembers a login.
const DEMO_SESSION_SECS: i64 = 3600;

/// The demo portal under `path`.
fn slot_of(app: &AppState, path: &str) -> Option<DemoSlot> {
    app.settings.demo.slot(path)
}

fn no_such_portal() -> Response {
    (StatusCode::NOT_FOUND, "no such demo portal").into_response()
}

fn cookie_name(slot: &DemoSlot) -> String {
    if slot.path.is_empty() {
        "pv_demo".into()
    } else {
        format!("pv_demo_{}", slot.path)
    }
}

/// Keys of the demo's state are the client's own.
fn key(slot: &DemoSlot, id: &str) -> String {
    format!("{}:{id}", slot.client_id)
}

fn callback_url(app: &AppState, slot: &DemoSlot) -> String {
    app.url(&format!("{}callback", slot.base()))
}

fn portal_name(app: &AppState, slot: &DemoSlot, lang: Lang) -> String {
    app.clients
        .get(&slot.client_id)
        .and_then(|c| app.policy.portal(&c.settings.portal))
        .map(|p| p.name_in(lang).to_string())
        .unwrap_or_default()
}

fn page(
    app: &AppState,
    browser: &Browser,
    slot: &DemoSlot,
    error: Option<String>,
    s: Option<DemoSession>,
    ended: bool,
) -> Response {
    let lang = browser.lang;
    let base = slot.base();
    let logout_url = format!("{base}logout");
    let status = if error.is_some() {
        StatusCode::BAD_GATEWAY
    } else {
        StatusCode::OK
    };
    let (id_claims, access_claims, userinfo) = match s {
        Some(s) => (Some(s.id_claims), Some(s.access_claims), Some(s.userinfo)),
        None => (None, None, None),
    };
    let others = app
        .settings
        .demo
        .slots()
        .into_iter()
        .filter(|o| o.path != slot.path)
        .map(|o| DemoLink {
            name: portal_name(app, &o, lang),
            href: o.base(),
        })
        .collect();
    let page_uri: axum::http::Uri = base.parse().unwrap_or_default();
    let resp = render(
        &DemoPage {
            t: demo_texts(lang),
            langs: lang_links(&page_uri, lang),
            portal: portal_name(app, slot, lang),
            login_url: format!("{base}login"),
            others,
            ended,
            error,
            id_claims,
            access_claims,
            userinfo,
            logout_url,
        },
        status,
    );
    with_cookies(resp, browser.lang_cookie(app))
}

async fn show(app: &AppState, browser: &Browser, slot: &DemoSlot) -> Response {
    let Some(k) = browser.cookie(app, &cookie_name(slot)) else {
        return page(app, browser, slot, None, None, false);
    };
    let session = app
        .eph
        .pending::<DemoSession>("demo-session", &key(slot, k))
        .await
        .ok()
        .flatten();
    // Gone because the gateway said so over the back channel.
    let ended = session.is_none()
        && app
            .eph
            .pending::<bool>("demo-ended", &key(slot, k))
            .await
            .ok()
            .flatten()
            .unwrap_or(false);
    page(app, browser, slot, None, session, ended)
}

/// `GET /demo/`.
pub async fn index(State(app): State<SharedState>, browser: Browser) -> Response {
    match slot_of(&app, "") {
        Some(slot) => show(&app, &browser, &slot).await,
        None => no_such_portal(),
    }
}

/// `GET /demo/{path}/`.
pub async fn index_at(
    State(app): State<SharedState>,
    browser: Browser,
    Path(path): Path<String>,
) -> Response {
    match slot_of(&app, &path) {
        Some(slot) => show(&app, &browser, &slot).await,
        None => no_such_portal(),
    }
}

/// `GET /demo/login`: starts the authorization code flow.
pub async fn login(State(app): State<SharedState>, browser: Browser) -> Response {
    match slot_of(&app, "") {
        Some(slot) => start(&app, &browser, &slot).await,
        None => no_such_portal(),
    }
}

/// `GET /demo/{path}/login`.
pub async fn login_at(
    State(app): State<SharedState>,
    browser: Browser,
    Path(path): Path<String>,
) -> Response {
    match slot_of(&app, &path) {
        Some(slot) => start(&app, &browser, &slot).await,
        None => no_such_portal(),
    }
}

async fn start(app: &AppState, browser: &Browser, slot: &DemoSlot) -> Response {
    let state = random_token(16);
    let p = Pending {
        client_id: slot.client_id.clone(),
        nonce: random_token(16),
        verifier: random_token(48),
    };
    let challenge = b64url(sha256(&p.verifier));
    if app
        .eph
        .put_pending("demo-state", &state, &p, 1800)
        .await
        .is_err()
    {
        let e = "the session store is unavailable".to_string();
        return page(app, browser, slot, Some(e), None, false);
    }
    let url = crate::oidc::redirect_with(
        &app.url("/authorize"),
        &[
            ("response_type", Some("code")),
            ("client_id", Some(&slot.client_id)),
            ("redirect_uri", Some(&callback_url(app, slot))),
            ("scope", Some("openid profile email")),
            ("state", Some(&state)),
            ("nonce", Some(&p.nonce)),
            ("code_challenge", Some(&challenge)),
            ("code_challenge_method", Some("S256")),
            // The gateway speaks the language the person reads here.
            ("ui_locales", Some(browser.lang.as_str())),
        ],
    );
    Redirect::to(&url).into_response()
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct Tokens {
    id_token: String,
    access_token: String,
}

/// `GET /demo/callback`: exchanges the code and verifies what came back.
pub async fn callback(
    State(app): State<SharedState>,
    browser: Browser,
    Query(cb): Query<Callback>,
) -> Response {
    match slot_of(&app, "") {
        Some(slot) => arrive(&app, &browser, &slot, cb).await,
        None => no_such_portal(),
    }
}

/// `GET /demo/{path}/callback`.
pub async fn callback_at(
    State(app): State<SharedState>,
    browser: Browser,
    Path(path): Path<String>,
    Query(cb): Query<Callback>,
) -> Response {
    match slot_of(&app, &path) {
        Some(slot) => arrive(&app, &browser, &slot, cb).await,
        None => no_such_portal(),
    }
}

async fn arrive(app: &AppState, browser: &Browser, slot: &DemoSlot, cb: Callback) -> Response {
    if let Some(e) = cb.error {
        let e = format!("{e}: {}", cb.error_description.unwrap_or_default());
        return page(app, browser, slot, Some(e), None, false);
    }
    let s = match finish(app, slot, cb).await {
        Ok(s) => s,
        Err(e) => return page(app, browser, slot, Some(e), None, false),
    };
    let k = random_token(16);
    if let Some(sid) = &s.sid {
        // The back channel names the gateway's session: remember which of
        // ours belong to it.
        let idx = key(slot, sid);
        let mut keys: Vec<String> = app
            .eph
            .pending("demo-sid", &idx)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        keys.push(k.clone());
        let _ = app
            .eph
            .put_pending("demo-sid", &idx, &keys, DEMO_SESSION_SECS)
            .await;
    }
    if let Err(e) = app
        .eph
        .put_pending("demo-session", &key(slot, &k), &s, DEMO_SESSION_SECS)
        .await
    {
        return page(app, browser, slot, Some(e.to_string()), None, false);
    }
    with_cookies(
        Redirect::to(&slot.base()).into_response(),
        [set_cookie(app, &cookie_name(slot), &k, None, "Lax")],
    )
}

/// `GET /demo/logout`: as a portal does, ends its own session first, then
/// sends the browser to the gateway's logout, which ends the others.
pub async fn logout(State(app): State<SharedState>, browser: Browser) -> Response {
    match slot_of(&app, "") {
        Some(slot) => leave(&app, &browser, &slot).await,
        None => no_such_portal(),
    }
}

/// `GET /demo/{path}/logout`.
pub async fn logout_at(
    State(app): State<SharedState>,
    browser: Browser,
    Path(path): Path<String>,
) -> Response {
    match slot_of(&app, &path) {
        Some(slot) => leave(&app, &browser, &slot).await,
        None => no_such_portal(),
    }
}

async fn leave(app: &AppState, browser: &Browser, slot: &DemoSlot) -> Response {
    let session = match browser.cookie(app, &cookie_name(slot)) {
        Some(k) => app
            .eph
            .take_pending::<DemoSession>("demo-session", &key(slot, k))
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let Some(s) = session else {
        return Redirect::to(&slot.base()).into_response();
    };
    let url = crate::oidc::redirect_with(
        &app.url("/logout"),
        &[
            ("id_token_hint", Some(&s.id_token)),
            ("post_logout_redirect_uri", Some(&app.url(&slot.base()))),
        ],
    );
    Redirect::to(&url).into_response()
}

#[derive(Deserialize)]
pub struct LogoutForm {
    logout_token: Option<String>,
}

/// `POST /demo/backchannel-logout`: the gateway's back-channel logout
/// (OpenID Connect Back-Channel Logout 1.0), checked like any portal
/// should: signature against the JWKS, issuer, audience, event, `sid`.
pub async fn backchannel(
    State(app): State<SharedState>,
    Extension(dev): Extension<Arc<DevState>>,
    Form(f): Form<LogoutForm>,
) -> Response {
    match slot_of(&app, "") {
        Some(slot) => end_sessions(&app, &dev, &slot, f).await,
        None => no_such_portal(),
    }
}

/// `POST /demo/{path}/backchannel-logout`.
pub async fn backchannel_at(
    State(app): State<SharedState>,
    Extension(dev): Extension<Arc<DevState>>,
    Path(path): Path<String>,
    Form(f): Form<LogoutForm>,
) -> Response {
    match slot_of(&app, &path) {
        Some(slot) => end_sessions(&app, &dev, &slot, f).await,
        None => no_such_portal(),
    }
}

async fn end_sessions(app: &AppState, dev: &DevState, slot: &DemoSlot, f: LogoutForm) -> Response {
    let refuse = |why: String| {
        tracing::warn!(client = %slot.client_id, reason = %why, "demo portal: back-channel logout refused");
        let body = serde_json::json!({"error": "invalid_request", "error_description": why});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    };
    let Some(token) = f.logout_token else {
        return refuse("no logout_token".into());
    };
    let jwks = format!("{}/jwks", app.self_url);
    let verifier = dev
        .demo_verifier
        .get_or_try_init(|| Verifier::fetching(VerifierConfig::new(app.issuer()), &jwks))
        .await;
    let claims = match verifier {
        Ok(v) => v.verify_logout_token(&token, &slot.client_id).await,
        Err(e) => return refuse(e.to_string()),
    };
    let sid = match claims {
        Ok(c) => c.sid.unwrap_or_default(),
        Err(e) => return refuse(e.to_string()),
    };
    let keys: Vec<String> = app
        .eph
        .take_pending("demo-sid", &key(slot, &sid))
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    for k in &keys {
        let _ = app
            .eph
            .take_pending::<DemoSession>("demo-session", &key(slot, k))
            .await;
        let _ = app
            .eph
            .put_pending("demo-ended", &key(slot, k), &true, DEMO_SESSION_SECS)
            .await;
    }
    tracing::info!(client = %slot.client_id, %sid, sessions = keys.len(), "demo portal: logged out over the back channel");
    ([(header::CACHE_CONTROL, "no-store")], StatusCode::OK).into_response()
}

async fn finish(app: &AppState, slot: &DemoSlot, cb: Callback) -> Result<DemoSession, String> {
    let state = cb.state.ok_or("the gateway sent no state")?;
    let code = cb.code.ok_or("the gateway sent no code")?;
    let pending: Pending = app
        .eph
        .take_pending("demo-state", &state)
        .await
        .map_err(|e| e.to_string())?
        .filter(|p: &Pending| p.client_id == slot.client_id)
        .ok_or("unknown state: start the login again")?;
    let base = &app.self_url;
    let tokens: Tokens = app
        .http
        .post(format!("{base}/token"))
        .basic_auth(&slot.client_id, Some(slot.client_secret.expose()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &callback_url(app, slot)),
            ("code_verifier", &pending.verifier),
        ])
        .send()
        .await
        .map_err(|e| format!("token request failed: {e}"))?
        .error_for_status()
        .map_err(|e| format!("token endpoint refused: {e}"))?
        .json()
        .await
        .map_err(|e| format!("token response: {e}"))?;
    let jwks: JwkSet = app
        .http
        .get(format!("{base}/jwks"))
        .send()
        .await
        .map_err(|e| format!("JWKS request failed: {e}"))?
        .json()
        .await
        .map_err(|e| format!("JWKS: {e}"))?;
    let keys = verifying_keys_from_jwks(&jwks);
    let expect = jwt::Expect {
        issuer: app.issuer(),
        audience: Some(&slot.client_id),
        typ: TokenType::Jwt,
        now: app.now(),
        allow_expired: false,
        leeway: 30,
    };
    let id = jwt::verify::<IdTokenClaims>(&tokens.id_token, keys.as_slice(), &expect)
        .map_err(|e| format!("ID token rejected: {e}"))?;
    if id.claims.nonce.as_deref() != Some(pending.nonce.as_str()) {
        return Err("ID token nonce does not match".into());
    }
    let userinfo: serde_json::Value = app
        .http
        .get(format!("{base}/userinfo"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .map_err(|e| format!("userinfo request failed: {e}"))?
        .json()
        .await
        .map_err(|e| format!("userinfo: {e}"))?;
    let access_claims = tokens
        .access_token
        .split('.')
        .nth(1)
        .and_then(b64url_decode)
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .unwrap_or_default();
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let id_value = serde_json::to_value(&id.claims).unwrap_or_default();
    Ok(DemoSession {
        sid: id_value
            .get("sid")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        id_claims: pretty(&id_value),
        id_token: tokens.id_token,
        access_claims: pretty(&access_claims),
        userinfo: pretty(&userinfo),
    })
}
