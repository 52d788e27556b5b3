//! Portal access: a pure function from what is known of a person and
//! their session to which portals they may reach. Rules live in
//! configuration (`[[portals]]`), so a region adds a portal without code.

use std::collections::{HashMap, HashSet};

use crate::config::{AccessRule, PortalSettings};
use crate::domain::{AuthMethod, LoA, Network, OrgKind};

/// The facts a decision is made on.
#[derive(Debug, Clone)]
pub struct Facts {
    pub networks: Vec<Network>,
    pub org_kinds: Vec<OrgKind>,
    pub source: String,
    pub loa: LoA,
    pub methods: Vec<AuthMethod>,
}

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
            for rule in &p.access {
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

enum RuleOutcome {
    Holds,
    NeedsLoA(LoA),
    Fails,
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

    pub fn decide(&self, portal: &str, facts: &Facts) -> Decision {
        self.decide_depth(portal, facts, 0)
    }

    fn decide_depth(&self, portal: &str, facts: &Facts, depth: usize) -> Decision {
        let Some(p) = self.portal(portal) else {
            return Decision::Deny(DenyReason::UnknownPortal);
        };
        // Depth is bounded by the number of portals: the rules are acyclic.
        if depth > self.portals.len() {
            return Decision::Deny(DenyReason::NoRuleMatches);
        }
        let mut step_up: Option<LoA> = None;
        for rule in &p.access {
            match self.rule(rule, facts, depth) {
                RuleOutcome::Holds => return Decision::Allow,
                RuleOutcome::NeedsLoA(l) => step_up = Some(step_up.map_or(l, |s| s.min(l))),
                RuleOutcome::Fails => {}
            }
        }
        match step_up {
            Some(l) => Decision::StepUp(l),
            None => Decision::Deny(DenyReason::NoRuleMatches),
        }
    }

    fn rule(&self, r: &AccessRule, f: &Facts, depth: usize) -> RuleOutcome {
        fn any<T: PartialEq>(want: &[T], have: &[T]) -> bool {
            want.is_empty() || want.iter().any(|w| have.contains(w))
        }
        let holds = any(&r.networks, &f.networks)
            && any(&r.org_kinds, &f.org_kinds)
            && any(&r.methods, &f.methods)
            && (r.sources.is_empty() || r.sources.contains(&f.source))
            && (r.via_portals.is_empty()
                || r.via_portals
                    .iter()
                    .any(|v| self.decide_depth(v, f, depth + 1) == Decision::Allow));
        match (holds, r.min_loa) {
            (false, _) => RuleOutcome::Fails,
            (true, Some(min)) if f.loa < min => RuleOutcome::NeedsLoA(min),
            (true, _) => RuleOutcome::Holds,
        }
    }

    /// Every portal this person may reach now, in configuration order.
    pub fn reachable(&self, facts: &Facts) -> Vec<String> {
        self.portals
            .iter()
            .filter(|p| self.decide(&p.id, facts) == Decision::Allow)
            .map(|p| p.id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn portal(id: &str, access: Vec<AccessRule>) -> PortalSettings {
        PortalSettings {
            id: id.into(),
            name: id.into(),
            access,
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
