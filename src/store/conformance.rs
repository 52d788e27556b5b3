//! The conformance suites every store engine must pass. Engine tests call
//! these with a fresh, empty store; the same assertions run against
//! SQLite and PostgreSQL, memory and Redis.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod identities;
mod relying;

use std::sync::Arc;
use std::time::Duration;

use super::ephemeral::{
    AuthRequest, CodeGrant, Grant, Redemption, RefreshFamily, Rotation, Session,
};
use super::{
    AuditEvent, Directory, Ephemeral, EphemeralState, LiaisonContact, Membership, NewAccount,
    Organisation, StoreError, StoredKey,
};
use crate::domain::{AccountStatus, AuthMethod, LoA, Network, OrgKind, Role};

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
    organisations_round_trip(&*fresh().await).await;
    account_with_memberships_is_all_or_nothing(&*fresh().await).await;
    usernames_are_unique_case_insensitively(&*fresh().await).await;
    failures_lock_at_the_limit(&*fresh().await).await;
    status_changes_and_passwords(&*fresh().await).await;
    liaison_contacts_are_per_org(&*fresh().await).await;
    audit_is_written_with_the_change(&*fresh().await).await;
    signing_keys_round_trip(&*fresh().await).await;
    concurrent_failures_all_count(fresh().await).await;
    administration(&*fresh().await).await;
    liaison_reach(&*fresh().await).await;
    identities::identities(&*fresh().await).await;
}

async fn administration(d: &dyn Directory) {
    use super::{AccountQuery, AccountUpdate, AuditQuery};
    let mut o1 = org("o1", "1.2.246.10.1");
    o1.name_fi = "Jyväskylän terveyskeskus".into();
    o1.municipality = Some("Jyväskylä".into());
    d.insert_organisation(&o1, &audit("x", "o1")).await.unwrap();
    let mut o2 = org("o2", "1.2.246.10.2");
    o2.name_fi = "Kuopion 100%_palvelut".into();
    o2.business_id = "0245437-2".parse().unwrap();
    o2.municipality = Some("Kuopio".into());
    d.insert_organisation(&o2, &audit("x", "o2")).await.unwrap();
    // Register search: name, business id, municipality; wildcards are literal.
    let ids = |v: Vec<Organisation>| v.into_iter().map(|o| o.id).collect::<Vec<_>>();
    assert_eq!(
        ids(d.search_organisations("terveys", 10).await.unwrap()),
        vec!["o1"]
    );
    assert_eq!(
        ids(d.search_organisations("0245437", 10).await.unwrap()),
        vec!["o2"]
    );
    assert_eq!(
        ids(d.search_organisations("kuopio", 10).await.unwrap()),
        vec!["o2"]
    );
    assert_eq!(
        ids(d.search_organisations("100%_", 10).await.unwrap()),
        vec!["o2"]
    );
    assert_eq!(
        ids(d.search_organisations("%", 10).await.unwrap()),
        vec!["o2"],
        "only a literal %"
    );
    assert_eq!(d.search_organisations("", 10).await.unwrap().len(), 2);
    o1.name_sv = "Jyväskylä hälsocentral".into();
    d.update_organisation(&o1, &audit("organisation.updated", "o1"))
        .await
        .unwrap();
    assert_eq!(
        d.organisation("o1").await.unwrap().unwrap().name_sv,
        "Jyväskylä hälsocentral"
    );
    let mut ghost = o1.clone();
    ghost.id = "ghost".into();
    assert!(matches!(
        d.update_organisation(&ghost, &audit("x", "")).await,
        Err(StoreError::NotFound(_))
    ));

    // Accounts in o1/intermetso, o1/sonette and o2.
    for (id, user, family, o, n) in [
        ("a1", "anna.aalto", "Aalto", "o1", Network::Intermetso),
        ("a2", "bertta.berg", "Berg", "o1", Network::Sonette),
        (
            "a3",
            "cecilia.cajander",
            "Cajander",
            "o2",
            Network::Intermetso,
        ),
        ("a4", "daniel.dahl", "Dahl", "o1", Network::Intermetso),
    ] {
        let mut a = new_account(id, user);
        a.family_name = family.into();
        a.email = Some(format!("{user}@example.fi"));
        d.create_account(&a, &[member(id, o, n, Role::Member)], &audit("c", id))
            .await
            .unwrap();
    }
    let find = |org: &'static str,
                nets: &'static [Network],
                text: &'static str,
                offset: u32,
                limit: u32| AccountQuery {
        org_id: org,
        networks: nets,
        text,
        offset,
        limit,
        ..Default::default()
    };
    let usernames = |v: (Vec<super::Account>, u64)| {
        (v.0.into_iter().map(|a| a.username).collect::<Vec<_>>(), v.1)
    };
    assert_eq!(
        usernames(
            d.find_accounts(&find("o1", &[Network::Intermetso], "", 0, 10))
                .await
                .unwrap()
        ),
        (vec!["anna.aalto".to_string(), "daniel.dahl".to_string()], 2)
    );
    assert_eq!(
        usernames(d.find_accounts(&find("o1", &[], "", 1, 1)).await.unwrap()),
        (vec!["bertta.berg".to_string()], 3),
        "paged, ordered by family name"
    );
    assert_eq!(
        usernames(
            d.find_accounts(&find("o1", &[], "DAHL", 0, 10))
                .await
                .unwrap()
        )
        .1,
        1
    );
    assert_eq!(
        usernames(
            d.find_accounts(&find("o1", &[], "cecilia", 0, 10))
                .await
                .unwrap()
        )
        .1,
        0,
        "another organisation's"
    );
    assert_eq!(
        usernames(
            d.find_accounts(&find("", &[], "cajander@", 0, 10))
                .await
                .unwrap()
        )
        .1,
        1,
        "the service desk sees all"
    );
    assert_eq!(
        usernames(d.find_accounts(&find("", &[], "_", 0, 10)).await.unwrap()).1,
        0,
        "wildcards are literal"
    );

    d.update_account(
        "a1",
        &AccountUpdate {
            given_name: "Anna".into(),
            family_name: "Aalto-Uusi".into(),
            email: None,
            phone: Some("040 1".into()),
            title: None,
        },
        &audit("admin.account.edited", "a1"),
    )
    .await
    .unwrap();
    let a1 = d.account("a1").await.unwrap().unwrap();
    assert_eq!(
        (a1.family_name.as_str(), a1.email.as_deref()),
        ("Aalto-Uusi", None)
    );

    // Memberships: add a liaison role, move networks, remove.
    let liaison = member("a4", "o1", Network::Intermetso, Role::Liaison);
    d.add_membership(&liaison, &audit("admin.liaison.appointed", "a4"))
        .await
        .unwrap();
    assert!(matches!(
        d.add_membership(&liaison, &audit("x", "a4")).await,
        Err(StoreError::Conflict(_))
    ));
    d.publish_liaison_contact(
        &LiaisonContact {
            account_id: "a4".into(),
            org_id: "o1".into(),
            network: Network::Intermetso,
            name: "D".into(),
            email: None,
            phone: None,
        },
        &audit("x", "a4"),
    )
    .await
    .unwrap();
    d.move_network(
        "a4",
        "o1",
        Network::Intermetso,
        Network::Sonette,
        &audit("admin.account.network_moved", "a4"),
    )
    .await
    .unwrap();
    assert!(
        d.memberships("a4")
            .await
            .unwrap()
            .iter()
            .all(|m| m.network == Network::Sonette)
    );
    assert_eq!(
        d.liaison_contacts("o1").await.unwrap()[0].network,
        Network::Sonette,
        "the published contact moves too"
    );
    assert!(matches!(
        d.move_network(
            "a4",
            "o1",
            Network::Intermetso,
            Network::Sonette,
            &audit("x", "a4")
        )
        .await,
        Err(StoreError::NotFound(_))
    ));
    let moved = member("a4", "o1", Network::Sonette, Role::Liaison);
    d.remove_membership(&moved, &audit("admin.liaison.removed", "a4"))
        .await
        .unwrap();
    assert!(
        d.liaison_contacts("o1").await.unwrap().is_empty(),
        "removing the role unpublishes"
    );
    assert!(matches!(
        d.remove_membership(&moved, &audit("x", "a4")).await,
        Err(StoreError::NotFound(_))
    ));

    // Operators and TOTP secrets.
    assert!(!d.is_operator("a3").await.unwrap());
    d.add_operator("a3", &audit("admin.operator.added", "a3"))
        .await
        .unwrap();
    assert!(d.is_operator("a3").await.unwrap());
    assert_eq!(d.totp_secret("a3").await.unwrap(), None);
    d.set_totp_secret(
        "a3",
        Some(&[1, 2, 3]),
        &audit("account.totp.enrolled", "a3"),
    )
    .await
    .unwrap();
    assert_eq!(d.totp_secret("a3").await.unwrap(), Some(vec![1, 2, 3]));
    d.set_totp_secret("a3", None, &audit("account.totp.removed", "a3"))
        .await
        .unwrap();
    assert_eq!(d.totp_secret("a3").await.unwrap(), None);

    // Audit queries: by organisation (its actions and its accounts), actor, time.
    let mut ev = AuditEvent::new(5, "someone", "admin.account.unlocked").subject("a2");
    ev.org_id = Some("o1".into());
    d.append_audit(&ev).await.unwrap();
    let o1_events = d
        .query_audit(&AuditQuery {
            org_id: "o1",
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        o1_events.iter().any(|e| e.subject.as_deref() == Some("a1")),
        "events about its accounts"
    );
    assert!(
        o1_events.iter().all(|e| e.subject.as_deref() != Some("a3")),
        "not another organisation's"
    );
    let by_actor = d
        .query_audit(&AuditQuery {
            actor: "someone",
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_actor, vec![ev.clone()]);
    let early = d
        .query_audit(&AuditQuery {
            until: Some(6),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(early, vec![ev]);
    assert_eq!(d.purge_audit(6).await.unwrap(), 1);
    assert!(
        d.query_audit(&AuditQuery {
            actor: "someone",
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .is_empty()
    );
}

/// What a liaison person of o1 in intermetso reaches: o1's members there,
/// not operators nor liaison persons elsewhere; and which audit events.
async fn liaison_reach(d: &dyn Directory) {
    use super::{AccountQuery, AuditQuery};
    for id in ["o1", "o2"] {
        d.insert_organisation(
            &org(id, &format!("1.2.246.10.{}", &id[1..])),
            &audit("x", id),
        )
        .await
        .unwrap();
    }
    // m: a member; l: a liaison here; x: also a liaison in o2; s: also a
    // liaison in o1/sonette; op: an operator; w: a member of o1/sonette.
    type Memberships<'a> = &'a [(&'a str, Network, Role)];
    let accounts: [(&str, Memberships); 6] = [
        ("m", &[("o1", Network::Intermetso, Role::Member)]),
        ("l", &[("o1", Network::Intermetso, Role::Liaison)]),
        (
            "x",
            &[
                ("o1", Network::Intermetso, Role::Member),
                ("o2", Network::Intermetso, Role::Liaison),
            ],
        ),
        (
            "s",
            &[
                ("o1", Network::Intermetso, Role::Member),
                ("o1", Network::Sonette, Role::Liaison),
            ],
        ),
        ("op", &[("o1", Network::Intermetso, Role::Member)]),
        ("w", &[("o1", Network::Sonette, Role::Member)]),
    ];
    for (id, ms) in accounts {
        let ms: Vec<Membership> = ms.iter().map(|(o, n, r)| member(id, o, *n, *r)).collect();
        d.create_account(
            &new_account(id, &format!("user.{id}")),
            &ms,
            &audit("c", id),
        )
        .await
        .unwrap();
    }
    d.add_operator("op", &audit("admin.operator.added", "op"))
        .await
        .unwrap();
    let nets = [Network::Intermetso];
    let (found, total) = d
        .find_accounts(&AccountQuery {
            org_id: "o1",
            networks: &nets,
            reach_only: true,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut ids: Vec<String> = found.into_iter().map(|a| a.id).collect();
    ids.sort();
    assert_eq!((ids, total), (vec!["l".to_string(), "m".to_string()], 2));
    let (_, all) = d
        .find_accounts(&AccountQuery {
            org_id: "o1",
            networks: &nets,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all, 5, "without reach_only: everyone with a membership");

    // Audit: o1's own events about reachable accounts, and their own doings.
    let ev = |actor: &str, action: &str, subject: Option<&str>, org: Option<&str>| {
        let mut e = AuditEvent::new(10, actor, action);
        e.subject = subject.map(str::to_string);
        e.org_id = org.map(str::to_string);
        e
    };
    let events = [
        ev("l", "in.o1.about_m", Some("m"), Some("o1")),
        ev("desk", "in.o1.no_subject", None, Some("o1")),
        ev("m", "in.own_login", Some("m"), None),
        ev("o2liaison", "out.o2.about_m", Some("m"), Some("o2")),
        ev("desk", "out.desk.about_m", Some("m"), None),
        ev("l", "out.o1.about_x", Some("x"), Some("o1")),
        ev("op", "out.own_login_op", Some("op"), None),
        ev("l", "out.o1.about_w", Some("w"), Some("o1")),
        ev("s", "out.o1.about_s", Some("s"), Some("o1")),
    ];
    for e in &events {
        d.append_audit(e).await.unwrap();
    }
    let mut seen: Vec<String> = d
        .query_audit(&AuditQuery {
            org_id: "o1",
            networks: &nets,
            reach_only: true,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec!["in.o1.about_m", "in.o1.no_subject", "in.own_login"],
        "exactly the events within reach"
    );
    let none = d
        .query_audit(&AuditQuery {
            org_id: "o1",
            networks: &[],
            reach_only: true,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        none.iter().all(|e| e.subject.is_none()),
        "no networks, no accounts"
    );
}

async fn organisations_round_trip(d: &dyn Directory) {
    d.ping().await.unwrap();
    let o = org("ksshp", "1.2.246.10.2430960.10.0");
    d.insert_organisation(&o, &audit("organisation.created", "ksshp"))
        .await
        .unwrap();
    assert_eq!(d.organisation("ksshp").await.unwrap(), Some(o.clone()));
    assert_eq!(d.organisation("none").await.unwrap(), None);
    let dup = d
        .insert_organisation(&o, &audit("organisation.created", "ksshp"))
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let mut other = org("hus", "1.2.246.10.1234567.10.0");
    other.name_fi = "Aaa HUS".into();
    d.insert_organisation(&other, &audit("organisation.created", "hus"))
        .await
        .unwrap();
    let all = d.organisations().await.unwrap();
    assert_eq!(
        all.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        vec!["hus", "ksshp"]
    );
}

async fn account_with_memberships_is_all_or_nothing(d: &dyn Directory) {
    d.insert_organisation(&org("o1", "1.2.246.10.1"), &audit("x", "o1"))
        .await
        .unwrap();
    let ms = vec![
        member("a1", "o1", Network::Intermetso, Role::Member),
        member("a1", "o1", Network::Intermetso, Role::Liaison),
    ];
    let a = d
        .create_account(
            &new_account("a1", "anna.hoitaja"),
            &ms,
            &audit("account.created", "a1"),
        )
        .await
        .unwrap();
    assert_eq!(a.status, AccountStatus::Active);
    assert_eq!(a.failed_logins, 0);
    assert_eq!(d.memberships("a1").await.unwrap().len(), 2);
    // The same in one round trip, with each organisation once.
    let (ms2, orgs) = d.memberships_with_organisations("a1").await.unwrap();
    assert_eq!(ms2, d.memberships("a1").await.unwrap());
    let mut ids: Vec<&str> = ms2.iter().map(|m| m.org_id.as_str()).collect();
    ids.dedup();
    assert_eq!(orgs.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ids);
    assert_eq!(orgs[0], d.organisation(&orgs[0].id).await.unwrap().unwrap());
    assert_eq!(
        d.memberships_with_organisations("nobody").await.unwrap(),
        (vec![], vec![])
    );
    // A membership in an organisation that does not exist: nothing is written.
    let bad = vec![member("a2", "nope", Network::Sonette, Role::Member)];
    assert!(
        d.create_account(
            &new_account("a2", "bertta"),
            &bad,
            &audit("account.created", "a2")
        )
        .await
        .is_err()
    );
    assert_eq!(d.account("a2").await.unwrap(), None);
    assert!(d.credentials("bertta").await.unwrap().is_none());
    assert!(d.audit_events(Some("a2"), 10).await.unwrap().is_empty());
}

async fn usernames_are_unique_case_insensitively(d: &dyn Directory) {
    d.create_account(&new_account("a1", "Anna.Hoitaja"), &[], &audit("c", "a1"))
        .await
        .unwrap();
    let dup = d
        .create_account(&new_account("a2", "anna.hoitaja"), &[], &audit("c", "a2"))
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let (a, hash) = d.credentials("ANNA.HOITAJA").await.unwrap().unwrap();
    assert_eq!(a.id, "a1");
    assert_eq!(a.username, "Anna.Hoitaja");
    assert!(hash.unwrap().starts_with("$argon2id$"));
}

async fn failures_lock_at_the_limit(d: &dyn Directory) {
    d.create_account(&new_account("a1", "u1"), &[], &audit("c", "a1"))
        .await
        .unwrap();
    for i in 1..=4 {
        let out = d
            .record_login_failure("a1", 5, &audit("login.failure", "a1"))
            .await
            .unwrap();
        assert_eq!(out.failed_logins, i);
        assert!(!out.locked_now);
    }
    let out = d
        .record_login_failure("a1", 5, &audit("login.failure", "a1"))
        .await
        .unwrap();
    assert!(out.locked_now);
    let a = d.account("a1").await.unwrap().unwrap();
    assert_eq!(a.status, AccountStatus::Locked);
    assert_eq!(a.status_reason.as_deref(), Some("too_many_failed_logins"));
    // Further failures do not lock "again".
    let out = d
        .record_login_failure("a1", 5, &audit("login.failure", "a1"))
        .await
        .unwrap();
    assert!(!out.locked_now);
    // Unlocking clears the count.
    d.set_status(
        "a1",
        AccountStatus::Active,
        None,
        &audit("account.unlocked", "a1"),
    )
    .await
    .unwrap();
    let a = d.account("a1").await.unwrap().unwrap();
    assert_eq!((a.status, a.failed_logins), (AccountStatus::Active, 0));
    // A success resets the count too.
    d.record_login_failure("a1", 5, &audit("login.failure", "a1"))
        .await
        .unwrap();
    d.record_login_success(
        "a1",
        &AuditEvent::new(1_700_000_100, "a1", "login.success").subject("a1"),
    )
    .await
    .unwrap();
    let a = d.account("a1").await.unwrap().unwrap();
    assert_eq!(a.failed_logins, 0);
    assert_eq!(a.last_login_at, Some(1_700_000_100));
    let missing = d
        .record_login_failure("zz", 5, &audit("login.failure", "zz"))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))));
}

async fn status_changes_and_passwords(d: &dyn Directory) {
    d.create_account(&new_account("a1", "u1"), &[], &audit("c", "a1"))
        .await
        .unwrap();
    d.set_password(
        "a1",
        "$argon2id$new",
        true,
        &audit("account.password.reset", "a1"),
    )
    .await
    .unwrap();
    let (a, h) = d.credentials("u1").await.unwrap().unwrap();
    assert!(a.must_change_password);
    assert_eq!(h.as_deref(), Some("$argon2id$new"));
    // The person's own password is remembered across resets, not a pending
    // one-time password.
    let own = new_account("a1", "u1").password_hash;
    assert_eq!(d.previous_password_hash("a1").await.unwrap(), own);
    d.set_password("a1", "$argon2id$again", true, &audit("x", "a1"))
        .await
        .unwrap();
    assert_eq!(d.previous_password_hash("a1").await.unwrap(), own);
    d.set_password("a1", "$argon2id$mine", false, &audit("x", "a1"))
        .await
        .unwrap();
    d.set_password("a1", "$argon2id$reset", true, &audit("x", "a1"))
        .await
        .unwrap();
    assert_eq!(
        d.previous_password_hash("a1").await.unwrap().as_deref(),
        Some("$argon2id$mine")
    );
    assert_eq!(d.previous_password_hash("zz").await.unwrap(), None);
    d.set_status(
        "a1",
        AccountStatus::Disabled,
        Some("left the organisation"),
        &audit("account.disabled", "a1"),
    )
    .await
    .unwrap();
    let a = d.account("a1").await.unwrap().unwrap();
    assert_eq!(a.status, AccountStatus::Disabled);
    assert_eq!(a.status_reason.as_deref(), Some("left the organisation"));
    let missing = d
        .set_status("zz", AccountStatus::Active, None, &audit("x", "zz"))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))));
    // A failed change writes no audit record.
    assert!(d.audit_events(Some("zz"), 10).await.unwrap().is_empty());
}

async fn liaison_contacts_are_per_org(d: &dyn Directory) {
    d.insert_organisation(&org("o1", "1.2.246.10.1"), &audit("x", "o1"))
        .await
        .unwrap();
    d.insert_organisation(&org("o2", "1.2.246.10.2"), &audit("x", "o2"))
        .await
        .unwrap();
    d.create_account(
        &new_account("l1", "liaison1"),
        &[member("l1", "o1", Network::Intermetso, Role::Liaison)],
        &audit("c", "l1"),
    )
    .await
    .unwrap();
    let c = LiaisonContact {
        account_id: "l1".into(),
        org_id: "o1".into(),
        network: Network::Intermetso,
        name: "Liisa Yhdyshenkilö".into(),
        email: Some("liisa@example.fi".into()),
        phone: None,
    };
    d.publish_liaison_contact(&c, &audit("liaison.published", "l1"))
        .await
        .unwrap();
    let mut updated = c.clone();
    updated.phone = Some("040 123 4567".into());
    d.publish_liaison_contact(&updated, &audit("liaison.published", "l1"))
        .await
        .unwrap();
    assert_eq!(d.liaison_contacts("o1").await.unwrap(), vec![updated]);
    assert!(d.liaison_contacts("o2").await.unwrap().is_empty());
    // A disabled liaison person is not listed.
    d.set_status(
        "l1",
        AccountStatus::Disabled,
        None,
        &audit("account.disabled", "l1"),
    )
    .await
    .unwrap();
    assert!(d.liaison_contacts("o1").await.unwrap().is_empty());
}

async fn audit_is_written_with_the_change(d: &dyn Directory) {
    d.create_account(
        &new_account("a1", "u1"),
        &[],
        &audit("account.created", "a1"),
    )
    .await
    .unwrap();
    d.record_login_failure(
        "a1",
        5,
        &audit("login.failure", "a1").ip(Some("10.0.0.1".into())),
    )
    .await
    .unwrap();
    d.append_audit(&audit("login.other", "a1").reason("ticket 123"))
        .await
        .unwrap();
    let ev = d.audit_events(Some("a1"), 10).await.unwrap();
    let actions: Vec<&str> = ev.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["login.other", "login.failure", "account.created"]
    );
    assert_eq!(ev[0].reason.as_deref(), Some("ticket 123"));
    assert_eq!(ev[1].source_ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(d.audit_events(None, 2).await.unwrap().len(), 2);
}

async fn signing_keys_round_trip(d: &dyn Directory) {
    assert!(d.signing_keys().await.unwrap().is_empty());
    let k = StoredKey {
        kid: "k1".into(),
        alg: "ES256".into(),
        encrypted_private: vec![1, 2, 3, 0, 255],
        public_jwk: "{}".into(),
        created_at: 10,
        activate_at: 20,
        retire_at: Some(30),
    };
    d.insert_signing_key(&k).await.unwrap();
    assert_eq!(d.signing_keys().await.unwrap(), vec![k.clone()]);
    d.retire_signing_key("k1", 99, &audit("keys.retired", ""))
        .await
        .unwrap();
    assert_eq!(d.signing_keys().await.unwrap()[0].retire_at, Some(99));
    assert!(matches!(
        d.retire_signing_key("nope", 99, &audit("keys.retired", ""))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        d.insert_signing_key(&k).await,
        Err(StoreError::Conflict(_))
    ));
}

async fn concurrent_failures_all_count(d: Arc<dyn Directory>) {
    d.create_account(&new_account("a1", "u1"), &[], &audit("c", "a1"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let d = d.clone();
            tokio::spawn(async move {
                d.record_login_failure("a1", 5, &audit("login.failure", "a1"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut locked = 0;
    for t in tasks {
        if t.await.unwrap().locked_now {
            locked += 1;
        }
    }
    assert_eq!(locked, 1, "exactly one failure locks");
    assert_eq!(d.account("a1").await.unwrap().unwrap().failed_logins, 8);
}

/// Every ephemeral-store test on one fresh store; tests use distinct keys.
pub async fn ephemeral_suite(store: Arc<dyn Ephemeral>) {
    primitives(&*store).await;
    take_is_single_use_under_concurrency(store.clone()).await;
    cas_is_atomic_under_concurrency(store.clone()).await;
    expiry(&*store).await;
    let st = EphemeralState::new(store);
    sessions(&st).await;
    codes(&st).await;
    refresh_families(&st).await;
    concurrent_rotation_rotates_once(&st).await;
    relying::relying(&st).await;
    relying::session_end_is_claimed_once(&st).await;
}

async fn primitives(s: &dyn Ephemeral) {
    let ttl = Duration::from_secs(60);
    s.ping().await.unwrap();
    assert_eq!(s.get("p:a").await.unwrap(), None);
    s.put("p:a", b"1".to_vec(), ttl).await.unwrap();
    assert_eq!(s.get("p:a").await.unwrap(), Some(b"1".to_vec()));
    assert!(!s.put_if_absent("p:a", b"2".to_vec(), ttl).await.unwrap());
    assert!(s.put_if_absent("p:b", b"2".to_vec(), ttl).await.unwrap());
    assert_eq!(s.take("p:b").await.unwrap(), Some(b"2".to_vec()));
    assert_eq!(s.take("p:b").await.unwrap(), None);
    assert!(
        s.compare_and_swap("p:a", b"1", b"3".to_vec(), ttl)
            .await
            .unwrap()
    );
    assert!(
        !s.compare_and_swap("p:a", b"1", b"4".to_vec(), ttl)
            .await
            .unwrap()
    );
    assert!(
        !s.compare_and_swap("p:missing", b"", b"4".to_vec(), ttl)
            .await
            .unwrap()
    );
    assert_eq!(s.get("p:a").await.unwrap(), Some(b"3".to_vec()));
    s.delete("p:a").await.unwrap();
    assert_eq!(s.get("p:a").await.unwrap(), None);
    assert_eq!(s.incr("p:c", ttl).await.unwrap(), 1);
    assert_eq!(s.incr("p:c", ttl).await.unwrap(), 2);
    // One taken back; never below zero; a missing counter is not made.
    s.decr("p:c").await.unwrap();
    assert_eq!(s.incr("p:c", ttl).await.unwrap(), 2);
    for _ in 0..3 {
        s.decr("p:c").await.unwrap();
    }
    assert_eq!(s.incr("p:c", ttl).await.unwrap(), 1);
    s.decr("p:none").await.unwrap();
    assert_eq!(s.get("p:none").await.unwrap(), None);
    s.set_add("p:s", "x", ttl).await.unwrap();
    s.set_add("p:s", "y", ttl).await.unwrap();
    s.set_add("p:s", "x", ttl).await.unwrap();
    let mut m = s.set_members("p:s").await.unwrap();
    m.sort();
    assert_eq!(m, vec!["x", "y"]);
    assert!(s.set_members("p:none").await.unwrap().is_empty());
    // Binary values survive.
    let bin: Vec<u8> = (0..=255).collect();
    s.put("p:bin", bin.clone(), ttl).await.unwrap();
    assert_eq!(s.get("p:bin").await.unwrap(), Some(bin));
}

async fn take_is_single_use_under_concurrency(s: Arc<dyn Ephemeral>) {
    s.put("t:code", b"v".to_vec(), Duration::from_secs(60))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.take("t:code").await.unwrap().is_some() })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
}

async fn cas_is_atomic_under_concurrency(s: Arc<dyn Ephemeral>) {
    s.put("c:k", b"0".to_vec(), Duration::from_secs(60))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.compare_and_swap(
                    "c:k",
                    b"0",
                    format!("w{i}").into_bytes(),
                    Duration::from_secs(60),
                )
                .await
                .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
}

async fn expiry(s: &dyn Ephemeral) {
    s.put("e:a", b"1".to_vec(), Duration::from_millis(1100))
        .await
        .unwrap();
    s.incr("e:c", Duration::from_millis(1100)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(s.get("e:a").await.unwrap(), None);
    // Taking one back from an expired counter does not revive it.
    s.decr("e:c").await.unwrap();
    assert_eq!(
        s.incr("e:c", Duration::from_secs(60)).await.unwrap(),
        1,
        "a new window starts"
    );
}

fn grant() -> Grant {
    Grant {
        account_id: "a1".into(),
        sid: "sid1".into(),
        scope: vec!["openid".into()],
        auth_time: 1000,
        loa: LoA::Low,
        methods: vec![AuthMethod::Password],
        source: "password".into(),
        source_org_kind: None,
        card_type: None,
        source_org: None,
        attributes: Default::default(),
    }
}

async fn sessions(st: &EphemeralState) {
    let s = Session {
        sid: "sid1".into(),
        account_id: "a1".into(),
        auth_time: 1000,
        expires_at: 2000,
        loa: LoA::Low,
        methods: vec![AuthMethod::Password],
        source: "password".into(),
        source_org_kind: None,
        card_type: None,
        source_org: None,
        upstream: None,
        attributes: Default::default(),
        one_time_password: Default::default(),
    };
    st.put_session("k1", &s, 1000).await.unwrap();
    assert_eq!(st.session("k1", 1500).await.unwrap(), Some(s.clone()));
    assert_eq!(
        st.session("k1", 2000).await.unwrap(),
        None,
        "expired by the clock"
    );
    st.delete_session("k1").await.unwrap();
    assert_eq!(st.session("k1", 1500).await.unwrap(), None);
    let r = AuthRequest {
        client_id: "c".into(),
        redirect_uri: "https://p/cb".into(),
        scope: vec!["openid".into()],
        state: Some("s".into()),
        nonce: None,
        code_challenge: None,
        login_hint: None,
        idp_hint: None,
        max_age: None,
        created_at: 1,
        min_loa: None,
    };
    st.put_auth_request("ar1", &r, 60).await.unwrap();
    assert_eq!(st.auth_request("ar1").await.unwrap(), Some(r));
    st.add_session_client("sid1", "c1", 60).await.unwrap();
    st.add_session_client("sid1", "c2", 60).await.unwrap();
    let mut c = st.session_clients("sid1").await.unwrap();
    c.sort();
    assert_eq!(c, vec!["c1", "c2"]);
}

async fn codes(st: &EphemeralState) {
    let c = CodeGrant {
        client_id: "c".into(),
        redirect_uri: "https://p/cb".into(),
        code_challenge: None,
        grant: grant(),
        nonce: Some("n".into()),
        expires_at: 1060,
    };
    st.put_code("h1", &c, 1000).await.unwrap();
    assert_eq!(
        st.redeem_code("h1", 1010).await.unwrap(),
        Redemption::Fresh(Box::new(c.clone()))
    );
    st.link_code_family("h1", "fam1").await.unwrap();
    assert_eq!(
        st.redeem_code("h1", 1011).await.unwrap(),
        Redemption::AlreadyUsed {
            family_id: Some("fam1".into())
        }
    );
    assert_eq!(
        st.redeem_code("never", 1010).await.unwrap(),
        Redemption::Unknown
    );
    // Expired by the clock.
    st.put_code("h2", &c, 1000).await.unwrap();
    assert_eq!(
        st.redeem_code("h2", 1060).await.unwrap(),
        Redemption::Unknown
    );
}

async fn refresh_families(st: &EphemeralState) {
    let f = RefreshFamily {
        family_id: "f1".into(),
        client_id: "c".into(),
        grant: grant(),
        current: "t0".into(),
        generation: 0,
        expires_at: 5000,
    };
    st.create_family(&f, 1000).await.unwrap();
    // Another client's presentation changes nothing, not even with the
    // current token.
    assert!(matches!(
        st.rotate("f1", "other", "t0", "t9".into(), 1001, 60)
            .await
            .unwrap(),
        Rotation::OtherClient { .. }
    ));
    let Rotation::Rotated(next) = st
        .rotate("f1", "c", "t0", "t1".into(), 1001, 60)
        .await
        .unwrap()
    else {
        panic!("first presentation rotates");
    };
    assert_eq!((next.current.as_str(), next.generation), ("t1", 1));
    // The old token again: not current, and the family is left as it is
    // (the caller judges whether it proves a replay).
    assert!(matches!(
        st.rotate("f1", "c", "t0", "t2".into(), 1002, 60).await.unwrap(),
        Rotation::NotCurrent { family } if family.generation == 1
    ));
    assert!(!st.family_revoked("f1").await.unwrap());
    let Rotation::Rotated(next) = st
        .rotate("f1", "c", "t1", "t2".into(), 1002, 60)
        .await
        .unwrap()
    else {
        panic!("the current token still rotates");
    };
    assert_eq!((next.current.as_str(), next.generation), ("t2", 2));
    // Revoked: the family is gone.
    st.revoke_family("f1", 60).await.unwrap();
    assert_eq!(
        st.rotate("f1", "c", "t2", "t3".into(), 1003, 60)
            .await
            .unwrap(),
        Rotation::Unknown
    );
    assert!(st.family_revoked("f1").await.unwrap());
    // Logout ends every family of the session.
    let g = RefreshFamily {
        family_id: "f2".into(),
        current: "u0".into(),
        ..f.clone()
    };
    st.create_family(&g, 1000).await.unwrap();
    st.revoke_session_families("sid1", 60).await.unwrap();
    assert_eq!(
        st.rotate("f2", "c", "u0", "u1".into(), 1001, 60)
            .await
            .unwrap(),
        Rotation::Unknown
    );
    assert!(st.session_ended("sid1").await.unwrap());
    // Expired by the clock.
    let h = RefreshFamily {
        family_id: "f3".into(),
        current: "v0".into(),
        ..f
    };
    st.create_family(&h, 1000).await.unwrap();
    assert_eq!(
        st.rotate("f3", "c", "v0", "v1".into(), 5000, 60)
            .await
            .unwrap(),
        Rotation::Unknown
    );
}

async fn concurrent_rotation_rotates_once(st: &EphemeralState) {
    let f = RefreshFamily {
        family_id: "race".into(),
        client_id: "c".into(),
        grant: Grant {
            sid: "sid-race".into(),
            ..grant()
        },
        current: "r0".into(),
        generation: 0,
        expires_at: 5000,
    };
    st.create_family(&f, 1000).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let st = st.clone();
            tokio::spawn(async move {
                st.rotate("race", "c", "r0", format!("r1-{i}"), 1001, 60)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut rotated = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Rotation::Rotated(_)) {
            rotated += 1;
        }
    }
    // Compare-and-swap: the first to swap wins; every other presentation is
    // reuse, finds the token no longer current, or the family already ended.
    assert_eq!(rotated, 1, "a token is redeemed exactly once");
}
