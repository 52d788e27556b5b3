//! `GET /`: the logged-in page — who is logged in, links to the portals
//! they reach and to their own account page.

use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::login::no_store;
use crate::app::SharedState;
use crate::oidc;
use crate::web::browser::{Browser, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::texts;
use crate::web::pages::{HomePage, PortalLink, lang_links, render};

#[derive(Debug, Deserialize, Default)]
pub struct HomeQuery {
    #[serde(default)]
    changed: Option<String>,
}

/// `GET /`: who is logged in and which portals they reach.
pub async fn home(
    State(app): State<SharedState>,
    browser: Browser,
    Query(q): Query<HomeQuery>,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        let Some((_, s)) = browser.session(&app).await? else {
            if browser.password_change_pending(&app, "/").await? {
                return Ok(Redirect::to("/password/change").into_response());
            }
            return Ok(Redirect::to("/login").into_response());
        };
        let Some(person) = oidc::load_person(&app, &s.account_id).await? else {
            return Ok(Redirect::to("/login").into_response());
        };
        let grant = oidc::grant_of(&s, vec![]);
        let portals = app
            .policy
            .reachable(&oidc::facts(&person, &grant))
            .iter()
            .filter_map(|id| app.policy.portal(id))
            .map(|p| PortalLink {
                name: p.name_in(lang).to_string(),
                href: p.url.clone(),
            })
            .collect();
        let (csrf, set) = browser.csrf(&app);
        let page = HomePage {
            t: texts(lang),
            langs: lang_links(&Uri::from_static("/"), lang),
            name: person.account.display_name(),
            username: person.account.username.clone(),
            portals,
            csrf,
            changed: q.changed.is_some(),
        };
        Ok::<_, WebError>(with_cookies(
            render(&page, StatusCode::OK),
            set.into_iter().chain(browser.lang_cookie(&app)),
        ))
    };
    no_store(
        inner
            .await
            .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}
