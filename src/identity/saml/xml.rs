//! Small, strict helpers over the parsed XML tree, and the SAML namespaces.

use bergshamra::xml::uppsala::{Document, NodeId, NodeKind};

pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";

pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// Escapes text for an attribute value or element content.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Parses `xml`, refusing document type declarations (entity tricks have
/// no place in SAML) and processing instructions other than the XML
/// declaration.
pub fn parse(xml: &str) -> Result<Document<'_>, String> {
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err("the XML has a document type declaration".into());
    }
    bergshamra::xml::uppsala::parse(xml).map_err(|e| format!("the XML does not parse: {e}"))
}

pub fn is(doc: &Document<'_>, id: NodeId, ns: &str, local: &str) -> bool {
    doc.element(id).is_some_and(|e| {
        e.name.namespace_uri.as_deref() == Some(ns) && e.name.local_name.as_ref() == local
    })
}

/// Child elements of `parent` named `ns:local`.
pub fn children<'d>(
    doc: &'d Document<'_>,
    parent: NodeId,
    ns: &'d str,
    local: &'d str,
) -> impl Iterator<Item = NodeId> + 'd {
    doc.children(parent)
        .into_iter()
        .filter(move |&c| is(doc, c, ns, local))
}

/// The one child element named `ns:local`; two are an error.
pub fn only_child(
    doc: &Document<'_>,
    parent: NodeId,
    ns: &str,
    local: &str,
) -> Result<Option<NodeId>, String> {
    let mut it = children(doc, parent, ns, local);
    let first = it.next();
    if it.next().is_some() {
        return Err(format!("more than one {local} element"));
    }
    Ok(first)
}

/// Every element named `ns:local` anywhere in the document.
pub fn all(doc: &Document<'_>, ns: &str, local: &str) -> Vec<NodeId> {
    doc.descendants(doc.root())
        .into_iter()
        .filter(|&n| is(doc, n, ns, local))
        .collect()
}

pub fn attr<'d>(doc: &'d Document<'_>, id: NodeId, name: &str) -> Option<&'d str> {
    doc.element(id)
        .and_then(|e| {
            e.attributes
                .iter()
                .find(|a| a.name.local_name.as_ref() == name && a.name.namespace_uri.is_none())
        })
        .map(|a| a.value.as_ref())
}

/// The text of an element that may hold only text, its text nodes
/// joined. A comment inside is refused: the NameID comment trick
/// (`user@hus.fi<!---->.evil`) leaves the IdP's signature valid while
/// parsers disagree on the value (some read only the part before the
/// comment), so such a value is not used at all. An element or processing
/// instruction inside is refused too.
pub fn text(doc: &Document<'_>, id: NodeId) -> Result<String, String> {
    let mut out = String::new();
    for c in doc.children(id) {
        match doc.node_kind(c) {
            Some(NodeKind::Text(t)) | Some(NodeKind::CData(t)) => out.push_str(t),
            Some(NodeKind::Comment(_)) => {
                return Err(
                    "a comment splits the value (refused: parsers disagree on what it is)".into(),
                );
            }
            _ => return Err("an element that should hold only text holds something else".into()),
        }
    }
    Ok(out.trim().to_string())
}

/// An `xs:dateTime` in UTC (`2026-11-22T10:00:00Z`, fractions allowed).
pub fn parse_instant(s: &str) -> Option<i64> {
    let s = s.trim();
    let body = s.strip_suffix('Z')?;
    let body = match body.split_once('.') {
        Some((whole, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => {
            whole
        }
        Some(_) => return None,
        None => body,
    };
    if !body.contains('T') {
        return None;
    }
    crate::time::parse_utc(&format!("{body}Z"))
}

pub fn instant(unix: i64) -> String {
    crate::time::iso_utc(unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        assert_eq!(parse_instant("2026-01-15T12:00:00Z"), Some(1_768_478_400));
        assert_eq!(
            parse_instant("2026-01-15T12:00:00.123Z"),
            Some(1_768_478_400)
        );
        assert_eq!(parse_instant("2026-01-15T12:00:00+02:00"), None);
        assert_eq!(parse_instant("2026-01-15"), None);
        assert_eq!(instant(1_768_478_400), "2026-01-15T12:00:00Z");
    }

    #[test]
    fn text_refuses_comments_and_elements() {
        let doc = parse("<a>user@hus.fi<!---->.evil</a>").unwrap();
        let root = doc.document_element().unwrap();
        assert!(text(&doc, root).unwrap_err().contains("comment"));
        let doc = parse("<a>x<b/>y</a>").unwrap();
        assert!(text(&doc, doc.document_element().unwrap()).is_err());
        let doc = parse("<a> anna </a>").unwrap();
        assert_eq!(text(&doc, doc.document_element().unwrap()).unwrap(), "anna");
        assert!(parse("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>").is_err());
    }
}
