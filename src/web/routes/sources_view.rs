//! The login page's choice of where to log in: organisation logins grouped
//! as professionals know them, Suomi.fi for everyone else, a search over
//! the names, and the last choice first.

use crate::app::AppState;
use crate::config::sources::SourceGroup;
use crate::domain::search::SearchTerms;
use crate::web::browser::Browser;
use crate::web::pages::page_uri;
use crate::web::sources_i18n::source_texts;

pub struct SourceLink {
    pub name: String,
    pub href: String,
    pub available: bool,
}

pub struct Group {
    pub heading: &'static str,
    pub sources: Vec<SourceLink>,
}

#[derive(Default)]
pub struct Choice {
    /// Organisation logins by group (empty groups left out).
    pub groups: Vec<Group>,
    /// Personal identification (Suomi.fi).
    pub personal: Vec<SourceLink>,
    pub last: Option<SourceLink>,
    pub q: String,
    /// A search was made and found no organisation.
    pub nothing_found: bool,
    /// Any organisation login is configured at all.
    pub has_org: bool,
}

/// The search finds a source by its name in any language, its id or its
/// domains, whatever the case and diacritics (`domain::search`).
fn matches(terms: &SearchTerms, src: &crate::config::sources::SourceSettings) -> bool {
    let hay = format!(
        "{} {} {} {} {}",
        src.name,
        src.name_sv.as_deref().unwrap_or_default(),
        src.name_en.as_deref().unwrap_or_default(),
        src.id,
        src.domains.join(" ")
    );
    terms.find_in(&hay)
}

/// `orgs`: the ids of the register's organisations the search found; a
/// source that logs in one of them is found too.
pub fn choice(app: &AppState, browser: &Browser, ar: &str, q: &str, orgs: &[String]) -> Choice {
    let s = source_texts(browser.lang);
    let terms = SearchTerms::parse(q);
    let link = |src: &crate::identity::sources::SamlSource| SourceLink {
        name: src.settings.name_in(browser.lang).to_string(),
        href: page_uri(&format!("/login/source/{}", src.id()), ar).to_string(),
        available: src.available(),
    };
    let mut c = Choice {
        q: q.trim().to_string(),
        ..Choice::default()
    };
    for (group, heading) in [
        (SourceGroup::UniversityHospitalDistricts, s.group_uhd),
        (SourceGroup::WellbeingAreas, s.group_wellbeing),
        (SourceGroup::Professionals, s.group_professionals),
    ] {
        let all: Vec<_> = app
            .sources
            .all()
            .iter()
            .filter(|src| !src.settings.is_suomifi_any() && src.settings.group == group)
            .collect();
        c.has_org |= !all.is_empty();
        let sources: Vec<SourceLink> = all
            .into_iter()
            .filter(|src| {
                matches(&terms, &src.settings)
                    || src
                        .settings
                        .organisation
                        .as_ref()
                        .is_some_and(|o| orgs.contains(o))
            })
            .map(|src| link(src))
            .collect();
        if !sources.is_empty() {
            c.groups.push(Group { heading, sources });
        }
    }
    c.nothing_found = !terms.is_empty() && c.groups.is_empty();
    c.personal = app
        .sources
        .all()
        .iter()
        .filter(|src| src.settings.is_suomifi_any())
        .map(|src| link(src))
        .collect();
    c.last = browser
        .cookie(app, "pv_last_source")
        .and_then(|id| app.sources.get(id))
        .map(|src| link(src));
    c
}
