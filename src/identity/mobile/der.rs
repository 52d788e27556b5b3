//! The few DER pieces CMS needs: reading one element at a time (with
//! asn1-rs, which x509-parser brings) and writing the SignedData the
//! development MSSP returns.

use x509_parser::asn1_rs::{Any, Class, FromDer, Oid, Tag};

/// One DER element: its tag, its content, and all of its bytes.
pub struct Element<'a> {
    pub class: Class,
    pub tag: Tag,
    pub content: &'a [u8],
    pub raw: &'a [u8],
}

impl Element<'_> {
    pub fn is(&self, class: Class, tag: u32) -> bool {
        self.class == class && self.tag == Tag(tag)
    }
    pub fn is_universal(&self, tag: Tag) -> bool {
        self.class == Class::Universal && self.tag == tag
    }
}

/// Reads the first element of `input`; returns it and what follows.
pub fn read(input: &[u8]) -> Result<(Element<'_>, &[u8]), String> {
    let (rest, any) = Any::from_der(input).map_err(|e| format!("bad DER: {e}"))?;
    let raw = &input[..input.len() - rest.len()];
    Ok((
        Element {
            class: any.class(),
            tag: any.tag(),
            content: any.data,
            raw,
        },
        rest,
    ))
}

/// Every element in `content` (the inside of a SEQUENCE or SET).
pub fn elements(mut content: &[u8]) -> Result<Vec<Element<'_>>, String> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (e, rest) = read(content)?;
        out.push(e);
        content = rest;
    }
    Ok(out)
}

/// The one element of `input`, refusing trailing bytes.
pub fn only(input: &[u8]) -> Result<Element<'_>, String> {
    let (e, rest) = read(input)?;
    if !rest.is_empty() {
        return Err("trailing bytes after a DER element".into());
    }
    Ok(e)
}

/// The dotted form of an OBJECT IDENTIFIER element.
pub fn oid(e: &Element<'_>) -> Result<String, String> {
    if !e.is_universal(Tag::Oid) {
        return Err("expected an OBJECT IDENTIFIER".into());
    }
    Ok(Oid::new(e.content.into()).to_id_string())
}

// ---- writing ----

/// A tag-length-value with a definite length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A DER SET OF: its elements in ascending order of their encodings.
pub fn set_of(mut parts: Vec<Vec<u8>>) -> Vec<u8> {
    parts.sort();
    tlv(0x31, &parts.concat())
}

pub fn oid_der(dotted: &str) -> Result<Vec<u8>, String> {
    let bad = || format!("{dotted:?} is not a dotted OID");
    let arcs = dotted
        .split('.')
        .map(|a| a.parse::<u64>().map_err(|_| bad()))
        .collect::<Result<Vec<_>, _>>()?;
    if arcs.len() < 2 || arcs[0] > 2 {
        return Err(bad());
    }
    let mut body = Vec::new();
    let first = arcs[0] * 40 + arcs[1];
    for arc in std::iter::once(first).chain(arcs[2..].iter().copied()) {
        let mut bytes = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            bytes.push((rest & 0x7f) as u8 | 0x80);
            rest >>= 7;
        }
        bytes.reverse();
        body.extend(bytes);
    }
    Ok(tlv(0x06, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_back() {
        let long = vec![7u8; 300];
        let s = seq(&[&oid_der("1.2.840.113549.1.7.2").unwrap(), &tlv(0x04, &long)]);
        let outer = only(&s).unwrap();
        assert!(outer.is_universal(Tag::Sequence));
        let inner = elements(outer.content).unwrap();
        assert_eq!(oid(&inner[0]).unwrap(), "1.2.840.113549.1.7.2");
        assert_eq!(inner[1].content, &long[..]);
        assert!(only(&[s.clone(), vec![0]].concat()).is_err());
        assert!(oid_der("1").is_err() && oid_der("a.b").is_err());
    }

    #[test]
    fn set_of_is_sorted() {
        let s = set_of(vec![vec![0x04, 0x01, 0x09], vec![0x04, 0x01, 0x01]]);
        assert_eq!(s, vec![0x31, 6, 0x04, 1, 1, 0x04, 1, 9]);
    }
}
