//! Organisation login and Suomi.fi over SAML 2.0: sending the person to the
//! IdP, our SP metadata, and the assertion consumer service.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::external::{ExternalLogin, complete_login};
use super::login::{ArQuery, message, no_store};
use crate::app::{AppState, SharedState};
use crate::config::sources::SourceSettings;
use crate::domain::{AuthMethod, Lang};
use crate::identity::saml::request::{AuthnRequest, redirect_url};
use crate::identity::saml::response::{self, Assertion, Expectations, ResponseError};
use crate::identity::saml::xml::esc;
use crate::identity::sources::SamlSource;
use crate::identity::{Attributes, VerifiedIdentity, suomifi};
use crate::store::ephemeral::Upstream;
use crate::tokens::{hash_secret, random_token};
use crate::web::browser::{Browser, set_cookie, with_cookies};
use crate::web::error::{Localized, WebError};
use crate::web::i18n::texts;
use crate::web::pages::{MessagePage, lang_links, login_uri, render};
use crate::web::sources_i18n::source_texts;

mod logout;
pub use logout::{single_logout, slo};

/// What this node remembers of an AuthnRequest it sent.
#[derive(Debug, Serialize, Deserialize)]
struct SentRequest {
    source: String,
    ar: String,
    /// Hash of the browser's `pv_saml` cookie: the answer must come back
    /// to the browser that asked.
    binding: String,
    created_at: i64,
}

fn entity_id(app: &AppState, source: &str) -> String {
    app.url(&format!("/saml/{source}/metadata"))
}

fn acs_url(app: &AppState, source: &str) -> String {
    app.url(&format!("/saml/{source}/acs"))
}

/// The binding cookie goes with a cross-site POST from the IdP, so it is
/// `SameSite=None` where the service runs on HTTPS.
pub(super) fn binding_cookie(app: &AppState, value: &str) -> String {
    let same_site = if app.settings.server.public_url.starts_with("https://") {
        "None"
    } else {
        "Lax"
    };
    set_cookie(app, "pv_saml", value, None, same_site)
}

/// The secret of the browser's binding cookie: its own, or a new one. A
/// login started here must come back to the browser that started it.
pub(super) fn browser_binding(app: &AppState, browser: &Browser) -> String {
    browser
        .cookie(app, "pv_saml")
        .map(str::to_string)
        .filter(|b| b.len() >= 32)
        .unwrap_or_else(|| random_token(32))
}

/// Whether the browser carries the binding whose hash is `hash`.
pub(super) fn bound_to(app: &AppState, browser: &Browser, hash: &str) -> bool {
    browser
        .cookie(app, "pv_saml")
        .is_some_and(|c| hash_secret(c) == hash)
}

/// `GET /login/source/{id}`: sends the person to the source's IdP.
pub async fn begin(
    State(app): State<SharedState>,
    browser: Browser,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<ArQuery>,
) -> Response {
    let lang = browser.lang;
    no_store(
        begin_inner(&app, &browser, &uri, &id, &q.ar)
            .await
            .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}

async fn begin_inner(
    app: &AppState,
    browser: &Browser,
    uri: &Uri,
    id: &str,
    ar: &str,
) -> Result<Response, WebError> {
    // The pending-login id is stored with the request sent: only ours.
    if !crate::web::limits::ar_ok(ar) {
        tracing::warn!(source = %crate::web::limits::clip(id, 64), ar_bytes = ar.len(), ip = ?browser.ip, "login through a source refused: ar is not a pending-login id");
        return Err(WebError::BadRequest("ar is not a pending-login id".into()));
    }
    let s = source_texts(browser.lang);
    let t = texts(browser.lang);
    let back = Some((login_uri(ar).to_string(), t.back_to_login));
    let Some(src) = app.sources.get(id) else {
        return Ok(message(
            app,
            browser,
            uri,
            s.unknown_source_title,
            s.unknown_source_body,
            vec![],
            back,
            StatusCode::NOT_FOUND,
        ));
    };
    // Both kinds store the request they send until the person is back.
    crate::web::limits::count_started_login(app, browser, "/login/source").await?;
    if src.settings.oidc().is_some() {
        return super::upstream_oidc::begin(app, browser, uri, src, ar).await;
    }
    let (Some(loaded), Some(sp_key), Some(saml)) = (
        src.loaded(),
        app.sources.sp_key.as_ref(),
        src.settings.saml(),
    ) else {
        tracing::warn!(source = %id, error = ?src.last_error(), "login through a source whose metadata is not loaded");
        return Ok(message(
            app,
            browser,
            uri,
            s.unavailable_title,
            s.unavailable_body,
            vec![],
            back,
            StatusCode::SERVICE_UNAVAILABLE,
        ));
    };
    let now = app.now();
    let request_id = format!("_{}", random_token(20));
    let binding = browser_binding(app, browser);
    app.eph
        .put_pending(
            "saml",
            &request_id,
            &SentRequest {
                source: id.to_string(),
                ar: ar.to_string(),
                binding: hash_secret(&binding),
                created_at: now,
            },
            app.settings.tokens.login_ttl_secs as i64,
        )
        .await?;
    let refs: &[&str] = if src.settings.is_suomifi() {
        suomifi::requested(saml.loa)
    } else {
        &[]
    };
    let force = match crate::web::routes::login::pending(app, ar).await? {
        Some(r) => r.max_age == Some(0),
        None => false,
    };
    let entity = entity_id(app, id);
    let acs = acs_url(app, id);
    let use_post = saml.post_binding || loaded.meta.sso_redirect.is_none();
    let destination = if use_post {
        loaded.meta.sso_post.clone()
    } else {
        loaded.meta.sso_redirect.clone()
    }
    .unwrap_or_default();
    let req = AuthnRequest {
        id: &request_id,
        issuer: &entity,
        destination: &destination,
        acs: &acs,
        now,
        force_authn: force,
        context_refs: refs,
        locale: src.settings.is_suomifi().then_some(browser.lang.as_str()),
    };
    let cookies = [
        binding_cookie(app, &binding),
        set_cookie(app, "pv_last_source", id, Some(365 * 86_400), "Lax"),
    ];
    tracing::info!(source = %id, request_id = %request_id, post = use_post, "AuthnRequest sent");
    let relay = random_token(12);
    if use_post {
        let xml = req.to_xml();
        let end = xml
            .find("</saml:Issuer>")
            .map(|i| i + "</saml:Issuer>".len())
            .unwrap_or(0);
        let template = format!(
            "{}{}{}",
            &xml[..end],
            crate::identity::saml::xmlsec::signature_template(&request_id, &sp_key.cert_b64),
            &xml[end..]
        );
        let signed = sp_key
            .sign_template(&template)
            .map_err(WebError::internal)?;
        let page = post_page(browser.lang, &destination, "SAMLRequest", &signed, &relay);
        return Ok(with_cookies(page, cookies));
    }
    let url = redirect_url(
        &destination,
        "SAMLRequest",
        &req.to_xml(),
        Some(&relay),
        sp_key,
    )
    .map_err(WebError::internal)?;
    Ok(with_cookies(Redirect::to(&url).into_response(), cookies))
}

/// A page that POSTs a SAML message (the POST binding), by script or by
/// the person's click.
fn post_page(lang: Lang, action: &str, param: &str, xml: &str, relay: &str) -> Response {
    let s = source_texts(lang);
    let t = texts(lang);
    let html = format!(
        "<!doctype html><html lang=\"{l}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – {product}</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head>\
         <body><main id=\"main\"><h1>{title}</h1><p>{body}</p>\
         <form method=\"post\" action=\"{action}\" data-autosubmit>\
         <input type=\"hidden\" name=\"{param}\" value=\"{msg}\">\
         <input type=\"hidden\" name=\"RelayState\" value=\"{relay}\">\
         <button type=\"submit\">{cont}</button></form></main>\
         <script src=\"/static/autosubmit.js\"></script></body></html>",
        l = lang.as_str(),
        title = esc(s.redirect_title),
        product = esc(t.product),
        body = esc(s.redirect_body),
        action = esc(action),
        msg = crate::tokens::b64_std(xml),
        relay = esc(relay),
        cont = esc(s.continue_button),
    );
    let mut resp = Html(html).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `GET /saml/{id}/metadata`: our SP metadata for this source.
pub async fn metadata(State(app): State<SharedState>, Path(id): Path<String>) -> Response {
    let (Some(_), Some(key)) = (app.sources.get(&id), app.sources.sp_key.as_ref()) else {
        return (StatusCode::NOT_FOUND, "no such SAML source").into_response();
    };
    let xml = crate::identity::saml::metadata::sp_metadata(
        &entity_id(&app, &id),
        &acs_url(&app, &id),
        &app.url(&format!("/saml/{id}/slo")),
        &key.cert_b64,
    );
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        xml,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse", default)]
    saml_response: String,
    #[serde(rename = "RelayState", default)]
    _relay_state: Option<String>,
}

/// Why an answer was refused, for the person.
enum Refusal {
    Cancelled,
    Failed,
    Untrusted,
    Expired,
    OtherBrowser,
    Replay,
}

fn refused(app: &AppState, browser: &Browser, ar: &str, why: Refusal) -> Response {
    let s = source_texts(browser.lang);
    let t = texts(browser.lang);
    let (body, status, with_code) = match why {
        Refusal::Cancelled => (s.cancelled_body, StatusCode::UNAUTHORIZED, false),
        Refusal::Failed => (s.failed_body, StatusCode::UNAUTHORIZED, false),
        Refusal::Untrusted => (s.untrusted_body, StatusCode::FORBIDDEN, true),
        Refusal::Expired => (s.expired_body, StatusCode::BAD_REQUEST, false),
        Refusal::OtherBrowser => (s.other_browser_body, StatusCode::BAD_REQUEST, false),
        Refusal::Replay => (s.replay_body, StatusCode::BAD_REQUEST, true),
    };
    let page = MessagePage {
        t,
        langs: lang_links(&login_uri(ar), browser.lang),
        title: s.failed_title,
        body,
        error_code: with_code.then_some("saml_response_refused"),
        request_id: with_code
            .then(crate::web::middleware::current_request_id)
            .flatten(),
        contacts: vec![],
        show_desk: with_code,
        desk: Some(&app.settings.service_desk),
        link: Some((login_uri(ar).to_string(), s.try_again)),
    };
    render(&page, status)
}

/// `POST /saml/{id}/acs`: the IdP's answer.
pub async fn acs(
    State(app): State<SharedState>,
    browser: Browser,
    Path(id): Path<String>,
    Form(f): Form<AcsForm>,
) -> Response {
    let lang = browser.lang;
    no_store(
        acs_inner(&app, &browser, &id, f)
            .await
            .unwrap_or_else(|e| Localized(e, lang).into_response()),
    )
}

async fn acs_inner(
    app: &AppState,
    browser: &Browser,
    id: &str,
    f: AcsForm,
) -> Result<Response, WebError> {
    let ip = browser.ip_string();
    let Some(src) = app.sources.get(id) else {
        return Err(WebError::NotFound);
    };
    let encoded: String = f
        .saml_response
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if encoded.is_empty() || encoded.len() > app.settings.saml.max_response_bytes {
        tracing::warn!(source = %id, ?ip, bytes = encoded.len(), "SAML response missing or too large");
        return Ok(refused(app, browser, "", Refusal::Untrusted));
    }
    let Some(text) = crate::tokens::b64_std_decode(&encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
    else {
        tracing::warn!(source = %id, ?ip, "SAML response is not base64 UTF-8");
        return Ok(refused(app, browser, "", Refusal::Untrusted));
    };
    let request_id = match response::in_response_to(&text) {
        Ok(Some(r)) => r,
        Ok(None) => {
            tracing::warn!(source = %id, ?ip, "SAML response answers no request (unsolicited responses are not accepted)");
            return Ok(refused(app, browser, "", Refusal::Untrusted));
        }
        Err(e) => {
            tracing::warn!(source = %id, ?ip, reason = %e, "SAML response refused before it was matched to a request");
            return Ok(refused(app, browser, "", Refusal::Untrusted));
        }
    };
    let Some(sent) = app
        .eph
        .take_pending::<SentRequest>("saml", &request_id)
        .await?
    else {
        tracing::warn!(source = %id, ?ip, %request_id, "SAML response to an unknown, expired or already answered request");
        return Ok(refused(app, browser, "", Refusal::OtherBrowser));
    };
    let ar = sent.ar.clone();
    let binding_ok = bound_to(app, browser, &sent.binding);
    if sent.source != id || !binding_ok {
        tracing::warn!(source = %id, ?ip, %request_id, sent_for = %sent.source, binding_ok, "SAML response arrived at another source's ACS or in another browser");
        return Ok(refused(app, browser, &ar, Refusal::OtherBrowser));
    }
    let assertion = match check(app, src, &text, &request_id).await {
        Ok(a) => a,
        Err(e) => {
            let why = match &e {
                ResponseError::Status { sub, .. } => {
                    let cancelled = sub.as_deref().is_some_and(|s| {
                        s.ends_with(":AuthnFailed") || s.ends_with(":RequestDenied")
                    });
                    if cancelled {
                        Refusal::Cancelled
                    } else {
                        Refusal::Failed
                    }
                }
                ResponseError::Expired(_) => Refusal::Expired,
                ResponseError::Invalid(_) => Refusal::Untrusted,
            };
            tracing::warn!(source = %id, ?ip, %request_id, reason = %e, "SAML response refused");
            return Ok(refused(app, browser, &ar, why));
        }
    };
    let now = app.now();
    let ttl = (assertion.not_on_or_after - now).max(0) + app.settings.saml.clock_skew_secs;
    if !app
        .eph
        .first_use(&format!("saml:{}:{}", assertion.issuer, assertion.id), ttl)
        .await?
    {
        tracing::warn!(source = %id, ?ip, assertion = %assertion.id, "SAML assertion replayed");
        return Ok(refused(app, browser, &ar, Refusal::Replay));
    }
    let identity = match identity_of(app, &src.settings, &assertion, browser.lang) {
        Ok(i) => i,
        Err(m) => {
            tracing::warn!(source = %id, ?ip, assertion = %assertion.id, reason = %m, "SAML assertion lacks what this source needs");
            return Ok(refused(app, browser, &ar, Refusal::Untrusted));
        }
    };
    let source_org_kind = match &src.settings.organisation {
        Some(o) => app.dir.organisation(o).await?.map(|o| o.kind),
        None => None,
    };
    // Suomi.fi: what the person may do for which organisation (Kanta
    // Ekstranet), asked while the identity code is at hand; it is not kept.
    let authorities = match assertion
        .first(suomifi::attr::NATIONAL_ID)
        .filter(|_| src.settings.is_suomifi())
    {
        Some(hetu) => {
            match crate::mandates::authorities_at_login(app.mandates.as_ref(), hetu).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(source = %id, error = %e, "the e-Authorizations service did not answer: logging in without mandates");
                    Vec::new()
                }
            }
        }
        None => Vec::new(),
    };
    complete_login(
        app,
        browser,
        ExternalLogin {
            identity,
            ar,
            upstream: Some(Upstream {
                source: id.to_string(),
                name_id: assertion.name_id.clone(),
                session_index: assertion.session_index.clone(),
            }),
            source_org_kind,
            card_type: None,
            authorities,
        },
    )
    .await
}

/// Validates, refreshing the IdP's metadata once when the signature fails
/// (the IdP may have rolled its key over).
async fn check(
    app: &AppState,
    src: &SamlSource,
    text: &str,
    request_id: &str,
) -> Result<Assertion, ResponseError> {
    let mut refreshed = false;
    loop {
        let Some(loaded) = src.loaded() else {
            return Err(ResponseError::Invalid(
                "the IdP's metadata is not loaded".into(),
            ));
        };
        let Some(sp_key) = app.sources.sp_key.as_ref() else {
            return Err(ResponseError::Invalid("no SP key".into()));
        };
        let entity = entity_id(app, src.id());
        let acs = acs_url(app, src.id());
        let exp = Expectations {
            idp_entity_id: &loaded.meta.entity_id,
            signers: &loaded.signers,
            sp_entity_id: &entity,
            acs: &acs,
            request_id,
            now: app.now(),
            skew: app.settings.saml.clock_skew_secs,
            max_age: app.settings.saml.max_assertion_age_secs,
            require_encryption: src.settings.saml().is_some_and(|m| m.require_encryption)
                || src.settings.is_suomifi(),
            sp_key,
        };
        match response::validate(text, &exp) {
            Err(ResponseError::Invalid(m)) if m.contains("signature") && !refreshed => {
                refreshed = true;
                if !src
                    .refresh_if_stale(&app.http, &app.self_url, app.now())
                    .await
                {
                    return Err(ResponseError::Invalid(m));
                }
                tracing::info!(source = %src.id(), "metadata refreshed after a signature failure; checking again");
            }
            other => return other,
        }
    }
}

/// Turns a valid assertion into who the person is, by the source's profile.
fn identity_of(
    app: &AppState,
    s: &SourceSettings,
    a: &Assertion,
    lang: Lang,
) -> Result<VerifiedIdentity, String> {
    let now = app.now();
    let Some(saml) = s.saml() else {
        return Err("not a SAML source".into());
    };
    if s.is_suomifi() {
        use suomifi::attr;
        let hetu = a
            .first(attr::NATIONAL_ID)
            .ok_or("the Suomi.fi assertion has no personal identity code")?;
        if !suomifi::valid_national_id(hetu) {
            return Err("the personal identity code is malformed".into());
        }
        let class = a.authn_context.as_deref().unwrap_or_default();
        let loa =
            suomifi::level(class).ok_or_else(|| format!("unknown level of assurance {class:?}"))?;
        let municipality = match lang {
            Lang::Sv => a
                .first(attr::MUNICIPALITY_SV)
                .or(a.first(attr::MUNICIPALITY_FI)),
            _ => a.first(attr::MUNICIPALITY_FI),
        };
        return Ok(VerifiedIdentity {
            source: s.id.clone(),
            subject: suomifi::subject_of(hetu, app.sources.national_id_key()),
            loa,
            methods: vec![AuthMethod::SuomiFi],
            authenticated_at: a.authn_instant.unwrap_or(now),
            attributes: Attributes {
                given_name: a
                    .first(attr::GIVEN_NAME)
                    .or(a.first(attr::FIRST_NAMES))
                    .map(str::to_string),
                family_name: a.first(attr::SURNAME).map(str::to_string),
                email: a.first(attr::MAIL).map(str::to_string),
                municipality: municipality.map(str::to_string),
                ..Attributes::default()
            },
        });
    }
    let m = &saml.attributes;
    let subject = if m.subject == "NameID" {
        a.name_id.clone()
    } else {
        a.first(&m.subject)
            .ok_or_else(|| format!("the assertion has no subject attribute {:?}", m.subject))?
            .to_string()
    };
    Ok(VerifiedIdentity {
        source: s.id.clone(),
        subject,
        loa: saml.loa,
        methods: vec![AuthMethod::Saml],
        authenticated_at: a.authn_instant.unwrap_or(now),
        attributes: Attributes {
            given_name: a.first(&m.given_name).map(str::to_string),
            family_name: a.first(&m.family_name).map(str::to_string),
            email: a.first(&m.email).map(str::to_string),
            phone: a.first(&m.phone).map(str::to_string),
            title: a.first(&m.title).map(str::to_string),
            groups: a.all(&m.groups),
            municipality: None,
            organisation: s.organisation.clone(),
        },
    })
}
