//! Picking the organisation to act for, when a portal with
//! `choose_organisation` finds that the person may act for several (Kanta
//! Ekstranet). The choice is kept in the session's login attributes; the
//! pending authorization request then goes on.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::login::continue_authorization;
use crate::app::{AppState, SharedState};
use crate::domain::{Lang, Right};
use crate::store::ephemeral::{AuthRequest, Session};
use crate::web::browser::{Browser, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::{Texts, texts};
use crate::web::pages::{LangLink, lang_links, page_uri, render};

pub struct Choice {
    pub business_id: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "act_for.html")]
struct ActForPage {
    t: &'static Texts,
    langs: Vec<LangLink>,
    title: &'static str,
    intro: &'static str,
    button: &'static str,
    csrf: String,
    ar: String,
    options: Vec<Choice>,
}

fn words(
    lang: Lang,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
) {
    match lang {
        Lang::Fi => (
            "Valitse organisaatio",
            "Voit asioida usean organisaation puolesta. Valitse, minkä organisaation asioita hoidat nyt.",
            "Jatka",
            "kaikki oikeudet",
            "vain katselu",
        ),
        Lang::Sv => (
            "Välj organisation",
            "Du kan uträtta ärenden för flera organisationer. Välj vilken organisations ärenden du sköter nu.",
            "Fortsätt",
            "alla rättigheter",
            "endast visning",
        ),
        Lang::En => (
            "Choose the organisation",
            "You may act for several organisations. Choose the one whose matters you handle now.",
            "Continue",
            "full rights",
            "read only",
        ),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ActForQuery {
    #[serde(default)]
    ar: String,
}

#[derive(Debug, Deserialize)]
pub struct ActForForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ar: String,
    #[serde(default)]
    org: String,
}

/// The pending request, the session and the organisations to choose from.
async fn context(
    app: &AppState,
    browser: &Browser,
    ar: &str,
) -> Result<
    Option<(
        AuthRequest,
        String,
        Session,
        Vec<(String, Option<String>, Right)>,
    )>,
    WebError,
> {
    if ar.is_empty() {
        return Ok(None);
    }
    let Some(req) = app.eph.auth_request(ar).await? else {
        return Ok(None);
    };
    let Some((key, session)) = browser.session(app).await? else {
        return Ok(None);
    };
    let Some(client) = app.clients.get(&req.client_id) else {
        return Err(WebError::UnknownClient(req.client_id));
    };
    let Some(person) = crate::oidc::load_person(app, &session.account_id).await? else {
        return Ok(None);
    };
    let grant = crate::oidc::grant_of(&session, req.scope.clone());
    let facts = crate::oidc::facts(&person, &grant);
    let (_, rights) = app
        .policy
        .decide_with_rights(&client.settings.portal, &facts);
    let options = rights
        .into_iter()
        .map(|(b, r)| {
            let name = session
                .attributes
                .authorities
                .iter()
                .find(|a| a.business_id == b)
                .and_then(|a| a.name.clone());
            (b, name, r)
        })
        .collect();
    Ok(Some((req, key, session, options)))
}

/// `GET /act-for?ar=…`.
pub async fn page(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Query(q): Query<ActForQuery>,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        let Some((_, _, _, options)) = context(&app, &browser, &q.ar).await? else {
            return Ok(Redirect::to("/login").into_response());
        };
        let (title, intro, button, full, read) = words(lang);
        let (csrf, set) = browser.csrf(&app);
        let page = ActForPage {
            t: texts(lang),
            langs: lang_links(&uri, lang),
            title,
            intro,
            button,
            csrf,
            ar: q.ar.clone(),
            options: options
                .into_iter()
                .map(|(b, name, r)| Choice {
                    label: format!(
                        "{} ({b}), {}",
                        name.unwrap_or_else(|| b.clone()),
                        if r == Right::Full { full } else { read }
                    ),
                    business_id: b,
                })
                .collect(),
        };
        Ok::<_, WebError>(with_cookies(render(&page, StatusCode::OK), set))
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}

/// `POST /act-for`.
pub async fn choose(
    State(app): State<SharedState>,
    browser: Browser,
    Form(f): Form<ActForForm>,
) -> Response {
    let lang = browser.lang;
    let inner = async {
        if !browser.csrf_ok(&app, &f.csrf) {
            return Err(WebError::BadRequest("act-for: CSRF token".into()));
        }
        let Some((req, key, mut session, options)) = context(&app, &browser, &f.ar).await? else {
            return Ok(Redirect::to("/login").into_response());
        };
        if !options.iter().any(|(b, _, _)| *b == f.org) {
            // Not one of the choices: ask again.
            return Ok(Redirect::to(&page_uri("/act-for", &f.ar).to_string()).into_response());
        }
        session.attributes.acting_for = Some(f.org.clone());
        app.eph.put_session(&key, &session, app.now()).await?;
        tracing::info!(account = %session.account_id, org = %f.org, "acting for an organisation");
        let Some(client) = app.clients.get(&req.client_id) else {
            return Err(WebError::UnknownClient(req.client_id));
        };
        let resp = continue_authorization(&app, &browser, client, &req, &session, false).await?;
        if resp.status().is_redirection() {
            app.eph.delete_auth_request(&f.ar).await?;
        }
        Ok(resp)
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}
