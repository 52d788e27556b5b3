//! The admin UI under `/admin/`: server-rendered pages for liaison persons
//! and the service desk. Handlers extract, ask the permission check for a
//! handle, call it, and render.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

use crate::admin::{AdminError, org_name};
use crate::app::SharedState;
use crate::web::admin_i18n::{AdminTexts, network_name};
use crate::web::error::WebError;
use crate::web::i18n::Texts;
use crate::web::pages::{LangLink, render};

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
    t: &'static Texts,
    a: &'static AdminTexts,
    langs: &'a [LangLink],
    who: &'a str,
    csrf: &'a str,
    notice: Option<&'static str>,
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
        let f = &ctx.frame;
        Ok(render(
            &Dashboard {
                t: f.t,
                a: f.a,
                langs: &f.langs,
                who: &f.who,
                csrf: &f.csrf,
                notice: f.notice,
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
mod ctx;
mod operator;
mod policy;

pub use accounts::*;
pub use audit::*;
pub use ctx::{AdminCtx, AdminForm, AdminPage, CsrfForm};
pub use operator::*;
pub use policy::*;
