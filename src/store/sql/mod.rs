//! The directory on SQL: SQLite (the embedded default, a file) and
//! PostgreSQL (several gateway nodes). One body of queries serves both.

mod engine;
mod identities;
pub mod postgres;
pub mod sqlite;

pub use postgres::PgDirectory;
pub use sqlite::SqliteDirectory;
