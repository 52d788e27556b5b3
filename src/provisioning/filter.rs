//! SCIM filters (RFC 7644 §3.4.2.2) into the directory's
//! [`AccountFilter`]: the comparisons `eq`, `ne`, `co`, `sw`, `ew` and
//! `pr` on `id`, `userName`, `externalId`, `emails` (`emails.value`),
//! `name.givenName`, `name.familyName` and `active`, joined by `and`,
//! `or`, `not` and parentheses. Anything else is refused as
//! `invalidFilter`, naming what was not understood.

use super::ScimError;
use super::user::CORE;
use crate::store::{AccountFilter, FilterAttr, FilterOp};

/// The longest filter read, and the deepest nesting: a filter is one
/// line an identity management writes, not a program.
const MAX_LEN: usize = 2048;
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
}

fn tokens(s: &str) -> Result<Vec<Token>, ScimError> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '"' => {
                chars.next();
                let mut v = String::new();
                loop {
                    match chars.next() {
                        None => return Err(ScimError::filter("a string is not closed")),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => v.push('\n'),
                            Some('t') => v.push('\t'),
                            Some('u') => {
                                let hex: String = chars.by_ref().take(4).collect();
                                let ch = u32::from_str_radix(&hex, 16)
                                    .ok()
                                    .and_then(char::from_u32)
                                    .ok_or_else(|| {
                                        ScimError::filter("a \\u escape is not valid")
                                    })?;
                                v.push(ch);
                            }
                            Some(other) => v.push(other),
                            None => return Err(ScimError::filter("a string is not closed")),
                        },
                        Some(other) => v.push(other),
                    }
                }
                out.push(Token::Str(v));
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                if w.contains('[') || w.contains(']') {
                    return Err(ScimError::filter(
                        "value filters in brackets are not supported in a search",
                    ));
                }
                out.push(Token::Word(w));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek_word(&self) -> Option<String> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or(&mut self) -> Result<AccountFilter, ScimError> {
        let mut left = self.and()?;
        while self.peek_word().as_deref() == Some("or") {
            self.at += 1;
            let right = self.and()?;
            left = AccountFilter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<AccountFilter, ScimError> {
        let mut left = self.unary()?;
        while self.peek_word().as_deref() == Some("and") {
            self.at += 1;
            let right = self.unary()?;
            left = AccountFilter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<AccountFilter, ScimError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ScimError::filter("the filter is nested too deeply"));
        }
        let r = self.unary_inner();
        self.depth -= 1;
        r
    }

    fn unary_inner(&mut self) -> Result<AccountFilter, ScimError> {
        if self.peek_word().as_deref() == Some("not") {
            self.at += 1;
            if self.next() != Some(Token::Open) {
                return Err(ScimError::filter("\"not\" must be followed by \"(\""));
            }
            let inner = self.or()?;
            if self.next() != Some(Token::Close) {
                return Err(ScimError::filter("a \")\" is missing"));
            }
            return Ok(AccountFilter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                if self.next() != Some(Token::Close) {
                    return Err(ScimError::filter("a \")\" is missing"));
                }
                Ok(inner)
            }
            Some(Token::Word(path)) => self.comparison(&path),
            _ => Err(ScimError::filter("an attribute name was expected")),
        }
    }

    fn comparison(&mut self, path: &str) -> Result<AccountFilter, ScimError> {
        let attr = attribute(path)?;
        let op = match self.next() {
            Some(Token::Word(w)) => w.to_ascii_lowercase(),
            _ => return Err(ScimError::filter("an operator was expected")),
        };
        if op == "pr" {
            return Ok(AccountFilter::Present(attr));
        }
        let op = match op.as_str() {
            "eq" => FilterOp::Eq,
            "ne" => FilterOp::Ne,
            "co" => FilterOp::Co,
            "sw" => FilterOp::Sw,
            "ew" => FilterOp::Ew,
            "gt" | "ge" | "lt" | "le" => {
                return Err(ScimError::filter(
                    "gt, ge, lt and le are not supported on these attributes",
                ));
            }
            _ => return Err(ScimError::filter("unknown operator")),
        };
        let value = match self.next() {
            Some(Token::Str(v)) => v,
            Some(Token::Word(w)) if attr == FilterAttr::Active => w.to_ascii_lowercase(),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => {
                // `x eq null` is "not present" (RFC 7644 §3.4.2.2).
                let present = AccountFilter::Present(attr);
                return match op {
                    FilterOp::Eq => Ok(AccountFilter::Not(Box::new(present))),
                    FilterOp::Ne => Ok(present),
                    _ => Err(ScimError::filter("null compares only with eq and ne")),
                };
            }
            _ => return Err(ScimError::filter("a quoted string value was expected")),
        };
        if attr == FilterAttr::Active {
            if !matches!(op, FilterOp::Eq | FilterOp::Ne) || !["true", "false"].contains(&&*value) {
                return Err(ScimError::filter(
                    "active compares only with eq or ne and true or false",
                ));
            }
        } else if value.chars().count() > 254 {
            return Err(ScimError::filter("a value is too long"));
        }
        Ok(AccountFilter::Compare { attr, op, value })
    }
}

/// The attribute a path names (case-insensitively, with or without the
/// core schema's URN).
fn attribute(path: &str) -> Result<FilterAttr, ScimError> {
    let lower = path.to_ascii_lowercase();
    let core = format!("{}:", CORE.to_ascii_lowercase());
    let name = lower.strip_prefix(&core).unwrap_or(&lower);
    Ok(match name {
        "id" => FilterAttr::Id,
        "username" => FilterAttr::UserName,
        "externalid" => FilterAttr::ExternalId,
        "emails" | "emails.value" => FilterAttr::Email,
        "name.givenname" => FilterAttr::GivenName,
        "name.familyname" => FilterAttr::FamilyName,
        "active" => FilterAttr::Active,
        _ => {
            return Err(ScimError::filter(
                "filters compare id, userName, externalId, emails, name.givenName, \
                 name.familyName or active",
            ));
        }
    })
}

/// Reads a SCIM filter.
pub fn parse(s: &str) -> Result<AccountFilter, ScimError> {
    if s.len() > MAX_LEN {
        return Err(ScimError::filter("the filter is too long"));
    }
    let mut p = Parser {
        tokens: tokens(s)?,
        at: 0,
        depth: 0,
    };
    let f = p.or()?;
    if p.at != p.tokens.len() {
        return Err(ScimError::filter("the filter goes on after its end"));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(attr: FilterAttr, op: FilterOp, value: &str) -> AccountFilter {
        AccountFilter::Compare {
            attr,
            op,
            value: value.into(),
        }
    }

    #[test]
    fn reads_what_identity_managements_send() {
        assert_eq!(
            parse("userName eq \"Anna.Hoitaja@hyvaks.fi\"").unwrap(),
            cmp(FilterAttr::UserName, FilterOp::Eq, "Anna.Hoitaja@hyvaks.fi")
        );
        assert_eq!(
            parse("urn:ietf:params:scim:schemas:core:2.0:User:externalId EQ \"x1\"").unwrap(),
            cmp(FilterAttr::ExternalId, FilterOp::Eq, "x1")
        );
        assert_eq!(
            parse("emails co \"@hyvaks\" and not (active eq false) or userName sw \"a\"").unwrap(),
            AccountFilter::Or(
                Box::new(AccountFilter::And(
                    Box::new(cmp(FilterAttr::Email, FilterOp::Co, "@hyvaks")),
                    Box::new(AccountFilter::Not(Box::new(cmp(
                        FilterAttr::Active,
                        FilterOp::Eq,
                        "false"
                    ))))
                )),
                Box::new(cmp(FilterAttr::UserName, FilterOp::Sw, "a"))
            )
        );
        assert_eq!(
            parse("externalId pr").unwrap(),
            AccountFilter::Present(FilterAttr::ExternalId)
        );
        assert_eq!(
            parse("title eq \"x\"").unwrap_err().scim_type(),
            Some("invalidFilter")
        );
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        for bad in [
            "",
            "userName",
            "userName eq",
            "userName eq x",
            "userName eq \"x",
            "userName gt \"x\"",
            "(userName eq \"x\"",
            "userName eq \"x\")",
            "emails[type eq \"work\"] pr",
            "active eq \"maybe\"",
            "userName xx \"x\"",
            "not userName eq \"x\"",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}userName eq \"x\"{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep).is_err());
    }
}
