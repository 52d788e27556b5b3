//! A person's own page: their login history and second factor.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::app::SharedState;
use crate::domain::Lang;
use crate::store::AuditQuery;
use crate::web::audit_i18n::event_name;
use crate::web::browser::{Browser, with_cookies};
use crate::web::error::Localized;
use crate::web::i18n::{Texts, texts};
use crate::web::pages::{LangLink, lang_links, render};
use crate::web::time::local;

pub struct AccountTexts {
    pub title: &'static str,
    pub second_factor: &'static str,
    pub totp_on: &'static str,
    pub totp_off: &'static str,
    pub totp_set_up: &'static str,
    pub totp_change: &'static str,
    pub administration: &'static str,
    pub history: &'static str,
    pub history_hint: &'static str,
    pub when: &'static str,
    pub what: &'static str,
    pub from_where: &'static str,
    pub login_ok: &'static str,
    pub login_failed: &'static str,
    pub login_refused: &'static str,
    pub password_changed: &'static str,
    pub by_admin: &'static str,
    pub totp_enrolled: &'static str,
}

const FI: AccountTexts = AccountTexts {
    title: "Oma tunnus",
    second_factor: "Toinen tunnistautumistekijä",
    totp_on: "Todennussovellus on käytössä.",
    totp_off: "Todennussovellus ei ole käytössä. Tunnusten hallinta vaatii sen.",
    totp_set_up: "Ota todennussovellus käyttöön",
    totp_change: "Vaihda todennussovellus",
    administration: "Tunnusten hallinta",
    history: "Kirjautumishistoria",
    history_hint: "Jos näet kirjautumisen, jota et tunnista, vaihda salasanasi ja ota yhteyttä organisaatiosi yhdyshenkilöön.",
    when: "Milloin",
    what: "Tapahtuma",
    from_where: "Mistä",
    login_ok: "Kirjautuminen onnistui",
    login_failed: "Väärä salasana",
    login_refused: "Kirjautuminen estetty (tunnus lukittu tai poistettu käytöstä)",
    password_changed: "Salasana vaihdettu",
    by_admin: "Ylläpitotoimenpide",
    totp_enrolled: "Todennussovellus on otettu käyttöön.",
};

const SV: AccountTexts = AccountTexts {
    title: "Mitt konto",
    second_factor: "Andra faktor",
    totp_on: "Autentiseringsappen är i bruk.",
    totp_off: "Autentiseringsappen är inte i bruk. Kontohantering kräver den.",
    totp_set_up: "Ta autentiseringsappen i bruk",
    totp_change: "Byt autentiseringsapp",
    administration: "Kontohantering",
    history: "Inloggningshistorik",
    history_hint: "Om du ser en inloggning som du inte känner igen, byt lösenord och kontakta din organisations kontaktperson.",
    when: "När",
    what: "Händelse",
    from_where: "Varifrån",
    login_ok: "Inloggning lyckades",
    login_failed: "Fel lösenord",
    login_refused: "Inloggning nekad (kontot låst eller avaktiverat)",
    password_changed: "Lösenordet bytt",
    by_admin: "Administrativ åtgärd",
    totp_enrolled: "Autentiseringsappen har tagits i bruk.",
};

const EN: AccountTexts = AccountTexts {
    title: "My account",
    second_factor: "Second factor",
    totp_on: "An authenticator app is in use.",
    totp_off: "No authenticator app is in use. Account administration needs one.",
    totp_set_up: "Set up an authenticator app",
    totp_change: "Change the authenticator app",
    administration: "Account administration",
    history: "Login history",
    history_hint: "If you see a login you do not recognise, change your password and contact your organisation's liaison person.",
    when: "When",
    what: "Event",
    from_where: "From where",
    login_ok: "Logged in",
    login_failed: "Wrong password",
    login_refused: "Login refused (account locked or disabled)",
    password_changed: "Password changed",
    by_admin: "Administrative action",
    totp_enrolled: "The authenticator app is now in use.",
};

pub fn account_texts(lang: Lang) -> &'static AccountTexts {
    match lang {
        Lang::Fi => &FI,
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    t: &'static Texts,
    x: &'static AccountTexts,
    langs: Vec<LangLink>,
    name: String,
    username: String,
    totp: bool,
    /// How many passkeys, and their texts (when passkeys are on).
    passkeys: usize,
    p: Option<&'static crate::web::passkey_i18n::PasskeyTexts>,
    admin: bool,
    notice: Option<&'a str>,
    rows: Vec<(String, String, String)>,
}

fn describe(x: &AccountTexts, action: &str, lang: Lang) -> String {
    match action {
        a if a.starts_with("login.") && a.ends_with(".success") => x.login_ok.into(),
        "login.password.failure" | "login.password.failure_not_active" => x.login_failed.into(),
        "login.password.refused_not_active" => x.login_refused.into(),
        "account.password.changed" => x.password_changed.into(),
        a if a.starts_with("admin.") => format!("{}: {}", x.by_admin, event_name(a, lang)),
        a => event_name(a, lang),
    }
}

/// `GET /account/`: who I am and my own login history.
pub async fn page(State(app): State<SharedState>, browser: Browser, uri: Uri) -> Response {
    let lang = browser.lang;
    let inner = async {
        let Some((_, s)) = browser.session(&app).await? else {
            if browser.password_change_pending(&app, "/account/").await? {
                return Ok(Redirect::to("/password/change").into_response());
            }
            let next = crate::web::browser::set_cookie(
                &app,
                "pv_next",
                "%2Faccount%2F",
                Some(1800),
                "Lax",
            );
            return Ok(with_cookies(Redirect::to("/login").into_response(), [next]));
        };
        let Some(account) = app.dir.account(&s.account_id).await? else {
            return Ok(Redirect::to("/login").into_response());
        };
        let x = account_texts(lang);
        let events = app
            .dir
            .query_audit(&AuditQuery {
                subject: &account.id,
                limit: 100,
                ..Default::default()
            })
            .await?;
        let rows = events
            .iter()
            .map(|e| {
                (
                    local(e.at),
                    describe(x, &e.action, lang),
                    e.source_ip.clone().unwrap_or_default(),
                )
            })
            .collect();
        let memberships = app.dir.memberships(&account.id).await?;
        let admin = memberships
            .iter()
            .any(|m| m.role == crate::domain::Role::Liaison)
            || app.dir.is_operator(&account.id).await?;
        let page = AccountPage {
            t: texts(lang),
            x,
            langs: lang_links(&uri, lang),
            name: account.display_name(),
            username: account.username.clone(),
            totp: app.dir.totp_secret(&account.id).await?.is_some(),
            passkeys: app.dir.passkeys(&account.id).await?.len(),
            p: (app.settings.passkeys.enabled)
                .then(|| crate::web::passkey_i18n::passkey_texts(lang)),
            admin,
            notice: uri
                .query()
                .is_some_and(|q| q.split('&').any(|p| p == "totp=1"))
                .then_some(x.totp_enrolled),
            rows,
        };
        let mut r = with_cookies(render(&page, StatusCode::OK), browser.lang_cookie(&app));
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        Ok::<_, crate::web::error::WebError>(r)
    };
    inner
        .await
        .unwrap_or_else(|e| Localized(e, lang).into_response())
}
