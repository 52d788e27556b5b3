//! Portal policy end to end: step-up to a stronger login without losing
//! the pending request, Kanta Ekstranet rights in the tokens, pairwise
//! subjects and claims limited to what the portal's rules name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use porttivahti::config::{ClientSettings, PortalSettings};
use porttivahti::domain::{AuthMethod, LoA};
use porttivahti::policy::{Authority, LoginAttributes};
use porttivahti::store::ephemeral::Session;

const EXTRA: &str = r#"
[[portals]]
id = "strong"
name = "Vahva portaali"
[[portals.access]]
networks = ["intermetso"]
min_loa = "substantial"

[[portals]]
id = "ekstranet"
name = "Kanta Ekstranet"
claims = ["name", "authorities", "portals"]
choose_organisation = true
[[portals.access]]
label = "responsible person by trade-register position"
methods = ["suomifi", "sc"]
min_loa = "substantial"
positions = ["ELI", "TJ", "TJS", "VTJ"]
[[portals.access]]
label = "data-protection instructions mandate"
methods = ["suomifi", "sc"]
min_loa = "substantial"
mandates = ["sote-dataprotection-view"]
right = "read_only"

[[clients]]
client_id = "strong-portal"
portal = "strong"
secret = "secret-s-0123456789"
redirect_uris = ["https://strong.example/cb"]

[[clients]]
client_id = "ekstranet"
portal = "ekstranet"
secret = "secret-e-0123456789"
redirect_uris = ["https://ekstranet.example/cb"]
subject_type = "pairwise"
"#;

#[derive(serde::Deserialize)]
struct Extra {
    portals: Vec<PortalSettings>,
    clients: Vec<ClientSettings>,
}

async fn app() -> TestApp {
    let extra: Extra = toml::from_str(EXTRA).unwrap();
    spawn_app_with(move |s| {
        s.portals.extend(extra.portals);
        s.clients.extend(extra.clients);
    })
    .await
}

/// A browser whose session is a Suomi.fi login as the Suomi.fi source
/// will make it (that login itself is the lead's issue).
async fn suomifi_browser(
    app: &TestApp,
    username: &str,
    loa: LoA,
    authorities: Vec<Authority>,
) -> (Browser, String) {
    let (a, _) = app.state.dir.credentials(username).await.unwrap().unwrap();
    let now = app.clock_now();
    let session = Session {
        sid: porttivahti::tokens::random_token(16),
        account_id: a.id.clone(),
        auth_time: now,
        expires_at: now + 3600,
        loa,
        methods: vec![AuthMethod::SuomiFi],
        source: "password".into(),
        card_type: None,
        source_org_kind: None,
        source_org: None,
        upstream: None,
        attributes: LoginAttributes {
            authorities,
            ..Default::default()
        },
        one_time_password: Default::default(),
    };
    let secret = porttivahti::tokens::random_token(32);
    app.state
        .eph
        .put_session(&porttivahti::tokens::hash_secret(&secret), &session, now)
        .await
        .unwrap();
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(
        &format!("pv_sid={secret}; Path=/"),
        &app.base.parse().unwrap(),
    );
    let b = Browser {
        http: porttivahti::http_client_builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: app.base.clone(),
    };
    (b, a.id)
}

fn authority(bid: &str, name: &str, positions: &[&str], mandates: &[&str]) -> Authority {
    Authority {
        business_id: bid.into(),
        name: Some(name.into()),
        positions: positions.iter().map(|s| s.to_string()).collect(),
        mandates: mandates.iter().map(|s| s.to_string()).collect(),
    }
}

#[tokio::test]
async fn single_sign_on_below_the_portals_level_asks_for_a_stronger_login() {
    let app = app().await;
    let b = Browser::new(&app);
    login_at_portal_a(&app, &b).await;
    let (_, ch) = pkce();
    let url = auth_url(
        &app,
        "strong-portal",
        "https://strong.example/cb",
        Some(&ch),
        &[],
    );
    let r = b.get(&url).await;
    assert_eq!(r.status(), 303);
    let login = location(&r);
    assert!(login.starts_with("/login?ar="), "{login}");
    let page = b.get(&login).await.text().await.unwrap();
    assert!(page.contains("id=\"step-up\""), "{page}");
    assert!(page.contains("korotettu taso"), "{page}");
    // A password login does not reach it: the page says why, no loop.
    let r = b
        .submit_login(&login, "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn acr_values_above_the_session_send_the_person_to_log_in_again() {
    let app = app().await;
    let b = Browser::new(&app);
    login_at_portal_a(&app, &b).await;
    let (v, ch) = pkce();
    let url = auth_url(
        &app,
        "portal-a",
        "https://a.example/cb",
        Some(&ch),
        &[("acr_values", "http://eidas.europa.eu/LoA/substantial")],
    );
    let r = b.get(&url).await;
    let login = location(&r);
    assert!(
        login.starts_with("/login?ar="),
        "no single sign-on: {login}"
    );
    // The pending request survives the login: back to the portal with a
    // code; the token tells the level reached (acr is voluntary).
    let r = b
        .submit_login(&login, "anna.hoitaja", "Intermetso-demo-2026")
        .await;
    assert_eq!(r.status(), 303);
    let back = location(&r);
    assert!(back.starts_with("https://a.example/cb?"), "{back}");
    let code = query_param(&back, "code").unwrap();
    let t: serde_json::Value = exchange(
        &app,
        "portal-a",
        Some("secret-a-0123456789"),
        &code,
        "https://a.example/cb",
        Some(&v),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        jwt_payload(t["id_token"].as_str().unwrap())["acr"],
        "urn:porttivahti:loa:low"
    );
}

async fn ekstranet_tokens(b: &Browser, app: &TestApp) -> reqwest::Response {
    let (v, ch) = pkce();
    let r = b
        .get(&auth_url(
            app,
            "ekstranet",
            "https://ekstranet.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    if r.status() != 303 || !location(&r).starts_with("https://ekstranet.example/cb") {
        return r;
    }
    let code = query_param(&location(&r), "code").unwrap();
    exchange(
        app,
        "ekstranet",
        Some("secret-e-0123456789"),
        &code,
        "https://ekstranet.example/cb",
        Some(&v),
    )
    .await
}

#[tokio::test]
async fn a_managing_director_reaches_ekstranet_for_that_company_only() {
    let app = app().await;
    let (b, anna) = suomifi_browser(
        &app,
        "anna.hoitaja",
        LoA::Substantial,
        vec![
            authority("7019376-8", "Rova Oy", &["TJ"], &[]),
            authority("0208153-7", "Osakas Oy", &["YHM"], &[]),
        ],
    )
    .await;
    let r = ekstranet_tokens(&b, &app).await;
    assert_eq!(r.status(), 200);
    let t: serde_json::Value = r.json().await.unwrap();
    let at = jwt_payload(t["access_token"].as_str().unwrap());
    assert_eq!(
        at["authorities"],
        serde_json::json!([{"business_id": "7019376-8", "name": "Rova Oy", "right": "full"}])
    );
    let id = jwt_payload(t["id_token"].as_str().unwrap());
    assert_eq!(id["authorities"], at["authorities"]);
    // Only the claims the portal names; a pairwise subject.
    assert!(
        id.get("email").is_none() && id.get("organisations").is_none(),
        "{id}"
    );
    assert!(id.get("name").is_some(), "{id}");
    assert_ne!(id["sub"], anna.as_str());
    assert_eq!(id["sub"], at["sub"]);
    assert_eq!(
        id["sub"].as_str().unwrap(),
        porttivahti::oidc::privacy::pairwise_subject(
            app.state.settings.secrets.key_encryption_key.expose(),
            "ekstranet",
            &anna
        )
    );
    // Userinfo still finds the person behind the pairwise subject.
    let u: serde_json::Value = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["sub"], id["sub"]);
    assert!(u.get("email").is_none(), "{u}");
    assert_eq!(u["authorities"], at["authorities"]);
}

#[tokio::test]
async fn with_several_organisations_the_person_picks_one() {
    let app = app().await;
    let (b, _) = suomifi_browser(
        &app,
        "anna.hoitaja",
        LoA::Substantial,
        vec![
            authority("7019376-8", "Rova Oy", &["TJ"], &[]),
            authority("1943231-3", "Lukija Oy", &[], &["sote-dataprotection-view"]),
        ],
    )
    .await;
    let (v, ch) = pkce();
    let r = b
        .get(&auth_url(
            &app,
            "ekstranet",
            "https://ekstranet.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    assert_eq!(r.status(), 303);
    let pick = location(&r);
    assert!(pick.starts_with("/act-for?ar="), "{pick}");
    let page = b.get(&pick).await.text().await.unwrap();
    assert!(
        page.contains("Rova Oy (7019376-8), kaikki oikeudet"),
        "{page}"
    );
    assert!(
        page.contains("Lukija Oy (1943231-3), vain katselu"),
        "{page}"
    );
    let csrf = hidden(&page, "csrf");
    let ar = hidden(&page, "ar");
    // Something not offered is not taken.
    let r = b
        .http
        .post(format!("{}/act-for", app.base))
        .form(&[("csrf", csrf.as_str()), ("ar", &ar), ("org", "0208153-7")])
        .send()
        .await
        .unwrap();
    assert!(location(&r).starts_with("/act-for?ar="));
    let r = b
        .http
        .post(format!("{}/act-for", app.base))
        .form(&[("csrf", csrf.as_str()), ("ar", &ar), ("org", "1943231-3")])
        .send()
        .await
        .unwrap();
    let back = location(&r);
    assert!(back.starts_with("https://ekstranet.example/cb?"), "{back}");
    let code = query_param(&back, "code").unwrap();
    let t: serde_json::Value = exchange(
        &app,
        "ekstranet",
        Some("secret-e-0123456789"),
        &code,
        "https://ekstranet.example/cb",
        Some(&v),
    )
    .await
    .json()
    .await
    .unwrap();
    let at = jwt_payload(t["access_token"].as_str().unwrap());
    assert_eq!(
        at["authorities"],
        serde_json::json!([{"business_id": "1943231-3", "name": "Lukija Oy", "right": "read_only"}])
    );
}

#[tokio::test]
async fn without_position_or_mandate_ekstranet_refuses_and_says_so() {
    let app = app().await;
    let (b, _) = suomifi_browser(
        &app,
        "anna.hoitaja",
        LoA::Substantial,
        vec![authority("0208153-7", "Osakas Oy", &["YHM"], &[])],
    )
    .await;
    let r = ekstranet_tokens(&b, &app).await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(page.contains("Kanta Ekstranet"), "{page}");
}

#[test]
fn sessions_and_grants_stored_before_login_attributes_still_read() {
    let old = r#"{"sid":"s","account_id":"a","auth_time":1,"expires_at":2,"loa":"low","methods":["pwd"],"source":"password"}"#;
    let s: Session = serde_json::from_str(old).unwrap();
    assert_eq!(s.attributes, LoginAttributes::default());
    // A profession group stored without its provenance is the person's word.
    let old = r#"{"sid":"s","account_id":"a","auth_time":1,"expires_at":2,"loa":"low","methods":["pwd"],"source":"password","attributes":{"profession_group":"nurse"}}"#;
    let s: Session = serde_json::from_str(old).unwrap();
    assert!(s.attributes.profession_group_provenance.is_self_declared());
    let old = r#"{"account_id":"a","sid":"s","scope":["openid"],"auth_time":1,"loa":"low","methods":["pwd"],"source":"password"}"#;
    let g: porttivahti::store::ephemeral::Grant = serde_json::from_str(old).unwrap();
    assert!(g.attributes.authorities.is_empty());
    let old = r#"{"client_id":"c","redirect_uri":"https://p/cb","scope":["openid"],"state":null,"nonce":null,"code_challenge":null,"login_hint":null,"max_age":null,"created_at":1}"#;
    let r: porttivahti::store::ephemeral::AuthRequest = serde_json::from_str(old).unwrap();
    assert_eq!(r.min_loa, None);
}

#[tokio::test]
async fn the_service_desk_sees_why_rule_by_rule() {
    let extra: Extra = toml::from_str(EXTRA).unwrap();
    let app = spawn_app_with(move |s| {
        s.portals.extend(extra.portals);
        s.clients.extend(extra.clients);
        s.seed.operators = vec!["sonja.liaison".into()];
    })
    .await;
    let desk = strong_browser(&app, "sonja.liaison").await;
    let r = desk
        .get("/admin/operator/policy?account=anna.hoitaja&portal=strong&methods=pwd&loa=low")
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("after a stronger login (level substantial)"),
        "{page}"
    );
    assert!(page.contains("min_loa"), "{page}");
    let page = desk
        .get("/admin/operator/policy?account=anna.hoitaja&portal=ekstranet")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("may not reach it"), "{page}");
    assert!(
        page.contains("responsible person by trade-register position"),
        "{page}"
    );
    // A liaison person who is not an operator does not get the page.
    let liaison = strong_browser(&app, "liisa.yhteys").await;
    let r = liaison
        .get("/admin/operator/policy?account=anna.hoitaja&portal=strong")
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_cli_explains_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/pv.db", dir.path().display());
    let bin = env!("CARGO_BIN_EXE_porttivahti");
    let run = move |args: Vec<&'static str>, db: String| {
        std::process::Command::new(bin)
            .args(args)
            .env("PORTTIVAHTI__STORE__DATABASE_URL", db)
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    };
    // The shipped configuration; `migrate` creates the directory, the
    // seed is written by `serve`, so seed it through the library.
    let settings = porttivahti::config::Settings::load(
        Some(std::path::Path::new("config/porttivahti.toml")),
        [("PORTTIVAHTI__STORE__DATABASE_URL".to_string(), db.clone())],
    )
    .unwrap();
    let d = porttivahti::startup::open_directory(&settings)
        .await
        .unwrap();
    porttivahti::startup::seed(&*d, &settings, 1_700_000_000)
        .await
        .unwrap();
    let db2 = db.clone();
    let out = tokio::task::spawn_blocking(move || {
        run(
            vec![
                "policy",
                "explain",
                "--account",
                "anna.hoitaja",
                "--portal",
                "santra",
            ],
            db2,
        )
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("portal santra: may not reach it"), "{text}");
    assert!(
        text.contains("ok   org_kinds") && text.contains("FAIL methods"),
        "{text}"
    );
    let out = tokio::task::spawn_blocking(move || {
        run(
            vec![
                "policy",
                "explain",
                "--account",
                "anna.hoitaja",
                "--portal",
                "hopo",
            ],
            db,
        )
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("portal hopo: may reach it"), "{text}");
    assert!(text.contains("ok   via_portals"), "{text}");
}

/// What the first-login form and the profile page give is the person's own
/// word: marked `self_declared` in the tokens, and a portal rule admits on
/// it only with `accept_self_declared`. Hanna logs in through her
/// organisation's IdP (a real signing SAML peer on loopback), registers as
/// a nurse, and reaches the portal whose rule accepts that, not the one
/// whose rule does not.
#[tokio::test]
async fn hostile_a_self_declared_profession_group_opens_only_portals_that_accept_it() {
    use porttivahti::identity::saml::idp::{Answer, Idp, IdpPerson};
    use porttivahti::identity::saml::xmlsec::KeyPair;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let idp_base = format!("http://{}", listener.local_addr().unwrap());
    let idp = Idp {
        entity_id: format!("{idp_base}/hus-idp"),
        sso_url: format!("{idp_base}/sso"),
        slo_url: format!("{idp_base}/slo"),
        key: KeyPair::from_files("certs/dev/dev-idp-key.pem", "certs/dev/dev-idp.pem").unwrap(),
    };
    let metadata = idp.metadata();
    let router = axum::Router::new().route(
        "/metadata",
        axum::routing::get(move || async move { metadata }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let extra = format!(
        r#"
[[sources]]
id = "hus"
kind = "saml"
name = "HUS"
group = "university_hospital_districts"
organisation = "hus"
domains = ["hus.example.fi"]
metadata_url = "{idp_base}/metadata"

[[seed.organisations]]
id = "hus"
name_fi = "HUS-yhtymä"
name_sv = "HUS-sammanslutningen"
business_id = "1567535-0"
oid = "1.2.246.10.1567535.10.0"
kind = "hospital_district"
networks = []

[[portals]]
id = "nurses-open"
name = "Hoitajien ilmoitustaulu"
[[portals.access]]
profession_groups = ["nurse"]
accept_self_declared = true

[[portals]]
id = "nurses-only"
name = "Hoitotyön kirjaamisohjeet"
[[portals.access]]
profession_groups = ["nurse"]

[[clients]]
client_id = "open-portal"
portal = "nurses-open"
secret = "secret-o-0123456789"
redirect_uris = ["https://open.example/cb"]

[[clients]]
client_id = "only-portal"
portal = "nurses-only"
secret = "secret-n-0123456789"
redirect_uris = ["https://only.example/cb"]
"#
    );
    let app = spawn_app_extra(&extra, &[], |_| {}).await;
    wait_for_sources(&app).await;
    let b = Browser::new(&app);

    // To the IdP for the portal that accepts the person's word.
    let (verifier, ch) = pkce();
    let r = b
        .get(&auth_url(
            &app,
            "open-portal",
            "https://open.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    let ar = query_param(&format!("{}{}", app.base, location(&r)), "ar").unwrap();
    let r = b.get(&format!("/login/source/hus?ar={ar}")).await;
    let to = location(&r);
    assert!(to.starts_with(&idp.sso_url), "{to}");
    let sp_cert = KeyPair::from_files("certs/dev/saml-sp-key.pem", "certs/dev/saml-sp.pem")
        .unwrap()
        .cert_der();
    let req = idp
        .read_request(to.split_once('?').unwrap().1, Some(&sp_cert))
        .unwrap();
    let hanna = IdpPerson {
        name_id: "hanna.hoitaja@hus.example.fi".into(),
        authn_context: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport".into(),
        attributes: vec![
            ("urn:oid:2.5.4.42".into(), vec!["Hanna".into()]),
            ("urn:oid:2.5.4.4".into(), vec!["Hoitaja".into()]),
            (
                "urn:oid:0.9.2342.19200300.100.1.3".into(),
                vec!["hanna.hoitaja@hus.example.fi".into()],
            ),
        ],
    };
    let answer = idp
        .response(&req, Some(&hanna), &Answer::new(app.clock_now()))
        .unwrap();
    let r = b
        .http
        .post(format!("{}/saml/hus/acs", app.base))
        .form(&[
            ("SAMLResponse", porttivahti::tokens::b64_std(&answer)),
            ("RelayState", "x".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert!(location(&r).starts_with("/register"), "{}", location(&r));
    // She says she is a nurse.
    let page = b.get("/register").await.text().await.unwrap();
    let r = b
        .http
        .post(format!("{}/register", app.base))
        .form(&[
            ("csrf", hidden(&page, "csrf")),
            ("ar", hidden(&page, "ar")),
            ("email", "hanna@example.fi".into()),
            ("phone", "040 123 4567".into()),
            ("profession_group", "nurse".into()),
            ("wellbeing_area", String::new()),
            ("municipality", String::new()),
            ("org", "hus".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let back = location(&r);
    assert!(back.starts_with("https://open.example/cb"), "{back}");
    let code = query_param(&back, "code").unwrap();
    let t: serde_json::Value = exchange(
        &app,
        "open-portal",
        Some("secret-o-0123456789"),
        &code,
        "https://open.example/cb",
        Some(&verifier),
    )
    .await
    .json()
    .await
    .unwrap();
    // The token says whose word the profile is.
    let id = jwt_payload(t["id_token"].as_str().unwrap());
    let profile = &id["professional_profile"];
    assert_eq!(profile["profession_group"], "nurse", "{id}");
    assert_eq!(profile["self_declared"], true, "{id}");
    let portals: Vec<&str> = id["portals"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert!(portals.contains(&"nurses-open"), "{id}");
    assert!(!portals.contains(&"nurses-only"), "{id}");

    // The portal whose rule does not accept the person's word: refused,
    // saying what is missing; silently too.
    let mut refused = 0;
    let (_, ch) = pkce();
    let r = b
        .get(&auth_url(
            &app,
            "only-portal",
            "https://only.example/cb",
            Some(&ch),
            &[],
        ))
        .await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(page.contains("oma ilmoituksesi ei riitä"), "{page}");
    refused += 1;
    let r = b
        .get(&auth_url(
            &app,
            "only-portal",
            "https://only.example/cb",
            Some(&ch),
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        query_param(&location(&r), "error").as_deref(),
        Some("access_denied")
    );
    refused += 1;
    hostile_refused(
        "hostile_a_self_declared_profession_group_opens_only_portals_that_accept_it",
        refused,
    );
}
