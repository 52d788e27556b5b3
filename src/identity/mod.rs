//! Identity sources: each turns some proof into a [`VerifiedIdentity`].
//! Sources differ in shape, so each kind has its own small capability.

pub mod password;
pub mod totp;

/// The identity sources this build knows; portal rules may name them.
pub const SOURCES: &[&str] = &[password::SOURCE];

use serde::{Deserialize, Serialize};

use crate::domain::{AuthMethod, LoA};

/// What a source vouches for after checking the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedIdentity {
    /// The configured source, e.g. `password`.
    pub source: String,
    /// The subject as that source names it; for password accounts the
    /// account id.
    pub subject: String,
    pub loa: LoA,
    pub methods: Vec<AuthMethod>,
    pub authenticated_at: i64,
}
