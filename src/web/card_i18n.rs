//! The words of certificate-card login in Finnish, Swedish and English:
//! what each refusal tells the person to do.

use crate::domain::Lang;

pub struct CardTexts {
    pub refused_title: &'static str,
    pub try_other_method: &'static str,
}

const FI: CardTexts = CardTexts {
    refused_title: "Kirjautuminen varmennekortilla ei onnistunut",
    try_other_method: "Takaisin kirjautumiseen",
};

const SV: CardTexts = CardTexts {
    refused_title: "Inloggningen med certifikatkort lyckades inte",
    try_other_method: "Tillbaka till inloggningen",
};

const EN: CardTexts = CardTexts {
    refused_title: "Certificate card login failed",
    try_other_method: "Back to the login page",
};

pub fn card_texts(lang: Lang) -> &'static CardTexts {
    match lang {
        Lang::Fi => &FI,
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}

/// What the person should do, for each refusal code
/// (`CardError::code`, and `card_proxy_untrusted` of the web layer).
pub fn refusal_text(code: &str, lang: Lang) -> &'static str {
    let [fi, sv, en] = match code {
        "card_no_certificate" => [
            "Selain ei lähettänyt varmennetta. Tarkista, että kortti on kortinlukijassa ja \
             kortinlukijaohjelmisto (DigiSign) on käynnissä, ja valitse kortin varmenne, kun \
             selain kysyy. Jos peruutit PIN-kyselyn, yritä uudelleen.",
            "Webbläsaren skickade inget certifikat. Kontrollera att kortet sitter i \
             kortläsaren och att kortläsarprogrammet (DigiSign) är igång, och välj kortets \
             certifikat när webbläsaren frågar. Om du avbröt PIN-frågan, försök igen.",
            "Your browser sent no certificate. Check that the card is in the reader and the \
             card reader software (DigiSign) is running, and pick the card's certificate when \
             the browser asks. If you cancelled the PIN prompt, try again.",
        ],
        "card_expired" => [
            "Kortin varmenne on vanhentunut. Tilaa uusi kortti rekisteröintipisteestä ja \
             kirjaudu siihen asti toisella tavalla.",
            "Kortets certifikat har gått ut. Beställ ett nytt kort från \
             registreringspunkten och logga in på ett annat sätt tills vidare.",
            "The card's certificate has expired. Order a new card from a registration point, \
             and log in another way until then.",
        ],
        "card_not_yet_valid" => [
            "Kortin varmenne ei ole vielä voimassa. Tarkista tietokoneen kello tai yritä \
             myöhemmin uudelleen.",
            "Kortets certifikat är inte giltigt ännu. Kontrollera datorns klocka eller \
             försök igen senare.",
            "The card's certificate is not valid yet. Check your computer's clock or try \
             again later.",
        ],
        "card_revoked" => [
            "Kortin varmenne on peruttu (esimerkiksi kadonneeksi ilmoitettuna). Ota yhteys \
             rekisteröintipisteeseen; sillä välin voit käyttää varakorttia tai kirjautua \
             toisella tavalla.",
            "Kortets certifikat har spärrats (till exempel anmält förlorat). Kontakta \
             registreringspunkten; under tiden kan du använda ett reservkort eller logga in \
             på ett annat sätt.",
            "The card's certificate has been revoked (for example, reported lost). Contact \
             your registration point; meanwhile use a substitute card or log in another way.",
        ],
        "card_unknown_ca" => [
            "Tätä varmennetta ei hyväksytä: sen myöntäjä ei ole sosiaali- ja \
             terveydenhuollon varmennekorttien myöntäjä. Valitse sote-korttisi varmenne, kun \
             selain kysyy.",
            "Detta certifikat godtas inte: utfärdaren är inte en utfärdare av social- och \
             hälsovårdens certifikatkort. Välj certifikatet på ditt social- och \
             hälsovårdskort när webbläsaren frågar.",
            "This certificate is not accepted: it is not issued by an authority of social- \
             and health-care certificate cards. Pick your care card's certificate when the \
             browser asks.",
        ],
        "card_wrong_key_usage" => [
            "Valittu varmenne ei ole kortin tunnistusvarmenne (se voi olla \
             allekirjoitusvarmenne). Valitse kortin tunnistusvarmenne (PIN1), kun selain \
             kysyy.",
            "Det valda certifikatet är inte kortets autentiseringscertifikat (det kan vara \
             signaturcertifikatet). Välj kortets autentiseringscertifikat (PIN1) när \
             webbläsaren frågar.",
            "The chosen certificate is not the card's authentication certificate (it may be \
             the signing one). Pick the card's authentication certificate (PIN1) when the \
             browser asks.",
        ],
        "card_revocation_unknown" => [
            "Kortin voimassaoloa ei juuri nyt voida tarkistaa. Yritä hetken kuluttua \
             uudelleen tai kirjaudu toisella tavalla.",
            "Kortets giltighet kan inte kontrolleras just nu. Försök igen om en stund eller \
             logga in på ett annat sätt.",
            "The card's status cannot be checked just now. Try again in a moment, or log in \
             another way.",
        ],
        "card_test_card" => [
            "Testikortilla ei voi kirjautua tähän palveluun. Käytä omaa varmennekorttiasi.",
            "Med ett testkort kan man inte logga in i den här tjänsten. Använd ditt eget \
             certifikatkort.",
            "Test cards cannot be used to log in to this service. Use your own certificate \
             card.",
        ],
        "card_unknown_type" => [
            "Tällä korttityypillä ei voi kirjautua tähän palveluun. Kirjaudu toisella \
             tavalla tai ota yhteys palvelupisteeseen.",
            "Med den här korttypen kan man inte logga in i tjänsten. Logga in på ett annat \
             sätt eller kontakta servicepunkten.",
            "This kind of card cannot be used to log in here. Log in another way or contact \
             the service desk.",
        ],
        "card_proxy_untrusted" => [
            "Varmennetta ei hyväksytty tätä reittiä. Ota yhteys palvelupisteeseen ja kerro \
             alla oleva virhekoodi.",
            "Certifikatet godtogs inte den här vägen. Kontakta servicepunkten och uppge \
             felkoden nedan.",
            "The certificate was not accepted by this route. Contact the service desk and \
             give the error code below.",
        ],
        _ => [
            "Kortin varmennetta ei voitu tarkistaa. Kokeile uudelleen, kirjaudu toisella \
             tavalla tai ota yhteys palvelupisteeseen ja kerro alla oleva virhekoodi.",
            "Kortets certifikat kunde inte kontrolleras. Försök igen, logga in på ett annat \
             sätt eller kontakta servicepunkten och uppge felkoden nedan.",
            "The card's certificate could not be checked. Try again, log in another way, or \
             contact the service desk and give the error code below.",
        ],
    };
    match lang {
        Lang::Fi => fi,
        Lang::Sv => sv,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_says_what_to_do_in_each_language() {
        let fallback = refusal_text("?", Lang::En);
        for code in [
            "card_no_certificate",
            "card_expired",
            "card_not_yet_valid",
            "card_revoked",
            "card_unknown_ca",
            "card_wrong_key_usage",
            "card_revocation_unknown",
            "card_test_card",
            "card_unknown_type",
            "card_proxy_untrusted",
        ] {
            assert_ne!(refusal_text(code, Lang::En), fallback, "{code}");
            let [fi, sv, en] = [Lang::Fi, Lang::Sv, Lang::En].map(|l| refusal_text(code, l));
            assert!(fi != sv && sv != en && fi != en, "{code}");
        }
    }
}
