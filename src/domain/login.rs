//! What a login establishes about a person beyond source, level and
//! methods: stored in sessions and grants, read by the portal policy.

use serde::{Deserialize, Serialize};

use super::CardType;

/// What a person may do for one organisation by the trade register or
/// Suomi.fi e-Authorizations: positions (ELI, TJ, …) and mandates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authority {
    /// The organisation's business id (Y-tunnus).
    pub business_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Trade-register positions, e.g. `TJ`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub positions: Vec<String>,
    /// Suomi.fi mandate codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mandates: Vec<String>,
}

/// Whose word a fact about the person is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// The person's own statement (the first-login form, the profile
    /// page): nobody has checked it. Rules use it only with
    /// `accept_self_declared`. The default, so that state written without
    /// a provenance counts as the weaker kind.
    #[default]
    SelfDeclared,
    /// A source the gateway trusts (a register, an identity provider)
    /// vouched for it.
    Vouched,
}

impl Provenance {
    pub fn is_self_declared(&self) -> bool {
        *self == Provenance::SelfDeclared
    }
}

/// Facts a login establishes beyond source, level and methods. Stored in
/// sessions and grants with `#[serde(default)]`, so state written before
/// these existed stays readable; logins that know none leave it empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttributes {
    /// The certificate card of a card login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_type: Option<CardType>,
    /// The profession group of the person's profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profession_group: Option<String>,
    /// Whose word `profession_group` is. The profile is what the person
    /// entered, so today always self-declared.
    #[serde(default, skip_serializing_if = "Provenance::is_self_declared")]
    pub profession_group_provenance: Provenance,
    /// Organisations the person may act for, asked at login (Suomi.fi).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorities: Vec<Authority>,
    /// The organisation (business id) the person chose to act for, when
    /// there were several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_for: Option<String>,
}
