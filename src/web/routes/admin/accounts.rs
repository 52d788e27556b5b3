//! Liaison work on accounts: list, create, look at, act on, edit.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{AdminCtx, AdminForm, AdminPage, CsrfForm, Frame, PAGE, admin_err, confirm};
use crate::admin::{AdminError, CreateAccount, LiaisonHandle, org_name};
use crate::app::{AppState, SharedState};
use crate::domain::{AccountStatus, Network};
use crate::web::admin_i18n::{AdminTexts, network_name};
use crate::web::error::WebError;
use crate::web::pages::render;
use crate::web::time::local;

pub(super) struct Row {
    pub(super) href: String,
    pub(super) name: String,
    pub(super) username: String,
    pub(super) status: &'static str,
    pub(super) status_class: &'static str,
    pub(super) must_change: bool,
    pub(super) networks: String,
    pub(super) last_login: String,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
pub(super) struct AccountsPage<'a> {
    pub(super) frame: &'a Frame,
    pub(super) org_name: String,
    pub(super) networks: String,
    pub(super) base: String,
    pub(super) q: String,
    pub(super) rows: Vec<Row>,
    pub(super) from: u64,
    pub(super) to: u64,
    pub(super) total: u64,
    pub(super) prev: Option<String>,
    pub(super) next: Option<String>,
    pub(super) can_create: bool,
}

pub(super) fn status_class(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => "ok",
        AccountStatus::Locked => "warn",
        AccountStatus::Disabled => "off",
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub(super) q: String,
    #[serde(default)]
    pub(super) offset: u32,
}

pub(super) fn page_link(base: &str, q: &str, offset: u32) -> String {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    format!("{base}?q={q}&offset={offset}")
}

/// `GET /admin/orgs/{org}/accounts`.
pub async fn accounts(
    State(app): State<SharedState>,
    Path(org): Path<String>,
    Query(lq): Query<ListQuery>,
    ctx: AdminCtx,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.liaison(&app, &org).await? {
            None => ctx.not_found(),
            Some(h) => {
                let page = h.list(&lq.q, lq.offset, PAGE).await.map_err(admin_err)?;
                let base = format!("/admin/orgs/{}/accounts", h.org().id);
                let a = ctx.frame.a;
                let rows = page
                    .items
                    .iter()
                    .map(|v| Row {
                        href: format!("{base}/{}", v.account.id),
                        name: format!("{} {}", v.account.family_name, v.account.given_name),
                        username: v.account.username.clone(),
                        status: a.status(v.account.status),
                        status_class: status_class(v.account.status),
                        must_change: v.account.must_change_password,
                        networks: v
                            .networks()
                            .iter()
                            .map(|n| network_name(*n))
                            .collect::<Vec<_>>()
                            .join(", "),
                        last_login: v.account.last_login_at.map_or(a.never.to_string(), local),
                    })
                    .collect();
                let shown = page.items.len() as u64;
                render(
                    &AccountsPage {
                        frame: &ctx.frame,
                        org_name: org_name(h.org(), ctx.lang).to_string(),
                        networks: h
                            .networks()
                            .iter()
                            .map(|n| network_name(*n))
                            .collect::<Vec<_>>()
                            .join(", "),
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
                        can_create: true,
                    },
                    StatusCode::OK,
                )
            }
        })
    })
    .await
}

pub struct Field {
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) kind: &'static str,
    pub(super) value: String,
    pub(super) hint: Option<&'static str>,
    pub(super) error: Option<&'static str>,
    pub(super) optional: bool,
    pub(super) autocomplete: &'static str,
    pub(super) options: Vec<(String, String)>,
    pub(super) readonly: bool,
    pub(super) multiple: bool,
}

impl Field {
    pub(super) fn text(name: &'static str, label: &'static str, value: &str) -> Self {
        Self {
            name,
            label,
            kind: "text",
            value: value.to_string(),
            hint: None,
            error: None,
            optional: false,
            autocomplete: "off",
            options: Vec::new(),
            readonly: false,
            multiple: false,
        }
    }
    pub(super) fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub(super) fn kind(mut self, k: &'static str, autocomplete: &'static str) -> Self {
        self.kind = k;
        self.autocomplete = autocomplete;
        self
    }
    pub(super) fn hint(mut self, h: &'static str) -> Self {
        self.hint = Some(h);
        self
    }
}

#[derive(Template)]
#[template(path = "admin/account_form.html")]
pub(super) struct AccountFormPage<'a> {
    pub(super) frame: &'a Frame,
    pub(super) heading: &'static str,
    pub(super) org_name: String,
    pub(super) action: String,
    pub(super) cancel: String,
    pub(super) submit: &'static str,
    pub(super) fields: Vec<Field>,
    pub(super) nonce: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct AccountForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) nonce: String,
    #[serde(default)]
    pub(super) given_name: String,
    #[serde(default)]
    pub(super) family_name: String,
    #[serde(default)]
    pub(super) email: String,
    #[serde(default)]
    pub(super) phone: String,
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) network: String,
    #[serde(default)]
    pub(super) reason: String,
}

impl CsrfForm for AccountForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl AccountForm {
    fn input(&self) -> CreateAccount {
        CreateAccount {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            title: self.title.clone(),
            network: self.network.clone(),
        }
    }
}

pub(super) fn account_fields(
    a: &AdminTexts,
    f: &AccountForm,
    networks: Option<&[Network]>,
    reason: bool,
    err: Option<(&str, &'static str)>,
) -> Vec<Field> {
    let mut fields = vec![
        Field::text("given_name", a.given_name, &f.given_name),
        Field::text("family_name", a.family_name, &f.family_name),
        Field::text("email", a.email, &f.email)
            .kind("email", "off")
            .optional(),
        Field::text("phone", a.phone, &f.phone)
            .kind("tel", "off")
            .optional(),
        Field::text("title", a.job_title, &f.title).optional(),
    ];
    if let Some(nets) = networks {
        let mut n = Field::text("network", a.network, &f.network);
        n.options = nets
            .iter()
            .map(|n| (n.as_str().to_string(), network_name(*n).to_string()))
            .collect();
        fields.push(n);
    }
    if reason {
        fields.push(Field::text("reason", a.reason, &f.reason).hint(a.reason_hint));
    }
    if let Some((field, msg)) = err
        && let Some(x) = fields.iter_mut().find(|x| x.name == field)
    {
        x.error = Some(msg);
    }
    fields
}

/// Double submission of one form creates one account: the form's nonce is
/// remembered for a while with what it created.
pub(super) async fn first_submission(app: &AppState, nonce: &str) -> Result<bool, WebError> {
    if nonce.is_empty() {
        return Ok(true);
    }
    Ok(app
        .eph
        .raw()
        .put_if_absent(
            &format!("form:{nonce}"),
            b"1".to_vec(),
            std::time::Duration::from_secs(3600),
        )
        .await?)
}

/// `GET /admin/orgs/{org}/accounts/new`.
pub async fn new_account(
    State(app): State<SharedState>,
    Path(org): Path<String>,
    ctx: AdminCtx,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.liaison(&app, &org).await? {
            None => ctx.not_found(),
            Some(h) => {
                let form = AccountForm {
                    network: h
                        .networks()
                        .first()
                        .map(|n| n.as_str().to_string())
                        .unwrap_or_default(),
                    ..Default::default()
                };
                account_form(&ctx, &h, &form, None)
            }
        })
    })
    .await
}

pub(super) fn account_form(
    ctx: &AdminCtx,
    h: &LiaisonHandle<'_>,
    form: &AccountForm,
    err: Option<(&str, &'static str)>,
) -> Response {
    let f = &ctx.frame;
    let nets: Vec<Network> = h
        .networks()
        .iter()
        .copied()
        .filter(|n| h.org().networks.contains(n))
        .collect();
    let status = if err.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(
        &AccountFormPage {
            frame: &ctx.frame,
            heading: f.a.create_account,
            org_name: org_name(h.org(), ctx.lang).to_string(),
            action: format!("/admin/orgs/{}/accounts", h.org().id),
            cancel: format!("/admin/orgs/{}/accounts", h.org().id),
            submit: f.a.create,
            fields: account_fields(f.a, form, Some(&nets), h.reason_required(), err),
            nonce: crate::tokens::random_token(12),
        },
        status,
    )
}

#[derive(Template)]
#[template(path = "admin/secret.html")]
pub(super) struct SecretPage<'a> {
    pub(super) frame: &'a Frame,
    pub(super) heading: &'static str,
    pub(super) name: String,
    pub(super) username: String,
    pub(super) password: String,
    pub(super) back: String,
}

/// `POST /admin/orgs/{org}/accounts`.
pub async fn create_account(
    State(app): State<SharedState>,
    Path(org): Path<String>,
    AdminForm(ctx, form): AdminForm<AccountForm>,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.liaison(&app, &org).await? {
            None => ctx.not_found(),
            Some(h) => {
                let a = ctx.frame.a;
                if !first_submission(&app, &form.nonce).await? {
                    // Sent twice: the first one created the account.
                    Redirect::to(&format!("/admin/orgs/{}/accounts", h.org().id)).into_response()
                } else {
                    match h.create(&form.input()).await {
                        Ok((view, otp)) => render(
                            &SecretPage {
                                frame: &ctx.frame,
                                heading: a.created_title,
                                name: view.account.display_name(),
                                username: view.account.username.clone(),
                                password: otp.0,
                                back: format!("/admin/orgs/{}/accounts", h.org().id),
                            },
                            StatusCode::CREATED,
                        ),
                        Err(AdminError::Invalid { field, message }) => {
                            // Let the person correct and send the form again.
                            let _ = app.eph.raw().delete(&format!("form:{}", form.nonce)).await;
                            account_form(
                                &ctx,
                                &h,
                                &form,
                                Some((field, a.field_error(field, message))),
                            )
                        }
                        Err(e) => return Err(admin_err(e)),
                    }
                }
            }
        })
    })
    .await
}

pub(super) struct AccountFacts {
    pub(super) name: String,
    pub(super) username: String,
    pub(super) status: &'static str,
    pub(super) status_class: &'static str,
    pub(super) status_reason: Option<String>,
    pub(super) must_change: bool,
    pub(super) networks: String,
    pub(super) email: String,
    pub(super) phone: String,
    pub(super) title: String,
    pub(super) last_login: String,
}

pub(super) struct Action {
    pub(super) id: &'static str,
    pub(super) action: String,
    pub(super) label: String,
    pub(super) class: &'static str,
    pub(super) network: Option<String>,
    /// The action asks for confirmation (and its reason) on a page of its own.
    pub(super) confirm: bool,
}

#[derive(Template)]
#[template(path = "admin/account.html")]
pub(super) struct AccountPage<'a> {
    pub(super) frame: &'a Frame,
    pub(super) notice: Option<&'static str>,
    pub(super) v: AccountFacts,
    pub(super) actions: Vec<Action>,
    pub(super) reason_required: bool,
    pub(super) back: String,
    pub(super) edit: String,
    pub(super) form_error: Option<&'static str>,
    pub(super) p: &'static crate::web::passkey_i18n::PasskeyTexts,
    pub(super) passkeys: Vec<crate::web::routes::passkeys::Row>,
    pub(super) passkey_action: String,
    /// What the organisation's identity management keeps, when it keeps
    /// this account's data (SCIM): no edit, no enabling, no moving here.
    pub(super) managed: Option<&'static str>,
}

pub(super) async fn account_page(
    ctx: &AdminCtx,
    h: &LiaisonHandle<'_>,
    id: &str,
    notice: Option<&'static str>,
    form_error: Option<&'static str>,
) -> Result<Response, AdminError> {
    let v = h.account(id).await?;
    let a = ctx.frame.a;
    let base = format!("/admin/orgs/{}/accounts/{}", h.org().id, v.account.id);
    let acc = &v.account;
    let mut actions = Vec::new();
    let mut act =
        |id: &'static str, label: String, class: &'static str, network: Option<String>| {
            actions.push(Action {
                id,
                action: format!("{base}/{id}"),
                label,
                class,
                network,
                confirm: super::confirm::asks_first(id),
            });
        };
    let managed = acc.managed_by.is_some();
    match acc.status {
        AccountStatus::Locked => act("unlock", a.unlock.into(), "", None),
        AccountStatus::Disabled if !managed => act("enable", a.enable.into(), "", None),
        AccountStatus::Disabled | AccountStatus::Active => {}
    }
    if acc.status != AccountStatus::Disabled {
        act("reset", a.reset_password.into(), "secondary", None);
        act("disable", a.disable.into(), "danger", None);
    }
    for n in h.networks() {
        if !managed && h.org().networks.contains(n) && !v.networks().contains(n) {
            act(
                "move",
                format!("{} {}", a.move_to, network_name(*n)),
                "secondary",
                Some(n.as_str().to_string()),
            );
        }
    }
    let reason_text = acc.status_reason.as_deref().map(|r| {
        if r == "too_many_failed_logins" {
            a.locked_because_failures.to_string()
        } else {
            r.to_string()
        }
    });
    let status = if form_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render(
        &AccountPage {
            frame: &ctx.frame,
            notice,
            v: AccountFacts {
                name: acc.display_name(),
                username: acc.username.clone(),
                status: a.status(acc.status),
                status_class: status_class(acc.status),
                status_reason: reason_text,
                must_change: acc.must_change_password,
                networks: v
                    .networks()
                    .iter()
                    .map(|n| network_name(*n))
                    .collect::<Vec<_>>()
                    .join(", "),
                email: acc.email.clone().unwrap_or_default(),
                phone: acc.phone.clone().unwrap_or_default(),
                title: acc.title.clone().unwrap_or_default(),
                last_login: acc.last_login_at.map_or(a.never.to_string(), local),
            },
            actions,
            reason_required: h.reason_required(),
            back: format!("/admin/orgs/{}/accounts", h.org().id),
            edit: format!("{base}/edit"),
            form_error,
            p: crate::web::passkey_i18n::passkey_texts(ctx.lang),
            passkeys: crate::web::routes::passkeys::rows(
                crate::web::passkey_i18n::passkey_texts(ctx.lang),
                &h.passkeys(id).await?,
            ),
            passkey_action: format!("{base}/passkey-remove"),
            managed: managed.then_some(a.managed_note),
        },
        status,
    ))
}

/// `GET /admin/orgs/{org}/accounts/{id}`.
pub async fn account(
    State(app): State<SharedState>,
    Path((org, id)): Path<(String, String)>,
    ctx: AdminCtx,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.liaison(&app, &org).await? {
            None => ctx.not_found(),
            Some(h) => match account_page(&ctx, &h, &id, None, None).await {
                Ok(r) => r,
                Err(AdminError::NotFound) => ctx.not_found(),
                Err(e) => return Err(admin_err(e)),
            },
        })
    })
    .await
}

#[derive(Debug, Deserialize, Default)]
pub struct ActionForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) reason: String,
    #[serde(default)]
    pub(super) network: String,
    /// `yes` from the confirmation page (see [`super::confirm`]).
    #[serde(default)]
    pub(super) confirm: String,
    /// The passkey to remove (`passkey-remove`).
    #[serde(default)]
    pub(super) passkey: String,
}

impl CsrfForm for ActionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/orgs/{org}/accounts/{id}/{action}`.
pub async fn account_action(
    State(app): State<SharedState>,
    Path((org, id, action)): Path<(String, String, String)>,
    AdminForm(ctx, form): AdminForm<ActionForm>,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.liaison(&app, &org).await? {
            None => ctx.not_found(),
            Some(h) => {
                let a = ctx.frame.a;
                let asks_first = confirm::asks_first(&action);
                if asks_first && form.confirm != "yes" {
                    return Ok(
                        match confirm::confirm_page(&ctx, &h, &id, &action, &form.reason, None)
                            .await
                        {
                            Ok(r) => r,
                            Err(AdminError::NotFound) => ctx.not_found(),
                            Err(e) => return Err(admin_err(e)),
                        },
                    );
                }
                let reason = Some(form.reason.as_str());
                let outcome = match action.as_str() {
                    "unlock" => h.unlock(&id, reason).await.map(|()| None),
                    "disable" => h.disable(&id, reason).await.map(|()| None),
                    "enable" => h.enable(&id, reason).await.map(|()| None),
                    "move" => h
                        .move_network(&id, &form.network, reason)
                        .await
                        .map(|()| None),
                    "reset" => h.reset_password(&id, reason).await.map(Some),
                    "passkey-remove" => h
                        .remove_passkey(&id, &form.passkey, reason)
                        .await
                        .map(|()| None),
                    _ => Err(AdminError::NotFound),
                };
                match outcome {
                    Ok(Some(otp)) => {
                        let v = h.account(&id).await.map_err(admin_err)?;
                        render(
                            &SecretPage {
                                frame: &ctx.frame,
                                heading: a.reset_title,
                                name: v.account.display_name(),
                                username: v.account.username.clone(),
                                password: otp.0,
                                back: format!("/admin/orgs/{}/accounts/{}", h.org().id, id),
                            },
                            StatusCode::OK,
                        )
                    }
                    Ok(None) => match account_page(&ctx, &h, &id, Some(a.done), None).await {
                        Ok(r) => r,
                        Err(e) => return Err(admin_err(e)),
                    },
                    Err(AdminError::NotFound) => ctx.not_found(),
                    Err(AdminError::Invalid { field, message }) => {
                        let msg = a.field_error(field, message);
                        let page = if asks_first && field == "reason" {
                            confirm::confirm_page(&ctx, &h, &id, &action, &form.reason, Some(msg))
                                .await
                        } else {
                            account_page(&ctx, &h, &id, None, Some(msg)).await
                        };
                        match page {
                            Ok(r) => r,
                            Err(AdminError::NotFound) => ctx.not_found(),
                            Err(e) => return Err(admin_err(e)),
                        }
                    }
                    Err(e) => return Err(admin_err(e)),
                }
            }
        })
    })
    .await
}

/// `GET /admin/orgs/{org}/accounts/{id}/edit`.
pub async fn edit_account(
    State(app): State<SharedState>,
    Path((org, id)): Path<(String, String)>,
    ctx: AdminCtx,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.liaison(&app, &org).await? {
            None => ctx.not_found(),
            Some(h) => match h.account(&id).await {
                Ok(v) => {
                    let acc = &v.account;
                    let form = AccountForm {
                        given_name: acc.given_name.clone(),
                        family_name: acc.family_name.clone(),
                        email: acc.email.clone().unwrap_or_default(),
                        phone: acc.phone.clone().unwrap_or_default(),
                        title: acc.title.clone().unwrap_or_default(),
                        ..Default::default()
                    };
                    edit_form(&ctx, &h, &id, &form, None)
                }
                Err(AdminError::NotFound) => ctx.not_found(),
                Err(e) => return Err(admin_err(e)),
            },
        })
    })
    .await
}

pub(super) fn edit_form(
    ctx: &AdminCtx,
    h: &LiaisonHandle<'_>,
    id: &str,
    form: &AccountForm,
    err: Option<(&str, &'static str)>,
) -> Response {
    let f = &ctx.frame;
    render(
        &AccountFormPage {
            frame: &ctx.frame,
            heading: f.a.edit_contact,
            org_name: org_name(h.org(), ctx.lang).to_string(),
            action: format!("/admin/orgs/{}/accounts/{id}/edit", h.org().id),
            cancel: format!("/admin/orgs/{}/accounts/{id}", h.org().id),
            submit: f.a.save,
            fields: account_fields(f.a, form, None, h.reason_required(), err),
            nonce: String::new(),
        },
        if err.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
    )
}

/// `POST /admin/orgs/{org}/accounts/{id}/edit`.
pub async fn save_account(
    State(app): State<SharedState>,
    Path((org, id)): Path<(String, String)>,
    AdminForm(ctx, form): AdminForm<AccountForm>,
) -> AdminPage {
    ctx.page(async {
        Ok(match ctx.liaison(&app, &org).await? {
            None => ctx.not_found(),
            Some(h) => {
                if matches!(h.account(&id).await, Err(AdminError::NotFound)) {
                    ctx.not_found()
                } else {
                    match h.edit(&id, &form.input(), Some(&form.reason)).await {
                        Ok(()) => {
                            match account_page(&ctx, &h, &id, Some(ctx.frame.a.done), None).await {
                                Ok(r) => r,
                                Err(e) => return Err(admin_err(e)),
                            }
                        }
                        Err(AdminError::NotFound) => ctx.not_found(),
                        Err(AdminError::Invalid { field, message }) => edit_form(
                            &ctx,
                            &h,
                            &id,
                            &form,
                            Some((field, ctx.frame.a.field_error(field, message))),
                        ),
                        Err(e) => return Err(admin_err(e)),
                    }
                }
            }
        })
    })
    .await
}
