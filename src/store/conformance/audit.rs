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
