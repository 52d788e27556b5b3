//! The front-channel logout fallback: the logged-out page carries an
//! iframe for each portal of the session that asked for front-channel
//! logout, and lets those origins be framed.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;

use crate::domain::Lang;
use crate::web::i18n::{Texts, texts};
use crate::web::pages::{LangLink, lang_links, render};

#[derive(Template)]
#[template(path = "frontchannel_logout.html")]
struct FrontChannelPage {
    t: &'static Texts,
    langs: Vec<LangLink>,
    frames: Vec<String>,
    next: Option<String>,
    portals_text: &'static str,
    frame_title: &'static str,
    continue_label: &'static str,
}

fn local(lang: Lang) -> (&'static str, &'static str, &'static str) {
    match lang {
        Lang::Fi => (
            "Kirjaudumme sinut ulos myös palveluista, joita käytit.",
            "Uloskirjautuminen palvelusta",
            "Jatka",
        ),
        Lang::Sv => (
            "Vi loggar ut dig också från tjänsterna du använde.",
            "Utloggning från tjänsten",
            "Fortsätt",
        ),
        Lang::En => (
            "We are logging you out of the services you used as well.",
            "Logging out of a service",
            "Continue",
        ),
    }
}

/// The origins (`scheme://host:port`) of `urls`, for `frame-src`.
fn origins(urls: &[String]) -> String {
    let mut o: Vec<String> = urls
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .collect();
    o.sort();
    o.dedup();
    o.join(" ")
}

/// The logged-out page with front-channel iframes; `next` is where the
/// person goes on (a registered post-logout redirect URI).
pub fn frontchannel_page(
    lang: Lang,
    uri: &Uri,
    frames: Vec<String>,
    next: Option<String>,
) -> Response {
    let (portals_text, frame_title, continue_label) = local(lang);
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; frame-src {}; base-uri 'none'; frame-ancestors 'none'",
        origins(&frames)
    );
    let page = FrontChannelPage {
        t: texts(lang),
        langs: lang_links(uri, lang),
        frames,
        next,
        portals_text,
        frame_title,
        continue_label,
    };
    let mut r = render(&page, StatusCode::OK);
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}
