//! Ephemeral state on Redis, shared by several gateway nodes. Expiry is by
//! Redis TTLs; read-modify-write operations are single Lua scripts, so a
//! code or refresh token presented on two nodes at once is redeemed once.
//! Every operation touches one key, so the key design is Cluster-safe;
//! keys that belong together share a `{hash tag}`.
//!
//! `redis://…` names one server; `redis+sentinel://h1:26379,h2:26379/name`
//! asks Sentinel for the current master of `name`, and asks again when the
//! connection is lost or the server has become a replica (a failover).

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::sentinel::{SentinelClient, SentinelServerType};
use redis::{AsyncCommands, RedisError, Script};
use tokio::sync::Mutex;

use super::{Ephemeral, StoreError, StoreResult};

pub struct RedisEphemeral {
    conn: std::sync::RwLock<ConnectionManager>,
    sentinel: Option<Mutex<SentinelClient>>,
    prefix: String,
    cas: Script,
    incr: Script,
    decr: Script,
    set_add: Script,
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(format!("redis: {e}"))
}

/// True when the command could not be written at all (the connection was
/// already closed: a broken pipe), so Redis never ran it.
fn never_sent(e: &RedisError) -> bool {
    type Shared = std::sync::Arc<dyn std::error::Error + Send + Sync>;
    let Some(src) = std::error::Error::source(e) else {
        return false;
    };
    src.downcast_ref::<std::io::Error>()
        .or_else(|| {
            src.downcast_ref::<Shared>()
                .and_then(|a| a.downcast_ref::<std::io::Error>())
        })
        .is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::NotConnected
            )
        })
}

fn ms(d: Duration) -> u64 {
    (d.as_millis() as u64).max(1)
}

impl RedisEphemeral {
    /// Connects lazily: the node starts even when Redis is down (and says
    /// it is not ready), and reconnects by itself when Redis returns.
    pub fn connect(url: &str, prefix: &str) -> StoreResult<Self> {
        let bad = |e: String| StoreError::Unavailable(format!("bad redis_url: {e}"));
        let (client, sentinel) = match url.strip_prefix("redis+sentinel://") {
            Some(rest) => {
                let (hosts, service) = rest
                    .split_once('/')
                    .filter(|(h, s)| !h.is_empty() && !s.is_empty())
                    .ok_or_else(|| {
                        bad("use redis+sentinel://host:port[,host:port]/service".into())
                    })?;
                let nodes: Vec<String> = hosts.split(',').map(|h| format!("redis://{h}")).collect();
                let sentinel = SentinelClient::build(
                    nodes,
                    service.to_string(),
                    None,
                    SentinelServerType::Master,
                )
                .map_err(|e| bad(e.to_string()))?;
                // A placeholder that fails at once: the first operation asks
                // Sentinel for the master.
                let placeholder =
                    redis::Client::open("redis://127.0.0.1:1").map_err(|e| bad(e.to_string()))?;
                (placeholder, Some(Mutex::new(sentinel)))
            }
            None => (
                redis::Client::open(url).map_err(|e| bad(e.to_string()))?,
                None,
            ),
        };
        let conn = client
            .get_connection_manager_lazy(Self::config())
            .map_err(unavailable)?;
        Ok(Self {
            conn: std::sync::RwLock::new(conn),
            sentinel,
            prefix: prefix.to_string(),
            cas: Script::new(
                r"if redis.call('GET', KEYS[1]) == ARGV[1] then
                    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1
                  else return 0 end",
            ),
            incr: Script::new(
                r"local n = redis.call('INCR', KEYS[1])
                  if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
                  return n",
            ),
            decr: Script::new(
                r"local n = tonumber(redis.call('GET', KEYS[1]))
                  if n and n > 0 then redis.call('DECR', KEYS[1]) end
                  return 0",
            ),
            set_add: Script::new(
                r"redis.call('SADD', KEYS[1], ARGV[1])
                  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
                    redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
                  return 1",
            ),
        })
    }

    fn config() -> ConnectionManagerConfig {
        // A Redis that stops answering costs an operation at most about
        // 2 s: one connection attempt of 1 s and one more after a short
        // pause, or a reply awaited 2 s.
        ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500))
    }

    fn conn(&self) -> ConnectionManager {
        match self.conn.read() {
            Ok(c) => c.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// After an error: with Sentinel, a lost connection or a server that is
    /// now a replica means asking Sentinel for the master again.
    async fn recover(&self, e: &RedisError) {
        let Some(sentinel) = &self.sentinel else {
            return;
        };
        let failed_over = e.code() == Some("READONLY");
        if !(failed_over
            || e.is_io_error()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            || e.is_timeout())
        {
            return;
        }
        let mut s = sentinel.lock().await;
        match s.async_get_client().await {
            Ok(client) => match client.get_connection_manager_lazy(Self::config()) {
                Ok(m) => {
                    if let Ok(mut c) = self.conn.write() {
                        *c = m;
                    }
                    tracing::info!(failed_over, "redis: master resolved through Sentinel");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "redis: cannot connect to the master Sentinel named")
                }
            },
            Err(e) => tracing::warn!(error = %e, "redis: Sentinel did not name a master"),
        }
    }

    /// Runs one operation. A connection Redis dropped (a restart, a
    /// failover, an idle timeout) is noticed only when it is used: the
    /// first operation on it fails, and the client reconnects. So on a
    /// dropped or refused connection the operation is tried once more (with
    /// Sentinel, after asking it for the master again): any operation when
    /// the command never reached Redis (refused, or a broken pipe), an `idempotent` one
    /// (reading, setting a value, adding to a set, deleting) also when it
    /// may have (a reset, an end of stream). Non-idempotent ones (`take`, counters, put-if-absent,
    /// compare-and-swap) are not repeated blindly: the typed layer settles
    /// a swap whose answer was lost by reading it back.
    async fn run<T, F, Fut>(&self, idempotent: bool, op: F) -> StoreResult<T>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = Result<T, RedisError>>,
    {
        match op(self.conn()).await {
            Ok(v) => Ok(v),
            Err(e) => {
                let refused = e.is_connection_refusal() || never_sent(&e);
                let dropped = e.is_connection_dropped() && !e.is_timeout();
                let failed_over = e.code() == Some("READONLY");
                let again = refused || failed_over || (idempotent && dropped);
                if self.sentinel.is_some() {
                    self.recover(&e).await;
                }
                if !again {
                    return Err(unavailable(e));
                }
                tracing::debug!(error = %e, "redis: trying once more on a fresh connection");
                op(self.conn()).await.map_err(unavailable)
            }
        }
    }

    fn key(&self, k: &str) -> String {
        format!("{}{k}", self.prefix)
    }
}

#[async_trait]
impl Ephemeral for RedisEphemeral {
    async fn ping(&self) -> StoreResult<()> {
        let _: String = self
            .run(true, |mut c| async move {
                redis::cmd("PING").query_async(&mut c).await
            })
            .await?;
        Ok(())
    }

    async fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()> {
        let k = self.key(key);
        self.run(true, |mut c| {
            let (k, v) = (k.clone(), value.clone());
            async move {
                redis::cmd("SET")
                    .arg(k)
                    .arg(v)
                    .arg("PX")
                    .arg(ms(ttl))
                    .query_async::<()>(&mut c)
                    .await
            }
        })
        .await
    }

    async fn put_if_absent(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<bool> {
        let k = self.key(key);
        let r: Option<String> = self
            .run(false, |mut c| {
                let (k, v) = (k.clone(), value.clone());
                async move {
                    redis::cmd("SET")
                        .arg(k)
                        .arg(v)
                        .arg("NX")
                        .arg("PX")
                        .arg(ms(ttl))
                        .query_async(&mut c)
                        .await
                }
            })
            .await?;
        Ok(r.is_some())
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let k = self.key(key);
        self.run(true, |mut c| {
            let k = k.clone();
            async move { c.get(k).await }
        })
        .await
    }

    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let k = self.key(key);
        self.run(false, |mut c| {
            let k = k.clone();
            async move { redis::cmd("GETDEL").arg(k).query_async(&mut c).await }
        })
        .await
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let k = self.key(key);
        let _: i64 = self
            .run(true, |mut c| {
                let k = k.clone();
                async move { c.del(k).await }
            })
            .await?;
        Ok(())
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
        ttl: Duration,
    ) -> StoreResult<bool> {
        let k = self.key(key);
        let n: i64 = self
            .run(false, |mut c| {
                let mut inv = self.cas.key(k.clone());
                inv.arg(expected).arg(new.clone()).arg(ms(ttl));
                async move { inv.invoke_async(&mut c).await }
            })
            .await?;
        Ok(n == 1)
    }

    async fn incr(&self, key: &str, window: Duration) -> StoreResult<u64> {
        let k = self.key(key);
        self.run(false, |mut c| {
            let mut inv = self.incr.key(k.clone());
            inv.arg(ms(window));
            async move { inv.invoke_async(&mut c).await }
        })
        .await
    }

    async fn decr(&self, key: &str) -> StoreResult<()> {
        let k = self.key(key);
        let _: i64 = self
            .run(false, |mut c| {
                let inv = self.decr.key(k.clone());
                async move { inv.invoke_async(&mut c).await }
            })
            .await?;
        Ok(())
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> StoreResult<()> {
        let k = self.key(key);
        let _: i64 = self
            .run(true, |mut c| {
                let mut inv = self.set_add.key(k.clone());
                inv.arg(member).arg(ms(ttl));
                async move { inv.invoke_async(&mut c).await }
            })
            .await?;
        Ok(())
    }

    async fn set_members(&self, key: &str) -> StoreResult<Vec<String>> {
        let k = self.key(key);
        self.run(true, |mut c| {
            let k = k.clone();
            async move { c.smembers(k).await }
        })
        .await
    }
}
