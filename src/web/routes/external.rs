//! What happens after an external source (an organisation IdP, Suomi.fi,
//! a certificate) has vouched for a person: the linked account logs in, or
//! a person seen for the first time registers once. Also the professional
//! profile, which the person can edit later.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};

use super::login::{ArQuery, message, no_store, respond};
use crate::app::{AppState, SharedState};
use crate::domain::{Lang, OrgKind};
use crate::identity::VerifiedIdentity;
use crate::login::registration::{self, Details, PendingRegistration};
use crate::login::{self, LoginContext};
use crate::store::{AuditEvent, Profile};
use crate::web::browser::{Browser, clear_cookie, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::texts;
use crate::web::pages::{lang_links, page_uri, render};
use crate::web::sources_i18n::{SourceTexts, source_texts};

/// Hands an identity an external source vouched for to the login core
/// and renders what it comes to: the linked account logs in and goes on
/// to the portal; a person seen for the first time is sent to register.
pub async fn complete_login(
    app: &AppState,
    browser: &Browser,
    identity: VerifiedIdentity,
    ctx: LoginContext,
) -> Result<Response, WebError> {
    let ar = ctx.ar.clone();
    let attempt = browser.attempt(app).await?;
    let outcome = login::external(app, &attempt, identity, ctx).await?;
    respond(app, browser, outcome, &ar).await
}

// ------------------------------------------------------------ the form

struct TextField {
    name: &'static str,
    label: &'static str,
    hint: Option<&'static str>,
    kind: &'static str,
    autocomplete: &'static str,
    value: String,
    error: Option<&'static str>,
    required: bool,
    readonly: bool,
}

struct Choice {
    id: String,
    name: String,
    checked: bool,
}

#[derive(askama::Template)]
#[template(path = "register.html")]
struct RegisterPage {
    t: &'static crate::web::i18n::Texts,
    s: &'static SourceTexts,
    langs: Vec<crate::web::pages::LangLink>,
    title: &'static str,
    intro: &'static str,
    button: &'static str,
    action: &'static str,
    identified_as: Option<String>,
    notice: Option<&'static str>,
    has_errors: bool,
    csrf: String,
    ar: String,
    text_fields: Vec<TextField>,
    organisations: Vec<Choice>,
    org_error: Option<&'static str>,
    municipality: String,
    professions: Vec<Choice>,
    profession_error: Option<&'static str>,
    wellbeing_areas: Vec<Choice>,
}

/// What the form holds (from the source, the stored profile or a POST).
#[derive(Debug, Default, Clone)]
struct Form {
    csrf: String,
    ar: String,
    given_name: String,
    family_name: String,
    email: String,
    phone: String,
    orgs: Vec<String>,
    municipality: String,
    profession_group: String,
    wellbeing_area: String,
}

impl Form {
    fn parse(body: &[u8]) -> Self {
        let mut f = Form::default();
        for (k, v) in url::form_urlencoded::parse(body) {
            let v = v.trim().to_string();
            match k.as_ref() {
                "csrf" => f.csrf = v,
                "ar" => f.ar = v,
                "given_name" => f.given_name = v,
                "family_name" => f.family_name = v,
                "email" => f.email = v,
                "phone" => f.phone = v,
                "org" if !v.is_empty() && !f.orgs.contains(&v) => f.orgs.push(v),
                "municipality" => f.municipality = v,
                "profession_group" => f.profession_group = v,
                "wellbeing_area" => f.wellbeing_area = v,
                _ => {}
            }
        }
        f
    }
}

#[derive(Debug, Default)]
struct Errors {
    given_name: Option<&'static str>,
    family_name: Option<&'static str>,
    email: Option<&'static str>,
    phone: Option<&'static str>,
    orgs: Option<&'static str>,
    profession: Option<&'static str>,
}

impl Errors {
    fn any(&self) -> bool {
        self.given_name.is_some()
            || self.family_name.is_some()
            || self.email.is_some()
            || self.phone.is_some()
            || self.orgs.is_some()
            || self.profession.is_some()
    }
}

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
}

/// A phone number as people type it, normalised: `+358 40 123 4567`.
fn normal_phone(p: &str) -> Option<String> {
    let p = p.trim();
    if !p
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == ' ' || c == '-' || (i == 0 && c == '+'))
    {
        return None;
    }
    let digits = p.chars().filter(char::is_ascii_digit).count();
    (7..=15)
        .contains(&digits)
        .then(|| p.split_whitespace().collect::<Vec<_>>().join(" "))
}

async fn check(app: &AppState, f: &Form) -> Result<Errors, WebError> {
    let mut e = Errors::default();
    if f.given_name.is_empty() {
        e.given_name = Some("required");
    }
    if f.family_name.is_empty() {
        e.family_name = Some("required");
    }
    if f.email.is_empty() {
        e.email = Some("required");
    } else if !valid_email(&f.email) {
        e.email = Some("email");
    }
    if f.phone.is_empty() {
        e.phone = Some("required");
    } else if normal_phone(&f.phone).is_none() {
        e.phone = Some("phone");
    }
    if f.orgs.is_empty() && f.municipality.is_empty() {
        e.orgs = Some("org_or_municipality");
    } else {
        for o in &f.orgs {
            if app.dir.organisation(o).await?.is_none() {
                e.orgs = Some("unknown_org");
            }
        }
    }
    if !app
        .settings
        .registration
        .profession_groups
        .iter()
        .any(|g| g.id == f.profession_group)
    {
        e.profession = Some("profession");
    }
    Ok(e)
}

fn error_text(s: &'static SourceTexts, key: Option<&'static str>) -> Option<&'static str> {
    key.map(|k| match k {
        "required" => s.err_required,
        "email" => s.err_email,
        "phone" => s.err_phone,
        "org_or_municipality" => s.err_org_or_municipality,
        "unknown_org" => s.err_unknown_org,
        _ => s.err_profession,
    })
}

enum Mode {
    Register { identified_as: Option<String> },
    Profile { saved: bool },
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    f: &Form,
    e: &Errors,
    mode: Mode,
    names_fixed: bool,
    status: StatusCode,
) -> Result<Response, WebError> {
    let t = texts(browser.lang);
    let s = source_texts(browser.lang);
    let (csrf, set) = browser.csrf(app);
    let orgs = app.dir.organisations().await?;
    let name_of = |o: &crate::store::Organisation| match browser.lang {
        Lang::Sv if !o.name_sv.trim().is_empty() => o.name_sv.clone(),
        _ => o.name_fi.clone(),
    };
    let field = |name, label, hint, kind, autocomplete, value: &str, error, readonly| TextField {
        name,
        label,
        hint,
        kind,
        autocomplete,
        value: value.to_string(),
        error: error_text(s, error),
        required: true,
        readonly,
    };
    let (title, intro, button, action, identified_as, notice) = match mode {
        Mode::Register { identified_as } => (
            s.register_title,
            s.register_intro,
            s.register_button,
            "/register",
            identified_as,
            None,
        ),
        Mode::Profile { saved } => (
            s.profile_title,
            s.profile_intro,
            s.save_button,
            "/account/profile",
            None,
            saved.then_some(s.saved),
        ),
    };
    let page = RegisterPage {
        t,
        s,
        langs: lang_links(uri, browser.lang),
        title,
        intro,
        button,
        action,
        identified_as,
        notice,
        has_errors: e.any(),
        csrf,
        ar: f.ar.clone(),
        text_fields: vec![
            field(
                "given_name",
                s.given_name,
                None,
                "text",
                "given-name",
                &f.given_name,
                e.given_name,
                names_fixed,
            ),
            field(
                "family_name",
                s.family_name,
                None,
                "text",
                "family-name",
                &f.family_name,
                e.family_name,
                names_fixed,
            ),
            field(
                "email",
                s.email,
                Some(s.email_hint),
                "email",
                "email",
                &f.email,
                e.email,
                false,
            ),
            field(
                "phone",
                s.phone,
                Some(s.phone_hint),
                "tel",
                "tel",
                &f.phone,
                e.phone,
                false,
            ),
        ],
        organisations: orgs
            .iter()
            .map(|o| Choice {
                id: o.id.clone(),
                name: name_of(o),
                checked: f.orgs.contains(&o.id),
            })
            .collect(),
        org_error: error_text(s, e.orgs),
        municipality: f.municipality.clone(),
        professions: app
            .settings
            .registration
            .profession_groups
            .iter()
            .map(|g| Choice {
                id: g.id.clone(),
                name: g.name_in(browser.lang).to_string(),
                checked: g.id == f.profession_group,
            })
            .collect(),
        profession_error: error_text(s, e.profession),
        wellbeing_areas: orgs
            .iter()
            .filter(|o| o.kind == OrgKind::WellbeingArea)
            .map(|o| Choice {
                id: o.id.clone(),
                name: name_of(o),
                checked: o.id == f.wellbeing_area,
            })
            .collect(),
    };
    Ok(no_store(with_cookies(
        render(&page, status),
        set.into_iter().chain(browser.lang_cookie(app)),
    )))
}

async fn pending_registration(
    app: &AppState,
    browser: &Browser,
) -> Result<Option<(String, PendingRegistration)>, WebError> {
    let Some(ticket) = browser.cookie(app, "pv_reg") else {
        return Ok(None);
    };
    Ok(registration::pending(app, ticket).await?)
}

fn registration_expired(app: &AppState, browser: &Browser, uri: &Uri) -> Response {
    let s = source_texts(browser.lang);
    let t = texts(browser.lang);
    message(
        app,
        browser,
        uri,
        s.registration_expired_title,
        s.registration_expired_body,
        vec![],
        Some(("/login".into(), t.back_to_login)),
        StatusCode::BAD_REQUEST,
    )
}

fn csrf_failed(app: &AppState, browser: &Browser, uri: &Uri) -> Response {
    let t = texts(browser.lang);
    message(
        app,
        browser,
        uri,
        t.error_title,
        t.err_csrf,
        vec![],
        Some((uri.to_string(), t.back_to_login)),
        StatusCode::FORBIDDEN,
    )
}

fn display_name(id: &VerifiedIdentity) -> Option<String> {
    let a = &id.attributes;
    match (&a.given_name, &a.family_name) {
        (Some(g), Some(f)) => Some(format!("{g} {f}")),
        (Some(n), None) | (None, Some(n)) => Some(n.clone()),
        _ => None,
    }
}

/// `GET /register`
pub async fn register_get(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Query(q): Query<ArQuery>,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        let Some((_, p)) = pending_registration(&app, &browser).await? else {
            return Ok(registration_expired(&app, &browser, &uri));
        };
        let a = &p.identity.attributes;
        let f = Form {
            ar: if q.ar.is_empty() {
                p.ctx.ar.clone()
            } else {
                q.ar.clone()
            },
            given_name: a.given_name.clone().unwrap_or_default(),
            family_name: a.family_name.clone().unwrap_or_default(),
            email: a.email.clone().unwrap_or_default(),
            phone: a.phone.clone().unwrap_or_default(),
            orgs: a.organisation.iter().cloned().collect(),
            municipality: a.municipality.clone().unwrap_or_default(),
            ..Form::default()
        };
        let fixed = a.given_name.is_some() && a.family_name.is_some();
        form_page(
            &app,
            &browser,
            &uri,
            &f,
            &Errors::default(),
            Mode::Register {
                identified_as: display_name(&p.identity),
            },
            fixed,
            StatusCode::OK,
        )
        .await
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}

/// `POST /register`: creates the account, its identity link and profile
/// at once, then logs the person in.
pub async fn register_post(
    State(app): State<SharedState>,
    browser: Browser,
    body: Bytes,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        let mut f = Form::parse(&body);
        let uri = page_uri("/register", &f.ar);
        if !browser.csrf_ok(&app, &f.csrf) {
            return Ok(csrf_failed(&app, &browser, &uri));
        }
        let Some((key, p)) = pending_registration(&app, &browser).await? else {
            return Ok(registration_expired(&app, &browser, &uri));
        };
        // Names the source vouched for are not the person's to change.
        let a = &p.identity.attributes;
        let fixed = a.given_name.is_some() && a.family_name.is_some();
        if fixed {
            f.given_name = a.given_name.clone().unwrap_or_default();
            f.family_name = a.family_name.clone().unwrap_or_default();
        }
        let errors = check(&app, &f).await?;
        if errors.any() {
            return form_page(
                &app,
                &browser,
                &uri,
                &f,
                &errors,
                Mode::Register {
                    identified_as: display_name(&p.identity),
                },
                fixed,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        let details = Details {
            given_name: f.given_name.clone(),
            family_name: f.family_name.clone(),
            email: f.email.clone(),
            phone: normal_phone(&f.phone),
            profession_group: f.profession_group.clone(),
            wellbeing_area: Some(f.wellbeing_area.clone()).filter(|w| !w.is_empty()),
            home_municipality: Some(f.municipality.clone()).filter(|m| !m.is_empty()),
            cooperating_organisations: f.orgs.clone(),
        };
        let attempt = browser.attempt(&app).await?;
        // Single use: a double submit registers once.
        let Some(outcome) = registration::complete(&app, &attempt, &key, details).await? else {
            return Ok(registration_expired(&app, &browser, &uri));
        };
        let resp = respond(&app, &browser, outcome, &p.ctx.ar).await?;
        Ok(with_cookies(resp, [clear_cookie(&app, "pv_reg")]))
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}

#[derive(Debug, serde::Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /account/profile`
pub async fn profile_get(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Query(q): Query<SavedQuery>,
) -> Response {
    profile_page(&app, &browser, &uri, Some(q.saved.is_some())).await
}

async fn profile_page(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    saved: Option<bool>,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        let Some((_, session)) = browser.session(app).await? else {
            return Ok(Redirect::to("/login").into_response());
        };
        let Some(account) = app.dir.account(&session.account_id).await? else {
            return Ok(Redirect::to("/login").into_response());
        };
        let profile = app.dir.profile(&account.id).await?;
        let f = Form {
            given_name: account.given_name.clone(),
            family_name: account.family_name.clone(),
            email: account.email.clone().unwrap_or_default(),
            phone: account.phone.clone().unwrap_or_default(),
            orgs: profile
                .as_ref()
                .map(|p| p.cooperating_organisations.clone())
                .unwrap_or_default(),
            municipality: profile
                .as_ref()
                .and_then(|p| p.home_municipality.clone())
                .unwrap_or_default(),
            profession_group: profile
                .as_ref()
                .map(|p| p.profession_group.clone())
                .unwrap_or_default(),
            wellbeing_area: profile
                .as_ref()
                .and_then(|p| p.wellbeing_area.clone())
                .unwrap_or_default(),
            ..Form::default()
        };
        form_page(
            app,
            browser,
            uri,
            &f,
            &Errors::default(),
            Mode::Profile {
                saved: saved.unwrap_or(false),
            },
            true,
            StatusCode::OK,
        )
        .await
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}

/// `POST /account/profile`
pub async fn profile_post(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    body: Bytes,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        let mut f = Form::parse(&body);
        if !browser.csrf_ok(&app, &f.csrf) {
            return Ok(csrf_failed(&app, &browser, &uri));
        }
        let Some((_, session)) = browser.session(&app).await? else {
            return Ok(Redirect::to("/login").into_response());
        };
        let Some(account) = app.dir.account(&session.account_id).await? else {
            return Ok(Redirect::to("/login").into_response());
        };
        f.given_name = account.given_name.clone();
        f.family_name = account.family_name.clone();
        let errors = check(&app, &f).await?;
        if errors.any() {
            return form_page(
                &app,
                &browser,
                &uri,
                &f,
                &errors,
                Mode::Profile { saved: false },
                true,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        let now = app.now();
        let p = Profile {
            account_id: account.id.clone(),
            profession_group: f.profession_group.clone(),
            wellbeing_area: Some(f.wellbeing_area.clone()).filter(|w| !w.is_empty()),
            home_municipality: Some(f.municipality.clone()).filter(|m| !m.is_empty()),
            cooperating_organisations: f.orgs.clone(),
            updated_at: now,
        };
        app.dir
            .save_profile(
                &p,
                Some(&f.email),
                normal_phone(&f.phone).as_deref(),
                &AuditEvent::new(now, &account.id, "account.profile")
                    .subject(&account.id)
                    .ip(browser.ip_string()),
            )
            .await?;
        Ok(Redirect::to("/account/profile?saved=1").into_response())
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_emails() {
        assert_eq!(
            normal_phone("040 123  4567").as_deref(),
            Some("040 123 4567")
        );
        assert_eq!(
            normal_phone("+358401234567").as_deref(),
            Some("+358401234567")
        );
        assert!(normal_phone("12345").is_none());
        assert!(normal_phone("040+1234567").is_none());
        assert!(normal_phone("call me").is_none());
        assert!(valid_email("anna@hus.fi"));
        assert!(!valid_email("anna@hus"));
        assert!(!valid_email("anna hus.fi"));
        assert!(!valid_email("@hus.fi"));
    }
}
