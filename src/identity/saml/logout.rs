//! An IdP's own LogoutRequest (IdP-initiated single logout), read after
//! its redirect-binding signature has been verified with a key from the
//! IdP's metadata. A genuinely signed request is still refused when it is
//! not for now or not for this service: what ends a session must be as
//! fresh and as addressed as what starts one. The caller keeps the replay
//! cache and compares the SessionIndex with the session's.

use super::xml::{self, SAML, SAMLP, attr, only_child, parse_instant};

/// Why a LogoutRequest was refused. The text is the operator's log line.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogoutError {
    /// Not a readable SAML 2.0 LogoutRequest (a document type
    /// declaration, a comment inside the NameID, missing parts).
    #[error("{0}")]
    Unreadable(String),
    /// Readable, but from another issuer, for another service, or not for
    /// now.
    #[error("{0}")]
    Refused(String),
}

fn unreadable(m: impl Into<String>) -> LogoutError {
    LogoutError::Unreadable(m.into())
}

fn refused(m: impl Into<String>) -> LogoutError {
    LogoutError::Refused(m.into())
}

/// What this SP expects of an IdP's LogoutRequest.
pub struct LogoutExpectations<'a> {
    pub idp_entity_id: &'a str,
    /// This gateway's SingleLogoutService for the source: the Destination.
    pub destination: &'a str,
    pub now: i64,
    pub skew: i64,
    /// The oldest IssueInstant accepted, in seconds (as for assertions).
    pub max_age: i64,
}

impl LogoutExpectations<'_> {
    /// How long a request's ID stays in the replay cache: as long as any
    /// request could still pass [`IdpLogoutRequest::check`].
    pub fn replay_ttl(&self) -> i64 {
        self.max_age + 2 * self.skew
    }
}

/// A LogoutRequest as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpLogoutRequest {
    pub id: String,
    pub issuer: String,
    pub destination: Option<String>,
    pub issue_instant: i64,
    pub not_on_or_after: Option<i64>,
    pub name_id: String,
    /// The IdP sessions it ends; empty: every session of the NameID.
    pub session_indexes: Vec<String>,
}

impl IdpLogoutRequest {
    /// Reads the (already verified) XML of a LogoutRequest.
    pub fn read(text: &str) -> Result<Self, LogoutError> {
        let doc = xml::parse(text).map_err(unreadable)?;
        let root = doc
            .document_element()
            .filter(|&r| xml::is(&doc, r, SAMLP, "LogoutRequest"))
            .ok_or_else(|| unreadable("the message is not a SAML LogoutRequest"))?;
        if attr(&doc, root, "Version") != Some("2.0") {
            return Err(unreadable("the LogoutRequest is not SAML 2.0"));
        }
        let id = attr(&doc, root, "ID")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| unreadable("the LogoutRequest has no ID"))?
            .to_string();
        let time = |name: &str| -> Result<Option<i64>, LogoutError> {
            match attr(&doc, root, name) {
                None => Ok(None),
                Some(s) => parse_instant(s)
                    .map(Some)
                    .ok_or_else(|| unreadable(format!("{name} {s:?} is not a UTC time"))),
            }
        };
        let issue_instant = time("IssueInstant")?
            .ok_or_else(|| unreadable("the LogoutRequest has no IssueInstant"))?;
        let not_on_or_after = time("NotOnOrAfter")?;
        let text_of = |ns: &str, name: &str| -> Result<String, LogoutError> {
            let el = only_child(&doc, root, ns, name)
                .map_err(unreadable)?
                .ok_or_else(|| unreadable(format!("the LogoutRequest has no {name}")))?;
            xml::text(&doc, el).map_err(|e| unreadable(format!("{name}: {e}")))
        };
        if xml::children(&doc, root, SAML, "EncryptedID")
            .next()
            .is_some()
        {
            return Err(unreadable("an encrypted NameID is not supported"));
        }
        let issuer = text_of(SAML, "Issuer")?;
        let name_id = text_of(SAML, "NameID")?;
        if name_id.is_empty() {
            return Err(unreadable("the NameID is empty"));
        }
        let mut session_indexes = Vec::new();
        for si in xml::children(&doc, root, SAMLP, "SessionIndex") {
            session_indexes
                .push(xml::text(&doc, si).map_err(|e| unreadable(format!("SessionIndex: {e}")))?);
        }
        Ok(Self {
            id,
            issuer,
            destination: attr(&doc, root, "Destination").map(str::to_string),
            issue_instant,
            not_on_or_after,
            name_id,
            session_indexes,
        })
    }

    /// The issuer, the Destination (required: the message is signed) and
    /// the time window.
    pub fn check(&self, exp: &LogoutExpectations<'_>) -> Result<(), LogoutError> {
        if self.issuer != exp.idp_entity_id {
            return Err(refused(format!(
                "the LogoutRequest is issued by {:?}, not by {:?}",
                self.issuer, exp.idp_entity_id
            )));
        }
        match self.destination.as_deref() {
            Some(d) if d == exp.destination => {}
            Some(d) => {
                return Err(refused(format!(
                    "the LogoutRequest is for {d:?}, not for this service ({:?})",
                    exp.destination
                )));
            }
            None => return Err(refused("the signed LogoutRequest has no Destination")),
        }
        let (now, skew) = (exp.now, exp.skew);
        if self.issue_instant > now + skew {
            return Err(refused(format!(
                "the LogoutRequest was issued {}s in the future (check the clocks)",
                self.issue_instant - now
            )));
        }
        if now - self.issue_instant > exp.max_age + skew {
            return Err(refused(format!(
                "the LogoutRequest was issued {}s ago; at most {}s is accepted",
                now - self.issue_instant,
                exp.max_age
            )));
        }
        if let Some(na) = self.not_on_or_after
            && na <= now - skew
        {
            return Err(refused(format!(
                "the LogoutRequest expired {}s ago (NotOnOrAfter)",
                now - na
            )));
        }
        Ok(())
    }

    /// Whether it names the IdP session `ours` (the SessionIndex of the
    /// login): any session when it names none.
    pub fn names_session(&self, ours: Option<&str>) -> bool {
        self.session_indexes.is_empty()
            || ours.is_some_and(|o| self.session_indexes.iter().any(|s| s == o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::saml::request::logout_request_xml;

    const NOW: i64 = 1_768_478_400;

    fn exp() -> LogoutExpectations<'static> {
        LogoutExpectations {
            idp_entity_id: "https://idp.example.fi",
            destination: "https://pv.example.fi/saml/hus/slo",
            now: NOW,
            skew: 120,
            max_age: 600,
        }
    }

    fn req(dest: &str, at: i64, si: Option<&str>) -> IdpLogoutRequest {
        IdpLogoutRequest::read(&logout_request_xml(
            "_lr",
            "https://idp.example.fi",
            dest,
            at,
            "anna@hus.fi",
            si,
        ))
        .unwrap()
    }

    #[test]
    fn window_destination_and_session() {
        let dest = "https://pv.example.fi/saml/hus/slo";
        let ok = req(dest, NOW - 30, Some("_s1"));
        assert_eq!(ok.check(&exp()), Ok(()));
        assert!(ok.names_session(Some("_s1")));
        assert!(!ok.names_session(Some("_s2")));
        assert!(!ok.names_session(None));
        assert!(req(dest, NOW, None).names_session(Some("_s2")));
        for bad in [
            req(dest, NOW - 3 * 365 * 86_400, None),
            req(dest, NOW + 86_400, None),
            req("https://other.example.fi/saml/hus/slo", NOW, None),
        ] {
            assert!(matches!(bad.check(&exp()), Err(LogoutError::Refused(_))));
        }
        let comment = logout_request_xml("_lr", "https://idp.example.fi", dest, NOW, "x", None)
            .replace("<saml:NameID>x<", "<saml:NameID>anna@hus.fi<!---->.evil<");
        assert!(matches!(
            IdpLogoutRequest::read(&comment),
            Err(LogoutError::Unreadable(_))
        ));
    }
}
