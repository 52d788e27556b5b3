//! The service desk's and liaison persons' administration: register
//! search, account search and paging, contact data, memberships and
//! networks, operators, audit queries.

use super::{audit, member, new_account, org};
use crate::domain::{Network, Role};
use crate::store::{
    Account, AccountQuery, AccountUpdate, AuditEvent, AuditQuery, Directory, LiaisonContact,
    Organisation, StoreError,
};

pub(super) async fn administration(d: &dyn Directory) {
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
    // Case and diacritics do not matter on any engine (SQLite's LOWER
    // folds only ASCII); a basic form finds the inflected one; every word
    // must be found.
    for q in [
        "jyvaskyla",
        "JYVÄSKYLÄN",
        "Jyväskylä terveyskeskus",
        "terveys jyvaskyla",
    ] {
        assert_eq!(
            ids(d.search_organisations(q, 10).await.unwrap()),
            vec!["o1"],
            "{q}"
        );
    }
    assert!(
        d.search_organisations("jyvaskyla kuopio", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ids(d
            .search_organisations("KUOPIO 100%_palvelu", 10)
            .await
            .unwrap()),
        vec!["o2"]
    );
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
    let usernames =
        |v: (Vec<Account>, u64)| (v.0.into_iter().map(|a| a.username).collect::<Vec<_>>(), v.1);
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
