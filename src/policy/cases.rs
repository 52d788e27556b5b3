//! The source documents' cases as a table, against rules written the way
//! a region writes them (TOML).

use serde::Deserialize;

use super::*;
use crate::domain::{AuthMethod, CardType, Network, OrgKind};

const REGION: &str = r#"
[[portals]]
id = "intermetso"
name = "Intermetso"
[[portals.access]]
networks = ["intermetso"]

[[portals]]
id = "sonette"
name = "Sonette"
[[portals.access]]
networks = ["sonette"]

[[portals]]
id = "santra"
name = "Santra"
[[portals.access]]
label = "hospital district and health centre staff by organisation login"
org_kinds = ["hospital_district", "health_centre"]
methods = ["saml"]

[[portals]]
id = "hopo"
name = "Hopo"
[[portals.access]]
via_portals = ["intermetso", "sonette", "santra"]

[[portals]]
id = "ekstranet"
name = "Kanta Ekstranet"
claims = ["name", "authorities"]
[[portals.access]]
label = "responsible person by trade-register position"
methods = ["suomifi", "sc"]
min_loa = "substantial"
positions = ["ELI", "TJ", "TJS", "VTJ"]
[[portals.access]]
label = "onboarding mandate"
methods = ["suomifi", "sc"]
min_loa = "substantial"
mandates = ["sote-onboarding"]
right = "full"
[[portals.access]]
label = "data-protection instructions mandate"
methods = ["suomifi", "sc"]
min_loa = "substantial"
mandates = ["sote-dataprotection-view"]
right = "read_only"

[[portals]]
id = "archivist"
name = "Arkistonhoitajan käyttöliittymä"
[[portals.access]]
label = "high level, by card or Suomi.fi"
min_loa = "high"
any = [
  { methods = ["sc"], card_types = ["professional", "staff", "operator"] },
  { methods = ["suomifi"] },
]

[[portals]]
id = "mielenterveystalo"
name = "Mielenterveystalo ammattilaisille"
[[portals.access]]
label = "registered professionals of the listed groups"
profession_groups = ["psychologist", "physician", "nurse"]
all = [{ min_loa = "substantial" }]
any = [{ methods = ["saml"] }, { methods = ["suomifi", "sc"] }]

[[portals]]
id = "terapiaohjeet"
name = "Terapiaohjeet"
[[portals.access]]
label = "psychologists by their own word"
profession_groups = ["psychologist"]
accept_self_declared = true

[[portals]]
id = "kuntoutus"
name = "Kuntoutus"
[[portals.access]]
label = "physiotherapists by their own word, physicians vouched for"
min_loa = "substantial"
any = [
  { profession_groups = ["physiotherapist"], accept_self_declared = true },
  { profession_groups = ["physician"] },
]
"#;

#[derive(Deserialize)]
struct Region {
    portals: Vec<PortalSettings>,
}

fn region() -> Policy {
    let r: Region = toml::from_str(REGION).expect("region rules parse");
    check_acyclic(&r.portals).expect("acyclic");
    check_rules(&r.portals).expect("rules check");
    Policy::new(r.portals)
}

fn f(source: &str, methods: &[AuthMethod], loa: LoA) -> Facts {
    Facts {
        networks: vec![],
        org_kinds: vec![],
        source: source.into(),
        loa,
        methods: methods.to_vec(),
        attributes: LoginAttributes::default(),
    }
}

fn authority(bid: &str, positions: &[&str], mandates: &[&str]) -> Authority {
    Authority {
        business_id: bid.into(),
        name: None,
        positions: positions.iter().map(|s| s.to_string()).collect(),
        mandates: mandates.iter().map(|s| s.to_string()).collect(),
    }
}

struct Case {
    what: &'static str,
    facts: Facts,
    portal: &'static str,
    decision: Decision,
    rights: Rights,
}

fn cases() -> Vec<Case> {
    use AuthMethod::*;
    let deny = Decision::Deny(DenyReason::NoRuleMatches);
    let hospital = Facts {
        org_kinds: vec![OrgKind::HospitalDistrict],
        ..f("saml", &[Saml], LoA::Substantial)
    };
    let intermetso = Facts {
        networks: vec![Network::Intermetso],
        org_kinds: vec![OrgKind::HealthCentre],
        ..f("password", &[Password], LoA::Low)
    };
    let mut director = f("suomifi", &[SuomiFi], LoA::Substantial);
    director.attributes.authorities = vec![
        authority("7019376-8", &["TJ"], &[]),
        authority("0208153-7", &["YHM"], &[]),
    ];
    let mut reader = f("suomifi", &[SuomiFi], LoA::Substantial);
    reader.attributes.authorities =
        vec![authority("1943231-3", &[], &["sote-dataprotection-view"])];
    let mut both = f("suomifi", &[SuomiFi], LoA::High);
    both.attributes.authorities = vec![
        authority(
            "1943231-3",
            &[],
            &["sote-dataprotection-view", "sote-onboarding"],
        ),
        authority("7019376-8", &[], &["sote-dataprotection-view"]),
    ];
    let mut acting = both.clone();
    acting.attributes.acting_for = Some("7019376-8".into());
    let mut no_mandate = f("suomifi", &[SuomiFi], LoA::Substantial);
    no_mandate.attributes.authorities = vec![authority("7019376-8", &["YHM"], &[])];
    let mut weak_director = director.clone();
    weak_director.loa = LoA::Low;
    let bank = f("suomifi", &[SuomiFi], LoA::Substantial);
    let mut card = f("card", &[Smartcard], LoA::High);
    card.attributes.card_type = Some(CardType::Professional);
    let mut test_card = card.clone();
    test_card.attributes.card_type = Some(CardType::Test);
    // A profession group a source vouched for (no source does yet; the
    // profile form's is self-declared, `declared` below).
    let mut psychologist = f("suomifi", &[SuomiFi], LoA::Substantial);
    psychologist.attributes.profession_group = Some("psychologist".into());
    psychologist.attributes.profession_group_provenance = Provenance::Vouched;
    let mut student = psychologist.clone();
    student.attributes.profession_group = Some("student".into());
    let mut weak_psychologist = psychologist.clone();
    weak_psychologist.loa = LoA::Low;
    let declared = |group: &str| {
        let mut d = f("suomifi", &[SuomiFi], LoA::Substantial);
        d.attributes.profession_group = Some(group.into());
        d
    };
    let mut vouched_physician = declared("physician");
    vouched_physician.attributes.profession_group_provenance = Provenance::Vouched;
    let full = |b: &str| vec![(b.to_string(), Right::Full)];
    vec![
        Case {
            what: "hospital-district employee by organisation login reaches Santra",
            facts: hospital.clone(),
            portal: "santra",
            decision: Decision::Allow,
            rights: vec![],
        },
        Case {
            what: "… and Hopo through Santra",
            facts: hospital.clone(),
            portal: "hopo",
            decision: Decision::Allow,
            rights: vec![],
        },
        Case {
            what: "… but not Intermetso without an account there",
            facts: hospital,
            portal: "intermetso",
            decision: deny.clone(),
            rights: vec![],
        },
        Case {
            what: "Intermetso account reaches Hopo",
            facts: intermetso.clone(),
            portal: "hopo",
            decision: Decision::Allow,
            rights: vec![],
        },
        Case {
            what: "Intermetso account does not reach Santra",
            facts: intermetso.clone(),
            portal: "santra",
            decision: deny.clone(),
            rights: vec![],
        },
        Case {
            what: "password login does not reach Ekstranet",
            facts: intermetso,
            portal: "ekstranet",
            decision: deny.clone(),
            rights: vec![],
        },
        Case {
            what: "managing director by Suomi.fi reaches Ekstranet for that company only",
            facts: director,
            portal: "ekstranet",
            decision: Decision::Allow,
            rights: full("7019376-8"),
        },
        Case {
            what: "read-only mandate gives the read-only right",
            facts: reader,
            portal: "ekstranet",
            decision: Decision::Allow,
            rights: vec![("1943231-3".into(), Right::ReadOnly)],
        },
        Case {
            what: "the stronger of two mandates wins, per organisation",
            facts: both,
            portal: "ekstranet",
            decision: Decision::Allow,
            rights: vec![
                ("1943231-3".into(), Right::Full),
                ("7019376-8".into(), Right::ReadOnly),
            ],
        },
        Case {
            what: "acting for one organisation leaves the others out",
            facts: acting,
            portal: "ekstranet",
            decision: Decision::Allow,
            rights: vec![("7019376-8".into(), Right::ReadOnly)],
        },
        Case {
            what: "a shareholder without a position or mandate is refused",
            facts: no_mandate,
            portal: "ekstranet",
            decision: deny.clone(),
            rights: vec![],
        },
        Case {
            what: "managing director at a low level is stepped up",
            facts: weak_director,
            portal: "ekstranet",
            decision: Decision::StepUp(LoA::Substantial),
            rights: vec![],
        },
        Case {
            what: "bank-credential login below the required level is stepped up",
            facts: bank.clone(),
            portal: "archivist",
            decision: Decision::StepUp(LoA::High),
            rights: vec![],
        },
        Case {
            what: "card login at high level passes",
            facts: card,
            portal: "archivist",
            decision: Decision::Allow,
            rights: vec![],
        },
        Case {
            what: "a test card does not",
            facts: test_card,
            portal: "archivist",
            decision: deny.clone(),
            rights: vec![],
        },
        Case {
            what: "profession group in the list reaches Mielenterveystalo",
            facts: psychologist,
            portal: "mielenterveystalo",
            decision: Decision::Allow,
            rights: vec![],
        },
        Case {
            what: "another profession group does not",
            facts: student,
            portal: "mielenterveystalo",
            decision: deny.clone(),
            rights: vec![],
        },
        Case {
            what: "a nested level requirement steps up",
            facts: weak_psychologist,
            portal: "mielenterveystalo",
            decision: Decision::StepUp(LoA::Substantial),
            rights: vec![],
        },
        Case {
            what: "without a profession group: refused",
            facts: bank.clone(),
            portal: "mielenterveystalo",
            decision: deny.clone(),
            rights: vec![],
        },
        Case {
            what: "a self-declared profession group does not count where the rule does not say so",
            facts: declared("psychologist"),
            portal: "mielenterveystalo",
            decision: deny.clone(),
            rights: vec![],
        },
        Case {
            what: "… nor does it bring a step-up",
            facts: Facts {
                loa: LoA::Low,
                ..declared("psychologist")
            },
            portal: "mielenterveystalo",
            decision: deny.clone(),
            rights: vec![],
        },
        Case {
            what: "a rule with accept_self_declared takes the person's word",
            facts: declared("psychologist"),
            portal: "terapiaohjeet",
            decision: Decision::Allow,
            rights: vec![],
        },
        Case {
            what: "… for the groups it names only",
            facts: declared("student"),
            portal: "terapiaohjeet",
            decision: deny.clone(),
            rights: vec![],
        },
        Case {
            what: "… and not without a profession group",
            facts: bank,
            portal: "terapiaohjeet",
            decision: deny.clone(),
            rights: vec![],
        },
        Case {
            what: "a vouched profession group needs no accept_self_declared",
            facts: vouched_physician,
            portal: "kuntoutus",
            decision: Decision::Allow,
            rights: vec![],
        },
        Case {
            what: "accept_self_declared in a nested rule is that nested rule's only",
            facts: declared("physician"),
            portal: "kuntoutus",
            decision: deny.clone(),
            rights: vec![],
        },
        Case {
            what: "… where it is set, the person's word counts",
            facts: declared("physiotherapist"),
            portal: "kuntoutus",
            decision: Decision::Allow,
            rights: vec![],
        },
        Case {
            what: "… at the level the outer rule needs",
            facts: Facts {
                loa: LoA::Low,
                ..declared("physiotherapist")
            },
            portal: "kuntoutus",
            decision: Decision::StepUp(LoA::Substantial),
            rights: vec![],
        },
    ]
}

#[test]
fn the_source_documents_cases() {
    let p = region();
    let mut failed = Vec::new();
    for c in cases() {
        let (d, r) = p.decide_with_rights(c.portal, &c.facts);
        if d != c.decision || r != c.rights {
            failed.push(format!(
                "{}: got {d:?} {r:?}, want {:?} {:?}\n{}",
                c.what,
                c.decision,
                c.rights,
                p.explain(c.portal, &c.facts)
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn explanation_names_each_rule_and_failing_condition() {
    let p = region();
    let mut fx = f("suomifi", &[AuthMethod::SuomiFi], LoA::Substantial);
    fx.attributes.authorities = vec![authority("7019376-8", &["YHM"], &[])];
    let e = p.explain("ekstranet", &fx);
    assert_eq!(e.rules.len(), 3);
    let text = e.to_string();
    assert!(text.contains("may not reach it"), "{text}");
    assert!(
        text.contains("rule 1 (responsible person by trade-register position): fails"),
        "{text}"
    );
    assert!(text.contains("FAIL positions/mandates"), "{text}");
    assert!(text.contains("ok   min_loa"), "{text}");
}

#[test]
fn explanation_says_a_self_declared_group_was_not_accepted() {
    let p = region();
    let mut fx = f("suomifi", &[AuthMethod::SuomiFi], LoA::Substantial);
    fx.attributes.profession_group = Some("nurse".into());
    let e = p.explain("mielenterveystalo", &fx);
    assert!(e.refused_self_declared());
    let text = e.to_string();
    assert!(text.contains("ok   profession_groups"), "{text}");
    assert!(text.contains("has nurse (self-declared)"), "{text}");
    assert!(text.contains("FAIL self_declared"), "{text}");
    // Where the rule takes the person's word, nothing to say.
    fx.attributes.profession_group = Some("psychologist".into());
    assert!(!p.explain("terapiaohjeet", &fx).refused_self_declared());
}

#[test]
fn rules_are_checked_naming_portal_and_field() {
    let bad = REGION.replace(
        "claims = [\"name\", \"authorities\"]",
        "claims = [\"hetu\"]",
    );
    let r: Region = toml::from_str(&bad).unwrap();
    let err = check_rules(&r.portals).unwrap_err();
    assert!(
        err.contains("\"ekstranet\"") && err.contains("hetu"),
        "{err}"
    );
    let bad = REGION.replace(
        "{ methods = [\"suomifi\"] },\n]",
        "{ via_portals = [\"nowhere\"] },\n]",
    );
    let r: Region = toml::from_str(&bad).unwrap();
    let err = check_rules(&r.portals).unwrap_err();
    assert!(
        err.contains("archivist") && err.contains("nowhere"),
        "{err}"
    );
    let bad = REGION.replace(
        "profession_groups = [\"psychologist\"]\naccept_self_declared = true",
        "accept_self_declared = true",
    );
    let r: Region = toml::from_str(&bad).unwrap();
    let err = check_rules(&r.portals).unwrap_err();
    assert!(
        err.contains("terapiaohjeet") && err.contains("accept_self_declared"),
        "{err}"
    );
    let bad = REGION.replace("card_types = [\"professional\"", "card_types = [\"gold\"");
    let err = toml::from_str::<Region>(&bad).err().unwrap().to_string();
    assert!(err.contains("gold"), "{err}");
}
