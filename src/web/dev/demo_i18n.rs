//! The demo portal's words in Finnish, Swedish and English. It is a
//! stand-in for a real portal, and speaks the language the person chose
//! on the gateway (`pv_lang`, `?lang=`), passing it on as `ui_locales`.

use crate::domain::Lang;

pub(super) struct DemoTexts {
    pub lang: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub ended: &'static str,
    pub failed: &'static str,
    pub id_claims: &'static str,
    pub access_claims: &'static str,
    pub userinfo: &'static str,
    pub login: &'static str,
    pub logout: &'static str,
    pub others: &'static str,
    pub others_intro: &'static str,
    pub language_label: &'static str,
}

const FI: DemoTexts = DemoTexts {
    lang: "fi",
    title: "Demoportaali",
    intro: "Tämä sivu on Porttivahdin OpenID Connect -asiakas, jonka kehityskäytön asetukset kytkevät päälle. Se kirjaa sinut sisään valtuutuskoodilla ja PKCE:llä, vaihtaa koodin tunnisteisiin, tarkistaa ID-tunnisteen julkaistuilla avaimilla ja näyttää, mitä portaali sai.",
    ended: "Sinut kirjattiin ulos: Porttivahti päätti istuntosi ja kertoi siitä tälle portaalille taustakanavaa pitkin (OpenID Connect Back-Channel Logout).",
    failed: "Kirjautuminen ei onnistunut",
    id_claims: "ID-tunnisteen tiedot (tarkistettu)",
    access_claims: "Pääsytunnisteen tiedot",
    userinfo: "Userinfo-vastaus",
    login: "Kirjaudu sisään",
    logout: "Kirjaudu ulos kaikista palveluista",
    others: "Muut demoportaalit",
    others_intro: "Kertakirjautuminen: kun olet kirjautunut tähän, muut portaalit päästävät sisään ilman uutta kirjautumista, jos niiden säännöt sallivat. Uloskirjautuminen yhdestä päättää istunnon kaikissa.",
    language_label: "Kieli",
};

const SV: DemoTexts = DemoTexts {
    lang: "sv",
    title: "Demoportal",
    intro: "Den här sidan är en OpenID Connect-klient till Porttivahti, påslagen av utvecklingsinställningarna. Den loggar in dig med auktoriseringskod och PKCE, växlar koden mot token, kontrollerar ID-token mot de publicerade nycklarna och visar vad portalen fick.",
    ended: "Du loggades ut: Porttivahti avslutade din session och meddelade den här portalen via bakkanalen (OpenID Connect Back-Channel Logout).",
    failed: "Inloggningen lyckades inte",
    id_claims: "ID-tokenets uppgifter (kontrollerade)",
    access_claims: "Åtkomsttokenets uppgifter",
    userinfo: "Userinfo-svar",
    login: "Logga in",
    logout: "Logga ut från alla tjänster",
    others: "Andra demoportaler",
    others_intro: "Single sign-on: när du har loggat in här släpper de andra portalerna in dig utan ny inloggning om deras regler tillåter det. En utloggning i en av dem avslutar sessionen i alla.",
    language_label: "Språk",
};

const EN: DemoTexts = DemoTexts {
    lang: "en",
    title: "Demo portal",
    intro: "This page is an OpenID Connect client of the gateway, switched on by the development configuration. It logs you in with the authorization code flow and PKCE, exchanges the code at the token endpoint, verifies the ID token against the published keys and shows what the portal received.",
    ended: "You were logged out: the gateway ended your session and told this portal over the back channel (OpenID Connect Back-Channel Logout).",
    failed: "The login did not succeed",
    id_claims: "ID token claims (verified)",
    access_claims: "Access token claims",
    userinfo: "Userinfo",
    login: "Log in",
    logout: "Log out everywhere",
    others: "Other demo portals",
    others_intro: "Single sign-on: after logging in here, the other portals let you in without a new login when their rules allow it. Logging out in one ends the session in all of them.",
    language_label: "Language",
};

pub(super) fn demo_texts(lang: Lang) -> &'static DemoTexts {
    match lang {
        Lang::Fi => &FI,
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}
