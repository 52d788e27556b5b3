//! The admin UI under `/admin/`: server-rendered pages for liaison persons
//! and the service desk. Handlers extract, ask the permission check for a
//! handle, call it, and render.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

use crate::admin::{AdminError, org_name};
use crate::app::SharedState;
use crate::web::admin_i18n::network_name;
use crate::web::error::WebError;
use crate::web::pages::render;

const PAGE: u32 = 25;

fn admin_err(e: AdminError) -> WebError {
    match e {
        AdminError::Store(s) => WebError::from(s),
        other => WebError::Internal(other.to_string()),
    }
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard<'a> {
    frame: &'a Frame,
    orgs: Vec<(String, String, String)>,
    operator: bool,
}

/// `GET /admin/`.
pub async fn dashboard(State(app): State<SharedState>, ctx: AdminCtx) -> AdminPage {
    ctx.page(async {
        let mut orgs = Vec::new();
        for (org_id, nets) in ctx.principal.liaison_orgs() {
            if let Some(o) = app.dir.organisation(&org_id).await? {
                let nets: Vec<&str> = nets.iter().map(|n| network_name(*n)).collect();
                orgs.push((
                    o.id.clone(),
                    org_name(&o, ctx.lang).to_string(),
                    nets.join(", "),
                ));
            }
        }
        Ok(render(
            &Dashboard {
                frame: &ctx.frame,
                orgs,
                operator: ctx.principal.operator,
            },
            StatusCode::OK,
        ))
    })
    .await
}

mod accounts;
mod audit;
mod confirm;
mod ctx;
mod events;
mod operator;
mod policy;
mod provisioning;

pub use accounts::*;
pub use audit::*;
use ctx::Frame;
pub use ctx::{AdminCtx, AdminForm, AdminPage, CsrfForm};
pub use events::{operator_event_retry, operator_events};
pub use operator::*;
pub use policy::*;
pub use provisioning::{operator_provisioning, operator_provisioning_post};
