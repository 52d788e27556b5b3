//! Kanta Ekstranet: which organisations a person may act for, and with
//! which right, from trade-register positions and Suomi.fi mandates.

mod client;

pub use client::{AUTH_HEADER, MandateClient, MandateError, auth_header, check_auth_header};

use crate::policy::{LoginAttributes, Rights};
use crate::tokens::claims::AuthorityClaim;

/// The `authorities` claim: each organisation the policy gave a right for,
/// named as the login learnt it.
pub fn authority_claims(attrs: &LoginAttributes, rights: &Rights) -> Vec<AuthorityClaim> {
    rights
        .iter()
        .map(|(bid, right)| AuthorityClaim {
            business_id: bid.clone(),
            name: attrs
                .authorities
                .iter()
                .find(|a| &a.business_id == bid)
                .and_then(|a| a.name.clone()),
            right: *right,
        })
        .collect()
}
