//! What the service provider tells about itself (RFC 7643 §5–7):
//! ServiceProviderConfig, ResourceTypes and Schemas, describing exactly
//! the attributes this service keeps.
//!
//! Networks are an extension attribute of the User, not Groups: a
//! network membership is a property of the person within the
//! organisation (member in Intermetso or Sonette), which an identity
//! management sets from an attribute it already has; Groups would be
//! objects of their own with members, which Porttivahti's networks are
//! not (they are fixed, and the liaison role within them is the service
//! desk's to give, never the identity management's).

use serde_json::{Value, json};

use super::user::{CORE, MAX_RESULTS};

pub const EXTENSION: &str = "urn:ietf:params:scim:schemas:extension:porttivahti:2.0:User";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const NETWORKS_PATH: &str =
    "urn:ietf:params:scim:schemas:extension:porttivahti:2.0:User:networks";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const CONFIG: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

pub fn service_provider_config(base: &str, docs: &str) -> Value {
    json!({
        "schemas": [CONFIG],
        "documentationUri": docs,
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Provisioning token",
            "description": "The organisation's provisioning token from the regional service \
                            desk, as 'Authorization: Bearer <token>'.",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "documentationUri": docs,
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}

pub fn user_resource_type(base: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "An account of a professional, in the organisation's networks",
        "schema": CORE,
        "schemaExtensions": [{ "schema": EXTENSION, "required": true }],
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base}/ResourceTypes/User"),
        },
    })
}

#[allow(clippy::too_many_arguments)]
fn attr(
    name: &str,
    kind: &str,
    multi: bool,
    required: bool,
    case_exact: bool,
    mutability: &str,
    uniqueness: &str,
    description: &str,
) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": description,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": uniqueness,
    })
}

fn string(name: &str, required: bool, description: &str) -> Value {
    attr(
        name,
        "string",
        false,
        required,
        false,
        "readWrite",
        "none",
        description,
    )
}

fn with_subs(mut a: Value, subs: Vec<Value>) -> Value {
    if let Some(o) = a.as_object_mut() {
        o.insert("subAttributes".into(), Value::Array(subs));
    }
    a
}

fn contact(name: &str, description: &str) -> Value {
    with_subs(
        attr(
            name,
            "complex",
            true,
            false,
            false,
            "readWrite",
            "none",
            description,
        ),
        vec![string(
            "value",
            false,
            "The address or number. One is kept: the primary one, else the work one, else \
             the first; type and primary are read but not kept.",
        )],
    )
}

pub fn user_schema(base: &str) -> Value {
    json!({
        "schemas": [SCHEMA],
        "id": CORE,
        "name": "User",
        "description": "An account of a professional",
        "attributes": [
            attr("userName", "string", false, true, false, "readWrite", "server",
                 "The username the person logs in with (often the user principal name); \
                  unique in the whole directory, case-insensitively."),
            attr("externalId", "string", false, false, true, "readWrite", "none",
                 "The identity management's id for the person; unique within the \
                  organisation."),
            with_subs(
                attr("name", "complex", false, true, false, "readWrite", "none",
                     "The person's names."),
                vec![
                    string("givenName", true, "Given name."),
                    string("familyName", true, "Family name."),
                ],
            ),
            attr("displayName", "string", false, false, false, "readOnly", "none",
                 "Given and family name."),
            string("title", false, "Title or profession as the organisation says it."),
            attr("active", "boolean", false, true, false, "readWrite", "none",
                 "false disables the account and ends its sessions and tokens at once \
                  (absent at creation: true)."),
            contact("emails", "The work e-mail address."),
            contact("phoneNumbers", "The work phone number."),
        ],
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base}/Schemas/{CORE}"),
        },
    })
}

pub fn extension_schema(base: &str) -> Value {
    let mut networks = attr(
        "networks",
        "string",
        true,
        true,
        false,
        "readWrite",
        "none",
        "The organisation's networks the person is a member in (absent at creation: every \
         network the provisioning client may provision into).",
    );
    if let Some(o) = networks.as_object_mut() {
        o.insert("canonicalValues".into(), json!(crate::domain::Network::ALL));
    }
    json!({
        "schemas": [SCHEMA],
        "id": EXTENSION,
        "name": "PorttivahtiUser",
        "description": "What Porttivahti adds to a User",
        "attributes": [
            networks,
            attr("managedBy", "string", false, false, true, "readOnly", "none",
                 "The organisation whose identity management owns the account."),
            attr("status", "string", false, false, true, "readOnly", "none",
                 "active, locked (too many wrong passwords) or disabled."),
        ],
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base}/Schemas/{EXTENSION}"),
        },
    })
}

pub fn schemas(base: &str) -> Vec<Value> {
    vec![user_schema(base), extension_schema(base)]
}

/// A list response of `items` (all of them on one page).
pub fn list(items: Vec<Value>) -> Value {
    json!({
        "schemas": [super::user::LIST],
        "totalResults": items.len(),
        "startIndex": 1,
        "itemsPerPage": items.len(),
        "Resources": items,
    })
}
