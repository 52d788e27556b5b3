//! Passkeys on every engine: several per account, unique credential ids,
//! removal only by their account, and a counter that only counts up.

use super::{audit, new_account};
use crate::domain::LoA;
use crate::store::{AuditEvent, Directory, Passkey, StoreError};

fn passkey(id: &str, account: &str, created_at: i64) -> Passkey {
    Passkey {
        credential_id: id.into(),
        account_id: account.into(),
        name: format!("key {id}"),
        public_key: vec![0xa5, 1, 2, 0, 255],
        alg: -7,
        sign_count: 3,
        backup_eligible: true,
        backed_up: false,
        user_verified: true,
        registered_loa: LoA::Substantial,
        aaguid: "00000000000000000000000000000000".into(),
        created_at,
        last_used_at: None,
    }
}

pub(super) async fn passkeys(d: &dyn Directory) {
    for (id, name) in [("a1", "anna"), ("a2", "sami")] {
        d.create_account(&new_account(id, name), &[], &audit("create", id))
            .await
            .unwrap();
    }
    assert!(d.passkeys("a1").await.unwrap().is_empty());
    let k1 = passkey("cred-1", "a1", 100);
    let k2 = passkey("cred-2", "a1", 200);
    d.add_passkey(&k2, &audit("passkey.added", "a1"))
        .await
        .unwrap();
    d.add_passkey(&k1, &audit("passkey.added", "a1"))
        .await
        .unwrap();
    assert_eq!(
        d.passkeys("a1").await.unwrap(),
        vec![k1.clone(), k2.clone()]
    );
    assert_eq!(d.passkey("cred-2").await.unwrap(), Some(k2.clone()));
    assert_eq!(d.passkey("nope").await.unwrap(), None);
    // With its account, in one read.
    let anna = d.account("a1").await.unwrap().unwrap();
    assert_eq!(
        d.passkey_and_account("cred-2").await.unwrap(),
        Some((k2.clone(), anna.clone()))
    );
    assert_eq!(d.passkey_and_account("nope").await.unwrap(), None);
    // One credential belongs to one account.
    assert!(matches!(
        d.add_passkey(&passkey("cred-1", "a2", 300), &audit("passkey.added", "a2"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        d.add_passkey(&passkey("cred-9", "ghost", 1), &audit("x", "ghost"))
            .await
            .is_err()
    );
    // Another account cannot remove it.
    assert!(matches!(
        d.remove_passkey("a2", "cred-1", &audit("passkey.removed", "a2"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(d.passkeys("a1").await.unwrap().len(), 2);

    // The counter counts up; staying or going back is refused and writes
    // nothing.
    let use_at = |at: i64| AuditEvent::new(at, "a1", "login.passkey.success").subject("a1");
    d.record_login_failure("a1", 10, &audit("login.password.failure", "a1"))
        .await
        .unwrap();
    assert_eq!(d.account("a1").await.unwrap().unwrap().failed_logins, 1);
    let before = d.audit_events(Some("a1"), 100).await.unwrap().len();
    let used = use_at(1_700_000_100)
        .ip(Some("192.0.2.7".into()))
        .detail(serde_json::json!({"passkey": "key cred-1"}));
    assert!(
        d.record_passkey_use("cred-1", 4, true, &used)
            .await
            .unwrap()
    );
    let k = d.passkey("cred-1").await.unwrap().unwrap();
    assert_eq!(
        (k.sign_count, k.backed_up, k.last_used_at),
        (4, true, Some(1_700_000_100))
    );
    let anna = d.account("a1").await.unwrap().unwrap();
    assert_eq!(
        (anna.last_login_at, anna.failed_logins),
        (Some(1_700_000_100), 0)
    );
    // Its audit event, once, as given.
    let trail = d.audit_events(Some("a1"), 100).await.unwrap();
    assert_eq!(trail.len(), before + 1);
    let written = trail
        .iter()
        .find(|e| e.action == "login.passkey.success")
        .unwrap();
    assert_eq!(
        (
            written.at,
            written.actor.as_str(),
            written.subject.as_deref(),
            written.source_ip.as_deref(),
            written.detail.as_deref(),
        ),
        (
            1_700_000_100,
            "a1",
            Some("a1"),
            Some("192.0.2.7"),
            used.detail.as_deref()
        )
    );
    // Sami's account is untouched.
    assert_eq!(d.account("a2").await.unwrap().unwrap().last_login_at, None);
    let before = d.audit_events(Some("a1"), 100).await.unwrap().len();
    assert!(
        !d.record_passkey_use("cred-1", 4, false, &use_at(1_700_000_200))
            .await
            .unwrap()
    );
    assert!(
        !d.record_passkey_use("cred-1", 2, false, &use_at(1_700_000_200))
            .await
            .unwrap()
    );
    assert!(
        !d.record_passkey_use("cred-1", 0, false, &use_at(1_700_000_200))
            .await
            .unwrap()
    );
    let k = d.passkey("cred-1").await.unwrap().unwrap();
    assert_eq!(
        (k.sign_count, k.backed_up, k.last_used_at),
        (4, true, Some(1_700_000_100))
    );
    assert_eq!(d.audit_events(Some("a1"), 100).await.unwrap().len(), before);
    assert!(
        !d.record_passkey_use("nope", 9, false, &use_at(1))
            .await
            .unwrap()
    );

    // An authenticator that does not count: zero stays zero.
    let mut z = passkey("cred-z", "a2", 400);
    z.sign_count = 0;
    d.add_passkey(&z, &audit("passkey.added", "a2"))
        .await
        .unwrap();
    assert!(
        d.record_passkey_use("cred-z", 0, false, &use_at(5))
            .await
            .unwrap()
    );
    assert!(
        d.record_passkey_use("cred-z", 0, false, &use_at(6))
            .await
            .unwrap()
    );

    d.remove_passkey("a1", "cred-1", &audit("passkey.removed", "a1"))
        .await
        .unwrap();
    assert_eq!(d.passkeys("a1").await.unwrap(), vec![k2]);
    assert!(
        d.audit_events(Some("a1"), 100)
            .await
            .unwrap()
            .iter()
            .any(|e| e.action == "passkey.removed")
    );
}
