//! What a decision is made on, and what a login may add to it.

use crate::domain::{AuthMethod, LoA, Network, OrgKind};

pub use crate::domain::{Authority, LoginAttributes, Provenance};

/// The facts a decision is made on.
#[derive(Debug, Clone)]
pub struct Facts {
    pub networks: Vec<Network>,
    pub org_kinds: Vec<OrgKind>,
    pub source: String,
    pub loa: LoA,
    pub methods: Vec<AuthMethod>,
    pub attributes: LoginAttributes,
}
