//! The audit trail: pages with filters (person, event, time) in Helsinki
//! time, the spreadsheet export a person opens in Excel, and the exports
//! for programs.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{AdminCtx, AdminPage, Frame, admin_err};
use crate::admin::org_name;
use crate::app::{AppState, SharedState};
use crate::domain::Lang;
use crate::store::{Account, AuditEvent, AuditQuery};
use crate::web::audit_i18n::{AuditTexts, audit_texts, event_name, filter_choices, known_filter};
use crate::web::pages::render;
use crate::web::time::{iso_utc, local, local_seconds, local_zoned, parse_local_date, zone};

/// Events on one page.
const PER_PAGE: u32 = 50;

pub(super) struct AuditRow {
    pub(super) when: String,
    pub(super) who: String,
    pub(super) what: String,
    pub(super) code: String,
    pub(super) whom: String,
    pub(super) ip: String,
    pub(super) reason: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub(super) struct AuditPage<'a> {
    pub(super) frame: &'a Frame,
    pub(super) x: &'static AuditTexts,
    pub(super) scope_name: Option<String>,
    pub(super) base: String,
    pub(super) export_base: String,
    pub(super) p: &'a AuditParams,
    pub(super) events: Vec<(&'static str, &'static str)>,
    pub(super) notice: Option<&'static str>,
    pub(super) rows: Vec<AuditRow>,
    pub(super) prev: Option<String>,
    pub(super) next: Option<String>,
}

/// The audit pages' query: paging, export format and the filters.
#[derive(Debug, Deserialize, Default)]
pub struct AuditParams {
    #[serde(default)]
    pub(super) offset: u32,
    #[serde(default)]
    pub(super) format: String,
    /// A username or name: events by or about that person.
    #[serde(default)]
    pub(super) person: String,
    /// An event code or a family (`login.`); see `audit_i18n`.
    #[serde(default)]
    pub(super) event: String,
    /// Helsinki dates, `2026-01-15`, both days included.
    #[serde(default)]
    pub(super) from: String,
    #[serde(default)]
    pub(super) to: String,
}

impl AuditParams {
    /// The filters as a query string, for the pager and export links.
    fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("person", self.person.trim())
            .append_pair("event", self.event.trim())
            .append_pair("from", self.from.trim())
            .append_pair("to", self.to.trim())
            .finish()
    }
}

/// The filters, read: what to ask the store, and what to tell the person
/// about a filter that could not be used.
pub(super) struct Filter {
    person: String,
    action: String,
    since: Option<i64>,
    until: Option<i64>,
    /// The person filter matched no one (or several): show nothing.
    nobody: bool,
    pub(super) notice: Option<&'static str>,
}

impl Filter {
    /// Reads `p`; `candidates` are the accounts within reach that match
    /// the person search (unused when it is empty).
    pub(super) fn read(p: &AuditParams, candidates: &[Account], x: &'static AuditTexts) -> Self {
        let mut f = Filter {
            person: String::new(),
            action: String::new(),
            since: None,
            until: None,
            nobody: false,
            notice: None,
        };
        let wanted = p.person.trim();
        if !wanted.is_empty() {
            let exact = candidates
                .iter()
                .find(|a| a.username.eq_ignore_ascii_case(wanted));
            match (exact, candidates) {
                (Some(a), _) | (None, [a]) => f.person = a.id.clone(),
                (None, []) => (f.nobody, f.notice) = (true, Some(x.no_person)),
                (None, _) => (f.nobody, f.notice) = (true, Some(x.many_persons)),
            }
        }
        let event = p.event.trim();
        if known_filter(event) {
            f.action = event.to_string();
        }
        let day = |s: &str| -> Result<Option<i64>, ()> {
            match s.trim() {
                "" => Ok(None),
                s => parse_local_date(s).map(Some).ok_or(()),
            }
        };
        match (day(&p.from), day(&p.to)) {
            (Ok(since), Ok(to)) => {
                f.since = since;
                // The whole last day: up to the next Helsinki midnight.
                f.until = to.and_then(|t| parse_local_date(&local(t + 26 * 3_600)[..10]));
            }
            _ => f.notice = f.notice.or(Some(x.bad_date)),
        }
        f
    }

    /// The store's query for this filter.
    pub(super) fn query(&self, offset: u32, limit: u32) -> AuditQuery<'_> {
        AuditQuery {
            person: &self.person,
            action: &self.action,
            since: self.since,
            until: self.until,
            offset,
            limit,
            ..Default::default()
        }
    }

    /// No event can match (a person search that found no one person).
    pub(super) fn matches_nothing(&self) -> bool {
        self.nobody
    }
}

/// Names for the ids in audit rows (accounts and organisations), looked
/// up once per page or export.
pub(super) struct Names {
    accounts: HashMap<String, String>,
    orgs: HashMap<String, String>,
}

impl Names {
    pub(super) async fn of(app: &AppState, events: &[AuditEvent], lang: Lang) -> Self {
        let mut ids: Vec<&str> = Vec::new();
        let mut org_ids: Vec<&str> = Vec::new();
        for e in events {
            ids.push(&e.actor);
            ids.extend(e.subject.as_deref());
            org_ids.extend(e.org_id.as_deref());
        }
        ids.sort_unstable();
        ids.dedup();
        org_ids.sort_unstable();
        org_ids.dedup();
        let mut accounts = HashMap::new();
        for id in ids {
            if let Ok(Some(a)) = app.dir.account(id).await {
                accounts.insert(
                    id.to_string(),
                    format!("{} ({})", a.display_name(), a.username),
                );
            }
        }
        let mut orgs = HashMap::new();
        for id in org_ids {
            if let Ok(Some(o)) = app.dir.organisation(id).await {
                orgs.insert(id.to_string(), org_name(&o, lang).to_string());
            }
        }
        Names { accounts, orgs }
    }

    /// The person's name, or `None` when the id names no account
    /// (`system`, `cli`, a removed account).
    fn account(&self, id: &str) -> Option<&str> {
        self.accounts.get(id).map(String::as_str)
    }

    fn org(&self, id: &str) -> Option<&str> {
        self.orgs.get(id).map(String::as_str)
    }
}

/// A cell a spreadsheet may read as a formula gets a leading quote
/// (OWASP's list), then the cell is quoted as RFC 4180 says.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Audit events for programs (the admin API): RFC 4180 CSV with commas
/// and UTC times, or JSON lines.
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
        body.push_str(&cols.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
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

/// Audit events for a person's spreadsheet: what Finnish Excel opens by a
/// double click — UTF-8 with a byte-order mark, semicolons, CRLF — with
/// Helsinki time and its zone, and names beside the ids.
pub(super) fn spreadsheet(events: &[AuditEvent], names: &Names, lang: Lang) -> Response {
    let x = audit_texts(lang);
    let mut body = String::from('\u{feff}');
    body.push_str(&x.columns.map(cell).join(";"));
    body.push_str("\r\n");
    for e in events {
        let subject = e.subject.as_deref().unwrap_or_default();
        let org = e.org_id.as_deref().unwrap_or_default();
        let time = local_seconds(e.at);
        let cols = [
            time.as_str(),
            zone(e.at),
            names.account(&e.actor).unwrap_or_default(),
            &e.actor,
            &event_name(&e.action, lang),
            &e.action,
            names.account(subject).unwrap_or_default(),
            subject,
            names.org(org).unwrap_or_default(),
            org,
            e.source_ip.as_deref().unwrap_or_default(),
            e.reason.as_deref().unwrap_or_default(),
            e.detail.as_deref().unwrap_or_default(),
        ];
        body.push_str(&cols.map(cell).join(";"));
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

/// The page, or an export when `p.format` asks for one. `read` reads the
/// events the filter selects within the caller's reach.
pub(super) async fn audit_answer(
    app: &AppState,
    ctx: &AdminCtx,
    p: &AuditParams,
    filter: &Filter,
    events: Vec<AuditEvent>,
    scope_name: Option<String>,
    base: &str,
) -> Response {
    match p.format.as_str() {
        "" => {}
        "csv" => {
            let names = Names::of(app, &events, ctx.lang).await;
            return spreadsheet(&events, &names, ctx.lang);
        }
        other => return export(&events, other),
    }
    let names = Names::of(app, &events, ctx.lang).await;
    let name = |id: &str| names.account(id).unwrap_or(id).to_string();
    let shown = events.len() as u32;
    let rows = events
        .iter()
        .map(|e| AuditRow {
            when: local_zoned(e.at),
            who: name(&e.actor),
            what: event_name(&e.action, ctx.lang),
            code: e.action.clone(),
            whom: e.subject.as_deref().map(name).unwrap_or_default(),
            ip: e.source_ip.clone().unwrap_or_default(),
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    let fq = p.query();
    let x = audit_texts(ctx.lang);
    render(
        &AuditPage {
            frame: &ctx.frame,
            x,
            scope_name,
            base: base.to_string(),
            export_base: format!("{base}?{fq}&"),
            p,
            events: filter_choices(ctx.lang),
            notice: filter.notice,
            rows,
            prev: (p.offset > 0)
                .then(|| format!("{base}?{fq}&offset={}", p.offset.saturating_sub(PER_PAGE))),
            next: (shown == PER_PAGE)
                .then(|| format!("{base}?{fq}&offset={}", p.offset + PER_PAGE)),
        },
        StatusCode::OK,
    )
}

/// Paging for the page, everything (up to `export_limit`) for an export.
pub(super) fn window(p: &AuditParams, export_limit: u32) -> (u32, u32) {
    if p.format.is_empty() {
        (p.offset, PER_PAGE)
    } else {
        (0, export_limit)
    }
}

/// `GET /admin/orgs/{org}/audit[?person=&event=&from=&to=&format=csv|jsonl]`.
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
                let candidates = if p.person.trim().is_empty() {
                    Vec::new()
                } else {
                    let found = h.list(p.person.trim(), 0, 20).await.map_err(admin_err)?;
                    found.items.into_iter().map(|v| v.account).collect()
                };
                let filter = Filter::read(&p, &candidates, audit_texts(ctx.lang));
                let (offset, limit) = window(&p, 10_000);
                let events = if filter.matches_nothing() {
                    Vec::new()
                } else {
                    h.audit_filtered(&filter.query(offset, limit))
                        .await
                        .map_err(admin_err)?
                };
                let base = format!("/admin/orgs/{}/audit", h.org().id);
                let scope = Some(org_name(h.org(), ctx.lang).to_string());
                audit_answer(&app, &ctx, &p, &filter, events, scope, &base).await
            }
        })
    })
    .await
}
