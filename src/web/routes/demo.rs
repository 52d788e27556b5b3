//! The demo portal: a real OpenID Connect client of the gateway, served
//! under `/demo/` only when the configuration enables it. It talks to the
//! gateway over HTTP like any portal: authorization code with PKCE, token
//! exchange, ID token verified against the published JWKS, userinfo.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::app::{AppState, SharedState};
use crate::tokens::claims::IdTokenClaims;
use crate::tokens::jwt::{self, TokenType};
use crate::tokens::keyring::{JwkSet, verifying_keys_from_jwks};
use crate::tokens::{b64url, b64url_decode, random_token, sha256};
use crate::web::browser::{Browser, set_cookie, with_cookies};
use crate::web::pages::{DemoPage, render};

#[derive(Serialize, Deserialize)]
struct Pending {
    nonce: String,
    verifier: String,
}

#[derive(Serialize, Deserialize)]
struct DemoSession {
    id_token: String,
    id_claims: String,
    access_claims: String,
    userinfo: String,
}

fn callback_url(app: &AppState) -> String {
    app.url("/demo/callback")
}

fn portal_name(app: &AppState) -> String {
    app.clients
        .get(&app.settings.demo.client_id)
        .and_then(|c| app.policy.portal(&c.settings.portal))
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

fn page(app: &AppState, error: Option<String>, s: Option<DemoSession>) -> Response {
    let logout_url = match &s {
        Some(s) => crate::sso::redirect_with(
            &app.url("/logout"),
            &[
                ("id_token_hint", Some(&s.id_token)),
                ("post_logout_redirect_uri", Some(&app.url("/demo/"))),
            ],
        ),
        None => String::new(),
    };
    let status = if error.is_some() {
        StatusCode::BAD_GATEWAY
    } else {
        StatusCode::OK
    };
    let (id_claims, access_claims, userinfo) = match s {
        Some(s) => (Some(s.id_claims), Some(s.access_claims), Some(s.userinfo)),
        None => (None, None, None),
    };
    render(
        &DemoPage {
            portal: portal_name(app),
            error,
            id_claims,
            access_claims,
            userinfo,
            logout_url,
        },
        status,
    )
}

/// `GET /demo/`.
pub async fn index(State(app): State<SharedState>, browser: Browser) -> Response {
    let session = match browser.cookie(&app, "pv_demo") {
        Some(k) => app
            .eph
            .raw()
            .get(&format!("demo:session:{k}"))
            .await
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice::<DemoSession>(&b).ok()),
        None => None,
    };
    // A session the gateway has ended shows as logged out.
    let session = match session {
        Some(s) if still_logged_in(&app, &s).await => Some(s),
        _ => None,
    };
    page(&app, None, session)
}

async fn still_logged_in(app: &AppState, s: &DemoSession) -> bool {
    let sid = serde_json::from_str::<serde_json::Value>(&s.id_claims)
        .ok()
        .and_then(|v| v.get("sid").and_then(|x| x.as_str()).map(str::to_string));
    match sid {
        Some(sid) => !app.eph.session_ended(&sid).await.unwrap_or(true),
        None => false,
    }
}

/// `GET /demo/login`: starts the authorization code flow.
pub async fn login(State(app): State<SharedState>) -> Response {
    let state = random_token(16);
    let p = Pending {
        nonce: random_token(16),
        verifier: random_token(48),
    };
    let challenge = b64url(sha256(&p.verifier));
    let Ok(bytes) = serde_json::to_vec(&p) else {
        return page(&app, Some("cannot start login".into()), None);
    };
    if app
        .eph
        .raw()
        .put(
            &format!("demo:state:{state}"),
            bytes,
            Duration::from_secs(1800),
        )
        .await
        .is_err()
    {
        return page(&app, Some("the session store is unavailable".into()), None);
    }
    let url = crate::sso::redirect_with(
        &app.url("/authorize"),
        &[
            ("response_type", Some("code")),
            ("client_id", Some(&app.settings.demo.client_id)),
            ("redirect_uri", Some(&callback_url(&app))),
            ("scope", Some("openid profile email")),
            ("state", Some(&state)),
            ("nonce", Some(&p.nonce)),
            ("code_challenge", Some(&challenge)),
            ("code_challenge_method", Some("S256")),
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
    if let Some(e) = cb.error {
        return page(
            &app,
            Some(format!("{e}: {}", cb.error_description.unwrap_or_default())),
            None,
        );
    }
    match finish(&app, cb).await {
        Ok(s) => {
            let key = random_token(16);
            let stored = serde_json::to_vec(&s).unwrap_or_default();
            let _ = app
                .eph
                .raw()
                .put(
                    &format!("demo:session:{key}"),
                    stored,
                    Duration::from_secs(3600),
                )
                .await;
            let _ = browser;
            with_cookies(
                Redirect::to("/demo/").into_response(),
                [set_cookie(&app, "pv_demo", &key, None, "Lax")],
            )
        }
        Err(e) => page(&app, Some(e), None),
    }
}

async fn finish(app: &AppState, cb: Callback) -> Result<DemoSession, String> {
    let state = cb.state.ok_or("the gateway sent no state")?;
    let code = cb.code.ok_or("the gateway sent no code")?;
    let pending: Pending = app
        .eph
        .raw()
        .take(&format!("demo:state:{state}"))
        .await
        .map_err(|e| e.to_string())?
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("unknown state: start the login again")?;
    let base = &app.self_url;
    let tokens: Tokens = app
        .http
        .post(format!("{base}/token"))
        .basic_auth(
            &app.settings.demo.client_id,
            Some(app.settings.demo.client_secret.expose()),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &callback_url(app)),
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
        audience: Some(&app.settings.demo.client_id),
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
    Ok(DemoSession {
        id_claims: pretty(&serde_json::to_value(&id.claims).unwrap_or_default()),
        id_token: tokens.id_token,
        access_claims: pretty(&access_claims),
        userinfo: pretty(&userinfo),
    })
}
