//! `/password/change`: the person changes their password — forced after a
//! one-time password (which, and the previous password, may not be the new
//! one), or asked for (the current password is needed). A change ends the
//! account's other sessions.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::login::{ArQuery, after_login, no_store, pending};
use crate::app::{AppState, SharedState};
use crate::identity::password::PolicyViolation;
use crate::oidc;
use crate::store::AuditEvent;
use crate::store::ephemeral::OneTimePassword;
use crate::telemetry::Metrics;
use crate::web::browser::{Browser, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::{Texts, texts};
use crate::web::pages::{PasswordChangePage, lang_links, page_uri, render};
use crate::web::password_i18n::password_texts;

fn violation_text(t: &'static Texts, v: PolicyViolation) -> &'static str {
    match v {
        PolicyViolation::TooShort(_) => t.pw_too_short,
        PolicyViolation::TooLong => t.pw_too_long,
        PolicyViolation::ContainsUsername => t.pw_contains_username,
        PolicyViolation::Common => t.pw_common,
        PolicyViolation::Mismatch => t.pw_mismatch,
    }
}

/// A one-time password must be changed this long after logging in with
/// it; later, log in with it again first.
const CHANGE_WINDOW_SECS: i64 = 600;

#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ar: String,
    /// Asked unless the change is forced (a one-time password).
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_repeat: String,
}

/// What is wrong with a sent password change form, and where it is shown.
#[derive(Default)]
struct ChangeErrors {
    form: Option<&'static str>,
    current: Option<&'static str>,
    new: Option<&'static str>,
    repeat: Option<&'static str>,
}

/// The password change form, at `/password/change?ar=…` whether it answers
/// that GET or a POST of the form.
async fn change_page(
    app: &AppState,
    browser: &Browser,
    ar: &str,
    errors: ChangeErrors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let t = texts(browser.lang);
    let Some((_, s)) = browser.any_session(app).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let Some(account) = app.dir.account(&s.account_id).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let username = account.username.clone();
    let (csrf, set) = browser.csrf(app);
    let page = PasswordChangePage {
        t,
        p: password_texts(browser.lang),
        forced: account.must_change_password,
        current_error: errors.current,
        langs: lang_links(&page_uri("/password/change", ar), browser.lang),
        csrf,
        ar: ar.to_string(),
        username,
        hint: t
            .new_password_hint
            .replace("{min}", &app.password_policy.min_length().to_string()),
        form_error: errors.form,
        new_error: errors.new,
        repeat_error: errors.repeat,
    };
    Ok(with_cookies(
        render(&page, status),
        set.into_iter().chain(browser.lang_cookie(app)),
    ))
}

/// `GET /password/change`.
pub async fn change_get(
    State(app): State<SharedState>,
    browser: Browser,
    Query(q): Query<ArQuery>,
) -> Response {
    let lang = browser.lang;
    no_store(
        change_page(
            &app,
            &browser,
            &q.ar,
            ChangeErrors::default(),
            StatusCode::OK,
        )
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}

/// `POST /password/change`.
pub async fn change_post(
    State(app): State<SharedState>,
    browser: Browser,
    Form(f): Form<ChangeForm>,
) -> Response {
    let lang = browser.lang;
    no_store(
        change_inner(&app, &browser, f)
            .await
            .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}

async fn change_inner(
    app: &AppState,
    browser: &Browser,
    f: ChangeForm,
) -> Result<Response, WebError> {
    let t = texts(browser.lang);
    let p = password_texts(browser.lang);
    if !browser.csrf_ok(app, &f.csrf) {
        let errors = ChangeErrors {
            form: Some(t.err_csrf_change),
            ..ChangeErrors::default()
        };
        return change_page(app, browser, &f.ar, errors, StatusCode::FORBIDDEN).await;
    }
    let Some((key, session)) = browser.any_session(app).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let now = app.now();
    let Some(username) = app
        .dir
        .account(&session.account_id)
        .await?
        .map(|a| a.username)
    else {
        return Ok(Redirect::to("/login").into_response());
    };
    let Some((account, current_hash)) = app.dir.credentials(&username).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let hasher = app.passwords.hasher();
    let refuse = |errors: ChangeErrors, status| change_page(app, browser, &f.ar, errors, status);
    // A forced change (a first or reset password) is made right after the
    // login with it; any other needs the current password.
    let forced = account.must_change_password;
    if forced {
        if now - session.auth_time > CHANGE_WINDOW_SECS {
            // Too long since the password was typed: log in again first.
            return Ok(Redirect::to("/login").into_response());
        }
    } else {
        // Guessing the current password here is limited like logins are.
        let rl = &app.settings.rate_limit;
        let tries = app
            .eph
            .count(&format!("pwchange:{}", account.id), rl.window_secs)
            .await?;
        if tries > rl.login_per_account {
            Metrics::inc(&app.metrics.counters.logins_rate_limited_total);
            tracing::warn!(account = %account.id, ip = browser.ip.map(tracing::field::display), tries, "password change rate limit reached");
            let errors = ChangeErrors {
                form: Some(t.err_rate_limited),
                ..ChangeErrors::default()
            };
            return refuse(errors, StatusCode::TOO_MANY_REQUESTS).await;
        }
        let wrong = if f.current_password.is_empty() {
            Some(p.current_required)
        } else {
            let ok = match &current_hash {
                Some(h) => hasher.verify(&f.current_password, h).await,
                None => false,
            };
            (!ok).then_some(p.current_wrong)
        };
        if let Some(text) = wrong {
            tracing::warn!(
                account = %account.id,
                sid = %session.sid,
                ip = browser.ip.map(tracing::field::display),
                request_id = crate::web::middleware::current_request_id().as_deref().map(tracing::field::display),
                "password change refused: the current password was missing or wrong"
            );
            let errors = ChangeErrors {
                current: Some(text),
                ..ChangeErrors::default()
            };
            return refuse(errors, StatusCode::BAD_REQUEST).await;
        }
    }
    if let Err(v) =
        app.password_policy
            .check(&account.username, &f.new_password, &f.new_password_repeat)
    {
        // A mismatch is about the repeated password; the rules are about
        // the new one.
        let text = violation_text(t, v);
        let errors = match v {
            PolicyViolation::Mismatch => ChangeErrors {
                repeat: Some(text),
                ..ChangeErrors::default()
            },
            _ => ChangeErrors {
                new: Some(text),
                ..ChangeErrors::default()
            },
        };
        return refuse(errors, StatusCode::BAD_REQUEST).await;
    }
    if forced {
        // Neither the one-time password nor the one it replaced.
        let previous = app.dir.previous_password_hash(&account.id).await?;
        for old in [current_hash.as_deref(), previous.as_deref()]
            .into_iter()
            .flatten()
        {
            if hasher.verify(&f.new_password, old).await {
                tracing::warn!(
                    account = %account.id,
                    sid = %session.sid,
                    ip = browser.ip.map(tracing::field::display),
                    request_id = crate::web::middleware::current_request_id().as_deref().map(tracing::field::display),
                    "forced password change refused: the new password is the one-time or \
                     the previous password"
                );
                let errors = ChangeErrors {
                    new: Some(p.not_old),
                    ..ChangeErrors::default()
                };
                return refuse(errors, StatusCode::BAD_REQUEST).await;
            }
        }
    }
    let hash = hasher
        .hash(&f.new_password)
        .await
        .map_err(WebError::internal)?;
    let audit = AuditEvent::new(now, account.id.clone(), "account.password.changed")
        .subject(account.id.clone())
        .ip(browser.ip_string());
    app.dir
        .set_password(&account.id, &hash, false, &audit)
        .await?;
    // The account's other sessions end; this one goes on, no longer
    // limited to the change (but still known to have used a one-time
    // password).
    let ended = oidc::end_other_sessions(app, &account.id, &session.sid).await?;
    let mut session = session;
    if session.one_time_password == OneTimePassword::MustChange {
        session.one_time_password = OneTimePassword::Changed;
        app.eph.put_session(&key, &session, now).await?;
    }
    tracing::info!(account = %account.id, forced, ended_sessions = ended, "password changed");
    match pending(app, &f.ar).await? {
        // On to the portal, which is confirmation enough.
        Some(req) => after_login(app, browser, Some(req), &f.ar, &session, None).await,
        // No portal waiting: say on the home page that it worked.
        None => Ok(Redirect::to("/?changed=1").into_response()),
    }
}
