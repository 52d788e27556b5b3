//! The login page, password login, and what a person sees when they may
//! not go on (locked, denied). The password change is in `password.rs`.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::denied::{self, Refusal};
use crate::app::{AppState, Client, SharedState};
use crate::domain::{AccountStatus, Lang};
use crate::identity::password::PasswordOutcome;
use crate::login::{self, Outcome, Started, second_factor};
use crate::oidc::{self, Access, redirect_with};
use crate::store::Account;
use crate::store::ephemeral::{AuthRequest, Session};
use crate::telemetry::Metrics;
use crate::tokens::claims::Person;
use crate::tokens::random_token;
use crate::web::browser::{Browser, session_cookie, set_cookie, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::texts;
use crate::web::pages::{
    LiaisonView, LoginPage, MessagePage, OrgContacts, lang_links, login_uri, network_name,
    page_uri, render,
};

#[derive(Debug, Deserialize, Default)]
pub struct ArQuery {
    #[serde(default)]
    pub ar: String,
    /// Words to find an organisation's login by (the login page).
    #[serde(default)]
    pub q: String,
}

/// Login pages and the answers to their forms hold a CSRF token and
/// answer for one moment of a login: the browser must ask again rather
/// than show a stored copy (e.g. after Back).
pub(crate) fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Loads the pending authorization request `ar` refers to, if any.
pub(crate) async fn pending(app: &AppState, ar: &str) -> Result<Option<AuthRequest>, WebError> {
    if ar.is_empty() {
        return Ok(None);
    }
    Ok(app.eph.auth_request(ar).await?)
}

fn portal_name(app: &AppState, req: &AuthRequest, lang: Lang) -> Option<String> {
    let client = app.clients.get(&req.client_id)?;
    app.policy
        .portal(&client.settings.portal)
        .map(|p| p.name_in(lang).to_string())
}

struct LoginForm<'a> {
    ar: &'a str,
    q: &'a str,
    /// The register's organisations the search `q` found: their own
    /// logins are found too ("jyvaskyla" finds the hospital district in
    /// Jyväskylä).
    q_orgs: Vec<String>,
    /// The level the pending login must reach, if above the lowest.
    min_loa: Option<crate::domain::LoA>,
    username: String,
    form_error: Option<&'static str>,
    username_error: Option<&'static str>,
    password_error: Option<&'static str>,
    /// After a few wrong passwords: when the account locks (`lock_notice`).
    lock_notice: Option<String>,
}

/// The login form, at `/login?ar=…` whether it answers that GET or a POST
/// of the form.
fn login_page(
    app: &AppState,
    browser: &Browser,
    portal: Option<String>,
    f: LoginForm<'_>,
    status: StatusCode,
) -> Response {
    let t = texts(browser.lang);
    let (csrf, set) = browser.csrf(app);
    let choice = super::sources_view::choice(app, browser, f.ar, f.q, &f.q_orgs);
    let page = LoginPage {
        t,
        s: crate::web::sources_i18n::source_texts(browser.lang),
        choice,
        langs: lang_links(&login_uri(f.ar), browser.lang),
        portal,
        csrf,
        ar: f.ar.to_string(),
        focus_username: f.username.is_empty() || f.username_error.is_some(),
        username: f.username,
        form_error: f.form_error,
        username_error: f.username_error,
        password_error: f.password_error,
        lock_notice: f.lock_notice,
        desk: &app.settings.service_desk,
        card_url: app.cards.as_ref().map(|_| {
            format!(
                "{}{}",
                app.tls_url.as_deref().unwrap_or(""),
                page_uri("/login/card", f.ar)
            )
        }),
        mobile: app.mobile.as_ref().map(|_| {
            (
                page_uri("/login/mobile", f.ar).to_string(),
                crate::web::mobile_i18n::mobile_texts(browser.lang).method,
            )
        }),
        step_up: f.min_loa.map(|l| super::step_up::notice(browser.lang, l)),
        passkey: (app.settings.passkeys.enabled)
            .then(|| crate::web::passkey_i18n::passkey_texts(browser.lang)),
    };
    with_cookies(
        render(&page, status),
        set.into_iter().chain(browser.lang_cookie(app)),
    )
}

/// A message page. `uri` is where its language links lead: the page's own
/// address for a GET, and for an answer to a POST the page the person can
/// ask for again (the login page, with the pending login).
#[allow(clippy::too_many_arguments)]
pub(crate) fn message(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    title: &str,
    body: &str,
    contacts: Vec<OrgContacts>,
    link: Option<(String, &str)>,
    status: StatusCode,
) -> Response {
    let t = texts(browser.lang);
    let show_desk = !contacts.is_empty();
    let page = MessagePage {
        t,
        langs: lang_links(uri, browser.lang),
        title,
        body,
        error_code: None,
        request_id: None,
        contacts,
        show_desk: show_desk || status == StatusCode::FORBIDDEN,
        desk: Some(&app.settings.service_desk),
        link,
    };
    with_cookies(render(&page, status), browser.lang_cookie(app))
}

/// A refusal or error page with its stable error code and the request
/// id, the service desk beneath (card and mobile-certificate logins).
#[allow(clippy::too_many_arguments)]
pub(crate) fn coded_message(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    title: &str,
    body: &str,
    code: Option<&str>,
    link: Option<(String, &str)>,
    status: StatusCode,
) -> Response {
    let t = texts(browser.lang);
    let page = MessagePage {
        t,
        langs: lang_links(uri, browser.lang),
        title,
        body,
        error_code: code,
        request_id: crate::web::middleware::current_request_id(),
        contacts: Vec::new(),
        show_desk: true,
        desk: Some(&app.settings.service_desk),
        link,
    };
    with_cookies(render(&page, status), browser.lang_cookie(app))
}

/// The login-expired page: with a way back to the login.
fn expired(app: &AppState, browser: &Browser, uri: &Uri) -> Response {
    let t = texts(browser.lang);
    message(
        app,
        browser,
        uri,
        t.error_title,
        t.err_login_expired,
        vec![],
        Some(("/login".to_string(), t.back_to_login)),
        StatusCode::BAD_REQUEST,
    )
}

/// Liaison persons of each of the person's organisations, named in the
/// page's language, leaving out the account `exclude` (a locked liaison
/// person cannot unlock themself).
async fn contacts_for(
    app: &AppState,
    person: &Person,
    exclude: &str,
    lang: Lang,
) -> Result<Vec<OrgContacts>, WebError> {
    let mut out = Vec::new();
    for org in &person.organisations {
        let liaisons = app
            .dir
            .liaison_contacts(&org.id)
            .await?
            .into_iter()
            .filter(|l| l.account_id != exclude)
            .map(|l| LiaisonView {
                name: l.name,
                network: network_name(l.network),
                email: l.email,
                phone: l.phone,
            })
            .collect();
        let name = match lang {
            Lang::Sv if !org.name_sv.trim().is_empty() => org.name_sv.clone(),
            _ => org.name_fi.clone(),
        };
        out.push(OrgContacts { name, liaisons });
    }
    Ok(out)
}

/// `GET /login`.
pub async fn login_get(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Query(q): Query<ArQuery>,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        let req = pending(&app, &q.ar).await?;
        if req.is_none() && browser.session(&app).await?.is_some() {
            // Logged in already (e.g. Back after a login that ended the
            // pending one): home, in the chosen language.
            return Ok(with_cookies(
                Redirect::to("/").into_response(),
                browser.lang_cookie(&app),
            ));
        }
        if !q.ar.is_empty() && req.is_none() {
            return Ok(expired(&app, &browser, &uri));
        }
        // A portal's idp_hint (a source id) or a login_hint in a source's
        // e-mail domain skips the choice.
        if let Some(r) = &req {
            let hinted = r
                .idp_hint
                .as_deref()
                .and_then(|h| app.sources.get(h))
                .or_else(|| {
                    r.login_hint
                        .as_deref()
                        .and_then(|h| app.sources.for_hint(h))
                });
            if let Some(src) = hinted {
                return Ok(Redirect::to(
                    &page_uri(&format!("/login/source/{}", src.id()), &q.ar).to_string(),
                )
                .into_response());
            }
        }
        let hint = req
            .as_ref()
            .and_then(|r| r.login_hint.clone())
            .unwrap_or_default();
        let portal = req
            .as_ref()
            .and_then(|r| portal_name(&app, r, browser.lang));
        let q_orgs = if q.q.trim().is_empty() {
            Vec::new()
        } else {
            let found = app.dir.search_organisations(&q.q, 200).await?;
            found.into_iter().map(|o| o.id).collect()
        };
        Ok::<_, WebError>(login_page(
            &app,
            &browser,
            portal,
            LoginForm {
                ar: &q.ar,
                q: &q.q,
                q_orgs,
                min_loa: req.as_ref().and_then(|r| r.min_loa),
                username: hint,
                form_error: None,
                username_error: None,
                password_error: None,
                lock_notice: None,
            },
            StatusCode::OK,
        ))
    };
    no_store(
        inner
            .await
            .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ar: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /login/password`.
pub async fn login_password(
    State(app): State<SharedState>,
    browser: Browser,
    Form(f): Form<PasswordForm>,
) -> Response {
    let lang = browser.lang;
    no_store(
        password_inner(&app, &browser, f)
            .await
            .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}

async fn password_inner(
    app: &AppState,
    browser: &Browser,
    f: PasswordForm,
) -> Result<Response, WebError> {
    let t = texts(browser.lang);
    let req = pending(app, &f.ar).await?;
    let mut ar = f.ar.as_str();
    let portal = req.as_ref().and_then(|r| portal_name(app, r, browser.lang));
    let min_loa = req.as_ref().and_then(|r| r.min_loa);
    let form = |ar, form_error, username_error, password_error| LoginForm {
        ar,
        q: "",
        q_orgs: Vec::new(),
        min_loa,
        username: f.username.trim().to_string(),
        form_error,
        username_error,
        password_error,
        lock_notice: None,
    };
    if !browser.csrf_ok(app, &f.csrf) {
        tracing::warn!(
            ip = browser.ip.map(tracing::field::display),
            "login form without a valid CSRF token"
        );
        return Ok(login_page(
            app,
            browser,
            portal,
            form(ar, Some(t.err_csrf), None, None),
            StatusCode::FORBIDDEN,
        ));
    }
    if !ar.is_empty() && req.is_none() {
        if browser.session(app).await?.is_none() {
            return Ok(expired(app, browser, &login_uri("")));
        }
        // The pending login ended (the form was sent again after Back) but
        // the browser is logged in: go on as a login without a portal,
        // which ends at home.
        ar = "";
    }
    let username = f.username.trim();
    if username.is_empty() || f.password.is_empty() {
        return Ok(login_page(
            app,
            browser,
            portal,
            form(
                ar,
                None,
                username.is_empty().then_some(t.err_username_required),
                f.password.is_empty().then_some(t.err_password_required),
            ),
            StatusCode::BAD_REQUEST,
        ));
    }
    // Rate limits: per address and per username, before any hashing. A
    // login that succeeds is taken back below: the limits bound guessing,
    // not people who log in often. (The username is hashed: a key of fixed
    // size, whatever was typed.)
    let rl = &app.settings.rate_limit;
    let ip_key = format!("ip:{}", browser.ip_string().unwrap_or_default());
    let user_key = format!(
        "user:{}",
        crate::tokens::hash_secret(&username.to_lowercase())
    );
    let by_ip = app.eph.count(&ip_key, rl.window_secs).await?;
    let by_user = app.eph.count(&user_key, rl.window_secs).await?;
    if by_ip > rl.login_per_ip || by_user > rl.login_per_account {
        Metrics::inc(&app.metrics.counters.logins_rate_limited_total);
        app.metrics.login("password", "refused", "rate_limited");
        tracing::warn!(
            ip = browser.ip.map(tracing::field::display),
            by_ip,
            by_user,
            "login rate limit reached"
        );
        return Ok(login_page(
            app,
            browser,
            portal,
            form(ar, Some(t.err_rate_limited), None, None),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let outcome = app
        .passwords
        .authenticate(username, &f.password, browser.ip_string(), app.now())
        .await
        .map_err(|e| match e {
            crate::identity::password::PasswordError::Store(s) => WebError::from(s),
            other => WebError::internal(other),
        })?;
    match outcome {
        PasswordOutcome::Invalid => {
            Metrics::inc(&app.metrics.counters.logins_failed_total);
            app.metrics
                .login("password", "failure", "invalid_credentials");
            // Once, beside the password field; after a few, when the
            // account locks.
            let mut f = form(ar, None, None, Some(t.err_invalid_credentials));
            f.lock_notice = lock_notice(app, browser.lang, by_user);
            Ok(login_page(
                app,
                browser,
                portal,
                f,
                StatusCode::UNAUTHORIZED,
            ))
        }
        PasswordOutcome::NotActive(account) => {
            Metrics::inc(&app.metrics.counters.logins_failed_total);
            app.metrics.login("password", "refused", "not_active");
            not_active_page(app, browser, &login_uri(ar), &account).await
        }
        PasswordOutcome::Verified { identity, account } => {
            app.eph.uncount(&user_key).await?;
            app.eph.uncount(&ip_key).await?;
            let attempt = browser.attempt(app).await?;
            let outcome = login::password(app, &attempt, *identity, &account, ar).await?;
            respond(app, browser, outcome, ar).await
        }
    }
}

/// What the login page says after `attempts` wrong passwords in a row for
/// one username (the per-username count of the rate limit, which an
/// unknown username has too): nothing at first, then when the account
/// locks, and from the lock's count on that it may be locked now. It never
/// depends on whether the account exists or is locked, so it tells a
/// stranger nothing the first wrong answer did not.
pub(crate) fn lock_notice(app: &AppState, lang: Lang, attempts: u64) -> Option<String> {
    let lock_after = u64::from(app.settings.password.lock_after_failures);
    let warn_from = lock_after.saturating_sub(2).max(2);
    let t = texts(lang);
    let text = if lock_after == 0 {
        return None;
    } else if attempts >= lock_after {
        t.lock_maybe_locked
    } else if attempts >= warn_from {
        t.lock_warning
    } else {
        return None;
    };
    Some(text.replace("{n}", &lock_after.to_string()))
}

/// Renders what a login came to: on to the portal (or home) with the new
/// session's cookie, to the second factor, to the registration form, or
/// the page that says the account is not in use. Every login method ends
/// here.
pub(crate) async fn respond(
    app: &AppState,
    browser: &Browser,
    outcome: Outcome,
    ar: &str,
) -> Result<Response, WebError> {
    match outcome {
        Outcome::Started(started) => {
            let Started {
                session,
                secret,
                person,
            } = *started;
            let cookie = session_cookie(app, &secret);
            let req = pending(app, ar).await?;
            let next = after_login(app, browser, req, ar, &session, person).await?;
            Ok(with_cookies(next, [cookie]))
        }
        Outcome::SecondFactorNeeded { ticket } => {
            let next = if ar.is_empty() {
                "/login/otp".to_string()
            } else {
                format!("/login/otp?ar={ar}")
            };
            Ok(with_cookies(
                Redirect::to(&next).into_response(),
                [set_cookie(
                    app,
                    "pv_mfa",
                    &ticket,
                    Some(second_factor::PENDING_SECS as i64),
                    "Lax",
                )],
            ))
        }
        Outcome::RegistrationNeeded { ticket } => {
            let cookie = set_cookie(app, "pv_reg", &ticket, None, "Lax");
            let to = page_uri("/register", ar).to_string();
            Ok(with_cookies(Redirect::to(&to).into_response(), [cookie]))
        }
        Outcome::NotActive(account) => {
            not_active_page(app, browser, &login_uri(ar), &account).await
        }
        Outcome::Unreachable(refused) => {
            let Some(req) = pending(app, ar).await? else {
                return Ok(expired(app, browser, &login_uri("")));
            };
            denied::page(
                app,
                browser,
                &login_uri(ar),
                &req,
                &refused.portal,
                &refused.facts,
                refused.step_up,
                Vec::new(),
                Refusal::BeforeRegistration,
            )
            .await
        }
    }
}

pub(crate) async fn not_active_page(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    account: &Account,
) -> Result<Response, WebError> {
    let t = texts(browser.lang);
    let person = oidc::load_person(app, &account.id).await?;
    let contacts = match &person {
        Some(p) => contacts_for(app, p, &account.id, browser.lang).await?,
        None => Vec::new(),
    };
    let (title, body) = if account.status == AccountStatus::Disabled {
        (t.disabled_title, t.disabled_body)
    } else {
        (t.locked_title, t.locked_body)
    };
    // Back to the login page of the same login: another method (an
    // organisation login, Suomi.fi, a card) may still serve.
    Ok(message(
        app,
        browser,
        uri,
        title,
        body,
        contacts,
        Some((uri.to_string(), t.locked_back)),
        StatusCode::FORBIDDEN,
    ))
}

/// Where a fresh login goes next: a password change, the portal, or home.
/// `person` is the logged-in person when the login has just read them.
pub(crate) async fn after_login(
    app: &AppState,
    browser: &Browser,
    req: Option<AuthRequest>,
    ar: &str,
    session: &Session,
    person: Option<Person>,
) -> Result<Response, WebError> {
    match req {
        Some(r) => {
            let Some(client) = app.clients.get(&r.client_id) else {
                return Err(WebError::UnknownClient(r.client_id));
            };
            let resp =
                authorization_after_login(app, browser, client, &r, ar, session, person).await?;
            if resp.status().is_redirection() {
                app.eph.delete_auth_request(ar).await?;
            }
            Ok(resp)
        }
        None => {
            let must_change = app
                .dir
                .account(&session.account_id)
                .await?
                .is_some_and(|a| a.must_change_password);
            if must_change {
                return Ok(Redirect::to("/password/change").into_response());
            }
            // Back to the page that sent the person to log in (the admin UI),
            // when it is one of ours.
            let next = browser
                .cookie(app, "pv_next")
                .and_then(|n| {
                    url::form_urlencoded::parse(format!("n={n}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                })
                .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'));
            let resp = Redirect::to(next.as_deref().unwrap_or("/")).into_response();
            Ok(with_cookies(
                resp,
                [crate::web::browser::clear_cookie(app, "pv_next")],
            ))
        }
    }
}

/// A session exists: decide and send the person back to the portal, or
/// show why not.
pub async fn continue_authorization(
    app: &AppState,
    browser: &Browser,
    client: &Client,
    req: &AuthRequest,
    session: &Session,
    prompt_none: bool,
) -> Result<Response, WebError> {
    decide(app, browser, client, req, None, session, prompt_none, None).await
}

/// [`continue_authorization`] right after a login form for the pending
/// login `ar`: a page shown here answers a POST, so its language links
/// lead to `/login?ar=…`.
async fn authorization_after_login(
    app: &AppState,
    browser: &Browser,
    client: &Client,
    req: &AuthRequest,
    ar: &str,
    session: &Session,
    person: Option<Person>,
) -> Result<Response, WebError> {
    decide(app, browser, client, req, Some(ar), session, false, person).await
}

/// Where the language links of a page shown while deciding lead: the
/// login page of the pending login after a form; otherwise the address
/// of the GET being answered (`/authorize?…`, which decides again in the
/// other language), else the login page.
fn deciding_uri(ar: Option<&str>) -> Uri {
    match ar {
        Some(ar) => login_uri(ar),
        None => crate::web::middleware::current_page()
            .and_then(|c| c.get_uri)
            .unwrap_or_else(|| login_uri("")),
    }
}

#[allow(clippy::too_many_arguments)]
async fn decide(
    app: &AppState,
    browser: &Browser,
    client: &Client,
    req: &AuthRequest,
    ar: Option<&str>,
    session: &Session,
    prompt_none: bool,
    fresh: Option<Person>,
) -> Result<Response, WebError> {
    let t = texts(browser.lang);
    let back_with_error = |error: &str| {
        Redirect::to(&redirect_with(
            &req.redirect_uri,
            &[
                ("error", Some(error)),
                ("state", req.state.as_deref()),
                ("iss", Some(app.issuer())),
            ],
        ))
        .into_response()
    };
    match oidc::authorize(app, client, req, session, fresh).await? {
        Access::Code { redirect } => Ok(Redirect::to(&redirect).into_response()),
        Access::Denied { .. } if prompt_none => Ok(back_with_error("access_denied")),
        // Single sign-on below the portal's level: log in again, more
        // strongly, and come back here. (Right after a login the page
        // below says why instead, so a weak method cannot loop.)
        Access::Denied {
            step_up: Some(level),
            ..
        } if ar.is_none() => {
            let again = AuthRequest {
                min_loa: Some(req.min_loa.map_or(level, |m| m.max(level))),
                ..req.clone()
            };
            let ar = random_token(18);
            app.eph
                .put_auth_request(&ar, &again, app.settings.tokens.login_ttl_secs as i64)
                .await?;
            Ok(Redirect::to(&format!("/login?ar={ar}")).into_response())
        }
        Access::Denied { person, step_up } => {
            let contacts = contacts_for(app, &person, &person.account.id, browser.lang).await?;
            let grant = oidc::grant_of(session, req.scope.clone());
            let facts = oidc::facts(&person, &grant);
            if app
                .policy
                .explain(&client.settings.portal, &facts)
                .refused_self_declared()
            {
                tracing::warn!(
                    portal = %client.settings.portal,
                    client = client.id(),
                    account = %person.account.id,
                    "portal refused: the person's profession group is self-declared and no rule that names it sets accept_self_declared"
                );
            }
            denied::page(
                app,
                browser,
                &deciding_uri(ar),
                req,
                &client.settings.portal,
                &facts,
                step_up,
                contacts,
                Refusal::AfterLogin,
            )
            .await
        }
        Access::AccountGone => {
            oidc::logout(app, None, &session.sid).await?;
            if prompt_none {
                return Ok(back_with_error("login_required"));
            }
            // The session has ended: the login page is where to go on.
            Ok(message(
                app,
                browser,
                &login_uri(ar.unwrap_or("")),
                t.disabled_title,
                t.disabled_body,
                vec![],
                None,
                StatusCode::FORBIDDEN,
            ))
        }
        Access::MustChangePassword | Access::ChooseOrganisation if prompt_none => {
            Ok(back_with_error("interaction_required"))
        }
        Access::ChooseOrganisation => {
            let ar = random_token(18);
            app.eph
                .put_auth_request(&ar, req, app.settings.tokens.login_ttl_secs as i64)
                .await?;
            Ok(Redirect::to(&format!("/act-for?ar={ar}")).into_response())
        }
        Access::MustChangePassword => {
            let ar = random_token(18);
            app.eph
                .put_auth_request(&ar, req, app.settings.tokens.login_ttl_secs as i64)
                .await?;
            Ok(Redirect::to(&format!("/password/change?ar={ar}")).into_response())
        }
    }
}
