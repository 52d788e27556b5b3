//! Porttivahti: an identity and access broker for Finnish social- and
//! health-care professionals. See docs/architecture.md.

pub mod app;
pub mod clock;
pub mod config;
pub mod domain;
pub mod identity;
pub mod policy;
pub mod sso;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tokens;
pub mod web;
