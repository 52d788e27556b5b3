//! The service provider's side of a SAML login, apart from HTTP: what is
//! remembered of an AuthnRequest sent, how the answer is matched to it
//! (InResponseTo, the browser that asked, the source it was sent to),
//! checked (with the IdP's metadata fetched again once when its signature
//! fails: the key may have rolled over), refused when replayed, and turned
//! into a [`VerifiedIdentity`] by the source's attribute profile.
//!
//! The route decodes nothing and decides nothing: it asks [`Sp`] (a
//! [`RedirectSource`]) where to send the person, hands the form's
//! `SAMLResponse` back to it, and renders what comes back.

use serde::{Deserialize, Serialize};

use super::request::{AuthnRequest, redirect_url};
use super::response::{self, Assertion, Expectations, ResponseError};
use crate::config::sources::{SamlSettings, SourceSettings};
use crate::domain::{AuthMethod, Lang};
use crate::identity::redirect::{
    Departure, Outgoing, RedirectSource, Refusal, Returned, SourceError,
};
use crate::identity::sources::{SamlSource, Sources};
use crate::identity::{Attributes, VerifiedIdentity, suomifi};
use crate::store::ephemeral::{EphemeralState, Upstream};
use crate::tokens::random_token;

/// What this node remembers of an AuthnRequest it sent, until the answer
/// comes (stored as pending `saml` under the request's ID).
#[derive(Debug, Serialize, Deserialize)]
pub struct SentRequest {
    pub source: String,
    /// The pending authorization request the login serves.
    pub ar: String,
    /// Hash of the browser's binding cookie: the answer must come back to
    /// the browser that asked.
    pub binding: String,
    pub created_at: i64,
}

/// The service provider: this node's SAML sources and what it needs to
/// match, check and map their answers.
pub struct Sp<'a> {
    pub sources: &'a Sources,
    pub eph: &'a EphemeralState,
    pub saml: &'a SamlSettings,
    /// The gateway's public base URL (entity IDs and ACS URLs).
    pub public_url: &'a str,
    /// For fetching metadata again.
    pub http: &'a reqwest::Client,
    /// How this node reaches itself (metadata served by a development IdP
    /// on this node).
    pub self_url: &'a str,
    pub now: i64,
    /// How long a request sent waits for its answer.
    pub login_ttl: i64,
}

/// This SP's entity ID for `source`.
pub fn entity_id(public_url: &str, source: &str) -> String {
    format!("{public_url}/saml/{source}/metadata")
}

/// This SP's assertion consumer service for `source`.
pub fn acs_url(public_url: &str, source: &str) -> String {
    format!("{public_url}/saml/{source}/acs")
}

impl RedirectSource for Sp<'_> {
    /// The form's base64 `SAMLResponse`.
    type Answer = String;

    /// Builds and signs an AuthnRequest (Redirect binding, or POST where the
    /// source asks for it or the IdP offers no Redirect endpoint) and
    /// remembers it under its ID until the answer comes.
    async fn start(&self, src: &SamlSource, d: Departure<'_>) -> Result<Outgoing, SourceError> {
        let id = src.id();
        let (Some(loaded), Some(sp_key), Some(saml)) = (
            src.loaded(),
            self.sources.sp_key.as_ref(),
            src.settings.saml(),
        ) else {
            tracing::warn!(source = %id, error = src.last_error().as_deref().map(tracing::field::display), "login through a source whose metadata is not loaded");
            return Err(SourceError::Unavailable(
                src.last_error()
                    .unwrap_or_else(|| "metadata not loaded".into()),
            ));
        };
        let request_id = format!("_{}", random_token(20));
        self.eph
            .put_pending(
                "saml",
                &request_id,
                &SentRequest {
                    source: id.to_string(),
                    ar: d.ar.to_string(),
                    binding: d.binding.to_string(),
                    created_at: self.now,
                },
                self.login_ttl,
            )
            .await?;
        let refs: &[&str] = if src.settings.is_suomifi() {
            suomifi::requested(saml.loa)
        } else {
            &[]
        };
        let entity = entity_id(self.public_url, id);
        let acs = acs_url(self.public_url, id);
        let use_post = saml.post_binding || loaded.meta.sso_redirect.is_none();
        let destination = if use_post {
            loaded.meta.sso_post.clone()
        } else {
            loaded.meta.sso_redirect.clone()
        }
        .unwrap_or_default();
        let req = AuthnRequest {
            id: &request_id,
            issuer: &entity,
            destination: &destination,
            acs: &acs,
            now: self.now,
            force_authn: d.force,
            context_refs: refs,
            locale: src.settings.is_suomifi().then_some(d.lang.as_str()),
        };
        tracing::info!(source = %id, request_id = %request_id, post = use_post, "AuthnRequest sent");
        let relay = random_token(12);
        let internal = |e: super::xmlsec::XmlSecError| SourceError::Internal(e.to_string());
        if use_post {
            let xml = req.to_xml();
            let end = xml
                .find("</saml:Issuer>")
                .map(|i| i + "</saml:Issuer>".len())
                .unwrap_or(0);
            let template = format!(
                "{}{}{}",
                &xml[..end],
                super::xmlsec::signature_template(&request_id, &sp_key.cert_b64),
                &xml[end..]
            );
            let signed = sp_key.sign_template(&template).map_err(internal)?;
            return Ok(Outgoing::Post {
                action: destination,
                field: "SAMLRequest",
                value: signed,
                relay,
            });
        }
        let url = redirect_url(
            &destination,
            "SAMLRequest",
            &req.to_xml(),
            Some(&relay),
            sp_key,
        )
        .map_err(internal)?;
        Ok(Outgoing::Redirect(url))
    }

    /// Matched by InResponseTo to the request sent from this browser to
    /// this source, checked, first-used, mapped by the source's profile.
    async fn finish(
        &self,
        source: &SamlSource,
        encoded: String,
        bound: &(dyn Fn(&str) -> bool + Sync),
        ip: Option<&str>,
        lang: Lang,
    ) -> Result<Returned, SourceError> {
        let id = source.id();
        let refuse = |why, ar: &str, reason: String| SourceError::refused(why, ar, reason);
        let encoded: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
        if encoded.is_empty() || encoded.len() > self.saml.max_response_bytes {
            tracing::warn!(source = %id, ip = ip.map(tracing::field::display), bytes = encoded.len(), "SAML response missing or too large");
            return Err(refuse(
                Refusal::Untrusted,
                "",
                "missing or too large".into(),
            ));
        }
        let Some(text) = crate::tokens::b64_std_decode(&encoded)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
        else {
            tracing::warn!(source = %id, ip = ip.map(tracing::field::display), "SAML response is not base64 UTF-8");
            return Err(refuse(Refusal::Untrusted, "", "not base64 UTF-8".into()));
        };
        let request_id = match response::in_response_to(&text) {
            Ok(Some(r)) => r,
            Ok(None) => {
                tracing::warn!(source = %id, ip = ip.map(tracing::field::display), "SAML response answers no request (unsolicited responses are not accepted)");
                return Err(refuse(Refusal::Untrusted, "", "unsolicited".into()));
            }
            Err(e) => {
                tracing::warn!(source = %id, ip = ip.map(tracing::field::display), reason = %e, "SAML response refused before it was matched to a request");
                return Err(refuse(Refusal::Untrusted, "", e.to_string()));
            }
        };
        let Some(sent) = self
            .eph
            .take_pending::<SentRequest>("saml", &request_id)
            .await?
        else {
            tracing::warn!(source = %id, ip = ip.map(tracing::field::display), %request_id, "SAML response to an unknown, expired or already answered request");
            return Err(refuse(
                Refusal::OtherBrowser,
                "",
                "unknown, expired or answered request".into(),
            ));
        };
        let ar = sent.ar;
        let binding_ok = bound(&sent.binding);
        if sent.source != id || !binding_ok {
            tracing::warn!(source = %id, ip = ip.map(tracing::field::display), %request_id, sent_for = %sent.source, binding_ok, "SAML response arrived at another source's ACS or in another browser");
            return Err(refuse(
                Refusal::OtherBrowser,
                &ar,
                "another source or browser".into(),
            ));
        }
        let assertion = match self.check(source, &text, &request_id).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(source = %id, ip = ip.map(tracing::field::display), %request_id, reason = %e, "SAML response refused");
                return Err(refuse(refusal_of(&e), &ar, e.to_string()));
            }
        };
        let ttl = (assertion.not_on_or_after - self.now).max(0) + self.saml.clock_skew_secs;
        if !self
            .eph
            .first_use(&format!("saml:{}:{}", assertion.issuer, assertion.id), ttl)
            .await?
        {
            tracing::warn!(source = %id, ip = ip.map(tracing::field::display), assertion = %assertion.id, "SAML assertion replayed");
            return Err(refuse(Refusal::Replay, &ar, "assertion replayed".into()));
        }
        let identity = match identity_of(
            &source.settings,
            &assertion,
            lang,
            self.sources.national_id_key(),
            self.now,
        ) {
            Ok(i) => i,
            Err(m) => {
                tracing::warn!(source = %id, ip = ip.map(tracing::field::display), assertion = %assertion.id, reason = %m, "SAML assertion lacks what this source needs");
                return Err(refuse(Refusal::Untrusted, &ar, m));
            }
        };
        let national_id = source
            .settings
            .is_suomifi()
            .then(|| {
                assertion
                    .first(suomifi::attr::NATIONAL_ID)
                    .map(str::to_string)
            })
            .flatten();
        Ok(Returned {
            identity,
            ar,
            upstream: Some(Upstream {
                source: id.to_string(),
                name_id: assertion.name_id,
                session_index: assertion.session_index,
            }),
            national_id,
        })
    }
}

impl Sp<'_> {
    /// Validates, fetching the IdP's metadata again once when no signature
    /// of a known key covers the response (the IdP may have rolled its key
    /// over). Any other failure is final.
    async fn check(
        &self,
        src: &SamlSource,
        text: &str,
        request_id: &str,
    ) -> Result<Assertion, ResponseError> {
        let mut refreshed = false;
        loop {
            let Some(loaded) = src.loaded() else {
                return Err(ResponseError::Invalid(
                    "the IdP's metadata is not loaded".into(),
                ));
            };
            let Some(sp_key) = self.sources.sp_key.as_ref() else {
                return Err(ResponseError::Invalid("no SP key".into()));
            };
            let entity = entity_id(self.public_url, src.id());
            let acs = acs_url(self.public_url, src.id());
            let exp = Expectations {
                idp_entity_id: &loaded.meta.entity_id,
                signers: &loaded.signers,
                sp_entity_id: &entity,
                acs: &acs,
                request_id,
                now: self.now,
                skew: self.saml.clock_skew_secs,
                max_age: self.saml.max_assertion_age_secs,
                require_encryption: src.settings.saml().is_some_and(|m| m.require_encryption)
                    || src.settings.is_suomifi(),
                sp_key,
            };
            match response::validate(text, &exp) {
                Err(e) if asks_for_fresh_metadata(&e) && !refreshed => {
                    refreshed = true;
                    if !src
                        .refresh_if_stale(self.http, self.self_url, self.now)
                        .await
                    {
                        return Err(e);
                    }
                    tracing::info!(source = %src.id(), "metadata refreshed after a signature failure; checking again");
                }
                other => return other,
            }
        }
    }
}

/// Only a signature that no known key covers can be cured by fetching the
/// metadata again.
fn asks_for_fresh_metadata(e: &ResponseError) -> bool {
    matches!(e, ResponseError::Signature(_))
}

/// What the person is told of a response that failed its check.
fn refusal_of(e: &ResponseError) -> Refusal {
    match e {
        ResponseError::Status { sub, .. } => {
            let cancelled = sub
                .as_deref()
                .is_some_and(|s| s.ends_with(":AuthnFailed") || s.ends_with(":RequestDenied"));
            if cancelled {
                Refusal::Cancelled
            } else {
                Refusal::Failed
            }
        }
        ResponseError::Expired(_) => Refusal::Expired,
        ResponseError::Invalid(_) | ResponseError::Signature(_) => Refusal::Untrusted,
    }
}

/// Turns a valid assertion into who the person is, by the source's
/// profile: Suomi.fi's attributes (the identity code kept only as a keyed
/// hash), or the organisation IdP's configured attribute names.
pub fn identity_of(
    s: &SourceSettings,
    a: &Assertion,
    lang: Lang,
    national_id_key: &[u8],
    now: i64,
) -> Result<VerifiedIdentity, String> {
    let Some(saml) = s.saml() else {
        return Err("not a SAML source".into());
    };
    if s.is_suomifi() {
        use suomifi::attr;
        let hetu = a
            .first(attr::NATIONAL_ID)
            .ok_or("the Suomi.fi assertion has no personal identity code")?;
        if !suomifi::valid_national_id(hetu) {
            return Err("the personal identity code is malformed".into());
        }
        let class = a.authn_context.as_deref().unwrap_or_default();
        let loa =
            suomifi::level(class).ok_or_else(|| format!("unknown level of assurance {class:?}"))?;
        let municipality = match lang {
            Lang::Sv => a
                .first(attr::MUNICIPALITY_SV)
                .or(a.first(attr::MUNICIPALITY_FI)),
            _ => a.first(attr::MUNICIPALITY_FI),
        };
        return Ok(VerifiedIdentity {
            source: s.id.clone(),
            subject: suomifi::subject_of(hetu, national_id_key),
            loa,
            methods: vec![AuthMethod::SuomiFi],
            authenticated_at: a.authn_instant.unwrap_or(now),
            links_with: None,
            attributes: Attributes {
                given_name: a
                    .first(attr::GIVEN_NAME)
                    .or(a.first(attr::FIRST_NAMES))
                    .map(str::to_string),
                family_name: a.first(attr::SURNAME).map(str::to_string),
                email: a.first(attr::MAIL).map(str::to_string),
                municipality: municipality.map(str::to_string),
                ..Attributes::default()
            },
        });
    }
    let m = &saml.attributes;
    let subject = if m.subject == "NameID" {
        a.name_id.clone()
    } else {
        a.first(&m.subject)
            .ok_or_else(|| format!("the assertion has no subject attribute {:?}", m.subject))?
            .to_string()
    };
    Ok(VerifiedIdentity {
        source: s.id.clone(),
        subject,
        loa: saml.loa,
        methods: vec![AuthMethod::Saml],
        authenticated_at: a.authn_instant.unwrap_or(now),
        links_with: None,
        attributes: Attributes {
            given_name: a.first(&m.given_name).map(str::to_string),
            family_name: a.first(&m.family_name).map(str::to_string),
            email: a.first(&m.email).map(str::to_string),
            phone: a.first(&m.phone).map(str::to_string),
            title: a.first(&m.title).map(str::to_string),
            groups: a.all(&m.groups),
            municipality: None,
            organisation: s.organisation.clone(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_signature_failures_ask_for_fresh_metadata() {
        assert!(asks_for_fresh_metadata(&ResponseError::Signature(
            "signature check failed: unknown key".into()
        )));
        // A message that mentions signatures is not a signature failure.
        assert!(!asks_for_fresh_metadata(&ResponseError::Invalid(
            "the signed Response has no Destination (signature fine)".into()
        )));
        assert!(!asks_for_fresh_metadata(&ResponseError::Expired(
            "NotOnOrAfter passed".into()
        )));
    }

    #[test]
    fn cancelled_and_failed_statuses_are_told_apart() {
        let status = |sub: &str| ResponseError::Status {
            code: "urn:oasis:names:tc:SAML:2.0:status:Responder".into(),
            sub: Some(sub.into()),
        };
        assert_eq!(
            refusal_of(&status("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed")),
            Refusal::Cancelled
        );
        assert_eq!(
            refusal_of(&status("urn:oasis:names:tc:SAML:2.0:status:NoPassive")),
            Refusal::Failed
        );
        assert_eq!(
            refusal_of(&ResponseError::Signature("x".into())),
            Refusal::Untrusted
        );
    }
}
