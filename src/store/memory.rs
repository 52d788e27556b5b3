//! In-memory ephemeral state for a single node: sharded maps with expiry.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{Ephemeral, StoreError, StoreResult};

const SHARDS: usize = 32;

enum Value {
    Bytes(Vec<u8>),
    Counter(u64),
    Set(HashSet<String>),
}

struct Entry {
    value: Value,
    expires: Instant,
}

#[derive(Default)]
struct Shard {
    map: HashMap<String, Entry>,
    /// Writes since the last sweep of expired entries.
    writes: usize,
}

pub struct MemoryEphemeral {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
}

impl Default for MemoryEphemeral {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryEphemeral {
    pub fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: RandomState::new(),
        }
    }

    fn with<T>(&self, key: &str, f: impl FnOnce(&mut Shard, Instant) -> T) -> StoreResult<T> {
        let idx = (self.hasher.hash_one(key) as usize) % SHARDS;
        let mut shard = self.shards[idx]
            .lock()
            .map_err(|_| StoreError::Unavailable("memory store lock poisoned".into()))?;
        let now = Instant::now();
        Ok(f(&mut shard, now))
    }
}

impl Shard {
    fn live(&mut self, key: &str, now: Instant) -> Option<&mut Entry> {
        if self.map.get(key).is_some_and(|e| e.expires <= now) {
            self.map.remove(key);
        }
        self.map.get_mut(key)
    }

    fn insert(&mut self, key: &str, value: Value, ttl: Duration, now: Instant) {
        self.writes += 1;
        if self.writes >= 1024 {
            self.writes = 0;
            self.map.retain(|_, e| e.expires > now);
        }
        self.map.insert(
            key.to_string(),
            Entry {
                value,
                expires: now + ttl,
            },
        );
    }
}

#[async_trait]
impl Ephemeral for MemoryEphemeral {
    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()> {
        self.with(key, |s, now| s.insert(key, Value::Bytes(value), ttl, now))
    }

    async fn put_if_absent(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<bool> {
        self.with(key, |s, now| {
            if s.live(key, now).is_some() {
                false
            } else {
                s.insert(key, Value::Bytes(value), ttl, now);
                true
            }
        })
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.with(key, |s, now| match s.live(key, now) {
            Some(Entry {
                value: Value::Bytes(b),
                ..
            }) => Some(b.clone()),
            _ => None,
        })
    }

    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.with(key, |s, now| {
            s.live(key, now)?;
            match s.map.remove(key) {
                Some(Entry {
                    value: Value::Bytes(b),
                    ..
                }) => Some(b),
                _ => None,
            }
        })
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.with(key, |s, _| {
            s.map.remove(key);
        })
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
        ttl: Duration,
    ) -> StoreResult<bool> {
        self.with(key, |s, now| match s.live(key, now) {
            Some(Entry {
                value: Value::Bytes(b),
                ..
            }) if b.as_slice() == expected => {
                s.insert(key, Value::Bytes(new), ttl, now);
                true
            }
            _ => false,
        })
    }

    async fn incr(&self, key: &str, window: Duration) -> StoreResult<u64> {
        self.with(key, |s, now| match s.live(key, now) {
            Some(Entry {
                value: Value::Counter(n),
                ..
            }) => {
                *n += 1;
                *n
            }
            _ => {
                s.insert(key, Value::Counter(1), window, now);
                1
            }
        })
    }

    async fn decr(&self, key: &str) -> StoreResult<()> {
        self.with(key, |s, now| {
            if let Some(Entry {
                value: Value::Counter(n),
                ..
            }) = s.live(key, now)
            {
                *n = n.saturating_sub(1);
            }
        })
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> StoreResult<()> {
        self.with(key, |s, now| {
            let expires = now + ttl;
            match s.live(key, now) {
                Some(Entry {
                    value: Value::Set(set),
                    expires: e,
                }) => {
                    set.insert(member.to_string());
                    *e = (*e).max(expires);
                }
                _ => {
                    let set = HashSet::from([member.to_string()]);
                    s.insert(key, Value::Set(set), ttl, now);
                }
            }
        })
    }

    async fn set_members(&self, key: &str) -> StoreResult<Vec<String>> {
        self.with(key, |s, now| match s.live(key, now) {
            Some(Entry {
                value: Value::Set(set),
                ..
            }) => set.iter().cloned().collect(),
            _ => Vec::new(),
        })
    }

    fn usage(&self, prefix: &str) -> Option<(usize, usize)> {
        let now = Instant::now();
        let (mut count, mut bytes) = (0, 0);
        for shard in &self.shards {
            let shard = shard.lock().ok()?;
            for (k, e) in shard
                .map
                .iter()
                .filter(|(k, e)| k.starts_with(prefix) && e.expires > now)
            {
                count += 1;
                bytes += k.len()
                    + match &e.value {
                        Value::Bytes(b) => b.len(),
                        Value::Counter(_) => 8,
                        Value::Set(set) => set.iter().map(String::len).sum(),
                    };
            }
        }
        Some((count, bytes))
    }
}
