//! The admin UI under `/admin/`: server-rendered pages for liaison persons
//! and the service desk. Handlers extract, ask the permission check for a
//! handle, call it, and render.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::admin::{
    AdminError, CreateAccount, LiaisonHandle, LiaisonScope, OperatorScope, Principal, org_name,
};
use crate::app::{AppState, SharedState};
use crate::domain::{AccountStatus, Lang, Network, OrgKind};
use crate::store::{AuditEvent, AuditQuery, Organisation};
use crate::web::admin_i18n::{AdminTexts, admin_texts, network_name};
use crate::web::browser::{Browser, set_cookie, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::{Texts, texts};
use crate::web::pages::{LangLink, lang_links, render};
use crate::web::time::{iso_utc, local};

const PAGE: u32 = 25;

/// The frame every admin page shares.
struct Frame {
    t: &'static Texts,
    a: &'static AdminTexts,
    langs: Vec<LangLink>,
    who: String,
    csrf: String,
    set_csrf: Option<String>,
    notice: Option<&'static str>,
}

pub struct Ctx {
    pub principal: Principal,
    frame: Frame,
    lang: Lang,
}

/// Who is asking, or the response that sends them to log in or tells them
/// what is missing.
pub async fn gate(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
) -> Result<Result<Ctx, Response>, WebError> {
    let lang = browser.lang;
    let Some((_, session)) = browser.session(app).await? else {
        // Come back here after logging in.
        let next = uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/admin/");
        let cookie = set_cookie(
            app,
            "pv_next",
            &url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>(),
            Some(1800),
            "Lax",
        );
        return Ok(Err(with_cookies(
            Redirect::to("/login").into_response(),
            [cookie],
        )));
    };
    let Some(principal) = Principal::of_session(app, &session, browser.ip_string()).await? else {
        return Ok(Err(Redirect::to("/login").into_response()));
    };
    let (csrf, set_csrf) = browser.csrf(app);
    let frame = Frame {
        t: texts(lang),
        a: admin_texts(lang),
        langs: lang_links(uri, lang),
        who: principal.name.clone(),
        csrf,
        set_csrf,
        notice: None,
    };
    if !principal.strong() {
        let a = admin_texts(lang);
        let page = message_page(
            &frame,
            a.not_strong_title,
            a.not_strong_body,
            Some(("/account/totp".into(), a.set_up_totp)),
        );
        return Ok(Err(finish(
            page,
            StatusCode::FORBIDDEN,
            &frame,
            browser,
            app,
        )));
    }
    Ok(Ok(Ctx {
        principal,
        frame,
        lang,
    }))
}

fn finish(
    page: Response,
    _status: StatusCode,
    frame: &Frame,
    browser: &Browser,
    app: &AppState,
) -> Response {
    let mut r = with_cookies(
        page,
        frame
            .set_csrf
            .clone()
            .into_iter()
            .chain(browser.lang_cookie(app)),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

#[derive(Template)]
#[template(path = "admin/message.html")]
struct MessagePage<'a> {
    t: &'static Texts,
    a: &'static AdminTexts,
    langs: &'a [LangLink],
    who: &'a str,
    csrf: &'a str,
    notice: Option<&'static str>,
    heading: &'a str,
    body: &'a str,
    link: Option<(String, &'a str)>,
}

fn message_page(f: &Frame, heading: &str, body: &str, link: Option<(String, &str)>) -> Response {
    render(
        &MessagePage {
            t: f.t,
            a: f.a,
            langs: &f.langs,
            who: &f.who,
            csrf: &f.csrf,
            notice: f.notice,
            heading,
            body,
            link,
        },
        StatusCode::FORBIDDEN,
    )
}

/// Runs a page handler: gate, then `body`; errors become pages.
macro_rules! admin_page {
    ($app:ident, $browser:ident, $uri:ident, |$ctx:ident| $body:expr) => {{
        let lang = $browser.lang;
        let result: Result<Response, WebError> = async {
            let $ctx = match gate(&$app, &$browser, &$uri).await? {
                Ok(c) => c,
                Err(r) => return Ok(r),
            };
            let set = $ctx.frame.set_csrf.clone();
            let resp: Response = $body;
            let mut r = with_cookies(resp, set.into_iter().chain($browser.lang_cookie(&$app)));
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            Ok(r)
        }
        .await;
        result.unwrap_or_else(|e| Localized(e, lang).into_response())
    }};
}

fn not_found(ctx: &Ctx) -> Response {
    let mut r = message_page(
        &ctx.frame,
        ctx.frame.t.error_not_found,
        ctx.frame.a.no_access_body,
        Some(("/admin/".into(), ctx.frame.a.title)),
    );
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

fn admin_err(e: AdminError) -> WebError {
    match e {
        AdminError::Store(s) => WebError::from(s),
        other => WebError::Internal(other.to_string()),
    }
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard<'a> {
    t: &'static Texts,
    a: &'static AdminTexts,
    langs: &'a [LangLink],
    who: &'a str,
    csrf: &'a str,
    notice: Option<&'static str>,
    orgs: Vec<(String, String, String)>,
    operator: bool,
}

/// `GET /admin/`.
pub async fn dashboard(State(app): State<SharedState>, browser: Browser, uri: Uri) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        let mut orgs = Vec::new();
        for (org_id, nets) in ctx.principal.liaison_orgs() {
            if let Some(o) = app.dir.organisation(&org_id).await? {
                let nets: Vec<&str> = nets.iter().map(|n| network_name(*n)).collect();
                orgs.push((
                    o.id.clone(),
                    org_name(&o, ctx.lang).to_string(),
                    nets.join(", "),
                ));
            }
        }
        let f = &ctx.frame;
        render(
            &Dashboard {
                t: f.t,
                a: f.a,
                langs: &f.langs,
                who: &f.who,
                csrf: &f.csrf,
                notice: f.notice,
                orgs,
                operator: ctx.principal.operator,
            },
            StatusCode::OK,
        )
    })
}

struct Row {
    href: String,
    name: String,
    username: String,
    status: &'static str,
    status_class: &'static str,
    must_change: bool,
    networks: String,
    last_login: String,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage<'a> {
    t: &'static Texts,
    a: &'static AdminTexts,
    langs: &'a [LangLink],
    who: &'a str,
    csrf: &'a str,
    notice: Option<&'static str>,
    org_name: String,
    networks: String,
    base: String,
    q: String,
    rows: Vec<Row>,
    from: u64,
    to: u64,
    total: u64,
    prev: Option<String>,
    next: Option<String>,
    can_create: bool,
}

fn status_class(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => "ok",
        AccountStatus::Locked => "warn",
        AccountStatus::Disabled => "off",
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    offset: u32,
}

async fn liaison<'a>(
    app: &'a AppState,
    ctx: &'a Ctx,
    org: &str,
) -> Result<Option<LiaisonHandle<'a>>, WebError> {
    Ok(LiaisonScope::for_org(app, &ctx.principal, org).await?)
}

fn page_link(base: &str, q: &str, offset: u32) -> String {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    format!("{base}?q={q}&offset={offset}")
}

/// `GET /admin/orgs/{org}/accounts`.
pub async fn accounts(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path(org): Path<String>,
    Query(lq): Query<ListQuery>,
) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        match liaison(&app, &ctx, &org).await? {
            None => not_found(&ctx),
            Some(h) => {
                let page = h.list(&lq.q, lq.offset, PAGE).await.map_err(admin_err)?;
                let base = format!("/admin/orgs/{}/accounts", h.org().id);
                let a = ctx.frame.a;
                let rows = page
                    .items
                    .iter()
                    .map(|v| Row {
                        href: format!("{base}/{}", v.account.id),
                        name: format!("{} {}", v.account.family_name, v.account.given_name),
                        username: v.account.username.clone(),
                        status: a.status(v.account.status),
                        status_class: status_class(v.account.status),
                        must_change: v.account.must_change_password,
                        networks: v
                            .networks()
                            .iter()
                            .map(|n| network_name(*n))
                            .collect::<Vec<_>>()
                            .join(", "),
                        last_login: v.account.last_login_at.map_or(a.never.to_string(), local),
                    })
                    .collect();
                let shown = page.items.len() as u64;
                let f = &ctx.frame;
                render(
                    &AccountsPage {
                        t: f.t,
                        a,
                        langs: &f.langs,
                        who: &f.who,
                        csrf: &f.csrf,
                        notice: f.notice,
                        org_name: org_name(h.org(), ctx.lang).to_string(),
                        networks: h
                            .networks()
                            .iter()
                            .map(|n| network_name(*n))
                            .collect::<Vec<_>>()
                            .join(", "),
                        prev: (lq.offset > 0)
                            .then(|| page_link(&base, &lq.q, lq.offset.saturating_sub(PAGE))),
                        next: (u64::from(lq.offset) + shown < page.total)
                            .then(|| page_link(&base, &lq.q, lq.offset + PAGE)),
                        from: if shown == 0 {
                            0
                        } else {
                            u64::from(lq.offset) + 1
                        },
                        to: u64::from(lq.offset) + shown,
                        total: page.total,
                        base,
                        q: lq.q.clone(),
                        rows,
                        can_create: true,
                    },
                    StatusCode::OK,
                )
            }
        }
    })
}

pub struct Field {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    value: String,
    hint: Option<&'static str>,
    error: Option<&'static str>,
    optional: bool,
    autocomplete: &'static str,
    options: Vec<(String, String)>,
    readonly: bool,
    multiple: bool,
}

impl Field {
    fn text(name: &'static str, label: &'static str, value: &str) -> Self {
        Self {
            name,
            label,
            kind: "text",
            value: value.to_string(),
            hint: None,
            error: None,
            optional: false,
            autocomplete: "off",
            options: Vec::new(),
            readonly: false,
            multiple: false,
        }
    }
    fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    fn kind(mut self, k: &'static str, autocomplete: &'static str) -> Self {
        self.kind = k;
        self.autocomplete = autocomplete;
        self
    }
    fn hint(mut self, h: &'static str) -> Self {
        self.hint = Some(h);
        self
    }
}

#[derive(Template)]
#[template(path = "admin/account_form.html")]
struct AccountFormPage<'a> {
    t: &'static Texts,
    a: &'static AdminTexts,
    langs: &'a [LangLink],
    who: &'a str,
    csrf: &'a str,
    notice: Option<&'static str>,
    heading: &'static str,
    org_name: String,
    action: String,
    cancel: String,
    submit: &'static str,
    fields: Vec<Field>,
    form_error: Option<&'static str>,
    nonce: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    network: String,
    #[serde(default)]
    reason: String,
}

impl AccountForm {
    fn input(&self) -> CreateAccount {
        CreateAccount {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            title: self.title.clone(),
            network: self.network.clone(),
        }
    }
}

fn account_fields(
    a: &AdminTexts,
    f: &AccountForm,
    networks: Option<&[Network]>,
    reason: bool,
    err: Option<(&str, &'static str)>,
) -> Vec<Field> {
    let mut fields = vec![
        Field::text("given_name", a.given_name, &f.given_name),
        Field::text("family_name", a.family_name, &f.family_name),
        Field::text("email", a.email, &f.email)
            .kind("email", "off")
            .optional(),
        Field::text("phone", a.phone, &f.phone)
            .kind("tel", "off")
            .optional(),
        Field::text("title", a.job_title, &f.title).optional(),
    ];
    if let Some(nets) = networks {
        let mut n = Field::text("network", a.network, &f.network);
        n.options = nets
            .iter()
            .map(|n| (n.as_str().to_string(), network_name(*n).to_string()))
            .collect();
        fields.push(n);
    }
    if reason {
        fields.push(Field::text("reason", a.reason, &f.reason).hint(a.reason_hint));
    }
    if let Some((field, msg)) = err
        && let Some(x) = fields.iter_mut().find(|x| x.name == field)
    {
        x.error = Some(msg);
    }
    fields
}

/// Double submission of one form creates one account: the form's nonce is
/// remembered for a while with what it created.
async fn first_submission(app: &AppState, nonce: &str) -> Result<bool, WebError> {
    if nonce.is_empty() {
        return Ok(true);
    }
    Ok(app
        .eph
        .raw()
        .put_if_absent(
            &format!("form:{nonce}"),
            b"1".to_vec(),
            std::time::Duration::from_secs(3600),
        )
        .await?)
}

/// `GET /admin/orgs/{org}/accounts/new`.
pub async fn new_account(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path(org): Path<String>,
) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        match liaison(&app, &ctx, &org).await? {
            None => not_found(&ctx),
            Some(h) => {
                let form = AccountForm {
                    network: h
                        .networks()
                        .first()
                        .map(|n| n.as_str().to_string())
                        .unwrap_or_default(),
                    ..Default::default()
                };
                account_form(&ctx, &h, &form, None, None)
            }
        }
    })
}

fn account_form(
    ctx: &Ctx,
    h: &LiaisonHandle<'_>,
    form: &AccountForm,
    err: Option<(&str, &'static str)>,
    form_error: Option<&'static str>,
) -> Response {
    let f = &ctx.frame;
    let nets: Vec<Network> = h
        .networks()
        .iter()
        .copied()
        .filter(|n| h.org().networks.contains(n))
        .collect();
    let status = if err.is_some() || form_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(
        &AccountFormPage {
            t: f.t,
            a: f.a,
            langs: &f.langs,
            who: &f.who,
            csrf: &f.csrf,
            notice: f.notice,
            heading: f.a.create_account,
            org_name: org_name(h.org(), ctx.lang).to_string(),
            action: format!("/admin/orgs/{}/accounts", h.org().id),
            cancel: format!("/admin/orgs/{}/accounts", h.org().id),
            submit: f.a.create,
            fields: account_fields(f.a, form, Some(&nets), h.reason_required(), err),
            form_error,
            nonce: crate::tokens::random_token(12),
        },
        status,
    )
}

#[derive(Template)]
#[template(path = "admin/secret.html")]
struct SecretPage<'a> {
    t: &'static Texts,
    a: &'static AdminTexts,
    langs: &'a [LangLink],
    who: &'a str,
    csrf: &'a str,
    notice: Option<&'static str>,
    heading: &'static str,
    name: String,
    username: String,
    password: String,
    back: String,
}

/// `POST /admin/orgs/{org}/accounts`.
pub async fn create_account(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path(org): Path<String>,
    Form(form): Form<AccountForm>,
) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        match liaison(&app, &ctx, &org).await? {
            None => not_found(&ctx),
            Some(h) => {
                let a = ctx.frame.a;
                if !browser.csrf_ok(&app, &form.csrf) {
                    account_form(&ctx, &h, &form, None, Some(ctx.frame.t.err_csrf))
                } else if !first_submission(&app, &form.nonce).await? {
                    // Sent twice: the first one created the account.
                    Redirect::to(&format!("/admin/orgs/{}/accounts", h.org().id)).into_response()
                } else {
                    match h.create(&form.input()).await {
                        Ok((view, otp)) => {
                            let f = &ctx.frame;
                            render(
                                &SecretPage {
                                    t: f.t,
                                    a,
                                    langs: &f.langs,
                                    who: &f.who,
                                    csrf: &f.csrf,
                                    notice: None,
                                    heading: a.created_title,
                                    name: view.account.display_name(),
                                    username: view.account.username.clone(),
                                    password: otp.0,
                                    back: format!("/admin/orgs/{}/accounts", h.org().id),
                                },
                                StatusCode::CREATED,
                            )
                        }
                        Err(AdminError::Invalid { field, message }) => {
                            // Let the person correct and send the form again.
                            let _ = app.eph.raw().delete(&format!("form:{}", form.nonce)).await;
                            account_form(
                                &ctx,
                                &h,
                                &form,
                                Some((field, a.field_error(field, message))),
                                None,
                            )
                        }
                        Err(e) => return Err(admin_err(e)),
                    }
                }
            }
        }
    })
}

struct AccountFacts {
    name: String,
    username: String,
    status: &'static str,
    status_class: &'static str,
    status_reason: Option<String>,
    must_change: bool,
    networks: String,
    email: String,
    phone: String,
    title: String,
    last_login: String,
}

struct Action {
    id: &'static str,
    action: String,
    label: String,
    class: &'static str,
    network: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage<'a> {
    t: &'static Texts,
    a: &'static AdminTexts,
    langs: &'a [LangLink],
    who: &'a str,
    csrf: &'a str,
    notice: Option<&'static str>,
    v: AccountFacts,
    actions: Vec<Action>,
    reason_required: bool,
    back: String,
    edit: String,
    form_error: Option<&'static str>,
}

async fn account_page(
    ctx: &Ctx,
    h: &LiaisonHandle<'_>,
    id: &str,
    notice: Option<&'static str>,
    form_error: Option<&'static str>,
) -> Result<Response, AdminError> {
    let v = h.account(id).await?;
    let a = ctx.frame.a;
    let base = format!("/admin/orgs/{}/accounts/{}", h.org().id, v.account.id);
    let acc = &v.account;
    let mut actions = Vec::new();
    let mut act =
        |id: &'static str, label: String, class: &'static str, network: Option<String>| {
            actions.push(Action {
                id,
                action: format!("{base}/{id}"),
                label,
                class,
                network,
            });
        };
    match acc.status {
        AccountStatus::Locked => act("unlock", a.unlock.into(), "", None),
        AccountStatus::Disabled => act("enable", a.enable.into(), "", None),
        AccountStatus::Active => {}
    }
    if acc.status != AccountStatus::Disabled {
        act("reset", a.reset_password.into(), "secondary", None);
        act("disable", a.disable.into(), "danger", None);
    }
    for n in h.networks() {
        if h.org().networks.contains(n) && !v.networks().contains(n) {
            act(
                "move",
                format!("{} {}", a.move_to, network_name(*n)),
                "secondary",
                Some(n.as_str().to_string()),
            );
        }
    }
    let reason_text = acc.status_reason.as_deref().map(|r| {
        if r == "too_many_failed_logins" {
            a.locked_because_failures.to_string()
        } else {
            r.to_string()
        }
    });
    let f = &ctx.frame;
    let status = if form_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render(
        &AccountPage {
            t: f.t,
            a,
            langs: &f.langs,
            who: &f.who,
            csrf: &f.csrf,
            notice,
            v: AccountFacts {
                name: acc.display_name(),
                username: acc.username.clone(),
                status: a.status(acc.status),
                status_class: status_class(acc.status),
                status_reason: reason_text,
                must_change: acc.must_change_password,
                networks: v
                    .networks()
                    .iter()
                    .map(|n| network_name(*n))
                    .collect::<Vec<_>>()
                    .join(", "),
                email: acc.email.clone().unwrap_or_default(),
                phone: acc.phone.clone().unwrap_or_default(),
                title: acc.title.clone().unwrap_or_default(),
                last_login: acc.last_login_at.map_or(a.never.to_string(), local),
            },
            actions,
            reason_required: h.reason_required(),
            back: format!("/admin/orgs/{}/accounts", h.org().id),
            edit: format!("{base}/edit"),
            form_error,
        },
        status,
    ))
}

/// `GET /admin/orgs/{org}/accounts/{id}`.
pub async fn account(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path((org, id)): Path<(String, String)>,
) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        match liaison(&app, &ctx, &org).await? {
            None => not_found(&ctx),
            Some(h) => match account_page(&ctx, &h, &id, None, None).await {
                Ok(r) => r,
                Err(AdminError::NotFound) => not_found(&ctx),
                Err(e) => return Err(admin_err(e)),
            },
        }
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    network: String,
}

/// `POST /admin/orgs/{org}/accounts/{id}/{action}`.
pub async fn account_action(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path((org, id, action)): Path<(String, String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        match liaison(&app, &ctx, &org).await? {
            None => not_found(&ctx),
            Some(h) => {
                let a = ctx.frame.a;
                let reason = Some(form.reason.as_str());
                let outcome = if !browser.csrf_ok(&app, &form.csrf) {
                    Err(AdminError::invalid("csrf", "invalid"))
                } else {
                    match action.as_str() {
                        "unlock" => h.unlock(&id, reason).await.map(|()| None),
                        "disable" => h.disable(&id, reason).await.map(|()| None),
                        "enable" => h.enable(&id, reason).await.map(|()| None),
                        "move" => h
                            .move_network(&id, &form.network, reason)
                            .await
                            .map(|()| None),
                        "reset" => h.reset_password(&id, reason).await.map(Some),
                        _ => Err(AdminError::NotFound),
                    }
                };
                match outcome {
                    Ok(Some(otp)) => {
                        let v = h.account(&id).await.map_err(admin_err)?;
                        let f = &ctx.frame;
                        render(
                            &SecretPage {
                                t: f.t,
                                a,
                                langs: &f.langs,
                                who: &f.who,
                                csrf: &f.csrf,
                                notice: None,
                                heading: a.reset_title,
                                name: v.account.display_name(),
                                username: v.account.username.clone(),
                                password: otp.0,
                                back: format!("/admin/orgs/{}/accounts/{}", h.org().id, id),
                            },
                            StatusCode::OK,
                        )
                    }
                    Ok(None) => match account_page(&ctx, &h, &id, Some(a.done), None).await {
                        Ok(r) => r,
                        Err(e) => return Err(admin_err(e)),
                    },
                    Err(AdminError::NotFound) => not_found(&ctx),
                    Err(AdminError::Invalid { field, message }) => {
                        let msg = if field == "csrf" {
                            ctx.frame.t.err_csrf
                        } else {
                            a.field_error(field, message)
                        };
                        match account_page(&ctx, &h, &id, None, Some(msg)).await {
                            Ok(r) => r,
                            Err(AdminError::NotFound) => not_found(&ctx),
                            Err(e) => return Err(admin_err(e)),
                        }
                    }
                    Err(e) => return Err(admin_err(e)),
                }
            }
        }
    })
}

/// `GET /admin/orgs/{org}/accounts/{id}/edit`.
pub async fn edit_account(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path((org, id)): Path<(String, String)>,
) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        match liaison(&app, &ctx, &org).await? {
            None => not_found(&ctx),
            Some(h) => match h.account(&id).await {
                Ok(v) => {
                    let acc = &v.account;
                    let form = AccountForm {
                        given_name: acc.given_name.clone(),
                        family_name: acc.family_name.clone(),
                        email: acc.email.clone().unwrap_or_default(),
                        phone: acc.phone.clone().unwrap_or_default(),
                        title: acc.title.clone().unwrap_or_default(),
                        ..Default::default()
                    };
                    edit_form(&ctx, &h, &id, &form, None)
                }
                Err(AdminError::NotFound) => not_found(&ctx),
                Err(e) => return Err(admin_err(e)),
            },
        }
    })
}

fn edit_form(
    ctx: &Ctx,
    h: &LiaisonHandle<'_>,
    id: &str,
    form: &AccountForm,
    err: Option<(&str, &'static str)>,
) -> Response {
    let f = &ctx.frame;
    render(
        &AccountFormPage {
            t: f.t,
            a: f.a,
            langs: &f.langs,
            who: &f.who,
            csrf: &f.csrf,
            notice: f.notice,
            heading: f.a.edit_contact,
            org_name: org_name(h.org(), ctx.lang).to_string(),
            action: format!("/admin/orgs/{}/accounts/{id}/edit", h.org().id),
            cancel: format!("/admin/orgs/{}/accounts/{id}", h.org().id),
            submit: f.a.save,
            fields: account_fields(f.a, form, None, h.reason_required(), err),
            form_error: None,
            nonce: String::new(),
        },
        if err.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
    )
}

/// `POST /admin/orgs/{org}/accounts/{id}/edit`.
pub async fn save_account(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path((org, id)): Path<(String, String)>,
    Form(form): Form<AccountForm>,
) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        match liaison(&app, &ctx, &org).await? {
            None => not_found(&ctx),
            Some(h) => {
                if matches!(h.account(&id).await, Err(AdminError::NotFound)) {
                    not_found(&ctx)
                } else if !browser.csrf_ok(&app, &form.csrf) {
                    edit_form(
                        &ctx,
                        &h,
                        &id,
                        &form,
                        Some(("given_name", ctx.frame.t.err_csrf)),
                    )
                } else {
                    match h.edit(&id, &form.input(), Some(&form.reason)).await {
                        Ok(()) => {
                            match account_page(&ctx, &h, &id, Some(ctx.frame.a.done), None).await {
                                Ok(r) => r,
                                Err(e) => return Err(admin_err(e)),
                            }
                        }
                        Err(AdminError::NotFound) => not_found(&ctx),
                        Err(AdminError::Invalid { field, message }) => edit_form(
                            &ctx,
                            &h,
                            &id,
                            &form,
                            Some((field, ctx.frame.a.field_error(field, message))),
                        ),
                        Err(e) => return Err(admin_err(e)),
                    }
                }
            }
        }
    })
}

struct AuditRow {
    when: String,
    who: String,
    what: String,
    whom: String,
    ip: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage<'a> {
    t: &'static Texts,
    a: &'static AdminTexts,
    langs: &'a [LangLink],
    who: &'a str,
    csrf: &'a str,
    notice: Option<&'static str>,
    scope_name: Option<String>,
    export_base: String,
    rows: Vec<AuditRow>,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct AuditParams {
    #[serde(default)]
    offset: u32,
    #[serde(default)]
    format: String,
}

/// Names for the ids in audit rows, looked up once per page.
async fn names(app: &AppState, events: &[AuditEvent]) -> HashMap<String, String> {
    let mut ids: Vec<String> = Vec::new();
    for e in events {
        ids.push(e.actor.clone());
        if let Some(s) = &e.subject {
            ids.push(s.clone());
        }
    }
    ids.sort();
    ids.dedup();
    let mut out = HashMap::new();
    for id in ids {
        if let Ok(Some(a)) = app.dir.account(&id).await {
            out.insert(id, format!("{} ({})", a.display_name(), a.username));
        }
    }
    out
}

/// CSV (RFC 4180) or JSON lines of audit events.
pub fn export(events: &[AuditEvent], format: &str) -> Response {
    if format == "jsonl" {
        let mut body = String::new();
        for e in events {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("time".into(), serde_json::json!(iso_utc(e.at)));
            }
            body.push_str(&v.to_string());
            body.push('\n');
        }
        return (
            [
                (header::CONTENT_TYPE, "application/jsonl; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit.jsonl\"",
                ),
            ],
            body,
        )
            .into_response();
    }
    let q = |s: &str| {
        // Spreadsheet formula injection is neutralised with a leading quote.
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    };
    let mut body = String::from("time,actor,action,subject,org_id,source_ip,reason,detail\r\n");
    for e in events {
        let cols = [
            iso_utc(e.at),
            e.actor.clone(),
            e.action.clone(),
            e.subject.clone().unwrap_or_default(),
            e.org_id.clone().unwrap_or_default(),
            e.source_ip.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            e.detail.clone().unwrap_or_default(),
        ];
        body.push_str(&cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(","));
        body.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

async fn audit_page(
    app: &AppState,
    ctx: &Ctx,
    events: Vec<AuditEvent>,
    scope_name: Option<String>,
    base: &str,
    offset: u32,
) -> Response {
    let names = names(app, &events).await;
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let shown = events.len() as u32;
    let rows = events
        .iter()
        .map(|e| AuditRow {
            when: local(e.at),
            who: name(&e.actor),
            what: e.action.clone(),
            whom: e.subject.as_deref().map(name).unwrap_or_default(),
            ip: e.source_ip.clone().unwrap_or_default(),
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    let f = &ctx.frame;
    render(
        &AuditPage {
            t: f.t,
            a: f.a,
            langs: &f.langs,
            who: &f.who,
            csrf: &f.csrf,
            notice: f.notice,
            scope_name,
            export_base: format!("{base}?"),
            rows,
            prev: (offset > 0).then(|| format!("{base}?offset={}", offset.saturating_sub(50))),
            next: (shown == 50).then(|| format!("{base}?offset={}", offset + 50)),
        },
        StatusCode::OK,
    )
}

/// `GET /admin/orgs/{org}/audit[?format=csv|jsonl]`.
pub async fn org_audit(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path(org): Path<String>,
    Query(p): Query<AuditParams>,
) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        match liaison(&app, &ctx, &org).await? {
            None => not_found(&ctx),
            Some(h) => {
                if p.format.is_empty() {
                    let events = h.audit_trail(p.offset, 50).await.map_err(admin_err)?;
                    let base = format!("/admin/orgs/{}/audit", h.org().id);
                    audit_page(
                        &app,
                        &ctx,
                        events,
                        Some(org_name(h.org(), ctx.lang).to_string()),
                        &base,
                        p.offset,
                    )
                    .await
                } else {
                    export(
                        &h.audit_trail(0, 10_000).await.map_err(admin_err)?,
                        &p.format,
                    )
                }
            }
        }
    })
}

// ---- The service desk ----

struct OrgRow {
    id: String,
    name: String,
    business_id: String,
    oid: String,
    networks: String,
}

#[derive(Template)]
#[template(path = "admin/orgs.html")]
struct OrgsPage<'a> {
    t: &'static Texts,
    a: &'static AdminTexts,
    langs: &'a [LangLink],
    who: &'a str,
    csrf: &'a str,
    notice: Option<&'static str>,
    q: String,
    rows: Vec<OrgRow>,
}

/// `GET /admin/operator/orgs`.
pub async fn operator_orgs(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Query(lq): Query<ListQuery>,
) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        match OperatorScope::for_principal(&app, &ctx.principal) {
            None => not_found(&ctx),
            Some(op) => {
                let rows = op
                    .organisations(&lq.q)
                    .await
                    .map_err(admin_err)?
                    .iter()
                    .map(|o| OrgRow {
                        id: o.id.clone(),
                        name: org_name(o, ctx.lang).to_string(),
                        business_id: o.business_id.to_string(),
                        oid: o.oid.to_string(),
                        networks: o
                            .networks
                            .iter()
                            .map(|n| network_name(*n))
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                    .collect();
                let f = &ctx.frame;
                render(
                    &OrgsPage {
                        t: f.t,
                        a: f.a,
                        langs: &f.langs,
                        who: &f.who,
                        csrf: &f.csrf,
                        notice: f.notice,
                        q: lq.q.clone(),
                        rows,
                    },
                    StatusCode::OK,
                )
            }
        }
    })
}

struct LiaisonRow {
    account_id: String,
    name: String,
    network: &'static str,
    network_id: &'static str,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/org.html")]
struct OrgPage<'a> {
    t: &'static Texts,
    a: &'static AdminTexts,
    langs: &'a [LangLink],
    who: &'a str,
    csrf: &'a str,
    notice: Option<&'static str>,
    heading: String,
    action: String,
    fields: Vec<Field>,
    form_error: Option<&'static str>,
    existing: bool,
    org_id: String,
    liaisons: Vec<LiaisonRow>,
    org_networks: Vec<(String, String)>,
    appoint_error: Option<&'static str>,
}

#[derive(Debug, Default)]
pub struct OrgForm {
    csrf: String,
    id: String,
    name_fi: String,
    name_sv: String,
    business_id: String,
    oid: String,
    kind: String,
    municipality: String,
    networks: Vec<String>,
}

impl OrgForm {
    /// From form pairs: `networks` may repeat (one checkbox each).
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "id" => f.id = v,
                "name_fi" => f.name_fi = v,
                "name_sv" => f.name_sv = v,
                "business_id" => f.business_id = v,
                "oid" => f.oid = v,
                "kind" => f.kind = v,
                "municipality" => f.municipality = v,
                "networks" => f.networks.push(v),
                _ => {}
            }
        }
        f
    }

    fn of(o: &Organisation) -> Self {
        Self {
            csrf: String::new(),
            id: o.id.clone(),
            name_fi: o.name_fi.clone(),
            name_sv: o.name_sv.clone(),
            business_id: o.business_id.to_string(),
            oid: o.oid.to_string(),
            kind: o.kind.as_str().to_string(),
            municipality: o.municipality.clone().unwrap_or_default(),
            networks: o.networks.iter().map(|n| n.as_str().to_string()).collect(),
        }
    }

    /// Parses the form into register data, or names the first bad field.
    fn parse(&self) -> Result<Organisation, AdminError> {
        let business_id = self
            .business_id
            .trim()
            .parse()
            .map_err(|_| AdminError::invalid("business_id", "invalid"))?;
        let oid = self
            .oid
            .trim()
            .parse()
            .map_err(|_| AdminError::invalid("oid", "invalid"))?;
        let kind: OrgKind = self
            .kind
            .parse()
            .map_err(|_| AdminError::invalid("kind", "invalid"))?;
        let networks = self
            .networks
            .iter()
            .map(|n| {
                n.parse::<Network>()
                    .map_err(|_| AdminError::invalid("networks", "invalid"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Organisation {
            id: self.id.trim().to_string(),
            oid,
            business_id,
            name_fi: self.name_fi.trim().to_string(),
            name_sv: self.name_sv.trim().to_string(),
            kind,
            municipality: Some(self.municipality.trim().to_string()).filter(|m| !m.is_empty()),
            networks,
        })
    }
}

fn org_fields(
    a: &AdminTexts,
    f: &OrgForm,
    existing: bool,
    err: Option<(&str, &'static str)>,
) -> Vec<Field> {
    let mut id = Field::text("id", a.org_id, &f.id).hint(a.org_id_hint);
    id.readonly = existing;
    let mut kind = Field::text("kind", a.kind, &f.kind);
    kind.options = OrgKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), k.as_str().replace('_', " ")))
        .collect();
    let mut nets = Field::text("networks", a.networks, &f.networks.join(","));
    nets.options = Network::ALL
        .iter()
        .map(|n| (n.as_str().to_string(), network_name(*n).to_string()))
        .collect();
    nets.multiple = true;
    nets.optional = true;
    let mut fields = vec![
        id,
        Field::text("name_fi", a.name_fi, &f.name_fi),
        Field::text("name_sv", a.name_sv, &f.name_sv),
        Field::text("business_id", a.business_id, &f.business_id).hint("1234567-8"),
        Field::text("oid", a.oid, &f.oid).hint("1.2.246.10.1234567.10.0"),
        kind,
        Field::text("municipality", a.municipality, &f.municipality).optional(),
        nets,
    ];
    if let Some((field, msg)) = err
        && let Some(x) = fields.iter_mut().find(|x| x.name == field)
    {
        x.error = Some(msg);
    }
    fields
}

async fn org_page(
    app: &AppState,
    ctx: &Ctx,
    form: &OrgForm,
    existing: bool,
    err: Option<(&str, &'static str)>,
    appoint_error: Option<&'static str>,
    notice: Option<&'static str>,
) -> Result<Response, WebError> {
    let a = ctx.frame.a;
    let liaisons = if existing {
        app.dir
            .liaison_contacts(&form.id)
            .await?
            .into_iter()
            .map(|l| LiaisonRow {
                account_id: l.account_id,
                name: l.name,
                network: network_name(l.network),
                network_id: l.network.as_str(),
                email: l.email,
                phone: l.phone,
            })
            .collect()
    } else {
        Vec::new()
    };
    let f = &ctx.frame;
    let heading = if existing {
        format!("{} {}", a.organisations, form.name_fi)
    } else {
        a.new_organisation.to_string()
    };
    let status = if err.is_some() || appoint_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render(
        &OrgPage {
            t: f.t,
            a,
            langs: &f.langs,
            who: &f.who,
            csrf: &f.csrf,
            notice,
            heading,
            action: if existing {
                format!("/admin/operator/orgs/{}", form.id)
            } else {
                "/admin/operator/orgs/new".into()
            },
            fields: org_fields(a, form, existing, err),
            form_error: None,
            existing,
            org_id: form.id.clone(),
            liaisons,
            org_networks: form
                .networks
                .iter()
                .filter_map(|n| n.parse::<Network>().ok())
                .map(|n| (n.as_str().to_string(), network_name(n).to_string()))
                .collect(),
            appoint_error,
        },
        status,
    ))
}

/// `GET /admin/operator/orgs/new` and `GET /admin/operator/orgs/{id}`.
pub async fn operator_org(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    id: Option<Path<String>>,
) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        match OperatorScope::for_principal(&app, &ctx.principal) {
            None => not_found(&ctx),
            Some(op) => match id {
                None => {
                    let form = OrgForm {
                        kind: "health_centre".into(),
                        ..Default::default()
                    };
                    org_page(&app, &ctx, &form, false, None, None, None).await?
                }
                Some(Path(id)) => match op.organisation(&id).await {
                    Ok(o) => org_page(&app, &ctx, &OrgForm::of(&o), true, None, None, None).await?,
                    Err(AdminError::NotFound) => not_found(&ctx),
                    Err(e) => return Err(admin_err(e)),
                },
            },
        }
    })
}

/// `POST /admin/operator/orgs/new` and `POST /admin/operator/orgs/{id}`.
pub async fn operator_save_org(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    id: Option<Path<String>>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = OrgForm::from_pairs(pairs);
    admin_page!(app, browser, uri, |ctx| {
        match OperatorScope::for_principal(&app, &ctx.principal) {
            None => not_found(&ctx),
            Some(op) => {
                let existing = id.is_some();
                if let Some(Path(id)) = &id {
                    form.id = id.clone();
                }
                let a = ctx.frame.a;
                if !browser.csrf_ok(&app, &form.csrf) {
                    org_page(
                        &app,
                        &ctx,
                        &form,
                        existing,
                        Some(("id", ctx.frame.t.err_csrf)),
                        None,
                        None,
                    )
                    .await?
                } else {
                    match form.parse() {
                        Err(AdminError::Invalid { field, message }) => {
                            org_page(
                                &app,
                                &ctx,
                                &form,
                                existing,
                                Some((field, a.field_error(field, message))),
                                None,
                                None,
                            )
                            .await?
                        }
                        Err(e) => return Err(admin_err(e)),
                        Ok(org) => match op.save_organisation(&org, existing).await {
                            Ok(()) => {
                                org_page(
                                    &app,
                                    &ctx,
                                    &OrgForm::of(&org),
                                    true,
                                    None,
                                    None,
                                    Some(a.done),
                                )
                                .await?
                            }
                            Err(AdminError::Invalid { field, message }) => {
                                org_page(
                                    &app,
                                    &ctx,
                                    &form,
                                    existing,
                                    Some((field, a.field_error(field, message))),
                                    None,
                                    None,
                                )
                                .await?
                            }
                            Err(AdminError::NotFound) => not_found(&ctx),
                            Err(e) => return Err(admin_err(e)),
                        },
                    }
                }
            }
        }
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct LiaisonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    network: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

/// `POST /admin/operator/orgs/{id}/liaisons[/remove]`.
pub async fn operator_liaison(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path(id): Path<String>,
    Form(form): Form<LiaisonForm>,
) -> Response {
    let remove = uri.path().ends_with("/remove");
    admin_page!(app, browser, uri, |ctx| {
        match OperatorScope::for_principal(&app, &ctx.principal) {
            None => not_found(&ctx),
            Some(op) => {
                let a = ctx.frame.a;
                let org = match op.organisation(&id).await {
                    Ok(o) => o,
                    Err(AdminError::NotFound) => return Ok(not_found(&ctx)),
                    Err(e) => return Err(admin_err(e)),
                };
                let result = if !browser.csrf_ok(&app, &form.csrf) {
                    Err(AdminError::invalid("csrf", "invalid"))
                } else if remove {
                    op.remove_liaison(&org.id, &form.account_id, &form.network)
                        .await
                } else {
                    op.appoint_liaison(
                        &org.id,
                        &form.username,
                        &form.network,
                        &form.email,
                        &form.phone,
                    )
                    .await
                };
                match result {
                    Ok(()) => {
                        org_page(
                            &app,
                            &ctx,
                            &OrgForm::of(&org),
                            true,
                            None,
                            None,
                            Some(a.done),
                        )
                        .await?
                    }
                    Err(AdminError::Invalid { field, message }) => {
                        let msg = if field == "csrf" {
                            ctx.frame.t.err_csrf
                        } else {
                            a.field_error(field, message)
                        };
                        org_page(&app, &ctx, &OrgForm::of(&org), true, None, Some(msg), None)
                            .await?
                    }
                    Err(AdminError::NotFound) => not_found(&ctx),
                    Err(e) => return Err(admin_err(e)),
                }
            }
        }
    })
}

/// `GET /admin/operator/accounts?q=`: every account; each row links to the
/// account in its first organisation, where the service desk acts with a
/// reason.
pub async fn operator_accounts(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Query(lq): Query<ListQuery>,
) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        match OperatorScope::for_principal(&app, &ctx.principal) {
            None => not_found(&ctx),
            Some(op) => {
                let page = op
                    .find_accounts(&lq.q, lq.offset, PAGE)
                    .await
                    .map_err(admin_err)?;
                let a = ctx.frame.a;
                let mut rows = Vec::new();
                for acc in &page.items {
                    let ms = app.dir.memberships(&acc.id).await?;
                    let href = ms
                        .first()
                        .map(|m| format!("/admin/orgs/{}/accounts/{}", m.org_id, acc.id))
                        .unwrap_or_default();
                    rows.push(Row {
                        href,
                        name: format!("{} {}", acc.family_name, acc.given_name),
                        username: acc.username.clone(),
                        status: a.status(acc.status),
                        status_class: status_class(acc.status),
                        must_change: acc.must_change_password,
                        networks: ms
                            .iter()
                            .map(|m| format!("{} / {}", m.org_id, network_name(m.network)))
                            .collect::<Vec<_>>()
                            .join(", "),
                        last_login: acc.last_login_at.map_or(a.never.to_string(), local),
                    });
                }
                let shown = page.items.len() as u64;
                let base = "/admin/operator/accounts".to_string();
                let f = &ctx.frame;
                render(
                    &AccountsPage {
                        t: f.t,
                        a,
                        langs: &f.langs,
                        who: &f.who,
                        csrf: &f.csrf,
                        notice: f.notice,
                        org_name: a.all_accounts.to_string(),
                        networks: String::new(),
                        prev: (lq.offset > 0)
                            .then(|| page_link(&base, &lq.q, lq.offset.saturating_sub(PAGE))),
                        next: (u64::from(lq.offset) + shown < page.total)
                            .then(|| page_link(&base, &lq.q, lq.offset + PAGE)),
                        from: if shown == 0 {
                            0
                        } else {
                            u64::from(lq.offset) + 1
                        },
                        to: u64::from(lq.offset) + shown,
                        total: page.total,
                        base,
                        q: lq.q.clone(),
                        rows,
                        can_create: false,
                    },
                    StatusCode::OK,
                )
            }
        }
    })
}

/// `GET /admin/operator/audit[?format=csv|jsonl]`: everything.
pub async fn operator_audit(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Query(p): Query<AuditParams>,
) -> Response {
    admin_page!(app, browser, uri, |ctx| {
        match OperatorScope::for_principal(&app, &ctx.principal) {
            None => not_found(&ctx),
            Some(op) => {
                let limit = if p.format.is_empty() { 50 } else { 100_000 };
                let offset = if p.format.is_empty() { p.offset } else { 0 };
                let events = op
                    .audit_trail(&AuditQuery {
                        offset,
                        limit,
                        ..Default::default()
                    })
                    .await
                    .map_err(admin_err)?;
                if p.format.is_empty() {
                    audit_page(&app, &ctx, events, None, "/admin/operator/audit", p.offset).await
                } else {
                    export(&events, &p.format)
                }
            }
        }
    })
}
