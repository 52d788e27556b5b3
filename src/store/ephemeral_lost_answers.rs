//! A swap whose answer is lost on the way (the store did the work, the
//! connection dropped before the reply): the typed layer reads back and
//! settles it, so a code or refresh token is never spent without the
//! request that spent it knowing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::domain::{AuthMethod, LoA};
use crate::store::memory::MemoryEphemeral;

/// What the next compare-and-swap does.
const PASS: u8 = 0;
/// Swaps, then reports the connection lost.
const LOSE_ANSWER: u8 = 1;
/// Fails before swapping (the command never arrived).
const FAIL_BEFORE: u8 = 2;

/// Memory, with compare-and-swap answers that can be lost once.
struct Lossy {
    inner: MemoryEphemeral,
    next_cas: AtomicU8,
}

fn dropped() -> StoreError {
    StoreError::Unavailable("redis: broken pipe".into())
}

#[async_trait]
impl Ephemeral for Lossy {
    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }
    async fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()> {
        self.inner.put(key, value, ttl).await
    }
    async fn put_if_absent(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<bool> {
        self.inner.put_if_absent(key, value, ttl).await
    }
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.inner.get(key).await
    }
    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.inner.take(key).await
    }
    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.inner.delete(key).await
    }
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
        ttl: Duration,
    ) -> StoreResult<bool> {
        match self.next_cas.swap(PASS, Ordering::SeqCst) {
            LOSE_ANSWER => {
                self.inner.compare_and_swap(key, expected, new, ttl).await?;
                Err(dropped())
            }
            FAIL_BEFORE => Err(dropped()),
            _ => self.inner.compare_and_swap(key, expected, new, ttl).await,
        }
    }
    async fn incr(&self, key: &str, window: Duration) -> StoreResult<u64> {
        self.inner.incr(key, window).await
    }
    async fn decr(&self, key: &str) -> StoreResult<()> {
        self.inner.decr(key).await
    }
    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> StoreResult<()> {
        self.inner.set_add(key, member, ttl).await
    }
    async fn set_members(&self, key: &str) -> StoreResult<Vec<String>> {
        self.inner.set_members(key).await
    }
}

fn lossy() -> (Arc<Lossy>, EphemeralState) {
    let l = Arc::new(Lossy {
        inner: MemoryEphemeral::new(),
        next_cas: AtomicU8::new(PASS),
    });
    (l.clone(), EphemeralState::new(l))
}

fn grant() -> Grant {
    Grant {
        account_id: "acct".into(),
        sid: "sid".into(),
        scope: vec!["openid".into()],
        auth_time: 1000,
        loa: LoA::Low,
        methods: vec![AuthMethod::Password],
        source: "password".into(),
        card_type: None,
        source_org_kind: None,
        source_org: None,
        attributes: Default::default(),
    }
}

fn family() -> RefreshFamily {
    RefreshFamily {
        family_id: "f".into(),
        client_id: "c".into(),
        grant: grant(),
        current: "t0".into(),
        generation: 0,
        expires_at: 5000,
    }
}

#[tokio::test]
async fn a_rotation_whose_answer_was_lost_is_known_to_have_landed() {
    let (l, st) = lossy();
    st.create_family(&family(), 1000).await.unwrap();
    let Presented::Current { family, raw } = st.present("f", "c", "t0", 1001).await.unwrap() else {
        panic!("current");
    };
    l.next_cas.store(LOSE_ANSWER, Ordering::SeqCst);
    let r = st
        .commit_rotation(family, &raw, "t1".into(), 1001, 60)
        .await
        .unwrap();
    assert!(
        matches!(r, Rotation::Rotated(ref f) if f.current == "t1"),
        "{r:?}"
    );
    assert!(
        !st.family_revoked("f").await.unwrap(),
        "not taken for reuse"
    );
}

#[tokio::test]
async fn a_rotation_that_never_arrived_is_tried_once_more() {
    let (l, st) = lossy();
    st.create_family(&family(), 1000).await.unwrap();
    let Presented::Current { family, raw } = st.present("f", "c", "t0", 1001).await.unwrap() else {
        panic!("current");
    };
    l.next_cas.store(FAIL_BEFORE, Ordering::SeqCst);
    let r = st
        .commit_rotation(family, &raw, "t1".into(), 1001, 60)
        .await
        .unwrap();
    assert!(
        matches!(r, Rotation::Rotated(ref f) if f.generation == 1),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_spent_code_whose_answer_was_lost_is_this_requests() {
    let (l, st) = lossy();
    let c = CodeGrant {
        client_id: "c".into(),
        redirect_uri: "https://p/cb".into(),
        code_challenge: None,
        grant: grant(),
        nonce: None,
        expires_at: 1060,
    };
    st.put_code("h", &c, 1000).await.unwrap();
    let CodeLookup::Fresh { raw, .. } = st.code("h", 1001).await.unwrap() else {
        panic!("fresh");
    };
    l.next_cas.store(LOSE_ANSWER, Ordering::SeqCst);
    assert_eq!(
        st.spend_code("h", &raw, None, "portal-a").await.unwrap(),
        Spent::Now
    );
    // A second request with the same reading, even without a family (so
    // no family id tells the marks apart), is the replay it is.
    assert_eq!(
        st.spend_code("h", &raw, None, "portal-a").await.unwrap(),
        Spent::Before { family_id: None }
    );
}
