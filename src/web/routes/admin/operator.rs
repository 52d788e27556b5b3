//! The service desk: the organisation register, liaison persons, all accounts and the whole audit trail.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;

use super::accounts::{AccountsPage, Field, ListQuery, Row, page_link, status_class};
use super::audit::{AuditParams, Filter, audit_answer, window};
use super::{AdminCtx, AdminForm, AdminPage, CsrfForm, Frame, PAGE, admin_err};
use crate::admin::{AdminError, org_name};
use crate::app::{AppState, SharedState};
use crate::domain::{Network, OrgKind};
use crate::store::Organisation;
use crate::web::admin_i18n::{AdminTexts, network_name};
use crate::web::audit_i18n::audit_texts;
use crate::web::error::WebError;
use crate::web::pages::render;
use crate::web::time::local;

// ---- The service desk ----

pub(super) struct OrgRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) business_id: String,
    pub(super) oid: String,
    pub(super) networks: String,
}

#[derive(Template)]
#[template(path = "admin/orgs.html")]
pub(super) struct OrgsPage<'a> {
    pub(super) frame: &'a Frame,
    pub(super) q: String,
    pub(super) rows: Vec<OrgRow>,
}

/// `GET /admin/operator/orgs`.
pub async fn operator_orgs(
    State(app): State<SharedState>,
    Query(lq): Query<ListQuery>,
    ctx: AdminCtx,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.operator(&app) {
            None => ctx.not_found(),
            Some(op) => {
                let rows = op
                    .organisations(&lq.q)
                    .await
                    .map_err(admin_err)?
                    .iter()
                    .map(|o| OrgRow {
                        id: o.id.clone(),
                        name: org_name(o, ctx.lang).to_string(),
                        business_id: o.business_id.to_string(),
                        oid: o.oid.to_string(),
                        networks: o
                            .networks
                            .iter()
                            .map(|n| network_name(*n))
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                    .collect();
                render(
                    &OrgsPage {
                        frame: &ctx.frame,
                        q: lq.q.clone(),
                        rows,
                    },
                    StatusCode::OK,
                )
            }
        })
    })
    .await
}

pub(super) struct LiaisonRow {
    pub(super) account_id: String,
    pub(super) name: String,
    pub(super) network: &'static str,
    pub(super) network_id: &'static str,
    pub(super) email: Option<String>,
    pub(super) phone: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/org.html")]
pub(super) struct OrgPage<'a> {
    pub(super) frame: &'a Frame,
    pub(super) notice: Option<&'static str>,
    pub(super) heading: String,
    pub(super) action: String,
    pub(super) fields: Vec<Field>,
    pub(super) existing: bool,
    pub(super) org_id: String,
    pub(super) liaisons: Vec<LiaisonRow>,
    pub(super) org_networks: Vec<(String, String)>,
    pub(super) appoint_error: Option<&'static str>,
}

/// Deserialized from the form's pairs: `networks` may repeat.
#[derive(Debug, Default, Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub struct OrgForm {
    pub(super) csrf: String,
    pub(super) id: String,
    pub(super) name_fi: String,
    pub(super) name_sv: String,
    pub(super) business_id: String,
    pub(super) oid: String,
    pub(super) kind: String,
    pub(super) municipality: String,
    pub(super) networks: Vec<String>,
}

impl CsrfForm for OrgForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl From<Vec<(String, String)>> for OrgForm {
    /// From form pairs: `networks` may repeat (one checkbox each).
    fn from(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "id" => f.id = v,
                "name_fi" => f.name_fi = v,
                "name_sv" => f.name_sv = v,
                "business_id" => f.business_id = v,
                "oid" => f.oid = v,
                "kind" => f.kind = v,
                "municipality" => f.municipality = v,
                "networks" => f.networks.push(v),
                _ => {}
            }
        }
        f
    }
}

impl OrgForm {
    fn of(o: &Organisation) -> Self {
        Self {
            csrf: String::new(),
            id: o.id.clone(),
            name_fi: o.name_fi.clone(),
            name_sv: o.name_sv.clone(),
            business_id: o.business_id.to_string(),
            oid: o.oid.to_string(),
            kind: o.kind.as_str().to_string(),
            municipality: o.municipality.clone().unwrap_or_default(),
            networks: o.networks.iter().map(|n| n.as_str().to_string()).collect(),
        }
    }

    /// Parses the form into register data, or names the first bad field.
    fn parse(&self) -> Result<Organisation, AdminError> {
        let business_id = self
            .business_id
            .trim()
            .parse()
            .map_err(|_| AdminError::invalid("business_id", "invalid"))?;
        let oid = self
            .oid
            .trim()
            .parse()
            .map_err(|_| AdminError::invalid("oid", "invalid"))?;
        let kind: OrgKind = self
            .kind
            .parse()
            .map_err(|_| AdminError::invalid("kind", "invalid"))?;
        let networks = self
            .networks
            .iter()
            .map(|n| {
                n.parse::<Network>()
                    .map_err(|_| AdminError::invalid("networks", "invalid"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Organisation {
            id: self.id.trim().to_string(),
            oid,
            business_id,
            name_fi: self.name_fi.trim().to_string(),
            name_sv: self.name_sv.trim().to_string(),
            kind,
            municipality: Some(self.municipality.trim().to_string()).filter(|m| !m.is_empty()),
            networks,
        })
    }
}

pub(super) fn org_fields(
    a: &AdminTexts,
    f: &OrgForm,
    existing: bool,
    err: Option<(&str, &'static str)>,
) -> Vec<Field> {
    let mut id = Field::text("id", a.org_id, &f.id).hint(a.org_id_hint);
    id.readonly = existing;
    let mut kind = Field::text("kind", a.kind, &f.kind);
    kind.options = OrgKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), k.as_str().replace('_', " ")))
        .collect();
    let mut nets = Field::text("networks", a.networks, &f.networks.join(","));
    nets.options = Network::ALL
        .iter()
        .map(|n| (n.as_str().to_string(), network_name(*n).to_string()))
        .collect();
    nets.multiple = true;
    nets.optional = true;
    let mut fields = vec![
        id,
        Field::text("name_fi", a.name_fi, &f.name_fi),
        Field::text("name_sv", a.name_sv, &f.name_sv),
        Field::text("business_id", a.business_id, &f.business_id).hint("1234567-8"),
        Field::text("oid", a.oid, &f.oid).hint("1.2.246.10.1234567.10.0"),
        kind,
        Field::text("municipality", a.municipality, &f.municipality).optional(),
        nets,
    ];
    if let Some((field, msg)) = err
        && let Some(x) = fields.iter_mut().find(|x| x.name == field)
    {
        x.error = Some(msg);
    }
    fields
}

pub(super) async fn org_page(
    app: &AppState,
    ctx: &AdminCtx,
    form: &OrgForm,
    existing: bool,
    err: Option<(&str, &'static str)>,
    appoint_error: Option<&'static str>,
    notice: Option<&'static str>,
) -> Result<Response, WebError> {
    let a = ctx.frame.a;
    let liaisons = if existing {
        app.dir
            .liaison_contacts(&form.id)
            .await?
            .into_iter()
            .map(|l| LiaisonRow {
                account_id: l.account_id,
                name: l.name,
                network: network_name(l.network),
                network_id: l.network.as_str(),
                email: l.email,
                phone: l.phone,
            })
            .collect()
    } else {
        Vec::new()
    };
    let heading = if existing {
        format!("{} {}", a.organisations, form.name_fi)
    } else {
        a.new_organisation.to_string()
    };
    let status = if err.is_some() || appoint_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render(
        &OrgPage {
            frame: &ctx.frame,
            notice,
            heading,
            action: if existing {
                format!("/admin/operator/orgs/{}", form.id)
            } else {
                "/admin/operator/orgs/new".into()
            },
            fields: org_fields(a, form, existing, err),
            existing,
            org_id: form.id.clone(),
            liaisons,
            org_networks: form
                .networks
                .iter()
                .filter_map(|n| n.parse::<Network>().ok())
                .map(|n| (n.as_str().to_string(), network_name(n).to_string()))
                .collect(),
            appoint_error,
        },
        status,
    ))
}

/// `GET /admin/operator/orgs/new` and `GET /admin/operator/orgs/{id}`.
pub async fn operator_org(
    State(app): State<SharedState>,
    id: Option<Path<String>>,
    ctx: AdminCtx,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.operator(&app) {
            None => ctx.not_found(),
            Some(op) => match id {
                None => {
                    let form = OrgForm {
                        kind: "health_centre".into(),
                        ..Default::default()
                    };
                    org_page(&app, &ctx, &form, false, None, None, None).await?
                }
                Some(Path(id)) => match op.organisation(&id).await {
                    Ok(o) => org_page(&app, &ctx, &OrgForm::of(&o), true, None, None, None).await?,
                    Err(AdminError::NotFound) => ctx.not_found(),
                    Err(e) => return Err(admin_err(e)),
                },
            },
        })
    })
    .await
}

/// `POST /admin/operator/orgs/new` and `POST /admin/operator/orgs/{id}`.
pub async fn operator_save_org(
    State(app): State<SharedState>,
    id: Option<Path<String>>,
    AdminForm(ctx, mut form): AdminForm<OrgForm>,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.operator(&app) {
            None => ctx.not_found(),
            Some(op) => {
                let existing = id.is_some();
                if let Some(Path(id)) = &id {
                    form.id = id.clone();
                }
                let a = ctx.frame.a;
                // A form that does not parse and one the directory refuses
                // answer alike: the form again, the field marked.
                let saved = match form.parse() {
                    Ok(org) => op.save_organisation(&org, existing).await.map(|()| org),
                    Err(e) => Err(e),
                };
                match saved {
                    Ok(org) => {
                        org_page(
                            &app,
                            &ctx,
                            &OrgForm::of(&org),
                            true,
                            None,
                            None,
                            Some(a.done),
                        )
                        .await?
                    }
                    Err(AdminError::Invalid { field, message }) => {
                        org_page(
                            &app,
                            &ctx,
                            &form,
                            existing,
                            Some((field, a.field_error(field, message))),
                            None,
                            None,
                        )
                        .await?
                    }
                    Err(AdminError::NotFound) => ctx.not_found(),
                    Err(e) => return Err(admin_err(e)),
                }
            }
        })
    })
    .await
}

#[derive(Debug, Deserialize, Default)]
pub struct LiaisonForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) username: String,
    #[serde(default)]
    pub(super) account_id: String,
    #[serde(default)]
    pub(super) network: String,
    #[serde(default)]
    pub(super) email: String,
    #[serde(default)]
    pub(super) phone: String,
}

impl CsrfForm for LiaisonForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/operator/orgs/{id}/liaisons[/remove]`.
pub async fn operator_liaison(
    State(app): State<SharedState>,
    uri: Uri,
    Path(id): Path<String>,
    AdminForm(ctx, form): AdminForm<LiaisonForm>,
) -> AdminPage {
    let remove = uri.path().ends_with("/remove");
    ctx.page(async {
        Ok(match ctx.operator(&app) {
            None => ctx.not_found(),
            Some(op) => {
                let a = ctx.frame.a;
                let org = match op.organisation(&id).await {
                    Ok(o) => o,
                    Err(AdminError::NotFound) => return Ok(ctx.not_found()),
                    Err(e) => return Err(admin_err(e)),
                };
                let result = if remove {
                    op.remove_liaison(&org.id, &form.account_id, &form.network)
                        .await
                } else {
                    op.appoint_liaison(
                        &org.id,
                        &form.username,
                        &form.network,
                        &form.email,
                        &form.phone,
                    )
                    .await
                };
                match result {
                    Ok(()) => {
                        org_page(
                            &app,
                            &ctx,
                            &OrgForm::of(&org),
                            true,
                            None,
                            None,
                            Some(a.done),
                        )
                        .await?
                    }
                    Err(AdminError::Invalid { field, message }) => {
                        let msg = a.field_error(field, message);
                        org_page(&app, &ctx, &OrgForm::of(&org), true, None, Some(msg), None)
                            .await?
                    }
                    Err(AdminError::NotFound) => ctx.not_found(),
                    Err(e) => return Err(admin_err(e)),
                }
            }
        })
    })
    .await
}

/// `GET /admin/operator/accounts?q=`: every account; each row links to the
/// account in its first organisation, where the service desk acts with a
/// reason.
pub async fn operator_accounts(
    State(app): State<SharedState>,
    Query(lq): Query<ListQuery>,
    ctx: AdminCtx,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.operator(&app) {
            None => ctx.not_found(),
            Some(op) => {
                let page = op
                    .find_accounts(&lq.q, lq.offset, PAGE)
                    .await
                    .map_err(admin_err)?;
                let a = ctx.frame.a;
                let mut rows = Vec::new();
                for acc in &page.items {
                    let ms = app.dir.memberships(&acc.id).await?;
                    let href = ms
                        .first()
                        .map(|m| format!("/admin/orgs/{}/accounts/{}", m.org_id, acc.id))
                        .unwrap_or_default();
                    rows.push(Row {
                        href,
                        name: format!("{} {}", acc.family_name, acc.given_name),
                        username: acc.username.clone(),
                        status: a.status(acc.status),
                        status_class: status_class(acc.status),
                        must_change: acc.must_change_password,
                        networks: ms
                            .iter()
                            .map(|m| format!("{} / {}", m.org_id, network_name(m.network)))
                            .collect::<Vec<_>>()
                            .join(", "),
                        last_login: acc.last_login_at.map_or(a.never.to_string(), local),
                    });
                }
                let shown = page.items.len() as u64;
                let base = "/admin/operator/accounts".to_string();
                render(
                    &AccountsPage {
                        frame: &ctx.frame,
                        org_name: a.all_accounts.to_string(),
                        networks: String::new(),
                        prev: (lq.offset > 0)
                            .then(|| page_link(&base, &lq.q, lq.offset.saturating_sub(PAGE))),
                        next: (u64::from(lq.offset) + shown < page.total)
                            .then(|| page_link(&base, &lq.q, lq.offset + PAGE)),
                        from: if shown == 0 {
                            0
                        } else {
                            u64::from(lq.offset) + 1
                        },
                        to: u64::from(lq.offset) + shown,
                        total: page.total,
                        base,
                        q: lq.q.clone(),
                        rows,
                        can_create: false,
                    },
                    StatusCode::OK,
                )
            }
        })
    })
    .await
}

/// `GET /admin/operator/audit[?person=&event=&from=&to=&format=csv|jsonl]`:
/// everything.
pub async fn operator_audit(
    State(app): State<SharedState>,
    Query(p): Query<AuditParams>,
    ctx: AdminCtx,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.operator(&app) {
            None => ctx.not_found(),
            Some(op) => {
                let candidates = if p.person.trim().is_empty() {
                    Vec::new()
                } else {
                    let found = op
                        .find_accounts(p.person.trim(), 0, 20)
                        .await
                        .map_err(admin_err)?;
                    found.items
                };
                let filter = Filter::read(&p, &candidates, audit_texts(ctx.lang));
                let (offset, limit) = window(&p, 100_000);
                let events = if filter.matches_nothing() {
                    Vec::new()
                } else {
                    op.audit_trail(&filter.query(offset, limit))
                        .await
                        .map_err(admin_err)?
                };
                audit_answer(
                    &app,
                    &ctx,
                    &p,
                    &filter,
                    events,
                    None,
                    "/admin/operator/audit",
                )
                .await
            }
        })
    })
    .await
}
