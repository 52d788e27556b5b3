//! The audit trail, written with the change it records.

use super::{audit, new_account};
use crate::store::Directory;

pub(super) async fn audit_is_written_with_the_change(d: &dyn Directory) {
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

/// Filters of the audit pages: by person (who acted or on whom), by event
/// or a family of events (a prefix ending in a dot), by time.
pub(super) async fn audit_filters(d: &dyn Directory) {
    use crate::store::{AuditEvent, AuditQuery};
    let events = [
        AuditEvent::new(10, "l1", "admin.account.disabled").subject("a1"),
        AuditEvent::new(20, "a1", "login.password.success").subject("a1"),
        AuditEvent::new(30, "a2", "login.password.failure_not_active").subject("a2"),
        AuditEvent::new(40, "a2", "login.password.failure").subject("a2"),
        AuditEvent::new(50, "a1", "login_x.other").subject("a1"),
    ];
    for e in &events {
        d.append_audit(e).await.unwrap();
    }
    let ats = |q: AuditQuery<'static>| async move {
        d.query_audit(&AuditQuery { limit: 100, ..q })
            .await
            .unwrap()
            .iter()
            .map(|e| e.at)
            .collect::<Vec<_>>()
    };
    // By person: what they did and what was done to them.
    assert_eq!(
        ats(AuditQuery {
            person: "a1",
            ..Default::default()
        })
        .await,
        [50, 20, 10]
    );
    assert_eq!(
        ats(AuditQuery {
            person: "l1",
            ..Default::default()
        })
        .await,
        [10]
    );
    // An event exactly: not a longer code that starts with it.
    assert_eq!(
        ats(AuditQuery {
            action: "login.password.failure",
            ..Default::default()
        })
        .await,
        [40]
    );
    // A family: a prefix ending in a dot, and only that (`login_x.` is not `login.`).
    assert_eq!(
        ats(AuditQuery {
            action: "login.",
            ..Default::default()
        })
        .await,
        [40, 30, 20]
    );
    // Prefixes without the dot match nothing but themselves.
    assert!(
        ats(AuditQuery {
            action: "login",
            ..Default::default()
        })
        .await
        .is_empty()
    );
    // All together, with time.
    assert_eq!(
        ats(AuditQuery {
            person: "a2",
            action: "login.",
            since: Some(35),
            until: Some(41),
            ..Default::default()
        })
        .await,
        [40]
    );
}
