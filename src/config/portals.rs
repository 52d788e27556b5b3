//! `[[portals]]` and their access rules (`[[portals.access]]`); the policy
//! (`crate::policy`) decides with them.

use serde::Deserialize;

use crate::domain::{AuthMethod, CardType, LoA, Network, OrgKind, Right};

/// A portal: something a person may or may not reach.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSettings {
    pub id: String,
    pub name: String,
    /// Any one rule that holds grants access.
    #[serde(default)]
    pub access: Vec<AccessRule>,
    /// The person claims the portal receives (absent: all of them).
    #[serde(default)]
    pub claims: Option<Vec<String>>,
    /// A person who may act for several organisations here picks one
    /// before going on (Kanta Ekstranet).
    #[serde(default)]
    pub choose_organisation: bool,
    /// What the refusal page tells a person who may not reach the portal
    /// (how to get access), in Finnish; `_sv`/`_en` default to it.
    #[serde(default)]
    pub denied_help: Option<String>,
    #[serde(default)]
    pub denied_help_sv: Option<String>,
    #[serde(default)]
    pub denied_help_en: Option<String>,
}

impl PortalSettings {
    /// `denied_help` in `lang`, falling back to Finnish.
    pub fn denied_help_in(&self, lang: crate::domain::Lang) -> Option<&str> {
        use crate::domain::Lang;
        let own = match lang {
            Lang::Fi => None,
            Lang::Sv => self.denied_help_sv.as_deref(),
            Lang::En => self.denied_help_en.as_deref(),
        };
        own.or(self.denied_help.as_deref())
    }
}

/// One access rule; every condition it names must hold.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessRule {
    /// The account has a membership in one of these networks.
    #[serde(default)]
    pub networks: Vec<Network>,
    /// The session was authenticated by one of these sources.
    #[serde(default)]
    pub sources: Vec<String>,
    /// The session used one of these methods.
    #[serde(default)]
    pub methods: Vec<AuthMethod>,
    /// The session's level of assurance is at least this.
    #[serde(default)]
    pub min_loa: Option<LoA>,
    /// The account belongs to an organisation of one of these kinds.
    #[serde(default)]
    pub org_kinds: Vec<OrgKind>,
    /// The person reaches one of these other portals.
    #[serde(default)]
    pub via_portals: Vec<String>,
    /// The session was a login with one of these certificate cards.
    #[serde(default)]
    pub card_types: Vec<CardType>,
    /// The person's profile names one of these profession groups.
    #[serde(default)]
    pub profession_groups: Vec<String>,
    /// `profession_groups` may be met by what the person declared
    /// themself (the profile form), which nobody has checked. Without it
    /// only a profession group a source vouches for counts.
    #[serde(default)]
    pub accept_self_declared: bool,
    /// For some organisation, the person holds one of these trade-register
    /// positions (ELI, TJ, TJS, VTJ, …); the rule then holds for those
    /// organisations.
    #[serde(default)]
    pub positions: Vec<String>,
    /// For some organisation, the person holds one of these Suomi.fi
    /// mandates (codes as the e-Authorizations service names them).
    #[serde(default)]
    pub mandates: Vec<String>,
    /// What the rule gives for each such organisation (default `full`).
    #[serde(default)]
    pub right: Option<Right>,
    /// At least one of these nested rules holds too.
    #[serde(default)]
    pub any: Vec<AccessRule>,
    /// Every one of these nested rules holds too.
    #[serde(default)]
    pub all: Vec<AccessRule>,
    /// A label for `policy explain` and the operator page.
    #[serde(default)]
    pub label: Option<String>,
}
