//! Why a person may not reach a portal, told to the person: what each of
//! the portal's rules still needs, in the page's language. (Operators get
//! the rule-by-rule `policy explain`.)

use crate::domain::Lang;
use crate::policy::{Check, Explanation};

/// What is missing, one line per rule that fails, without repeats: any one
/// of them, once met, would give access.
pub fn missing(expl: &Explanation, lang: Lang) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rule in expl.rules.iter().filter(|r| !r.holds) {
        let line = rule
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| phrase(c, lang))
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

/// One unmet condition in words.
fn phrase(c: &Check, lang: Lang) -> String {
    let l = |fi, sv, en| pick(lang, fi, sv, en);
    let (what, values) = match c.field {
        "networks" => (
            l(
                "käyttäjätunnus verkossa",
                "användarkonto i nätverket",
                "an account in the network",
            ),
            c.wanted.clone(),
        ),
        "org_kinds" => (
            l(
                "kirjautuminen organisaatiosta, jonka tyyppi on",
                "inloggning från en organisation av typen",
                "a login from an organisation of the kind",
            ),
            c.wanted.clone(),
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
            c.wanted.clone(),
        ),
        "min_loa" => (
            l(
                "tunnistautumisen varmuustaso vähintään",
                "identifieringens tillitsnivå minst",
                "identification at least at the level",
            ),
            c.wanted.clone(),
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
            c.wanted.clone(),
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
        let fi = missing(&e, Lang::Fi);
        assert_eq!(
            fi,
            vec![
                "organisaatiossa kaupparekisteriin merkitty asema tai Suomi.fi-valtuus: ELI, TJ",
                "tunnistautuminen: varmennekortti, mobiilivarmenne",
            ]
        );
        let en = missing(&e, Lang::En);
        assert_eq!(
            en[1],
            "identification by: certificate card, mobile certificate"
        );
    }
}
