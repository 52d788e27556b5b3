//! Each store engine against the shared conformance suites
//! (`porttivahti::store::conformance`).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use porttivahti::store::conformance::{directory_suite, ephemeral_suite};
use porttivahti::store::memory::MemoryEphemeral;
use porttivahti::store::sql::SqliteDirectory;
use porttivahti::store::Directory;

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
