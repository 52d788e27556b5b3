//! SCIM PATCH (RFC 7644 §3.5.2) on a User resource as JSON: the
//! operations change the rendered resource, which is then read back like
//! a PUT, so both take one path into the directory.
//!
//! Paths: an attribute (`userName`, with or without the core schema's
//! URN), a sub-attribute (`name.givenName`), a value filter on a
//! multi-valued attribute (`emails[type eq "work"].value`), and the
//! extension's `networks`. Attributes of the core schema this service
//! does not keep (`addresses`, `preferredLanguage` …) and the enterprise
//! extension are accepted and ignored, as for POST and PUT, so a default
//! Entra ID attribute mapping works; anything else is `invalidPath`.

use serde_json::{Map, Value};

use super::ScimError;
use super::schema::{ENTERPRISE, EXTENSION};
use super::user::{CORE, boolean, get};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// Core attributes kept elsewhere or not at all: accepted, ignored.
const IGNORED: &[&str] = &[
    "displayname",
    "nickname",
    "profileurl",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "addresses",
    "ims",
    "photos",
    "entitlements",
    "roles",
    "x509certificates",
    "groups",
];
const IGNORED_NAME: &[&str] = &[
    "formatted",
    "middlename",
    "honorificprefix",
    "honorificsuffix",
];

/// Where a path points.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    Ignored,
    /// A single-valued attribute of the core schema.
    Simple(&'static str),
    /// `name` or one of its sub-attributes.
    Name(Option<&'static str>),
    /// `emails` or `phoneNumbers`, an optional value filter and
    /// sub-attribute.
    Multi {
        attr: &'static str,
        filter: Option<(String, String)>,
        sub: Option<String>,
    },
    /// The extension's `networks`, with an optional `[value eq "…"]`.
    Networks(Option<String>),
    /// The extension as a whole.
    Extension,
}

fn path_error(path: &str) -> ScimError {
    let shown: String = path.chars().take(100).collect();
    ScimError::InvalidPath(format!(
        "The path {shown:?} names no attribute this service keeps."
    ))
}

/// `sub eq "value"` (or `eq true`): the one value filter form read here.
fn value_filter(s: &str, path: &str) -> Result<(String, String), ScimError> {
    let mut parts = s.trim().splitn(3, char::is_whitespace);
    let (Some(attr), Some(op), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(path_error(path));
    };
    if !op.eq_ignore_ascii_case("eq") {
        return Err(ScimError::InvalidPath(
            "Value filters in a path compare with eq only.".into(),
        ));
    }
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    Ok((attr.to_ascii_lowercase(), value.to_string()))
}

fn target(path: &str) -> Result<Target, ScimError> {
    let p = path.trim();
    let lower = p.to_ascii_lowercase();
    let ext = EXTENSION.to_ascii_lowercase();
    if lower.starts_with(&ENTERPRISE.to_ascii_lowercase()) {
        return Ok(Target::Ignored);
    }
    if lower == ext {
        return Ok(Target::Extension);
    }
    if let Some(rest) = lower.strip_prefix(&ext) {
        let rest = rest.strip_prefix(':').unwrap_or(rest);
        let original = &p[p.len() - rest.len()..];
        return match rest {
            "networks" => Ok(Target::Networks(None)),
            _ if rest.starts_with("networks[") && rest.ends_with(']') => {
                let inner = &original["networks[".len()..original.len() - 1];
                let (attr, value) = value_filter(inner, path)?;
                if attr != "value" {
                    return Err(path_error(path));
                }
                Ok(Target::Networks(Some(value)))
            }
            "managedby" | "status" => Err(ScimError::Mutability(format!(
                "{EXTENSION}:{rest} is read-only."
            ))),
            _ => Err(path_error(path)),
        };
    }
    let core = format!("{}:", CORE.to_ascii_lowercase());
    let start = if lower.starts_with(&core) {
        core.len()
    } else {
        0
    };
    let original = &p[start..];
    let rest = &lower[start..];
    // attr[filter].sub
    let (attr, filter, sub) = match rest.find('[') {
        Some(open) => {
            let close = rest.find(']').ok_or_else(|| path_error(path))?;
            if close < open {
                return Err(path_error(path));
            }
            let filter = value_filter(&original[open + 1..close], path)?;
            let after = &original[close + 1..];
            let sub = match after.strip_prefix('.') {
                Some(s) => Some(s.to_ascii_lowercase()),
                None if after.is_empty() => None,
                None => return Err(path_error(path)),
            };
            (&rest[..open], Some(filter), sub)
        }
        None => match rest.split_once('.') {
            Some((a, s)) => (a, None, Some(s.to_string())),
            None => (rest, None, None),
        },
    };
    if IGNORED.contains(&attr) {
        return Ok(Target::Ignored);
    }
    let simple = |name: &'static str| {
        if filter.is_some() || sub.is_some() {
            Err(path_error(path))
        } else {
            Ok(Target::Simple(name))
        }
    };
    match attr {
        "username" => simple("userName"),
        "externalid" => simple("externalId"),
        "active" => simple("active"),
        "title" => simple("title"),
        "id" | "meta" | "schemas" => {
            Err(ScimError::Mutability(format!("{attr} cannot be changed.")))
        }
        "name" => {
            if filter.is_some() {
                return Err(path_error(path));
            }
            match sub.as_deref() {
                None => Ok(Target::Name(None)),
                Some("givenname") => Ok(Target::Name(Some("givenName"))),
                Some("familyname") => Ok(Target::Name(Some("familyName"))),
                Some(s) if IGNORED_NAME.contains(&s) => Ok(Target::Ignored),
                Some(_) => Err(path_error(path)),
            }
        }
        "emails" | "phonenumbers" => Ok(Target::Multi {
            attr: if attr == "emails" {
                "emails"
            } else {
                "phoneNumbers"
            },
            filter,
            sub,
        }),
        _ => Err(path_error(path)),
    }
}

/// The member of `m` named `name` case-insensitively, made when absent.
fn member<'a>(m: &'a mut Map<String, Value>, name: &str) -> &'a mut Value {
    let key = m
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_string());
    m.entry(key).or_insert(Value::Null)
}

fn remove_member(m: &mut Map<String, Value>, name: &str) {
    m.retain(|k, _| !k.eq_ignore_ascii_case(name));
}

/// Whether an element of a multi-valued attribute passes `[attr eq v]`.
/// The service keeps one value of each and no `type`: a `type` filter
/// selects it whatever type was asked for.
fn passes(item: &Value, filter: &(String, String)) -> bool {
    let Some(o) = item.as_object() else {
        return false;
    };
    let (attr, want) = filter;
    match get(o, attr) {
        None if attr == "type" => true,
        None => false,
        Some(Value::String(s)) if attr == "value" && s.contains('@') => {
            s.eq_ignore_ascii_case(want)
        }
        Some(Value::String(s)) => s == want || (attr == "type" && s.eq_ignore_ascii_case(want)),
        Some(Value::Bool(b)) => want.eq_ignore_ascii_case(&b.to_string()),
        Some(_) => false,
    }
}

fn as_list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// An added element marked primary takes the mark from the others.
fn one_primary(items: &mut [Value]) {
    let last = items.iter().rposition(|i| {
        i.get("primary")
            .is_some_and(|p| boolean(p, "primary").unwrap_or(false))
    });
    if let Some(last) = last {
        for (n, i) in items.iter_mut().enumerate() {
            if n != last
                && let Some(o) = i.as_object_mut()
            {
                o.remove("primary");
            }
        }
    }
}

fn apply_one(
    doc: &mut Map<String, Value>,
    op: Op,
    path: &str,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let needs_value = || ScimError::InvalidSyntax(format!("The {path:?} operation needs a value."));
    match target(path)? {
        Target::Ignored => Ok(()),
        Target::Simple("active") if op == Op::Remove => Err(ScimError::Mutability(
            "active is required: replace it with true or false.".into(),
        )),
        Target::Simple(name) => {
            match op {
                Op::Remove => remove_member(doc, name),
                _ => *member(doc, name) = value.ok_or_else(needs_value)?,
            }
            Ok(())
        }
        Target::Name(sub) => {
            let name = member(doc, "name");
            if !name.is_object() {
                *name = Value::Object(Map::new());
            }
            let Some(n) = name.as_object_mut() else {
                return Ok(());
            };
            match (op, sub) {
                (Op::Remove, None) => {
                    remove_member(doc, "name");
                }
                (Op::Remove, Some(s)) => remove_member(n, s),
                (_, None) => {
                    let Some(Value::Object(v)) = value else {
                        return Err(ScimError::InvalidValue("name must be an object.".into()));
                    };
                    for (k, v) in v {
                        *member(n, &k) = v;
                    }
                }
                (_, Some(s)) => *member(n, s) = value.ok_or_else(needs_value)?,
            }
            Ok(())
        }
        Target::Multi { attr, filter, sub } => {
            let slot = member(doc, attr);
            let mut items = as_list(slot.take());
            match (op, &filter, &sub) {
                (Op::Remove, None, None) => items.clear(),
                (Op::Remove, Some(f), None) => items.retain(|i| !passes(i, f)),
                (Op::Remove, f, Some(s)) => {
                    for i in items
                        .iter_mut()
                        .filter(|i| f.as_ref().is_none_or(|f| passes(i, f)))
                    {
                        if let Some(o) = i.as_object_mut() {
                            remove_member(o, s);
                        }
                    }
                    items.retain(|i| i.as_object().is_some_and(|o| get(o, "value").is_some()));
                }
                (Op::Add, None, None) => {
                    items.extend(as_list(value.ok_or_else(needs_value)?));
                    one_primary(&mut items);
                }
                (Op::Replace, None, None) => items = as_list(value.ok_or_else(needs_value)?),
                (_, f, s) => {
                    let value = value.ok_or_else(needs_value)?;
                    let mut hit = false;
                    for i in items
                        .iter_mut()
                        .filter(|i| f.as_ref().is_none_or(|f| passes(i, f)))
                    {
                        hit = true;
                        match (s, i.as_object_mut(), &value) {
                            (Some(s), Some(o), v) => *member(o, s) = v.clone(),
                            (None, Some(o), Value::Object(v)) => {
                                for (k, v) in v {
                                    *member(o, k) = v.clone();
                                }
                            }
                            _ => {
                                return Err(ScimError::InvalidValue(format!(
                                    "{attr} values are objects."
                                )));
                            }
                        }
                    }
                    if !hit {
                        // No value yet (Entra ID sets a first work address
                        // this way): one is made.
                        let mut o = Map::new();
                        if let Some((fa, fv)) = f {
                            o.insert(fa.clone(), Value::String(fv.clone()));
                        }
                        match (s, value) {
                            (Some(s), v) => {
                                o.insert(s.clone(), v);
                            }
                            (None, Value::Object(v)) => o.extend(v),
                            _ => {
                                return Err(ScimError::InvalidValue(format!(
                                    "{attr} values are objects."
                                )));
                            }
                        }
                        items.push(Value::Object(o));
                    }
                }
            }
            if items.is_empty() {
                remove_member(doc, attr);
            } else {
                *member(doc, attr) = Value::Array(items);
            }
            Ok(())
        }
        Target::Extension => {
            if op == Op::Remove {
                return Err(ScimError::Mutability(format!(
                    "{EXTENSION}:networks is required: replace it rather than remove it."
                )));
            }
            let Some(Value::Object(v)) = value else {
                return Err(ScimError::InvalidValue(format!(
                    "{EXTENSION} must be an object."
                )));
            };
            for (k, v) in v {
                if !k.eq_ignore_ascii_case("schemas") {
                    apply_one(doc, op, &format!("{EXTENSION}:{k}"), Some(v))?;
                }
            }
            Ok(())
        }
        Target::Networks(filter) => {
            let ext = member(doc, EXTENSION);
            if !ext.is_object() {
                *ext = Value::Object(Map::new());
            }
            let Some(ext) = ext.as_object_mut() else {
                return Ok(());
            };
            let slot = member(ext, "networks");
            let mut items = as_list(slot.take());
            match (op, filter) {
                (Op::Remove, Some(v)) => {
                    items.retain(|i| !i.as_str().is_some_and(|s| s.eq_ignore_ascii_case(&v)));
                }
                (Op::Remove, None) => {
                    return Err(ScimError::Mutability(format!(
                        "{}:networks is required: replace it rather than remove it.",
                        EXTENSION
                    )));
                }
                (Op::Add, _) => {
                    for v in as_list(value.ok_or_else(needs_value)?) {
                        if !items.contains(&v) {
                            items.push(v);
                        }
                    }
                }
                (Op::Replace, _) => items = as_list(value.ok_or_else(needs_value)?),
            }
            *member(ext, "networks") = Value::Array(items);
            Ok(())
        }
    }
}

/// Applies a PatchOp request body to `doc`.
pub fn apply(doc: &mut Value, body: &Value) -> Result<(), ScimError> {
    let syntax = |m: &str| ScimError::InvalidSyntax(m.to_string());
    let b = body
        .as_object()
        .ok_or_else(|| syntax("The body must be a PatchOp JSON object."))?;
    let ops = get(b, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| syntax("The PatchOp has no Operations list."))?;
    if ops.len() > 1000 {
        return Err(syntax("At most 1000 operations in one PATCH."));
    }
    let Some(d) = doc.as_object_mut() else {
        return Err(ScimError::Internal("resource is not an object".into()));
    };
    for o in ops {
        let o = o
            .as_object()
            .ok_or_else(|| syntax("Each operation must be an object."))?;
        let op = match get(o, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("add") => Op::Add,
            Some("replace") => Op::Replace,
            Some("remove") => Op::Remove,
            _ => return Err(syntax("Each operation's op is add, replace or remove.")),
        };
        let value = get(o, "value").cloned();
        match get(o, "path")
            .and_then(Value::as_str)
            .filter(|p| !p.trim().is_empty())
        {
            Some(path) => apply_one(d, op, path, value)?,
            None => {
                if op == Op::Remove {
                    return Err(ScimError::NoTarget(
                        "A remove operation needs a path.".into(),
                    ));
                }
                let Some(Value::Object(v)) = value else {
                    return Err(syntax("An operation without a path needs an object value."));
                };
                for (k, v) in v {
                    if k.eq_ignore_ascii_case(EXTENSION) {
                        apply_one(d, op, EXTENSION, Some(v))?;
                    } else if k.eq_ignore_ascii_case("schemas") {
                        continue;
                    } else {
                        apply_one(d, op, &k, Some(v))?;
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc() -> Value {
        json!({
            "userName": "anna",
            "name": { "givenName": "Anna", "familyName": "Hoitaja" },
            "active": true,
            "emails": [{ "value": "a@x.fi", "primary": true }],
            EXTENSION: { "networks": ["intermetso"] }
        })
    }

    fn patch(ops: Value) -> Result<Value, ScimError> {
        let mut d = doc();
        apply(
            &mut d,
            &json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops }),
        )?;
        Ok(d)
    }

    #[test]
    fn what_entra_id_sends() {
        let d = patch(json!([
            { "op": "Replace", "path": "active", "value": "False" },
            { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@x.fi" },
            { "op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "040 123 4567" },
            { "op": "Replace", "path": "name.givenName", "value": "Anne" },
            { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "x" },
            { "op": "Replace", "path": "preferredLanguage", "value": "fi-FI" },
            { "op": "Replace", "value": { "title": "Sairaanhoitaja", "displayName": "x" } }
        ]))
        .unwrap();
        assert_eq!(d["active"], json!("False"));
        assert_eq!(d["emails"][0]["value"], json!("b@x.fi"));
        assert_eq!(d["phoneNumbers"][0]["value"], json!("040 123 4567"));
        assert_eq!(d["name"]["givenName"], json!("Anne"));
        assert_eq!(d["title"], json!("Sairaanhoitaja"));
    }

    #[test]
    fn networks_and_removals() {
        let d = patch(json!([
            { "op": "add", "path": format!("{EXTENSION}:networks"), "value": ["sonette"] },
            { "op": "remove", "path": format!("{EXTENSION}:networks[value eq \"intermetso\"]") },
            { "op": "remove", "path": "emails" },
            { "op": "remove", "path": "urn:ietf:params:scim:schemas:core:2.0:User:title" }
        ]))
        .unwrap();
        assert_eq!(d[EXTENSION]["networks"], json!(["sonette"]));
        assert!(d.get("emails").is_none());
        for bad in [
            json!([{ "op": "remove" }]),
            json!([{ "op": "move", "path": "title" }]),
            json!([{ "op": "replace", "path": "password", "value": "x" }]),
            json!([{ "op": "replace", "path": "id", "value": "x" }]),
            json!([{ "op": "remove", "path": format!("{EXTENSION}:networks") }]),
            json!([{ "op": "replace", "path": "emails[type gt \"w\"].value", "value": "x" }]),
            json!([{ "op": "replace", "path": "userName" }]),
        ] {
            assert!(patch(bad.clone()).is_err(), "{bad}");
        }
    }
}
