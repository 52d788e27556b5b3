//! Why a person may not reach a portal, told to the person: what each of
//! the portal's rules still needs and what to do next, in the page's
//! language, with portals, sources, levels and organisation kinds named as
//! people know them. (Operators get the rule-by-rule `policy explain`.)

use crate::domain::{Lang, LoA, OrgKind};
use crate::policy::{Check, Explanation};

/// The name in the page's language of a portal (`"via_portals"`) or a
/// source (`"sources"`) the configuration names by id.
pub type Names<'a> = &'a dyn Fn(&str, &str) -> Option<String>;

/// What is missing, one line per rule that fails, without repeats: any one
/// of them, once met, would give access.
pub fn missing(expl: &Explanation, lang: Lang, names: Names<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rule in expl.rules.iter().filter(|r| !r.holds) {
        let line = rule
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| phrase(c, lang, names))
            .collect::<Vec<_>>()
            .join("; ");
        if !line.is_empty() && !out.contains(&line) {
            out.push(line);
        }
    }
    out
}

fn pick(lang: Lang, fi: &'static str, sv: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Fi => fi,
        Lang::Sv => sv,
        Lang::En => en,
    }
}

/// What to do next, one line per way: log in again with a method that
/// would do, or ask the liaison person for an account. Rules that need
/// what a person cannot do alone (a mandate, another portal) give none:
/// the portal's own help text and the list above speak for them.
pub fn next_steps(expl: &Explanation, lang: Lang) -> Vec<String> {
    let l = |fi, sv, en| pick(lang, fi, sv, en);
    let mut out: Vec<String> = Vec::new();
    for rule in expl.rules.iter().filter(|r| !r.holds) {
        let failing: Vec<&str> = rule
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.field)
            .collect();
        let login_only = !failing.is_empty()
            && failing
                .iter()
                .all(|f| ["methods", "min_loa", "card_types"].contains(f));
        let line = if login_only {
            let strong = rule
                .checks
                .iter()
                .find(|c| c.field == "min_loa")
                .and_then(|c| c.wanted.parse::<LoA>().ok())
                .is_some_and(|l| l >= LoA::Substantial);
            let methods = rule
                .checks
                .iter()
                .find(|c| c.field == "methods")
                .map(|c| c.wanted.clone())
                .unwrap_or_else(|| "suomifi, mca, sc".into());
            let ways: Vec<&str> = methods
                .split(", ")
                .filter_map(|m| way(m, strong, lang))
                .collect();
            if ways.is_empty() {
                continue;
            }
            if ways.len() == 1 {
                format!(
                    "{} {}.",
                    l("Kirjaudu uudelleen", "Logga in på nytt", "Log in again"),
                    ways[0]
                )
            } else {
                format!(
                    "{}: {}.",
                    l(
                        "Kirjaudu uudelleen jollakin näistä tavoista",
                        "Logga in på nytt på något av dessa sätt",
                        "Log in again in one of these ways"
                    ),
                    ways.join("; ")
                )
            }
        } else if failing == ["networks"] {
            let wanted = rule
                .checks
                .iter()
                .find(|c| c.field == "networks")
                .map(|c| networks(&c.wanted))
                .unwrap_or_default();
            format!(
                "{}: {wanted}.",
                l(
                    "Pyydä organisaatiosi yhdyshenkilöltä tunnus",
                    "Be din organisations kontaktperson om ett konto i",
                    "Ask your organisation's liaison person for an account in"
                )
            )
        } else {
            continue;
        };
        if !out.contains(&line) {
            out.push(line);
        }
    }
    out
}

/// A login method as the way to log in again ("through Suomi.fi with bank
/// codes…"); `strong`: the rule asks for substantial or more.
fn way(method: &str, strong: bool, lang: Lang) -> Option<&'static str> {
    let l = |fi, sv, en| Some(pick(lang, fi, sv, en));
    match method {
        "suomifi" if strong => l(
            "Suomi.fi-tunnistuksella pankkitunnuksilla, mobiilivarmenteella tai varmennekortilla",
            "med Suomi.fi-identifiering med bankkoder, mobilcertifikat eller certifikatkort",
            "through Suomi.fi with bank codes, a mobile certificate or a certificate card",
        ),
        "suomifi" => l(
            "Suomi.fi-tunnistuksella",
            "med Suomi.fi-identifiering",
            "through Suomi.fi",
        ),
        "mca" => l(
            "mobiilivarmenteella",
            "med mobilcertifikat",
            "with a mobile certificate",
        ),
        "sc" => l(
            "varmennekortilla",
            "med certifikatkort",
            "with a certificate card",
        ),
        "saml" | "oidc" => l(
            "organisaatiosi kirjautumisella",
            "med din organisations inloggning",
            "with your organisation's login",
        ),
        "pwd" => l(
            "Intermetso- tai Sonette-tunnuksella",
            "med ett Intermetso- eller Sonette-konto",
            "with an Intermetso or Sonette account",
        ),
        _ => None,
    }
}

/// Level names as Finnish, Swedish and English identification speaks of
/// them (eIDAS: low, substantial, high).
fn level(code: &str, lang: Lang) -> String {
    let l = |fi, sv, en| pick(lang, fi, sv, en).to_string();
    match code.parse::<LoA>() {
        Ok(LoA::Low) => l("matala", "låg", "low"),
        Ok(LoA::Substantial) => l(
            "korotettu (esimerkiksi pankkitunnukset tai mobiilivarmenne)",
            "väsentlig (till exempel bankkoder eller mobilcertifikat)",
            "substantial (for example bank codes or a mobile certificate)",
        ),
        Ok(LoA::High) => l(
            "korkea (esimerkiksi varmennekortti)",
            "hög (till exempel certifikatkort)",
            "high (for example a certificate card)",
        ),
        Err(_) => code.to_string(),
    }
}

fn org_kind(code: &str, lang: Lang) -> String {
    let l = |fi, sv, en| pick(lang, fi, sv, en).to_string();
    match code.parse::<OrgKind>() {
        Ok(OrgKind::HospitalDistrict) => l(
            "sairaanhoitopiiri",
            "sjukvårdsdistrikt",
            "hospital district",
        ),
        Ok(OrgKind::WellbeingArea) => l(
            "hyvinvointialue",
            "välfärdsområde",
            "wellbeing services county",
        ),
        Ok(OrgKind::HealthCentre) => l("terveyskeskus", "hälsocentral", "health centre"),
        Ok(OrgKind::Municipality) => l("kunta", "kommun", "municipality"),
        Ok(OrgKind::SocialServices) => l("sosiaalipalvelut", "socialtjänst", "social services"),
        Ok(OrgKind::PrivateProvider) => l(
            "yksityinen palveluntuottaja",
            "privat tjänsteproducent",
            "private provider",
        ),
        Ok(OrgKind::School) => l("oppilaitos", "läroanstalt", "school"),
        Ok(OrgKind::Ngo) => l("järjestö", "organisation", "non-governmental organisation"),
        Ok(OrgKind::Other) => l(
            "muu organisaatio",
            "annan organisation",
            "other organisation",
        ),
        Err(_) => code.to_string(),
    }
}

/// Network codes as their names ("intermetso" → "Intermetso").
fn networks(codes: &str) -> String {
    codes
        .split(", ")
        .map(|n| match n.parse() {
            Ok(net) => crate::web::pages::network_name(net).to_string(),
            Err(_) => n.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each comma-separated value through `f`.
fn each(values: &str, f: impl Fn(&str) -> String) -> String {
    values.split(", ").map(f).collect::<Vec<_>>().join(", ")
}

/// One unmet condition in words.
fn phrase(c: &Check, lang: Lang, names: Names<'_>) -> String {
    let l = |fi, sv, en| pick(lang, fi, sv, en);
    let named = |field: &str| {
        each(&c.wanted, |id| {
            names(field, id).unwrap_or_else(|| id.to_string())
        })
    };
    let (what, values) = match c.field {
        "networks" => (
            l(
                "käyttäjätunnus verkossa",
                "användarkonto i nätverket",
                "an account in the network",
            ),
            networks(&c.wanted),
        ),
        "org_kinds" => (
            l(
                "kirjautuminen organisaatiosta, jonka tyyppi on",
                "inloggning från en organisation av typen",
                "a login from an organisation of the kind",
            ),
            each(&c.wanted, |k| org_kind(k, lang)),
        ),
        "methods" => (
            l("tunnistautuminen", "identifiering med", "identification by"),
            methods(&c.wanted, lang),
        ),
        "sources" => (
            l(
                "kirjautuminen palvelusta",
                "inloggning via",
                "a login through",
            ),
            named("sources"),
        ),
        "min_loa" => (
            l(
                "tunnistautumisen varmuustaso vähintään",
                "identifieringens tillitsnivå minst",
                "identification at least at the level",
            ),
            level(&c.wanted, lang),
        ),
        "card_types" => (
            l(
                "varmennekortti, tyyppi",
                "certifikatkort av typen",
                "a certificate card of the type",
            ),
            c.wanted.clone(),
        ),
        "profession_groups" => (
            l("ammattiryhmä", "yrkesgrupp", "the profession group"),
            c.wanted.clone(),
        ),
        "self_declared" => (
            l(
                "ammattiryhmä, jonka joku muu kuin sinä itse on vahvistanut (oma ilmoituksesi ei riitä tähän palveluun)",
                "en yrkesgrupp som någon annan än du själv har bekräftat (din egen uppgift räcker inte för den här tjänsten)",
                "a profession group confirmed by someone other than yourself (your own statement is not enough for this service)",
            ),
            String::new(),
        ),
        "via_portals" => (
            l(
                "pääsy johonkin palveluista",
                "åtkomst till någon av tjänsterna",
                "access to one of the services",
            ),
            named("via_portals"),
        ),
        "positions/mandates" => (
            l(
                "organisaatiossa kaupparekisteriin merkitty asema tai Suomi.fi-valtuus",
                "en ställning i organisationen enligt handelsregistret eller en Suomi.fi-fullmakt",
                "a trade-register position in the organisation or a Suomi.fi mandate",
            ),
            c.wanted.clone(),
        ),
        _ => (
            l("lisäehdot", "ytterligare villkor", "further conditions"),
            String::new(),
        ),
    };
    if values.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {values}")
    }
}

/// Method codes as people know them.
fn methods(codes: &str, lang: Lang) -> String {
    codes
        .split(", ")
        .map(|m| match m {
            "suomifi" => "Suomi.fi".to_string(),
            "sc" => pick(lang, "varmennekortti", "certifikatkort", "certificate card").into(),
            "mca" => pick(
                lang,
                "mobiilivarmenne",
                "mobilcertifikat",
                "mobile certificate",
            )
            .into(),
            "saml" | "oidc" => pick(
                lang,
                "organisaation kirjautuminen",
                "organisationens inloggning",
                "organisation login",
            )
            .into(),
            "pwd" => pick(lang, "salasana", "lösenord", "password").into(),
            "otp" => pick(
                lang,
                "vahvistuskoodi",
                "verifieringskod",
                "authenticator code",
            )
            .into(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Decision, DenyReason, RuleReport};

    fn check(field: &'static str, wanted: &str, ok: bool) -> Check {
        Check {
            field,
            wanted: wanted.into(),
            have: String::new(),
            ok,
        }
    }

    fn rule(number: usize, holds: bool, checks: Vec<Check>) -> RuleReport {
        RuleReport {
            number,
            label: None,
            outcome: String::new(),
            holds,
            step_up: None,
            checks,
        }
    }

    #[test]
    fn says_what_each_failing_rule_lacks_once() {
        let e = Explanation {
            portal: "ekstranet".into(),
            decision: Decision::Deny(DenyReason::NoRuleMatches),
            rights: Default::default(),
            rules: vec![
                rule(
                    1,
                    false,
                    vec![
                        check("methods", "suomifi, sc, mca", true),
                        check("positions/mandates", "ELI, TJ", false),
                    ],
                ),
                rule(
                    2,
                    false,
                    vec![check("positions/mandates", "ELI, TJ", false)],
                ),
                rule(3, false, vec![check("methods", "sc, mca", false)]),
            ],
        };
        let none = |_: &str, _: &str| None;
        let fi = missing(&e, Lang::Fi, &none);
        assert_eq!(
            fi,
            vec![
                "organisaatiossa kaupparekisteriin merkitty asema tai Suomi.fi-valtuus: ELI, TJ",
                "tunnistautuminen: varmennekortti, mobiilivarmenne",
            ]
        );
        let en = missing(&e, Lang::En, &none);
        assert_eq!(
            en[1],
            "identification by: certificate card, mobile certificate"
        );
    }

    /// The demo's Tea Testaaja: Suomi.fi's test method (low) at
    /// Mielenterveystalo, which any of three portals or Suomi.fi at
    /// substantial opens.
    #[test]
    fn names_portals_and_levels_and_says_what_to_do() {
        let e = Explanation {
            portal: "mielenterveystalo".into(),
            decision: Decision::StepUp(crate::domain::LoA::Substantial),
            rights: Default::default(),
            rules: vec![
                rule(
                    1,
                    false,
                    vec![check("via_portals", "intermetso, sonette, santra", false)],
                ),
                rule(
                    2,
                    false,
                    vec![
                        check("methods", "suomifi, mca", true),
                        check("min_loa", "substantial", false),
                    ],
                ),
            ],
        };
        let names = |field: &str, id: &str| {
            (field == "via_portals").then(|| {
                let mut n = id.to_string();
                n[..1].make_ascii_uppercase();
                n
            })
        };
        let sv = missing(&e, Lang::Sv, &names);
        assert_eq!(
            sv,
            vec![
                "åtkomst till någon av tjänsterna: Intermetso, Sonette, Santra",
                "identifieringens tillitsnivå minst: väsentlig (till exempel bankkoder eller mobilcertifikat)",
            ]
        );
        assert_eq!(
            next_steps(&e, Lang::En),
            vec![
                "Log in again in one of these ways: through Suomi.fi with bank codes, a mobile certificate or a certificate card; with a mobile certificate."
            ]
        );
        let fi = next_steps(&e, Lang::Fi);
        assert!(
            fi[0].starts_with("Kirjaudu uudelleen jollakin näistä tavoista: Suomi.fi-tunnistuksella pankkitunnuksilla"),
            "{fi:?}"
        );
        // A missing network account: ask the liaison person.
        let e = Explanation {
            rules: vec![rule(1, false, vec![check("networks", "intermetso", false)])],
            ..e
        };
        assert_eq!(
            next_steps(&e, Lang::Fi),
            vec!["Pyydä organisaatiosi yhdyshenkilöltä tunnus: Intermetso."]
        );
    }
}
