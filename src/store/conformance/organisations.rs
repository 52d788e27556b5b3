//! The register of organisations and the liaison contacts they publish.

use super::{audit, member, new_account, org};
use crate::domain::{AccountStatus, Network, Role};
use crate::store::{Directory, LiaisonContact, StoreError};

pub(super) async fn organisations_round_trip(d: &dyn Directory) {
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

pub(super) async fn liaison_contacts_are_per_org(d: &dyn Directory) {
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
