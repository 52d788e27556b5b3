//! Page templates and how they are rendered.

use askama::Template;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};

use super::i18n::Texts;
use crate::config::ServiceDesk;
use crate::domain::Lang;

pub struct LangLink {
    pub code: &'static str,
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// Links to the same page in each language.
pub fn lang_links(uri: &Uri, current: Lang) -> Vec<LangLink> {
    let others: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k != "lang" && k != "ui_locales")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    [
        (Lang::Fi, "Suomeksi"),
        (Lang::Sv, "På svenska"),
        (Lang::En, "In English"),
    ]
    .into_iter()
    .map(|(l, label)| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &others {
            q.append_pair(k, v);
        }
        q.append_pair("lang", l.as_str());
        LangLink {
            code: l.as_str(),
            label,
            href: format!("{}?{}", uri.path(), q.finish()),
            current: l == current,
        }
    })
    .collect()
}

pub struct LiaisonView {
    pub name: String,
    pub network: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

pub struct OrgContacts {
    pub name: String,
    pub liaisons: Vec<LiaisonView>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub t: &'static Texts,
    pub langs: Vec<LangLink>,
    pub portal: Option<String>,
    pub csrf: String,
    pub ar: String,
    pub username: String,
    pub form_error: Option<&'static str>,
    pub username_error: Option<&'static str>,
    pub password_error: Option<&'static str>,
    pub focus_username: bool,
    pub desk: &'a ServiceDesk,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub t: &'static Texts,
    pub langs: Vec<LangLink>,
    pub title: &'a str,
    pub body: &'a str,
    pub error_code: Option<&'a str>,
    pub request_id: Option<String>,
    pub contacts: Vec<OrgContacts>,
    pub show_desk: bool,
    pub desk: Option<&'a ServiceDesk>,
    pub link: Option<(String, &'a str)>,
}

#[derive(Template)]
#[template(path = "password_change.html")]
pub struct PasswordChangePage {
    pub t: &'static Texts,
    pub langs: Vec<LangLink>,
    pub csrf: String,
    pub ar: String,
    pub username: String,
    pub hint: String,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub t: &'static Texts,
    pub langs: Vec<LangLink>,
    pub name: String,
    pub username: String,
    pub portals: Vec<String>,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirmPage {
    pub t: &'static Texts,
    pub langs: Vec<LangLink>,
    pub csrf: String,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

#[derive(Template)]
#[template(path = "demo.html")]
pub struct DemoPage {
    pub portal: String,
    pub error: Option<String>,
    pub id_claims: Option<String>,
    pub access_claims: Option<String>,
    pub userinfo: Option<String>,
    pub logout_url: String,
}

/// Renders a template into an HTML response with `status`.
pub fn render(page: &impl Template, status: StatusCode) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "Porttivahti: page rendering failed / sivun muodostus epäonnistui",
            )
                .into_response()
        }
    }
}

/// The error page; the request id is added by the middleware's span.
pub fn error_page(t: &'static Texts, message: &str, code: &str, status: StatusCode) -> Response {
    let page = MessagePage {
        t,
        langs: Vec::new(),
        title: t.error_title,
        body: message,
        error_code: Some(code),
        request_id: super::middleware::current_request_id(),
        contacts: Vec::new(),
        show_desk: false,
        desk: None,
        link: None,
    };
    render(&page, status)
}
