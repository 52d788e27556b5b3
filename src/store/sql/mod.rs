//! The directory on SQL: SQLite (the embedded default, a file) and
//! PostgreSQL (several gateway nodes). One body of queries serves both:
//! a file per narrow trait, expanded for each engine (see `engine.rs`).

mod accounts;
mod audit;
mod engine;
mod events;
mod identities;
mod keys;
mod memberships;
mod organisations;
mod passkeys;
pub mod postgres;
mod provisioning;
mod rows;
pub mod sqlite;

pub use postgres::{PgDirectory, PgTimeouts};
pub use sqlite::SqliteDirectory;
