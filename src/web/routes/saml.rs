//! Organisation login and Suomi.fi over SAML 2.0: sending the person to the
//! IdP, our SP metadata, and the assertion consumer service.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::external::complete_login;
use super::login::{ArQuery, message, no_store};
use crate::app::{AppState, SharedState};
use crate::domain::Lang;
use crate::identity::oidc::Rp;
use crate::identity::redirect::{
    Departure, Outgoing, RedirectSource, Refusal, Returned, SourceError,
};
use crate::identity::saml::sp::{self, Sp};
use crate::identity::saml::xml::esc;
use crate::login::LoginContext;
use crate::tokens::{hash_secret, random_token};
use crate::web::browser::{Browser, set_cookie, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::texts;
use crate::web::pages::{MessagePage, lang_links, login_uri, render};
use crate::web::sources_i18n::source_texts;

mod logout;
pub use logout::{logged_out_page, single_logout, slo, take_oidc_logout};

fn entity_id(app: &AppState, source: &str) -> String {
    sp::entity_id(app.issuer(), source)
}

fn acs_url(app: &AppState, source: &str) -> String {
    sp::acs_url(app.issuer(), source)
}

/// The service provider's side of SAML, for this request.
fn sp(app: &AppState) -> Sp<'_> {
    Sp {
        sources: &app.sources,
        eph: &app.eph,
        saml: &app.settings.saml,
        public_url: app.issuer(),
        http: &app.http,
        self_url: &app.self_url,
        now: app.now(),
        login_ttl: app.settings.tokens.login_ttl_secs as i64,
    }
}

/// The OpenID Connect relying party's side, for this request.
pub(super) fn rp(app: &AppState) -> Rp<'_> {
    Rp {
        eph: &app.eph,
        http: &app.http,
        public_url: app.issuer(),
        now: app.now(),
        login_ttl: app.settings.tokens.login_ttl_secs as i64,
    }
}

/// The relying party of Suomi.fi over OpenID Connect, for this request.
pub(super) fn ftn_rp(app: &AppState) -> crate::identity::suomifi_oidc::FtnRp<'_> {
    crate::identity::suomifi_oidc::FtnRp {
        sources: &app.sources,
        eph: &app.eph,
        http: &app.http,
        public_url: app.issuer(),
        now: app.now(),
        login_ttl: app.settings.tokens.login_ttl_secs as i64,
    }
}

/// The binding cookie goes with a cross-site POST from the IdP, so it is
/// `SameSite=None` where the service runs on HTTPS.
pub(super) fn binding_cookie(app: &AppState, value: &str) -> String {
    let same_site = if app.settings.server.public_url.starts_with("https://") {
        "None"
    } else {
        "Lax"
    };
    set_cookie(app, "pv_saml", value, None, same_site)
}

/// The secret of the browser's binding cookie: its own, or a new one. A
/// login started here must come back to the browser that started it.
pub(super) fn browser_binding(app: &AppState, browser: &Browser) -> String {
    browser
        .cookie(app, "pv_saml")
        .map(str::to_string)
        .filter(|b| b.len() >= 32)
        .unwrap_or_else(|| random_token(32))
}

/// Whether the browser carries the binding whose hash is `hash`.
pub(super) fn bound_to(app: &AppState, browser: &Browser, hash: &str) -> bool {
    browser
        .cookie(app, "pv_saml")
        .is_some_and(|c| hash_secret(c) == hash)
}

/// `GET /login/source/{id}`: sends the person to the source's IdP.
pub async fn begin(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<ArQuery>,
) -> Response {
    let lang = browser.lang;
    no_store(
        begin_inner(&app, &browser, &uri, &id, &q.ar)
            .await
            .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}

async fn begin_inner(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    id: &str,
    ar: &str,
) -> Result<Response, WebError> {
    // The pending-login id is stored with the request sent: only ours.
    if !crate::web::limits::ar_ok(ar) {
        tracing::warn!(source = %crate::web::limits::clip(id, 64), ar_bytes = ar.len(), ip = browser.ip.map(tracing::field::display), "login through a source refused: ar is not a pending-login id");
        return Err(WebError::BadRequest("ar is not a pending-login id".into()));
    }
    let s = source_texts(browser.lang);
    let t = texts(browser.lang);
    let back = Some((login_uri(ar).to_string(), t.back_to_login));
    let Some(src) = app.sources.get(id) else {
        return Ok(message(
            app,
            browser,
            uri,
            s.unknown_source_title,
            s.unknown_source_body,
            vec![],
            back,
            StatusCode::NOT_FOUND,
        ));
    };
    // Every kind stores what it sends until the person is back.
    crate::web::limits::count_started_login(app, browser, "/login/source").await?;
    let force = match crate::web::routes::login::pending(app, ar).await? {
        Some(r) => r.max_age == Some(0),
        None => false,
    };
    let binding = browser_binding(app, browser);
    let departure = Departure {
        ar,
        binding: &hash_secret(&binding),
        force,
        lang: browser.lang,
    };
    let outgoing = if src.settings.oidc().is_some() {
        rp(app).start(src, departure).await
    } else if src.settings.ftn().is_some() {
        ftn_rp(app).start(src, departure).await
    } else {
        sp(app).start(src, departure).await
    };
    let outgoing = match outgoing {
        Ok(o) => o,
        Err(SourceError::Unavailable(_)) => {
            return Ok(message(
                app,
                browser,
                uri,
                s.unavailable_title,
                s.unavailable_body,
                vec![],
                back,
                StatusCode::SERVICE_UNAVAILABLE,
            ));
        }
        Err(e) => return Err(source_error(e)),
    };
    let cookies = [
        binding_cookie(app, &binding),
        set_cookie(app, "pv_last_source", id, Some(365 * 86_400), "Lax"),
    ];
    let page = match outgoing {
        Outgoing::Redirect(url) => Redirect::to(&url).into_response(),
        Outgoing::Post {
            action,
            field,
            value,
            relay,
        } => post_page(browser.lang, &action, field, &value, &relay),
    };
    Ok(with_cookies(page, cookies))
}

/// A source's fault that is not a refusal: the store's, or ours.
fn source_error(e: SourceError) -> WebError {
    match e {
        SourceError::Store(e) => e.into(),
        other => WebError::internal(other),
    }
}

/// A page that POSTs a SAML message (the POST binding), by script or by
/// the person's click.
fn post_page(lang: Lang, action: &str, param: &str, xml: &str, relay: &str) -> Response {
    let s = source_texts(lang);
    let t = texts(lang);
    let html = format!(
        "<!doctype html><html lang=\"{l}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – {product}</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head>\
         <body><main id=\"main\"><h1>{title}</h1><p>{body}</p>\
         <form method=\"post\" action=\"{action}\" data-autosubmit>\
         <input type=\"hidden\" name=\"{param}\" value=\"{msg}\">\
         <input type=\"hidden\" name=\"RelayState\" value=\"{relay}\">\
         <button type=\"submit\">{cont}</button></form></main>\
         <script src=\"/static/autosubmit.js\"></script></body></html>",
        l = lang.as_str(),
        title = esc(s.redirect_title),
        product = esc(t.product),
        body = esc(s.redirect_body),
        action = esc(action),
        msg = crate::tokens::b64_std(xml),
        relay = esc(relay),
        cont = esc(s.continue_button),
    );
    let mut resp = Html(html).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `GET /saml/{id}/metadata`: our SP metadata for this source.
pub async fn metadata(State(app): State<SharedState>, Path(id): Path<String>) -> Response {
    let (Some(_), Some(key)) = (app.sources.get(&id), app.sources.sp_key.as_ref()) else {
        return (StatusCode::NOT_FOUND, "no such SAML source").into_response();
    };
    let xml = crate::identity::saml::metadata::sp_metadata(
        &entity_id(&app, &id),
        &acs_url(&app, &id),
        &app.url(&format!("/saml/{id}/slo")),
        &key.cert_b64,
    );
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        xml,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse", default)]
    saml_response: String,
    #[serde(rename = "RelayState", default)]
    _relay_state: Option<String>,
}

fn refused(
    app: &AppState,
    browser: &Browser,
    ar: &str,
    why: Refusal,
    code: &'static str,
) -> Response {
    let s = source_texts(browser.lang);
    let t = texts(browser.lang);
    let (body, status, with_code) = match why {
        Refusal::Cancelled => (s.cancelled_body, StatusCode::UNAUTHORIZED, false),
        Refusal::Failed => (s.failed_body, StatusCode::UNAUTHORIZED, false),
        Refusal::Untrusted => (s.untrusted_body, StatusCode::FORBIDDEN, true),
        Refusal::Expired => (s.expired_body, StatusCode::BAD_REQUEST, false),
        Refusal::OtherBrowser => (s.other_browser_body, StatusCode::BAD_REQUEST, false),
        Refusal::Replay => (s.replay_body, StatusCode::BAD_REQUEST, true),
    };
    let page = MessagePage {
        t,
        langs: lang_links(&login_uri(ar), browser.lang),
        title: s.failed_title,
        body,
        error_code: with_code.then_some(code),
        request_id: with_code
            .then(crate::web::middleware::current_request_id)
            .flatten(),
        contacts: vec![],
        show_desk: with_code,
        desk: Some(&app.settings.service_desk),
        link: Some((login_uri(ar).to_string(), s.try_again)),
    };
    render(&page, status)
}

/// `POST /saml/{id}/acs`: the IdP's answer.
pub async fn acs(
    State(app): State<SharedState>,
    browser: Browser,
    Path(id): Path<String>,
    Form(f): Form<AcsForm>,
) -> Response {
    let lang = browser.lang;
    no_store(
        acs_inner(&app, &browser, &id, f)
            .await
            .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}

async fn acs_inner(
    app: &AppState,
    browser: &Browser,
    id: &str,
    f: AcsForm,
) -> Result<Response, WebError> {
    let Some(src) = app.sources.get(id) else {
        return Err(WebError::NotFound);
    };
    let ip = browser.ip_string();
    let returned = sp(app)
        .finish(
            src,
            f.saml_response,
            &|hash| bound_to(app, browser, hash),
            ip.as_deref(),
            browser.lang,
        )
        .await;
    returned_login(app, browser, returned, "saml_response_refused").await
}

/// A login back from a redirect-based source: refused (the person is told
/// why, with `code` for the service desk where it helps), or completed
/// through the login core with what the person may do for organisations
/// (Suomi.fi: the e-Authorizations service, asked while the identity code
/// is at hand; it is not kept).
pub(super) async fn returned_login(
    app: &AppState,
    browser: &Browser,
    returned: Result<Returned, SourceError>,
    code: &'static str,
) -> Result<Response, WebError> {
    let r = match returned {
        Ok(r) => r,
        Err(SourceError::Refused(r)) => {
            // `saml_response_refused` → method `saml`, and so on.
            let method = code.split('_').next().unwrap_or(code);
            app.metrics.login(method, "failure", "refused");
            return Ok(refused(app, browser, &r.ar, r.why, code));
        }
        Err(e) => return Err(source_error(e)),
    };
    let authorities =
        crate::login::authorities_at_login(app.mandates.as_ref(), r.national_id.as_deref()).await;
    complete_login(
        app,
        browser,
        r.identity,
        LoginContext {
            ar: r.ar,
            upstream: r.upstream,
            authorities,
            ..LoginContext::default()
        },
    )
    .await
}
