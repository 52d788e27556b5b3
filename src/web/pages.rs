//! Page templates and how they are rendered.

use askama::Template;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};

use super::i18n::Texts;
use crate::config::ServiceDesk;
use crate::domain::{Lang, Network};

pub struct LangLink {
    pub code: &'static str,
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// The address of the login page, keeping the pending login `ar` (if
/// any): the page that answers a login form POST lives here.
pub fn login_uri(ar: &str) -> Uri {
    page_uri("/login", ar)
}

/// `path`, with `?ar=…` when there is a pending login.
pub fn page_uri(path: &str, ar: &str) -> Uri {
    let text = if ar.is_empty() {
        path.to_string()
    } else {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("ar", ar)
            .finish();
        format!("{path}?{q}")
    };
    text.parse().unwrap_or_else(|_| Uri::from_static("/login"))
}

/// The path of a link back to `path` on this server: a same-origin
/// relative reference whatever the request said. Leading slashes and
/// backslashes collapse into one `/` (a browser reads `//host` and `/\host`
/// as another host), and every character outside a path's own set is
/// percent-encoded (`\` included, which browsers treat as `/`).
pub fn same_origin_path(path: &str) -> String {
    let rest = path.trim_start_matches(['/', '\\']);
    let mut out = String::with_capacity(rest.len() + 1);
    out.push('/');
    let bytes = rest.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let escape_ok = b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) || escape_ok {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Links to the same page in each language: the request's path (made a
/// same-origin path, [`same_origin_path`]) and its query without `lang`.
pub fn lang_links(uri: &Uri, current: Lang) -> Vec<LangLink> {
    let path = same_origin_path(uri.path());
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
            href: format!("{path}?{}", q.finish()),
            current: l == current,
        }
    })
    .collect()
}

pub struct LiaisonView {
    pub name: String,
    pub network: &'static str,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl LiaisonView {
    pub fn tel(&self) -> Option<String> {
        self.phone.as_deref().map(tel_href)
    }
}

/// A network's name as a person reads it.
pub fn network_name(n: Network) -> &'static str {
    match n {
        Network::Intermetso => "Intermetso",
        Network::Sonette => "Sonette",
    }
}

/// A `tel:` link for a phone number as people write it ("014 266 1111").
pub fn tel_href(phone: &str) -> String {
    let digits: String = phone
        .trim()
        .chars()
        .enumerate()
        .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
        .map(|(_, c)| c)
        .collect();
    format!("tel:{digits}")
}

/// How the service desk is shown on a page.
pub trait DeskView {
    /// The configured name in the page's language (`t`), when it says more
    /// than the heading above it, `t.service_desk` ("Alueellinen
    /// palvelupiste (demo)" under "Alueellinen palvelupiste" does not).
    fn name_beyond(&self, t: &Texts) -> Option<&str>;
    /// The configured name in the page's language.
    fn name_for(&self, t: &Texts) -> &str;
    fn tel(&self) -> Option<String>;
}

impl DeskView for ServiceDesk {
    fn name_beyond(&self, t: &Texts) -> Option<&str> {
        let heading = t.service_desk;
        let name = self.name_for(t).trim();
        let lower = name.to_lowercase();
        let head = heading.to_lowercase();
        let same = lower == head
            || lower
                .strip_prefix(&head)
                .is_some_and(|rest| rest.trim_start().starts_with('('));
        (!same && !name.is_empty()).then_some(name)
    }

    fn name_for(&self, t: &Texts) -> &str {
        self.name_in(t.lang.parse().unwrap_or(Lang::Fi))
    }

    fn tel(&self) -> Option<String> {
        self.phone.as_deref().map(tel_href)
    }
}

pub struct OrgContacts {
    pub name: String,
    pub liaisons: Vec<LiaisonView>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub t: &'static Texts,
    pub s: &'static crate::web::sources_i18n::SourceTexts,
    pub choice: crate::web::routes::sources_view::Choice,
    pub langs: Vec<LangLink>,
    pub portal: Option<String>,
    pub csrf: String,
    pub ar: String,
    pub username: String,
    pub form_error: Option<&'static str>,
    pub username_error: Option<&'static str>,
    pub password_error: Option<&'static str>,
    /// After a few wrong passwords: when the account locks.
    pub lock_notice: Option<String>,
    pub focus_username: bool,
    pub desk: &'a ServiceDesk,
    /// Where certificate-card login starts (the HTTPS listener), when
    /// card login is enabled.
    pub card_url: Option<String>,
    /// Where mobile certificate login starts, and its name, when enabled.
    pub mobile: Option<(String, &'static str)>,
    /// The portal needs a stronger login than the session had.
    pub step_up: Option<String>,
    /// Passkey login, when enabled.
    pub passkey: Option<&'static crate::web::passkey_i18n::PasskeyTexts>,
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

/// A portal refused by its rules: why, and what would give access.
#[derive(Template)]
#[template(path = "denied.html")]
pub struct DeniedPage<'a> {
    pub t: &'static Texts,
    pub langs: Vec<LangLink>,
    pub title: &'a str,
    pub body: &'a str,
    /// Said first: a first login refused before registration.
    pub note: Option<&'a str>,
    /// What each failing rule still needs (`web::denied_i18n::missing`).
    pub missing: Vec<String>,
    /// What to do next (`web::denied_i18n::next_steps`).
    pub next_steps: Vec<String>,
    pub error_code: Option<&'a str>,
    pub contacts: Vec<OrgContacts>,
    pub show_desk: bool,
    pub desk: Option<&'a ServiceDesk>,
    pub link: Option<(String, &'a str)>,
}

impl DeniedPage<'_> {
    /// Under the service desk: what it can do about a refusal.
    pub fn desk_hint(&self) -> &'static str {
        self.t.service_desk_access_hint
    }
}

impl MessagePage<'_> {
    /// Under the service desk: what it can do (unlock, reset).
    pub fn desk_hint(&self) -> &'static str {
        self.t.service_desk_hint
    }
}

#[derive(Template)]
#[template(path = "password_change.html")]
pub struct PasswordChangePage {
    pub t: &'static Texts,
    pub p: &'static crate::web::password_i18n::PasswordTexts,
    pub langs: Vec<LangLink>,
    /// A one-time password must be changed: no current password is asked.
    pub forced: bool,
    /// About the current password (missing or wrong).
    pub current_error: Option<&'static str>,
    pub csrf: String,
    pub ar: String,
    pub username: String,
    pub hint: String,
    /// Not about either field (an expired form).
    pub form_error: Option<&'static str>,
    /// About the new password (the rules).
    pub new_error: Option<&'static str>,
    /// About the repeated password (it does not match).
    pub repeat_error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub t: &'static Texts,
    pub langs: Vec<LangLink>,
    pub name: String,
    pub username: String,
    pub portals: Vec<PortalLink>,
    pub csrf: String,
    /// The password was just changed.
    pub changed: bool,
}

/// A portal on the logged-in page: its name, and where it opens when the
/// configuration says (`[[portals]] url`).
pub struct PortalLink {
    pub name: String,
    pub href: Option<String>,
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirmPage {
    pub t: &'static Texts,
    pub langs: Vec<LangLink>,
    pub csrf: String,
    /// The portal's hint, kept so that confirming ends the session it
    /// names when this browser has no session of its own.
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
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

/// The error page; the request id, the address for the language links
/// (a GET request's own, else the login page) and the service desk come
/// from the middleware's request context.
pub fn error_page(t: &'static Texts, message: &str, code: &str, status: StatusCode) -> Response {
    let ctx = super::middleware::current_page();
    let uri = ctx
        .as_ref()
        .and_then(|c| c.get_uri.clone())
        .unwrap_or_else(|| Uri::from_static("/login"));
    let lang = t.lang.parse().unwrap_or(Lang::Fi);
    let page = MessagePage {
        t,
        langs: lang_links(&uri, lang),
        title: if status == StatusCode::NOT_FOUND {
            t.not_found_title
        } else {
            t.error_title
        },
        body: message,
        error_code: Some(code),
        request_id: super::middleware::current_request_id(),
        contacts: Vec::new(),
        show_desk: ctx.is_some(),
        desk: ctx.as_ref().map(|c| &c.state.settings.service_desk),
        link: Some(("/login".to_string(), t.back_to_login)),
    };
    render(&page, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk(name: &str) -> ServiceDesk {
        ServiceDesk {
            name: name.into(),
            name_sv: None,
            name_en: None,
            email: "desk@example.fi".into(),
            phone: Some("014 123 4567".into()),
        }
    }

    #[test]
    fn phone_links_keep_digits_and_a_leading_plus() {
        assert_eq!(tel_href("014 266 1111"), "tel:0142661111");
        assert_eq!(tel_href(" +358 (14) 266-1111 "), "tel:+358142661111");
        assert_eq!(desk("x").tel().as_deref(), Some("tel:0141234567"));
    }

    #[test]
    fn the_desk_name_is_shown_only_when_it_says_more_than_the_heading() {
        let fi = super::super::i18n::texts(Lang::Fi);
        assert_eq!(
            desk("Alueellinen palvelupiste (demo)").name_beyond(fi),
            None
        );
        assert_eq!(desk("alueellinen palvelupiste").name_beyond(fi), None);
        assert_eq!(
            desk("Keski-Suomen palvelupiste").name_beyond(fi),
            Some("Keski-Suomen palvelupiste")
        );
    }

    #[test]
    fn the_desk_is_named_in_the_pages_language() {
        let mut d = desk("Alueellinen palvelupiste (demo)");
        let sv = super::super::i18n::texts(Lang::Sv);
        // Without a Swedish name, the Finnish one.
        assert_eq!(d.name_for(sv), "Alueellinen palvelupiste (demo)");
        d.name_sv = Some("Regionala servicepunkten (demo)".into());
        assert_eq!(d.name_for(sv), "Regionala servicepunkten (demo)");
        assert_eq!(d.name_beyond(sv), Some("Regionala servicepunkten (demo)"));
    }

    #[test]
    fn language_links_keep_the_pending_login() {
        let links = lang_links(&login_uri("abc-_1"), Lang::Sv);
        let hrefs: Vec<_> = links.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(
            hrefs,
            [
                "/login?ar=abc-_1&lang=fi",
                "/login?ar=abc-_1&lang=sv",
                "/login?ar=abc-_1&lang=en"
            ]
        );
        assert!(links[1].current);
        assert_eq!(login_uri("").to_string(), "/login");
        assert_eq!(
            page_uri("/password/change", "x").to_string(),
            "/password/change?ar=x"
        );
    }

    #[test]
    fn language_links_stay_on_this_server() {
        for (path, want) in [
            ("//evil.example/", "/evil.example/"),
            ("///evil.example", "/evil.example"),
            ("/\\evil.example", "/evil.example"),
            ("/\\/evil.example", "/evil.example"),
            ("/x\\y", "/x%5Cy"),
            ("/%2F%2Fevil.example/", "/%2F%2Fevil.example/"),
            ("/@evil.example", "/@evil.example"),
            ("/100%", "/100%25"),
            ("/a b\"<", "/a%20b%22%3C"),
            ("/login", "/login"),
            ("", "/"),
        ] {
            assert_eq!(same_origin_path(path), want, "{path:?}");
        }
    }
}
