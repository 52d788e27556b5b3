//! The OpenAPI 3.0 description of the administration API, written by hand
//! next to the handlers it describes. The closed sets (networks, kinds,
//! statuses, roles, levels, methods) come from the domain types, so they
//! cannot drift. `tests/it/admin_api/openapi.rs` checks that every route
//! registered in `web/mod.rs` is described here, and nothing else.

use serde_json::{Value, json};

use crate::app::AppState;
use crate::web::browser::cookie_name;

mod components;

const PREFIX: &str = "/admin/api/v1";

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true,
            "description": description, "schema": { "type": "string" } })
}

fn action_param(actions: &[&str]) -> Value {
    json!({ "name": "action", "in": "path", "required": true,
            "schema": { "type": "string", "enum": actions } })
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false,
            "description": description, "schema": schema })
}

fn paging(default_limit: u32, max_limit: u32) -> [Value; 2] {
    [
        query(
            "offset",
            "How many items to skip.",
            json!({ "type": "integer", "minimum": 0, "default": 0 }),
        ),
        query(
            "limit",
            "How many items at most.",
            json!({ "type": "integer", "minimum": 1, "maximum": max_limit,
                    "default": default_limit }),
        ),
    ]
}

fn format_param() -> Value {
    query(
        "format",
        "json: a page of events; jsonl: JSON lines (one event per line); csv: RFC 4180 CSV \
         with a header row (a leading =, +, - or @ is quoted away).",
        json!({ "type": "string", "enum": ["json", "jsonl", "csv"], "default": "json" }),
    )
}

fn ok(description: &str, body: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": body } } })
}

fn error_ref(code: &str) -> Value {
    let name = match code {
        "400" => "Invalid",
        "401" => "Unauthenticated",
        "403" => "Forbidden",
        "404" => "NotFound",
        "409" => "Conflict",
        "415" => "UnsupportedMediaType",
        _ => "Unavailable",
    };
    json!({ "$ref": format!("#/components/responses/{name}") })
}

/// One operation. `body` names a request schema; `changes` marks a
/// state-changing request (CSRF header with the cookie).
struct Op<'a> {
    tag: &'a str,
    id: &'a str,
    summary: &'a str,
    params: Vec<Value>,
    body: Option<&'a str>,
    responses: Vec<(&'a str, Value)>,
    errors: &'a [&'a str],
}

impl Op<'_> {
    fn to_json(&self, changes: bool) -> Value {
        let mut responses = serde_json::Map::new();
        for (code, r) in &self.responses {
            responses.insert((*code).to_string(), r.clone());
        }
        for code in ["401", "403", "404", "503"].iter().chain(self.errors) {
            responses.insert((*code).to_string(), error_ref(code));
        }
        let security = if changes {
            json!([{ "session": [], "csrf": [] }, { "bearer": [] }])
        } else {
            json!([{ "session": [] }, { "bearer": [] }])
        };
        let mut op = json!({
            "tags": [self.tag],
            "operationId": self.id,
            "summary": self.summary,
            "parameters": self.params,
            "responses": responses,
            "security": security,
        });
        if let (Some(name), Some(o)) = (self.body, op.as_object_mut()) {
            o.insert(
                "requestBody".into(),
                json!({ "required": false, "content": { "application/json": { "schema": schema(name) } } }),
            );
        }
        op
    }
}

fn account_paths() -> Vec<(String, &'static str, Value)> {
    let org = || path_param("org", "The organisation's id, e.g. `jkl`.");
    let id = || path_param("id", "The account's id (the `sub` of its tokens).");
    let [offset, limit] = paging(25, 200);
    let [aoffset, alimit] = paging(50, 10_000);
    let list = Op {
        tag: "accounts",
        id: "listAccounts",
        summary: "The organisation's accounts in the caller's networks, searched by username, \
                  name or e-mail.",
        params: vec![
            org(),
            query("q", "Words to search for.", json!({ "type": "string" })),
            offset,
            limit,
        ],
        body: None,
        responses: vec![("200", ok("A page of accounts.", schema("AccountViewPage")))],
        errors: &["400"],
    };
    let create = Op {
        tag: "accounts",
        id: "createAccount",
        summary: "Creates an account with a first membership; the username is made from the \
                  names. The one-time password is shown only in this answer.",
        params: vec![org()],
        body: Some("NewAccount"),
        responses: vec![(
            "201",
            ok(
                "Created; `Location` names the account.",
                schema("AccountCreated"),
            ),
        )],
        errors: &["400", "409", "415"],
    };
    let get = Op {
        tag: "accounts",
        id: "getAccount",
        summary: "One account with its memberships in the organisation.",
        params: vec![org(), id()],
        body: None,
        responses: vec![("200", ok("The account.", schema("AccountView")))],
        errors: &[],
    };
    let edit = Op {
        tag: "accounts",
        id: "editAccount",
        summary: "Replaces the contact details; an absent or empty optional field is cleared.",
        params: vec![org(), id()],
        body: Some("AccountEdit"),
        responses: vec![("200", ok("The account afterwards.", schema("AccountView")))],
        errors: &["400", "415"],
    };
    let action = Op {
        tag: "accounts",
        id: "accountAction",
        summary: "unlock (a locked account), reset-password (also lifts a lock and ends the \
                  person's sessions), disable (ends the sessions), enable, move (to `network`). \
                  The service desk must give a `reason`.",
        params: vec![
            org(),
            id(),
            action_param(&["unlock", "reset-password", "disable", "enable", "move"]),
        ],
        body: Some("AccountAction"),
        responses: vec![(
            "200",
            ok(
                "The account afterwards; for reset-password, the one-time password.",
                json!({ "oneOf": [schema("AccountView"), schema("OneTimePassword")] }),
            ),
        )],
        errors: &["400", "415"],
    };
    let audit = Op {
        tag: "audit",
        id: "orgAudit",
        summary: "The organisation's audit trail, newest first: its administrative actions and \
                  everything about its accounts. JSON by default; exports up to 10,000 events.",
        params: vec![org(), aoffset, alimit, format_param()],
        body: None,
        responses: vec![("200", audit_ok())],
        errors: &["400"],
    };
    vec![
        (
            format!("{PREFIX}/orgs/{{org}}/accounts"),
            "get",
            list.to_json(false),
        ),
        (
            format!("{PREFIX}/orgs/{{org}}/accounts"),
            "post",
            create.to_json(true),
        ),
        (
            format!("{PREFIX}/orgs/{{org}}/accounts/{{id}}"),
            "get",
            get.to_json(false),
        ),
        (
            format!("{PREFIX}/orgs/{{org}}/accounts/{{id}}"),
            "put",
            edit.to_json(true),
        ),
        (
            format!("{PREFIX}/orgs/{{org}}/accounts/{{id}}/{{action}}"),
            "post",
            action.to_json(true),
        ),
        (
            format!("{PREFIX}/orgs/{{org}}/audit"),
            "get",
            audit.to_json(false),
        ),
    ]
}

fn audit_ok() -> Value {
    json!({
        "description": "Audit events in the asked format.",
        "content": {
            "application/json": { "schema": schema("AuditPage") },
            "application/jsonl": { "schema": { "type": "string",
                "description": "One AuditEvent object per line." } },
            "text/csv": { "schema": { "type": "string",
                "description": "time,actor,action,subject,org_id,source_ip,reason,detail" } },
        }
    })
}

fn operator_paths() -> Vec<(String, &'static str, Value)> {
    let org_id = || path_param("id", "The organisation's id.");
    let [offset, limit] = paging(25, 200);
    let [aoffset, alimit] = paging(100, 100_000);
    let time = |d: &str| {
        query(
            d,
            "2026-01-15T12:00:00Z, a date 2026-01-15 (midnight UTC) or Unix seconds; \
             since is inclusive, until exclusive.",
            json!({ "type": "string" }),
        )
    };
    let ops = [
        (
            "/organisations",
            "get",
            false,
            Op {
                tag: "register",
                id: "listOrganisations",
                summary: "The organisation register, searched by name, business id or \
                          municipality (at most 500).",
                params: vec![query(
                    "q",
                    "Words to search for.",
                    json!({ "type": "string" }),
                )],
                body: None,
                responses: vec![("200", ok("Organisations.", schema("OrganisationList")))],
                errors: &[],
            },
        ),
        (
            "/organisations",
            "post",
            true,
            Op {
                tag: "register",
                id: "createOrganisation",
                summary: "Adds an organisation to the register.",
                params: vec![],
                body: Some("OrganisationInput"),
                responses: vec![(
                    "201",
                    ok("Added; `Location` names it.", schema("OrganisationDetail")),
                )],
                errors: &["400", "415"],
            },
        ),
        (
            "/organisations/{id}",
            "get",
            false,
            Op {
                tag: "register",
                id: "getOrganisation",
                summary: "One organisation with its published liaison contacts.",
                params: vec![org_id()],
                body: None,
                responses: vec![("200", ok("The organisation.", schema("OrganisationDetail")))],
                errors: &[],
            },
        ),
        (
            "/organisations/{id}",
            "put",
            true,
            Op {
                tag: "register",
                id: "updateOrganisation",
                summary: "Replaces the register data (the id stays).",
                params: vec![org_id()],
                body: Some("OrganisationInput"),
                responses: vec![(
                    "200",
                    ok("The organisation afterwards.", schema("OrganisationDetail")),
                )],
                errors: &["400", "415"],
            },
        ),
        (
            "/organisations/{id}/liaisons",
            "post",
            true,
            Op {
                tag: "register",
                id: "appointLiaison",
                summary: "Appoints an existing account as the organisation's liaison person in \
                          a network, with the contact details they agreed to publish.",
                params: vec![org_id()],
                body: Some("LiaisonInput"),
                responses: vec![(
                    "201",
                    ok(
                        "The organisation with its contacts.",
                        schema("OrganisationDetail"),
                    ),
                )],
                errors: &["400", "415"],
            },
        ),
        (
            "/organisations/{id}/liaisons/{account_id}/{network}",
            "delete",
            true,
            Op {
                tag: "register",
                id: "removeLiaison",
                summary: "Ends a liaison appointment and its published contact.",
                params: vec![
                    org_id(),
                    path_param("account_id", "The liaison person's account id."),
                    json!({ "name": "network", "in": "path", "required": true,
                            "schema": schema("Network") }),
                ],
                body: None,
                responses: vec![("204", json!({ "description": "Removed." }))],
                errors: &[],
            },
        ),
        (
            "/organisations/{id}/provisioning-clients",
            "get",
            false,
            Op {
                tag: "provisioning",
                id: "listProvisioningClients",
                summary: "The organisation's SCIM provisioning clients, revoked ones too.",
                params: vec![org_id()],
                body: None,
                responses: vec![(
                    "200",
                    ok(
                        "The clients, newest first.",
                        json!({ "type": "object", "required": ["items"], "properties": {
                            "items": { "type": "array",
                                       "items": schema("ProvisioningClient") } } }),
                    ),
                )],
                errors: &[],
            },
        ),
        (
            "/organisations/{id}/provisioning-clients",
            "post",
            true,
            Op {
                tag: "provisioning",
                id: "createProvisioningClient",
                summary: "Creates a SCIM provisioning client for the organisation's identity                           management; its bearer token is in this answer only (stored as a                           SHA-256 digest).",
                params: vec![org_id()],
                body: Some("ProvisioningClientInput"),
                responses: vec![(
                    "201",
                    ok("The client and its token.", schema("NewProvisioningClient")),
                )],
                errors: &["400", "415"],
            },
        ),
        (
            "/organisations/{id}/provisioning-clients/{client_id}",
            "delete",
            true,
            Op {
                tag: "provisioning",
                id: "revokeProvisioningClient",
                summary: "Revokes a provisioning client: its token stops working at once.",
                params: vec![
                    org_id(),
                    path_param("client_id", "The provisioning client's id."),
                ],
                body: None,
                responses: vec![("204", json!({ "description": "Revoked." }))],
                errors: &[],
            },
        ),
        (
            "/event-deliveries",
            "get",
            false,
            Op {
                tag: "events",
                id: "listEventDeliveries",
                summary: "Deliveries of signed events to subscribers: the failed ones by \
                          default (state=pending|delivered|failed).",
                params: vec![
                    query(
                        "state",
                        "Which deliveries (default failed).",
                        json!({ "type": "string", "enum": ["failed", "pending", "delivered"] }),
                    ),
                    query(
                        "limit",
                        "How many at most.",
                        json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 }),
                    ),
                ],
                body: None,
                responses: vec![(
                    "200",
                    ok(
                        "The deliveries, newest event first.",
                        json!({ "type": "object", "required": ["items"], "properties": {
                            "items": { "type": "array", "items": schema("EventDelivery") } } }),
                    ),
                )],
                errors: &["400"],
            },
        ),
        (
            "/event-deliveries/{subscriber}/{event_id}/retry",
            "post",
            true,
            Op {
                tag: "events",
                id: "retryEventDelivery",
                summary: "Sends a failed delivery again, from its first attempt.",
                params: vec![
                    path_param("subscriber", "The subscriber's id (events.subscribers)."),
                    json!({ "name": "event_id", "in": "path", "required": true,
                            "schema": { "type": "integer", "format": "int64" } }),
                ],
                body: None,
                responses: vec![("200", ok("Pending again.", json!({ "type": "object" })))],
                errors: &[],
            },
        ),
        (
            "/accounts",
            "get",
            false,
            Op {
                tag: "service desk",
                id: "findAccounts",
                summary: "Every account, searched by username, name or e-mail.",
                params: vec![
                    query("q", "Words to search for.", json!({ "type": "string" })),
                    offset,
                    limit,
                ],
                body: None,
                responses: vec![("200", ok("A page of accounts.", schema("AccountPage")))],
                errors: &["400"],
            },
        ),
        (
            "/accounts/{id}/{action}",
            "post",
            true,
            Op {
                tag: "service desk",
                id: "serviceDeskAction",
                summary: "unlock or reset-password any account, with a mandatory reason (e.g. \
                          the ticket number).",
                params: vec![
                    path_param("id", "The account's id."),
                    action_param(&["unlock", "reset-password"]),
                ],
                body: Some("Reason"),
                responses: vec![(
                    "200",
                    ok(
                        "The account afterwards; for reset-password, the one-time password.",
                        json!({ "oneOf": [schema("Account"), schema("OneTimePassword")] }),
                    ),
                )],
                errors: &["400", "415"],
            },
        ),
        (
            "/audit",
            "get",
            false,
            Op {
                tag: "audit",
                id: "audit",
                summary: "The whole audit trail, newest first, filtered. JSON by default; exports \
                          up to 100,000 events.",
                params: vec![
                    query(
                        "subject",
                        "About this account id.",
                        json!({ "type": "string" }),
                    ),
                    query(
                        "org",
                        "Recorded for this organisation or about one of its accounts.",
                        json!({ "type": "string" }),
                    ),
                    query(
                        "actor",
                        "By this actor (an account id, `client:<client_id>`, `cli`, `seed`, \
                         `anonymous`).",
                        json!({ "type": "string" }),
                    ),
                    time("since"),
                    time("until"),
                    aoffset,
                    alimit,
                    format_param(),
                ],
                body: None,
                responses: vec![("200", audit_ok())],
                errors: &["400"],
            },
        ),
    ];
    ops.into_iter()
        .map(|(p, m, changes, op)| (format!("{PREFIX}{p}"), m, op.to_json(changes)))
        .collect()
}

fn paths() -> Value {
    let me = Op {
        tag: "me",
        id: "me",
        summary: "Who is calling: the principal, the organisations they administer as a liaison \
                  person, whether they are the service desk, and (with the cookie) the value \
                  for the X-CSRF-Token header.",
        params: vec![],
        body: None,
        responses: vec![("200", ok("The caller.", schema("Me")))],
        errors: &[],
    };
    let mut paths = serde_json::Map::new();
    paths.insert(
        format!("{PREFIX}/openapi.json"),
        json!({ "get": {
            "tags": ["me"], "operationId": "openapi", "security": [],
            "summary": "This document.",
            "responses": { "200": { "description": "OpenAPI 3.0.",
                "content": { "application/json": { "schema": { "type": "object" } } } } }
        } }),
    );
    let all = std::iter::once((format!("{PREFIX}/me"), "get", me.to_json(false)))
        .chain(account_paths())
        .chain(operator_paths());
    for (path, method, op) in all {
        if let Some(item) = paths
            .entry(path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
        {
            item.insert(method.to_string(), op);
        }
    }
    Value::Object(paths)
}

/// The whole document, with the issuer as the server.
pub fn document(app: &AppState) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Porttivahti administration API",
            "version": "1",
            "description": "The operations of the admin UI as JSON. Liaison persons administer \
                their own organisation's accounts in their own networks; the service desk keeps \
                the register, appoints liaison persons and acts on any account with a reason. \
                Anything out of the caller's reach answers 404 exactly as if it did not exist. \
                Errors are {\"error\": code, \"field\": …, \"message\": …}.",
        },
        "servers": [{ "url": app.issuer() }],
        "tags": [
            { "name": "me" }, { "name": "accounts" }, { "name": "audit" },
            { "name": "register" }, { "name": "provisioning" }, { "name": "events" }, { "name": "service desk" },
        ],
        "security": [{ "session": [] }, { "bearer": [] }],
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie",
                    "name": cookie_name(app, "pv_sid"),
                    "description": "The admin session of a strongly identified person (a \
                        second factor or substantial level)." },
                "csrf": { "type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                    "description": "With the session cookie, every POST, PUT and DELETE \
                        carries this header: csrf_token from GET /admin/api/v1/me." },
                "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                    "description": "An access token from the client_credentials grant at \
                        /token of a client configured with service_desk = true; acts as the \
                        service desk." },
            },
            "schemas": components::schemas(),
            "responses": components::responses(),
        },
    })
}
