//! The login core: every login method ends here.
//!
//! A method (the password form, an organisation's SAML or OpenID Connect
//! IdP, Suomi.fi, a certificate card, a mobile certificate) proves who the
//! person is and hands over a [`VerifiedIdentity`]; the core decides what
//! that means and answers with an [`Outcome`]: a session started, a second
//! factor to ask, a first login to register, or an account not in use.
//! [`start`] is the one place where a session is made.
//!
//! The core knows nothing of HTTP: the web layer renders an outcome
//! (`web::routes::login::respond`) and sets the cookies.
//!
//! ```text
//!  route ─▶ identity method ─▶ login core ─▶ Outcome ─▶ route renders
//!  (parse)  (verify: password,  (link, status,   (session │ second factor
//!            SAML, card, …)      second factor,   │ registration │ refused)
//!                                session)
//! ```

pub mod passkey;
pub mod registration;
pub mod second_factor;

use serde::{Deserialize, Serialize};

use crate::domain::AccountStatus;
use crate::identity::VerifiedIdentity;
use crate::oidc::Provider;
use crate::policy::{Authority, LoginAttributes, Provenance};
use crate::store::ephemeral::{OneTimePassword, Session, Upstream};
use crate::store::{Account, AuditEvent, StoreResult};
use crate::telemetry::Metrics;
use crate::tokens::claims::Person;
use crate::tokens::{hash_secret, random_token};

/// What the person may do for which organisation (Kanta Ekstranet), from
/// the e-Authorizations service, asked at a login that carries a personal
/// identity code (Suomi.fi). A service that does not answer is logged and
/// the login goes on without mandates.
pub async fn authorities_at_login(
    mandates: Option<&crate::mandates::MandateClient>,
    national_id: Option<&str>,
) -> Vec<Authority> {
    let Some(hetu) = national_id else {
        return Vec::new();
    };
    match crate::mandates::authorities_at_login(mandates, hetu).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "the e-Authorizations service did not answer: logging in without mandates");
            Vec::new()
        }
    }
}

/// Who is logging in from where: what the request tells the core.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    /// The person's address, for the audit trail.
    pub ip: Option<String>,
    /// The key of the session the browser holds now: a new login replaces
    /// it.
    pub replaces: Option<String>,
}

/// What a login method knows besides the identity: where the person was
/// going and what the session must remember.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoginContext {
    /// The pending authorization request (empty: a login without a
    /// portal).
    pub ar: String,
    /// The upstream IdP's session, for single logout.
    #[serde(default)]
    pub upstream: Option<Upstream>,
    /// The certificate card's type, for a card login.
    #[serde(default)]
    pub card_type: Option<String>,
    /// What the person may do for which organisation (Suomi.fi mandates
    /// and trade-register positions, asked at login).
    #[serde(default)]
    pub authorities: Vec<Authority>,
}

/// A session started: the web layer sets `secret` as the session cookie.
#[derive(Debug)]
pub struct Started {
    pub session: Session,
    /// The cookie's secret; the session is stored under its hash.
    pub secret: String,
    /// The person, when the login has read them (saves a read when the
    /// login goes on to a portal).
    pub person: Option<Person>,
}

/// What a login comes to.
#[derive(Debug)]
pub enum Outcome {
    Started(Box<Started>),
    /// A correct password for an account with a second factor: the code
    /// comes next, under this ticket (the browser's cookie).
    SecondFactorNeeded {
        ticket: String,
    },
    /// An external identity seen for the first time: the person fills in
    /// the registration form, under this ticket.
    RegistrationNeeded {
        ticket: String,
    },
    /// The account is locked or disabled.
    NotActive(Box<Account>),
    /// A person seen for the first time whom no registration would take
    /// to the portal of the pending login: refused before the form.
    Unreachable(Box<registration::Unreachable>),
}

/// A verified password: the session waits for the second factor (a code
/// or a passkey) when the account has one; otherwise it starts. A first or reset password (the
/// account must change it) gives a session good only for changing it.
pub async fn password(
    p: &Provider,
    attempt: &Attempt,
    identity: VerifiedIdentity,
    account: &Account,
    ar: &str,
) -> StoreResult<Outcome> {
    let one_time = if account.must_change_password {
        OneTimePassword::MustChange
    } else {
        OneTimePassword::NotUsed
    };
    if second_factor::has_factor(p, &identity.subject).await? {
        let ticket = second_factor::begin(p, &identity, one_time).await?;
        return Ok(Outcome::SecondFactorNeeded { ticket });
    }
    let ctx = LoginContext {
        ar: ar.to_string(),
        ..LoginContext::default()
    };
    let started = start(p, attempt, &account.id, identity, ctx, one_time, None).await?;
    Ok(Outcome::Started(Box::new(started)))
}

/// An identity an external source vouched for (an organisation IdP,
/// Suomi.fi, a card, a mobile certificate): the linked account logs in; a
/// person seen for the first time registers once.
pub async fn external(
    p: &Provider,
    attempt: &Attempt,
    identity: VerifiedIdentity,
    ctx: LoginContext,
) -> StoreResult<Outcome> {
    let Some(account) = p
        .dir
        .account_by_identity(identity.link_source(), &identity.subject)
        .await?
    else {
        if let Some(refused) = registration::unreachable(p, &identity, &ctx).await? {
            return Ok(Outcome::Unreachable(Box::new(refused)));
        }
        tracing::info!(source = %identity.source, "first login through this source: registration");
        let ticket = registration::begin(p, identity, ctx).await?;
        return Ok(Outcome::RegistrationNeeded { ticket });
    };
    if account.status != AccountStatus::Active {
        tracing::info!(account = %account.id, source = %identity.source, status = %account.status, "external login to an account not in use");
        return Ok(Outcome::NotActive(Box::new(account)));
    }
    let now = p.now();
    let account_id = account.id.clone();
    p.dir
        .record_identity_login(
            identity.link_source(),
            &identity.subject,
            &account_id,
            &AuditEvent::new(
                now,
                &account_id,
                format!("login.{}.success", identity.source),
            )
            .subject(&account_id)
            .ip(attempt.ip.clone())
            .detail(serde_json::json!({ "loa": identity.loa, "methods": identity.methods })),
        )
        .await?;
    let mut person = crate::oidc::person_of(p, account).await?;
    // As recorded just now.
    person.account.failed_logins = 0;
    person.account.last_login_at = Some(now);
    let started = start(
        p,
        attempt,
        &account_id,
        identity,
        ctx,
        OneTimePassword::NotUsed,
        Some(person),
    )
    .await?;
    Ok(Outcome::Started(Box::new(started)))
}

/// Starts a session for `account_id` on `identity`: the one place where a
/// session is made. It replaces the browser's earlier session, is stored
/// under the hash of a fresh secret (never reused across logins), and is
/// findable by the upstream IdP's logout request.
pub async fn start(
    p: &Provider,
    attempt: &Attempt,
    account_id: &str,
    identity: VerifiedIdentity,
    ctx: LoginContext,
    one_time_password: OneTimePassword,
    person: Option<Person>,
) -> StoreResult<Started> {
    let now = p.now();
    // The organisation that vouched counts among the person's
    // organisations for portal rules.
    let source_org = identity.attributes.organisation.clone();
    let source_org_kind = match &source_org {
        Some(o) => p.dir.organisation(o).await?.map(|o| o.kind),
        None => None,
    };
    let session = Session {
        sid: random_token(16),
        account_id: account_id.to_string(),
        auth_time: identity.authenticated_at,
        expires_at: now + p.settings.tokens.session_ttl_secs as i64,
        loa: identity.loa,
        methods: identity.methods,
        source: identity.source,
        source_org_kind,
        card_type: ctx.card_type.clone(),
        source_org,
        upstream: ctx.upstream,
        attributes: LoginAttributes {
            card_type: ctx.card_type.as_deref().and_then(|c| c.parse().ok()),
            profession_group: person
                .as_ref()
                .and_then(|p| p.profile.as_ref())
                .map(|(profile, _)| profile.profession_group.clone()),
            // The profile is what the person entered.
            profession_group_provenance: Provenance::SelfDeclared,
            authorities: ctx.authorities,
            acting_for: None,
        },
        one_time_password,
    };
    if let Some(old) = &attempt.replaces {
        p.eph.delete_session(old).await?;
    }
    let secret = random_token(32);
    p.eph
        .put_session(&hash_secret(&secret), &session, now)
        .await?;
    if let Some(u) = &session.upstream {
        // So that the IdP's own LogoutRequest can find this session.
        p.eph
            .put_pending(
                "slo-idx",
                &hash_secret(&format!("{}\n{}", u.source, u.name_id)),
                &session.sid,
                session.expires_at - now,
            )
            .await?;
    }
    Metrics::inc(&p.metrics.counters.logins_succeeded_total);
    p.metrics.login(&session.source, "success", "none");
    tracing::info!(account = %account_id, sid = %session.sid, source = %session.source, loa = %session.loa, "login");
    Ok(Started {
        session,
        secret,
        person,
    })
}
