//! Step-up: a portal that needs a higher level of assurance than the
//! session has sends the person back to the login page, which says so.

use crate::domain::{Lang, LoA};

fn level_name(lang: Lang, l: LoA) -> &'static str {
    match (lang, l) {
        (Lang::Fi, LoA::Low) => "perustaso",
        (Lang::Fi, LoA::Substantial) => "korotettu taso",
        (Lang::Fi, LoA::High) => "korkea taso",
        (Lang::Sv, LoA::Low) => "grundnivå",
        (Lang::Sv, LoA::Substantial) => "väsentlig nivå",
        (Lang::Sv, LoA::High) => "hög nivå",
        (Lang::En, LoA::Low) => "low",
        (Lang::En, LoA::Substantial) => "substantial",
        (Lang::En, LoA::High) => "high",
    }
}

/// What the login page says when the portal needs level `l`.
pub fn notice(lang: Lang, l: LoA) -> String {
    let level = level_name(lang, l);
    match lang {
        Lang::Fi => format!(
            "Palvelu vaatii vahvemman tunnistautumisen ({level}). Kirjaudu tavalla, joka täyttää sen: varmennekortilla tai Suomi.fi-tunnistuksella."
        ),
        Lang::Sv => format!(
            "Tjänsten kräver starkare identifiering ({level}). Logga in på ett sätt som uppfyller den: med certifikatkort eller Suomi.fi-identifiering."
        ),
        Lang::En => format!(
            "This service needs a stronger login ({level}). Log in with a method that reaches it: a certificate card or Suomi.fi identification."
        ),
    }
}
