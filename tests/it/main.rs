//! The integration tests: one binary, one module per area, so the library
//! is linked into one test executable instead of one per file (a shorter
//! and much smaller build). The tests that must have a process of their
//! own stay apart: `outgoing_tls` (it sets an environment variable) and
//! `production_build` (built without the `dev` feature).
//!
//! Shared peers and helpers: `common` (the application on port 0, a
//! browser with a cookie jar, an OpenID Connect client), `pki` (a CA that
//! issues and revokes), `ocsp` (an OCSP responder), `mssp` (a mobile
//! signature service), `webdriver` (headless Chromium), `process` (the binary
//! on a port it binds itself).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/fault_proxy.rs"]
mod fault_proxy;
#[path = "common/mssp.rs"]
mod mssp;
#[path = "common/ocsp.rs"]
mod ocsp;
#[path = "common/pki.rs"]
mod pki;
#[path = "common/process.rs"]
mod process;
#[path = "common/webdriver.rs"]
mod webdriver;

mod abuse;
mod admin;
mod admin_api;
mod admin_audit;
mod admin_csrf;
mod admin_reach;
mod backchannel_logout;
mod browser;
mod cards;
mod demo_portals;
mod events;
mod faults;
mod first_use;
mod introspection;
mod liaisons;
mod login;
mod mandates;
mod mobile;
mod oidc;
mod page_links;
mod passkeys;
mod passkeys_browser;
mod password_change;
mod peers;
mod portal_policy;
mod rp_logout;
mod saml;
mod scale_out;
mod scim;
mod screens;
mod second_factor;
mod startup_guard;
mod store_conformance;
mod suomifi_oidc;
mod telemetry;
mod upstream_oidc;
mod verifier;
