//! The reusable parts of the OpenAPI document: schemas of what goes in
//! and out (the closed sets from the domain types) and error responses.

use serde_json::{Value, json};

use super::schema;
use crate::domain::{AccountStatus, AuthMethod, LoA, Network, OrgKind, Role};

fn texts<T: Copy>(all: &[T], text: impl Fn(T) -> &'static str) -> Value {
    json!({ "type": "string", "enum": all.iter().map(|v| text(*v)).collect::<Vec<_>>() })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

fn input(properties: Value) -> Value {
    json!({ "type": "object", "additionalProperties": false, "properties": properties })
}

pub(super) fn schemas() -> Value {
    let s = || json!({ "type": "string" });
    let ns = || json!({ "type": "string", "nullable": true });
    let unix = |d: &str| json!({ "type": "integer", "format": "int64", "description": d });
    let page = |item: &str| {
        object(
            &["items", "total", "offset", "limit"],
            json!({ "items": { "type": "array", "items": schema(item) },
                    "total": { "type": "integer", "description": "All matches." },
                    "offset": { "type": "integer" }, "limit": { "type": "integer" } }),
        )
    };
    let account_props = json!({
        "id": s(), "username": s(), "given_name": s(), "family_name": s(),
        "email": ns(), "phone": ns(), "title": ns(),
        "status": schema("AccountStatus"),
        "status_reason": { "type": "string", "nullable": true,
            "description": "Why locked or disabled, e.g. too_many_failed_logins." },
        "must_change_password": { "type": "boolean" },
        "failed_logins": { "type": "integer" },
        "created_at": unix("Unix seconds."),
        "last_login_at": { "type": "integer", "format": "int64", "nullable": true },
        "managed_by": { "type": "string", "nullable": true,
            "description": "The organisation whose identity management owns the account's \
                            names, contacts, networks and status (SCIM); null: by hand." },
        "external_id": { "type": "string", "nullable": true,
            "description": "That identity management's id for the person." },
        "updated_at": { "type": "integer", "format": "int64", "nullable": true },
    });
    let account_required = [
        "id",
        "username",
        "given_name",
        "family_name",
        "status",
        "must_change_password",
        "failed_logins",
        "created_at",
    ];
    let mut view_props = account_props.clone();
    if let Some(o) = view_props.as_object_mut() {
        o.insert(
            "memberships".into(),
            json!({ "type": "array", "items": schema("Membership") }),
        );
    }
    let mut view_required = account_required.to_vec();
    view_required.push("memberships");
    let org_props = json!({
        "id": s(), "oid": { "type": "string", "example": "1.2.246.10.1234567.10.0" },
        "business_id": { "type": "string", "example": "1234567-8" },
        "name_fi": s(), "name_sv": s(), "kind": schema("OrgKind"),
        "municipality": ns(),
        "networks": { "type": "array", "items": schema("Network") },
    });
    let mut detail_props = org_props.clone();
    if let Some(o) = detail_props.as_object_mut() {
        o.insert(
            "liaisons".into(),
            json!({ "type": "array", "items": schema("LiaisonContact") }),
        );
    }
    let otp = json!({ "type": "string", "example": "abcd-efgh-jkmn",
        "description": "Shown once; the person must change it at the next login." });
    let reason = json!({ "type": "string", "minLength": 3, "maxLength": 500,
        "description": "Why (e.g. a ticket number); required of the service desk." });
    let mut all = json!({
        "Error": object(&["error", "message"], json!({
            "error": { "type": "string", "enum": ["unauthenticated", "invalid_token",
                "not_strong", "password_change_required", "csrf", "not_found", "invalid", "unsupported_media_type",
                "conflict", "temporarily_unavailable", "server_error"] },
            "field": { "type": "string", "description": "With invalid: the field at fault." },
            "message": { "type": "string", "description": "For people, in English." },
        })),
        "Network": texts(Network::ALL, Network::as_str),
        "OrgKind": texts(OrgKind::ALL, OrgKind::as_str),
        "AccountStatus": texts(AccountStatus::ALL, AccountStatus::as_str),
        "Role": texts(Role::ALL, Role::as_str),
        "LoA": texts(LoA::ALL, LoA::as_str),
        "AuthMethod": texts(AuthMethod::ALL, AuthMethod::as_str),
        "Me": object(&["principal", "operator", "organisations"], json!({
            "principal": object(&["id", "name", "kind", "loa", "methods"], json!({
                "id": { "type": "string",
                    "description": "Account id, or client:<client_id> for a service client." },
                "name": s(),
                "kind": { "type": "string", "enum": ["person", "service_client"] },
                "loa": schema("LoA"),
                "methods": { "type": "array", "items": schema("AuthMethod") },
            })),
            "operator": { "type": "boolean", "description": "The service desk." },
            "organisations": { "type": "array", "items": object(
                &["id", "name_fi", "name_sv", "networks"], json!({
                    "id": s(), "name_fi": s(), "name_sv": s(),
                    "networks": { "type": "array", "items": schema("Network") },
                })) },
            "csrf_token": { "type": "string",
                "description": "With the session cookie only: send it as X-CSRF-Token." },
        })),
        "Account": object(&account_required, account_props),
        "Membership": object(&["account_id", "org_id", "network", "role"], json!({
            "account_id": s(), "org_id": s(), "network": schema("Network"),
            "role": schema("Role"),
        })),
        "AccountView": object(&view_required, view_props),
        "AccountViewPage": page("AccountView"),
        "AccountPage": page("Account"),
        "NewAccount": input(json!({
            "given_name": s(), "family_name": s(),
            "email": ns(), "phone": { "type": "string", "nullable": true,
                "example": "040 123 4567" },
            "title": ns(), "network": schema("Network"),
        })),
        "AccountCreated": object(&["account", "one_time_password"], json!({
            "account": schema("AccountView"), "one_time_password": otp,
        })),
        "AccountEdit": input(json!({
            "given_name": s(), "family_name": s(), "email": ns(), "phone": ns(),
            "title": ns(), "reason": reason,
        })),
        "AccountAction": input(json!({
            "reason": reason,
            "network": { "allOf": [schema("Network")], "description": "move only." },
        })),
        "Reason": {
            "type": "object", "additionalProperties": false, "required": ["reason"],
            "properties": { "reason": reason },
        },
        "OneTimePassword": object(&["one_time_password"], json!({ "one_time_password": otp })),
        "Organisation": object(
            &["id", "oid", "business_id", "name_fi", "name_sv", "kind", "networks"],
            org_props.clone(),
        ),
        "OrganisationList": object(&["items"], json!({
            "items": { "type": "array", "items": schema("Organisation") },
        })),
        "OrganisationDetail": object(
            &["id", "oid", "business_id", "name_fi", "name_sv", "kind", "networks", "liaisons"],
            detail_props,
        ),
        "OrganisationInput": {
            "type": "object", "additionalProperties": false,
            "required": ["name_fi", "name_sv", "business_id", "oid", "kind"],
            "properties": {
                "id": { "type": "string", "pattern": "^[a-z0-9-]{1,64}$",
                    "description": "Required when adding; must equal the path's when updating." },
                "name_fi": s(), "name_sv": s(),
                "business_id": { "type": "string", "example": "1234567-8" },
                "oid": { "type": "string", "example": "1.2.246.10.1234567.10.0" },
                "kind": schema("OrgKind"), "municipality": ns(),
                "networks": { "type": "array", "items": schema("Network") },
            },
        },
        "LiaisonContact": object(&["account_id", "org_id", "network", "name"], json!({
            "account_id": s(), "org_id": s(), "network": schema("Network"), "name": s(),
            "email": ns(), "phone": ns(),
        })),
        "LiaisonInput": {
            "type": "object", "additionalProperties": false,
            "required": ["username", "network"],
            "properties": { "username": s(), "network": schema("Network"),
                "email": ns(), "phone": ns() },
        },
        "AuditEvent": object(&["at", "time", "actor", "action"], json!({
            "at": unix("Unix seconds."),
            "time": { "type": "string", "format": "date-time" },
            "actor": s(), "action": { "type": "string", "example": "admin.account.unlocked" },
            "subject": ns(), "org_id": ns(), "source_ip": ns(), "reason": ns(),
            "detail": { "type": "string", "nullable": true, "description": "JSON text." },
        })),
        "AuditPage": object(&["items", "offset", "limit"], json!({
            "items": { "type": "array", "items": schema("AuditEvent") },
            "offset": { "type": "integer" }, "limit": { "type": "integer" },
        })),
    });
    if let Some(o) = all.as_object_mut() {
        o.extend(provisioning_schemas());
    }
    all
}

/// The provisioning clients' schemas.
fn provisioning_schemas() -> serde_json::Map<String, Value> {
    let s = || json!({ "type": "string" });
    let unix = |d: &str| json!({ "type": "integer", "format": "int64", "description": d });
    let v = json!({
        "ProvisioningClient": object(
            &["id", "org_id", "name", "networks", "created_at", "created_by"],
            json!({
                "id": s(), "org_id": s(), "name": s(),
                "networks": { "type": "array", "items": schema("Network") },
                "created_at": unix("Unix seconds."),
                "created_by": s(),
                "revoked_at": { "type": "integer", "format": "int64", "nullable": true },
            }),
        ),
        "ProvisioningClientInput": {
            "type": "object", "additionalProperties": false,
            "required": ["name"],
            "properties": {
                "name": { "type": "string", "example": "Entra ID, tuotanto" },
                "networks": { "type": "array", "items": schema("Network"),
                    "description": "The networks it may provision into; absent or empty: \
                                    all of the organisation's." },
            },
        },
        "EventDelivery": object(
            &["subscriber", "event", "state", "attempts", "next_at"],
            json!({
                "subscriber": s(),
                "event": { "type": "object", "properties": {
                    "id": { "type": "integer", "format": "int64" },
                    "at": unix("Unix seconds."),
                    "type": { "type": "string", "example": "account.disabled" },
                    "org_id": { "type": "string", "nullable": true },
                    "subject": { "type": "string", "nullable": true },
                    "actor": s(), "action": s() } },
                "state": { "type": "string", "enum": ["pending", "delivered", "failed"] },
                "attempts": { "type": "integer" },
                "next_at": unix("When it is tried next (pending)."),
                "last_status": { "type": "integer", "nullable": true },
                "last_error": { "type": "string", "nullable": true },
                "delivered_at": { "type": "integer", "format": "int64", "nullable": true },
            }),
        ),
        "NewProvisioningClient": object(&["client", "token"], json!({
            "client": schema("ProvisioningClient"),
            "token": { "type": "string", "example": "pvscim_…",
                "description": "The bearer token for /scim/v2/, shown once." },
        })),
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

pub(super) fn responses() -> Value {
    let r = |d: &str| {
        json!({ "description": d,
                "content": { "application/json": { "schema": schema("Error") } } })
    };
    json!({
        "Invalid": r("invalid: a field's value (named in field) is not acceptable."),
        "Unauthenticated": r("unauthenticated (no session, no token) or invalid_token."),
        "Forbidden": r("not_strong: identified, but not strongly enough; \
            password_change_required: logged in with a one-time password, not changed yet; \
            csrf: the X-CSRF-Token header is missing or wrong (cookie callers)."),
        "NotFound": r("not_found: unknown, or out of the caller's reach; the same body."),
        "Conflict": r("conflict: the state changed under the request."),
        "UnsupportedMediaType": r("unsupported_media_type: the body is not application/json."),
        "Unavailable": r("temporarily_unavailable: a store is down; retry (Retry-After)."),
    })
}
