//! The ephemeral store: its primitives, single use and atomicity under
//! concurrency, expiry; and the typed layer's sessions, codes and refresh
//! families on top of it.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::{AuthMethod, LoA};
use crate::store::ephemeral::{
    AuthRequest, CodeGrant, CodeLookup, Grant, Presented, RefreshFamily, Rotation, Session, Spent,
};
use crate::store::{Ephemeral, EphemeralState};

pub(super) async fn primitives(s: &dyn Ephemeral) {
    let ttl = Duration::from_secs(60);
    s.ping().await.unwrap();
    assert_eq!(s.get("p:a").await.unwrap(), None);
    s.put("p:a", b"1".to_vec(), ttl).await.unwrap();
    assert_eq!(s.get("p:a").await.unwrap(), Some(b"1".to_vec()));
    assert!(!s.put_if_absent("p:a", b"2".to_vec(), ttl).await.unwrap());
    assert!(s.put_if_absent("p:b", b"2".to_vec(), ttl).await.unwrap());
    assert_eq!(s.take("p:b").await.unwrap(), Some(b"2".to_vec()));
    assert_eq!(s.take("p:b").await.unwrap(), None);
    assert!(
        s.compare_and_swap("p:a", b"1", b"3".to_vec(), ttl)
            .await
            .unwrap()
    );
    assert!(
        !s.compare_and_swap("p:a", b"1", b"4".to_vec(), ttl)
            .await
            .unwrap()
    );
    assert!(
        !s.compare_and_swap("p:missing", b"", b"4".to_vec(), ttl)
            .await
            .unwrap()
    );
    assert_eq!(s.get("p:a").await.unwrap(), Some(b"3".to_vec()));
    s.delete("p:a").await.unwrap();
    assert_eq!(s.get("p:a").await.unwrap(), None);
    assert_eq!(s.incr("p:c", ttl).await.unwrap(), 1);
    assert_eq!(s.incr("p:c", ttl).await.unwrap(), 2);
    // One taken back; never below zero; a missing counter is not made.
    s.decr("p:c").await.unwrap();
    assert_eq!(s.incr("p:c", ttl).await.unwrap(), 2);
    for _ in 0..3 {
        s.decr("p:c").await.unwrap();
    }
    assert_eq!(s.incr("p:c", ttl).await.unwrap(), 1);
    s.decr("p:none").await.unwrap();
    assert_eq!(s.get("p:none").await.unwrap(), None);
    s.set_add("p:s", "x", ttl).await.unwrap();
    s.set_add("p:s", "y", ttl).await.unwrap();
    s.set_add("p:s", "x", ttl).await.unwrap();
    let mut m = s.set_members("p:s").await.unwrap();
    m.sort();
    assert_eq!(m, vec!["x", "y"]);
    assert!(s.set_members("p:none").await.unwrap().is_empty());
    // Binary values survive.
    let bin: Vec<u8> = (0..=255).collect();
    s.put("p:bin", bin.clone(), ttl).await.unwrap();
    assert_eq!(s.get("p:bin").await.unwrap(), Some(bin));
}

pub(super) async fn take_is_single_use_under_concurrency(s: Arc<dyn Ephemeral>) {
    s.put("t:code", b"v".to_vec(), Duration::from_secs(60))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.take("t:code").await.unwrap().is_some() })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
}

pub(super) async fn cas_is_atomic_under_concurrency(s: Arc<dyn Ephemeral>) {
    s.put("c:k", b"0".to_vec(), Duration::from_secs(60))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.compare_and_swap(
                    "c:k",
                    b"0",
                    format!("w{i}").into_bytes(),
                    Duration::from_secs(60),
                )
                .await
                .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
}

pub(super) async fn expiry(s: &dyn Ephemeral) {
    s.put("e:a", b"1".to_vec(), Duration::from_millis(1100))
        .await
        .unwrap();
    s.incr("e:c", Duration::from_millis(1100)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(s.get("e:a").await.unwrap(), None);
    // Taking one back from an expired counter does not revive it.
    s.decr("e:c").await.unwrap();
    assert_eq!(
        s.incr("e:c", Duration::from_secs(60)).await.unwrap(),
        1,
        "a new window starts"
    );
}

fn grant() -> Grant {
    Grant {
        account_id: "a1".into(),
        sid: "sid1".into(),
        scope: vec!["openid".into()],
        auth_time: 1000,
        loa: LoA::Low,
        methods: vec![AuthMethod::Password],
        source: "password".into(),
        source_org_kind: None,
        card_type: None,
        source_org: None,
        attributes: Default::default(),
    }
}

pub(super) async fn sessions(st: &EphemeralState) {
    let s = Session {
        sid: "sid1".into(),
        account_id: "a1".into(),
        auth_time: 1000,
        expires_at: 2000,
        loa: LoA::Low,
        methods: vec![AuthMethod::Password],
        source: "password".into(),
        source_org_kind: None,
        card_type: None,
        source_org: None,
        upstream: None,
        attributes: Default::default(),
        one_time_password: Default::default(),
    };
    st.put_session("k1", &s, 1000).await.unwrap();
    assert_eq!(st.session("k1", 1500).await.unwrap(), Some(s.clone()));
    assert_eq!(
        st.session("k1", 2000).await.unwrap(),
        None,
        "expired by the clock"
    );
    st.delete_session("k1").await.unwrap();
    assert_eq!(st.session("k1", 1500).await.unwrap(), None);
    let r = AuthRequest {
        client_id: "c".into(),
        redirect_uri: "https://p/cb".into(),
        scope: vec!["openid".into()],
        state: Some("s".into()),
        nonce: None,
        code_challenge: None,
        login_hint: None,
        idp_hint: None,
        max_age: None,
        created_at: 1,
        min_loa: None,
    };
    st.put_auth_request("ar1", &r, 60).await.unwrap();
    assert_eq!(st.auth_request("ar1").await.unwrap(), Some(r));
    st.add_session_client("sid1", "c1", 60).await.unwrap();
    st.add_session_client("sid1", "c2", 60).await.unwrap();
    let mut c = st.session_clients("sid1").await.unwrap();
    c.sort();
    assert_eq!(c, vec!["c1", "c2"]);
}

pub(super) async fn codes(st: &EphemeralState) {
    let c = CodeGrant {
        client_id: "c".into(),
        redirect_uri: "https://p/cb".into(),
        code_challenge: None,
        grant: grant(),
        nonce: Some("n".into()),
        expires_at: 1060,
    };
    st.put_code("h1", &c, 1000).await.unwrap();
    // Reading spends nothing: a request that fails after reading leaves
    // the code usable.
    let CodeLookup::Fresh { grant, raw } = st.code("h1", 1010).await.unwrap() else {
        panic!("a fresh code");
    };
    assert_eq!(*grant, c);
    assert_eq!(
        st.code("h1", 1010).await.unwrap(),
        CodeLookup::Fresh {
            grant: Box::new(c.clone()),
            raw: raw.clone()
        }
    );
    assert_eq!(
        st.spend_code("h1", &raw, Some("fam1"), "portal a")
            .await
            .unwrap(),
        Spent::Now
    );
    // Of two spenders of one reading, the second learns who was first.
    assert_eq!(
        st.spend_code("h1", &raw, Some("fam2"), "portal a")
            .await
            .unwrap(),
        Spent::Before {
            family_id: Some("fam1".into())
        }
    );
    assert_eq!(
        st.code("h1", 1011).await.unwrap(),
        CodeLookup::Used {
            family_id: Some("fam1".into()),
            client_id: Some("portal a".into())
        }
    );
    assert_eq!(st.code("never", 1010).await.unwrap(), CodeLookup::Unknown);
    // A code that started no family is spent all the same.
    st.put_code("h3", &c, 1000).await.unwrap();
    let CodeLookup::Fresh { raw, .. } = st.code("h3", 1010).await.unwrap() else {
        panic!("a fresh code");
    };
    assert_eq!(
        st.spend_code("h3", &raw, None, "portal-b").await.unwrap(),
        Spent::Now
    );
    assert_eq!(
        st.code("h3", 1010).await.unwrap(),
        CodeLookup::Used {
            family_id: None,
            client_id: Some("portal-b".into())
        }
    );
    // Expired by the clock.
    st.put_code("h2", &c, 1000).await.unwrap();
    assert_eq!(st.code("h2", 1060).await.unwrap(), CodeLookup::Unknown);
}

pub(super) async fn refresh_families(st: &EphemeralState) {
    let f = RefreshFamily {
        family_id: "f1".into(),
        client_id: "c".into(),
        grant: grant(),
        current: "t0".into(),
        generation: 0,
        expires_at: 5000,
    };
    st.create_family(&f, 1000).await.unwrap();
    // Another client's presentation changes nothing, not even with the
    // current token.
    assert!(matches!(
        st.rotate("f1", "other", "t0", "t9".into(), 1001, 60)
            .await
            .unwrap(),
        Rotation::OtherClient { .. }
    ));
    // Presenting reads and changes nothing.
    let Presented::Current { family, raw } = st.present("f1", "c", "t0", 1001).await.unwrap()
    else {
        panic!("the current token");
    };
    assert_eq!(family.generation, 0);
    assert!(matches!(
        st.present("f1", "c", "t0", 1001).await.unwrap(),
        Presented::Current { .. }
    ));
    // Two commits of one reading: the second is reuse and ends the family
    // (on a copy, so the test goes on with f1).
    let copy = RefreshFamily {
        family_id: "f1copy".into(),
        ..f.clone()
    };
    st.create_family(&copy, 1000).await.unwrap();
    let Presented::Current {
        family: cf,
        raw: craw,
    } = st.present("f1copy", "c", "t0", 1001).await.unwrap()
    else {
        panic!("the current token");
    };
    assert!(matches!(
        st.commit_rotation(cf.clone(), &craw, "c1".into(), 1001, 60)
            .await
            .unwrap(),
        Rotation::Rotated(_)
    ));
    assert!(matches!(
        st.commit_rotation(cf, &craw, "c2".into(), 1001, 60)
            .await
            .unwrap(),
        Rotation::Reused { .. }
    ));
    assert!(st.family_revoked("f1copy").await.unwrap());
    drop((family, raw));
    let Rotation::Rotated(next) = st
        .rotate("f1", "c", "t0", "t1".into(), 1001, 60)
        .await
        .unwrap()
    else {
        panic!("first presentation rotates");
    };
    assert_eq!((next.current.as_str(), next.generation), ("t1", 1));
    // The old token again: not current, and the family is left as it is
    // (the caller judges whether it proves a replay).
    assert!(matches!(
        st.rotate("f1", "c", "t0", "t2".into(), 1002, 60).await.unwrap(),
        Rotation::NotCurrent { family } if family.generation == 1
    ));
    assert!(!st.family_revoked("f1").await.unwrap());
    let Rotation::Rotated(next) = st
        .rotate("f1", "c", "t1", "t2".into(), 1002, 60)
        .await
        .unwrap()
    else {
        panic!("the current token still rotates");
    };
    assert_eq!((next.current.as_str(), next.generation), ("t2", 2));
    // Revoked: the family is gone.
    st.revoke_family("f1", 60).await.unwrap();
    assert_eq!(
        st.rotate("f1", "c", "t2", "t3".into(), 1003, 60)
            .await
            .unwrap(),
        Rotation::Unknown
    );
    assert!(st.family_revoked("f1").await.unwrap());
    // Logout ends every family of the session.
    let g = RefreshFamily {
        family_id: "f2".into(),
        current: "u0".into(),
        ..f.clone()
    };
    st.create_family(&g, 1000).await.unwrap();
    st.revoke_session_families("sid1", 60).await.unwrap();
    assert_eq!(
        st.rotate("f2", "c", "u0", "u1".into(), 1001, 60)
            .await
            .unwrap(),
        Rotation::Unknown
    );
    assert!(st.session_ended("sid1").await.unwrap());
    // Expired by the clock.
    let h = RefreshFamily {
        family_id: "f3".into(),
        current: "v0".into(),
        ..f
    };
    st.create_family(&h, 1000).await.unwrap();
    assert_eq!(
        st.rotate("f3", "c", "v0", "v1".into(), 5000, 60)
            .await
            .unwrap(),
        Rotation::Unknown
    );
}

pub(super) async fn concurrent_rotation_rotates_once(st: &EphemeralState) {
    let f = RefreshFamily {
        family_id: "race".into(),
        client_id: "c".into(),
        grant: Grant {
            sid: "sid-race".into(),
            ..grant()
        },
        current: "r0".into(),
        generation: 0,
        expires_at: 5000,
    };
    st.create_family(&f, 1000).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let st = st.clone();
            tokio::spawn(async move {
                st.rotate("race", "c", "r0", format!("r1-{i}"), 1001, 60)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut rotated = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Rotation::Rotated(_)) {
            rotated += 1;
        }
    }
    // Compare-and-swap: the first to swap wins; every other presentation is
    // reuse, finds the token no longer current, or the family already ended.
    assert_eq!(rotated, 1, "a token is redeemed exactly once");
}
