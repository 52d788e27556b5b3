//! OpenID Connect provider endpoints: discovery, JWKS, authorization,
//! token, userinfo and RP-initiated logout.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::login;
use crate::app::{AppState, SharedState};
use crate::config::GrantType;
use crate::oidc::authorize::{self, AuthorizeError, AuthorizeParams};
use crate::oidc::{self, TokenError, redirect_with};
use crate::telemetry::Metrics;
use crate::tokens::claims::{IdTokenClaims, person_claims};
use crate::tokens::jwt::{self, TokenType};
use crate::tokens::{b64_std_decode, random_token};
use crate::web::browser::{Browser, clear_cookie, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::texts;
use crate::web::pages::{LogoutConfirmPage, MessagePage, lang_links, render};

pub async fn discovery(State(app): State<SharedState>) -> Response {
    let u = |p: &str| app.url(p);
    let doc = json!({
        "issuer": app.issuer(),
        "authorization_endpoint": u("/authorize"),
        "token_endpoint": u("/token"),
        "userinfo_endpoint": u("/userinfo"),
        "jwks_uri": u("/jwks"),
        "end_session_endpoint": u("/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "azp",
            "name", "given_name", "family_name", "preferred_username", "title", "email",
            "organisations", "networks", "portals", "card_type", "authorities"
        ],
        "acr_values_supported": [
            crate::domain::LoA::Low.acr(),
            crate::domain::LoA::Substantial.acr(),
            crate::domain::LoA::High.acr()
        ],
        "prompt_values_supported": ["none", "login"],
        "ui_locales_supported": ["fi", "sv", "en"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "introspection_endpoint": u("/introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint": u("/revoke"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    });
    (
        [(header::CACHE_CONTROL, "public, max-age=3600")],
        axum::Json(doc),
    )
        .into_response()
}

pub async fn jwks(State(app): State<SharedState>) -> Response {
    let keys = app.keys.current();
    (
        [
            (header::CONTENT_TYPE, "application/jwk-set+json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        keys.jwks_json.clone(),
    )
        .into_response()
}

/// `GET /authorize`: checks the client and redirect URI first (errors
/// before that are pages, never redirects), then everything else.
pub async fn authorize(
    State(app): State<SharedState>,
    browser: Browser,
    Query(p): Query<AuthorizeParams>,
) -> Response {
    Metrics::inc(&app.metrics.counters.authorize_requests_total);
    let lang = browser.lang;
    match authorize_inner(&app, &browser, p).await {
        Ok(r) => with_cookies(r, browser.lang_cookie(&app)),
        Err(e) => Localized(e, lang).into_response(),
    }
}

async fn authorize_inner(
    app: &AppState,
    browser: &Browser,
    p: AuthorizeParams,
) -> Result<Response, WebError> {
    let to_client = |e: AuthorizeError| -> Result<Response, WebError> {
        match e.redirect(app.issuer()) {
            Some(url) => Ok(Redirect::to(&url).into_response()),
            None => Err(match e {
                AuthorizeError::UnknownClient(c) => WebError::UnknownClient(c),
                AuthorizeError::BadRedirect(u) => WebError::BadRedirect(u),
                AuthorizeError::ToClient { .. } => WebError::internal("unreachable"),
            }),
        }
    };
    let a = match authorize::parse(app, p, browser.ip_string().as_deref()) {
        Ok(a) => a,
        Err(e) => return to_client(e),
    };
    if let Some((_, s)) = browser.session(app).await?
        && a.served_by(&s, app.now())
    {
        return login::continue_authorization(
            app,
            browser,
            a.client,
            &a.request,
            &s,
            a.prompt_none,
        )
        .await;
    }
    if a.prompt_none {
        return to_client(a.error("login_required", "the person is not logged in"));
    }
    crate::web::limits::count_started_login(app, browser, "/authorize").await?;
    let ar = random_token(18);
    app.eph
        .put_auth_request(&ar, &a.request, app.settings.tokens.login_ttl_secs as i64)
        .await?;
    Ok(Redirect::to(&format!("/login?ar={ar}")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

pub(crate) fn token_error(e: &TokenError, basic: bool) -> Response {
    let status = match e {
        TokenError::InvalidClient => StatusCode::UNAUTHORIZED,
        TokenError::Store(crate::store::StoreError::Unavailable(_)) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        TokenError::Store(_) | TokenError::Key(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    if status.is_server_error() {
        tracing::error!(error = %e, "token request failed");
    } else {
        tracing::info!(error = %e, "token request refused");
    }
    let mut resp = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({ "error": e.code(), "error_description": e.description() })),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED && basic {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"porttivahti\""),
        );
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECS),
        );
    }
    resp
}

/// What a portal is told to wait before trying again when a store is down
/// (the same as the pages' `Retry-After`).
const RETRY_AFTER_SECS: &str = "5";

/// A store failure answered to a portal's `/userinfo` call: JSON, never
/// the people's error page. Unavailable is `503 temporarily_unavailable`
/// with `Retry-After`; the detail goes only to the log.
fn userinfo_store_error(e: &crate::store::StoreError) -> Response {
    let unavailable = matches!(e, crate::store::StoreError::Unavailable(_));
    let (status, code) = if unavailable {
        (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, "server_error")
    };
    tracing::error!(error = %e, "userinfo failed");
    let mut r = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({ "error": code })),
    )
        .into_response();
    if unavailable {
        r.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECS),
        );
    }
    r
}

/// Client id and secret from HTTP Basic (RFC 6749 §2.3.1: each
/// form-urlencoded) or from the form.
fn client_credentials_of(
    headers: &HeaderMap,
    f: &TokenForm,
) -> Result<(String, Option<String>, bool), TokenError> {
    client_auth(headers, f.client_id.as_deref(), f.client_secret.as_deref())
}

/// Client id, secret and whether HTTP Basic was used, from the
/// `Authorization` header or the form fields (never both).
pub(crate) fn client_auth(
    headers: &HeaderMap,
    form_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<(String, Option<String>, bool), TokenError> {
    if let Some(h) = headers.get(header::AUTHORIZATION) {
        let h = h.to_str().map_err(|_| TokenError::InvalidClient)?;
        let b64 = h
            .strip_prefix("Basic ")
            .or_else(|| h.strip_prefix("basic "))
            .ok_or(TokenError::InvalidClient)?;
        let raw = b64_std_decode(b64).map_err(|_| TokenError::InvalidClient)?;
        let raw = String::from_utf8(raw).map_err(|_| TokenError::InvalidClient)?;
        let (id, secret) = raw.split_once(':').ok_or(TokenError::InvalidClient)?;
        let dec = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        if form_secret.is_some() {
            return Err(TokenError::InvalidRequest(
                "use one client authentication method",
            ));
        }
        return Ok((dec(id), Some(dec(secret)), true));
    }
    let id = form_id.ok_or(TokenError::InvalidClient)?.to_string();
    Ok((id, form_secret.map(str::to_string), false))
}

/// `POST /token`.
pub async fn token(
    State(app): State<SharedState>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Response {
    let (client_id, secret, basic) = match client_credentials_of(&headers, &f) {
        Ok(c) => c,
        Err(e) => {
            Metrics::inc(&app.metrics.counters.token_errors_total);
            return token_error(&e, true);
        }
    };
    let result = async {
        let client = app
            .clients
            .get(&client_id)
            .ok_or(TokenError::InvalidClient)?;
        match (&secret, client.is_public()) {
            (Some(s), false) if client.secret_matches(s) => {}
            (None, true) => {}
            _ => return Err(TokenError::InvalidClient),
        }
        match f.grant_type.as_deref() {
            Some("authorization_code") => {
                if !client.allows(GrantType::AuthorizationCode) {
                    return Err(TokenError::UnauthorizedClient);
                }
                let code = f
                    .code
                    .as_deref()
                    .ok_or(TokenError::InvalidRequest("code is missing"))?;
                oidc::exchange_code(
                    &app,
                    client,
                    code,
                    f.redirect_uri.as_deref(),
                    f.code_verifier.as_deref(),
                )
                .await
            }
            Some("refresh_token") => {
                if !client.allows(GrantType::RefreshToken) {
                    return Err(TokenError::UnauthorizedClient);
                }
                let t = f
                    .refresh_token
                    .as_deref()
                    .ok_or(TokenError::InvalidRequest("refresh_token is missing"))?;
                oidc::refresh(&app, client, t).await
            }
            Some("client_credentials") => {
                oidc::client_credentials(&app, client, f.scope.as_deref())
            }
            Some(_) => Err(TokenError::UnsupportedGrantType),
            None => Err(TokenError::InvalidRequest("grant_type is missing")),
        }
    }
    .await;
    match result {
        Ok(t) => (
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            axum::Json(t),
        )
            .into_response(),
        Err(e) => {
            Metrics::inc(&app.metrics.counters.token_errors_total);
            token_error(&e, basic)
        }
    }
}

fn bearer_error(status: StatusCode, error: &str) -> Response {
    let mut r = (status, axum::Json(json!({ "error": error }))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("Bearer error=\"{error}\"")) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// `GET|POST /userinfo`.
pub async fn userinfo(State(app): State<SharedState>, headers: HeaderMap) -> Response {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
    else {
        return bearer_error(StatusCode::UNAUTHORIZED, "invalid_request");
    };
    let claims = match oidc::check_access_token(&app, token.trim()).await {
        Ok(Some(c)) => c,
        Ok(None) => return bearer_error(StatusCode::UNAUTHORIZED, "invalid_token"),
        Err(e) => return userinfo_store_error(&e),
    };
    let account_id = match crate::oidc::privacy::account_of(&app, &claims).await {
        Ok(Some(a)) => a,
        Ok(None) => return bearer_error(StatusCode::UNAUTHORIZED, "invalid_token"),
        Err(e) => return userinfo_store_error(&e),
    };
    let person = match oidc::load_person(&app, &account_id).await {
        Ok(Some(p)) if p.account.status == crate::domain::AccountStatus::Active => p,
        Ok(_) => return bearer_error(StatusCode::UNAUTHORIZED, "invalid_token"),
        Err(e) => return userinfo_store_error(&e),
    };
    let scope: Vec<String> = claims.scope.split(' ').map(str::to_string).collect();
    let mut pc = person_claims(&person, &scope, claims.portals.clone());
    pc.authorities = claims.authorities.clone();
    let portal = app
        .clients
        .get(&claims.client_id)
        .and_then(|c| app.policy.portal(&c.settings.portal));
    crate::oidc::privacy::filter_claims(portal, &mut pc);
    let mut body = serde_json::to_value(&pc).unwrap_or_else(|_| json!({}));
    if let Some(o) = body.as_object_mut() {
        o.insert("sub".into(), json!(claims.sub));
    }
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

#[derive(Debug, Deserialize, Default)]
pub struct LogoutParams {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
    csrf: Option<String>,
}

/// `GET /logout` (end_session_endpoint). With a valid `id_token_hint` for
/// this browser's session the person is logged out at once; otherwise
/// (no hint, or a hint without this browser's session) they confirm with
/// the CSRF-protected form, so another site cannot log them out.
pub async fn logout_get(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Query(p): Query<LogoutParams>,
) -> Response {
    let lang = browser.lang;
    match logout_inner(&app, &browser, &uri, p, false).await {
        Ok(r) => r,
        Err(e) => Localized(e, lang).into_response(),
    }
}

pub async fn logout_post(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Form(p): Form<LogoutParams>,
) -> Response {
    let lang = browser.lang;
    match logout_inner(&app, &browser, &uri, p, true).await {
        Ok(r) => r,
        Err(e) => Localized(e, lang).into_response(),
    }
}

async fn logout_inner(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    p: LogoutParams,
    posted: bool,
) -> Result<Response, WebError> {
    let t = texts(browser.lang);
    let hint: Option<IdTokenClaims> = match &p.id_token_hint {
        Some(h) => {
            let expect = jwt::Expect {
                issuer: app.issuer(),
                audience: None,
                typ: TokenType::Jwt,
                now: app.now(),
                allow_expired: true,
                leeway: 0,
            };
            Some(
                oidc::verify_own::<IdTokenClaims>(app, h, &expect)
                    .await
                    .map_err(|e| WebError::BadRequest(format!("id_token_hint: {e}")))?
                    .claims,
            )
        }
        None => None,
    };
    // Which client the redirect belongs to: client_id, or the hint's audience.
    let client_id = p
        .client_id
        .clone()
        .or_else(|| hint.as_ref().map(|h| h.azp.clone()));
    if let (Some(c), Some(h)) = (&p.client_id, &hint)
        && &h.azp != c
    {
        return Err(WebError::BadRequest(
            "client_id does not match id_token_hint".into(),
        ));
    }
    let redirect = match &p.post_logout_redirect_uri {
        Some(u) => {
            let client = client_id
                .as_deref()
                .and_then(|c| app.clients.get(c))
                .ok_or_else(|| {
                    WebError::BadRequest(
                        "post_logout_redirect_uri needs client_id or id_token_hint".into(),
                    )
                })?;
            if !client
                .settings
                .post_logout_redirect_uris
                .iter()
                .any(|r| r == u)
            {
                return Err(WebError::BadRedirect(u.clone()));
            }
            Some(redirect_with(u, &[("state", p.state.as_deref())]))
        }
        None => None,
    };
    // A session that may only change its one-time password may still end.
    let session = browser.any_session(app).await?;
    let confirmed = if posted {
        let ok = browser.csrf_ok(app, p.csrf.as_deref().unwrap_or(""));
        if !ok {
            tracing::warn!(
                ip = browser.ip.map(tracing::field::display),
                client = client_id.as_deref().map(tracing::field::display),
                "logout form without a valid CSRF token: asking the person to confirm again"
            );
        }
        ok
    } else {
        // A hint naming this very browser's session is proof enough. A hint
        // alone is not: an old ID token can be held by another site, which
        // could then end the session by a redirect or an image.
        match (&hint, &session) {
            (Some(h), Some((_, s))) if h.sid == s.sid => true,
            (Some(h), s) => {
                tracing::warn!(
                    ip = browser.ip.map(tracing::field::display),
                    client = %h.azp,
                    hint_sid = %h.sid,
                    browser_session = s.is_some(),
                    "logout: id_token_hint without this browser's session for it; asking the person to confirm"
                );
                false
            }
            (None, _) => false,
        }
    };
    if !confirmed && (session.is_some() || hint.is_some()) {
        let (csrf, set) = browser.csrf(app);
        let page = LogoutConfirmPage {
            t,
            langs: lang_links(uri, browser.lang),
            csrf,
            id_token_hint: p.id_token_hint.clone(),
            post_logout_redirect_uri: p.post_logout_redirect_uri.clone(),
            state: p.state.clone(),
            client_id,
        };
        return Ok(with_cookies(render(&page, StatusCode::OK), set));
    }
    let upstream = session.as_ref().and_then(|(_, s)| s.upstream.clone());
    let ended_sid = session
        .as_ref()
        .map(|(_, s)| s.sid.clone())
        .or_else(|| hint.as_ref().map(|h| h.sid.clone()));
    let frames = match &ended_sid {
        Some(sid) => crate::oidc::logout::frontchannel_urls(app, sid).await?,
        None => Vec::new(),
    };
    if let Some((key, s)) = &session {
        oidc::logout(app, Some(key), &s.sid).await?;
        tracing::info!(account = %s.account_id, sid = %s.sid, "logged out");
    } else if let Some(h) = &hint {
        // Confirmed by a browser without the session's cookie (it lost it,
        // or the portal sent another one): end the session the hint names.
        oidc::logout(app, None, &h.sid).await?;
    }
    let clear = clear_cookie(app, "pv_sid");
    // The upstream IdP's session ends too (SAML single logout); its answer
    // comes back to /saml/{source}/slo, which goes on to `redirect`.
    let redirect = match upstream {
        Some(u) => super::saml::single_logout(app, &u, redirect.as_deref())
            .await?
            .or(redirect),
        None => redirect,
    };
    if !frames.is_empty() {
        let page = super::logout_pages::frontchannel_page(browser.lang, uri, frames, redirect);
        return Ok(with_cookies(page, [clear]));
    }
    let resp = match redirect {
        Some(r) => Redirect::to(&r).into_response(),
        None => render(
            &MessagePage {
                t,
                langs: lang_links(uri, browser.lang),
                title: t.logged_out_title,
                body: t.logged_out_body,
                error_code: None,
                request_id: None,
                contacts: Vec::new(),
                show_desk: false,
                desk: None,
                link: None,
            },
            StatusCode::OK,
        ),
    };
    Ok(with_cookies(resp, [clear]))
}
