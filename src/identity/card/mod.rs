//! The client-certificate source: DVV social- and health-care cards (and
//! any certificate of a configured card CA). [`CardVerifier::verify`] turns
//! a presented chain into a [`CardIdentity`] or a typed [`CardError`].
//!
//! The chain is built and its signatures checked by rustls-webpki (which
//! rustls uses anyway, on aws-lc-rs) against the configured trust anchors,
//! with only the configured card CAs as intermediates. The card's own
//! facts are read with x509-parser; revocation is checked per card CA with
//! its CRL (`crl.rs`), its OCSP responder (`ocsp.rs`), or OCSP first and
//! the CRL when OCSP gives no answer, both verified with aws-lc-rs.

pub mod cert;
pub mod crl;
mod der;
mod error;
pub mod ocsp;
mod sig;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, TrustAnchor, UnixTime};

pub use error::CardError;

use crate::config::{CardSettings, RevocationCheck, RevocationUnknown};
use crate::domain::{AuthMethod, CardType, LoA, Satu};
use crate::identity::{Attributes, VerifiedIdentity};
use cert::CaFacts;
use crl::{CrlCache, CrlPolicy};
use ocsp::{Known, OcspClient, OcspPolicy};

/// Who a verified card says its holder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardIdentity {
    pub satu: Satu,
    pub card_type: CardType,
    pub common_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub title: Option<String>,
    pub registration_number: Option<String>,
    /// The issuing CA's name and the certificate's serial (hex), for logs.
    pub issuer: String,
    pub serial: String,
    pub not_after: i64,
}

impl CardIdentity {
    /// The identity the card vouches for: source `source`, subject the
    /// SATU, high assurance (PIN-protected card), smart-card method.
    pub fn verified(&self, source: &str, now: i64) -> VerifiedIdentity {
        VerifiedIdentity {
            source: source.to_string(),
            subject: self.satu.to_string(),
            loa: LoA::High,
            methods: vec![AuthMethod::Smartcard],
            authenticated_at: now,
            links_with: None,
            attributes: Attributes {
                given_name: self.given_name.clone(),
                family_name: self.family_name.clone(),
                title: self.title.clone(),
                ..Attributes::default()
            },
        }
    }
}

/// What a certificate is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Usage {
    /// TLS client authentication (cards): KeyUsage digitalSignature and
    /// ExtendedKeyUsage clientAuth.
    ClientAuth,
    /// Signing (mobile certificates): KeyUsage digitalSignature, and an
    /// ExtendedKeyUsage, when there is one, that names clientAuth.
    Signing,
}

/// A CA that issues cards.
struct CardCa {
    der: CertificateDer<'static>,
    facts: CaFacts,
    crl_url: Option<String>,
    card_type: Option<CardType>,
    revocation: RevocationCheck,
    ocsp_url: Option<String>,
    /// This CA as a trust anchor of its own, when its certificates may be
    /// checked against it alone once its own path has been verified (see
    /// [`CardVerifier::verify_chain`]); `None` when a trust anchor has
    /// name constraints or another configured CA has the same name.
    own_anchor: Option<TrustAnchor<'static>>,
    /// A chain through this CA has been verified up to a trust anchor.
    path_verified: AtomicBool,
}

pub struct CardVerifier {
    settings: CardSettings,
    anchors: Vec<TrustAnchor<'static>>,
    /// Subjects (DER) of the anchors and card CAs: the CA names the TLS
    /// listener sends, so a browser offers the right card.
    hint_subjects: Vec<Vec<u8>>,
    issuers: Vec<CardCa>,
    intermediates: Vec<CertificateDer<'static>>,
    crls: CrlCache,
    ocsp: OcspClient,
}

/// webpki's path check of `leaf` for TLS client authentication.
fn verify_path(
    leaf: &CertificateDer<'_>,
    anchors: &[TrustAnchor<'_>],
    intermediates: &[CertificateDer<'_>],
    now: i64,
) -> Result<(), CardError> {
    let ee = webpki::EndEntityCert::try_from(leaf)
        .map_err(|e| CardError::Malformed(format!("{e:?}")))?;
    let time = UnixTime::since_unix_epoch(Duration::from_secs(now.max(0) as u64));
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        anchors,
        intermediates,
        time,
        // Requires clientAuth only when there is an ExtendedKeyUsage;
        // cards are held to more by the caller.
        webpki::KeyUsage::client_auth(),
        None,
        None,
    )
    .map(|_| ())
    .map_err(|e| match e {
        webpki::Error::UnknownIssuer => {
            CardError::UnknownCa("no path to a configured trust anchor".into())
        }
        webpki::Error::RequiredEkuNotFoundContext(_) => {
            CardError::WrongKeyUsage("ExtendedKeyUsage does not name clientAuth".into())
        }
        other => CardError::Invalid(format!("{other:?}")),
    })
}

fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificates", path.display()));
    }
    Ok(certs)
}

impl CardVerifier {
    /// Loads the trust anchors and card CAs named in `settings`.
    pub fn new(settings: &CardSettings) -> Result<Self, String> {
        let anchors_path = settings
            .trust_anchors
            .as_deref()
            .ok_or("card.trust_anchors is not set")?;
        let anchor_ders = read_pem_certs(anchors_path)?;
        let mut anchors = Vec::new();
        let mut hint_subjects = Vec::new();
        for der in &anchor_ders {
            let a = webpki::anchor_from_trusted_cert(der)
                .map_err(|e| format!("card.trust_anchors: {e:?}"))?;
            anchors.push(a.to_owned());
            hint_subjects.push(cert::read_ca(der)?.subject_raw);
        }
        let mut issuers = Vec::new();
        for i in &settings.issuers {
            for der in read_pem_certs(&i.certificate)? {
                let facts = cert::read_ca(&der)
                    .map_err(|e| format!("card.issuers {}: {e}", i.certificate.display()))?;
                hint_subjects.push(facts.subject_raw.clone());
                let own_anchor = webpki::anchor_from_trusted_cert(&der)
                    .ok()
                    .map(|a| a.to_owned());
                issuers.push(CardCa {
                    der,
                    facts,
                    crl_url: i.crl_url.clone(),
                    card_type: i.card_type,
                    revocation: i.revocation,
                    ocsp_url: i.ocsp_url.clone(),
                    own_anchor,
                    path_verified: AtomicBool::new(false),
                });
            }
        }
        // The shortcut must not skip a check the full path makes: an
        // anchor's name constraints (which bind the card's names too), or
        // the choice between two certificates of one name (two CAs, or a
        // CA and an anchor: a path through the one would vouch for the
        // other).
        let constrained = anchors.iter().any(|a| a.name_constraints.is_some());
        for ca in &mut issuers {
            let same_name = hint_subjects
                .iter()
                .filter(|n| **n == ca.facts.subject_raw)
                .count();
            if constrained || same_name > 1 {
                ca.own_anchor = None;
            }
        }
        let intermediates = issuers.iter().map(|c| c.der.clone()).collect();
        let http = crl::http_client(settings.crl_fetch_timeout_secs)?;
        let policy = CrlPolicy {
            refresh_before: settings.crl_refresh_before_secs as i64,
            default_lifetime: settings.crl_default_lifetime_secs.max(60) as i64,
            max_bytes: settings.crl_max_bytes,
        };
        let crls = CrlCache::new(http, policy, issuers.len());
        for (n, ca) in issuers.iter().enumerate() {
            if let Some(u) = &ca.crl_url {
                crls.remember_url(n, u);
            }
        }
        let ocsp = OcspClient::new(
            settings.ocsp_timeout_secs,
            OcspPolicy {
                cache_max: settings.ocsp_cache_max_secs.max(1) as i64,
                skew: settings.ocsp_clock_skew_secs as i64,
            },
        )?;
        Ok(Self {
            settings: settings.clone(),
            anchors,
            hint_subjects,
            issuers,
            intermediates,
            crls,
            ocsp,
        })
    }

    pub fn source(&self) -> &str {
        &self.settings.source
    }

    /// DER subjects of the trust anchors and card CAs.
    pub fn hint_subjects(&self) -> &[Vec<u8>] {
        &self.hint_subjects
    }

    /// Fetches the CRLs that are due (called now and then in the
    /// background, so logins seldom wait for a fetch).
    pub async fn refresh_crls(&self, now: i64) {
        for (n, url) in self.crls.refresh_due(now) {
            if let Some(ca) = self.issuers.get(n)
                && let Err(e) = self.crls.get(n, &ca.facts, &url, now).await
            {
                tracing::warn!(ca = %ca.facts.subject, url, error = %e, "CRL refresh failed");
            }
        }
    }

    /// Verifies a presented chain (the card's certificate first) at `now`.
    /// Every refusal is logged with what the operator needs.
    pub async fn verify(
        &self,
        chain: &[CertificateDer<'_>],
        now: i64,
    ) -> Result<CardIdentity, CardError> {
        let Some(leaf) = chain.first() else {
            tracing::info!(
                code = "card_no_certificate",
                "card login: no client certificate"
            );
            return Err(CardError::NoCertificate);
        };
        let facts = match cert::read(leaf, self.settings.registration_number_attribute.as_deref()) {
            Ok(f) => f,
            Err(e) => {
                let err = CardError::Malformed(e);
                tracing::warn!(code = err.code(), error = %err, "card refused");
                return Err(err);
            }
        };
        let result = self.check(leaf, &facts, now).await;
        match &result {
            Ok(id) => tracing::info!(
                subject = %facts.subject,
                issuer = %facts.issuer,
                serial = %facts.serial_hex(),
                card_type = %id.card_type,
                "card verified"
            ),
            Err(err) => tracing::warn!(
                code = err.code(),
                error = %err,
                subject = %facts.subject,
                issuer = %facts.issuer,
                serial = %facts.serial_hex(),
                "card refused"
            ),
        }
        result
    }

    async fn check(
        &self,
        leaf: &CertificateDer<'_>,
        facts: &cert::CertFacts,
        now: i64,
    ) -> Result<CardIdentity, CardError> {
        let issuer_type = self
            .check_certificate(leaf, facts, now, Usage::ClientAuth)
            .await?;
        let card_type = self
            .settings
            .types
            .iter()
            .find(|r| r.policy_oids.iter().any(|o| facts.policies.contains(o)))
            .map(|r| r.card_type)
            .or(issuer_type)
            .ok_or_else(|| CardError::UnknownCardType(facts.policies.clone()))?;
        if card_type == CardType::Test && !self.settings.allow_test_cards {
            return Err(CardError::TestCard);
        }
        let satu = facts
            .serial_number
            .as_deref()
            .unwrap_or("")
            .parse::<Satu>()
            .map_err(CardError::NoSatu)?;
        Ok(CardIdentity {
            satu,
            card_type,
            common_name: facts.common_name.clone(),
            given_name: facts.given_name.clone(),
            family_name: facts.family_name.clone(),
            title: facts.title.clone(),
            registration_number: facts.registration_number.clone(),
            issuer: facts.issuer.clone(),
            serial: facts.serial_hex(),
            not_after: facts.not_after,
        })
    }

    /// The checks every certificate of a configured CA goes through:
    /// issued by one of the CAs, valid now, chaining to a trust anchor,
    /// allowed for `usage`, and not revoked. Returns the card type the
    /// issuing CA is configured with, if any.
    pub(crate) async fn check_certificate(
        &self,
        leaf: &CertificateDer<'_>,
        facts: &cert::CertFacts,
        now: i64,
        usage: Usage,
    ) -> Result<Option<CardType>, CardError> {
        let Some((ca_index, ca)) = self
            .issuers
            .iter()
            .enumerate()
            .find(|(_, c)| c.facts.subject_raw == facts.issuer_raw)
        else {
            return Err(CardError::UnknownCa(facts.issuer.clone()));
        };
        if now > facts.not_after {
            return Err(CardError::Expired {
                not_after: facts.not_after,
            });
        }
        if now < facts.not_before {
            return Err(CardError::NotYetValid {
                not_before: facts.not_before,
            });
        }
        self.verify_chain(leaf, ca, now)?;
        if !facts.digital_signature {
            return Err(CardError::WrongKeyUsage(
                "KeyUsage does not allow digitalSignature".into(),
            ));
        }
        if usage == Usage::ClientAuth && !facts.client_auth {
            return Err(CardError::WrongKeyUsage(
                "ExtendedKeyUsage does not name clientAuth".into(),
            ));
        }
        self.check_revocation(ca_index, ca, facts, now).await?;
        Ok(ca.card_type)
    }

    /// The chain up to a trust anchor, through configured card CAs only.
    ///
    /// A configured CA's own path to the anchor is the same at every
    /// login; once webpki has verified a whole chain through it, later
    /// certificates of that CA are verified by webpki against the CA
    /// alone (its signature on the certificate, the certificate's dates
    /// and usages, the CA's name constraints) while the CA itself is
    /// within its validity. That saves a signature check per login (on
    /// P-384 CAs, a third of the certificate check's time); outside the
    /// CA's validity, or before the first success, the whole chain is
    /// verified again.
    fn verify_chain(
        &self,
        leaf: &CertificateDer<'_>,
        ca: &CardCa,
        now: i64,
    ) -> Result<(), CardError> {
        let within = ca.facts.not_before <= now && now <= ca.facts.not_after;
        let shortcut = ca
            .own_anchor
            .as_ref()
            .filter(|_| within && ca.path_verified.load(Ordering::Acquire));
        let result = match shortcut {
            Some(anchor) => verify_path(leaf, std::slice::from_ref(anchor), &[], now),
            None => verify_path(leaf, &self.anchors, &self.intermediates, now),
        };
        if result.is_ok() && shortcut.is_none() && within {
            ca.path_verified.store(true, Ordering::Release);
        }
        result
    }

    /// Revocation by the CA's configured method: the CRL, OCSP, or OCSP
    /// and the CRL when OCSP gives no answer.
    async fn check_revocation(
        &self,
        ca_index: usize,
        ca: &CardCa,
        facts: &cert::CertFacts,
        now: i64,
    ) -> Result<(), CardError> {
        if !ca.revocation.uses_ocsp() {
            return self.check_crl(ca_index, ca, facts, now).await;
        }
        let (url, answer) = self.ask_ocsp(ca_index, ca, facts, now).await;
        match answer {
            Ok(Known::Good) => Ok(()),
            Ok(Known::Revoked { .. }) => Err(CardError::Revoked {
                serial: facts.serial_hex(),
                method: "OCSP",
                url: url.unwrap_or_default(),
            }),
            Err(why) if ca.revocation == RevocationCheck::OcspThenCrl => {
                tracing::warn!(
                    url = url.as_deref().unwrap_or("-"),
                    serial = %facts.serial_hex(),
                    ca = %ca.facts.subject,
                    reason = %why,
                    "no OCSP answer; checking the CRL instead (revocation = \"ocsp_then_crl\")"
                );
                self.check_crl(ca_index, ca, facts, now).await
            }
            Err(why) => self.revocation_unknown(format!("OCSP: {why}")),
        }
    }

    /// The OCSP status from the configured `ocsp_url` or the card's AIA
    /// responder, with the URL asked. Every answer that is not believed is
    /// logged here with its reason.
    async fn ask_ocsp(
        &self,
        ca_index: usize,
        ca: &CardCa,
        facts: &cert::CertFacts,
        now: i64,
    ) -> (Option<String>, Result<Known, String>) {
        let Some(url) = ca.ocsp_url.clone().or(facts.ocsp_urls.first().cloned()) else {
            let why = "neither the card (AuthorityInfoAccess) nor the configuration names an OCSP responder";
            tracing::warn!(serial = %facts.serial_hex(), ca = %ca.facts.subject, reason = %why, "no OCSP answer");
            return (None, Err(why.to_string()));
        };
        let answer = self
            .ocsp
            .status(ca_index, &ca.facts, &facts.serial, &url, now)
            .await;
        if let Err(why) = &answer {
            tracing::warn!(
                url,
                serial = %facts.serial_hex(),
                ca = %ca.facts.subject,
                reason = %why,
                "no OCSP answer"
            );
        }
        (Some(url), answer)
    }

    async fn check_crl(
        &self,
        ca_index: usize,
        ca: &CardCa,
        facts: &cert::CertFacts,
        now: i64,
    ) -> Result<(), CardError> {
        let url = ca
            .crl_url
            .as_deref()
            .or(facts.crl_urls.first().map(String::as_str));
        let outcome = match url {
            None => Err("neither the card nor the configuration names a CRL".to_string()),
            Some(url) => self.crls.get(ca_index, &ca.facts, url, now).await,
        };
        match outcome {
            Ok(crl) if now >= crl.valid_until => self.revocation_unknown(format!(
                "the CRL from {} expired at {}",
                crl.url, crl.valid_until
            )),
            Ok(crl) if crl.is_revoked(&facts.serial) => Err(CardError::Revoked {
                serial: facts.serial_hex(),
                method: "CRL",
                url: crl.url.clone(),
            }),
            Ok(_) => Ok(()),
            Err(e) => self.revocation_unknown(e),
        }
    }

    fn revocation_unknown(&self, why: String) -> Result<(), CardError> {
        match self.settings.revocation_unknown {
            RevocationUnknown::Refuse => Err(CardError::RevocationUnknown(why)),
            RevocationUnknown::Allow => {
                tracing::warn!(
                    reason = %why,
                    source = %self.settings.source,
                    "revocation status unknown; certificate accepted because revocation_unknown = \"allow\""
                );
                Ok(())
            }
        }
    }
}

/// A certificate a reverse proxy passed in a header, URL-escaped PEM
/// (nginx `$ssl_client_escaped_cert`).
pub fn cert_from_escaped_pem(value: &str) -> Result<CertificateDer<'static>, String> {
    let pem = percent_decode(value)?;
    CertificateDer::from_pem_slice(&pem).map_err(|e| format!("not a PEM certificate: {e}"))
}

fn percent_decode(s: &str) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("bad %-escape")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// Shared handle.
pub type Cards = Arc<CardVerifier>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%0A").unwrap(), b"a b\n");
        assert!(percent_decode("%zz").is_err());
        assert!(percent_decode("%4").is_err());
    }

    #[test]
    fn codes_are_distinct() {
        let all = [
            CardError::NoCertificate,
            CardError::Malformed(String::new()),
            CardError::Expired { not_after: 0 },
            CardError::NotYetValid { not_before: 0 },
            CardError::Revoked {
                serial: String::new(),
                method: "CRL",
                url: String::new(),
            },
            CardError::UnknownCa(String::new()),
            CardError::WrongKeyUsage(String::new()),
            CardError::RevocationUnknown(String::new()),
            CardError::UnknownCardType(vec![]),
            CardError::TestCard,
            CardError::NoSatu(String::new()),
            CardError::Invalid(String::new()),
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(CardError::code).collect();
        assert_eq!(codes.len(), all.len());
    }
}
