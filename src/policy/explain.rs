//! "Why can / can't this person reach this portal", rule by rule: for
//! `porttivahti policy explain` and the operator page.

use std::fmt;

use super::{Decision, Rights, RuleOutcome, Scope};
use crate::config::AccessRule;
use crate::domain::LoA;

/// One condition of a rule, as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub field: &'static str,
    pub wanted: String,
    pub have: String,
    pub ok: bool,
}

/// One top-level rule of a portal and how it came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleReport {
    /// 1-based, as a person counts `[[portals.access]]` blocks.
    pub number: usize,
    pub label: Option<String>,
    /// `holds`, `holds for …`, `needs level …`, `fails`.
    pub outcome: String,
    pub holds: bool,
    pub step_up: Option<LoA>,
    pub checks: Vec<Check>,
}

impl RuleReport {
    pub(super) fn new(i: usize, rule: &AccessRule, o: &RuleOutcome, checks: Vec<Check>) -> Self {
        let (outcome, holds, step_up) = match o {
            RuleOutcome::Holds(Scope::Everyone) => ("holds".to_string(), true, None),
            RuleOutcome::Holds(Scope::Orgs(v)) => {
                (format!("holds for {}", v.join(", ")), true, None)
            }
            RuleOutcome::NeedsLoA(l) => (format!("needs level {l}"), false, Some(*l)),
            RuleOutcome::Fails => ("fails".to_string(), false, None),
        };
        Self {
            number: i + 1,
            label: rule.label.clone(),
            outcome,
            holds,
            step_up,
            checks,
        }
    }
}

/// The whole answer for one portal.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub portal: String,
    pub decision: Decision,
    pub rights: Rights,
    pub rules: Vec<RuleReport>,
}

impl Explanation {
    /// Some rule would have held but for a profession group the person
    /// declared themself, which the rule does not accept.
    pub fn refused_self_declared(&self) -> bool {
        self.rules
            .iter()
            .flat_map(|r| &r.checks)
            .any(|c| c.field == "self_declared" && !c.ok)
    }

    pub fn verdict(&self) -> String {
        match &self.decision {
            Decision::Allow => "may reach it".into(),
            Decision::StepUp(l) => format!("may reach it after a stronger login (level {l})"),
            Decision::Deny(super::DenyReason::UnknownPortal) => "no such portal".into(),
            Decision::Deny(super::DenyReason::NoRuleMatches) => "may not reach it".into(),
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "portal {}: {}", self.portal, self.verdict())?;
        for (org, right) in &self.rights {
            writeln!(f, "  for organisation {org}: {right}")?;
        }
        if self.rules.is_empty()
            && self.decision != Decision::Deny(super::DenyReason::UnknownPortal)
        {
            writeln!(f, "  the portal has no rules: nobody reaches it")?;
        }
        for r in &self.rules {
            let label = r
                .label
                .as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            writeln!(f, "  rule {}{label}: {}", r.number, r.outcome)?;
            if r.checks.is_empty() {
                writeln!(f, "    no conditions: holds for everyone who logs in")?;
            }
            for c in &r.checks {
                let mark = if c.ok { "ok  " } else { "FAIL" };
                let have = if c.have.is_empty() {
                    "-"
                } else {
                    c.have.as_str()
                };
                writeln!(f, "    {mark} {}: wants {}; has {have}", c.field, c.wanted)?;
            }
        }
        Ok(())
    }
}
