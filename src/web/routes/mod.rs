pub mod demo;
pub mod liaisons;
pub mod login;
pub mod oidc;
pub mod ops;
