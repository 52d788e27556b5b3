//! The words of changing one's own password and of setting up a second
//! factor that are not on the login pages, in Finnish, Swedish and English:
//! what a person is told when a check refuses them, and what to do next.

use crate::domain::Lang;

pub struct PasswordTexts {
    /// The intro of a change the person asked for (not a forced one).
    pub intro_voluntary: &'static str,
    pub current_password: &'static str,
    pub current_required: &'static str,
    pub current_wrong: &'static str,
    /// A forced change that would keep the one-time or previous password.
    pub not_old: &'static str,
    /// Setting up a second factor when the session may not.
    pub enrol_refused_title: &'static str,
    pub enrol_log_in_again: &'static str,
    pub enrol_log_in_again_link: &'static str,
    /// Replacing a second factor: the code of the current one.
    pub current_code: &'static str,
    pub current_code_wrong: &'static str,
}

const FI: PasswordTexts = PasswordTexts {
    intro_voluntary: "Kirjoita nykyinen salasanasi ja valitse uusi.",
    current_password: "Nykyinen salasana",
    current_required: "Kirjoita nykyinen salasanasi.",
    current_wrong: "Nykyinen salasana ei ole oikein.",
    not_old: "Uusi salasana ei saa olla kertakäyttöinen salasana eikä aiempi salasanasi. \
              Valitse uusi.",
    enrol_refused_title: "Kirjaudu uudelleen",
    enrol_log_in_again: "Todennussovelluksen käyttöönotto vaatii tuoreen kirjautumisen omalla \
                         salasanallasi (viimeisen {min} minuutin ajalta) tai vahvan \
                         tunnistautumisen. Kirjaudu uudelleen ja avaa tämä sivu heti sen jälkeen.",
    enrol_log_in_again_link: "Kirjaudu uudelleen",
    current_code: "Nykyisen todennussovelluksen koodi",
    current_code_wrong: "Nykyisen todennussovelluksen koodi ei kelpaa. Sovellusta voi vaihtaa \
                         vain nykyisen koodin kanssa; jos puhelin on kadonnut, ota yhteyttä \
                         yhdyshenkilöön tai palvelupisteeseen.",
};

const SV: PasswordTexts = PasswordTexts {
    intro_voluntary: "Skriv ditt nuvarande lösenord och välj ett nytt.",
    current_password: "Nuvarande lösenord",
    current_required: "Skriv ditt nuvarande lösenord.",
    current_wrong: "Det nuvarande lösenordet är fel.",
    not_old: "Det nya lösenordet får inte vara engångslösenordet eller ditt tidigare \
              lösenord. Välj ett nytt.",
    enrol_refused_title: "Logga in på nytt",
    enrol_log_in_again: "För att ta autentiseringsappen i bruk krävs en färsk inloggning med \
                         ditt eget lösenord (inom de senaste {min} minuterna) eller stark \
                         identifiering. Logga in på nytt och öppna den här sidan direkt efteråt.",
    enrol_log_in_again_link: "Logga in på nytt",
    current_code: "Koden från den nuvarande autentiseringsappen",
    current_code_wrong: "Koden från den nuvarande autentiseringsappen duger inte. Appen kan \
                         bytas endast med den nuvarande koden; om telefonen har kommit bort, \
                         kontakta kontaktpersonen eller servicepunkten.",
};

const EN: PasswordTexts = PasswordTexts {
    intro_voluntary: "Enter your current password and choose a new one.",
    current_password: "Current password",
    current_required: "Enter your current password.",
    current_wrong: "The current password is not right.",
    not_old: "The new password may not be the one-time password or your previous password. \
              Choose a new one.",
    enrol_refused_title: "Log in again",
    enrol_log_in_again: "Setting up an authenticator app needs a fresh login with your own \
                         password (within the last {min} minutes) or strong identification. \
                         Log in again and open this page right after.",
    enrol_log_in_again_link: "Log in again",
    current_code: "Code from your current authenticator app",
    current_code_wrong: "The code from your current authenticator app is not valid. The app \
                         can be changed only with its current code; if your phone is lost, \
                         contact your liaison person or the service desk.",
};

pub fn password_texts(lang: Lang) -> &'static PasswordTexts {
    match lang {
        Lang::Fi => &FI,
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}
