pub mod account;
pub mod admin;
pub mod demo;
pub mod login;
pub mod oidc;
pub mod ops;
