//! The public liaison directory: `GET /liaisons?q=…`. Anyone may look up
//! an organisation (by name in Finnish or Swedish, business id or
//! municipality) and see the liaison persons it published for each
//! network, with the regional service desk as the fallback. Nothing here
//! needs a login; only contacts a liaison person agreed to publish are
//! read (`Directory::liaison_contacts`), never accounts.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::app::{AppState, SharedState};
use crate::config::ServiceDesk;
use crate::domain::{Lang, Network};
use crate::store::{LiaisonContact, Organisation};
use crate::web::browser::{Browser, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::{Texts, texts};
use crate::web::pages::DeskView;
use crate::web::pages::{LangLink, lang_links, render};

/// At most this many organisations on one page.
pub const PAGE_LIMIT: u32 = 50;
/// A longer query is cut here: no organisation name is this long.
const MAX_QUERY_CHARS: usize = 100;

/// This page's texts in one language.
pub struct LiaisonTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub search_label: &'static str,
    pub search_hint: &'static str,
    pub search_button: &'static str,
    pub all_heading: &'static str,
    /// `{q}` is replaced by the query.
    pub results_heading: &'static str,
    pub no_results: &'static str,
    pub no_organisations: &'static str,
    /// `{n}` is replaced by [`PAGE_LIMIT`].
    pub more_results: &'static str,
    pub business_id: &'static str,
    pub municipality: &'static str,
    pub no_network_liaison: &'static str,
    pub no_liaisons: &'static str,
    pub desk_fallback: &'static str,
}

const FI: LiaisonTexts = LiaisonTexts {
    title: "Yhdyshenkilöt",
    intro: "Organisaation yhdyshenkilö luo Intermetso- ja Sonette-tunnukset, avaa lukittuneen tunnuksen ja vaihtaa salasanan. Etsi oman organisaatiosi yhdyshenkilö.",
    search_label: "Hae organisaatiota",
    search_hint: "Organisaation nimi, Y-tunnus tai kunta",
    search_button: "Hae",
    all_heading: "Organisaatiot",
    results_heading: "Hakutulokset: ”{q}”",
    no_results: "Haulla ei löytynyt yhtään organisaatiota. Tarkista hakusana tai kysy alueelliselta palvelupisteeltä.",
    no_organisations: "Hakemistossa ei ole vielä organisaatioita. Yhdyshenkilöitä voi kysyä alueelliselta palvelupisteeltä.",
    more_results: "Näytetään vain {n} ensimmäistä organisaatiota. Tarkenna hakua.",
    business_id: "Y-tunnus",
    municipality: "Kunta",
    no_network_liaison: "Ei julkaistua yhdyshenkilöä.",
    no_liaisons: "Organisaatio ei ole julkaissut yhdyshenkilöitä.",
    desk_fallback: "Jos yhdyshenkilöä ei tavoita tai hänen yhteystietonsa ovat vanhentuneet, ota yhteyttä alueelliseen palvelupisteeseen. Palvelupiste voi myös avata lukittuneen tunnuksen tai vaihtaa salasanan.",
};

const SV: LiaisonTexts = LiaisonTexts {
    title: "Kontaktpersoner",
    intro: "Organisationens kontaktperson skapar användarnamn för Intermetso och Sonette, låser upp låsta användarnamn och byter lösenord. Sök kontaktpersonen för din organisation.",
    search_label: "Sök organisation",
    search_hint: "Organisationens namn, FO-nummer eller kommun",
    search_button: "Sök",
    all_heading: "Organisationer",
    results_heading: "Sökresultat: ”{q}”",
    no_results: "Sökningen gav inga organisationer. Kontrollera sökordet eller fråga den regionala servicepunkten.",
    no_organisations: "Katalogen innehåller ännu inga organisationer. Den regionala servicepunkten kan svara på frågor om kontaktpersoner.",
    more_results: "Endast de {n} första organisationerna visas. Precisera sökningen.",
    business_id: "FO-nummer",
    municipality: "Kommun",
    no_network_liaison: "Ingen publicerad kontaktperson.",
    no_liaisons: "Organisationen har inte publicerat några kontaktpersoner.",
    desk_fallback: "Om du inte når kontaktpersonen eller om kontaktuppgifterna är föråldrade, kontakta den regionala servicepunkten. Servicepunkten kan också låsa upp ett låst användarnamn eller byta lösenordet.",
};

const EN: LiaisonTexts = LiaisonTexts {
    title: "Liaison persons",
    intro: "Your organisation's liaison person creates Intermetso and Sonette accounts, unlocks locked accounts and resets passwords. Find the liaison person of your organisation.",
    search_label: "Search for an organisation",
    search_hint: "Name of the organisation, business ID or municipality",
    search_button: "Search",
    all_heading: "Organisations",
    results_heading: "Results for “{q}”",
    no_results: "No organisation matched the search. Check the search term or ask the regional service desk.",
    no_organisations: "The directory has no organisations yet. The regional service desk can tell you whom to contact.",
    more_results: "Only the first {n} organisations are shown. Narrow the search.",
    business_id: "Business ID",
    municipality: "Municipality",
    no_network_liaison: "No published liaison person.",
    no_liaisons: "The organisation has not published any liaison persons.",
    desk_fallback: "If you cannot reach a liaison person, or their contact details are out of date, contact the regional service desk. The service desk can also unlock your account or reset your password.",
};

pub fn liaison_texts(lang: Lang) -> &'static LiaisonTexts {
    match lang {
        Lang::Fi => &FI,
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}

/// How a network is named to people.
pub fn network_name(n: Network) -> &'static str {
    match n {
        Network::Intermetso => "Intermetso",
        Network::Sonette => "Sonette",
    }
}

/// A `mailto:` target for an address that is plainly one, so a stored
/// value cannot add headers or a body to the message.
fn mailto(email: &str) -> Option<String> {
    let plain = email.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '&' | '#' | '/'));
    plain.then(|| format!("mailto:{email}"))
}

/// A `tel:` target (RFC 3966): the digits and a leading `+`.
fn tel(phone: &str) -> Option<String> {
    let digits: String = phone
        .trim()
        .char_indices()
        .filter(|&(i, c)| c.is_ascii_digit() || (i == 0 && c == '+'))
        .map(|(_, c)| c)
        .collect();
    digits
        .chars()
        .any(|c| c.is_ascii_digit())
        .then(|| format!("tel:{digits}"))
}

pub struct ContactView {
    pub name: String,
    pub email: Option<String>,
    pub mailto: Option<String>,
    pub phone: Option<String>,
    pub tel: Option<String>,
}

impl ContactView {
    fn from_contact(c: LiaisonContact) -> Self {
        Self {
            mailto: c.email.as_deref().and_then(mailto),
            tel: c.phone.as_deref().and_then(tel),
            name: c.name,
            email: c.email,
            phone: c.phone,
        }
    }
}

pub struct NetworkGroup {
    pub network: &'static str,
    pub contacts: Vec<ContactView>,
}

pub struct OrgView {
    /// For the heading's id.
    pub id: String,
    /// The name in the page's language (Swedish on the Swedish page).
    pub name: String,
    /// The name in the other language, with its `lang`.
    pub other_name: Option<(String, &'static str)>,
    pub business_id: String,
    pub municipality: Option<String>,
    pub groups: Vec<NetworkGroup>,
}

impl OrgView {
    /// The organisation and its published contacts, one group per network
    /// the organisation belongs to or has a contact in.
    fn new(org: Organisation, contacts: Vec<LiaisonContact>, lang: Lang) -> Self {
        let groups = Network::ALL
            .iter()
            .filter(|n| org.networks.contains(n) || contacts.iter().any(|c| c.network == **n))
            .map(|&n| NetworkGroup {
                network: network_name(n),
                contacts: contacts
                    .iter()
                    .filter(|c| c.network == n)
                    .cloned()
                    .map(ContactView::from_contact)
                    .collect(),
            })
            .collect();
        let (name, other, other_lang) = match lang {
            Lang::Sv => (org.name_sv, org.name_fi, "fi"),
            Lang::Fi | Lang::En => (org.name_fi, org.name_sv, "sv"),
        };
        Self {
            id: org.id,
            other_name: (other != name && !other.is_empty()).then_some((other, other_lang)),
            name,
            business_id: org.business_id.to_string(),
            municipality: org.municipality.filter(|m| !m.trim().is_empty()),
            groups,
        }
    }
}

#[derive(Template)]
#[template(path = "liaisons.html")]
pub struct LiaisonsPage<'a> {
    pub t: &'static Texts,
    pub lt: &'static LiaisonTexts,
    pub langs: Vec<LangLink>,
    /// The query as typed (trimmed).
    pub q: String,
    /// The language to keep in the search form when it was picked by hand.
    pub keep_lang: Option<&'static str>,
    pub heading: String,
    pub orgs: Vec<OrgView>,
    pub more: Option<String>,
    pub desk: &'a ServiceDesk,
    pub desk_mailto: Option<String>,
    pub desk_tel: Option<String>,
}

/// The `q` parameter, trimmed and cut to [`MAX_QUERY_CHARS`].
fn query_text(uri: &Uri) -> String {
    let q = uri
        .query()
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "q")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default();
    q.trim().chars().take(MAX_QUERY_CHARS).collect()
}

/// `GET /liaisons`.
pub async fn directory(State(app): State<SharedState>, browser: Browser, uri: Uri) -> Response {
    let lang = browser.lang;
    page(&app, &browser, &uri)
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}

async fn page(app: &AppState, browser: &Browser, uri: &Uri) -> Result<Response, WebError> {
    let lang = browser.lang;
    let lt = liaison_texts(lang);
    let q = query_text(uri);
    // One more than shown, to know whether there are more.
    let mut found = app.dir.search_organisations(&q, PAGE_LIMIT + 1).await?;
    let more = (found.len() > PAGE_LIMIT as usize).then(|| {
        found.truncate(PAGE_LIMIT as usize);
        lt.more_results.replace("{n}", &PAGE_LIMIT.to_string())
    });
    let mut orgs = Vec::with_capacity(found.len());
    for org in found {
        let contacts = app.dir.liaison_contacts(&org.id).await?;
        orgs.push(OrgView::new(org, contacts, lang));
    }
    let desk = &app.settings.service_desk;
    let view = LiaisonsPage {
        t: texts(lang),
        lt,
        langs: lang_links(uri, lang),
        heading: if q.is_empty() {
            lt.all_heading.to_string()
        } else {
            lt.results_heading.replace("{q}", &q)
        },
        q,
        keep_lang: browser.lang_chosen.then(|| lang.as_str()),
        orgs,
        more,
        desk,
        desk_mailto: mailto(&desk.email),
        desk_tel: desk.phone.as_deref().and_then(tel),
    };
    let lang_cookie = browser.lang_cookie(app);
    // Shared caches may keep the page for a minute, per language (which
    // comes from the cookie or Accept-Language when not in the URL); a
    // response that sets the language cookie is for this browser only.
    let cache = if lang_cookie.is_some() {
        "private, max-age=60"
    } else {
        "public, max-age=60"
    };
    let mut resp = with_cookies(render(&view, StatusCode::OK), lang_cookie);
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_become_dialable_tel_targets() {
        assert_eq!(tel("014 266 1111").as_deref(), Some("tel:0142661111"));
        assert_eq!(
            tel(" +358 (0)14-266 1111").as_deref(),
            Some("tel:+3580142661111")
        );
        assert_eq!(tel("1+2").as_deref(), Some("tel:12"));
        assert_eq!(tel("ei puhelinta"), None);
        assert_eq!(tel(""), None);
    }

    #[test]
    fn only_plain_addresses_become_mailto_targets() {
        assert_eq!(
            mailto("sonette-tunnukset@example.fi").as_deref(),
            Some("mailto:sonette-tunnukset@example.fi")
        );
        for bad in [
            "no-at-sign",
            "a@b.fi?bcc=c@d.fi",
            "a@b.fi&body=x",
            "a b@c.fi",
            "a@b.fi#x",
        ] {
            assert_eq!(mailto(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_language_has_its_texts_and_placeholders() {
        for lang in [Lang::Fi, Lang::Sv, Lang::En] {
            let lt = liaison_texts(lang);
            assert!(lt.results_heading.contains("{q}"));
            assert!(lt.more_results.contains("{n}"));
        }
        assert_eq!(liaison_texts(Lang::Sv).title, "Kontaktpersoner");
    }
}
