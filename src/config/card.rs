//! `[card]`: certificate-card logins (DVV social- and health-care cards as
//! TLS client certificates). See docs/configuration.md.

use std::path::PathBuf;

use serde::Deserialize;

use super::oid_ok;
use crate::domain::CardType;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CardSettings {
    /// Card login is offered (needs `server.tls_listen` or a reverse proxy
    /// that passes the certificate in `proxy_header`).
    pub enabled: bool,
    /// The identity source id of card logins (identity links, portal rules).
    pub source: String,
    /// PEM bundle of the root certificates card chains must end in.
    pub trust_anchors: Option<PathBuf>,
    /// The certificate authorities that issue cards; a card issued by any
    /// other CA is refused even when it chains to a trust anchor.
    pub issuers: Vec<CardIssuer>,
    /// How the card type is told from the certificate; the first entry
    /// whose policy OIDs the certificate names wins, else the issuer's
    /// `card_type`.
    pub types: Vec<CardTypeRule>,
    /// Test cards are accepted (development only: refused unless
    /// `server.environment = "development"`).
    pub allow_test_cards: bool,
    /// When a CA's revocation list cannot be had: `refuse` (default) or
    /// `allow` (logged on every login it lets through).
    pub revocation_unknown: RevocationUnknown,
    /// Fetch a fresh CRL this many seconds before the cached one's
    /// `nextUpdate`.
    pub crl_refresh_before_secs: u64,
    /// How long a CRL without `nextUpdate` is used before it is fetched again.
    pub crl_default_lifetime_secs: u64,
    pub crl_fetch_timeout_secs: u64,
    /// Largest CRL accepted, in bytes.
    pub crl_max_bytes: usize,
    /// Timeout of one OCSP request (issuers with `revocation = "ocsp"` or
    /// `"ocsp_then_crl"`).
    pub ocsp_timeout_secs: u64,
    /// Longest time an OCSP answer (good or revoked) is cached, even when
    /// its `nextUpdate` is later; also how old a response without
    /// `nextUpdate` may be.
    pub ocsp_cache_max_secs: u64,
    /// Clock difference tolerated against the responder's `thisUpdate` and
    /// `nextUpdate`.
    pub ocsp_clock_skew_secs: u64,
    /// OID of the subject attribute that carries the professional
    /// registration number (Terhikki/Suosikki), if the certificates carry
    /// one. Unverified for DVV's profile, hence configuration.
    pub registration_number_attribute: Option<String>,
    /// Header in which a trusted reverse proxy passes the client
    /// certificate, URL-escaped PEM (nginx `$ssl_client_escaped_cert`).
    /// Accepted only from `server.trusted_proxies`.
    pub proxy_header: Option<String>,
}

impl Default for CardSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            source: "card".into(),
            trust_anchors: None,
            issuers: Vec::new(),
            types: Vec::new(),
            allow_test_cards: false,
            revocation_unknown: RevocationUnknown::Refuse,
            crl_refresh_before_secs: 600,
            crl_default_lifetime_secs: 3600,
            crl_fetch_timeout_secs: 5,
            crl_max_bytes: 64 * 1024 * 1024,
            ocsp_timeout_secs: 5,
            ocsp_cache_max_secs: 3600,
            ocsp_clock_skew_secs: 300,
            registration_number_attribute: None,
            proxy_header: None,
        }
    }
}

/// A certificate authority that issues cards.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardIssuer {
    /// PEM file of the CA's certificate.
    pub certificate: PathBuf,
    /// Where its CRL is fetched; default: the card's CRL distribution point.
    #[serde(default)]
    pub crl_url: Option<String>,
    /// The card type of its cards when no policy OID tells.
    #[serde(default)]
    pub card_type: Option<CardType>,
    /// How its cards' revocation is checked.
    #[serde(default)]
    pub revocation: RevocationCheck,
    /// Where OCSP requests go; default: the card's AIA OCSP responder.
    #[serde(default)]
    pub ocsp_url: Option<String>,
}

/// How a CA's cards are checked for revocation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationCheck {
    /// The CA's CRL only (the default).
    #[default]
    Crl,
    /// OCSP only: no answer means the status is unknown.
    Ocsp,
    /// OCSP; when it gives no answer (unreachable, refused response,
    /// status unknown), the CRL.
    OcspThenCrl,
}

impl RevocationCheck {
    pub fn uses_ocsp(self) -> bool {
        matches!(self, RevocationCheck::Ocsp | RevocationCheck::OcspThenCrl)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardTypeRule {
    pub card_type: CardType,
    /// Certificate policy OIDs (dotted) that mark this type.
    pub policy_oids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationUnknown {
    Refuse,
    Allow,
}

/// A CRL URL is http(s); in development it may be a path, meaning this
/// server itself (the demo's test PKI CRLs, whatever port it listens on).
pub(super) fn check_crl_url(key: &str, url: &str, development: bool) -> Result<(), String> {
    if url.starts_with("http://") || url.starts_with("https://") {
        return Ok(());
    }
    if url.starts_with('/') {
        return if development {
            Ok(())
        } else {
            Err(format!(
                "{key}: crl_url {url:?} is a path on this server, which is for development only"
            ))
        };
    }
    Err(format!("{key}: crl_url {url:?} must be an http(s) URL"))
}

impl CardSettings {
    /// Cross-checks; `development` tells a development configuration.
    pub(super) fn check(&self, development: bool) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        if self.allow_test_cards && !development {
            return Err("card.allow_test_cards is for development only: it needs \
                 server.environment = \"development\""
                .into());
        }
        if self.trust_anchors.is_none() {
            return Err("card.trust_anchors must name a PEM bundle of root certificates".into());
        }
        if self.issuers.is_empty() {
            return Err("card.issuers must name at least one card CA".into());
        }
        if self.source.trim().is_empty() {
            return Err("card.source must not be empty".into());
        }
        for rule in &self.types {
            if rule.policy_oids.is_empty() {
                return Err(format!(
                    "card.types: {} names no policy_oids",
                    rule.card_type
                ));
            }
            if let Some(o) = rule.policy_oids.iter().find(|o| !oid_ok(o)) {
                return Err(format!("card.types: {o:?} is not a dotted OID"));
            }
        }
        if let Some(o) = &self.registration_number_attribute
            && !oid_ok(o)
        {
            return Err(format!(
                "card.registration_number_attribute: {o:?} is not a dotted OID"
            ));
        }
        for i in &self.issuers {
            if let Some(u) = &i.crl_url {
                check_crl_url("card.issuers", u, development)?;
            }
            if let Some(u) = &i.ocsp_url {
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    return Err(format!(
                        "card.issuers: ocsp_url {u:?} must be an http(s) URL"
                    ));
                }
                if !i.revocation.uses_ocsp() {
                    return Err(format!(
                        "card.issuers {}: ocsp_url is set but revocation = \"crl\"; \
                         say revocation = \"ocsp\" or \"ocsp_then_crl\"",
                        i.certificate.display()
                    ));
                }
            }
        }
        if self.ocsp_timeout_secs == 0 {
            return Err("card.ocsp_timeout_secs must be at least 1".into());
        }
        if self.ocsp_cache_max_secs == 0 {
            return Err("card.ocsp_cache_max_secs must be at least 1".into());
        }
        if let Some(h) = &self.proxy_header
            && (h.is_empty()
                || !h
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        {
            return Err(format!("card.proxy_header: {h:?} is not a header name"));
        }
        Ok(())
    }
}
