//! The service desk's provisioning clients of an organisation in the
//! admin UI: the list (revoked ones too), a form that creates one and
//! shows its token this once, and revocation.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::{AdminCtx, AdminForm, AdminPage, CsrfForm, Frame, admin_err};
use crate::admin::{AdminError, OperatorHandle, org_name};
use crate::app::SharedState;
use crate::domain::Lang;
use crate::web::admin_i18n::network_name;
use crate::web::pages::render;
use crate::web::time::local;

/// The page's own words, fi/sv/en.
pub struct ProvisioningTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub none: &'static str,
    pub name: &'static str,
    pub networks: &'static str,
    pub created: &'static str,
    pub revoked: &'static str,
    pub revoke: &'static str,
    pub create: &'static str,
    pub token: &'static str,
    pub token_hint: &'static str,
    pub scim_url: &'static str,
    pub back: &'static str,
}

const FI: ProvisioningTexts = ProvisioningTexts {
    title: "Provisiointi (SCIM)",
    intro: "Organisaation identiteetinhallinta (esim. Entra ID) voi luoda, muuttaa ja poistaa \
            käytöstä organisaation tunnukset SCIM 2.0 -rajapinnan kautta. Jokaisella asiakkaalla \
            on oma tunniste, joka näytetään vain kerran.",
    none: "Ei provisiointiasiakkaita.",
    name: "Nimi",
    networks: "Verkot",
    created: "Luotu",
    revoked: "Peruttu",
    revoke: "Peru",
    create: "Luo provisiointiasiakas",
    token: "Tunniste (Secret Token)",
    token_hint: "Kopioi tunniste nyt identiteetinhallinnan asetuksiin: sitä ei näytetä \
                 uudelleen. Jos se katoaa, peru asiakas ja luo uusi.",
    scim_url: "Tenant URL",
    back: "Takaisin organisaatioon",
};

const SV: ProvisioningTexts = ProvisioningTexts {
    title: "Provisionering (SCIM)",
    intro: "Organisationens identitetshantering (t.ex. Entra ID) kan skapa, ändra och \
            inaktivera organisationens konton via SCIM 2.0. Varje klient har en egen token, som \
            visas bara en gång.",
    none: "Inga provisioneringsklienter.",
    name: "Namn",
    networks: "Nätverk",
    created: "Skapad",
    revoked: "Återkallad",
    revoke: "Återkalla",
    create: "Skapa provisioneringsklient",
    token: "Token (Secret Token)",
    token_hint: "Kopiera token nu till identitetshanteringens inställningar: den visas inte \
                 igen. Om den försvinner, återkalla klienten och skapa en ny.",
    scim_url: "Tenant URL",
    back: "Tillbaka till organisationen",
};

const EN: ProvisioningTexts = ProvisioningTexts {
    title: "Provisioning (SCIM)",
    intro: "The organisation's identity management (Entra ID, for example) can create, change \
            and disable the organisation's accounts over SCIM 2.0. Each client has a token of \
            its own, shown only once.",
    none: "No provisioning clients.",
    name: "Name",
    networks: "Networks",
    created: "Created",
    revoked: "Revoked",
    revoke: "Revoke",
    create: "Create a provisioning client",
    token: "Token (Secret Token)",
    token_hint: "Copy the token into the identity management's settings now: it is not shown \
                 again. If it is lost, revoke the client and create a new one.",
    scim_url: "Tenant URL",
    back: "Back to the organisation",
};

pub fn provisioning_texts(lang: Lang) -> &'static ProvisioningTexts {
    match lang {
        Lang::Sv => &SV,
        Lang::En => &EN,
        _ => &FI,
    }
}

pub(super) struct ClientRow {
    id: String,
    name: String,
    networks: String,
    created: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/provisioning.html")]
pub(super) struct ProvisioningPage<'a> {
    frame: &'a Frame,
    t: &'static ProvisioningTexts,
    org_id: String,
    org_name: String,
    rows: Vec<ClientRow>,
    org_networks: Vec<(String, String)>,
    /// A client just created: its name and token, shown this once.
    created: Option<(String, String)>,
    scim_url: String,
    error: Option<&'static str>,
}

async fn page(
    app: &SharedState,
    ctx: &AdminCtx,
    op: &OperatorHandle<'_>,
    org_id: &str,
    created: Option<(String, String)>,
    error: Option<&'static str>,
) -> Result<Response, AdminError> {
    let org = op.organisation(org_id).await?;
    let rows = op
        .provisioning_clients(&org.id)
        .await?
        .into_iter()
        .map(|c| ClientRow {
            id: c.id,
            name: c.name,
            networks: c
                .networks
                .iter()
                .map(|n| network_name(*n))
                .collect::<Vec<_>>()
                .join(", "),
            created: local(c.created_at),
            revoked: c.revoked_at.map(local),
        })
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    Ok(render(
        &ProvisioningPage {
            frame: &ctx.frame,
            t: provisioning_texts(ctx.lang),
            org_name: org_name(&org, ctx.lang).to_string(),
            org_networks: org
                .networks
                .iter()
                .map(|n| (n.as_str().to_string(), network_name(*n).to_string()))
                .collect(),
            org_id: org.id,
            rows,
            created,
            scim_url: app.url("/scim/v2"),
            error,
        },
        status,
    ))
}

/// `GET /admin/operator/orgs/{id}/provisioning`.
pub async fn operator_provisioning(
    State(app): State<SharedState>,
    Path(id): Path<String>,
    ctx: AdminCtx,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.operator(&app) {
            None => ctx.not_found(),
            Some(op) => match page(&app, &ctx, &op, &id, None, None).await {
                Ok(r) => r,
                Err(AdminError::NotFound) => ctx.not_found(),
                Err(e) => return Err(admin_err(e)),
            },
        })
    })
    .await
}

/// Deserialized from the form's pairs: `networks` may repeat.
#[derive(Debug, Default, Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub struct ProvisioningForm {
    csrf: String,
    name: String,
    networks: Vec<String>,
    client: String,
}

impl From<Vec<(String, String)>> for ProvisioningForm {
    fn from(pairs: Vec<(String, String)>) -> Self {
        let mut f = ProvisioningForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "name" => f.name = v,
                "networks" => f.networks.push(v),
                "client" => f.client = v,
                _ => {}
            }
        }
        f
    }
}

impl CsrfForm for ProvisioningForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/operator/orgs/{id}/provisioning[/revoke]`.
pub async fn operator_provisioning_post(
    State(app): State<SharedState>,
    uri: axum::http::Uri,
    Path(id): Path<String>,
    AdminForm(ctx, form): AdminForm<ProvisioningForm>,
) -> AdminPage {
    let revoke = uri.path().ends_with("/revoke");
    ctx.page(async {
        Ok(match ctx.operator(&app) {
            None => ctx.not_found(),
            Some(op) => {
                let result = if revoke {
                    op.revoke_provisioning_client(&id, &form.client)
                        .await
                        .map(|()| None)
                } else {
                    op.create_provisioning_client(&id, &form.name, &form.networks)
                        .await
                        .map(|n| Some((n.client.name, n.token)))
                };
                let answer = match result {
                    Ok(created) => page(&app, &ctx, &op, &id, created, None).await,
                    Err(AdminError::Invalid { field, message }) => {
                        let msg = ctx.frame.a.field_error(field, message);
                        page(&app, &ctx, &op, &id, None, Some(msg)).await
                    }
                    Err(e) => Err(e),
                };
                match answer {
                    Ok(r) => r,
                    Err(AdminError::NotFound) => ctx.not_found(),
                    Err(e) => return Err(admin_err(e)),
                }
            }
        })
    })
    .await
}
