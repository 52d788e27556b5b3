//! Ephemeral state on Redis, shared by several gateway nodes. Expiry is by
//! Redis TTLs; read-modify-write operations are single Lua scripts, so a
//! code or refresh token presented on two nodes at once is redeemed once.
//! Every operation touches one key, so the key design is Cluster-safe;
//! keys that belong together share a `{hash tag}`.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use super::{Ephemeral, StoreError, StoreResult};

pub struct RedisEphemeral {
    conn: ConnectionManager,
    prefix: String,
    cas: Script,
    incr: Script,
    set_add: Script,
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(format!("redis: {e}"))
}

fn ms(d: Duration) -> u64 {
    (d.as_millis() as u64).max(1)
}

impl RedisEphemeral {
    /// Connects lazily: the node starts even when Redis is down (and says
    /// it is not ready), and reconnects by itself when Redis returns.
    pub fn connect(url: &str, prefix: &str) -> StoreResult<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Unavailable(format!("bad redis_url: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        let conn = client
            .get_connection_manager_lazy(config)
            .map_err(unavailable)?;
        Ok(Self {
            conn,
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
            set_add: Script::new(
                r"redis.call('SADD', KEYS[1], ARGV[1])
                  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
                    redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
                  return 1",
            ),
        })
    }

    fn key(&self, k: &str) -> String {
        format!("{}{k}", self.prefix)
    }
}

#[async_trait]
impl Ephemeral for RedisEphemeral {
    async fn ping(&self) -> StoreResult<()> {
        let mut c = self.conn.clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()> {
        let mut c = self.conn.clone();
        let _: () = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(ms(ttl))
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn put_if_absent(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<bool> {
        let mut c = self.conn.clone();
        let r: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ms(ttl))
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(r.is_some())
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut c = self.conn.clone();
        c.get(self.key(key)).await.map_err(unavailable)
    }

    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut c = self.conn.clone();
        redis::cmd("GETDEL")
            .arg(self.key(key))
            .query_async(&mut c)
            .await
            .map_err(unavailable)
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let mut c = self.conn.clone();
        let _: i64 = c.del(self.key(key)).await.map_err(unavailable)?;
        Ok(())
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
        ttl: Duration,
    ) -> StoreResult<bool> {
        let mut c = self.conn.clone();
        let n: i64 = self
            .cas
            .key(self.key(key))
            .arg(expected)
            .arg(new)
            .arg(ms(ttl))
            .invoke_async(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(n == 1)
    }

    async fn incr(&self, key: &str, window: Duration) -> StoreResult<u64> {
        let mut c = self.conn.clone();
        self.incr
            .key(self.key(key))
            .arg(ms(window))
            .invoke_async(&mut c)
            .await
            .map_err(unavailable)
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> StoreResult<()> {
        let mut c = self.conn.clone();
        let _: i64 = self
            .set_add
            .key(self.key(key))
            .arg(member)
            .arg(ms(ttl))
            .invoke_async(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn set_members(&self, key: &str) -> StoreResult<Vec<String>> {
        let mut c = self.conn.clone();
        c.smembers(self.key(key)).await.map_err(unavailable)
    }
}
