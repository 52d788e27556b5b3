//! Provisioning over SCIM 2.0 (RFC 7643, RFC 7644): an organisation's
//! identity management (Entra ID, for one) creates, changes and disables
//! its staff's accounts under `/scim/v2/`.
//!
//! Authorization by construction: a provisioning client's bearer token
//! names one organisation and some of its networks; [`authenticate`]
//! turns it into a [`Principal`] acting as that organisation's liaison
//! person, and every operation goes through the [`LiaisonHandle`] that
//! `LiaisonScope::for_org` returns for it — the same handle the liaison
//! UI uses. An account out of its reach answers as one that does not
//! exist. Below the web layer: routes parse, call [`Users`] and render.

pub mod filter;
mod patch;
pub mod schema;
pub mod user;

use serde_json::Value;

pub use user::Users;

use crate::admin::{AdminError, LiaisonHandle, LiaisonScope, Principal, TOKEN_PREFIX};
use crate::oidc::Provider;
use crate::store::{ProvisioningClient, StoreError};

/// What a SCIM request can fail with: an HTTP status, a `scimType` where
/// RFC 7644 §3.12 has one, and a detail written for the person reading
/// the identity management's provisioning log. Internal detail stays in
/// the log.
#[derive(Debug, thiserror::Error)]
pub enum ScimError {
    #[error("no valid provisioning token")]
    Unauthorized,
    #[error("not found")]
    NotFound,
    #[error("invalid filter: {0}")]
    InvalidFilter(&'static str),
    #[error("invalid syntax: {0}")]
    InvalidSyntax(String),
    #[error("invalid value: {0}")]
    InvalidValue(String),
    #[error("invalid path: {0}")]
    InvalidPath(String),
    #[error("no target: {0}")]
    NoTarget(String),
    #[error("mutability: {0}")]
    Mutability(String),
    #[error("uniqueness: {0}")]
    Uniqueness(String),
    #[error("the resource changed since it was read")]
    PreconditionFailed,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("not implemented: {0}")]
    NotImplemented(&'static str),
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl ScimError {
    pub fn filter(why: &'static str) -> Self {
        ScimError::InvalidFilter(why)
    }

    pub fn status(&self) -> u16 {
        match self {
            ScimError::Unauthorized => 401,
            ScimError::NotFound => 404,
            ScimError::InvalidFilter(_)
            | ScimError::InvalidSyntax(_)
            | ScimError::InvalidValue(_)
            | ScimError::InvalidPath(_)
            | ScimError::NoTarget(_)
            | ScimError::Mutability(_) => 400,
            ScimError::Uniqueness(_) => 409,
            ScimError::PreconditionFailed => 412,
            ScimError::MethodNotAllowed => 405,
            ScimError::NotImplemented(_) => 501,
            ScimError::Unavailable(_) => 503,
            ScimError::Internal(_) => 500,
        }
    }

    pub fn scim_type(&self) -> Option<&'static str> {
        Some(match self {
            ScimError::InvalidFilter(_) => "invalidFilter",
            ScimError::InvalidSyntax(_) => "invalidSyntax",
            ScimError::InvalidValue(_) => "invalidValue",
            ScimError::InvalidPath(_) => "invalidPath",
            ScimError::NoTarget(_) => "noTarget",
            ScimError::Mutability(_) => "mutability",
            ScimError::Uniqueness(_) => "uniqueness",
            _ => return None,
        })
    }

    /// The `detail` of the error body: nothing internal.
    pub fn detail(&self) -> String {
        match self {
            ScimError::Unauthorized => "Present the organisation's provisioning token as \
                 'Authorization: Bearer <token>'; ask the regional service desk for one."
                .into(),
            ScimError::NotFound => "No such resource within this provisioning client's \
                 organisation and networks."
                .into(),
            ScimError::InvalidFilter(why) => format!("The filter is not supported: {why}."),
            ScimError::InvalidSyntax(m)
            | ScimError::InvalidValue(m)
            | ScimError::InvalidPath(m)
            | ScimError::NoTarget(m)
            | ScimError::Mutability(m)
            | ScimError::Uniqueness(m) => m.clone(),
            ScimError::PreconditionFailed => "The resource changed since its version was read \
                 (If-Match); read it again."
                .into(),
            ScimError::MethodNotAllowed => "This method is not allowed here.".into(),
            ScimError::NotImplemented(what) => format!("{what} is not supported."),
            ScimError::Unavailable(_) => {
                "The service is temporarily unavailable; try again soon.".into()
            }
            ScimError::Internal(_) => "Something went wrong on our side; the X-Request-Id \
                 header identifies it in the log."
                .into(),
        }
    }

    /// The error body (RFC 7644 §3.12).
    pub fn body(&self) -> Value {
        let mut v = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": self.status().to_string(),
            "detail": self.detail(),
        });
        if let (Some(t), Some(o)) = (self.scim_type(), v.as_object_mut()) {
            o.insert("scimType".into(), Value::String(t.into()));
        }
        v
    }
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => ScimError::Unavailable(m),
            StoreError::NotFound(_) => ScimError::NotFound,
            StoreError::Conflict(m) => ScimError::Uniqueness(format!(
                "The {} is already in use.",
                if m.starts_with("external id") {
                    "externalId"
                } else {
                    "userName"
                }
            )),
            other => ScimError::Internal(other.to_string()),
        }
    }
}

/// The SCIM attribute an administration field stands for.
fn attribute_of(field: &str) -> &str {
    match field {
        "username" => "userName",
        "given_name" => "name.givenName",
        "family_name" => "name.familyName",
        "email" => "emails",
        "phone" => "phoneNumbers",
        "external_id" => "externalId",
        "network" => schema::NETWORKS_PATH,
        other => other,
    }
}

impl From<AdminError> for ScimError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::NotFound => ScimError::NotFound,
            AdminError::Invalid {
                field: "managed",
                message: "other_org",
            } => ScimError::Mutability(
                "Another organisation's identity management owns this account.".into(),
            ),
            AdminError::Invalid {
                field: "network",
                message: "not_yours",
            } => ScimError::InvalidValue(format!(
                "{}: this provisioning client may provision only into its own networks.",
                schema::NETWORKS_PATH
            )),
            AdminError::Invalid { field, message } => {
                let attr = attribute_of(field);
                ScimError::InvalidValue(match message {
                    "required" => format!("{attr} is required."),
                    _ => format!("{attr} is not valid."),
                })
            }
            AdminError::Conflict(m) => ScimError::from(StoreError::Conflict(m)),
            AdminError::Store(s) => ScimError::from(s),
            AdminError::Internal(m) => ScimError::Internal(m),
        }
    }
}

/// The provisioning client a bearer token belongs to, if it is live.
pub async fn authenticate(
    app: &Provider,
    token: &str,
) -> Result<Option<ProvisioningClient>, ScimError> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    let digest = crate::admin::token_digest(token);
    let client = app.dir.provisioning_client_by_token(&digest).await?;
    Ok(client.filter(|c| {
        if c.revoked_at.is_some() {
            tracing::warn!(
                client = %c.id,
                org = %c.org_id,
                "a revoked provisioning token was presented; refused"
            );
        }
        c.revoked_at.is_none()
    }))
}

/// The handle a provisioning client acts through: its organisation's, in
/// its networks. `None` when the organisation is gone.
pub async fn handle<'a>(
    app: &'a Provider,
    principal: &'a Principal,
    client: &ProvisioningClient,
) -> Result<LiaisonHandle<'a>, ScimError> {
    LiaisonScope::for_org(app, principal, &client.org_id)
        .await?
        .ok_or(ScimError::Unauthorized)
}
