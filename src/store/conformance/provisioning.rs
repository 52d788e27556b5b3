//! Provisioning on every engine: clients by token digest and their
//! revocation, managed accounts (unique external ids within an
//! organisation), changes of their networks, and the filtered search
//! within a liaison person's reach.

use super::{audit, member, new_account, org};
use crate::domain::{AccountStatus, Network, Role};
use crate::store::{
    AccountFilter, Directory, FilterAttr, FilterOp, ManagedChange, ManagedFields, ManagedQuery,
    ProvisioningClient, StoreError,
};

fn client(id: &str, org_id: &str, at: i64) -> ProvisioningClient {
    ProvisioningClient {
        id: id.into(),
        org_id: org_id.into(),
        name: format!("Entra {id}"),
        networks: vec![Network::Intermetso],
        created_at: at,
        created_by: "desk".into(),
        revoked_at: None,
    }
}

fn cmp(attr: FilterAttr, op: FilterOp, value: &str) -> AccountFilter {
    AccountFilter::Compare {
        attr,
        op,
        value: value.into(),
    }
}

async fn usernames(d: &dyn Directory, org_id: &str, f: Option<&AccountFilter>) -> Vec<String> {
    let (items, total) = d
        .find_managed(&ManagedQuery {
            org_id,
            networks: &[Network::Intermetso],
            filter: f,
            offset: 0,
            limit: 100,
        })
        .await
        .unwrap();
    assert_eq!(total as usize, items.len());
    let mut names: Vec<String> = items.into_iter().map(|a| a.username).collect();
    names.sort();
    names
}

pub(super) async fn provisioning(d: &dyn Directory) {
    for (id, oid) in [
        ("o1", "1.2.246.10.7019376.10.0"),
        ("o2", "1.2.246.10.7019376.10.1"),
    ] {
        d.insert_organisation(&org(id, oid), &audit("org", ""))
            .await
            .unwrap();
    }
    // Clients: found by digest, listed newest first, revoked once.
    d.insert_provisioning_client(&client("c1", "o1", 100), "d1", &audit("c", ""))
        .await
        .unwrap();
    d.insert_provisioning_client(&client("c2", "o1", 200), "d2", &audit("c", ""))
        .await
        .unwrap();
    assert!(matches!(
        d.insert_provisioning_client(&client("c3", "o2", 300), "d1", &audit("c", ""))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let found = d.provisioning_client_by_token("d1").await.unwrap().unwrap();
    assert_eq!(found, client("c1", "o1", 100));
    assert!(
        d.provisioning_client_by_token("nope")
            .await
            .unwrap()
            .is_none()
    );
    let listed: Vec<String> = d
        .provisioning_clients("o1")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(listed, ["c2", "c1"]);
    assert!(matches!(
        d.revoke_provisioning_client("o2", "c1", &audit("revoke", ""))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let revoked = audit("revoke", "");
    d.revoke_provisioning_client("o1", "c1", &revoked)
        .await
        .unwrap();
    assert!(matches!(
        d.revoke_provisioning_client("o1", "c1", &revoked).await,
        Err(StoreError::NotFound(_))
    ));
    let c1 = d.provisioning_client_by_token("d1").await.unwrap().unwrap();
    assert_eq!(c1.revoked_at, Some(revoked.at));

    // Managed accounts: unique external ids within an organisation.
    let mine = |id: &str| vec![member(id, "o1", Network::Intermetso, Role::Member)];
    let a = d
        .create_managed_account(
            &new_account("m1", "Outi@x.fi"),
            "o1",
            Some("ext-1"),
            &mine("m1"),
            &audit("scim.account.created", "m1"),
        )
        .await
        .unwrap();
    assert_eq!(
        (a.managed_by.as_deref(), a.external_id.as_deref()),
        (Some("o1"), Some("ext-1"))
    );
    for (id, username, ext) in [("m2", "other@x.fi", "ext-1"), ("m3", "outi@X.fi", "ext-9")] {
        assert!(matches!(
            d.create_managed_account(
                &new_account(id, username),
                "o1",
                Some(ext),
                &mine(id),
                &audit("scim.account.created", id),
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        // All or nothing.
        assert!(d.account(id).await.unwrap().is_none());
    }
    // The same external id in another organisation is another person.
    d.create_managed_account(
        &new_account("n1", "n1@y.fi"),
        "o2",
        Some("ext-1"),
        &[member("n1", "o2", Network::Intermetso, Role::Member)],
        &audit("scim.account.created", "n1"),
    )
    .await
    .unwrap();
    // By hand, in o1; and a liaison person of o2 who is also a member of
    // o1 (beyond o1's reach).
    d.create_account(
        &new_account("h1", "pekka.kasin"),
        &mine("h1"),
        &audit("create", "h1"),
    )
    .await
    .unwrap();
    d.create_account(
        &new_account("l2", "liaison.o2"),
        &[
            member("l2", "o1", Network::Intermetso, Role::Member),
            member("l2", "o2", Network::Intermetso, Role::Liaison),
        ],
        &audit("create", "l2"),
    )
    .await
    .unwrap();

    assert_eq!(usernames(d, "o1", None).await, ["Outi@x.fi", "pekka.kasin"]);
    let f = cmp(FilterAttr::UserName, FilterOp::Eq, "OUTI@X.FI");
    assert_eq!(usernames(d, "o1", Some(&f)).await, ["Outi@x.fi"]);
    let f = cmp(FilterAttr::ExternalId, FilterOp::Eq, "ext-1");
    assert_eq!(usernames(d, "o1", Some(&f)).await, ["Outi@x.fi"]);
    let f = cmp(FilterAttr::ExternalId, FilterOp::Eq, "EXT-1");
    assert!(usernames(d, "o1", Some(&f)).await.is_empty());
    let f = AccountFilter::Or(
        Box::new(cmp(FilterAttr::UserName, FilterOp::Sw, "pek")),
        Box::new(AccountFilter::And(
            Box::new(cmp(FilterAttr::Email, FilterOp::Co, "EXAMPLE")),
            Box::new(AccountFilter::Present(FilterAttr::ExternalId)),
        )),
    );
    assert_eq!(
        usernames(d, "o1", Some(&f)).await,
        ["Outi@x.fi", "pekka.kasin"]
    );
    let f = AccountFilter::Not(Box::new(AccountFilter::Present(FilterAttr::ExternalId)));
    assert_eq!(usernames(d, "o1", Some(&f)).await, ["pekka.kasin"]);
    // Prefixes: a range the index answers, and the LIKE that decides.
    let f = cmp(FilterAttr::ExternalId, FilterOp::Sw, "ext-");
    assert_eq!(usernames(d, "o1", Some(&f)).await, ["Outi@x.fi"]);
    let f = cmp(FilterAttr::ExternalId, FilterOp::Sw, "EXT-");
    assert!(usernames(d, "o1", Some(&f)).await.is_empty());
    let f = cmp(FilterAttr::Email, FilterOp::Sw, "ANNA@EXAMPLE.F");
    assert_eq!(
        usernames(d, "o1", Some(&f)).await,
        ["Outi@x.fi", "pekka.kasin"]
    );
    let f = cmp(FilterAttr::UserName, FilterOp::Sw, "outi@x.fi");
    assert_eq!(usernames(d, "o1", Some(&f)).await, ["Outi@x.fi"]);
    let f = cmp(FilterAttr::UserName, FilterOp::Sw, "outi@x.fi\u{10ffff}");
    assert!(usernames(d, "o1", Some(&f)).await.is_empty());
    let f = cmp(FilterAttr::UserName, FilterOp::Sw, "p_");
    assert!(usernames(d, "o1", Some(&f)).await.is_empty());
    // Wildcards in a value are only characters.
    let f = cmp(FilterAttr::UserName, FilterOp::Co, "%");
    assert!(usernames(d, "o1", Some(&f)).await.is_empty());
    let f = cmp(FilterAttr::GivenName, FilterOp::Ew, "NNA");
    assert_eq!(
        usernames(d, "o1", Some(&f)).await,
        ["Outi@x.fi", "pekka.kasin"]
    );
    d.set_status("h1", AccountStatus::Disabled, None, &audit("x", "h1"))
        .await
        .unwrap();
    let f = cmp(FilterAttr::Active, FilterOp::Eq, "false");
    assert_eq!(usernames(d, "o1", Some(&f)).await, ["pekka.kasin"]);
    let f = cmp(FilterAttr::Active, FilterOp::Ne, "false");
    assert_eq!(usernames(d, "o1", Some(&f)).await, ["Outi@x.fi"]);
    // Paging: by creation, then id (all these were created at once).
    let (page, total) = d
        .find_managed(&ManagedQuery {
            org_id: "o1",
            networks: &[Network::Intermetso],
            filter: None,
            offset: 1,
            limit: 1,
        })
        .await
        .unwrap();
    assert_eq!((page.len(), total), (1, 2));
    assert_eq!(page[0].username, "Outi@x.fi");

    // A change: fields, and member roles in scope set exactly.
    let fields = ManagedFields {
        username: "outi.o@x.fi".into(),
        given_name: "Outi".into(),
        family_name: "Osastonhoitaja".into(),
        email: None,
        phone: Some("040 1".into()),
        title: None,
        external_id: Some("ext-2".into()),
    };
    let changed = d
        .update_managed_account(
            &ManagedChange {
                account_id: "h1",
                org_id: "o1",
                fields: &fields,
                networks: &[Network::Sonette],
                scope: &[Network::Intermetso, Network::Sonette],
                at: 1_700_000_500,
            },
            &audit("scim.account.updated", "h1"),
        )
        .await
        .unwrap();
    assert_eq!(changed.username, "outi.o@x.fi");
    assert_eq!(changed.managed_by.as_deref(), Some("o1"));
    assert_eq!(changed.updated_at, Some(1_700_000_500));
    let nets: Vec<Network> = d
        .memberships("h1")
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.network)
        .collect();
    assert_eq!(nets, [Network::Sonette]);
    assert!(d.credentials("pekka.kasin").await.unwrap().is_none());
    // Conflicts write nothing.
    let taken = ManagedFields {
        username: "OUTI@x.fi".into(),
        ..fields.clone()
    };
    let before = d.account("h1").await.unwrap();
    assert!(matches!(
        d.update_managed_account(
            &ManagedChange {
                account_id: "h1",
                org_id: "o1",
                fields: &taken,
                networks: &[],
                scope: &[Network::Intermetso, Network::Sonette],
                at: 1_700_000_600,
            },
            &audit("scim.account.updated", "h1"),
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(d.account("h1").await.unwrap(), before);
    assert_eq!(d.memberships("h1").await.unwrap().len(), 1);
    assert!(matches!(
        d.update_managed_account(
            &ManagedChange {
                account_id: "nobody",
                org_id: "o1",
                fields: &fields,
                networks: &[],
                scope: &[],
                at: 1,
            },
            &audit("scim.account.updated", "nobody"),
        )
        .await,
        Err(StoreError::NotFound(_))
    ));
    let events = d.audit_events(Some("h1"), 10).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "scim.account.updated")
            .count(),
        1
    );
}
