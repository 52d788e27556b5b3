//! Tokens: the signing keyring, JWT encoding and verification, and the
//! claims Porttivahti issues.

pub mod claims;
pub mod family;
pub mod jwt;
pub mod keyring;
pub mod sealing;

pub use jwt::{JwtError, Verified};
pub use keyring::{KeyError, Keyring};

// The encoding and hashing helpers tokens are made with live in `crypto`,
// below every module; re-exported here for the token code's callers.
pub use crate::crypto::{
    b64_std, b64_std_decode, b64url, b64url_decode, constant_time_eq, hash_secret, hex,
    random_token, sha256,
};
