//! What a portal learns about a person: pairwise subject identifiers for
//! clients configured so, and only the claims the portal's configuration
//! names.

use super::{Client, Provider};
use crate::config::{PortalSettings, SubjectType};
use crate::tokens::b64url;
use crate::tokens::claims::PersonClaims;

pub use crate::config::PERSON_CLAIMS;

/// The key of pairwise subjects: derived from the key-encryption key, so
/// no extra secret has to be kept, and never used for anything else.
fn pairwise_key(kek_b64: &str) -> aws_lc_rs::hmac::Key {
    let kek = crate::tokens::b64_std_decode(kek_b64).unwrap_or_default();
    let derived = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &kek),
        b"porttivahti pairwise subjects v1",
    );
    aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, derived.as_ref())
}

/// `HMAC-SHA256(key, sector || 0x00 || account id)`, base64url: stable per
/// sector, unlinkable across sectors without the key.
pub fn pairwise_subject(kek_b64: &str, sector: &str, account_id: &str) -> String {
    let mut ctx = aws_lc_rs::hmac::Context::with_key(&pairwise_key(kek_b64));
    ctx.update(sector.as_bytes());
    ctx.update(&[0]);
    ctx.update(account_id.as_bytes());
    b64url(ctx.sign().as_ref())
}

/// The `sub` `client` knows the account by.
pub fn subject_for(app: &Provider, client: &Client, account_id: &str) -> String {
    match client.settings.subject_type {
        SubjectType::Public => account_id.to_string(),
        SubjectType::Pairwise => {
            let sector = client
                .settings
                .sector_identifier
                .as_deref()
                .unwrap_or(client.id());
            pairwise_subject(
                app.settings.secrets.key_encryption_key.expose(),
                sector,
                account_id,
            )
        }
    }
}

/// The account an access token stands for: its `sub`, unless the client
/// gets pairwise subjects; then the token's refresh family or session.
pub async fn account_of(
    app: &Provider,
    c: &crate::tokens::claims::AccessTokenClaims,
) -> crate::store::StoreResult<Option<String>> {
    let pairwise = app
        .clients
        .get(&c.client_id)
        .is_some_and(|cl| cl.settings.subject_type == SubjectType::Pairwise);
    if !pairwise || c.sid.is_none() {
        return Ok(Some(c.sub.clone()));
    }
    if let Some(fam) = app.families.family_of_jti(&c.jti)
        && let Some(f) = app.eph.family(&fam).await?
    {
        return Ok(Some(f.grant.account_id));
    }
    match &c.sid {
        Some(sid) => Ok(app
            .eph
            .session_by_sid(sid, app.now())
            .await?
            .map(|s| s.account_id)),
        None => Ok(None),
    }
}

/// Leaves only the claims the portal names (all when it names none).
pub fn filter_claims(portal: Option<&PortalSettings>, pc: &mut PersonClaims) {
    let Some(wanted) = portal.and_then(|p| p.claims.as_ref()) else {
        return;
    };
    let keep = |c: &str| wanted.iter().any(|w| w == c);
    if !keep("name") {
        pc.name = None;
    }
    if !keep("given_name") {
        pc.given_name = None;
    }
    if !keep("family_name") {
        pc.family_name = None;
    }
    if !keep("preferred_username") {
        pc.preferred_username = None;
    }
    if !keep("title") {
        pc.title = None;
    }
    if !keep("email") {
        pc.email = None;
    }
    if !keep("organisations") {
        pc.organisations.clear();
    }
    if !keep("networks") {
        pc.networks.clear();
    }
    if !keep("portals") {
        pc.portals.clear();
    }
    if !keep("authorities") {
        pc.authorities.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEK: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    #[test]
    fn pairwise_subjects_differ_by_sector_and_are_stable() {
        let a = pairwise_subject(KEK, "hopo", "acct-1");
        assert_eq!(a, pairwise_subject(KEK, "hopo", "acct-1"));
        assert_ne!(a, pairwise_subject(KEK, "santra", "acct-1"));
        assert_ne!(a, pairwise_subject(KEK, "hopo", "acct-2"));
        // The boundary between sector and account is unambiguous.
        assert_ne!(
            pairwise_subject(KEK, "ab", "c"),
            pairwise_subject(KEK, "a", "bc")
        );
        assert!(!a.contains("acct"));
        let other = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
        assert_ne!(a, pairwise_subject(other, "hopo", "acct-1"));
    }

    #[test]
    fn only_named_claims_remain() {
        let mut pc = PersonClaims {
            name: Some("Anna".into()),
            email: Some("a@example.fi".into()),
            networks: vec!["intermetso".into()],
            portals: vec!["hopo".into()],
            ..Default::default()
        };
        let portal = PortalSettings {
            id: "p".into(),
            name: "P".into(),
            access: vec![],
            claims: Some(vec!["portals".into(), "name".into()]),
            ..PortalSettings::default()
        };
        filter_claims(Some(&portal), &mut pc);
        assert_eq!(pc.name.as_deref(), Some("Anna"));
        assert_eq!(pc.email, None);
        assert!(pc.networks.is_empty());
        assert_eq!(pc.portals, vec!["hopo"]);
    }
}
