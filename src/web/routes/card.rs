//! Certificate-card login: `GET /login/card?ar=…`, served on the HTTPS
//! listener (the browser presents the card's certificate in the TLS
//! handshake) and, behind a reverse proxy that ends TLS, on the plain
//! listener with the certificate in `card.proxy_header`.

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rustls::pki_types::CertificateDer;

use super::external::complete_login;
use super::login::ArQuery;
use crate::app::{AppState, SharedState};
use crate::identity::card::{CardError, CardIdentity, cert_from_escaped_pem};
use crate::login::LoginContext;
use crate::web::browser::Browser;
use crate::web::card_i18n::{card_texts, refusal_text};
use crate::web::error::{Localized, WebError};
use crate::web::pages::login_uri;
use crate::web::tls::PeerCertificates;

/// Where the chain came from, or why it was refused before verifying.
enum Presented {
    Chain(Vec<CertificateDer<'static>>),
    UntrustedProxy(String),
    BadHeader(String),
}

/// The certificate chain of this request: a trusted proxy's header, else
/// what the client presented in the TLS handshake (nothing on the plain
/// listener).
fn presented(
    app: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    tls: Option<PeerCertificates>,
) -> Presented {
    let header_value = app
        .settings
        .card
        .proxy_header
        .as_deref()
        .and_then(|name| headers.get(name))
        .map(|v| v.to_str().unwrap_or("").trim().to_string());
    if let Some(value) = header_value.filter(|v| !v.is_empty()) {
        let peer = peer.map(|p| p.ip().to_canonical());
        let trusted = peer.is_some_and(|ip| {
            app.settings
                .server
                .trusted_proxies
                .iter()
                .any(|n| n.contains(ip))
        });
        if !trusted {
            return Presented::UntrustedProxy(
                peer.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
            );
        }
        return match cert_from_escaped_pem(&value) {
            Ok(cert) => Presented::Chain(vec![cert]),
            Err(e) => Presented::BadHeader(e),
        };
    }
    match tls.and_then(|PeerCertificates(c)| c) {
        Some(chain) => Presented::Chain(chain.to_vec()),
        None => Presented::Chain(Vec::new()),
    }
}

/// `GET /login/card`.
pub async fn login_card(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    tls: Option<Extension<PeerCertificates>>,
    Query(q): Query<ArQuery>,
) -> Response {
    let lang = browser.lang;
    let mut resp = card_inner(
        &app,
        &browser,
        &uri,
        &headers,
        peer.map(|Extension(ConnectInfo(p))| p),
        tls.map(|Extension(t)| t),
        &q.ar,
    )
    .await
    .unwrap_or_else(|e| Localized(e, lang).into_response());
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn card_inner(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    tls: Option<PeerCertificates>,
    ar: &str,
) -> Result<Response, WebError> {
    let Some(cards) = &app.cards else {
        return Err(WebError::NotFound);
    };
    let chain = match presented(app, headers, peer, tls) {
        Presented::Chain(c) => c,
        Presented::UntrustedProxy(from) => {
            tracing::warn!(
                peer = %from,
                header = app.settings.card.proxy_header.as_deref().unwrap_or(""),
                "client certificate header from an address that is not a trusted proxy: refused"
            );
            return Ok(refusal(
                app,
                browser,
                uri,
                ar,
                "card_proxy_untrusted",
                StatusCode::FORBIDDEN,
            ));
        }
        Presented::BadHeader(e) => {
            tracing::warn!(error = %e, "trusted proxy passed an unreadable client certificate");
            return Ok(refusal(
                app,
                browser,
                uri,
                ar,
                "card_malformed",
                StatusCode::BAD_REQUEST,
            ));
        }
    };
    let now = app.now();
    let identity = match cards.verify(&chain, now).await {
        Ok(id) => id,
        Err(e) => {
            let status = match &e {
                CardError::NoCertificate => StatusCode::UNAUTHORIZED,
                e if e.is_temporary() => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::FORBIDDEN,
            };
            let outcome = if e.is_temporary() { "error" } else { "failure" };
            app.metrics.login("card", outcome, e.code());
            return Ok(refusal(app, browser, uri, ar, e.code(), status));
        }
    };
    complete(app, browser, ar, &identity).await
}

/// A verified card logs in to the account its SATU is linked to; a card
/// seen for the first time goes to first-login registration.
async fn complete(
    app: &AppState,
    browser: &Browser,
    ar: &str,
    card: &CardIdentity,
) -> Result<Response, WebError> {
    let identity = card.verified(&app.settings.card.source, app.now());
    complete_login(
        app,
        browser,
        identity,
        LoginContext {
            ar: ar.to_string(),
            card_type: Some(card.card_type.to_string()),
            ..LoginContext::default()
        },
    )
    .await
}

fn refusal(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    ar: &str,
    code: &'static str,
    status: StatusCode,
) -> Response {
    let ct = card_texts(browser.lang);
    super::login::coded_message(
        app,
        browser,
        uri,
        ct.refused_title,
        refusal_text(code, browser.lang),
        Some(code),
        Some((login_uri(ar).to_string(), ct.try_other_method)),
        status,
    )
}
