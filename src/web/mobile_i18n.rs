//! The words of mobile certificate login in Finnish, Swedish and English:
//! the phone-number form, the waiting page, and what each refusal tells
//! the person to do.

use crate::domain::Lang;

pub struct MobileTexts {
    pub method: &'static str,
    pub intro: &'static str,
    pub phone_label: &'static str,
    pub phone_hint: &'static str,
    pub start_button: &'static str,
    pub phone_invalid: &'static str,
    pub wait_title: &'static str,
    pub event_label: &'static str,
    pub wait_instructions: &'static str,
    pub waiting: &'static str,
    pub check_button: &'static str,
    pub cancel: &'static str,
    pub refused_title: &'static str,
    pub back: &'static str,
}

const FI: MobileTexts = MobileTexts {
    method: "Mobiilivarmenne",
    intro: "Kirjaudu puhelimesi mobiilivarmenteella. Kirjoita puhelinnumerosi, niin \
            puhelimeesi tulee tunnistuspyyntö.",
    phone_label: "Puhelinnumero",
    phone_hint: "Esimerkiksi 040 123 4567 tai +358 40 123 4567",
    start_button: "Lähetä pyyntö puhelimeen",
    phone_invalid: "Tarkista puhelinnumero: kirjoita se muodossa 040 123 4567 tai \
                    +358 40 123 4567.",
    wait_title: "Vahvista puhelimessasi",
    event_label: "Tapahtumatunnus",
    wait_instructions: "Puhelimeesi tuli tunnistuspyyntö. Jos puhelimessa näkyy sama \
                        tapahtumatunnus kuin tässä, vahvista pyyntö mobiilivarmenteen \
                        PIN-koodilla. Jos tunnus on eri, älä vahvista.",
    waiting: "Odotetaan vahvistusta puhelimesta…",
    check_button: "Jatka, kun olet vahvistanut",
    cancel: "Peruuta ja valitse toinen tapa",
    refused_title: "Kirjautuminen mobiilivarmenteella ei onnistunut",
    back: "Takaisin kirjautumiseen",
};

const SV: MobileTexts = MobileTexts {
    method: "Mobilcertifikat",
    intro: "Logga in med mobilcertifikatet i din telefon. Skriv ditt telefonnummer, så \
            får du en identifieringsbegäran i telefonen.",
    phone_label: "Telefonnummer",
    phone_hint: "Till exempel 040 123 4567 eller +358 40 123 4567",
    start_button: "Skicka begäran till telefonen",
    phone_invalid: "Kontrollera telefonnumret: skriv det i formen 040 123 4567 eller \
                    +358 40 123 4567.",
    wait_title: "Bekräfta i din telefon",
    event_label: "Händelsekod",
    wait_instructions: "Du fick en identifieringsbegäran i telefonen. Om telefonen visar \
                        samma händelsekod som här, bekräfta begäran med mobilcertifikatets \
                        PIN-kod. Om koden är en annan, bekräfta inte.",
    waiting: "Väntar på bekräftelse från telefonen…",
    check_button: "Fortsätt när du har bekräftat",
    cancel: "Avbryt och välj ett annat sätt",
    refused_title: "Inloggningen med mobilcertifikat lyckades inte",
    back: "Tillbaka till inloggningen",
};

const EN: MobileTexts = MobileTexts {
    method: "Mobile certificate",
    intro: "Log in with the mobile certificate on your phone. Type your phone number and \
            your phone will receive an identification request.",
    phone_label: "Phone number",
    phone_hint: "For example 040 123 4567 or +358 40 123 4567",
    start_button: "Send the request to my phone",
    phone_invalid: "Check the phone number: type it as 040 123 4567 or +358 40 123 4567.",
    wait_title: "Confirm on your phone",
    event_label: "Event code",
    wait_instructions: "Your phone received an identification request. If the phone shows \
                        the same event code as this page, confirm the request with your \
                        mobile certificate PIN. If the code is different, do not confirm.",
    waiting: "Waiting for your confirmation on the phone…",
    check_button: "Continue once you have confirmed",
    cancel: "Cancel and choose another way",
    refused_title: "Mobile certificate login failed",
    back: "Back to the login page",
};

pub fn mobile_texts(lang: Lang) -> &'static MobileTexts {
    match lang {
        Lang::Fi => &FI,
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}

/// What the person should do, for each refusal code (`MobileError::code`).
pub fn refusal_text(code: &str, lang: Lang) -> &'static str {
    let [fi, sv, en] = match code {
        "mobile_timeout" => [
            "Puhelimesta ei tullut vastausta ajoissa. Yritä uudelleen ja vahvista pyyntö \
             puhelimessa muutaman minuutin kuluessa.",
            "Inget svar kom från telefonen i tid. Försök igen och bekräfta begäran i \
             telefonen inom några minuter.",
            "No answer came from the phone in time. Try again, and confirm the request on \
             your phone within a few minutes.",
        ],
        "mobile_cancelled" => [
            "Tunnistuspyyntö peruttiin puhelimessa. Jos peruit sen vahingossa, yritä \
             uudelleen. Jos et itse aloittanut kirjautumista, älä vahvista pyyntöjä.",
            "Identifieringsbegäran avbröts i telefonen. Om du avbröt av misstag, försök \
             igen. Om du inte själv började logga in, bekräfta inga begäranden.",
            "The request was refused on the phone. If you cancelled it by mistake, try \
             again. If you did not start this login yourself, do not confirm requests.",
        ],
        "mobile_unknown_number" => [
            "Tällä numerolla ei löytynyt mobiilivarmennetta. Tarkista numero tai pyydä \
             mobiilivarmenne puhelinoperaattoriltasi; voit myös kirjautua toisella tavalla.",
            "Inget mobilcertifikat hittades för numret. Kontrollera numret eller beställ \
             ett mobilcertifikat av din teleoperatör; du kan också logga in på ett annat sätt.",
            "No mobile certificate was found for this number. Check the number or ask your \
             mobile operator for a mobile certificate; or log in another way.",
        ],
        "mobile_blocked" => [
            "Mobiilivarmenteesi PIN-koodi tai SIM-kortti on lukittu. Ota yhteys \
             puhelinoperaattoriisi ja kirjaudu siihen asti toisella tavalla.",
            "Mobilcertifikatets PIN-kod eller SIM-kort är spärrat. Kontakta din \
             teleoperatör och logga in på ett annat sätt tills vidare.",
            "Your mobile certificate PIN or SIM card is blocked. Contact your mobile operator, \
             and log in another way until then.",
        ],
        "mobile_signature_invalid" | "mobile_certificate_invalid" => [
            "Puhelimesta tullutta allekirjoitusta tai mobiilivarmennetta ei voitu hyväksyä. \
             Yritä uudelleen tai kirjaudu toisella tavalla; jos sama toistuu, ota yhteys \
             palvelupisteeseen ja kerro alla oleva virhekoodi.",
            "Signaturen eller mobilcertifikatet från telefonen kunde inte godtas. Försök \
             igen eller logga in på ett annat sätt; om det upprepas, kontakta servicepunkten \
             och uppge felkoden nedan.",
            "The signature or the mobile certificate from the phone could not be accepted. \
             Try again or log in another way; if it happens again, contact the service desk \
             and give the error code below.",
        ],
        "mobile_certificate_revoked" => [
            "Mobiilivarmenteesi on peruttu. Ota yhteys puhelinoperaattoriisi ja kirjaudu \
             siihen asti toisella tavalla.",
            "Ditt mobilcertifikat har spärrats. Kontakta din teleoperatör och logga in på \
             ett annat sätt tills vidare.",
            "Your mobile certificate has been revoked. Contact your mobile operator, and log \
             in another way until then.",
        ],
        "mobile_certificate_expired" => [
            "Mobiilivarmenteesi on vanhentunut. Uusi se puhelinoperaattorisi kautta ja \
             kirjaudu siihen asti toisella tavalla.",
            "Ditt mobilcertifikat har gått ut. Förnya det hos din teleoperatör och logga in \
             på ett annat sätt tills vidare.",
            "Your mobile certificate has expired. Renew it with your mobile operator, and log \
             in another way until then.",
        ],
        "mobile_unavailable" | "mobile_refused" | "mobile_revocation_unknown" => [
            "Mobiilivarmennepalveluun ei juuri nyt saada yhteyttä. Yritä hetken kuluttua \
             uudelleen tai kirjaudu toisella tavalla.",
            "Mobilcertifikattjänsten kan inte nås just nu. Försök igen om en stund eller \
             logga in på ett annat sätt.",
            "The mobile certificate service cannot be reached just now. Try again in a \
             moment, or log in another way.",
        ],
        _ => [
            "Kirjautuminen keskeytyi. Aloita kirjautuminen uudelleen.",
            "Inloggningen avbröts. Börja inloggningen på nytt.",
            "The login was interrupted. Start the login again.",
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
            "mobile_timeout",
            "mobile_cancelled",
            "mobile_unknown_number",
            "mobile_blocked",
            "mobile_signature_invalid",
            "mobile_certificate_invalid",
            "mobile_certificate_revoked",
            "mobile_certificate_expired",
            "mobile_unavailable",
            "mobile_refused",
            "mobile_revocation_unknown",
        ] {
            assert_ne!(refusal_text(code, Lang::En), fallback, "{code}");
            let [fi, sv, en] = [Lang::Fi, Lang::Sv, Lang::En].map(|l| refusal_text(code, l));
            assert!(fi != sv && sv != en && fi != en, "{code}");
        }
    }
}
