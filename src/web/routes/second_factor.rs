//! The second factor: an authenticator app's code (RFC 6238) after the
//! password, and setting one up. Secrets are sealed at rest; a code is
//! accepted once.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::login::{ArQuery, respond};
use crate::app::{AppState, SharedState};
use crate::domain::Lang;
use crate::identity::totp;
use crate::login::second_factor::{CodeOutcome, ENROL_FRESH_SECS, Enrolment, FactorError};
use crate::login::{self, Outcome};
use crate::store::AuditEvent;
use crate::store::ephemeral::Session;
use crate::web::browser::{Browser, clear_cookie, set_cookie, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::{Texts, texts};
use crate::web::pages::{LangLink, lang_links, render};
use crate::web::password_i18n::password_texts;

pub struct OtpTexts {
    title: &'static str,
    intro: &'static str,
    setup_title: &'static str,
    setup_intro: &'static str,
    step_app: &'static str,
    step_key: &'static str,
    uri_hint: &'static str,
    step_code: &'static str,
    code: &'static str,
    code_hint: &'static str,
    submit: &'static str,
    wrong: &'static str,
}

const FI: OtpTexts = OtpTexts {
    title: "Vahvista kirjautuminen",
    intro: "Kirjoita todennussovelluksesi näyttämä kuusinumeroinen koodi.",
    setup_title: "Ota todennussovellus käyttöön",
    setup_intro: "Todennussovellus on toinen tunnistautumistekijä salasanan lisäksi. Tunnusten hallinta vaatii sen.",
    step_app: "Avaa puhelimesi todennussovellus (esim. Microsoft tai Google Authenticator, FreeOTP).",
    step_key: "Lisää uusi tili ja kirjoita tämä avain:",
    uri_hint: "Tai käytä osoitetta:",
    step_code: "Kirjoita sovelluksen näyttämä koodi alle.",
    code: "Koodi",
    code_hint: "Kuusi numeroa, esim. 123 456",
    submit: "Vahvista",
    wrong: "Koodi ei kelpaa. Tarkista, että puhelimesi kello on oikeassa ajassa, ja kirjoita uusi koodi.",
};

const SV: OtpTexts = OtpTexts {
    title: "Bekräfta inloggningen",
    intro: "Skriv den sexsiffriga koden som din autentiseringsapp visar.",
    setup_title: "Ta autentiseringsappen i bruk",
    setup_intro: "Autentiseringsappen är en andra faktor utöver lösenordet. Kontohantering kräver den.",
    step_app: "Öppna autentiseringsappen i din telefon (t.ex. Microsoft eller Google Authenticator, FreeOTP).",
    step_key: "Lägg till ett nytt konto och skriv denna nyckel:",
    uri_hint: "Eller använd adressen:",
    step_code: "Skriv koden som appen visar nedan.",
    code: "Kod",
    code_hint: "Sex siffror, t.ex. 123 456",
    submit: "Bekräfta",
    wrong: "Koden duger inte. Kontrollera att telefonens klocka går rätt och skriv en ny kod.",
};

const EN: OtpTexts = OtpTexts {
    title: "Confirm your login",
    intro: "Enter the six-digit code your authenticator app shows.",
    setup_title: "Set up an authenticator app",
    setup_intro: "An authenticator app is a second factor besides your password. Account administration needs one.",
    step_app: "Open the authenticator app on your phone (e.g. Microsoft or Google Authenticator, FreeOTP).",
    step_key: "Add a new account and type this key:",
    uri_hint: "Or use the address:",
    step_code: "Enter the code the app shows below.",
    code: "Code",
    code_hint: "Six digits, e.g. 123 456",
    submit: "Confirm",
    wrong: "The code is not valid. Check that your phone's clock is right and enter a new code.",
};

fn otp_texts(lang: Lang) -> &'static OtpTexts {
    match lang {
        Lang::Fi => &FI,
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}

#[derive(Template)]
#[template(path = "otp.html")]
struct OtpPage<'a> {
    t: &'static Texts,
    x: &'a OtpTexts,
    langs: Vec<LangLink>,
    csrf: String,
    ar: String,
    action: &'static str,
    error: Option<&'static str>,
    secret: Option<String>,
    uri: String,
    /// Replacing a factor: the label of the current one's code field.
    current_code: Option<&'static str>,
    /// The waiting login's account has an authenticator app.
    totp: bool,
    /// … and passkeys.
    passkey: Option<&'static crate::web::passkey_i18n::PasskeyTexts>,
}

/// Which factors the login waiting in this browser can use: (an
/// authenticator app, passkeys).
async fn factors(app: &AppState, browser: &Browser) -> Result<(bool, bool), WebError> {
    let Some(ticket) = browser.cookie(app, "pv_mfa") else {
        return Ok((true, false));
    };
    let Some(pending) = login::second_factor::pending(app, ticket).await? else {
        return Ok((true, false));
    };
    Ok((
        app.dir.totp_secret(&pending.account_id).await?.is_some(),
        app.settings.passkeys.enabled && !app.dir.passkeys(&pending.account_id).await?.is_empty(),
    ))
}

/// The sealed-secret key (see [`login::second_factor::sealer`]).
fn sealer(app: &AppState) -> Result<crate::tokens::sealing::Sealer, WebError> {
    login::second_factor::sealer(app).map_err(factor_error)
}

/// Seals a TOTP secret for the directory.
pub fn seal_secret(app: &AppState, account_id: &str, secret: &[u8]) -> Result<Vec<u8>, WebError> {
    Ok(sealer(app)?.seal(secret, account_id.as_bytes()))
}

fn factor_error(e: FactorError) -> WebError {
    match e {
        FactorError::Store(s) => s.into(),
        FactorError::NoFactor => WebError::BadRequest("no second factor".into()),
        FactorError::Sealing(m) => WebError::internal(m),
    }
}

#[allow(clippy::too_many_arguments)]
fn page(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    ar: &str,
    error: Option<&'static str>,
    setup: Option<(String, String)>,
    current_code: Option<&'static str>,
    status: StatusCode,
    (totp, passkey): (bool, bool),
) -> Response {
    let x = otp_texts(browser.lang);
    let (csrf, set) = browser.csrf(app);
    let (secret, uri_text) = setup.map_or((None, String::new()), |(s, u)| (Some(s), u));
    let mut r = with_cookies(
        render(
            &OtpPage {
                t: texts(browser.lang),
                x,
                langs: lang_links(uri, browser.lang),
                csrf,
                ar: ar.to_string(),
                action: if secret.is_some() {
                    "/account/totp"
                } else {
                    "/login/otp"
                },
                error,
                secret,
                uri: uri_text,
                current_code,
                totp,
                passkey: passkey.then(|| crate::web::passkey_i18n::passkey_texts(browser.lang)),
            },
            status,
        ),
        set.into_iter().chain(browser.lang_cookie(app)),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

/// `GET /login/otp`.
pub async fn otp_get(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Query(q): Query<ArQuery>,
) -> Response {
    if browser.cookie(&app, "pv_mfa").is_none() {
        return Redirect::to("/login").into_response();
    }
    let lang = browser.lang;
    match factors(&app, &browser).await {
        Ok(f) => page(
            &app,
            &browser,
            &uri,
            &q.ar,
            None,
            None,
            None,
            StatusCode::OK,
            f,
        ),
        Err(e) => Localized(e, lang).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ar: String,
    #[serde(default)]
    code: String,
}

/// `POST /login/otp`.
pub async fn otp_post(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Form(f): Form<CodeForm>,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        let x = otp_texts(lang);
        let form_uri: Uri = if f.ar.is_empty() {
            "/login/otp".parse().unwrap_or_default()
        } else {
            format!("/login/otp?ar={}", f.ar)
                .parse()
                .unwrap_or_default()
        };
        let _ = &uri;
        if !browser.csrf_ok(&app, &f.csrf) {
            return Ok(page(
                &app,
                &browser,
                &form_uri,
                &f.ar,
                Some(texts(lang).err_csrf),
                None,
                None,
                StatusCode::FORBIDDEN,
                factors(&app, &browser).await?,
            ));
        }
        let Some(ticket) = browser.cookie(&app, "pv_mfa") else {
            return Ok(Redirect::to("/login").into_response());
        };
        let Some(pending) = login::second_factor::pending(&app, ticket).await? else {
            return Ok(Redirect::to("/login").into_response());
        };
        let attempt = browser.attempt(&app).await?;
        let outcome =
            login::second_factor::check_code(&app, &attempt, ticket, pending, &f.code, &f.ar)
                .await
                .map_err(factor_error)?;
        let refusal = match outcome {
            CodeOutcome::Started(started) => {
                let next = respond(&app, &browser, Outcome::Started(started), &f.ar).await?;
                return Ok(with_cookies(next, [clear_cookie(&app, "pv_mfa")]));
            }
            CodeOutcome::RateLimited => {
                (texts(lang).err_rate_limited, StatusCode::TOO_MANY_REQUESTS)
            }
            CodeOutcome::Wrong => (x.wrong, StatusCode::UNAUTHORIZED),
        };
        Ok::<_, WebError>(page(
            &app,
            &browser,
            &form_uri,
            &f.ar,
            Some(refusal.0),
            None,
            None,
            refusal.1,
            factors(&app, &browser).await?,
        ))
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}

/// The secret being set up, until a code confirms it.
fn enroll_key(account_id: &str) -> String {
    format!("totp-enroll:{{{account_id}}}")
}

/// The page that says to log in again before setting up a factor.
fn log_in_again(app: &AppState, browser: &Browser, uri: &Uri, s: &Session) -> Response {
    tracing::warn!(
        account = %s.account_id,
        sid = %s.sid,
        loa = %s.loa,
        auth_time = s.auth_time,
        one_time_password = ?s.one_time_password,
        ip = browser.ip.map(tracing::field::display),
        request_id = crate::web::middleware::current_request_id().as_deref().map(tracing::field::display),
        "second-factor enrolment refused: the session is neither strong nor a fresh login \
         with the person's own password"
    );
    let p = password_texts(browser.lang);
    let body = p
        .enrol_log_in_again
        .replace("{min}", &(ENROL_FRESH_SECS / 60).to_string());
    super::login::message(
        app,
        browser,
        uri,
        p.enrol_refused_title,
        &body,
        vec![],
        Some(("/logout".to_string(), p.enrol_log_in_again_link)),
        StatusCode::FORBIDDEN,
    )
}

/// The set-up page for `secret`, asking for the current factor's code too
/// when one exists.
#[allow(clippy::too_many_arguments)]
fn setup_page(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    username: &str,
    secret: &[u8],
    replace: bool,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let grouped = totp::base32_encode(secret)
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let uri_text = totp::provisioning_uri(secret, "Porttivahti", username);
    page(
        app,
        browser,
        uri,
        "",
        error,
        Some((grouped, uri_text)),
        replace.then_some(password_texts(browser.lang).current_code),
        status,
        (true, false),
    )
}

/// `GET /account/totp`: a new secret to add to the app.
pub async fn setup_get(State(app): State<SharedState>, browser: Browser, uri: Uri) -> Response {
    let lang = browser.lang;
    let inner = async {
        let Some((_, s)) = browser.session(&app).await? else {
            if browser
                .password_change_pending(&app, "/account/totp")
                .await?
            {
                return Ok(Redirect::to("/password/change").into_response());
            }
            let next = set_cookie(&app, "pv_next", "%2Faccount%2Ftotp", Some(1800), "Lax");
            return Ok(with_cookies(Redirect::to("/login").into_response(), [next]));
        };
        let Some(account) = app.dir.account(&s.account_id).await? else {
            return Ok(Redirect::to("/login").into_response());
        };
        let replace = match login::second_factor::enrolment(&app, &s).await? {
            Enrolment::LogInAgain => return Ok(log_in_again(&app, &browser, &uri, &s)),
            Enrolment::First => false,
            Enrolment::Replace => true,
        };
        let secret = totp::generate_secret();
        app.eph
            .raw()
            .put(
                &enroll_key(&account.id),
                seal_secret(&app, &account.id, &secret)?,
                std::time::Duration::from_secs(900),
            )
            .await?;
        Ok::<_, WebError>(setup_page(
            &app,
            &browser,
            &uri,
            &account.username,
            &secret,
            replace,
            None,
            StatusCode::OK,
        ))
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    /// A code of the app being set up.
    #[serde(default)]
    code: String,
    /// A code of the current app, when one is being replaced.
    #[serde(default)]
    current_code: String,
}

/// `POST /account/totp`: a code from the app confirms the new secret (and,
/// replacing one, a code of the current app). The session's strength stays
/// as it was: the factor counts from the next login.
pub async fn setup_post(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Form(f): Form<SetupForm>,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        let x = otp_texts(lang);
        let Some((_, s)) = browser.session(&app).await? else {
            if browser
                .password_change_pending(&app, "/account/totp")
                .await?
            {
                return Ok(Redirect::to("/password/change").into_response());
            }
            return Ok(Redirect::to("/login").into_response());
        };
        if !browser.csrf_ok(&app, &f.csrf) {
            return Ok(Redirect::to("/account/totp").into_response());
        }
        let replace = match login::second_factor::enrolment(&app, &s).await? {
            Enrolment::LogInAgain => return Ok(log_in_again(&app, &browser, &uri, &s)),
            Enrolment::First => false,
            Enrolment::Replace => true,
        };
        let Some(sealed) = app.eph.raw().get(&enroll_key(&s.account_id)).await? else {
            return Ok(Redirect::to("/account/totp").into_response());
        };
        let sealer = sealer(&app)?;
        let secret = sealer
            .open(&sealed, s.account_id.as_bytes())
            .ok_or_else(|| WebError::internal("enrolment secret"))?;
        let username = app
            .dir
            .account(&s.account_id)
            .await?
            .map(|a| a.username)
            .unwrap_or_default();
        let again = |error| {
            setup_page(
                &app,
                &browser,
                &uri,
                &username,
                &secret,
                replace,
                Some(error),
                StatusCode::UNAUTHORIZED,
            )
        };
        if replace {
            let current = app
                .dir
                .totp_secret(&s.account_id)
                .await?
                .and_then(|c| sealer.open(&c, s.account_id.as_bytes()))
                .ok_or_else(|| {
                    WebError::internal("TOTP secret cannot be opened: wrong key-encryption key?")
                })?;
            if !login::second_factor::accept(&app, "totp", &s.account_id, &current, &f.current_code)
                .await?
            {
                tracing::warn!(
                    account = %s.account_id,
                    sid = %s.sid,
                    ip = browser.ip.map(tracing::field::display),
                    request_id = crate::web::middleware::current_request_id().as_deref().map(tracing::field::display),
                    "second-factor replacement refused: no valid code of the current factor"
                );
                return Ok(again(password_texts(lang).current_code_wrong));
            }
        }
        if !login::second_factor::accept(&app, "totp-new", &s.account_id, &secret, &f.code).await? {
            return Ok(again(x.wrong));
        }
        let audit = AuditEvent::new(app.now(), s.account_id.clone(), "account.totp.enrolled")
            .subject(s.account_id.clone())
            .ip(browser.ip_string())
            .detail(serde_json::json!({ "replaced": replace }));
        app.dir
            .set_totp_secret(&s.account_id, Some(&sealed), &audit)
            .await?;
        app.eph.raw().delete(&enroll_key(&s.account_id)).await?;
        // The session is left as it was: setting up a factor is not using
        // one, so it raises no session's strength.
        tracing::info!(account = %s.account_id, replaced = replace, "second factor set up");
        Ok::<_, WebError>(Redirect::to("/account/?totp=1").into_response())
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}
