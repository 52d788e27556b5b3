//! Mobile certificate login: the phone-number form (`/login/mobile`), the
//! page that shows the event id while the person confirms on the phone
//! (`/login/mobile/wait`), the status the page's script polls
//! (`/login/mobile/status`), and cancelling.
//!
//! The transaction waits in the shared ephemeral store, bound to the
//! browser that started it, so whichever node a poll reaches asks the
//! MSSP and records the answer; the browser then finishes the login once.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Json, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::external::complete_login;
use super::login::no_store;
use super::saml::{binding_cookie, bound_to, browser_binding};
use crate::app::{AppState, SharedState};
use crate::domain::Msisdn;
use crate::identity::VerifiedIdentity;
use crate::identity::mobile::{Mobile, MobileError, Progress, Transaction};
use crate::login::LoginContext;
use crate::telemetry::Metrics;
use crate::tokens::{hash_secret, random_token};
use crate::web::browser::{Browser, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::{Texts, texts};
use crate::web::mobile_i18n::{MobileTexts, mobile_texts, refusal_text};
use crate::web::pages::{LangLink, lang_links, login_uri, page_uri, render};

/// The ephemeral-store kind of waiting mobile logins.
const PENDING: &str = "mobile";

/// A mobile login waiting for the phone.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingMobile {
    ar: String,
    /// Hash of the browser's binding cookie.
    binding: String,
    transaction: Transaction,
    /// The final answer, once there is one.
    outcome: Option<Outcome>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Outcome {
    Verified(Box<VerifiedIdentity>),
    Refused { code: String, status: u16 },
}

#[derive(Template)]
#[template(path = "mobile.html")]
struct FormPage<'a> {
    t: &'static Texts,
    m: &'static MobileTexts,
    langs: Vec<LangLink>,
    csrf: String,
    ar: &'a str,
    phone: &'a str,
    error: Option<&'static str>,
    back_url: String,
}

#[derive(Template)]
#[template(path = "mobile_wait.html")]
struct WaitPage<'a> {
    t: &'static Texts,
    m: &'static MobileTexts,
    langs: Vec<LangLink>,
    event_id: &'a str,
    poll_secs: u64,
    wait_url: String,
    status_url: String,
    cancel_url: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct TicketQuery {
    #[serde(default)]
    t: String,
    #[serde(default)]
    ar: String,
}

#[derive(Debug, Deserialize)]
pub struct PhoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ar: String,
    #[serde(default)]
    phone: String,
}

fn ticket_uri(path: &str, ticket: &str, ar: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("t", ticket);
    if !ar.is_empty() {
        q.append_pair("ar", ar);
    }
    format!("{path}?{}", q.finish())
}

fn mobile(app: &AppState) -> Result<&Mobile, WebError> {
    app.mobile.as_ref().ok_or(WebError::NotFound)
}

/// `GET /login/mobile`: the phone-number form.
pub async fn form_get(
    State(app): State<SharedState>,
    browser: Browser,
    Query(q): Query<TicketQuery>,
) -> Response {
    let lang = browser.lang;
    no_store(match mobile(&app) {
        Ok(_) => form_page(&app, &browser, &q.ar, "", None, StatusCode::OK),
        Err(e) => Localized(e, lang).into_response(),
    })
}

fn form_page(
    app: &AppState,
    browser: &Browser,
    ar: &str,
    phone: &str,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let (csrf, set) = browser.csrf(app);
    let page = FormPage {
        t: texts(browser.lang),
        m: mobile_texts(browser.lang),
        langs: lang_links(&page_uri("/login/mobile", ar), browser.lang),
        csrf,
        ar,
        phone,
        error,
        back_url: login_uri(ar).to_string(),
    };
    with_cookies(
        render(&page, status),
        set.into_iter().chain(browser.lang_cookie(app)),
    )
}

/// `POST /login/mobile`: asks the MSSP to send the request to the phone.
pub async fn start(
    State(app): State<SharedState>,
    browser: Browser,
    Form(f): Form<PhoneForm>,
) -> Response {
    let lang = browser.lang;
    no_store(
        start_inner(&app, &browser, f)
            .await
            .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}

async fn start_inner(
    app: &AppState,
    browser: &Browser,
    f: PhoneForm,
) -> Result<Response, WebError> {
    let mobile = mobile(app)?;
    let t = texts(browser.lang);
    let m = mobile_texts(browser.lang);
    if !browser.csrf_ok(app, &f.csrf) {
        tracing::warn!(
            ip = browser.ip.map(tracing::field::display),
            "mobile login form without a valid CSRF token"
        );
        return Ok(form_page(
            app,
            browser,
            &f.ar,
            &f.phone,
            Some(t.err_csrf),
            StatusCode::FORBIDDEN,
        ));
    }
    let Ok(msisdn) = f.phone.parse::<Msisdn>() else {
        return Ok(form_page(
            app,
            browser,
            &f.ar,
            &f.phone,
            Some(m.phone_invalid),
            StatusCode::BAD_REQUEST,
        ));
    };
    // Each request makes a phone buzz: limited per address like logins.
    let rl = &app.settings.rate_limit;
    let ip_key = format!("mobile-ip:{}", browser.ip_string().unwrap_or_default());
    // ...and per number, so that nobody makes someone else's phone buzz
    // from many addresses.
    let number_key = format!("mobile-number:{}", hash_secret(&msisdn.to_string()));
    if app.eph.count(&ip_key, rl.window_secs).await? > rl.login_per_ip
        || app.eph.count(&number_key, rl.window_secs).await? > rl.login_per_account
    {
        Metrics::inc(&app.metrics.counters.logins_rate_limited_total);
        app.metrics.login("mobile", "refused", "rate_limited");
        tracing::warn!(
            ip = browser.ip.map(tracing::field::display),
            "mobile login rate limit reached"
        );
        return Ok(form_page(
            app,
            browser,
            &f.ar,
            &f.phone,
            Some(t.err_rate_limited),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let transaction = match mobile.start(&app.self_url, &msisdn, app.now()).await {
        Ok(tx) => tx,
        Err(e) => {
            app.metrics.login("mobile", "failure", e.code());
            return Ok(refusal(app, browser, &f.ar, e.code(), status_of(&e)));
        }
    };
    let ticket = random_token(24);
    let binding = browser_binding(app, browser);
    let pending = PendingMobile {
        ar: f.ar.clone(),
        binding: hash_secret(&binding),
        transaction,
        outcome: None,
    };
    save(app, &ticket, &pending).await?;
    let to = ticket_uri("/login/mobile/wait", &ticket, &f.ar);
    Ok(with_cookies(
        Redirect::to(&to).into_response(),
        [binding_cookie(app, &binding)],
    ))
}

fn status_of(e: &MobileError) -> StatusCode {
    if e.is_temporary() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::FORBIDDEN
    }
}

/// Keeps `p` until a little after the person's time is up.
async fn save(app: &AppState, ticket: &str, p: &PendingMobile) -> Result<(), WebError> {
    let ttl = app.settings.mobile.timeout_secs as i64 + 300;
    Ok(app.eph.put_pending(PENDING, ticket, p, ttl).await?)
}

/// The waiting login of `ticket`, if this browser started it.
async fn load(
    app: &AppState,
    browser: &Browser,
    ticket: &str,
) -> Result<Option<PendingMobile>, WebError> {
    if ticket.is_empty() {
        return Ok(None);
    }
    let p: Option<PendingMobile> = app.eph.pending(PENDING, ticket).await?;
    Ok(p.filter(|p| {
        let ok = bound_to(app, browser, &p.binding);
        if !ok {
            tracing::warn!(
                ip = browser.ip.map(tracing::field::display),
                "mobile login polled from another browser"
            );
        }
        ok
    }))
}

/// Asks the MSSP once, unless the answer is in already; records a final
/// answer so that any node can finish the login.
async fn advance(
    app: &AppState,
    ticket: &str,
    mut p: PendingMobile,
) -> Result<PendingMobile, WebError> {
    if p.outcome.is_some() {
        return Ok(p);
    }
    let mobile = mobile(app)?;
    let now = app.now();
    let outcome = match mobile.poll(&app.self_url, &p.transaction, now).await {
        Ok(Progress::Waiting) => return Ok(p),
        Ok(Progress::Signed(id)) => {
            let s = mobile.settings();
            Outcome::Verified(Box::new(id.verified(&s.source, s.loa, now)))
        }
        Err(e) => {
            app.metrics.login("mobile", "failure", e.code());
            Outcome::Refused {
                code: e.code().to_string(),
                status: status_of(&e).as_u16(),
            }
        }
    };
    p.outcome = Some(outcome);
    save(app, ticket, &p).await?;
    Ok(p)
}

/// `GET /login/mobile/status?t=…`: `{"state": "waiting" | "done" |
/// "gone"}` for the waiting page's script.
pub async fn status(
    State(app): State<SharedState>,
    browser: Browser,
    Query(q): Query<TicketQuery>,
) -> Response {
    let state = match status_inner(&app, &browser, &q.t).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "mobile login status failed");
            "gone"
        }
    };
    no_store(Json(serde_json::json!({ "state": state })).into_response())
}

async fn status_inner(
    app: &AppState,
    browser: &Browser,
    ticket: &str,
) -> Result<&'static str, WebError> {
    let Some(p) = load(app, browser, ticket).await? else {
        return Ok("gone");
    };
    let p = advance(app, ticket, p).await?;
    Ok(if p.outcome.is_some() {
        "done"
    } else {
        "waiting"
    })
}

/// `GET /login/mobile/wait?t=…`: the event id while the phone is asked;
/// once it has answered, the login finishes here.
pub async fn wait(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Query(q): Query<TicketQuery>,
) -> Response {
    let lang = browser.lang;
    no_store(
        wait_inner(&app, &browser, &uri, &q)
            .await
            .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}

async fn wait_inner(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    q: &TicketQuery,
) -> Result<Response, WebError> {
    mobile(app)?;
    let Some(p) = load(app, browser, &q.t).await? else {
        return Ok(expired(app, browser, &q.ar));
    };
    let p = advance(app, &q.t, p).await?;
    if p.outcome.is_none() {
        return Ok(wait_page(app, browser, uri, &q.t, &p));
    }
    // Finish once: of two tabs (or a script and a click) one gets it.
    let Some(PendingMobile {
        ar,
        outcome: Some(outcome),
        ..
    }) = app.eph.take_pending::<PendingMobile>(PENDING, &q.t).await?
    else {
        return Ok(expired(app, browser, &q.ar));
    };
    match outcome {
        Outcome::Verified(identity) => {
            complete_login(
                app,
                browser,
                *identity,
                LoginContext {
                    ar,
                    ..LoginContext::default()
                },
            )
            .await
        }
        Outcome::Refused { code, status } => Ok(refusal(
            app,
            browser,
            &ar,
            &code,
            StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN),
        )),
    }
}

fn wait_page(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    ticket: &str,
    p: &PendingMobile,
) -> Response {
    let page = WaitPage {
        t: texts(browser.lang),
        m: mobile_texts(browser.lang),
        langs: lang_links(uri, browser.lang),
        event_id: &p.transaction.event_id,
        poll_secs: app.settings.mobile.poll_interval_secs,
        wait_url: ticket_uri("/login/mobile/wait", ticket, &p.ar),
        status_url: ticket_uri("/login/mobile/status", ticket, ""),
        cancel_url: ticket_uri("/login/mobile/cancel", ticket, &p.ar),
    };
    with_cookies(render(&page, StatusCode::OK), browser.lang_cookie(app))
}

/// `GET /login/mobile/cancel?t=…`: forgets the waiting login and goes
/// back to the login page.
pub async fn cancel(
    State(app): State<SharedState>,
    browser: Browser,
    Query(q): Query<TicketQuery>,
) -> Response {
    if let Ok(Some(p)) = load(&app, &browser, &q.t).await {
        let _ = app.eph.take_pending::<PendingMobile>(PENDING, &q.t).await;
        tracing::info!(
            msisdn = %p.transaction.msisdn.masked(),
            mssp_trans_id = %p.transaction.mssp_trans_id,
            "mobile login cancelled on the web page"
        );
    }
    no_store(Redirect::to(&login_uri(&q.ar).to_string()).into_response())
}

fn refusal(
    app: &AppState,
    browser: &Browser,
    ar: &str,
    code: &str,
    status: StatusCode,
) -> Response {
    let m = mobile_texts(browser.lang);
    super::login::coded_message(
        app,
        browser,
        &page_uri("/login/mobile", ar),
        m.refused_title,
        refusal_text(code, browser.lang),
        Some(code),
        Some((login_uri(ar).to_string(), m.back)),
        status,
    )
}

fn expired(app: &AppState, browser: &Browser, ar: &str) -> Response {
    let t = texts(browser.lang);
    super::login::coded_message(
        app,
        browser,
        &login_uri(ar),
        t.error_title,
        t.err_login_expired,
        None,
        Some((login_uri(ar).to_string(), t.back_to_login)),
        StatusCode::BAD_REQUEST,
    )
}
