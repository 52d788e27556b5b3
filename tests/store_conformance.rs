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

mod common;

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
