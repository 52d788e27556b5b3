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
        if browser.password_change_pending(app, "/admin/").await? {
            return Ok(Err(Redirect::to("/password/change").into_response()));
        }
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
#[macro_export]
#[doc(hidden)]
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

mod accounts;
mod audit;
mod operator;
mod policy;

pub use accounts::*;
pub use audit::*;
pub use operator::*;
pub use policy::*;
