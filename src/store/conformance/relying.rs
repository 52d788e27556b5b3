//! Conformance of what relying portals depend on: revoked access tokens,
//! sessions by `sid`, the expiry index of sessions to announce, and the
//! once-only claim of a session's end (so several nodes tell a portal once).

use std::sync::Arc;

use crate::domain::{AuthMethod, LoA};
use crate::store::EphemeralState;
use crate::store::ephemeral::Session;

pub(super) async fn relying(st: &EphemeralState) {
    assert!(!st.access_token_revoked("fam.jti1").await.unwrap());
    st.revoke_access_token("fam.jti1", 60).await.unwrap();
    assert!(st.access_token_revoked("fam.jti1").await.unwrap());
    assert!(!st.access_token_revoked("fam.jti2").await.unwrap());

    let s = Session {
        sid: "rel-sid-1".into(),
        account_id: "acct-r".into(),
        auth_time: 1000,
        expires_at: 5000,
        loa: LoA::Substantial,
        methods: vec![AuthMethod::SuomiFi],
        source: "password".into(),
        card_type: None,
        source_org_kind: None,
        source_org: None,
        upstream: None,
        attributes: Default::default(),
        one_time_password: Default::default(),
    };
    st.put_session("rel-key-1", &s, 1000).await.unwrap();
    assert_eq!(
        st.session_by_sid("rel-sid-1", 1500).await.unwrap(),
        Some(s.clone())
    );
    assert_eq!(
        st.session_by_sid("rel-sid-1", 5000).await.unwrap(),
        None,
        "expired"
    );
    st.delete_session_by_sid("rel-sid-1").await.unwrap();
    assert_eq!(st.session_by_sid("rel-sid-1", 1500).await.unwrap(), None);

    // Two sessions expiring in the same minute, one in the next.
    st.index_session_expiry("sa", "acct-a", 6_000_000, 1000)
        .await
        .unwrap();
    st.index_session_expiry("sb", "acct-b", 6_000_059, 1000)
        .await
        .unwrap();
    st.index_session_expiry("sc", "acct-c", 6_000_060, 1000)
        .await
        .unwrap();
    let mut got = st.sessions_expiring_in(100_000).await.unwrap();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("sa".to_string(), "acct-a".to_string()),
            ("sb".into(), "acct-b".into())
        ]
    );
    assert_eq!(
        st.sessions_expiring_in(100_001).await.unwrap(),
        vec![("sc".to_string(), "acct-c".to_string())]
    );
    assert!(st.sessions_expiring_in(99_999).await.unwrap().is_empty());
}

/// Of many nodes noticing one session's end at once, exactly one claims it.
pub(super) async fn session_end_is_claimed_once(st: &EphemeralState) {
    let st = Arc::new(st.clone());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let st = st.clone();
        tasks.push(tokio::spawn(async move {
            st.claim_session_end("rel-sid-race", 60).await.unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        if t.await.unwrap() {
            won += 1;
        }
    }
    assert_eq!(won, 1);
    assert!(!st.claim_session_end("rel-sid-race", 60).await.unwrap());
}
