//! The audit trail in words: event names, the filter form and the
//! spreadsheet's column names in Finnish, Swedish and English.

use crate::domain::Lang;

/// Every event the code records, with its name in fi, sv, en. The
/// order is the order of the event filter's list.
const EVENTS: &[(&str, [&str; 3])] = &[
    (
        "login.password.success",
        [
            "Kirjautui salasanalla",
            "Loggade in med lösenord",
            "Logged in with a password",
        ],
    ),
    (
        "login.password.failure",
        ["Väärä salasana", "Fel lösenord", "Wrong password"],
    ),
    (
        "login.password.unknown_user",
        [
            "Kirjautumisyritys tuntemattomalla käyttäjätunnuksella",
            "Inloggningsförsök med okänt användarnamn",
            "Login attempt with an unknown username",
        ],
    ),
    (
        "login.password.failure_not_active",
        [
            "Väärä salasana tunnukselle, joka ei ole käytössä",
            "Fel lösenord för ett konto som inte är i bruk",
            "Wrong password for an account not in use",
        ],
    ),
    (
        "login.password.refused_not_active",
        [
            "Oikea salasana, mutta tunnus lukittu tai poistettu käytöstä",
            "Rätt lösenord men kontot är låst eller inaktiverat",
            "Right password, but the account is locked or disabled",
        ],
    ),
    (
        "login.otp.success",
        [
            "Todennussovelluksen koodi hyväksytty",
            "Autentiseringskoden godkänd",
            "Authenticator code accepted",
        ],
    ),
    (
        "login.otp.failure",
        [
            "Väärä todennussovelluksen koodi",
            "Fel autentiseringskod",
            "Wrong authenticator code",
        ],
    ),
    (
        "admin.account.created",
        [
            "Yhdyshenkilö loi tunnuksen",
            "Kontaktpersonen skapade kontot",
            "Liaison person created the account",
        ],
    ),
    (
        "admin.account.edited",
        [
            "Yhteystietoja muokattiin",
            "Kontaktuppgifterna ändrades",
            "Contact details edited",
        ],
    ),
    (
        "admin.account.unlocked",
        ["Lukitus avattiin", "Låsningen hävdes", "Account unlocked"],
    ),
    (
        "admin.account.password_reset",
        [
            "Uusi kertakäyttöinen salasana annettiin",
            "Nytt engångslösenord gavs",
            "New one-time password issued",
        ],
    ),
    (
        "admin.account.disabled",
        [
            "Tunnus poistettiin käytöstä",
            "Kontot inaktiverades",
            "Account disabled",
        ],
    ),
    (
        "admin.account.enabled",
        [
            "Tunnus otettiin uudelleen käyttöön",
            "Kontot togs i bruk igen",
            "Account enabled again",
        ],
    ),
    (
        "admin.account.network_moved",
        [
            "Tunnus siirrettiin toiseen verkkoon",
            "Kontot flyttades till ett annat nätverk",
            "Account moved to another network",
        ],
    ),
    (
        "admin.liaison.appointed",
        [
            "Yhdyshenkilö nimettiin",
            "Kontaktperson utsågs",
            "Liaison person appointed",
        ],
    ),
    (
        "admin.liaison.removed",
        [
            "Yhdyshenkilö poistettiin",
            "Kontaktperson togs bort",
            "Liaison person removed",
        ],
    ),
    (
        "admin.liaison.contact_published",
        [
            "Yhdyshenkilön yhteystiedot julkaistiin",
            "Kontaktpersonens uppgifter publicerades",
            "Liaison contact published",
        ],
    ),
    (
        "admin.organisation.created",
        [
            "Organisaatio lisättiin",
            "Organisationen lades till",
            "Organisation added",
        ],
    ),
    (
        "admin.organisation.updated",
        [
            "Organisaation tietoja muutettiin",
            "Organisationens uppgifter ändrades",
            "Organisation updated",
        ],
    ),
    (
        "admin.operator.added",
        [
            "Palvelupisteen käyttäjä lisättiin",
            "Servicedeskens användare lades till",
            "Service desk operator added",
        ],
    ),
    (
        "account.register",
        [
            "Rekisteröityi ensimmäisellä kirjautumisella",
            "Registrerade sig vid första inloggningen",
            "Registered at first login",
        ],
    ),
    (
        "account.profile",
        [
            "Ammattitiedot päivitettiin",
            "Yrkesuppgifterna uppdaterades",
            "Professional profile updated",
        ],
    ),
    (
        "account.password.changed",
        [
            "Salasana vaihdettiin",
            "Lösenordet byttes",
            "Password changed",
        ],
    ),
    (
        "account.totp.enrolled",
        [
            "Todennussovellus otettiin käyttöön",
            "Autentiseringsappen togs i bruk",
            "Authenticator app set up",
        ],
    ),
    (
        "login.passkey.success",
        [
            "Kirjautui pääsyavaimella",
            "Loggade in med nyckel",
            "Logged in with a passkey",
        ],
    ),
    (
        "login.passkey.cloned",
        [
            "Pääsyavain torjuttu: laskuri ei kasvanut (kopioitu avain?)",
            "Nyckeln avvisades: räknaren ökade inte (kopierad nyckel?)",
            "Passkey refused: its counter did not go up (cloned key?)",
        ],
    ),
    (
        "account.passkey.added",
        [
            "Pääsyavain lisättiin",
            "En nyckel lades till",
            "Passkey added",
        ],
    ),
    (
        "account.passkey.removed",
        [
            "Pääsyavain poistettiin",
            "En nyckel togs bort",
            "Passkey removed",
        ],
    ),
    (
        "admin.passkey.removed",
        [
            "Ylläpito poisti pääsyavaimen",
            "Administrationen tog bort en nyckel",
            "Passkey removed by administration",
        ],
    ),
    (
        "account.totp.removed",
        [
            "Todennussovellus poistettiin",
            "Autentiseringsappen togs bort",
            "Authenticator app removed",
        ],
    ),
    (
        "account.created",
        [
            "Tunnus luotiin (ylläpitokomento)",
            "Kontot skapades (underhållskommando)",
            "Account created (maintenance command)",
        ],
    ),
    (
        "account.unlocked",
        [
            "Lukitus avattiin (ylläpitokomento)",
            "Låsningen hävdes (underhållskommando)",
            "Account unlocked (maintenance command)",
        ],
    ),
    (
        "account.password.reset",
        [
            "Kertakäyttöinen salasana annettiin (ylläpitokomento)",
            "Engångslösenord gavs (underhållskommando)",
            "One-time password issued (maintenance command)",
        ],
    ),
    (
        "account.disabled",
        [
            "Tunnus poistettiin käytöstä (ylläpitokomento)",
            "Kontot inaktiverades (underhållskommando)",
            "Account disabled (maintenance command)",
        ],
    ),
    (
        "liaison.contact_published",
        [
            "Yhdyshenkilön yhteystiedot julkaistiin (ylläpitokomento)",
            "Kontaktpersonens uppgifter publicerades (underhållskommando)",
            "Liaison contact published (maintenance command)",
        ],
    ),
    (
        "organisation.created",
        [
            "Organisaatio lisättiin (ylläpitokomento)",
            "Organisationen lades till (underhållskommando)",
            "Organisation added (maintenance command)",
        ],
    ),
    (
        "keys.rotated",
        [
            "Allekirjoitusavain vaihdettiin",
            "Signeringsnyckeln byttes",
            "Signing key rotated",
        ],
    ),
    (
        "scim.account.created",
        [
            "Organisaation identiteetinhallinta loi tunnuksen (SCIM)",
            "Organisationens identitetshantering skapade kontot (SCIM)",
            "Account created by the organisation's identity management (SCIM)",
        ],
    ),
    (
        "scim.account.updated",
        [
            "Organisaation identiteetinhallinta muutti tunnuksen tietoja (SCIM)",
            "Organisationens identitetshantering ändrade kontots uppgifter (SCIM)",
            "Account data changed by the organisation's identity management (SCIM)",
        ],
    ),
    (
        "scim.account.deprovisioned",
        [
            "Organisaation identiteetinhallinta poisti tunnuksen organisaatiosta (SCIM)",
            "Organisationens identitetshantering tog bort kontot ur organisationen (SCIM)",
            "Account deprovisioned from the organisation (SCIM)",
        ],
    ),
    (
        "scim.refused",
        [
            "Provisiointipyyntö hylättiin (SCIM)",
            "En provisioneringsbegäran avvisades (SCIM)",
            "Provisioning request refused (SCIM)",
        ],
    ),
    (
        "admin.event_delivery.retried",
        [
            "Epäonnistunut tapahtumaviesti lähetettiin uudelleen",
            "Ett misslyckat händelsemeddelande skickades igen",
            "Failed event delivery sent again",
        ],
    ),
    (
        "admin.provisioning_client.created",
        [
            "Provisiointiasiakas luotiin",
            "En provisioneringsklient skapades",
            "Provisioning client created",
        ],
    ),
    (
        "admin.provisioning_client.revoked",
        [
            "Provisiointiasiakas peruttiin",
            "En provisioneringsklient återkallades",
            "Provisioning client revoked",
        ],
    ),
    (
        "keys.retired",
        [
            "Allekirjoitusavain poistettiin käytöstä",
            "Signeringsnyckeln togs ur bruk",
            "Signing key retired",
        ],
    ),
];

/// Families of events the filter offers besides single events.
const FAMILIES: &[(&str, [&str; 3])] = &[
    (
        "login.",
        ["Kaikki kirjautumiset", "Alla inloggningar", "All logins"],
    ),
    (
        "admin.",
        [
            "Kaikki ylläpitotoimet",
            "Alla administrativa åtgärder",
            "All administrative actions",
        ],
    ),
    (
        "scim.",
        [
            "Kaikki provisiointimuutokset (SCIM)",
            "Alla provisioneringsändringar (SCIM)",
            "All provisioning changes (SCIM)",
        ],
    ),
    (
        "account.",
        [
            "Henkilön omat muutokset ja ylläpitokomennot",
            "Personens egna ändringar och underhållskommandon",
            "The person's own changes and maintenance commands",
        ],
    ),
];

fn pick(names: &[&'static str; 3], lang: Lang) -> &'static str {
    match lang {
        Lang::Fi => names[0],
        Lang::Sv => names[1],
        Lang::En => names[2],
    }
}

/// The event's name for a person; a login through an identity source
/// (`login.<source>.success`) names the source; a code this table does
/// not know is shown as it is.
pub fn event_name(code: &str, lang: Lang) -> String {
    if let Some((_, names)) = EVENTS.iter().find(|(c, _)| *c == code) {
        return pick(names, lang).to_string();
    }
    if let Some(source) = code
        .strip_prefix("login.")
        .and_then(|r| r.strip_suffix(".success"))
    {
        let done = pick(&["Kirjautui", "Loggade in", "Logged in"], lang);
        return format!("{done}: {source}");
    }
    code.to_string()
}

/// Whether `code` is something the event filter offers: an event or a
/// family of events.
pub fn known_filter(code: &str) -> bool {
    EVENTS.iter().chain(FAMILIES).any(|(c, _)| *c == code)
}

/// The event filter's choices: (code, name), families first.
pub fn filter_choices(lang: Lang) -> Vec<(&'static str, &'static str)> {
    FAMILIES
        .iter()
        .chain(EVENTS)
        .map(|(c, names)| (*c, pick(names, lang)))
        .collect()
}

/// The audit pages' own words.
pub struct AuditTexts {
    pub filter: &'static str,
    pub person: &'static str,
    pub person_hint: &'static str,
    pub event: &'static str,
    pub any_event: &'static str,
    pub from_date: &'static str,
    pub to_date: &'static str,
    pub apply: &'static str,
    pub clear: &'static str,
    pub time_zone_note: &'static str,
    pub no_events: &'static str,
    pub no_person: &'static str,
    pub many_persons: &'static str,
    pub bad_date: &'static str,
    /// The spreadsheet's columns.
    pub columns: [&'static str; 13],
}

const FI: AuditTexts = AuditTexts {
    filter: "Rajaa",
    person: "Henkilö",
    person_hint: "Käyttäjätunnus tai nimi: tapahtumat, jotka henkilö teki tai jotka koskivat häntä",
    event: "Tapahtuma",
    any_event: "Kaikki tapahtumat",
    from_date: "Alkaen",
    to_date: "Päättyen",
    apply: "Näytä",
    clear: "Poista rajaukset",
    time_zone_note: "Ajat Suomen aikaa (Europe/Helsinki): EET talvella, EEST kesällä.",
    no_events: "Ei tapahtumia näillä rajauksilla.",
    no_person: "Kukaan ei vastaa tätä henkilöhakua.",
    many_persons: "Useampi henkilö vastaa hakua; tarkenna käyttäjätunnuksella.",
    bad_date: "Anna päivämäärä muodossa vvvv-kk-pp.",
    columns: [
        "Aika (Europe/Helsinki)",
        "Aikavyöhyke",
        "Tekijä",
        "Tekijän tunniste",
        "Tapahtuma",
        "Tapahtuman koodi",
        "Kohde",
        "Kohteen tunniste",
        "Organisaatio",
        "Organisaation tunniste",
        "Osoite",
        "Syy",
        "Lisätiedot",
    ],
};

const SV: AuditTexts = AuditTexts {
    filter: "Avgränsa",
    person: "Person",
    person_hint: "Användarnamn eller namn: händelser som personen utförde eller som gällde hen",
    event: "Händelse",
    any_event: "Alla händelser",
    from_date: "Från",
    to_date: "Till",
    apply: "Visa",
    clear: "Ta bort avgränsningar",
    time_zone_note: "Tider i finsk tid (Europe/Helsinki): EET på vintern, EEST på sommaren.",
    no_events: "Inga händelser med dessa avgränsningar.",
    no_person: "Ingen motsvarar den här personsökningen.",
    many_persons: "Flera personer motsvarar sökningen; ange användarnamnet.",
    bad_date: "Ange datumet som åååå-mm-dd.",
    columns: [
        "Tid (Europe/Helsinki)",
        "Tidszon",
        "Utförare",
        "Utförarens id",
        "Händelse",
        "Händelsekod",
        "Gäller",
        "Id för den det gäller",
        "Organisation",
        "Organisationens id",
        "Adress",
        "Orsak",
        "Detaljer",
    ],
};

const EN: AuditTexts = AuditTexts {
    filter: "Filter",
    person: "Person",
    person_hint: "Username or name: events the person did or that were about them",
    event: "Event",
    any_event: "All events",
    from_date: "From",
    to_date: "To",
    apply: "Show",
    clear: "Clear filters",
    time_zone_note: "Times in Finnish time (Europe/Helsinki): EET in winter, EEST in summer.",
    no_events: "No events with these filters.",
    no_person: "No one matches this person search.",
    many_persons: "Several people match; give the username.",
    bad_date: "Give the date as yyyy-mm-dd.",
    columns: [
        "Time (Europe/Helsinki)",
        "Time zone",
        "By",
        "By (id)",
        "Event",
        "Event code",
        "About",
        "About (id)",
        "Organisation",
        "Organisation (id)",
        "Address",
        "Reason",
        "Detail",
    ],
};

pub fn audit_texts(lang: Lang) -> &'static AuditTexts {
    match lang {
        Lang::Fi => &FI,
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_has_a_name_in_each_language_and_unknown_codes_show_as_they_are() {
        for (code, names) in EVENTS.iter().chain(FAMILIES) {
            for n in names {
                assert!(!n.is_empty() && !n.contains(code), "{code}");
            }
            assert_ne!(names[0], names[1], "{code}: Swedish is not Finnish");
        }
        assert_eq!(
            event_name("admin.account.password_reset", Lang::Sv),
            "Nytt engångslösenord gavs"
        );
        assert_eq!(
            event_name("login.suomifi.success", Lang::En),
            "Logged in: suomifi"
        );
        assert_eq!(event_name("something.new", Lang::Fi), "something.new");
        assert!(known_filter("login.") && known_filter("admin.account.disabled"));
        assert!(!known_filter("login") && !known_filter("x"));
    }
}
