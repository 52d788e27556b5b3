//! The audit trail: pages and exports.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{AdminCtx, AdminPage, Frame, admin_err};
use crate::admin::org_name;
use crate::app::{AppState, SharedState};
use crate::store::AuditEvent;
use crate::web::pages::render;
use crate::web::time::{iso_utc, local};

pub(super) struct AuditRow {
    pub(super) when: String,
    pub(super) who: String,
    pub(super) what: String,
    pub(super) whom: String,
    pub(super) ip: String,
    pub(super) reason: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub(super) struct AuditPage<'a> {
    pub(super) frame: &'a Frame,
    pub(super) scope_name: Option<String>,
    pub(super) export_base: String,
    pub(super) rows: Vec<AuditRow>,
    pub(super) prev: Option<String>,
    pub(super) next: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct AuditParams {
    #[serde(default)]
    pub(super) offset: u32,
    #[serde(default)]
    pub(super) format: String,
}

/// Names for the ids in audit rows, looked up once per page.
pub(super) async fn names(app: &AppState, events: &[AuditEvent]) -> HashMap<String, String> {
    let mut ids: Vec<String> = Vec::new();
    for e in events {
        ids.push(e.actor.clone());
        if let Some(s) = &e.subject {
            ids.push(s.clone());
        }
    }
    ids.sort();
    ids.dedup();
    let mut out = HashMap::new();
    for id in ids {
        if let Ok(Some(a)) = app.dir.account(&id).await {
            out.insert(id, format!("{} ({})", a.display_name(), a.username));
        }
    }
    out
}

/// CSV (RFC 4180) or JSON lines of audit events.
pub fn export(events: &[AuditEvent], format: &str) -> Response {
    if format == "jsonl" {
        let mut body = String::new();
        for e in events {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("time".into(), serde_json::json!(iso_utc(e.at)));
            }
            body.push_str(&v.to_string());
            body.push('\n');
        }
        return (
            [
                (header::CONTENT_TYPE, "application/jsonl; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit.jsonl\"",
                ),
            ],
            body,
        )
            .into_response();
    }
    let q = |s: &str| {
        // Spreadsheet formula injection is neutralised with a leading quote
        // (OWASP's list: a cell a spreadsheet may read as a formula).
        let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    };
    let mut body = String::from("time,actor,action,subject,org_id,source_ip,reason,detail\r\n");
    for e in events {
        let cols = [
            iso_utc(e.at),
            e.actor.clone(),
            e.action.clone(),
            e.subject.clone().unwrap_or_default(),
            e.org_id.clone().unwrap_or_default(),
            e.source_ip.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            e.detail.clone().unwrap_or_default(),
        ];
        body.push_str(&cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(","));
        body.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

pub(super) async fn audit_page(
    app: &AppState,
    ctx: &AdminCtx,
    events: Vec<AuditEvent>,
    scope_name: Option<String>,
    base: &str,
    offset: u32,
) -> Response {
    let names = names(app, &events).await;
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let shown = events.len() as u32;
    let rows = events
        .iter()
        .map(|e| AuditRow {
            when: local(e.at),
            who: name(&e.actor),
            what: e.action.clone(),
            whom: e.subject.as_deref().map(name).unwrap_or_default(),
            ip: e.source_ip.clone().unwrap_or_default(),
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    render(
        &AuditPage {
            frame: &ctx.frame,
            scope_name,
            export_base: format!("{base}?"),
            rows,
            prev: (offset > 0).then(|| format!("{base}?offset={}", offset.saturating_sub(50))),
            next: (shown == 50).then(|| format!("{base}?offset={}", offset + 50)),
        },
        StatusCode::OK,
    )
}

/// `GET /admin/orgs/{org}/audit[?format=csv|jsonl]`.
pub async fn org_audit(
    State(app): State<SharedState>,
    Path(org): Path<String>,
    Query(p): Query<AuditParams>,
    ctx: AdminCtx,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.liaison(&app, &org).await? {
            None => ctx.not_found(),
            Some(h) => {
                if p.format.is_empty() {
                    let events = h.audit_trail(p.offset, 50).await.map_err(admin_err)?;
                    let base = format!("/admin/orgs/{}/audit", h.org().id);
                    audit_page(
                        &app,
                        &ctx,
                        events,
                        Some(org_name(h.org(), ctx.lang).to_string()),
                        &base,
                        p.offset,
                    )
                    .await
                } else {
                    export(
                        &h.audit_trail(0, 10_000).await.map_err(admin_err)?,
                        &p.format,
                    )
                }
            }
        })
    })
    .await
}
