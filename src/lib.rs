//! Porttivahti: an identity and access broker for Finnish social- and
//! health-care professionals. See docs/architecture.md.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod admin;
pub mod app;
pub mod clock;
pub mod config;
pub mod domain;
pub mod identity;
pub mod introspection;
pub mod logout;
pub mod mandates;
pub mod policy;
pub mod privacy;
pub mod sso;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod tokens;
pub mod verifier;
pub mod web;
