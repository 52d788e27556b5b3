//! Portal access: a pure function from what is known of a person and
//! their session to which portals they may reach, and what they may do for
//! which organisation there. Rules live in configuration (`[[portals]]`),
//! so a region adds a portal without code.

mod explain;
mod facts;

use std::collections::HashMap;

use crate::config::{AccessRule, PortalSettings};
use crate::domain::{LoA, Right};

pub use explain::{Check, Explanation, RuleReport};
pub use facts::{Authority, Facts, LoginAttributes, Provenance};

// The portal section's start-up checks belong to configuration, which
// checks its own sections; the policy's callers find them here too.
pub use crate::config::{check_acyclic, check_rules};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// A rule would grant access at a higher level of assurance.
    StepUp(LoA),
    Deny(DenyReason),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenyReason {
    UnknownPortal,
    /// No rule holds for this person.
    NoRuleMatches,
}

#[derive(Debug, Clone)]
pub struct Policy {
    portals: Vec<PortalSettings>,
    index: HashMap<String, usize>,
}

/// The level an `acr_values` request asks for: the lowest level among
/// the values we know (any listed level satisfies the portal), `None`
/// when none is known.
pub fn loa_of_acr_values(values: &str) -> Option<LoA> {
    values
        .split(' ')
        .filter_map(|v| match v {
            "low" | "http://eidas.europa.eu/LoA/low" => Some(LoA::Low),
            "substantial" | "http://ftn.ficora.fi/2017/loa2" => Some(LoA::Substantial),
            "high" | "http://ftn.ficora.fi/2017/loa3" => Some(LoA::High),
            other => LoA::ALL.iter().copied().find(|l| l.acr() == other),
        })
        .min()
}

/// Whom a rule holds for: everyone, or (for positions and mandates) these
/// organisations' business ids.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Everyone,
    Orgs(Vec<String>),
}

impl Scope {
    fn and(self, other: Scope) -> Scope {
        match (self, other) {
            (Scope::Everyone, s) | (s, Scope::Everyone) => s,
            (Scope::Orgs(a), Scope::Orgs(b)) => {
                Scope::Orgs(a.into_iter().filter(|x| b.contains(x)).collect())
            }
        }
    }
    fn or(self, other: Scope) -> Scope {
        match (self, other) {
            (Scope::Everyone, _) | (_, Scope::Everyone) => Scope::Everyone,
            (Scope::Orgs(mut a), Scope::Orgs(b)) => {
                for x in b {
                    if !a.contains(&x) {
                        a.push(x);
                    }
                }
                Scope::Orgs(a)
            }
        }
    }
    fn is_empty(&self) -> bool {
        matches!(self, Scope::Orgs(v) if v.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RuleOutcome {
    Holds(Scope),
    NeedsLoA(LoA),
    Fails,
}

/// The rights a decision gives, by organisation (business id).
pub type Rights = Vec<(String, Right)>;

fn rank(r: Right) -> u8 {
    match r {
        Right::ReadOnly => 1,
        Right::Full => 2,
    }
}

impl Policy {
    /// `portals` must have passed configuration checks (unique ids, known
    /// `via_portals`, no loops).
    pub fn new(portals: Vec<PortalSettings>) -> Self {
        let index = portals
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        Self { portals, index }
    }

    pub fn portal(&self, id: &str) -> Option<&PortalSettings> {
        self.index.get(id).map(|&i| &self.portals[i])
    }

    pub fn portals(&self) -> &[PortalSettings] {
        &self.portals
    }

    pub fn decide(&self, portal: &str, facts: &Facts) -> Decision {
        self.decide_with_rights(portal, facts).0
    }

    /// The decision and, when allowed, what the person may do for which
    /// organisation (empty when no rule is about organisations).
    pub fn decide_with_rights(&self, portal: &str, facts: &Facts) -> (Decision, Rights) {
        self.decide_depth(portal, facts, 0, None)
    }

    fn decide_depth(
        &self,
        portal: &str,
        facts: &Facts,
        depth: usize,
        mut report: Option<&mut Vec<RuleReport>>,
    ) -> (Decision, Rights) {
        let Some(p) = self.portal(portal) else {
            return (Decision::Deny(DenyReason::UnknownPortal), Vec::new());
        };
        // Depth is bounded by the number of portals: the rules are acyclic.
        if depth > self.portals.len() {
            return (Decision::Deny(DenyReason::NoRuleMatches), Vec::new());
        }
        let mut step_up: Option<LoA> = None;
        let mut allowed = false;
        let mut rights: Rights = Vec::new();
        for (i, rule) in p.access.iter().enumerate() {
            let mut checks = report.as_ref().map(|_| Vec::new());
            let outcome = self.rule(rule, facts, depth, checks.as_mut());
            if let (Some(rep), Some(checks)) = (report.as_deref_mut(), checks) {
                rep.push(RuleReport::new(i, rule, &outcome, checks));
            }
            match outcome {
                RuleOutcome::Holds(scope) => {
                    allowed = true;
                    if let Scope::Orgs(orgs) = scope {
                        let right = rule.right.unwrap_or(Right::Full);
                        for o in orgs {
                            match rights.iter_mut().find(|(b, _)| *b == o) {
                                Some((_, r)) if rank(right) > rank(*r) => *r = right,
                                Some(_) => {}
                                None => rights.push((o, right)),
                            }
                        }
                    }
                }
                RuleOutcome::NeedsLoA(l) => step_up = Some(step_up.map_or(l, |s| s.min(l))),
                RuleOutcome::Fails => {}
            }
        }
        if allowed {
            return (Decision::Allow, rights);
        }
        match step_up {
            Some(l) => (Decision::StepUp(l), Vec::new()),
            None => (Decision::Deny(DenyReason::NoRuleMatches), Vec::new()),
        }
    }

    fn rule(
        &self,
        r: &AccessRule,
        f: &Facts,
        depth: usize,
        mut trace: Option<&mut Vec<Check>>,
    ) -> RuleOutcome {
        fn any<T: PartialEq>(want: &[T], have: &[T]) -> bool {
            want.is_empty() || want.iter().any(|w| have.contains(w))
        }
        let mut holds = true;
        // The texts of a check are made only when explaining.
        type Detail<'d> = &'d dyn Fn() -> (String, String);
        let mut note = |field: &'static str, ok: bool, detail: Detail<'_>| {
            holds &= ok;
            if let Some(t) = trace.as_deref_mut() {
                let (wanted, have) = detail();
                t.push(Check {
                    field,
                    wanted,
                    have,
                    ok,
                });
            }
        };
        fn list<T: std::fmt::Display>(v: &[T]) -> String {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
        let a = &f.attributes;
        if !r.networks.is_empty() {
            note("networks", any(&r.networks, &f.networks), &|| {
                (list(&r.networks), list(&f.networks))
            });
        }
        if !r.org_kinds.is_empty() {
            note("org_kinds", any(&r.org_kinds, &f.org_kinds), &|| {
                (list(&r.org_kinds), list(&f.org_kinds))
            });
        }
        if !r.methods.is_empty() {
            note("methods", any(&r.methods, &f.methods), &|| {
                (list(&r.methods), list(&f.methods))
            });
        }
        if !r.sources.is_empty() {
            note("sources", r.sources.contains(&f.source), &|| {
                (list(&r.sources), f.source.clone())
            });
        }
        if !r.card_types.is_empty() {
            let have: Vec<_> = a.card_type.into_iter().collect();
            note("card_types", any(&r.card_types, &have), &|| {
                (list(&r.card_types), list(&have))
            });
        }
        if !r.profession_groups.is_empty() {
            let have: Vec<String> = a.profession_group.iter().cloned().collect();
            let named = any(&r.profession_groups, &have);
            let self_declared = a.profession_group_provenance.is_self_declared();
            note("profession_groups", named, &|| {
                let how = if self_declared && !have.is_empty() {
                    " (self-declared)"
                } else {
                    ""
                };
                (list(&r.profession_groups), format!("{}{how}", list(&have)))
            });
            // The person's own word counts only where the rule says so.
            if named && self_declared && !r.accept_self_declared {
                note("self_declared", false, &|| {
                    (
                        "a profession group a source vouches for (the rule does not set accept_self_declared)".into(),
                        "self-declared".into(),
                    )
                });
            }
        }
        if !r.via_portals.is_empty() {
            let reached: Vec<&String> = r
                .via_portals
                .iter()
                .filter(|v| self.decide_depth(v, f, depth + 1, None).0 == Decision::Allow)
                .collect();
            note("via_portals", !reached.is_empty(), &|| {
                (list(&r.via_portals), list(&reached))
            });
        }
        // Positions and mandates hold per organisation; with `acting_for`
        // only the chosen organisation counts.
        let mut scope = Scope::Everyone;
        if !r.positions.is_empty() || !r.mandates.is_empty() {
            let orgs: Vec<String> = a
                .authorities
                .iter()
                .filter(|x| a.acting_for.as_ref().is_none_or(|c| *c == x.business_id))
                .filter(|x| {
                    r.positions.iter().any(|p| x.positions.contains(p))
                        || r.mandates.iter().any(|m| x.mandates.contains(m))
                })
                .map(|x| x.business_id.clone())
                .collect();
            note("positions/mandates", !orgs.is_empty(), &|| {
                let have = a
                    .authorities
                    .iter()
                    .map(|x| {
                        let what: Vec<&String> = x.positions.iter().chain(&x.mandates).collect();
                        format!("{}: {}", x.business_id, list(&what))
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                let wanted = list(&r.positions.iter().chain(&r.mandates).collect::<Vec<_>>());
                (wanted, have)
            });
            scope = Scope::Orgs(orgs);
        }
        // Nested rules: a nested rule that needs a higher level counts as
        // failing here; the whole rule is retried at higher levels below.
        let held = |o: RuleOutcome| match o {
            RuleOutcome::Holds(s) => Some(s),
            RuleOutcome::NeedsLoA(_) | RuleOutcome::Fails => None,
        };
        if !r.all.is_empty() {
            let mut ok = true;
            for sub in &r.all {
                match held(self.rule(sub, f, depth, None)) {
                    Some(s) => scope = scope.and(s),
                    None => ok = false,
                }
            }
            note("all", ok, &|| {
                (
                    format!("all of {} nested rules", r.all.len()),
                    String::new(),
                )
            });
        }
        if !r.any.is_empty() {
            let mut found: Option<Scope> = None;
            for sub in &r.any {
                if let Some(s) = held(self.rule(sub, f, depth, None)) {
                    found = Some(match found {
                        None => s,
                        Some(prev) => prev.or(s),
                    });
                }
            }
            let ok = found.is_some();
            if let Some(s) = found {
                scope = scope.and(s);
            }
            note("any", ok, &|| {
                (
                    format!("one of {} nested rules", r.any.len()),
                    String::new(),
                )
            });
        }
        if let Some(min) = r.min_loa {
            note("min_loa", f.loa >= min, &|| {
                (min.to_string(), f.loa.to_string())
            });
        }
        if holds && !scope.is_empty() {
            return RuleOutcome::Holds(scope);
        }
        // Would a stronger login do? Try the levels above the session's.
        for level in [LoA::Substantial, LoA::High] {
            if level > f.loa {
                let mut strong = f.clone();
                strong.loa = level;
                if matches!(self.rule(r, &strong, depth, None), RuleOutcome::Holds(_)) {
                    return RuleOutcome::NeedsLoA(level);
                }
            }
        }
        RuleOutcome::Fails
    }

    /// Every portal this person may reach now, in configuration order.
    pub fn reachable(&self, facts: &Facts) -> Vec<String> {
        self.portals
            .iter()
            .filter(|p| self.decide(&p.id, facts) == Decision::Allow)
            .map(|p| p.id.clone())
            .collect()
    }

    /// Why this person can or cannot reach `portal`, rule by rule.
    pub fn explain(&self, portal: &str, facts: &Facts) -> Explanation {
        let mut rules = Vec::new();
        let (decision, rights) = self.decide_depth(portal, facts, 0, Some(&mut rules));
        Explanation {
            portal: portal.to_string(),
            decision,
            rights,
            rules,
        }
    }
}

#[cfg(test)]
mod cases;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AuthMethod, Network, OrgKind};

    fn portal(id: &str, access: Vec<AccessRule>) -> PortalSettings {
        PortalSettings {
            id: id.into(),
            name: id.into(),
            access,
            claims: None,
            ..PortalSettings::default()
        }
    }

    /// The source documents' rules: Intermetso and Sonette accounts reach
    /// their network; whoever reaches Intermetso, Sonette or Santra reaches
    /// Hopo; Santra is for hospital-district staff by organisation login.
    fn region() -> Policy {
        Policy::new(vec![
            portal(
                "intermetso",
                vec![AccessRule {
                    networks: vec![Network::Intermetso],
                    ..Default::default()
                }],
            ),
            portal(
                "sonette",
                vec![AccessRule {
                    networks: vec![Network::Sonette],
                    ..Default::default()
                }],
            ),
            portal(
                "santra",
                vec![AccessRule {
                    org_kinds: vec![OrgKind::HospitalDistrict, OrgKind::HealthCentre],
                    methods: vec![AuthMethod::Saml],
                    ..Default::default()
                }],
            ),
            portal(
                "hopo",
                vec![AccessRule {
                    via_portals: vec!["intermetso".into(), "sonette".into(), "santra".into()],
                    ..Default::default()
                }],
            ),
            portal(
                "ekstranet",
                vec![AccessRule {
                    min_loa: Some(LoA::Substantial),
                    methods: vec![AuthMethod::SuomiFi, AuthMethod::Smartcard],
                    ..Default::default()
                }],
            ),
        ])
    }

    fn facts(networks: Vec<Network>, kinds: Vec<OrgKind>, m: AuthMethod, loa: LoA) -> Facts {
        Facts {
            networks,
            org_kinds: kinds,
            source: "password".into(),
            loa,
            methods: vec![m],
            attributes: LoginAttributes::default(),
        }
    }

    #[test]
    fn intermetso_account_reaches_intermetso_and_hopo() {
        let f = facts(
            vec![Network::Intermetso],
            vec![OrgKind::HealthCentre],
            AuthMethod::Password,
            LoA::Low,
        );
        assert_eq!(region().reachable(&f), vec!["intermetso", "hopo"]);
    }

    #[test]
    fn sonette_account_reaches_sonette_and_hopo_only() {
        let f = facts(
            vec![Network::Sonette],
            vec![OrgKind::SocialServices],
            AuthMethod::Password,
            LoA::Low,
        );
        let p = region();
        assert_eq!(p.reachable(&f), vec!["sonette", "hopo"]);
        assert_eq!(
            p.decide("intermetso", &f),
            Decision::Deny(DenyReason::NoRuleMatches)
        );
    }

    #[test]
    fn hospital_staff_by_organisation_login_reach_santra_and_hopo() {
        let f = facts(
            vec![],
            vec![OrgKind::HospitalDistrict],
            AuthMethod::Saml,
            LoA::Substantial,
        );
        assert_eq!(region().reachable(&f), vec!["santra", "hopo"]);
        // The same organisation by password does not reach Santra.
        let f = facts(
            vec![],
            vec![OrgKind::HospitalDistrict],
            AuthMethod::Password,
            LoA::Low,
        );
        assert!(region().reachable(&f).is_empty());
    }

    #[test]
    fn weak_level_asks_for_step_up() {
        let f = facts(vec![], vec![], AuthMethod::SuomiFi, LoA::Low);
        assert_eq!(
            region().decide("ekstranet", &f),
            Decision::StepUp(LoA::Substantial)
        );
        let f = facts(vec![], vec![], AuthMethod::SuomiFi, LoA::High);
        assert_eq!(region().decide("ekstranet", &f), Decision::Allow);
    }

    #[test]
    fn unknown_portal_is_denied() {
        let f = facts(
            vec![Network::Intermetso],
            vec![],
            AuthMethod::Password,
            LoA::Low,
        );
        assert_eq!(
            region().decide("nope", &f),
            Decision::Deny(DenyReason::UnknownPortal)
        );
    }

    #[test]
    fn loops_are_refused() {
        let a = portal(
            "a",
            vec![AccessRule {
                via_portals: vec!["b".into()],
                ..Default::default()
            }],
        );
        let b = portal(
            "b",
            vec![AccessRule {
                via_portals: vec!["a".into()],
                ..Default::default()
            }],
        );
        let err = check_acyclic(&[a, b]).unwrap_err();
        assert!(err.contains("a → b → a"), "{err}");
    }

    #[test]
    fn a_portal_without_rules_is_reached_by_nobody() {
        let p = Policy::new(vec![portal("closed", vec![])]);
        let f = facts(
            vec![Network::Intermetso],
            vec![],
            AuthMethod::Password,
            LoA::High,
        );
        assert!(p.reachable(&f).is_empty());
    }
}
