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

/// For the Suomi.fi login: what the person with `national_id` may do for
/// which organisation, to be put into the new session's
/// `LoginAttributes::authorities`. Empty when `[suomifi_mandates]` is not
/// configured; an error when the service cannot answer (the login should
/// then say that the mandates could not be checked, not refuse silently).
pub async fn authorities_at_login(
    mandates: Option<&MandateClient>,
    national_id: &str,
) -> Result<Vec<crate::policy::Authority>, MandateError> {
    match mandates {
        Some(client) => client.authorities(national_id).await,
        None => Ok(Vec::new()),
    }
}
