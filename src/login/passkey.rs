//! Passkey logins: username-less (a discoverable credential, user
//! verification required) and as the second factor after a password.
//!
//! What a passkey login gives: `amr` `hwk` for a device-bound key or `swk`
//! for one that may be synced (backup eligible), and `user` when the
//! authenticator verified the person (RFC 8176). The level is the level of
//! the session in which the passkey was registered, at most substantial:
//! a passkey set up after a password-and-code login (low) gives low, one
//! set up after a card or Suomi.fi login gives substantial. A passkey
//! proves possession of a key, not who the person is; it carries the
//! identification made when it was registered.

use super::second_factor::{self, Pending};
use super::{Attempt, LoginContext, Started, start};
use crate::crypto::b64url;
use crate::domain::{AccountStatus, AuthMethod, LoA};
use crate::identity::VerifiedIdentity;
use crate::identity::passkey::ceremony::{self, Ceremony, Purpose};
use crate::identity::passkey::{Asserted, AssertionResponse, PasskeyError, RelyingParty};
use crate::oidc::Provider;
use crate::store::ephemeral::OneTimePassword;
use crate::store::{Account, AuditEvent, Passkey, StoreError};
use crate::telemetry::Metrics;

/// The relying party of this gateway's settings.
pub fn relying_party(p: &Provider) -> RelyingParty {
    let s = &p.settings;
    let public = &s.server.public_url;
    RelyingParty::new(
        &s.passkeys.rp_id(public),
        &s.passkeys.rp_name,
        &s.passkeys.origins(public),
    )
}

/// The WebAuthn user handle of an account: its id (a random identifier,
/// no personal data).
pub fn user_handle(account_id: &str) -> Vec<u8> {
    account_id.as_bytes().to_vec()
}

/// Why a passkey login was refused; [`Refusal::code`] goes to the log.
#[derive(Debug)]
pub enum Refusal {
    /// The response failed a check of the relying party.
    Invalid(PasskeyError),
    /// No ceremony of this browser has that challenge: answered already
    /// (a replay), expired, or started in another browser.
    NoCeremony,
    /// No passkey by that credential id (never registered, or removed).
    UnknownCredential,
    /// The credential belongs to another account than the one the
    /// response or the waiting login names.
    OtherAccount,
    /// The signature counter did not count up: a cloned authenticator.
    Cloned,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Invalid(e) => e.code(),
            Refusal::NoCeremony => "no_ceremony",
            Refusal::UnknownCredential => "unknown_credential",
            Refusal::OtherAccount => "other_account",
            Refusal::Cloned => "cloned",
        }
    }
}

/// What a passkey login comes to.
#[derive(Debug)]
pub enum PasskeyOutcome {
    Started(Box<Started>),
    NotActive(Box<Account>),
    Refused(Refusal),
}

/// The methods a verified assertion shows.
pub fn methods(asserted: &Asserted) -> Vec<AuthMethod> {
    let mut m = vec![if asserted.backup_eligible {
        AuthMethod::SoftwareKey
    } else {
        AuthMethod::HardwareKey
    }];
    if asserted.user_verified {
        m.push(AuthMethod::UserVerified);
    }
    m
}

/// The level a login with `passkey` gives (see the module text).
pub fn level(passkey: &Passkey) -> LoA {
    passkey.registered_loa.min(LoA::Substantial)
}

/// What a checked assertion comes to.
enum Checked {
    /// The passkey (counter moved on), its account as it was read with it,
    /// and what the authenticator said.
    Used(Passkey, Box<Account>, Asserted),
    /// A valid assertion for an account not in use: nothing was written.
    NotActive(Box<Account>),
}

/// The ceremony of a login: the checks common to both kinds.
async fn check(
    p: &Provider,
    attempt: &Attempt,
    binding: &str,
    response: &AssertionResponse,
    expect: impl Fn(&Purpose) -> bool,
    account: Option<&str>,
) -> Result<Result<Checked, Refusal>, StoreError> {
    let parsed = match RelyingParty::parse_assertion(response) {
        Ok(a) => a,
        Err(e) => return Ok(Err(Refusal::Invalid(e))),
    };
    let username_less = expect(&Purpose::Login);
    let Some(c): Option<Ceremony> = ceremony::take(&p.eph, binding, parsed.challenge()).await?
    else {
        return Ok(Err(Refusal::NoCeremony));
    };
    if !expect(&c.purpose) {
        return Ok(Err(Refusal::NoCeremony));
    }
    let credential_id = b64url(&parsed.credential_id);
    let Some((passkey, owner)) = p.dir.passkey_and_account(&credential_id).await? else {
        return Ok(Err(Refusal::UnknownCredential));
    };
    if account.is_some_and(|a| a != passkey.account_id) {
        return Ok(Err(Refusal::OtherAccount));
    }
    match &parsed.user_handle {
        Some(h) if *h != user_handle(&passkey.account_id) => {
            return Ok(Err(Refusal::OtherAccount));
        }
        // A discoverable credential names its user (§7.2 step 6).
        None if username_less => {
            return Ok(Err(Refusal::Invalid(PasskeyError::Malformed(
                "no user handle in a username-less login",
            ))));
        }
        _ => {}
    }
    let asserted = match relying_party(p).verify_assertion(
        &parsed,
        &c.challenge_bytes(),
        &passkey.public_key,
        c.user_verification,
    ) {
        Ok(a) => a,
        Err(e) => return Ok(Err(Refusal::Invalid(e))),
    };
    if owner.status != AccountStatus::Active {
        tracing::info!(account = %owner.id, status = %owner.status, ip = ?attempt.ip, "passkey login to an account not in use refused");
        p.dir
            .append_audit(
                &AuditEvent::new(p.now(), "anonymous", "login.passkey.refused_not_active")
                    .subject(owner.id.clone())
                    .ip(attempt.ip.clone())
                    .detail(serde_json::json!({
                        "passkey": passkey.name,
                        "status": owner.status,
                    })),
            )
            .await?;
        return Ok(Ok(Checked::NotActive(Box::new(owner))));
    }
    let audit = AuditEvent::new(p.now(), passkey.account_id.clone(), "login.passkey.success")
        .subject(passkey.account_id.clone())
        .ip(attempt.ip.clone())
        .detail(serde_json::json!({
            "passkey": passkey.name,
            "methods": methods(&asserted),
        }));
    if !p
        .dir
        .record_passkey_use(
            &credential_id,
            asserted.sign_count,
            asserted.backed_up,
            &audit,
        )
        .await?
    {
        tracing::warn!(
            account = %passkey.account_id,
            passkey = %passkey.name,
            credential = %credential_id,
            stored_counter = passkey.sign_count,
            presented_counter = asserted.sign_count,
            ip = ?attempt.ip,
            "passkey login refused: the signature counter did not count up, so the \
             authenticator may be cloned; remove the passkey at /admin/ if the person did not \
             use it just now"
        );
        p.dir
            .append_audit(
                &AuditEvent::new(p.now(), "anonymous", "login.passkey.cloned")
                    .subject(passkey.account_id.clone())
                    .ip(attempt.ip.clone())
                    .detail(serde_json::json!({
                        "passkey": passkey.name,
                        "stored_counter": passkey.sign_count,
                        "presented_counter": asserted.sign_count,
                    })),
            )
            .await?;
        return Ok(Err(Refusal::Cloned));
    }
    Ok(Ok(Checked::Used(passkey, Box::new(owner), asserted)))
}

fn refused(attempt: &Attempt, r: Refusal, kind: &str) -> PasskeyOutcome {
    tracing::info!(refusal = r.code(), detail = ?r, ip = ?attempt.ip, kind, "passkey login refused");
    PasskeyOutcome::Refused(r)
}

/// A username-less login: the credential names the account.
pub async fn login(
    p: &Provider,
    attempt: &Attempt,
    binding: &str,
    response: &AssertionResponse,
    ar: &str,
) -> Result<PasskeyOutcome, StoreError> {
    let (passkey, account, asserted) = match check(
        p,
        attempt,
        binding,
        response,
        |c| *c == Purpose::Login,
        None,
    )
    .await?
    {
        Ok(Checked::Used(passkey, account, asserted)) => (passkey, *account, asserted),
        Ok(Checked::NotActive(account)) => return Ok(PasskeyOutcome::NotActive(account)),
        Err(r) => {
            Metrics::inc(&p.metrics.counters.logins_failed_total);
            return Ok(refused(attempt, r, "username-less"));
        }
    };
    let identity = VerifiedIdentity {
        source: crate::config::sources::PASSWORD.to_string(),
        subject: account.id.clone(),
        loa: level(&passkey),
        methods: methods(&asserted),
        authenticated_at: p.now(),
        links_with: None,
        attributes: Default::default(),
    };
    let ctx = LoginContext {
        ar: ar.to_string(),
        ..LoginContext::default()
    };
    let one_time = if account.must_change_password {
        OneTimePassword::MustChange
    } else {
        OneTimePassword::NotUsed
    };
    let going_on = !ctx.ar.is_empty();
    let account_id = account.id.clone();
    let mut started = start(p, attempt, &account_id, identity, ctx, one_time, None).await?;
    if going_on {
        // The login goes on to a portal: the account read with the
        // passkey goes with it, so the portal decision does not read it
        // again. (Only for the decision: the session was started as any
        // login without a person.)
        let mut person = crate::oidc::person_of(p, account).await?;
        // As `record_passkey_use` recorded it.
        person.account.failed_logins = 0;
        person.account.last_login_at = Some(started.session.auth_time);
        started.person = Some(person);
    }
    Ok(PasskeyOutcome::Started(Box::new(started)))
}

/// The second factor of the password login waiting under `ticket`: a
/// passkey of that account (user presence is enough: the password was
/// the knowledge factor).
pub async fn second(
    p: &Provider,
    attempt: &Attempt,
    binding: &str,
    ticket: &str,
    pending: Pending,
    response: &AssertionResponse,
    ar: &str,
) -> Result<PasskeyOutcome, StoreError> {
    let account_id = pending.account_id.clone();
    let expect =
        |c: &Purpose| matches!(c, Purpose::SecondFactor { account_id: a } if *a == account_id);
    let (passkey, asserted) =
        match check(p, attempt, binding, response, expect, Some(&account_id)).await? {
            Ok(Checked::Used(passkey, _, asserted)) => (passkey, asserted),
            Ok(Checked::NotActive(account)) => return Ok(PasskeyOutcome::NotActive(account)),
            Err(r) => {
                Metrics::inc(&p.metrics.counters.logins_failed_total);
                return Ok(refused(attempt, r, "second factor"));
            }
        };
    second_factor::end(p, ticket).await?;
    let mut identity = pending.identity;
    identity.methods.extend(methods(&asserted));
    identity.loa = identity.loa.max(level(&passkey));
    let ctx = LoginContext {
        ar: ar.to_string(),
        ..LoginContext::default()
    };
    let started = start(
        p,
        attempt,
        &account_id,
        identity,
        ctx,
        pending.one_time_password,
        None,
    )
    .await?;
    Ok(PasskeyOutcome::Started(Box::new(started)))
}
