pub mod admin;
pub mod admin_api;
pub mod demo;
pub mod login;
pub mod oidc;
pub mod ops;
