//! SAML single logout: ours at the IdP when the person logs out here, the
//! IdP's answer to it, and the IdP's own LogoutRequest (IdP-initiated),
//! which ends a session here only when it is signed, fresh, unused,
//! addressed to this gateway and names that session.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::entity_id;
use crate::app::{AppState, SharedState};
use crate::domain::Lang;
use crate::identity::saml::logout::{IdpLogoutRequest, LogoutError, LogoutExpectations};
use crate::identity::saml::request::{self, redirect_url};
use crate::identity::sources::SamlSource;
use crate::store::ephemeral::{Session, Upstream};
use crate::tokens::{hash_secret, random_token};
use crate::web::browser::Browser;
use crate::web::error::{Localized, WebError};
use crate::web::i18n::texts;
use crate::web::pages::{MessagePage, lang_links, render};
use crate::web::sources_i18n::source_texts;

/// Where a single logout goes after the IdP has answered.
#[derive(Debug, Serialize, Deserialize)]
struct SentLogout {
    source: String,
    then: Option<String>,
}

fn slo_url(app: &AppState, source: &str) -> String {
    app.url(&format!("/saml/{source}/slo"))
}

/// Starts SAML single logout at the upstream IdP: the URL to send the
/// browser to, or `None` when the IdP offers no logout endpoint.
pub async fn single_logout(
    app: &AppState,
    u: &Upstream,
    then: Option<&str>,
) -> Result<Option<String>, WebError> {
    if let Some(src) = app.sources.get(&u.source)
        && src.settings.ftn().is_some()
    {
        return oidc_logout(app, src, u, then).await;
    }
    let (Some(src), Some(sp_key)) = (app.sources.get(&u.source), app.sources.sp_key.as_ref())
    else {
        return Ok(None);
    };
    let Some(slo) = src.loaded().and_then(|l| l.meta.slo_redirect.clone()) else {
        return Ok(None);
    };
    let id = format!("_{}", random_token(20));
    app.eph
        .put_pending(
            "slo",
            &id,
            &SentLogout {
                source: u.source.clone(),
                then: then.map(str::to_string),
            },
            600,
        )
        .await?;
    let xml = request::logout_request_xml(
        &id,
        &entity_id(app, &u.source),
        &slo,
        app.now(),
        &u.name_id,
        u.session_index.as_deref(),
    );
    let url =
        redirect_url(&slo, "SAMLRequest", &xml, Some(&id), sp_key).map_err(WebError::internal)?;
    tracing::info!(source = %u.source, "single logout sent to the IdP");
    Ok(Some(url))
}

/// Logout at a Suomi.fi OpenID provider (RP-initiated logout): the URL of
/// its end-session endpoint with the session's ID token, or `None` when it
/// offers none. Its answer comes to `/login/oidc/{source}/logged-out`.
async fn oidc_logout(
    app: &AppState,
    src: &SamlSource,
    u: &Upstream,
    then: Option<&str>,
) -> Result<Option<String>, WebError> {
    let state = random_token(20);
    let Some(url) = crate::identity::suomifi_oidc::end_session_url(src, u, app.issuer(), &state)
    else {
        return Ok(None);
    };
    app.eph
        .put_pending(
            "oidc-logout",
            &hash_secret(&state),
            &SentLogout {
                source: u.source.clone(),
                then: then.map(str::to_string),
            },
            600,
        )
        .await?;
    tracing::info!(source = %u.source, "logout sent to the OpenID provider");
    Ok(Some(url))
}

/// Where a logout at an OpenID provider goes on to, when `state` is one
/// sent for `source` (single use).
pub async fn take_oidc_logout(
    app: &AppState,
    source: &str,
    state: &str,
) -> Result<Option<String>, WebError> {
    let sent: Option<SentLogout> = app
        .eph
        .take_pending("oidc-logout", &hash_secret(state))
        .await?;
    Ok(sent.filter(|s| s.source == source).and_then(|s| s.then))
}

/// "You have logged out.", for a browser back from an upstream logout.
pub fn logged_out_page(app: &AppState, browser: &Browser, _uri: &Uri) -> Response {
    logged_out(app, browser.lang)
}

/// "You have logged out."
fn logged_out(app: &AppState, lang: Lang) -> Response {
    let t = texts(lang);
    render(
        &MessagePage {
            t,
            langs: lang_links(&Uri::from_static("/login"), lang),
            title: t.logged_out_title,
            body: t.logged_out_body,
            error_code: None,
            request_id: None,
            contacts: Vec::new(),
            show_desk: false,
            desk: Some(&app.settings.service_desk),
            link: Some(("/login".into(), t.back_to_login)),
        },
        StatusCode::OK,
    )
}

/// The IdP's LogoutRequest was not acted on: the person is told so (and
/// not that they have logged out), with the way to log out here.
fn logout_refused(app: &AppState, lang: Lang, uri: &Uri) -> Response {
    let t = texts(lang);
    let s = source_texts(lang);
    render(
        &MessagePage {
            t,
            langs: lang_links(uri, lang),
            title: s.logout_refused_title,
            body: s.logout_refused_body,
            error_code: Some("saml_logout_request_refused"),
            request_id: crate::web::middleware::current_request_id(),
            contacts: Vec::new(),
            show_desk: true,
            desk: Some(&app.settings.service_desk),
            link: Some(("/logout".into(), t.logout_button)),
        },
        StatusCode::BAD_REQUEST,
    )
}

/// `GET /saml/{id}/slo`: the IdP's LogoutResponse to ours (the local
/// session has ended already; this only goes on), or the IdP's own
/// LogoutRequest.
pub async fn slo(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let lang = browser.lang;
    let query = uri.query().unwrap_or_default();
    let Some(src) = app.sources.get(&id) else {
        return (StatusCode::NOT_FOUND, "no such SAML source").into_response();
    };
    if query.split('&').any(|p| p.starts_with("SAMLRequest=")) {
        return match idp_logout(&app, src, &id, query).await {
            Ok(IdpLogout::Answer(to)) => Redirect::to(&to).into_response(),
            Ok(IdpLogout::Done) => logged_out(&app, lang),
            Ok(IdpLogout::Refused) => logout_refused(&app, lang, &uri),
            Err(e) => Localized(e, lang).into_response(),
        };
    }
    let certs = src
        .loaded()
        .map(|l| l.meta.signing_certs.clone())
        .unwrap_or_default();
    let verified = certs
        .iter()
        .find_map(|c| request::read_redirect(query, "SAMLResponse", Some(c)).ok());
    let Some(m) = verified else {
        tracing::warn!(source = %id, "a LogoutResponse that is not signed by the IdP was ignored");
        return logged_out(&app, lang);
    };
    let pending = match m.relay_state.as_deref() {
        Some(rs) => app
            .eph
            .take_pending::<SentLogout>("slo", rs)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    match pending {
        Some(SentLogout {
            source,
            then: Some(to),
        }) if source == id => Redirect::to(&to).into_response(),
        _ => logged_out(&app, lang),
    }
}

/// What became of an IdP's LogoutRequest.
enum IdpLogout {
    /// Accepted: our signed LogoutResponse, to send the browser to.
    Answer(String),
    /// Accepted, and the IdP has no logout endpoint to answer to.
    Done,
    /// Not acted on (logged with the reason).
    Refused,
}

/// The IdP's own LogoutRequest (redirect binding): ends the session it
/// names here (and so at every portal of it), and answers with our signed
/// LogoutResponse. Refused, ending nothing, unless signed with a key from
/// the IdP's metadata, issued by the IdP within the allowed window, sent
/// to this source's logout endpoint, never seen before (the ephemeral
/// store, so on any node), and naming the session's SessionIndex when it
/// names one.
async fn idp_logout(
    app: &AppState,
    src: &SamlSource,
    id: &str,
    query: &str,
) -> Result<IdpLogout, WebError> {
    // The request's ID as claimed, for the log only (nothing is trusted
    // from an unverified message).
    let claimed = || {
        request::read_redirect(query, "SAMLRequest", None)
            .ok()
            .and_then(|m| IdpLogoutRequest::read(&m.xml).ok())
            .map(|r| r.id)
    };
    let refuse = |reason: &str, logout_request: Option<String>| {
        tracing::warn!(source = %id, logout_request = logout_request.as_deref().map(tracing::field::display), %reason, "the IdP's LogoutRequest was refused; no session was ended");
        Ok(IdpLogout::Refused)
    };
    let Some(loaded) = src.loaded() else {
        return refuse(
            "the IdP's metadata is not loaded, so the request cannot be verified",
            claimed(),
        );
    };
    let Some(m) = loaded
        .meta
        .signing_certs
        .iter()
        .find_map(|c| request::read_redirect(query, "SAMLRequest", Some(c)).ok())
    else {
        return refuse(
            "not signed with a key from the IdP's metadata (unsigned, tampered or signed by another key)",
            claimed(),
        );
    };
    let req = match IdpLogoutRequest::read(&m.xml) {
        Ok(r) => r,
        Err(e) => return refuse(&e.to_string(), None),
    };
    let exp = LogoutExpectations {
        idp_entity_id: &loaded.meta.entity_id,
        destination: &slo_url(app, id),
        now: app.now(),
        skew: app.settings.saml.clock_skew_secs,
        max_age: app.settings.saml.max_assertion_age_secs,
    };
    if let Err(LogoutError::Refused(e) | LogoutError::Unreadable(e)) = req.check(&exp) {
        return refuse(&e, Some(req.id));
    }
    if !app
        .eph
        .first_use(
            &format!("saml-logout:{}:{}", req.issuer, req.id),
            exp.replay_ttl(),
        )
        .await?
    {
        return refuse(
            "replayed: this LogoutRequest was used already",
            Some(req.id),
        );
    }
    let key = hash_secret(&format!("{id}\n{}", req.name_id));
    if let Some(sid) = app.eph.pending::<String>("slo-idx", &key).await? {
        let session: Option<Session> = app.eph.session_by_sid(&sid, app.now()).await?;
        let ours = session
            .as_ref()
            .and_then(|s| s.upstream.as_ref())
            .and_then(|u| u.session_index.as_deref());
        if session.is_some() && !req.names_session(ours) {
            return refuse(
                "its SessionIndex is not the one of this person's session here",
                Some(req.id),
            );
        }
        app.eph.take_pending::<String>("slo-idx", &key).await?;
        crate::oidc::logout(app, None, &sid).await?;
        tracing::info!(source = %id, %sid, logout_request = %req.id, "session ended by the IdP's single logout");
    }
    let (Some(slo), Some(sp_key)) = (
        loaded.meta.slo_redirect.clone(),
        app.sources.sp_key.as_ref(),
    ) else {
        return Ok(IdpLogout::Done);
    };
    let answer = request::logout_response_xml(
        &format!("_{}", random_token(20)),
        &entity_id(app, id),
        &slo,
        app.now(),
        &req.id,
    );
    redirect_url(
        &slo,
        "SAMLResponse",
        &answer,
        m.relay_state.as_deref(),
        sp_key,
    )
    .map(IdpLogout::Answer)
    .map_err(WebError::internal)
}
