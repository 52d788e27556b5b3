//! `[mobile]`: login with the Finnish mobile certificate (mobiilivarmenne)
//! through the operator's Mobile Signature Service Provider (ETSI TS 102
//! 204, FiCom's guideline). See docs/configuration.md.

use std::path::PathBuf;

use serde::Deserialize;

use super::card::{CardIssuer, CardSettings, RevocationUnknown};
use super::{Secret, oid_ok};
use crate::domain::LoA;

/// The FiCom authentication signature profile.
pub const FICOM_SIGNATURE_PROFILE: &str = "http://mss.ficom.fi/TS102204/v1.0.0#signature";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MobileSettings {
    pub enabled: bool,
    /// The identity source id of mobile logins (identity links, portal
    /// rules).
    pub source: String,
    /// Where MSS_Signature requests go (SOAP 1.1). A URL starting with `/`
    /// is this server's own (the development MSSP).
    pub mssp_url: String,
    /// Where MSS_StatusQuery requests go; default `mssp_url`.
    pub status_url: Option<String>,
    /// Our application provider id and password at the MSSP.
    pub ap_id: String,
    pub ap_password: Secret,
    /// The MSSP's id (MSSP_Info/MSSP_ID/URI).
    pub mssp_id: String,
    pub signature_profile: String,
    /// The service's name on the phone (FiCom DisplayName) and in the
    /// text to be signed.
    pub display_name: String,
    /// How often the browser asks whether the person has answered.
    pub poll_interval_secs: u64,
    /// How long the person has to answer on the phone.
    pub timeout_secs: u64,
    /// Longest wait for one answer of the MSSP.
    pub request_timeout_secs: u64,
    /// The level of assurance a mobile certificate login gives.
    pub loa: LoA,
    /// PEM bundle of the roots mobile certificates chain to.
    pub trust_anchors: Option<PathBuf>,
    /// The operators' CAs that issue mobile certificates.
    pub issuers: Vec<CardIssuer>,
    /// A mobile certificate must name one of these certificate policies
    /// (the operators' common policy is 1.2.246.277.1.11).
    pub policy_oids: Vec<String>,
    /// When a CA's revocation list cannot be had: `refuse` or `allow`.
    pub revocation_unknown: RevocationUnknown,
}

impl Default for MobileSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            source: "mobile".into(),
            mssp_url: String::new(),
            status_url: None,
            ap_id: String::new(),
            ap_password: Secret::default(),
            mssp_id: String::new(),
            signature_profile: FICOM_SIGNATURE_PROFILE.into(),
            display_name: "Porttivahti".into(),
            poll_interval_secs: 3,
            timeout_secs: 120,
            request_timeout_secs: 10,
            loa: LoA::High,
            trust_anchors: None,
            issuers: Vec::new(),
            policy_oids: vec!["1.2.246.277.1.11".into()],
            revocation_unknown: RevocationUnknown::Refuse,
        }
    }
}

fn url_ok(u: &str) -> bool {
    u.starts_with('/') || u.starts_with("http://") || u.starts_with("https://")
}

impl MobileSettings {
    /// The certificate checks of a mobile certificate are a card's: the
    /// same verifier, with the mobile CAs.
    pub fn certificate_settings(&self) -> CardSettings {
        CardSettings {
            enabled: true,
            source: self.source.clone(),
            trust_anchors: self.trust_anchors.clone(),
            issuers: self.issuers.clone(),
            revocation_unknown: self.revocation_unknown,
            ..CardSettings::default()
        }
    }

    /// Cross-checks, naming the key at fault.
    pub(super) fn check(&self, development: bool) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        if self.source.trim().is_empty() {
            return Err("mobile.source must not be empty".into());
        }
        if !url_ok(&self.mssp_url) {
            return Err(format!(
                "mobile.mssp_url must be an http(s) URL (or a path of this server), got {:?}",
                self.mssp_url
            ));
        }
        if let Some(u) = &self.status_url
            && !url_ok(u)
        {
            return Err(format!(
                "mobile.status_url must be an http(s) URL, got {u:?}"
            ));
        }
        let own = self.mssp_url.starts_with('/')
            || self
                .status_url
                .as_deref()
                .is_some_and(|u| u.starts_with('/'));
        if own && !development {
            return Err(
                "mobile.mssp_url names this server's development MSSP: it needs \
                 server.environment = \"development\""
                    .into(),
            );
        }
        for (key, value) in [
            ("ap_id", &self.ap_id),
            ("mssp_id", &self.mssp_id),
            ("signature_profile", &self.signature_profile),
            ("display_name", &self.display_name),
        ] {
            if value.trim().is_empty() {
                return Err(format!("mobile.{key} must be set"));
            }
        }
        if self.display_name.chars().count() > 40 {
            return Err("mobile.display_name must be at most 40 characters".into());
        }
        if self.poll_interval_secs == 0 || self.poll_interval_secs > 30 {
            return Err("mobile.poll_interval_secs must be between 1 and 30".into());
        }
        if !(10..=600).contains(&self.timeout_secs) {
            return Err("mobile.timeout_secs must be between 10 and 600".into());
        }
        if self.request_timeout_secs == 0 {
            return Err("mobile.request_timeout_secs must be at least 1".into());
        }
        if self.loa == LoA::Low {
            return Err("mobile.loa must be \"substantial\" or \"high\"".into());
        }
        if self.trust_anchors.is_none() {
            return Err("mobile.trust_anchors must name a PEM bundle of root certificates".into());
        }
        if self.issuers.is_empty() {
            return Err("mobile.issuers must name at least one mobile certificate CA".into());
        }
        for u in self.issuers.iter().filter_map(|i| i.crl_url.as_deref()) {
            super::card::check_crl_url("mobile.issuers", u, development)?;
        }
        if self.policy_oids.is_empty() {
            return Err("mobile.policy_oids must name at least one certificate policy".into());
        }
        if let Some(o) = self.policy_oids.iter().find(|o| !oid_ok(o)) {
            return Err(format!("mobile.policy_oids: {o:?} is not a dotted OID"));
        }
        Ok(())
    }
}
