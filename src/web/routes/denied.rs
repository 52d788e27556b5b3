//! The page that says a person may not reach a portal: after a login, or
//! for a person seen for the first time before the registration form when
//! no registration would help. It names the portal, says in the person's
//! words what is missing and what to do next, and links back to the login
//! page of the same request (another method may bring what is missing).

use axum::http::{StatusCode, Uri};
use axum::response::Response;

use crate::app::AppState;
use crate::domain::LoA;
use crate::policy::Facts;
use crate::store::ephemeral::AuthRequest;
use crate::tokens::random_token;
use crate::web::browser::{Browser, with_cookies};
use crate::web::denied_i18n::{missing, next_steps};
use crate::web::error::WebError;
use crate::web::i18n::texts;
use crate::web::pages::{DeniedPage, OrgContacts, lang_links, render};

/// Why the page is shown.
pub(crate) enum Refusal {
    /// After a login: the account's facts did not reach the portal.
    AfterLogin,
    /// A first login, before registration: no account was made.
    BeforeRegistration,
}

/// The refusal page for `req`'s portal on `facts`. `uri`: where its
/// language links lead.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn page(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    req: &AuthRequest,
    portal_id: &str,
    facts: &Facts,
    step_up: Option<LoA>,
    contacts: Vec<OrgContacts>,
    why: Refusal,
) -> Result<Response, WebError> {
    let lang = browser.lang;
    let t = texts(lang);
    let portal = app.policy.portal(portal_id);
    let title = format!(
        "{}: {}",
        t.denied_title,
        portal.map(|p| p.name_in(lang)).unwrap_or_default()
    );
    // Why, in the person's words: the portal's own help text when the
    // region wrote one, and what each of its rules still needs.
    let help = portal.and_then(|p| p.denied_help_in(lang));
    let body = match (step_up, help) {
        (Some(_), _) => t.step_up_body,
        (None, Some(h)) => h,
        (None, None) => t.denied_body,
    };
    let note = match why {
        Refusal::AfterLogin => None,
        Refusal::BeforeRegistration => Some(t.unreachable_before_registration),
    };
    // Another way of logging in may bring what is missing (e.g. Suomi.fi,
    // which brings the mandates): back to the login page for the same
    // request.
    let again = random_token(18);
    app.eph
        .put_auth_request(&again, req, app.settings.tokens.login_ttl_secs as i64)
        .await?;
    let explanation = app.policy.explain(portal_id, facts);
    let names = |field: &str, id: &str| match field {
        "via_portals" => app.policy.portal(id).map(|p| p.name_in(lang).to_string()),
        "sources" => app
            .sources
            .get(id)
            .map(|s| s.settings.name_in(lang).to_string()),
        _ => None,
    };
    let page = DeniedPage {
        t,
        langs: lang_links(uri, lang),
        title: &title,
        body,
        note,
        missing: missing(&explanation, lang, &names),
        next_steps: next_steps(&explanation, lang),
        error_code: None,
        show_desk: true,
        contacts,
        desk: Some(&app.settings.service_desk),
        link: Some((format!("/login?ar={again}"), t.denied_other_login)),
    };
    Ok(with_cookies(
        render(&page, StatusCode::FORBIDDEN),
        browser.lang_cookie(app),
    ))
}
