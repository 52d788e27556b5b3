//! The event outbox on every engine: events written with their audit
//! records, cursors that start at the end for a new subscriber and move
//! once, deliveries claimed by one node, attempts recorded, failures
//! retried.

use super::{audit, member, new_account, org};
use crate::domain::{AccountStatus, Network, Role};
use crate::store::events::{Attempt, DeliveryState};
use crate::store::{AuditEvent, Directory, StoreError};

pub(super) async fn events(d: &dyn Directory) {
    assert_eq!(d.outbox_end().await.unwrap(), 0);
    d.insert_organisation(&org("o1", "1.2.246.10.7019376.10.0"), &audit("x", ""))
        .await
        .unwrap();
    d.create_account(
        &new_account("a1", "anna"),
        &[member("a1", "o1", Network::Intermetso, Role::Member)],
        &AuditEvent::new(1_700_000_000, "desk", "admin.account.created").subject("a1"),
    )
    .await
    .unwrap();
    // A login is not published; a lock is, with the failure's record.
    d.append_audit(&audit("login.password.success", "a1"))
        .await
        .unwrap();
    for _ in 0..2 {
        d.record_login_failure("a1", 2, &audit("login.password.failure", "a1"))
            .await
            .unwrap();
    }
    d.set_status(
        "a1",
        AccountStatus::Disabled,
        None,
        &AuditEvent::new(1_700_000_100, "desk", "admin.account.disabled").subject("a1"),
    )
    .await
    .unwrap();
    let all = d.outbox_after(0, 100).await.unwrap();
    let kinds: Vec<&str> = all.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["account.created", "account.locked", "account.disabled"]
    );
    assert_eq!(all[0].subject.as_deref(), Some("a1"));
    assert_eq!(d.outbox_end().await.unwrap(), all[2].id);
    assert_eq!(
        d.outbox_after(all[0].id, 1).await.unwrap(),
        vec![all[1].clone()]
    );

    // A new subscriber's cursor, set once.
    assert_eq!(d.event_cursor("s1").await.unwrap(), None);
    assert!(
        d.enqueue_deliveries("s1", None, all[0].id, &[], 10)
            .await
            .unwrap()
    );
    assert!(!d.enqueue_deliveries("s1", None, 0, &[], 10).await.unwrap());
    assert_eq!(d.event_cursor("s1").await.unwrap(), Some(all[0].id));
    // Moved from where it is, or not at all.
    let ids = [all[1].id, all[2].id];
    assert!(
        !d.enqueue_deliveries("s1", Some(0), all[2].id, &ids, 10)
            .await
            .unwrap()
    );
    assert!(d.due_deliveries("s1", 10, 10).await.unwrap().is_empty());
    assert!(
        d.enqueue_deliveries("s1", Some(all[0].id), all[2].id, &ids, 10)
            .await
            .unwrap()
    );
    let due = d.due_deliveries("s1", 10, 10).await.unwrap();
    assert_eq!(due.len(), 2);
    assert_eq!(due[0].event, all[1]);
    assert_eq!((due[0].state, due[0].attempts), (DeliveryState::Pending, 0));
    assert!(d.due_deliveries("s1", 9, 10).await.unwrap().is_empty());
    assert!(d.due_deliveries("s2", 10, 10).await.unwrap().is_empty());

    // Claimed by one node at a time.
    assert!(d.claim_delivery("s1", all[1].id, 10, 70).await.unwrap());
    assert!(!d.claim_delivery("s1", all[1].id, 10, 70).await.unwrap());
    assert_eq!(d.due_deliveries("s1", 10, 10).await.unwrap().len(), 1);
    d.record_attempt(
        "s1",
        all[1].id,
        &Attempt::Retry {
            next_at: 40,
            status: Some(503),
            error: "the subscriber answered 503".into(),
        },
    )
    .await
    .unwrap();
    let again = d.due_deliveries("s1", 40, 10).await.unwrap();
    assert_eq!(again[0].attempts, 1);
    assert_eq!(again[0].last_status, Some(503));
    d.record_attempt(
        "s1",
        all[1].id,
        &Attempt::Delivered {
            at: 41,
            status: 204,
        },
    )
    .await
    .unwrap();
    d.record_attempt(
        "s1",
        all[2].id,
        &Attempt::Failed {
            status: None,
            error: "could not connect".into(),
        },
    )
    .await
    .unwrap();
    let failed = d.deliveries(Some(DeliveryState::Failed), 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].last_error.as_deref(), Some("could not connect"));
    let delivered = d
        .deliveries(Some(DeliveryState::Delivered), 10)
        .await
        .unwrap();
    assert_eq!(delivered[0].delivered_at, Some(41));
    assert_eq!(d.deliveries(None, 10).await.unwrap().len(), 2);

    // A failed one back to pending, with its audit record; nothing else.
    let retried = AuditEvent::new(100, "desk", "admin.event_delivery.retried");
    d.retry_delivery("s1", all[2].id, &retried).await.unwrap();
    let due = d.due_deliveries("s1", 100, 10).await.unwrap();
    assert_eq!((due.len(), due[0].attempts), (1, 0));
    assert!(matches!(
        d.retry_delivery("s1", all[1].id, &retried).await,
        Err(StoreError::NotFound(_))
    ));

    // Retention: the delivered delivery goes; its event and the one no
    // delivery needs go with it; the event still pending stays, and so
    // does the newer one the subscriber has not reached.
    let published = d.outbox_after(0, 100).await.unwrap();
    assert_eq!(published.len(), 4, "the retry is published too");
    let reached = d.event_cursor("s1").await.unwrap();
    assert_eq!(reached, Some(all[2].id));
    // Nothing old enough yet: nothing goes.
    assert_eq!(d.purge_events(41, reached).await.unwrap(), 0);
    assert_eq!(d.deliveries(None, 10).await.unwrap().len(), 2);
    let later = 2_000_000_000;
    assert_eq!(d.purge_events(later, reached).await.unwrap(), 2);
    assert_eq!(
        d.outbox_after(0, 100).await.unwrap(),
        vec![all[2].clone(), published[3].clone()]
    );
    let left = d.deliveries(None, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].event.id, left[0].state),
        (all[2].id, DeliveryState::Pending)
    );
    // Delivered at last, and reached: then it goes too, and with no
    // subscriber configured the newest one.
    assert!(d.claim_delivery("s1", all[2].id, 100, 170).await.unwrap());
    d.record_attempt(
        "s1",
        all[2].id,
        &Attempt::Delivered {
            at: 101,
            status: 200,
        },
    )
    .await
    .unwrap();
    assert_eq!(d.purge_events(later, reached).await.unwrap(), 1);
    assert_eq!(d.purge_events(later, None).await.unwrap(), 1);
    assert!(d.outbox_after(0, 100).await.unwrap().is_empty());
    assert!(d.deliveries(None, 10).await.unwrap().is_empty());
    // New events go on from where they were (ids are not reused).
    d.append_audit(&AuditEvent::new(200, "desk", "admin.account.edited").subject("a1"))
        .await
        .unwrap();
    assert!(d.outbox_end().await.unwrap() > published[3].id);
}
