//! Accounts, their memberships and credentials: all or nothing on
//! creation, unique usernames, failure counting and locking, status and
//! password changes.

use std::sync::Arc;

use super::{audit, member, new_account, org};
use crate::domain::{AccountStatus, Network, Role};
use crate::store::{AuditEvent, Directory, StoreError};

pub(super) async fn account_with_memberships_is_all_or_nothing(d: &dyn Directory) {
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
    let (ms2, orgs, profile) = d.memberships_organisations_and_profile("a1").await.unwrap();
    assert_eq!(profile, None);
    assert_eq!(ms2, d.memberships("a1").await.unwrap());
    let mut ids: Vec<&str> = ms2.iter().map(|m| m.org_id.as_str()).collect();
    ids.dedup();
    assert_eq!(orgs.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ids);
    assert_eq!(orgs[0], d.organisation(&orgs[0].id).await.unwrap().unwrap());
    assert_eq!(
        d.memberships_organisations_and_profile("nobody")
            .await
            .unwrap(),
        (vec![], vec![], None)
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

pub(super) async fn usernames_are_unique_case_insensitively(d: &dyn Directory) {
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

pub(super) async fn failures_lock_at_the_limit(d: &dyn Directory) {
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

pub(super) async fn status_changes_and_passwords(d: &dyn Directory) {
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

pub(super) async fn concurrent_failures_all_count(d: Arc<dyn Directory>) {
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
