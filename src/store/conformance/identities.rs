//! The directory's identity links, first-login registrations and
//! professional profiles, on every engine.

use super::{audit, new_account, org};
use crate::domain::{Network, Role};
use crate::store::{Directory, IdentityLink, Membership, Profile, Registration, StoreError};

fn registration(id: &str, source: &str, subject: &str, orgs: &[&str]) -> Registration {
    let mut account = new_account(id, &format!("ext-{id}"));
    account.password_hash = None;
    Registration {
        account,
        link: IdentityLink {
            source: source.into(),
            subject: subject.into(),
            account_id: id.into(),
            created_at: 1_700_000_000,
            last_used_at: None,
        },
        profile: Profile {
            account_id: id.into(),
            profession_group: "nurse".into(),
            wellbeing_area: Some("keski-suomi".into()),
            home_municipality: None,
            cooperating_organisations: orgs.iter().map(|o| o.to_string()).collect(),
            updated_at: 1_700_000_000,
        },
        memberships: vec![],
    }
}

pub(super) async fn identities(d: &dyn Directory) {
    d.insert_organisation(&org("hus", "1.2.246.10.1"), &audit("org", "hus"))
        .await
        .unwrap();
    d.insert_organisation(&org("oys", "1.2.246.10.2"), &audit("org", "oys"))
        .await
        .unwrap();
    let r = registration("r1", "suomifi", "hash-1", &["hus"]);
    let a = d.register(&r, &audit("register", "r1")).await.unwrap();
    assert_eq!(a.id, "r1");
    let found = d
        .account_by_identity("suomifi", "hash-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, "r1");
    assert!(
        d.account_by_identity("hus", "hash-1")
            .await
            .unwrap()
            .is_none(),
        "a subject belongs to its source only"
    );
    // A login through the link: its last use, the account's login time
    // and the audit event, together.
    let mut login = audit("login.suomifi.success", "r1");
    login.at = 1_700_000_100;
    d.record_identity_login("suomifi", "hash-1", "r1", &login)
        .await
        .unwrap();
    let links = d.identity_links("r1").await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].last_used_at, Some(1_700_000_100));
    let account = d.account("r1").await.unwrap().unwrap();
    assert_eq!(
        (account.last_login_at, account.failed_logins),
        (Some(1_700_000_100), 0)
    );
    let logged = d.audit_events(Some("r1"), 10).await.unwrap();
    assert!(logged.iter().any(|e| e.action == "login.suomifi.success"));
    // Not through a link of another source, nor for another account:
    // refused, and nothing written.
    for (source, account_id) in [("hus", "r1"), ("suomifi", "nobody")] {
        let mut other = audit("login.other.success", account_id);
        other.at = 1_700_000_500;
        assert!(matches!(
            d.record_identity_login(source, "hash-1", account_id, &other)
                .await,
            Err(StoreError::NotFound(_))
        ));
    }
    assert_eq!(
        d.identity_links("r1").await.unwrap()[0].last_used_at,
        Some(1_700_000_100)
    );
    let logged = d.audit_events(Some("r1"), 10).await.unwrap();
    assert!(!logged.iter().any(|e| e.action == "login.other.success"));
    assert_eq!(d.profile("r1").await.unwrap().unwrap(), r.profile);
    assert!(d.profile("nobody").await.unwrap().is_none());

    // The same subject again: a conflict, and nothing of the second account.
    let again = registration("r2", "suomifi", "hash-1", &["hus"]);
    assert!(matches!(
        d.register(&again, &audit("register", "r2")).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(d.account("r2").await.unwrap().is_none());
    assert!(d.profile("r2").await.unwrap().is_none());
    // An organisation not in the register: nothing written either.
    let unknown = registration("r3", "suomifi", "hash-3", &["nowhere"]);
    assert!(matches!(
        d.register(&unknown, &audit("register", "r3")).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(d.account("r3").await.unwrap().is_none());
    assert!(
        d.account_by_identity("suomifi", "hash-3")
            .await
            .unwrap()
            .is_none()
    );
    let events = d.audit_events(Some("r3"), 10).await.unwrap();
    assert!(events.is_empty(), "no audit for what was not written");

    // A second way in to the same account.
    let card = IdentityLink {
        source: "card".into(),
        subject: "99912345A".into(),
        account_id: "r1".into(),
        created_at: 1_700_000_200,
        last_used_at: None,
    };
    d.link_identity(&card, &audit("link", "r1")).await.unwrap();
    assert_eq!(d.identity_links("r1").await.unwrap().len(), 2);
    assert!(matches!(
        d.link_identity(&card, &audit("link", "r1")).await,
        Err(StoreError::Conflict(_))
    ));
    d.unlink_identity("card", "99912345A", &audit("unlink", "r1"))
        .await
        .unwrap();
    assert!(
        d.account_by_identity("card", "99912345A")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        d.unlink_identity("card", "99912345A", &audit("unlink", "r1"))
            .await,
        Err(StoreError::NotFound(_))
    ));

    // Editing the profile replaces the organisations and the contact data.
    let mut p = r.profile.clone();
    p.cooperating_organisations = vec!["oys".into()];
    p.wellbeing_area = None;
    p.home_municipality = Some("Oulu".into());
    d.save_profile(
        &p,
        Some("new@example.fi"),
        Some("+358401234567"),
        &audit("profile", "r1"),
    )
    .await
    .unwrap();
    assert_eq!(d.profile("r1").await.unwrap().unwrap(), p);
    // With the memberships: a profile and no membership, then both.
    assert_eq!(
        d.memberships_organisations_and_profile("r1").await.unwrap(),
        (vec![], vec![], Some(p.clone()))
    );
    let m = Membership {
        account_id: "r1".into(),
        org_id: "oys".into(),
        network: Network::Intermetso,
        role: Role::Member,
    };
    d.add_membership(&m, &audit("membership", "r1"))
        .await
        .unwrap();
    assert_eq!(
        d.memberships_organisations_and_profile("r1").await.unwrap(),
        (
            vec![m],
            vec![d.organisation("oys").await.unwrap().unwrap()],
            Some(p.clone())
        )
    );
    let a = d.account("r1").await.unwrap().unwrap();
    assert_eq!(a.email.as_deref(), Some("new@example.fi"));
    assert_eq!(a.phone.as_deref(), Some("+358401234567"));
    assert!(matches!(
        d.save_profile(
            &Profile {
                account_id: "nobody".into(),
                ..p
            },
            None,
            None,
            &audit("profile", "nobody")
        )
        .await,
        Err(StoreError::NotFound(_))
    ));
}
