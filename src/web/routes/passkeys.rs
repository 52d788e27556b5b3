//! `/account/passkeys`: a person's own passkeys — several, named,
//! removable, with their last use — under the enrolment rule of
//! `login::second_factor::may_add_passkey`. The options come from a POST
//! with the page's CSRF token, which also binds the ceremony to this
//! browser; the browser's answer comes back in an ordinary form.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;

use crate::app::{AppState, SharedState};
use crate::crypto::{b64url, hex};
use crate::identity::passkey::ceremony::{self, Purpose};
use crate::identity::passkey::{RegistrationResponse, RelyingParty};
use crate::login::passkey::{relying_party, user_handle};
use crate::login::second_factor::{ENROL_FRESH_SECS, may_add_passkey};
use crate::store::ephemeral::Session;
use crate::store::{AuditEvent, Passkey, StoreError};
use crate::web::browser::{Browser, set_cookie, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::{Texts, texts};
use crate::web::pages::{LangLink, lang_links, render};
use crate::web::passkey_i18n::{PasskeyTexts, passkey_texts};
use crate::web::time::local;

use super::login::no_store;

pub struct Row {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub kind: &'static str,
}

/// The passkeys of an account as a page shows them.
pub fn rows(p: &PasskeyTexts, keys: &[Passkey]) -> Vec<Row> {
    keys.iter()
        .map(|k| Row {
            id: k.credential_id.clone(),
            name: k.name.clone(),
            created: local(k.created_at),
            last_used: k.last_used_at.map_or(p.never.to_string(), local),
            kind: if k.backup_eligible {
                p.synced
            } else {
                p.device_bound
            },
        })
        .collect()
}

#[derive(Template)]
#[template(path = "passkeys.html")]
struct PasskeysPage {
    t: &'static Texts,
    p: &'static PasskeyTexts,
    langs: Vec<LangLink>,
    csrf: String,
    rows: Vec<Row>,
    may_manage: bool,
    log_in_again: String,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    back: &'static str,
}

async fn page(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    s: &Session,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let p = passkey_texts(browser.lang);
    let (csrf, set) = browser.csrf(app);
    let may_manage = may_add_passkey(app, s).await?;
    let page = PasskeysPage {
        t: texts(browser.lang),
        p,
        langs: lang_links(uri, browser.lang),
        csrf,
        rows: rows(p, &app.dir.passkeys(&s.account_id).await?),
        may_manage,
        log_in_again: p
            .log_in_again
            .replace("{min}", &(ENROL_FRESH_SECS / 60).to_string()),
        notice,
        error,
        back: crate::web::routes::account::account_texts(browser.lang).title,
    };
    Ok(no_store(with_cookies(
        render(&page, status),
        set.into_iter().chain(browser.lang_cookie(app)),
    )))
}

/// The session, or the answer that sends the person to log in first.
async fn session_or_login(
    app: &AppState,
    browser: &Browser,
) -> Result<Result<Session, Response>, WebError> {
    if let Some((_, s)) = browser.session(app).await? {
        return Ok(Ok(s));
    }
    if browser
        .password_change_pending(app, "/account/passkeys")
        .await?
    {
        return Ok(Err(Redirect::to("/password/change").into_response()));
    }
    let next = set_cookie(app, "pv_next", "%2Faccount%2Fpasskeys", Some(1800), "Lax");
    Ok(Err(with_cookies(
        Redirect::to("/login").into_response(),
        [next],
    )))
}

fn refuse_manage(browser: &Browser, s: &Session, what: &str) {
    tracing::warn!(
        account = %s.account_id,
        sid = %s.sid,
        loa = %s.loa,
        auth_time = s.auth_time,
        ip = ?browser.ip,
        request_id = ?crate::web::middleware::current_request_id(),
        what,
        "passkey change refused: the session is neither strong nor a fresh login with the \
         account's factor"
    );
}

/// Where the passkey forms answer.
const BACK: &str = "/account/passkeys";

/// What every form that changes the person's passkeys passes first: a
/// session (or off to log in), the browser's CSRF token, and the
/// enrolment rule (refused with a log line naming `what`). `Err` is the
/// page to answer instead.
async fn form_gate(
    app: &AppState,
    browser: &Browser,
    csrf: &str,
    what: &str,
) -> Result<Result<Session, Response>, WebError> {
    let s = match session_or_login(app, browser).await? {
        Ok(s) => s,
        Err(r) => return Ok(Err(r)),
    };
    let back = Uri::from_static(BACK);
    if !browser.csrf_ok(app, csrf) {
        let err = Some(texts(browser.lang).err_csrf);
        let r = page(app, browser, &back, &s, None, err, StatusCode::FORBIDDEN).await?;
        return Ok(Err(r));
    }
    if !may_add_passkey(app, &s).await? {
        refuse_manage(browser, &s, what);
        let r = page(app, browser, &back, &s, None, None, StatusCode::FORBIDDEN).await?;
        return Ok(Err(r));
    }
    Ok(Ok(s))
}

/// `GET /account/passkeys`.
pub async fn account_get(State(app): State<SharedState>, browser: Browser, uri: Uri) -> Response {
    let lang = browser.lang;
    let inner = async {
        let s = match session_or_login(&app, &browser).await? {
            Ok(s) => s,
            Err(r) => return Ok(r),
        };
        let p = passkey_texts(lang);
        let q = uri.query().unwrap_or_default();
        let notice = if q.split('&').any(|x| x == "added=1") {
            Some(p.added)
        } else if q.split('&').any(|x| x == "removed=1") {
            Some(p.removed)
        } else {
            None
        };
        page(&app, &browser, &uri, &s, notice, None, StatusCode::OK).await
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

fn json_error(status: StatusCode, code: &'static str) -> Response {
    (status, Json(serde_json::json!({ "error": code }))).into_response()
}

/// `POST /account/passkeys/options`: creation options for this session's
/// account, when the enrolment rule allows.
pub async fn register_options(
    State(app): State<SharedState>,
    browser: Browser,
    Form(f): Form<CsrfForm>,
) -> Response {
    let inner = async {
        if !browser.csrf_ok(&app, &f.csrf) {
            return Ok(json_error(StatusCode::FORBIDDEN, "csrf"));
        }
        let Some((_, s)) = browser.session(&app).await? else {
            return Ok(json_error(StatusCode::UNAUTHORIZED, "login"));
        };
        if !may_add_passkey(&app, &s).await? {
            refuse_manage(&browser, &s, "options");
            return Ok(json_error(StatusCode::FORBIDDEN, "log_in_again"));
        }
        let Some(account) = app.dir.account(&s.account_id).await? else {
            return Ok(json_error(StatusCode::UNAUTHORIZED, "login"));
        };
        let purpose = Purpose::Register {
            account_id: s.account_id.clone(),
            sid: s.sid.clone(),
        };
        let c = ceremony::begin(&app.eph, &f.csrf, purpose, true).await?;
        let exclude: Vec<Vec<u8>> = app
            .dir
            .passkeys(&s.account_id)
            .await?
            .iter()
            .filter_map(|k| crate::crypto::b64url_decode(&k.credential_id))
            .collect();
        let options = ceremony::creation_options(
            &relying_party(&app),
            &c,
            &user_handle(&account.id),
            &account.username,
            &account.display_name(),
            &exclude,
        );
        Ok::<_, StoreError>(no_store(Json(options).into_response()))
    };
    inner.await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "passkey options");
        json_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
    })
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    credential: String,
}

/// A passkey's name: what the person typed, or the date.
fn passkey_name(typed: &str, p: &PasskeyTexts, now: i64) -> String {
    let clean: String = typed
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(60)
        .collect();
    if clean.is_empty() {
        format!("{} {}", p.method, local(now))
    } else {
        clean
    }
}

/// `POST /account/passkeys`: the browser's answer to the creation options.
pub async fn register_post(
    State(app): State<SharedState>,
    browser: Browser,
    Form(f): Form<RegisterForm>,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        let s = match form_gate(&app, &browser, &f.csrf, "register").await? {
            Ok(s) => s,
            Err(r) => return Ok(r),
        };
        let p = passkey_texts(lang);
        let back = Uri::from_static(BACK);
        let not_added = |why: &str| {
            tracing::warn!(account = %s.account_id, sid = %s.sid, ip = ?browser.ip, why, "passkey registration refused");
        };
        let Ok(response) = serde_json::from_str::<RegistrationResponse>(&f.credential) else {
            not_added("the credential is not a registration response");
            return page(
                &app,
                &browser,
                &back,
                &s,
                None,
                Some(p.not_added),
                StatusCode::BAD_REQUEST,
            )
            .await;
        };
        let challenge = RelyingParty::registration_challenge(&response).unwrap_or_default();
        let ceremony = ceremony::take(&app.eph, &f.csrf, &challenge).await?;
        let Some(c) = ceremony.filter(|c| {
            c.purpose
                == Purpose::Register {
                    account_id: s.account_id.clone(),
                    sid: s.sid.clone(),
                }
        }) else {
            not_added(
                "no ceremony of this session and browser has that challenge (answered, expired or another browser's)",
            );
            return page(
                &app,
                &browser,
                &back,
                &s,
                None,
                Some(p.not_added),
                StatusCode::BAD_REQUEST,
            )
            .await;
        };
        let cred = match relying_party(&app).verify_registration(
            &response,
            &c.challenge_bytes(),
            c.user_verification,
        ) {
            Ok(cred) => cred,
            Err(e) => {
                not_added(&format!("{} ({e})", e.code()));
                return page(
                    &app,
                    &browser,
                    &back,
                    &s,
                    None,
                    Some(p.not_added),
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
        };
        let now = app.now();
        let passkey = Passkey {
            credential_id: b64url(&cred.credential_id),
            account_id: s.account_id.clone(),
            name: passkey_name(&f.name, p, now),
            public_key: cred.public_key,
            alg: cred.alg,
            sign_count: cred.sign_count,
            backup_eligible: cred.backup_eligible,
            backed_up: cred.backed_up,
            user_verified: cred.user_verified,
            registered_loa: s.loa,
            aaguid: hex(&cred.aaguid),
            created_at: now,
            last_used_at: None,
        };
        let audit = AuditEvent::new(now, s.account_id.clone(), "account.passkey.added")
            .subject(s.account_id.clone())
            .ip(browser.ip_string())
            .detail(serde_json::json!({
                "passkey": passkey.name,
                "registered_loa": s.loa,
                "synced": passkey.backup_eligible,
                "attestation": cred.attestation_format,
            }));
        match app.dir.add_passkey(&passkey, &audit).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                not_added("the credential is registered already");
                return page(
                    &app,
                    &browser,
                    &back,
                    &s,
                    None,
                    Some(p.duplicate),
                    StatusCode::CONFLICT,
                )
                .await;
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(account = %s.account_id, passkey = %passkey.name, loa = %s.loa, "passkey added");
        Ok::<_, WebError>(Redirect::to("/account/passkeys?added=1").into_response())
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
}

/// `POST /account/passkeys/remove`: removes one of the account's own
/// passkeys (the same rule as adding one).
pub async fn remove_post(
    State(app): State<SharedState>,
    browser: Browser,
    Form(f): Form<RemoveForm>,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        let s = match form_gate(&app, &browser, &f.csrf, "remove").await? {
            Ok(s) => s,
            Err(r) => return Ok(r),
        };
        let Some(k) = app
            .dir
            .passkey(&f.id)
            .await?
            .filter(|k| k.account_id == s.account_id)
        else {
            return Err(WebError::NotFound);
        };
        let audit = AuditEvent::new(app.now(), s.account_id.clone(), "account.passkey.removed")
            .subject(s.account_id.clone())
            .ip(browser.ip_string())
            .detail(serde_json::json!({ "passkey": k.name }));
        app.dir.remove_passkey(&s.account_id, &f.id, &audit).await?;
        tracing::info!(account = %s.account_id, passkey = %k.name, "passkey removed by its owner");
        Ok::<_, WebError>(Redirect::to("/account/passkeys?removed=1").into_response())
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}
