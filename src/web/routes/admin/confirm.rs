//! Actions that take something away from a person (a new one-time
//! password ends their password and logins; disabling ends their access)
//! are done only when the form says `confirm=yes`. Without it the answer
//! is a page that says what will happen and asks for a reason (optional
//! for a liaison person, required for the service desk), and nothing is
//! done.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::Frame;
use super::ctx::AdminCtx;
use crate::admin::{AdminError, LiaisonHandle};
use crate::web::pages::render;

/// The actions that ask first.
pub(super) fn asks_first(action: &str) -> bool {
    matches!(action, "reset" | "disable")
}

#[derive(Template)]
#[template(path = "admin/confirm.html")]
struct ConfirmPage<'a> {
    frame: &'a Frame,
    heading: &'static str,
    body: &'static str,
    name: String,
    username: String,
    action: String,
    button: &'static str,
    button_class: &'static str,
    reason: &'a str,
    reason_required: bool,
    cancel: String,
    error: Option<&'static str>,
}

/// The question for `action` on account `id`: 200, or 400 with `error`
/// when a confirmed form could not be done (a reason missing or not
/// acceptable).
pub(super) async fn confirm_page(
    ctx: &AdminCtx,
    h: &LiaisonHandle<'_>,
    id: &str,
    action: &str,
    reason: &str,
    error: Option<&'static str>,
) -> Result<Response, AdminError> {
    let v = h.account(id).await?;
    let a = ctx.frame.a;
    let (heading, body, button, button_class) = match action {
        "disable" => (
            a.confirm_disable_title,
            a.confirm_disable_body,
            a.disable,
            "danger",
        ),
        _ => (
            a.confirm_reset_title,
            a.confirm_reset_body,
            a.reset_password,
            "",
        ),
    };
    let base = format!("/admin/orgs/{}/accounts/{}", h.org().id, v.account.id);
    Ok(render(
        &ConfirmPage {
            frame: &ctx.frame,
            heading,
            body,
            name: v.account.display_name(),
            username: v.account.username.clone(),
            action: format!("{base}/{action}"),
            button,
            button_class,
            reason,
            reason_required: h.reason_required(),
            cancel: base,
            error,
        },
        if error.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
    ))
}
