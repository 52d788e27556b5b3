//! A person seen for the first time through an external source registers
//! once: the login waits (under a ticket the browser holds) until the form
//! is filled in, then the account, its identity link and profile are
//! written at once and the person is logged in.

use serde::{Deserialize, Serialize};

use super::{Attempt, LoginContext, Outcome, external};
use crate::domain::LoA;
use crate::identity::VerifiedIdentity;
use crate::oidc::Provider;
use crate::policy::{Decision, Facts, LoginAttributes, Provenance};
use crate::store::{
    AuditEvent, IdentityLink, NewAccount, Profile, Registration, StoreError, StoreResult,
};
use crate::tokens::{hash_secret, random_token};

/// A first login waiting for the person to fill in the form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingRegistration {
    pub identity: VerifiedIdentity,
    #[serde(flatten)]
    pub ctx: LoginContext,
}

/// What the person filled in.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    /// Normalised already (or none).
    pub phone: Option<String>,
    pub profession_group: String,
    pub wellbeing_area: Option<String>,
    pub home_municipality: Option<String>,
    pub cooperating_organisations: Vec<String>,
}

/// A first login that no registration could take to the portal it is
/// for: refused before the person fills in the form.
#[derive(Debug)]
pub struct Unreachable {
    /// The portal's id.
    pub portal: String,
    /// A stronger identification would do.
    pub step_up: Option<LoA>,
    /// The facts the policy decided on (for saying what is missing).
    pub facts: Facts,
}

/// Whether a person seen for the first time could reach the portal of the
/// pending login (`ctx.ar`) once registered: decided on what registration
/// cannot change (the method, its level, the source and the organisation
/// that vouched, the card and mandates), trying each profession group the
/// form offers, since the person picks one. `None`: registration may go on
/// (also when there is no pending login, or it has ended: that is told
/// later, as before).
pub async fn unreachable(
    p: &Provider,
    identity: &VerifiedIdentity,
    ctx: &LoginContext,
) -> StoreResult<Option<Unreachable>> {
    if ctx.ar.is_empty() {
        return Ok(None);
    }
    let Some(req) = p.eph.auth_request(&ctx.ar).await? else {
        return Ok(None);
    };
    let Some(client) = p.clients.get(&req.client_id) else {
        return Ok(None);
    };
    let portal = client.settings.portal.clone();
    let org_kind = match &identity.attributes.organisation {
        Some(o) => p.dir.organisation(o).await?.map(|o| o.kind),
        None => None,
    };
    let mut facts = Facts {
        networks: Vec::new(),
        org_kinds: org_kind.into_iter().collect(),
        source: identity.source.clone(),
        loa: identity.loa,
        methods: identity.methods.clone(),
        attributes: LoginAttributes {
            card_type: ctx.card_type.as_deref().and_then(|c| c.parse().ok()),
            profession_group: None,
            profession_group_provenance: Provenance::SelfDeclared,
            authorities: ctx.authorities.clone(),
            acting_for: None,
        },
    };
    let groups = &p.settings.registration.profession_groups;
    let choices = std::iter::once(None).chain(groups.iter().map(|g| Some(g.id.clone())));
    let mut step_up: Option<LoA> = None;
    for group in choices {
        facts.attributes.profession_group = group;
        match p.policy.decide(&portal, &facts) {
            Decision::Allow => return Ok(None),
            Decision::StepUp(l) => step_up = Some(step_up.map_or(l, |s| s.min(l))),
            Decision::Deny(_) => {}
        }
    }
    facts.attributes.profession_group = None;
    tracing::info!(
        portal = %portal,
        source = %identity.source,
        loa = %identity.loa,
        "first login refused before registration: no registration reaches the portal with this identification"
    );
    Ok(Some(Unreachable {
        portal,
        step_up,
        facts,
    }))
}

/// Remembers the login until the form is sent; the ticket goes to the
/// browser.
pub async fn begin(
    p: &Provider,
    identity: VerifiedIdentity,
    ctx: LoginContext,
) -> StoreResult<String> {
    let ticket = random_token(24);
    p.eph
        .put_pending(
            "reg",
            &hash_secret(&ticket),
            &PendingRegistration { identity, ctx },
            p.settings.tokens.login_ttl_secs as i64,
        )
        .await?;
    Ok(ticket)
}

/// The registration waiting under `ticket`, with its key.
pub async fn pending(
    p: &Provider,
    ticket: &str,
) -> StoreResult<Option<(String, PendingRegistration)>> {
    let key = hash_secret(ticket);
    Ok(p.eph
        .pending::<PendingRegistration>("reg", &key)
        .await?
        .map(|r| (key, r)))
}

/// Registers the person and logs them in. Single use: a double submit
/// registers once (`Ok(None)`: the registration under `key` is gone). A
/// registration that raced an earlier one logs in to that account; one that
/// the store could not write stays pending, so the person may try again.
pub async fn complete(
    p: &Provider,
    attempt: &Attempt,
    key: &str,
    details: Details,
) -> StoreResult<Option<Outcome>> {
    let Some(r) = p
        .eph
        .take_pending::<PendingRegistration>("reg", key)
        .await?
    else {
        return Ok(None);
    };
    let now = p.now();
    let account_id = random_token(12);
    let mut suffix = [0u8; 5];
    aws_lc_rs::rand::fill(&mut suffix)
        .map_err(|_| StoreError::Unavailable("no randomness".into()))?;
    let registration = Registration {
        account: NewAccount {
            id: account_id.clone(),
            username: format!("{}-{}", r.identity.source, crate::tokens::hex(&suffix)),
            given_name: details.given_name,
            family_name: details.family_name,
            email: Some(details.email),
            phone: details.phone,
            title: r.identity.attributes.title.clone(),
            password_hash: None,
            must_change_password: false,
            created_at: now,
        },
        link: IdentityLink {
            source: r.identity.link_source().to_string(),
            subject: r.identity.subject.clone(),
            account_id: account_id.clone(),
            created_at: now,
            last_used_at: Some(now),
        },
        profile: Profile {
            account_id: account_id.clone(),
            profession_group: details.profession_group,
            wellbeing_area: details.wellbeing_area,
            home_municipality: details.home_municipality,
            cooperating_organisations: details.cooperating_organisations,
            updated_at: now,
        },
        memberships: vec![],
    };
    let audit = AuditEvent::new(now, &account_id, "account.register")
        .subject(&account_id)
        .ip(attempt.ip.clone())
        .detail(serde_json::json!({ "source": r.identity.source }));
    match p.dir.register(&registration, &audit).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            // Registered meanwhile (another tab): log in to that account.
            tracing::info!(source = %r.identity.source, "registration raced an earlier one; logging in to it");
        }
        Err(e) => {
            // Nothing was written; the person may try again.
            p.eph
                .put_pending("reg", key, &r, p.settings.tokens.login_ttl_secs as i64)
                .await?;
            return Err(e);
        }
    }
    external(p, attempt, r.identity, r.ctx).await.map(Some)
}
