//! The conformance suites every store engine must pass. Engine tests call
//! these with a fresh, empty store; the same assertions run against
//! SQLite and PostgreSQL, memory and Redis.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod administration;
mod audit;
mod ephemeral;
mod events;
mod identities;
mod keys;
mod organisations;
mod passkeys;
mod provisioning;
mod reach;
mod relying;

use std::sync::Arc;

use super::{
    AuditEvent, Directory, Ephemeral, EphemeralState, Membership, NewAccount, Organisation,
};
use crate::domain::{Network, OrgKind, Role};

fn org(id: &str, oid: &str) -> Organisation {
    Organisation {
        id: id.into(),
        oid: oid.parse().unwrap(),
        business_id: "7019376-8".parse().unwrap(),
        name_fi: format!("Organisaatio {id}"),
        name_sv: format!("Organisation {id}"),
        kind: OrgKind::HealthCentre,
        municipality: Some("Jyväskylä".into()),
        networks: vec![Network::Intermetso, Network::Sonette],
    }
}

fn new_account(id: &str, username: &str) -> NewAccount {
    NewAccount {
        id: id.into(),
        username: username.into(),
        given_name: "Anna".into(),
        family_name: "Hoitaja".into(),
        email: Some("anna@example.fi".into()),
        phone: None,
        title: Some("sairaanhoitaja".into()),
        password_hash: Some("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into()),
        must_change_password: false,
        created_at: 1_700_000_000,
    }
}

fn member(account: &str, org: &str, network: Network, role: Role) -> Membership {
    Membership {
        account_id: account.into(),
        org_id: org.into(),
        network,
        role,
    }
}

fn audit(action: &str, subject: &str) -> AuditEvent {
    AuditEvent::new(1_700_000_000, "tester", action).subject(subject)
}

/// Every directory test, in order, each on its own fresh store from
/// `fresh`.
pub async fn directory_suite<F, Fut>(fresh: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Directory>>,
{
    organisations::organisations_round_trip(&*fresh().await).await;
    accounts::account_with_memberships_is_all_or_nothing(&*fresh().await).await;
    accounts::usernames_are_unique_case_insensitively(&*fresh().await).await;
    accounts::failures_lock_at_the_limit(&*fresh().await).await;
    accounts::status_changes_and_passwords(&*fresh().await).await;
    organisations::liaison_contacts_are_per_org(&*fresh().await).await;
    audit::audit_is_written_with_the_change(&*fresh().await).await;
    audit::audit_filters(&*fresh().await).await;
    keys::signing_keys_round_trip(&*fresh().await).await;
    accounts::concurrent_failures_all_count(fresh().await).await;
    administration::administration(&*fresh().await).await;
    reach::liaison_reach(&*fresh().await).await;
    identities::identities(&*fresh().await).await;
    passkeys::passkeys(&*fresh().await).await;
    provisioning::provisioning(&*fresh().await).await;
    events::events(&*fresh().await).await;
}

/// Every ephemeral-store test on one fresh store; tests use distinct keys.
pub async fn ephemeral_suite(store: Arc<dyn Ephemeral>) {
    ephemeral::primitives(&*store).await;
    ephemeral::take_is_single_use_under_concurrency(store.clone()).await;
    ephemeral::cas_is_atomic_under_concurrency(store.clone()).await;
    ephemeral::expiry(&*store).await;
    let st = EphemeralState::new(store);
    ephemeral::sessions(&st).await;
    ephemeral::codes(&st).await;
    ephemeral::refresh_families(&st).await;
    ephemeral::concurrent_rotation_rotates_once(&st).await;
    relying::relying(&st).await;
    relying::session_end_is_claimed_once(&st).await;
}
