//! Each store engine against the shared conformance suites
//! (`porttivahti::store::conformance`).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use porttivahti::store::conformance::{directory_suite, ephemeral_suite};
use porttivahti::store::memory::MemoryEphemeral;
use porttivahti::store::redis::RedisEphemeral;
use porttivahti::store::sql::{PgDirectory, SqliteDirectory};
use porttivahti::store::{Directory, Ephemeral};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_directory_conforms() {
    let tmp = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    directory_suite(|| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let url = format!("sqlite://{}/dir{i}.db", tmp.path().display());
        async move { Arc::new(SqliteDirectory::connect(&url, 4).await.unwrap()) as Arc<dyn Directory> }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_ephemeral_conforms() {
    ephemeral_suite(Arc::new(MemoryEphemeral::new())).await;
}

use crate::common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_directory_conforms() {
    let Some(admin) = common::postgres_admin_url() else {
        eprintln!("PORTTIVAHTI_TEST_POSTGRES_URL is not set: PostgreSQL suite not run");
        return;
    };
    directory_suite(|| {
        let admin = admin.clone();
        async move {
            let url = common::fresh_postgres_db(&admin).await;
            Arc::new(PgDirectory::connect(&url, 4).await.unwrap()) as Arc<dyn Directory>
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_ephemeral_conforms() {
    let Some(url) = common::redis_url() else {
        eprintln!("PORTTIVAHTI_TEST_REDIS_URL is not set: Redis suite not run");
        return;
    };
    let store = RedisEphemeral::connect(&url, &common::fresh_redis_prefix()).unwrap();
    store
        .ping()
        .await
        .unwrap_or_else(|e| panic!("Redis at {url} is not reachable: {e}"));
    ephemeral_suite(Arc::new(store)).await;
}

/// Redis through Sentinel: a real `redis-server --sentinel` started here,
/// monitoring the test Redis as the master of `porttivahti`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_via_sentinel_conforms() {
    let Some(url) = common::redis_url() else {
        eprintln!("PORTTIVAHTI_TEST_REDIS_URL is not set: Sentinel suite not run");
        return;
    };
    let master = url::Url::parse(&url).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server =
        std::env::var("PORTTIVAHTI_TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
    // redis-server takes no port 0: a free port is picked, and should
    // another process take it before the Sentinel binds, the Sentinel
    // exits and is started again on another.
    let mut attempt = 0;
    let (mut child, store) = 'start: loop {
        attempt += 1;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = dir.path().join(format!("sentinel-{attempt}.conf"));
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {}\nsentinel monitor porttivahti {} {} 1\nsentinel down-after-milliseconds porttivahti 60000\n",
                dir.path().display(),
                master.host_str().unwrap(),
                master.port().unwrap_or(6379)
            ),
        )
        .unwrap();
        let mut child = std::process::Command::new(&server)
            .arg(&conf)
            .arg("--sentinel")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {server} --sentinel: {e}"));
        let sentinel_url = format!("redis+sentinel://127.0.0.1:{port}/porttivahti");
        let store = RedisEphemeral::connect(&sentinel_url, &common::fresh_redis_prefix()).unwrap();
        let started = std::time::Instant::now();
        while store.ping().await.is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(
                    attempt < 5,
                    "the Sentinel exited at start five times: {status}"
                );
                continue 'start;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(15),
                "Sentinel never named the master"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        break (child, store);
    };
    ephemeral_suite(Arc::new(store)).await;
    let _ = child.kill();
    let _ = child.wait();
}
