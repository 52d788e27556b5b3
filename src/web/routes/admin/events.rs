//! The service desk's failed event deliveries in the admin UI: which
//! subscriber, which event, how many attempts and the last error, and a
//! button that sends one again.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::{AdminCtx, AdminForm, AdminPage, CsrfForm, Frame, admin_err};
use crate::admin::{AdminError, OperatorHandle};
use crate::domain::Lang;
use crate::web::pages::render;
use crate::web::time::local;

pub struct EventTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub none: &'static str,
    pub subscriber: &'static str,
    pub event: &'static str,
    pub account: &'static str,
    pub attempts: &'static str,
    pub error: &'static str,
    pub retry: &'static str,
    pub retried: &'static str,
}

const FI: EventTexts = EventTexts {
    title: "Epäonnistuneet tapahtumaviestit",
    intro: "Tapahtumaviestit, joita tilaava palvelu ei ottanut vastaan kaikilla yrityksillä. \
            Kun palvelu toimii taas, lähetä viesti uudelleen.",
    none: "Ei epäonnistuneita viestejä.",
    subscriber: "Palvelu",
    event: "Tapahtuma",
    account: "Tunnus",
    attempts: "Yrityksiä",
    error: "Viimeisin virhe",
    retry: "Lähetä uudelleen",
    retried: "Viesti lähetetään uudelleen.",
};

const SV: EventTexts = EventTexts {
    title: "Misslyckade händelsemeddelanden",
    intro: "Händelsemeddelanden som den prenumererande tjänsten inte tog emot på något \
            försök. När tjänsten fungerar igen, skicka meddelandet på nytt.",
    none: "Inga misslyckade meddelanden.",
    subscriber: "Tjänst",
    event: "Händelse",
    account: "Konto",
    attempts: "Försök",
    error: "Senaste fel",
    retry: "Skicka igen",
    retried: "Meddelandet skickas igen.",
};

const EN: EventTexts = EventTexts {
    title: "Failed event deliveries",
    intro: "Events the subscribing service did not take on any attempt. Once the service \
            works again, send them again.",
    none: "No failed deliveries.",
    subscriber: "Service",
    event: "Event",
    account: "Account",
    attempts: "Attempts",
    error: "Last error",
    retry: "Send again",
    retried: "The event will be sent again.",
};

fn texts(lang: Lang) -> &'static EventTexts {
    match lang {
        Lang::Sv => &SV,
        Lang::En => &EN,
        _ => &FI,
    }
}

pub(super) struct DeliveryRow {
    subscriber: String,
    event_id: i64,
    kind: String,
    at: String,
    account: String,
    attempts: u32,
    error: String,
}

#[derive(Template)]
#[template(path = "admin/events.html")]
pub(super) struct EventsPage<'a> {
    frame: &'a Frame,
    t: &'static EventTexts,
    rows: Vec<DeliveryRow>,
    notice: Option<&'static str>,
}

async fn page(
    ctx: &AdminCtx,
    op: &OperatorHandle<'_>,
    notice: Option<&'static str>,
) -> Result<Response, AdminError> {
    let rows = op
        .event_deliveries("failed", 500)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            subscriber: d.subscriber,
            event_id: d.event.id,
            kind: d.event.kind,
            at: local(d.event.at),
            account: d.event.subject.unwrap_or_default(),
            attempts: d.attempts,
            error: d.last_error.unwrap_or_default(),
        })
        .collect();
    Ok(render(
        &EventsPage {
            frame: &ctx.frame,
            t: texts(ctx.lang),
            rows,
            notice,
        },
        axum::http::StatusCode::OK,
    ))
}

/// `GET /admin/operator/events`.
pub async fn operator_events(
    State(app): State<crate::app::SharedState>,
    ctx: AdminCtx,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.operator(&app) {
            None => ctx.not_found(),
            Some(op) => page(&ctx, &op, None).await.map_err(admin_err)?,
        })
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf: String,
}

impl CsrfForm for RetryForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/operator/events/{subscriber}/{event_id}/retry`.
pub async fn operator_event_retry(
    State(app): State<crate::app::SharedState>,
    Path((subscriber, event_id)): Path<(String, i64)>,
    AdminForm(ctx, _form): AdminForm<RetryForm>,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.operator(&app) {
            None => ctx.not_found(),
            Some(op) => match op.retry_delivery(&subscriber, event_id).await {
                Ok(()) => page(&ctx, &op, Some(texts(ctx.lang).retried))
                    .await
                    .map_err(admin_err)?,
                Err(AdminError::NotFound) => ctx.not_found(),
                Err(e) => return Err(admin_err(e)),
            },
        })
    })
    .await
}
