//! Domain newtypes: values that can only hold valid data.
//!
//! Untrusted input becomes one of these at the edge (parse, don't validate).

mod ids;
mod kinds;
mod login;
mod msisdn;
mod satu;
pub mod search;

pub use ids::{BusinessId, IdError, OrgOid};
pub use kinds::{AccountStatus, AuthMethod, CardType, Lang, LoA, Network, OrgKind, Right, Role};
pub use login::{Authority, LoginAttributes, Provenance};
pub use msisdn::Msisdn;
pub use satu::Satu;
