//! The built-in development IdP under `/dev-idp/{org|suomifi}/`: it reads
//! our signed AuthnRequest, lets the developer pick a test person, and
//! answers with an assertion it really signs (and, for the Suomi.fi
//! profile, encrypts to our SP certificate). Refused in production by
//! configuration checks; absent unless `[dev_idp] enabled = true`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::DevState;
use crate::app::SharedState;
use crate::config::Settings;
use crate::domain::Lang;
use crate::identity::saml::idp::{Answer, Idp, IdpPerson, ReceivedRequest};
use crate::identity::saml::xmlsec::KeyPair;
use crate::identity::suomifi::{self, attr};
use crate::web::browser::{Browser, with_cookies};
use crate::web::i18n::texts;
use crate::web::pages::{lang_links, render};

/// The development IdP's key and base URL.
pub(super) struct DevIdp {
    key: KeyPair,
    base: String,
    /// The same key for the OpenID Connect face's JWS.
    pub(super) jws: crate::jose::SigningKey,
}

impl DevIdp {
    /// Reads the key when `[dev_idp] enabled`; the error names the keys.
    pub(super) fn load(s: &Settings) -> Result<Option<Self>, String> {
        if !s.dev_idp.enabled {
            return Ok(None);
        }
        Ok(Some(Self {
            key: KeyPair::from_files(&s.dev_idp.key_file, &s.dev_idp.cert_file)
                .map_err(|e| format!("dev_idp.key_file / cert_file: {e}"))?,
            base: s.server.issuer().to_string(),
            jws: super::op::load_key(&s.dev_idp.key_file)?,
        }))
    }

    /// The IdP of one profile (`org` or `suomifi`).
    fn idp(&self, profile: &str) -> Idp {
        Idp {
            entity_id: format!("{}/dev-idp/{profile}/metadata", self.base),
            sso_url: format!("{}/dev-idp/{profile}/sso", self.base),
            slo_url: format!("{}/dev-idp/{profile}/slo", self.base),
            key: self.key.clone(),
        }
    }
}

/// The development IdP page's own texts.
pub(super) struct DevIdpTexts {
    title: &'static str,
    intro: &'static str,
    pick: &'static str,
    cancel: &'static str,
    /// The heading's name of the organisation IdP profile.
    org_profile: &'static str,
}

pub(super) fn dev_idp_texts(lang: Lang) -> &'static DevIdpTexts {
    match lang {
        Lang::Fi => &DevIdpTexts {
            title: "Kehityskäytön testitunnistus",
            intro: "Tämä on Porttivahdin sisäänrakennettu testitunnistuspalvelu. Se allekirjoittaa ja salaa vastauksensa kuten oikea palvelu, mutta sitä ei voi käyttää tuotannossa. Valitse testihenkilö.",
            pick: "Kirjaudu tänä henkilönä",
            cancel: "Keskeytä tunnistautuminen",
            org_profile: "organisaation kirjautuminen",
        },
        Lang::Sv => &DevIdpTexts {
            title: "Testidentifiering för utveckling",
            intro: "Det här är Porttivahtis inbyggda testidentifiering. Den signerar och krypterar sina svar som en riktig tjänst, men kan inte användas i produktion. Välj en testperson.",
            pick: "Logga in som den här personen",
            cancel: "Avbryt identifieringen",
            org_profile: "organisationens inloggning",
        },
        Lang::En => &DevIdpTexts {
            title: "Test identification for development",
            intro: "This is Porttivahti's built-in test identity provider. It signs and encrypts its answers like a real one, but cannot be used in production. Choose a test person.",
            pick: "Log in as this person",
            cancel: "Cancel the identification",
            org_profile: "organisation login",
        },
    }
}

/// A test person of one profile.
pub struct TestPerson {
    pub label: &'static str,
    pub note: &'static str,
    pub name_id: &'static str,
    pub context: &'static str,
    pub attributes: &'static [(&'static str, &'static str)],
}

const ORG_CONTEXT: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";

/// The organisation profile's people (a hospital district's staff).
pub const ORG_PEOPLE: &[TestPerson] = &[
    TestPerson {
        label: "Hanna Hoitaja, sairaanhoitaja",
        note: "hanna.hoitaja@sairaala.example.fi",
        name_id: "hanna.hoitaja@sairaala.example.fi",
        context: ORG_CONTEXT,
        attributes: &[
            ("urn:oid:2.5.4.42", "Hanna"),
            ("urn:oid:2.5.4.4", "Hoitaja"),
            (
                "urn:oid:0.9.2342.19200300.100.1.3",
                "hanna.hoitaja@sairaala.example.fi",
            ),
            ("urn:oid:2.5.4.12", "sairaanhoitaja"),
        ],
    },
    TestPerson {
        label: "Lauri Lääkäri, erikoislääkäri",
        note: "lauri.laakari@sairaala.example.fi",
        name_id: "lauri.laakari@sairaala.example.fi",
        context: ORG_CONTEXT,
        attributes: &[
            ("urn:oid:2.5.4.42", "Lauri"),
            ("urn:oid:2.5.4.4", "Lääkäri"),
            (
                "urn:oid:0.9.2342.19200300.100.1.3",
                "lauri.laakari@sairaala.example.fi",
            ),
            ("urn:oid:2.5.4.12", "erikoislääkäri"),
        ],
    },
];

/// The Suomi.fi profile's people: test identity codes only.
pub const SUOMIFI_PEOPLE: &[TestPerson] = &[
    TestPerson {
        label: "Sanna Suominen",
        note: "010280-952L · varmennekortti / certificate card (loa3)",
        name_id: "",
        context: suomifi::LOA3,
        attributes: &[
            (attr::NATIONAL_ID, "010280-952L"),
            (attr::GIVEN_NAME, "Sanna"),
            (attr::FIRST_NAMES, "Sanna Maria"),
            (attr::SURNAME, "Suominen"),
            (attr::MUNICIPALITY_FI, "Jyväskylä"),
            (attr::MUNICIPALITY_SV, "Jyväskylä"),
            (attr::MUNICIPALITY_CODE, "179"),
        ],
    },
    TestPerson {
        label: "Teemu Toimitusjohtaja",
        note: "131052-308T · pankkitunnukset / bank (loa2) · kaupparekisterissä toimitusjohtaja (TJ) / managing director of 7019376-8",
        name_id: "",
        context: suomifi::LOA2,
        attributes: &[
            (attr::NATIONAL_ID, "131052-308T"),
            (attr::GIVEN_NAME, "Teemu"),
            (attr::SURNAME, "Toimitusjohtaja"),
            (attr::MAIL, "teemu@rova.example.fi"),
            (attr::MUNICIPALITY_FI, "Rovaniemi"),
            (attr::MUNICIPALITY_SV, "Rovaniemi"),
        ],
    },
    TestPerson {
        label: "Maija Valtuutettu",
        note: "150375-258S · mobiilivarmenne / mobile certificate (loa3) · Suomi.fi-valtuudet / mandates: 7019376-8 (käyttöönotto / onboarding), 2345678-0 (katselu / read-only)",
        name_id: "",
        context: suomifi::LOA3,
        attributes: &[
            (attr::NATIONAL_ID, "150375-258S"),
            (attr::GIVEN_NAME, "Maija"),
            (attr::SURNAME, "Valtuutettu"),
            (attr::MUNICIPALITY_FI, "Helsinki"),
            (attr::MUNICIPALITY_SV, "Helsingfors"),
        ],
    },
    TestPerson {
        label: "Pekka Pankkinen",
        note: "220485-934F · pankkitunnukset / bank (loa2) · ei asemaa eikä valtuuksia / no position or mandate",
        name_id: "",
        context: suomifi::LOA2,
        attributes: &[
            (attr::NATIONAL_ID, "220485-934F"),
            (attr::GIVEN_NAME, "Pekka"),
            (attr::SURNAME, "Pankkinen"),
            (attr::MUNICIPALITY_FI, "Tampere"),
            (attr::MUNICIPALITY_SV, "Tammerfors"),
        ],
    },
    TestPerson {
        label: "Tea Testaaja",
        note: "240190-436K · testitunnistus / test method (low)",
        name_id: "",
        context: suomifi::TEST_METHOD,
        attributes: &[
            (attr::NATIONAL_ID, "240190-436K"),
            (attr::GIVEN_NAME, "Tea"),
            (attr::SURNAME, "Testaaja"),
        ],
    },
];

fn people(profile: &str) -> Option<&'static [TestPerson]> {
    match profile {
        "org" => Some(ORG_PEOPLE),
        "suomifi" => Some(SUOMIFI_PEOPLE),
        _ => None,
    }
}

fn idp_of(dev: &DevState, profile: &str) -> Option<Idp> {
    people(profile)?;
    dev.idp.as_ref().map(|d| d.idp(profile))
}

/// `GET /dev-idp/{profile}/metadata`
pub async fn metadata(
    Extension(dev): Extension<Arc<DevState>>,
    Path(profile): Path<String>,
) -> Response {
    match idp_of(&dev, &profile) {
        Some(idp) => (
            [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
            idp.metadata(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such development IdP profile").into_response(),
    }
}

pub(super) struct PersonView {
    pub(super) label: &'static str,
    pub(super) note: &'static str,
}

#[derive(askama::Template)]
#[template(path = "dev/idp.html")]
pub(super) struct DevIdpPage {
    pub(super) t: &'static crate::web::i18n::Texts,
    pub(super) s: &'static DevIdpTexts,
    pub(super) langs: Vec<crate::web::pages::LangLink>,
    pub(super) profile_name: &'static str,
    pub(super) sp: String,
    pub(super) levels: String,
    pub(super) people: Vec<PersonView>,
    pub(super) action: String,
    pub(super) csrf: String,
    pub(super) ticket: String,
}

/// `GET /dev-idp/{profile}/sso?SAMLRequest=…`: checks the request's
/// signature with our SP certificate and shows the people to pick from.
pub async fn sso_get(
    State(app): State<SharedState>,
    Extension(dev): Extension<Arc<DevState>>,
    browser: Browser,
    uri: Uri,
    Path(profile): Path<String>,
) -> Response {
    let (Some(idp), Some(list), Some(sp)) = (
        idp_of(&dev, &profile),
        people(&profile),
        app.sources.sp_key.as_ref(),
    ) else {
        return (StatusCode::NOT_FOUND, "no such development IdP profile").into_response();
    };
    let req = match idp.read_request(uri.query().unwrap_or_default(), Some(&sp.cert_der())) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "development IdP: AuthnRequest refused");
            return (StatusCode::BAD_REQUEST, format!("development IdP: {e}")).into_response();
        }
    };
    let ticket = crate::tokens::random_token(18);
    if let Err(e) = app
        .eph
        .put_pending("devidp", &ticket, &Stored::from(&req), 900)
        .await
    {
        return crate::web::error::WebError::from(e).page(browser.lang);
    }
    let (csrf, set) = browser.csrf(&app);
    let page = DevIdpPage {
        t: texts(browser.lang),
        s: dev_idp_texts(browser.lang),
        langs: lang_links(&uri, browser.lang),
        profile_name: if profile == "org" {
            dev_idp_texts(browser.lang).org_profile
        } else {
            "Suomi.fi"
        },
        sp: req.issuer.clone(),
        levels: req.context_refs.join(", "),
        people: list
            .iter()
            .map(|p| PersonView {
                label: p.label,
                note: p.note,
            })
            .collect(),
        action: format!("/dev-idp/{profile}/sso"),
        csrf,
        ticket,
    };
    with_cookies(render(&page, StatusCode::OK), set)
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Stored {
    id: String,
    issuer: String,
    acs: String,
    relay_state: Option<String>,
}

impl From<&ReceivedRequest> for Stored {
    fn from(r: &ReceivedRequest) -> Self {
        Self {
            id: r.id.clone(),
            issuer: r.issuer.clone(),
            acs: r.acs.clone(),
            relay_state: r.relay_state.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PickForm {
    csrf: String,
    ticket: String,
    person: String,
}

/// `POST /dev-idp/{profile}/sso`: answers for the picked person (or with
/// a cancellation), as an auto-submitting form to the ACS.
pub async fn sso_post(
    State(app): State<SharedState>,
    Extension(dev): Extension<Arc<DevState>>,
    browser: Browser,
    Path(profile): Path<String>,
    Form(f): Form<PickForm>,
) -> Response {
    let (Some(idp), Some(list), Some(sp)) = (
        idp_of(&dev, &profile),
        people(&profile),
        app.sources.sp_key.as_ref(),
    ) else {
        return (StatusCode::NOT_FOUND, "no such development IdP profile").into_response();
    };
    if !browser.csrf_ok(&app, &f.csrf) {
        return (
            StatusCode::FORBIDDEN,
            "development IdP: the form expired; start again",
        )
            .into_response();
    }
    let stored = match app.eph.take_pending::<Stored>("devidp", &f.ticket).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return (
                StatusCode::BAD_REQUEST,
                "development IdP: this login was answered already or expired; start again",
            )
                .into_response();
        }
        Err(e) => return crate::web::error::WebError::from(e).page(browser.lang),
    };
    let req = ReceivedRequest {
        id: stored.id,
        issuer: stored.issuer,
        acs: stored.acs,
        relay_state: stored.relay_state,
        context_refs: vec![],
        locale: None,
        force_authn: false,
    };
    let mut answer = Answer::new(app.now());
    let who = match f.person.parse::<usize>().ok().and_then(|i| list.get(i)) {
        Some(p) => {
            let name_id = if p.name_id.is_empty() {
                // Suomi.fi's NameID is transient.
                format!("_t{}", crate::tokens::random_token(16))
            } else {
                p.name_id.to_string()
            };
            Some(IdpPerson {
                name_id,
                authn_context: p.context.to_string(),
                attributes: p
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
                    .collect(),
            })
        }
        None => {
            answer.status = Some((
                "urn:oasis:names:tc:SAML:2.0:status:Responder".into(),
                Some("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed".into()),
            ));
            None
        }
    };
    if profile == "suomifi" {
        // Suomi.fi always encrypts.
        answer.encrypt_to = Some(sp.recipient());
    } else {
        answer.sign_response = true;
    }
    match idp.response(&req, who.as_ref(), &answer) {
        Ok(xml) => Html(Idp::post_form(&req, &xml)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "development IdP could not build its answer");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("development IdP: {e}"),
            )
                .into_response()
        }
    }
}

/// `GET /dev-idp/{profile}/slo`: answers our signed LogoutRequest with a
/// signed LogoutResponse to the SP's logout endpoint.
pub async fn slo(
    State(app): State<SharedState>,
    Extension(dev): Extension<Arc<DevState>>,
    uri: Uri,
    Path(profile): Path<String>,
) -> Response {
    use crate::identity::saml::{request, xml};
    let (Some(idp), Some(sp)) = (idp_of(&dev, &profile), app.sources.sp_key.as_ref()) else {
        return (StatusCode::NOT_FOUND, "no such development IdP profile").into_response();
    };
    let m = match request::read_redirect(
        uri.query().unwrap_or_default(),
        "SAMLRequest",
        Some(&sp.cert_der()),
    ) {
        Ok(m) => m,
        Err(e) => {
            return (StatusCode::BAD_REQUEST, format!("development IdP: {e}")).into_response();
        }
    };
    let Ok(doc) = xml::parse(&m.xml) else {
        return (StatusCode::BAD_REQUEST, "development IdP: not XML").into_response();
    };
    let Some(root) = doc.document_element() else {
        return (StatusCode::BAD_REQUEST, "development IdP: empty").into_response();
    };
    let id = xml::attr(&doc, root, "ID").unwrap_or_default().to_string();
    let issuer = xml::only_child(&doc, root, xml::SAML, "Issuer")
        .ok()
        .flatten()
        .and_then(|i| xml::text(&doc, i).ok())
        .unwrap_or_default();
    let Some(dest) = issuer.strip_suffix("/metadata").map(|b| format!("{b}/slo")) else {
        return (StatusCode::BAD_REQUEST, "development IdP: unknown SP").into_response();
    };
    let answer = request::logout_response_xml(
        &format!("_l{}", crate::tokens::random_token(16)),
        &idp.entity_id,
        &dest,
        app.now(),
        &id,
    );
    match request::redirect_url(
        &dest,
        "SAMLResponse",
        &answer,
        m.relay_state.as_deref(),
        &idp.key,
    ) {
        Ok(url) => axum::response::Redirect::to(&url).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("development IdP: {e}"),
        )
            .into_response(),
    }
}
