pub mod account;
pub mod admin;
pub mod demo;
pub mod liaisons;
pub mod login;
pub mod oidc;
pub mod ops;
pub mod second_factor;
