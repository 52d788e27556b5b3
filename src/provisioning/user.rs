//! The SCIM User resource: an account as SCIM shows it, read back into
//! what the identity management owns, and the operations on Users
//! through a provisioning client's [`LiaisonHandle`].

use serde_json::{Map, Value, json};

use super::ScimError;
use super::filter;
use super::patch;
use super::schema::EXTENSION;
use crate::admin::{AccountView, LiaisonHandle, ManagedInput};
use crate::crypto::{hex, sha256};
use crate::domain::{AccountStatus, Network};
use crate::time::iso_utc;

pub const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The most resources one page holds (`filter.maxResults`).
pub const MAX_RESULTS: u32 = 1000;

/// The User resource of an account, without `meta`.
fn resource(v: &AccountView) -> Map<String, Value> {
    let a = &v.account;
    let mut m = Map::new();
    m.insert("schemas".into(), json!([CORE, EXTENSION]));
    m.insert("id".into(), json!(a.id));
    if let Some(x) = &a.external_id {
        m.insert("externalId".into(), json!(x));
    }
    m.insert("userName".into(), json!(a.username));
    m.insert(
        "name".into(),
        json!({ "givenName": a.given_name, "familyName": a.family_name }),
    );
    m.insert("displayName".into(), json!(a.display_name()));
    if let Some(t) = &a.title {
        m.insert("title".into(), json!(t));
    }
    m.insert("active".into(), json!(a.status != AccountStatus::Disabled));
    if let Some(e) = &a.email {
        m.insert("emails".into(), json!([{ "value": e }]));
    }
    if let Some(p) = &a.phone {
        m.insert("phoneNumbers".into(), json!([{ "value": p }]));
    }
    let mut ext = Map::new();
    ext.insert("networks".into(), json!(member_networks(v)));
    if let Some(o) = &a.managed_by {
        ext.insert("managedBy".into(), json!(o));
    }
    ext.insert("status".into(), json!(a.status.as_str()));
    m.insert(EXTENSION.into(), Value::Object(ext));
    m
}

fn member_networks(v: &AccountView) -> Vec<Network> {
    let mut n: Vec<Network> = v
        .memberships
        .iter()
        .filter(|m| m.role == crate::domain::Role::Member)
        .map(|m| m.network)
        .collect();
    n.sort();
    n.dedup();
    n
}

/// The resource's version: a weak ETag over everything it shows.
pub fn etag(v: &AccountView) -> String {
    let body = Value::Object(resource(v)).to_string();
    format!("W/\"{}\"", &hex(&sha256(body))[..20])
}

/// The whole User resource, with `meta`.
pub fn to_json(v: &AccountView, base: &str) -> Value {
    let mut m = resource(v);
    let a = &v.account;
    m.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": iso_utc(a.created_at),
            "lastModified": iso_utc(a.updated_at.unwrap_or(a.created_at)),
            "location": format!("{base}/Users/{}", a.id),
            "version": etag(v),
        }),
    );
    Value::Object(m)
}

/// `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5), applied to
/// a rendered resource: `id` and `schemas` always stay.
pub fn select(doc: &mut Value, attributes: &[String], excluded: &[String]) {
    let Some(m) = doc.as_object_mut() else {
        return;
    };
    let split = |p: &str| -> (String, Option<String>) {
        let p = p.trim();
        let lower = p.to_ascii_lowercase();
        let ext = EXTENSION.to_ascii_lowercase();
        if lower == ext {
            return (EXTENSION.to_string(), None);
        }
        if let Some(rest) = lower.strip_prefix(&format!("{ext}:")) {
            return (EXTENSION.to_string(), Some(rest.to_string()));
        }
        let core = format!("{}:", CORE.to_ascii_lowercase());
        let rest = lower.strip_prefix(&core).unwrap_or(&lower).to_string();
        match rest.split_once('.') {
            Some((a, s)) => (a.to_string(), Some(s.to_string())),
            None => (rest, None),
        }
    };
    let same = |k: &str, name: &str| k.eq_ignore_ascii_case(name);
    if !attributes.is_empty() {
        let wanted: Vec<(String, Option<String>)> = attributes.iter().map(|a| split(a)).collect();
        m.retain(|k, v| {
            if ["id", "schemas", "meta"].contains(&k.as_str()) {
                return true;
            }
            let subs: Vec<&Option<String>> = wanted
                .iter()
                .filter(|(a, _)| same(k, a))
                .map(|(_, s)| s)
                .collect();
            if subs.is_empty() {
                return false;
            }
            if subs.iter().all(|s| s.is_some())
                && let Some(o) = v.as_object_mut()
            {
                o.retain(|sk, _| {
                    subs.iter()
                        .any(|s| s.as_deref().is_some_and(|s| same(sk, s)))
                });
            }
            true
        });
    }
    for (a, sub) in excluded.iter().map(|a| split(a)) {
        if ["id", "schemas"].iter().any(|k| same(k, &a)) {
            continue;
        }
        let key = m.keys().find(|k| same(k, &a)).cloned();
        let Some(key) = key else { continue };
        match sub {
            None => {
                m.remove(&key);
            }
            Some(s) => {
                if let Some(o) = m.get_mut(&key).and_then(Value::as_object_mut) {
                    o.retain(|sk, _| !same(sk, &s));
                }
            }
        }
    }
}

fn string(v: Option<&Value>, attr: &str) -> Result<String, ScimError> {
    match v {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ScimError::InvalidValue(format!("{attr} must be a string."))),
    }
}

/// A boolean as identity managements send it (Entra ID has sent
/// `"False"` as a string).
pub fn boolean(v: &Value, attr: &str) -> Result<bool, ScimError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::InvalidValue(format!(
            "{attr} must be true or false."
        ))),
    }
}

/// Case-insensitive member of an object (attribute names are).
pub fn get<'a>(m: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The one value kept of a multi-valued attribute: the primary, else the
/// one of `preferred` type, else the first.
fn one_of(m: &Map<String, Value>, attr: &str, preferred: &str) -> Result<String, ScimError> {
    let items = match get(m, attr) {
        None | Some(Value::Null) => return Ok(String::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ScimError::InvalidValue(format!(
                "{attr} must be a list of objects."
            )));
        }
    };
    let mut objs = Vec::new();
    for i in items {
        let o = i
            .as_object()
            .ok_or_else(|| ScimError::InvalidValue(format!("{attr} must be a list of objects.")))?;
        objs.push(o);
    }
    let is_primary = |o: &&&Map<String, Value>| {
        get(o, "primary").is_some_and(|p| boolean(p, "primary").unwrap_or(false))
    };
    let of_type = |o: &&&Map<String, Value>| {
        get(o, "type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case(preferred))
    };
    let chosen = objs
        .iter()
        .find(is_primary)
        .or_else(|| objs.iter().find(of_type))
        .or_else(|| objs.first());
    match chosen {
        Some(o) => string(get(o, "value"), &format!("{attr}.value")),
        None => Ok(String::new()),
    }
}

/// What a POST, PUT or patched resource says, and `active` if it says.
pub fn from_json(doc: &Value) -> Result<(ManagedInput, Option<bool>), ScimError> {
    let m = doc
        .as_object()
        .ok_or_else(|| ScimError::InvalidSyntax("The body must be a JSON object.".into()))?;
    let name = match get(m, "name") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(n)) => n.clone(),
        Some(_) => return Err(ScimError::InvalidValue("name must be an object.".into())),
    };
    let networks = match get(m, EXTENSION) {
        None | Some(Value::Null) => None,
        Some(Value::Object(ext)) => match get(ext, "networks") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for i in items {
                    let n = i
                        .as_str()
                        .and_then(|s| s.trim().to_ascii_lowercase().parse::<Network>().ok())
                        .ok_or_else(|| {
                            ScimError::InvalidValue(format!(
                                "{}: give network names (intermetso, sonette).",
                                super::schema::NETWORKS_PATH
                            ))
                        })?;
                    out.push(n);
                }
                Some(out)
            }
            Some(_) => {
                return Err(ScimError::InvalidValue(format!(
                    "{} must be a list of strings.",
                    super::schema::NETWORKS_PATH
                )));
            }
        },
        Some(_) => {
            return Err(ScimError::InvalidValue(format!(
                "{EXTENSION} must be an object."
            )));
        }
    };
    let active = match get(m, "active") {
        None | Some(Value::Null) => None,
        Some(v) => Some(boolean(v, "active")?),
    };
    let input = ManagedInput {
        username: string(get(m, "userName"), "userName")?,
        given_name: string(get(&name, "givenName"), "name.givenName")?,
        family_name: string(get(&name, "familyName"), "name.familyName")?,
        email: one_of(m, "emails", "work")?,
        phone: one_of(m, "phoneNumbers", "work")?,
        title: string(get(m, "title"), "title")?,
        external_id: string(get(m, "externalId"), "externalId")?,
        networks,
        active: true,
    };
    Ok((input, active))
}

/// One page of a list (RFC 7644 §3.4.2.4): 1-based `start_index`.
pub struct ListPage {
    pub total: u64,
    pub start_index: u32,
    pub resources: Vec<Value>,
}

impl ListPage {
    pub fn to_json(&self) -> Value {
        json!({
            "schemas": [LIST],
            "totalResults": self.total,
            "startIndex": self.start_index,
            "itemsPerPage": self.resources.len(),
            "Resources": self.resources,
        })
    }
}

/// The Users endpoint of one provisioning client: everything through its
/// handle. `base` is the absolute URL of `/scim/v2`.
pub struct Users<'h, 'a> {
    handle: &'h LiaisonHandle<'a>,
    base: String,
}

impl<'h, 'a> Users<'h, 'a> {
    pub fn new(handle: &'h LiaisonHandle<'a>, base: String) -> Self {
        Self { handle, base }
    }

    /// Records a refusal (not a missing account) before it is answered.
    async fn noted<T>(&self, r: Result<T, ScimError>) -> Result<T, ScimError> {
        if let Err(e) = &r
            && matches!(e.status(), 400 | 409 | 412)
        {
            self.handle.record_refusal(e.status(), e.scim_type()).await;
        }
        r
    }

    fn render(&self, v: &AccountView) -> Value {
        to_json(v, &self.base)
    }

    /// The resource and its version.
    pub async fn get(&self, id: &str) -> Result<(Value, String), ScimError> {
        let v = self.handle.account(id).await?;
        Ok((self.render(&v), etag(&v)))
    }

    /// `filter`, 1-based `start_index`, `count` (absent: 100).
    pub async fn list(
        &self,
        filter: Option<&str>,
        start_index: Option<u32>,
        count: Option<u32>,
    ) -> Result<ListPage, ScimError> {
        let r = self.list_inner(filter, start_index, count).await;
        self.noted(r).await
    }

    async fn list_inner(
        &self,
        filter: Option<&str>,
        start_index: Option<u32>,
        count: Option<u32>,
    ) -> Result<ListPage, ScimError> {
        let filter = filter
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(filter::parse)
            .transpose()?;
        let start_index = start_index.unwrap_or(1).max(1);
        let count = count.unwrap_or(100).min(MAX_RESULTS);
        let page = self
            .handle
            .find_managed(filter.as_ref(), start_index - 1, count)
            .await?;
        Ok(ListPage {
            total: page.total,
            start_index,
            resources: page.items.iter().map(|v| self.render(v)).collect(),
        })
    }

    pub async fn create(&self, doc: &Value) -> Result<(Value, String), ScimError> {
        let r = self.create_inner(doc).await;
        self.noted(r).await
    }

    async fn create_inner(&self, doc: &Value) -> Result<(Value, String), ScimError> {
        let (mut input, active) = from_json(doc)?;
        input.active = active.unwrap_or(true);
        let v = self.handle.create_managed(&input).await?;
        Ok((self.render(&v), etag(&v)))
    }

    /// Checks `If-Match` against the current version.
    async fn current(&self, id: &str, if_match: Option<&str>) -> Result<AccountView, ScimError> {
        let v = self.handle.account(id).await?;
        if let Some(m) = if_match.map(str::trim)
            && m != "*"
            && !m.split(',').any(|t| t.trim() == etag(&v))
        {
            return Err(ScimError::PreconditionFailed);
        }
        Ok(v)
    }

    pub async fn replace(
        &self,
        id: &str,
        doc: &Value,
        if_match: Option<&str>,
    ) -> Result<(Value, String), ScimError> {
        let r = self.replace_inner(id, doc, if_match).await;
        self.noted(r).await
    }

    async fn replace_inner(
        &self,
        id: &str,
        doc: &Value,
        if_match: Option<&str>,
    ) -> Result<(Value, String), ScimError> {
        let current = self.current(id, if_match).await?;
        let (mut input, active) = from_json(doc)?;
        input.active = active.unwrap_or(current.account.status != AccountStatus::Disabled);
        let v = self.handle.replace_managed(id, &input).await?;
        Ok((self.render(&v), etag(&v)))
    }

    pub async fn patch(
        &self,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<(Value, String), ScimError> {
        let r = self.patch_inner(id, body, if_match).await;
        self.noted(r).await
    }

    async fn patch_inner(
        &self,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<(Value, String), ScimError> {
        let current = self.current(id, if_match).await?;
        let mut doc = Value::Object(resource(&current));
        patch::apply(&mut doc, body)?;
        let (mut input, active) = from_json(&doc)?;
        input.active = active.unwrap_or(current.account.status != AccountStatus::Disabled);
        let v = self.handle.replace_managed(id, &input).await?;
        Ok((self.render(&v), etag(&v)))
    }

    /// Deprovisions: the account is disabled (its sessions, refresh
    /// families and access tokens end) and leaves the organisation's
    /// networks, so it is gone for this client (RFC 7644 §3.6) while the
    /// account and its audit trail stay.
    pub async fn delete(&self, id: &str, if_match: Option<&str>) -> Result<(), ScimError> {
        let r = async {
            self.current(id, if_match).await?;
            self.handle.deprovision(id).await?;
            Ok(())
        }
        .await;
        self.noted(r).await
    }
}
