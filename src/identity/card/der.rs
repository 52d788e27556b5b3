//! Just enough DER for OCSP (RFC 6960): a writer for the request and a
//! reader for the response. The reader splits elements with asn1-rs (which
//! x509-parser brings), so lengths are checked by a maintained parser; the
//! OCSP structure on top is walked by hand in `ocsp/response.rs`.
//!
//! Only low tag numbers (< 31) occur in OCSP, so a tag is its single
//! identifier byte: class (2 bits), constructed (1 bit), number (5 bits).

use x509_parser::asn1_rs::{Any, FromDer};

pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const ENUMERATED: u8 = 0x0a;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const SEQUENCE: u8 = 0x30;

/// `[n]` with a constructed body: the tag of an EXPLICIT context tag (and
/// of an IMPLICIT one over a SEQUENCE).
pub const fn context(n: u8) -> u8 {
    0xa0 | n
}

/// `[n]` with a primitive body: an IMPLICIT context tag over, say, NULL.
pub const fn context_primitive(n: u8) -> u8 {
    0x80 | n
}

// ---- writing ----

/// One element: tag, definite length (short form below 128, else long
/// form with the fewest bytes, as DER demands), content.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already-encoded elements.
pub fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

pub fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(OCTET_STRING, bytes)
}

/// An INTEGER from its content octets as found in a certificate (a
/// serial number is copied, never re-encoded, so it matches byte for byte).
pub fn integer_content(content: &[u8]) -> Vec<u8> {
    tlv(INTEGER, content)
}

pub fn null() -> Vec<u8> {
    vec![NULL, 0x00]
}

/// An OBJECT IDENTIFIER from its arcs: the first two share one byte
/// (40·a + b), every other arc is base 128, high bit set on all but the
/// last byte.
pub fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    let (first, rest) = match arcs {
        [a, b, rest @ ..] => (a * 40 + b, rest),
        [a] => (a * 40, &[][..]),
        [] => return tlv(OID, &[]),
    };
    for &arc in std::iter::once(&first).chain(rest) {
        let mut bytes = vec![(arc & 0x7f) as u8];
        let mut more = arc >> 7;
        while more > 0 {
            bytes.push((more & 0x7f) as u8 | 0x80);
            more >>= 7;
        }
        bytes.reverse();
        body.extend(bytes);
    }
    tlv(OID, &body)
}

/// `[n] EXPLICIT` around one encoded element.
pub fn explicit(n: u8, inner: &[u8]) -> Vec<u8> {
    tlv(context(n), inner)
}

// ---- reading ----

/// One element of a DER input.
#[derive(Debug, Clone, Copy)]
pub struct Element<'a> {
    pub tag: u8,
    /// The content octets.
    pub content: &'a [u8],
    /// The whole encoding, identifier and length included (what a
    /// signature covers).
    pub raw: &'a [u8],
}

impl<'a> Element<'a> {
    /// Reads exactly one element from `input`; trailing bytes are an error.
    pub fn parse_all(input: &'a [u8], what: &str) -> Result<Self, String> {
        let mut r = Reader::new(input);
        let e = r.next(what)?;
        r.finish(what)?;
        Ok(e)
    }

    /// The elements inside a constructed element.
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.content)
    }

    /// The content as a small non-negative ENUMERATED/INTEGER value.
    pub fn small_uint(&self, what: &str) -> Result<u64, String> {
        match self.content {
            [] => Err(format!("{what}: empty number")),
            [first, ..] if first & 0x80 != 0 => Err(format!("{what}: negative number")),
            c if c.len() > 8 => Err(format!("{what}: number too large")),
            c => Ok(c.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b))),
        }
    }
}

/// The elements of a constructed element, one after another.
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element, whatever its tag.
    pub fn next(&mut self, what: &str) -> Result<Element<'a>, String> {
        if self.rest.is_empty() {
            return Err(format!("{what}: missing"));
        }
        let input = self.rest;
        let (rest, any) = Any::from_der(input).map_err(|e| format!("{what}: {e}"))?;
        let raw = &input[..input.len() - rest.len()];
        let content = any.data;
        self.rest = rest;
        Ok(Element {
            tag: raw[0],
            content,
            raw,
        })
    }

    /// The next element, which must have tag `tag`.
    pub fn expect(&mut self, tag: u8, what: &str) -> Result<Element<'a>, String> {
        let e = self.next(what)?;
        if e.tag != tag {
            return Err(format!(
                "{what}: expected tag {tag:#04x}, found {:#04x}",
                e.tag
            ));
        }
        Ok(e)
    }

    /// The next element if it has tag `tag` (an OPTIONAL or DEFAULT field).
    pub fn optional(&mut self, tag: u8, what: &str) -> Result<Option<Element<'a>>, String> {
        if self.rest.first() == Some(&tag) {
            self.next(what).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Nothing may follow.
    pub fn finish(&self, what: &str) -> Result<(), String> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(format!("{what}: unexpected trailing data"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_use_the_shortest_form() {
        assert_eq!(tlv(0x04, &[7; 3])[..2], [0x04, 3]);
        assert_eq!(tlv(0x04, &[7; 127])[..2], [0x04, 127]);
        assert_eq!(tlv(0x04, &[7; 128])[..3], [0x04, 0x81, 128]);
        assert_eq!(tlv(0x04, &[7; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn oids_encode_as_x509_parser_reads_them() {
        let der = oid(&[1, 3, 6, 1, 5, 5, 7, 48, 1, 2]);
        assert_eq!(
            der,
            [
                0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02
            ]
        );
        let der = oid(&[2, 16, 840, 1, 101]);
        let (_, parsed) = x509_parser::asn1_rs::Oid::from_der(&der).unwrap();
        assert_eq!(parsed.to_id_string(), "2.16.840.1.101");
    }

    #[test]
    fn the_reader_walks_what_the_writer_wrote() {
        let inner = sequence(&[&null(), &octet_string(b"abc")]);
        let outer = sequence(&[&inner, &explicit(2, &integer_content(&[0x01, 0x00]))]);
        let top = Element::parse_all(&outer, "top").unwrap();
        let mut r = top.reader();
        let seq = r.expect(SEQUENCE, "inner").unwrap();
        assert_eq!(seq.raw, &inner[..]);
        let mut s = seq.reader();
        s.expect(NULL, "null").unwrap();
        assert_eq!(s.expect(OCTET_STRING, "os").unwrap().content, b"abc");
        assert!(r.optional(context(0), "absent").unwrap().is_none());
        let tagged = r.optional(context(2), "tagged").unwrap().unwrap();
        let n = Element::parse_all(tagged.content, "n").unwrap();
        assert_eq!(n.small_uint("n").unwrap(), 256);
        r.finish("top").unwrap();
        // Trailing bytes and truncation are refused.
        let mut longer = outer.clone();
        longer.push(0);
        assert!(Element::parse_all(&longer, "x").is_err());
        assert!(Element::parse_all(&outer[..outer.len() - 1], "x").is_err());
    }
}
