//! `[[portals]]` and their access rules (`[[portals.access]]`), with the
//! start-up checks of the section; the policy (`crate::policy`) decides
//! with them.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::domain::{AuthMethod, CardType, LoA, Network, OrgKind, Right};

/// Person claims a portal's `claims` list may name.
pub const PERSON_CLAIMS: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "title",
    "email",
    "organisations",
    "networks",
    "portals",
    "authorities",
];

/// A portal: something a person may or may not reach.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSettings {
    pub id: String,
    /// The portal's name in Finnish; `name_sv`/`name_en` default to it.
    pub name: String,
    #[serde(default)]
    pub name_sv: Option<String>,
    #[serde(default)]
    pub name_en: Option<String>,
    /// Where a person opens the portal (the logged-in page links it): an
    /// absolute URL, or a path on this server (`/demo/`). Absent: the
    /// portal is listed without a link.
    #[serde(default)]
    pub url: Option<String>,
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
    /// The portal's name in `lang`, falling back to Finnish.
    pub fn name_in(&self, lang: crate::domain::Lang) -> &str {
        use crate::domain::Lang;
        let own = match lang {
            Lang::Fi => None,
            Lang::Sv => self.name_sv.as_deref(),
            Lang::En => self.name_en.as_deref(),
        };
        own.unwrap_or(&self.name)
    }

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

/// Every rule of a portal with its nested `any`/`all` rules.
fn walk<'a>(rules: &'a [AccessRule], out: &mut Vec<&'a AccessRule>) {
    for r in rules {
        out.push(r);
        walk(&r.any, out);
        walk(&r.all, out);
    }
}

fn all_rules(p: &PortalSettings) -> Vec<&AccessRule> {
    let mut v = Vec::new();
    walk(&p.access, &mut v);
    v
}

/// Refuses `via_portals` chains that loop (a reaches b reaches a).
pub fn check_acyclic(portals: &[PortalSettings]) -> Result<(), String> {
    fn visit<'a>(
        id: &'a str,
        by_id: &HashMap<&'a str, &'a PortalSettings>,
        path: &mut Vec<&'a str>,
        done: &mut HashSet<&'a str>,
    ) -> Result<(), String> {
        if done.contains(id) {
            return Ok(());
        }
        if path.contains(&id) {
            path.push(id);
            return Err(format!("portal access rules loop: {}", path.join(" → ")));
        }
        path.push(id);
        if let Some(p) = by_id.get(id) {
            for rule in all_rules(p) {
                for via in &rule.via_portals {
                    visit(via, by_id, path, done)?;
                }
            }
        }
        path.pop();
        done.insert(id);
        Ok(())
    }
    let by_id: HashMap<&str, &PortalSettings> =
        portals.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut done = HashSet::new();
    for p in portals {
        visit(&p.id, &by_id, &mut Vec::new(), &mut done)?;
    }
    Ok(())
}

/// Start-up checks of what serde cannot see: names in nested rules and in
/// a portal's `claims`. Errors name the portal and the field.
pub fn check_rules(portals: &[PortalSettings]) -> Result<(), String> {
    let ids: HashSet<&str> = portals.iter().map(|p| p.id.as_str()).collect();
    for p in portals {
        // A link on the logged-in page: to a web address or a page here,
        // never a `javascript:` or protocol-relative one.
        if let Some(u) = &p.url
            && !(u.starts_with("https://")
                || u.starts_with("http://")
                || (u.starts_with('/') && !u.starts_with("//") && !u.contains('\\')))
        {
            return Err(format!(
                "portal {:?}: url must be an http(s) URL or a path starting with /, got {u:?}",
                p.id
            ));
        }
        if let Some(claims) = &p.claims
            && let Some(c) = claims.iter().find(|c| !PERSON_CLAIMS.contains(&c.as_str()))
        {
            return Err(format!(
                "portal {:?}: claims names {c:?}; known claims: {}",
                p.id,
                PERSON_CLAIMS.join(", ")
            ));
        }
        for r in all_rules(p) {
            if let Some(v) = r
                .via_portals
                .iter()
                .find(|v| !ids.contains(v.as_str()) || **v == p.id)
            {
                return Err(format!(
                    "portal {:?}: access.via_portals names {v:?}, which is not another portal",
                    p.id
                ));
            }
            if let Some(s) = r
                .sources
                .iter()
                .find(|s| !crate::config::sources::BUILT_IN.contains(&s.as_str()))
            {
                return Err(format!(
                    "portal {:?}: access.sources names {s:?}; known sources: {}",
                    p.id,
                    crate::config::sources::BUILT_IN.join(", ")
                ));
            }
            for (field, list) in [
                ("positions", &r.positions),
                ("mandates", &r.mandates),
                ("profession_groups", &r.profession_groups),
            ] {
                if list.iter().any(|x| x.trim().is_empty()) {
                    return Err(format!(
                        "portal {:?}: access.{field} has an empty entry",
                        p.id
                    ));
                }
            }
            if r.accept_self_declared && r.profession_groups.is_empty() {
                return Err(format!(
                    "portal {:?}: access.accept_self_declared needs profession_groups in the same rule",
                    p.id
                ));
            }
            if r.right.is_some() && r.positions.is_empty() && r.mandates.is_empty() {
                return Err(format!(
                    "portal {:?}: access.right needs positions or mandates in the same rule",
                    p.id
                ));
            }
        }
    }
    Ok(())
}
