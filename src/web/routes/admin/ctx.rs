//! What every admin handler starts from and answers with.
//!
//! - [`AdminCtx`]: who is asking, in which language, with the frame every
//!   admin page shares. A handler that takes one runs only for a person
//!   whose session is good for administration (a strong one); anyone else
//!   is sent to log in or to change a one-time password, or is told what
//!   is missing.
//! - [`AdminForm`]: the same, with a form whose CSRF token was checked
//!   (constant time). A handler never sees a form that failed the check.
//! - [`AdminPage`]: what every admin handler and refusal answers. It
//!   carries the person's language, so an error becomes a page in it, and
//!   adds the frame's cookies and `Cache-Control: no-store` to pages.
//!
//! Reach (which organisation, which accounts, the service desk) is not
//! decided here: handlers ask `LiaisonScope` / `OperatorScope` for a
//! handle, through [`AdminCtx::liaison`] and [`AdminCtx::operator`].

use std::future::Future;

use askama::Template;
use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;

use crate::admin::{LiaisonHandle, LiaisonScope, OperatorHandle, OperatorScope, Principal};
use crate::app::{AppState, SharedState};
use crate::domain::Lang;
use crate::web::admin_i18n::{AdminTexts, admin_texts};
use crate::web::browser::{Browser, set_cookie, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::{Texts, texts};
use crate::web::pages::{LangLink, lang_links, render};

/// The frame every admin page shares: each page template holds it as
/// `frame` and templates/admin/layout.html reads it (words, language links,
/// who is logged in, the CSRF token of the page's forms).
pub(super) struct Frame {
    pub(super) t: &'static Texts,
    pub(super) a: &'static AdminTexts,
    pub(super) langs: Vec<LangLink>,
    pub(super) who: String,
    pub(super) csrf: String,
}

/// Who is asking, in which language; see the module documentation.
pub struct AdminCtx {
    pub principal: Principal,
    pub lang: Lang,
    pub(super) frame: Frame,
    browser: Browser,
    /// Set on every page of the frame: a new CSRF seed, the picked language.
    cookies: Vec<String>,
}

impl FromRequestParts<SharedState> for AdminCtx {
    type Rejection = AdminPage;

    async fn from_request_parts(parts: &mut Parts, app: &SharedState) -> Result<Self, AdminPage> {
        let Ok(browser) = Browser::from_request_parts(parts, app).await;
        let lang = browser.lang;
        match admit(app, browser, &parts.uri).await {
            Ok(admitted) => admitted,
            Err(e) => Err(AdminPage::failed(lang, e)),
        }
    }
}

/// The context, or the answer for someone who may not administer.
async fn admit(
    app: &AppState,
    browser: Browser,
    uri: &Uri,
) -> Result<Result<AdminCtx, AdminPage>, WebError> {
    let lang = browser.lang;
    let Some((_, session)) = browser.session(app).await? else {
        if browser.password_change_pending(app, "/admin/").await? {
            return Ok(Err(AdminPage::plain(
                lang,
                Redirect::to("/password/change").into_response(),
            )));
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
        return Ok(Err(AdminPage::plain(
            lang,
            with_cookies(Redirect::to("/login").into_response(), [cookie]),
        )));
    };
    let Some(principal) = Principal::of_session(app, &session, browser.ip_string()).await? else {
        return Ok(Err(AdminPage::plain(
            lang,
            Redirect::to("/login").into_response(),
        )));
    };
    let (csrf, set_csrf) = browser.csrf(app);
    let cookies = set_csrf
        .into_iter()
        .chain(browser.lang_cookie(app))
        .collect();
    let ctx = AdminCtx {
        frame: Frame {
            t: texts(lang),
            a: admin_texts(lang),
            langs: lang_links(uri, lang),
            who: principal.name.clone(),
            csrf,
        },
        principal,
        lang,
        browser,
        cookies,
    };
    if ctx.principal.needs_phishing_resistant_login() {
        tracing::warn!(
            account = %ctx.principal.account_id,
            methods = ?ctx.principal.methods,
            loa = %ctx.principal.loa,
            ip = ?ctx.principal.source_ip,
            "administration refused: a phishing-resistant login is required of this person \
             (admin.phishing_resistant_*_from) and the session is not one"
        );
        let p = crate::web::passkey_i18n::passkey_texts(lang);
        let page = ctx.message(
            StatusCode::FORBIDDEN,
            p.admin_title,
            p.admin_body,
            Some(("/account/passkeys".into(), p.admin_link)),
        );
        return Ok(Err(ctx.framed(page)));
    }
    if !ctx.principal.strong() {
        let a = ctx.frame.a;
        let page = ctx.message(
            StatusCode::FORBIDDEN,
            a.not_strong_title,
            a.not_strong_body,
            Some(("/account/totp".into(), a.set_up_totp)),
        );
        return Ok(Err(ctx.framed(page)));
    }
    Ok(Ok(ctx))
}

impl AdminCtx {
    /// Runs a handler's body: its page gets the frame's cookies and
    /// `no-store`; its error becomes an error page in the person's language.
    pub async fn page(&self, body: impl Future<Output = Result<Response, WebError>>) -> AdminPage {
        match body.await {
            Ok(r) => self.framed(r),
            Err(e) => AdminPage::failed(self.lang, e),
        }
    }

    fn framed(&self, r: Response) -> AdminPage {
        AdminPage {
            lang: self.lang,
            answer: Ok(r),
            cookies: Some(self.cookies.clone()),
        }
    }

    /// The handle for a liaison person's work in `org`, if within reach.
    pub async fn liaison<'a>(
        &'a self,
        app: &'a AppState,
        org: &str,
    ) -> Result<Option<LiaisonHandle<'a>>, WebError> {
        Ok(LiaisonScope::for_org(app, &self.principal, org).await?)
    }

    /// The service desk's handle, for an operator.
    pub fn operator<'a>(&'a self, app: &'a AppState) -> Option<OperatorHandle<'a>> {
        OperatorScope::for_principal(app, &self.principal)
    }

    /// The page for what is missing or out of reach (the same for both).
    pub fn not_found(&self) -> Response {
        let f = &self.frame;
        self.message(
            StatusCode::NOT_FOUND,
            f.t.error_not_found,
            f.a.no_access_body,
            Some(("/admin/".into(), f.a.title)),
        )
    }

    /// A message in the admin frame.
    pub(super) fn message(
        &self,
        status: StatusCode,
        heading: &str,
        body: &str,
        link: Option<(String, &str)>,
    ) -> Response {
        render(
            &MessagePage {
                frame: &self.frame,
                heading,
                body,
                link,
            },
            status,
        )
    }
}

#[derive(Template)]
#[template(path = "admin/message.html")]
struct MessagePage<'a> {
    frame: &'a Frame,
    heading: &'a str,
    body: &'a str,
    link: Option<(String, &'a str)>,
}

/// A form of the admin pages: it carries the CSRF token of the page that
/// served it.
pub trait CsrfForm {
    fn csrf(&self) -> &str;
}

/// The admin context and a form whose CSRF token matched the browser's
/// (see [`Browser::csrf_ok`]). A form without the token, with a wrong one
/// or with another browser's gets `400` and a page saying the form
/// expired; nothing is done.
pub struct AdminForm<T>(pub AdminCtx, pub T);

impl<T> FromRequest<SharedState> for AdminForm<T>
where
    T: CsrfForm + DeserializeOwned + Send,
{
    type Rejection = AdminPage;

    async fn from_request(req: Request, app: &SharedState) -> Result<Self, AdminPage> {
        let (mut parts, body) = req.into_parts();
        let ctx = AdminCtx::from_request_parts(&mut parts, app).await?;
        let form = match Form::<T>::from_request(Request::from_parts(parts, body), app).await {
            Ok(Form(form)) => form,
            Err(rejection) => return Err(AdminPage::plain(ctx.lang, rejection.into_response())),
        };
        if !ctx.browser.csrf_ok(app, form.csrf()) {
            tracing::info!(
                account = %ctx.principal.account_id,
                request_id = crate::web::middleware::current_request_id().as_deref().map(tracing::field::display),
                "an admin form without a valid CSRF token was refused"
            );
            let a = ctx.frame.a;
            let page = ctx.message(
                StatusCode::BAD_REQUEST,
                a.form_expired_title,
                a.form_expired_body,
                Some(("/admin/".into(), a.title)),
            );
            return Err(ctx.framed(page));
        }
        Ok(AdminForm(ctx, form))
    }
}

/// What an admin handler answers: a page in the admin frame (with the
/// frame's cookies and `no-store`), a redirect as it is, or an error shown
/// as a page in the person's language.
#[must_use]
pub struct AdminPage {
    lang: Lang,
    answer: Result<Response, WebError>,
    /// The frame's cookies, for an answer made within the frame.
    cookies: Option<Vec<String>>,
}

impl AdminPage {
    fn plain(lang: Lang, r: Response) -> Self {
        Self {
            lang,
            answer: Ok(r),
            cookies: None,
        }
    }

    fn failed(lang: Lang, e: WebError) -> Self {
        Self {
            lang,
            answer: Err(e),
            cookies: None,
        }
    }
}

impl IntoResponse for AdminPage {
    fn into_response(self) -> Response {
        match (self.answer, self.cookies) {
            (Err(e), _) => Localized(e, self.lang).into_response(),
            (Ok(r), None) => r,
            (Ok(r), Some(cookies)) => {
                let mut r = with_cookies(r, cookies);
                r.headers_mut().insert(
                    header::CACHE_CONTROL,
                    header::HeaderValue::from_static("no-store"),
                );
                r
            }
        }
    }
}
