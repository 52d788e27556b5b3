//! Organisation login and Suomi.fi over SAML against a real IdP peer on
//! loopback (its metadata is fetched over HTTP; it signs with its own key
//! and encrypts to our SP certificate), first-login registration, and every
//! way an answer must be refused without writing anything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::{Arc, Mutex};

use common::{Browser, TestApp, auth_url, exchange, hidden, jwt_payload, location, pkce};
use porttivahti::identity::saml::idp::{Answer, Idp, IdpPerson, ReceivedRequest};
use porttivahti::identity::saml::xmlsec::{KeyPair, Recipient};
use porttivahti::identity::suomifi;

#[path = "saml/idp_logout.rs"]
mod idp_logout;
#[path = "saml/metadata.rs"]
mod metadata;
#[path = "saml/strict.rs"]
mod strict;

/// A SAML IdP on loopback: serves its metadata over HTTP; the test plays
/// the person at its login screen.
struct Peer {
    idp: Idp,
    base: String,
    /// What the metadata endpoint serves (switchable: key rollover).
    metadata: Arc<Mutex<String>>,
}

async fn peer(name: &str) -> Peer {
    peer_serving(name, |idp| idp.metadata()).await
}

/// A peer whose metadata endpoint serves what `metadata` makes of it
/// (signed by a federation, tampered with, …).
async fn peer_serving(name: &str, metadata: impl FnOnce(&Idp) -> String) -> Peer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let idp = Idp {
        entity_id: format!("{base}/{name}"),
        sso_url: format!("{base}/sso"),
        slo_url: format!("{base}/slo"),
        key: KeyPair::from_files("certs/dev/dev-idp-key.pem", "certs/dev/dev-idp.pem").unwrap(),
    };
    let metadata = Arc::new(Mutex::new(metadata(&idp)));
    let served = metadata.clone();
    let router = axum::Router::new().route(
        "/metadata",
        axum::routing::get(move || {
            let m = served.lock().unwrap().clone();
            async move { m }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Peer {
        idp,
        base,
        metadata,
    }
}

/// A federation's metadata signing key (Suomi.fi and Haka sign the
/// metadata they publish) and the path of its certificate, for
/// `metadata_signing_cert`: made once per test run.
fn federation() -> &'static (KeyPair, String) {
    static FEDERATION: std::sync::OnceLock<(KeyPair, String)> = std::sync::OnceLock::new();
    FEDERATION.get_or_init(|| {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["metadata.federation.example".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let path = format!(
            "{}/saml-federation-{}.pem",
            env!("CARGO_TARGET_TMPDIR"),
            std::process::id()
        );
        std::fs::write(&path, cert.pem()).unwrap();
        (
            KeyPair::from_pem(&key.serialize_pem(), &cert.pem()).unwrap(),
            path,
        )
    })
}

/// This test's log lines: a subscriber for the test's thread, where the
/// test runtime also runs the application's tasks.
struct Logs {
    buf: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Logs {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info,sqlx=warn"))
        .with_ansi(false)
        .with_writer(move || LogWriter(sink.clone()))
        .finish();
    Logs {
        buf,
        _guard: tracing::subscriber::set_default(subscriber),
    }
}

impl Logs {
    /// The first line that contains every one of `needles`.
    fn line(&self, needles: &[&str]) -> Option<String> {
        let logs = self.buf.lock().unwrap().clone();
        String::from_utf8_lossy(&logs)
            .lines()
            .find(|l| needles.iter().all(|n| l.contains(n)))
            .map(str::to_string)
    }

    #[track_caller]
    fn assert_line(&self, needles: &[&str]) -> String {
        self.line(needles).unwrap_or_else(|| {
            panic!(
                "no log line with {needles:?} in:\n{}",
                String::from_utf8_lossy(&self.buf.lock().unwrap())
            )
        })
    }
}

fn sources_toml(org: &Peer, suomifi: &Peer) -> String {
    format!(
        r#"
[[sources]]
id = "hus"
kind = "saml"
name = "HUS"
group = "university_hospital_districts"
organisation = "hus"
domains = ["hus.example.fi"]
metadata_url = "{}/metadata"

[[sources]]
id = "suomifi"
kind = "suomifi"
name = "Suomi.fi"
group = "professionals"
metadata_url = "{}/metadata"
metadata_signing_cert = "{}"

[[seed.organisations]]
id = "hus"
name_fi = "HUS-yhtymä"
name_sv = "HUS-sammanslutningen"
business_id = "1567535-0"
oid = "1.2.246.10.1567535.10.0"
kind = "hospital_district"
networks = []

[[portals]]
id = "santra"
name = "Santra"
[[portals.access]]
org_kinds = ["hospital_district", "health_centre"]
methods = ["saml"]

[[clients]]
client_id = "santra-portal"
portal = "santra"
secret = "secret-s-0123456789"
redirect_uris = ["https://santra.example/cb"]

# Personal identification at substantial or more reaches this one.
[[portals]]
id = "mtt"
name = "Mielenterveystalo"
[[portals.access]]
methods = ["suomifi"]
min_loa = "substantial"

[[clients]]
client_id = "mtt-portal"
portal = "mtt"
secret = "secret-m-0123456789"
redirect_uris = ["https://mtt.example/cb"]
"#,
        org.base,
        suomifi.base,
        federation().1
    )
}

const NATIONAL_ID_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// The application with an organisation IdP (plain metadata) and Suomi.fi
/// (metadata signed by the federation, as Suomi.fi publishes it). Peers
/// on loopback serve their metadata over plain HTTP, which only
/// development allows.
async fn setup() -> (TestApp, Peer, Peer) {
    let org = peer("hus-idp").await;
    let sfi = peer_serving("suomifi-idp", |idp| {
        idp.signed_metadata(&federation().0).unwrap()
    })
    .await;
    let app = common::spawn_app_extra(
        &sources_toml(&org, &sfi),
        &[
            ("PORTTIVAHTI__SECRETS__NATIONAL_ID_KEY", NATIONAL_ID_KEY),
            ("PORTTIVAHTI__SERVER__ENVIRONMENT", "development"),
        ],
        |_| {},
    )
    .await;
    // The metadata is fetched in the background at start.
    common::wait_for_sources(&app).await;
    (app, org, sfi)
}

fn sp_cert() -> Vec<u8> {
    KeyPair::from_files("certs/dev/saml-sp-key.pem", "certs/dev/saml-sp.pem")
        .unwrap()
        .cert_der()
}

fn sp_recipient() -> Recipient {
    Recipient::from_der(&sp_cert()).unwrap()
}

fn hanna() -> IdpPerson {
    IdpPerson {
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
    }
}

fn sanna(class: &str) -> IdpPerson {
    IdpPerson {
        name_id: format!("_t{}", porttivahti::tokens::random_token(12)),
        authn_context: class.into(),
        attributes: vec![
            (
                suomifi::attr::NATIONAL_ID.into(),
                vec!["010280-952L".into()],
            ),
            (suomifi::attr::GIVEN_NAME.into(), vec!["Sanna".into()]),
            (suomifi::attr::SURNAME.into(), vec!["Suominen".into()]),
            (
                suomifi::attr::MUNICIPALITY_FI.into(),
                vec!["Jyväskylä".into()],
            ),
        ],
    }
}

/// Starts a portal login and follows it to the IdP: returns the request
/// as the IdP read it (signature checked with our SP certificate).
async fn to_idp(
    app: &TestApp,
    b: &Browser,
    p: &Peer,
    source: &str,
    client: &str,
    redirect: &str,
    challenge: &str,
) -> ReceivedRequest {
    let r = b
        .get(&auth_url(app, client, redirect, Some(challenge), &[]))
        .await;
    assert_eq!(r.status(), 303);
    let login = location(&r);
    let page = b.get(&login).await.text().await.unwrap();
    assert!(page.contains(&format!("/login/source/{source}")), "{page}");
    let ar = login.split("ar=").nth(1).unwrap();
    let r = b.get(&format!("/login/source/{source}?ar={ar}")).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let to = location(&r);
    assert!(to.starts_with(&p.idp.sso_url), "{to}");
    p.idp
        .read_request(to.split_once('?').unwrap().1, Some(&sp_cert()))
        .unwrap()
}

/// Hanna starts a Santra login at HUS and the IdP answers for her with a
/// valid signed assertion (the answer, to post to the ACS).
async fn hanna_at_hus(app: &TestApp, b: &Browser, org: &Peer) -> String {
    let (_, challenge) = pkce();
    let req = to_idp(
        app,
        b,
        org,
        "hus",
        "santra-portal",
        "https://santra.example/cb",
        &challenge,
    )
    .await;
    org.idp
        .response(&req, Some(&hanna()), &Answer::new(app.clock_now()))
        .unwrap()
}

async fn post_acs(b: &Browser, source: &str, response: &str) -> reqwest::Response {
    b.http
        .post(format!("{}/saml/{source}/acs", b.base))
        .form(&[
            ("SAMLResponse", porttivahti::tokens::b64_std(response)),
            ("RelayState", "x".to_string()),
        ])
        .send()
        .await
        .unwrap()
}

/// Fills in the first-login form with valid data; returns the response.
async fn register(b: &Browser, orgs: &[&str]) -> reqwest::Response {
    let page = b.get("/register").await.text().await.unwrap();
    let mut form = vec![
        ("csrf".to_string(), hidden(&page, "csrf")),
        ("ar".to_string(), hidden(&page, "ar")),
        ("given_name".to_string(), hidden_value(&page, "given_name")),
        (
            "family_name".to_string(),
            hidden_value(&page, "family_name"),
        ),
        ("email".to_string(), "hanna@example.fi".to_string()),
        ("phone".to_string(), "040 123 4567".to_string()),
        ("profession_group".to_string(), "nurse".to_string()),
        ("wellbeing_area".to_string(), String::new()),
        ("municipality".to_string(), String::new()),
    ];
    for o in orgs {
        form.push(("org".to_string(), o.to_string()));
    }
    b.http
        .post(format!("{}/register", b.base))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn hidden_value(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\" name=\"{id}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {id}"));
    let rest = &html[at..];
    let v = rest.find("value=\"").unwrap() + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_string()
}

async fn code_from(
    app: &TestApp,
    r: &reqwest::Response,
    client: &str,
    secret: &str,
    redirect: &str,
    verifier: &str,
) -> serde_json::Value {
    let to = location(r);
    assert!(to.starts_with(redirect), "{to}");
    let code = common::query_param(&to, "code").unwrap();
    let t = exchange(app, client, Some(secret), &code, redirect, Some(verifier)).await;
    assert_eq!(t.status(), 200);
    t.json().await.unwrap()
}

#[tokio::test]
async fn organisation_login_registers_once_and_reaches_santra() {
    let (app, org, _) = setup().await;
    let b = Browser::new(&app);
    let (verifier, challenge) = pkce();
    let redirect = "https://santra.example/cb";
    let req = to_idp(&app, &b, &org, "hus", "santra-portal", redirect, &challenge).await;
    assert!(req.context_refs.is_empty());
    let resp = org
        .idp
        .response(&req, Some(&hanna()), &Answer::new(app.clock_now()))
        .unwrap();
    let r = post_acs(&b, "hus", &resp).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/register"), "{}", location(&r));
    // The form knows who came and from where.
    let page = b.get("/register").await.text().await.unwrap();
    assert!(page.contains("Hanna Hoitaja"));
    assert!(
        page.contains("value=\"hus\" checked"),
        "the vouching organisation is preselected"
    );
    // Missing profession: the form again, nothing written.
    let csrf = hidden(&page, "csrf");
    let bad = b
        .http
        .post(format!("{}/register", b.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("ar", &hidden(&page, "ar")),
            ("email", "x"),
            ("phone", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let text = bad.text().await.unwrap();
    assert!(text.contains("Valitse ammattiryhmä") && text.contains("Tarkista sähköpostiosoite"));
    assert!(
        app.state
            .dir
            .account_by_identity("hus", "hanna.hoitaja@hus.example.fi")
            .await
            .unwrap()
            .is_none()
    );

    let r = register(&b, &["hus"]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let tokens = code_from(
        &app,
        &r,
        "santra-portal",
        "secret-s-0123456789",
        redirect,
        &verifier,
    )
    .await;
    let id = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert!(id["amr"].as_array().unwrap().iter().any(|m| m == "saml"));
    // The vouching organisation, the portals and the profile are in the token.
    assert_eq!(
        id["organisations"][0]["oid"], "1.2.246.10.1567535.10.0",
        "{id}"
    );
    assert!(
        id["portals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "santra")
    );
    assert_eq!(id["professional_profile"]["profession_group"], "nurse");
    assert_eq!(id["acr"], "http://eidas.europa.eu/LoA/substantial");
    let sub = id["sub"].as_str().unwrap().to_string();
    let account = app
        .state
        .dir
        .account_by_identity("hus", "hanna.hoitaja@hus.example.fi")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.id, sub);
    let profile = app.state.dir.profile(&sub).await.unwrap().unwrap();
    assert_eq!(profile.profession_group, "nurse");
    assert_eq!(profile.cooperating_organisations, vec!["hus".to_string()]);

    // Next time, in a fresh browser, straight through.
    let b2 = Browser::new(&app);
    let (verifier, challenge) = pkce();
    let req = to_idp(
        &app,
        &b2,
        &org,
        "hus",
        "santra-portal",
        redirect,
        &challenge,
    )
    .await;
    let resp = org
        .idp
        .response(&req, Some(&hanna()), &Answer::new(app.clock_now()))
        .unwrap();
    let r = post_acs(&b2, "hus", &resp).await;
    assert_eq!(r.status(), 303);
    let tokens = code_from(
        &app,
        &r,
        "santra-portal",
        "secret-s-0123456789",
        redirect,
        &verifier,
    )
    .await;
    assert_eq!(
        jwt_payload(tokens["id_token"].as_str().unwrap())["sub"],
        sub
    );
}

#[tokio::test]
async fn suomifi_login_is_encrypted_hashes_the_identity_code_and_records_the_level() {
    let (app, _, sfi) = setup().await;
    let b = Browser::new(&app);
    let (verifier, challenge) = pkce();
    let redirect = "https://a.example/cb";
    let req = to_idp(&app, &b, &sfi, "suomifi", "portal-a", redirect, &challenge).await;
    // Suomi.fi is asked for a level, and told the page's language.
    assert!(req.context_refs.contains(&suomifi::LOA2.to_string()));
    assert_eq!(req.locale.as_deref(), Some("fi"));
    // Plain (unencrypted) assertions are refused from Suomi.fi.
    let plain = sfi
        .idp
        .response(
            &req,
            Some(&sanna(suomifi::LOA3)),
            &Answer::new(app.clock_now()),
        )
        .unwrap();
    let r = post_acs(&b, "suomifi", &plain).await;
    assert_eq!(r.status(), 403);

    let req = to_idp(&app, &b, &sfi, "suomifi", "portal-a", redirect, &challenge).await;
    let mut ans = Answer::new(app.clock_now());
    ans.encrypt_to = Some(sp_recipient());
    let resp = sfi
        .idp
        .response(&req, Some(&sanna(suomifi::LOA3)), &ans)
        .unwrap();
    assert!(!resp.contains("010280-952L"));
    // portal-a is Hopo (via Intermetso/Sonette), which no registration
    // gives a Suomi.fi person: refused before the form, nothing written.
    let r = post_acs(&b, "suomifi", &resp).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Hopo"));
    let subject = suomifi::subject_of(
        "010280-952L",
        &porttivahti::tokens::b64_std_decode(NATIONAL_ID_KEY).unwrap(),
    );
    assert!(
        app.state
            .dir
            .account_by_identity("suomifi", &subject)
            .await
            .unwrap()
            .is_none()
    );
    // The personal section of Mielenterveystalo takes her: she registers.
    let redirect = "https://mtt.example/cb";
    let req = to_idp(
        &app,
        &b,
        &sfi,
        "suomifi",
        "mtt-portal",
        redirect,
        &challenge,
    )
    .await;
    let mut ans = Answer::new(app.clock_now());
    ans.encrypt_to = Some(sp_recipient());
    let resp = sfi
        .idp
        .response(&req, Some(&sanna(suomifi::LOA3)), &ans)
        .unwrap();
    let r = post_acs(&b, "suomifi", &resp).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/register"));
    // Suomi.fi gave no e-mail: the person types it; names are as vouched.
    let page = b.get("/register").await.text().await.unwrap();
    assert!(page.contains("Sanna Suominen"));
    assert!(page.contains("Jyväskylä"));
    let r = register(&b, &["jkl"]).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with(redirect), "{}", location(&r));
    let account = app
        .state
        .dir
        .account_by_identity("suomifi", &subject)
        .await
        .unwrap()
        .expect("linked by the keyed hash");
    let links = app.state.dir.identity_links(&account.id).await.unwrap();
    assert!(!links.is_empty());
    assert!(links.iter().all(|l| !l.subject.contains("010280")));
    let _ = verifier;
}

#[tokio::test]
async fn refused_answers_write_nothing_and_say_what_to_do() {
    let (app, org, _) = setup().await;
    let b = Browser::new(&app);
    let (_, challenge) = pkce();
    let redirect = "https://santra.example/cb";
    let now = app.clock_now();

    // Tampered after signing.
    let req = to_idp(&app, &b, &org, "hus", "santra-portal", redirect, &challenge).await;
    let resp = org
        .idp
        .response(&req, Some(&hanna()), &Answer::new(now))
        .unwrap();
    let r = post_acs(&b, "hus", &resp.replace(">Hoitaja<", ">Pääkäyttäjä<")).await;
    assert_eq!(r.status(), 403);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("ei voitu todentaa") && text.contains("saml_response_refused"),
        "{text}"
    );

    // For another service.
    let req = to_idp(&app, &b, &org, "hus", "santra-portal", redirect, &challenge).await;
    let mut ans = Answer::new(now);
    ans.audience = Some("https://elsewhere.example/sp".into());
    let r = post_acs(
        &b,
        "hus",
        &org.idp.response(&req, Some(&hanna()), &ans).unwrap(),
    )
    .await;
    assert_eq!(r.status(), 403);

    // Expired.
    let req = to_idp(&app, &b, &org, "hus", "santra-portal", redirect, &challenge).await;
    let r = post_acs(
        &b,
        "hus",
        &org.idp
            .response(&req, Some(&hanna()), &Answer::new(now - 3600))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("vanhentunut"));

    // The person cancelled at the IdP.
    let req = to_idp(&app, &b, &org, "hus", "santra-portal", redirect, &challenge).await;
    let mut ans = Answer::new(now);
    ans.status = Some((
        "urn:oasis:names:tc:SAML:2.0:status:Responder".into(),
        Some("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed".into()),
    ));
    let r = post_acs(&b, "hus", &org.idp.response(&req, None, &ans).unwrap()).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("keskeytettiin"));

    // Delivered to another browser (no binding cookie).
    let req = to_idp(&app, &b, &org, "hus", "santra-portal", redirect, &challenge).await;
    let good = org
        .idp
        .response(&req, Some(&hanna()), &Answer::new(now))
        .unwrap();
    let stranger = Browser::new(&app);
    let r = post_acs(&stranger, "hus", &good).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("toisessa selaimessa"));

    // Unsolicited (answers no request of ours).
    let mut fake = req.clone();
    fake.id = "_never-sent".into();
    let r = post_acs(
        &b,
        "hus",
        &org.idp
            .response(&fake, Some(&hanna()), &Answer::new(now))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status(), 400);

    // None of these linked or created anything.
    assert!(
        app.state
            .dir
            .account_by_identity("hus", "hanna.hoitaja@hus.example.fi")
            .await
            .unwrap()
            .is_none()
    );
    let (accounts, _) = app
        .state
        .dir
        .find_accounts(&porttivahti::store::AccountQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(accounts.iter().any(|a| a.username == "anna.hoitaja"));
    assert!(accounts.iter().all(|a| !a.username.starts_with("hus-")));
}

#[tokio::test]
async fn a_replayed_assertion_is_refused() {
    let (app, org, _) = setup().await;
    let b = Browser::new(&app);
    let (_, challenge) = pkce();
    let redirect = "https://santra.example/cb";
    let req = to_idp(&app, &b, &org, "hus", "santra-portal", redirect, &challenge).await;
    let first = Answer::new(app.clock_now());
    let resp = org.idp.response(&req, Some(&hanna()), &first).unwrap();
    assert_eq!(post_acs(&b, "hus", &resp).await.status(), 303);
    // The same answer again: its request was answered already.
    let again = post_acs(&b, "hus", &resp).await;
    assert_eq!(again.status(), 400);
    // The same assertion under a new request id: the replay cache.
    let req2 = to_idp(&app, &b, &org, "hus", "santra-portal", redirect, &challenge).await;
    let swapped = resp.replace(&req.id, &req2.id);
    let r = post_acs(&b, "hus", &swapped).await;
    // Changing InResponseTo breaks the signature, so the IdP must sign it
    // anew with the same assertion id:
    assert_eq!(r.status(), 403);
    let mut ans = Answer::new(app.clock_now());
    ans.assertion_id = first.assertion_id.clone();
    let req3 = to_idp(&app, &b, &org, "hus", "santra-portal", redirect, &challenge).await;
    let replay = org.idp.response(&req3, Some(&hanna()), &ans).unwrap();
    let r = post_acs(&b, "hus", &replay).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("jo käytetty"));
}

#[tokio::test]
async fn idp_key_rollover_is_picked_up_from_the_metadata() {
    let (app, mut org, _) = setup().await;
    // The IdP moves to a new key and publishes it.
    org.idp.key =
        KeyPair::from_files("certs/dev/saml-sp-key.pem", "certs/dev/saml-sp.pem").unwrap();
    *org.metadata.lock().unwrap() = org.idp.metadata();
    app.clock.advance(61);
    let b = Browser::new(&app);
    let resp = hanna_at_hus(&app, &b, &org).await;
    let r = post_acs(&b, "hus", &resp).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert!(location(&r).starts_with("/register"));
}

#[tokio::test]
async fn login_page_groups_searches_and_follows_hints() {
    let (app, _, _) = setup().await;
    let b = Browser::new(&app);
    let page = b.get("/login").await.text().await.unwrap();
    assert!(page.contains("Yliopistosairaanhoitopiirit"));
    assert!(page.contains("Tunnistaudu Suomi.fi-palvelussa"));
    let page = b.get("/login?q=hus").await.text().await.unwrap();
    assert!(page.contains("/login/source/hus"));
    let page = b.get("/login?q=tampere").await.text().await.unwrap();
    assert!(page.contains("Hakusanalla ei löytynyt"));
    // idp_hint skips the choice; so does a login_hint in a source's domain.
    let (_, challenge) = pkce();
    for extra in [("idp_hint", "hus"), ("login_hint", "hanna@hus.example.fi")] {
        let r = b
            .get(&auth_url(
                &app,
                "santra-portal",
                "https://santra.example/cb",
                Some(&challenge),
                &[extra],
            ))
            .await;
        let login = location(&r);
        let r = b.get(&login).await;
        assert_eq!(r.status(), 303);
        assert!(
            location(&r).starts_with("/login/source/hus?ar="),
            "{}",
            location(&r)
        );
    }
    // SP metadata for the IdP's administrators.
    let r = b.get("/saml/hus/metadata").await;
    assert_eq!(r.status(), 200);
    let m = r.text().await.unwrap();
    assert!(m.contains("AssertionConsumerService") && m.contains("/saml/hus/acs"));
}

#[tokio::test]
async fn a_source_whose_metadata_cannot_be_had_is_shown_unavailable() {
    let (_closed, port) = common::refusing_port();
    let app = common::spawn_app_extra(
        &format!(
            r#"
[[sources]]
id = "down"
kind = "saml"
name = "Poissa IdP"
metadata_url = "http://127.0.0.1:{port}/metadata"
"#
        ),
        &[("PORTTIVAHTI__SERVER__ENVIRONMENT", "development")],
        |_| {},
    )
    .await;
    let b = Browser::new(&app);
    let page = b.get("/login").await.text().await.unwrap();
    assert!(page.contains("Poissa IdP") && page.contains("ei juuri nyt käytettävissä"));
    let r = b.get("/login/source/down").await;
    assert_eq!(r.status(), 503);
}

#[tokio::test]
async fn the_development_idp_works_end_to_end_and_is_refused_in_production() {
    let extra = r#"
[dev_idp]
enabled = true

[[sources]]
id = "dev"
kind = "suomifi"
name = "Suomi.fi (dev)"
group = "professionals"
metadata_url = "/dev-idp/suomifi/metadata"
"#;
    // Production refuses to start with it.
    let text = format!("{}\n{extra}", common::TEST_CONFIG).replace("SVC_DIGEST", &"0".repeat(64));
    let err = porttivahti::config::Settings::parse(
        &text,
        std::path::Path::new("t"),
        [
            (
                "PORTTIVAHTI__SECRETS__NATIONAL_ID_KEY".to_string(),
                NATIONAL_ID_KEY.to_string(),
            ),
            (
                "PORTTIVAHTI__SERVER__ENVIRONMENT".to_string(),
                "production".to_string(),
            ),
        ],
    )
    .unwrap_err();
    assert!(err.to_string().contains("refused in production"), "{err}");
    assert!(err.to_string().contains("dev_idp.enabled"), "{err}");

    let app = common::spawn_app_extra(
        extra,
        &[
            ("PORTTIVAHTI__SERVER__ENVIRONMENT", "development"),
            ("PORTTIVAHTI__SECRETS__NATIONAL_ID_KEY", NATIONAL_ID_KEY),
        ],
        |_| {},
    )
    .await;
    common::wait_for_sources(&app).await;
    let b = Browser::new(&app);
    let r = b.get("/login/source/dev").await;
    assert_eq!(r.status(), 303);
    let page = b.get(&location(&r)).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Sanna Suominen"));
    let r = b
        .http
        .post(format!("{}/dev-idp/suomifi/sso", app.base))
        .form(&[
            ("csrf", hidden(&page, "csrf")),
            ("ticket", hidden(&page, "ticket")),
            ("person", "0".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let form = r.text().await.unwrap();
    let saml = hidden(&form, "SAMLResponse");
    let xml = String::from_utf8(porttivahti::tokens::b64_std_decode(&saml).unwrap()).unwrap();
    assert!(xml.contains("EncryptedAssertion") && !xml.contains("010280"));
    let r = b
        .http
        .post(format!("{}/saml/dev/acs", app.base))
        .form(&[
            ("SAMLResponse", saml),
            ("RelayState", hidden(&form, "RelayState")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/register"));
}

#[tokio::test]
async fn logout_ends_the_idp_session_too() {
    use porttivahti::identity::saml::request::{logout_response_xml, read_redirect, redirect_url};
    let (app, org, _) = setup().await;
    let b = Browser::new(&app);
    let resp = hanna_at_hus(&app, &b, &org).await;
    assert_eq!(post_acs(&b, "hus", &resp).await.status(), 303);
    assert_eq!(register(&b, &["hus"]).await.status(), 303);

    // The person logs out at the gateway.
    let page = b.get("/logout").await.text().await.unwrap();
    let r = b
        .http
        .post(format!("{}/logout", app.base))
        .form(&[("csrf", hidden(&page, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(to.starts_with(&org.idp.slo_url), "{to}");
    // The gateway's session has ended already.
    assert_eq!(b.get("/account/profile").await.status(), 303);
    // The IdP reads the signed LogoutRequest for Hanna's session...
    let m = read_redirect(
        to.split_once('?').unwrap().1,
        "SAMLRequest",
        Some(&sp_cert()),
    )
    .unwrap();
    assert!(m.xml.contains("hanna.hoitaja@hus.example.fi") && m.xml.contains("SessionIndex"));
    let irt = m
        .xml
        .split("ID=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    // ...and answers to our logout endpoint.
    let slo = format!("{}/saml/hus/slo", app.base);
    let answer = logout_response_xml("_lr1", &org.idp.entity_id, &slo, app.clock_now(), irt);
    let back = redirect_url(
        &slo,
        "SAMLResponse",
        &answer,
        m.relay_state.as_deref(),
        &org.idp.key,
    )
    .unwrap();
    let r = b.get(&back).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Olet kirjautunut ulos"));
    // An answer signed by someone else is not believed (and harmless).
    let forged = redirect_url(
        &slo,
        "SAMLResponse",
        &answer,
        m.relay_state.as_deref(),
        &KeyPair::from_files("certs/dev/saml-sp-key.pem", "certs/dev/saml-sp.pem").unwrap(),
    )
    .unwrap();
    assert_eq!(b.get(&forged).await.status(), 200);
}

#[tokio::test]
async fn the_idp_can_end_the_session_with_its_own_logout_request() {
    use porttivahti::identity::saml::request::{logout_request_xml, read_redirect, redirect_url};
    let (app, org, _) = setup().await;
    let b = Browser::new(&app);
    let resp = hanna_at_hus(&app, &b, &org).await;
    assert_eq!(post_acs(&b, "hus", &resp).await.status(), 303);
    assert_eq!(register(&b, &["hus"]).await.status(), 303);
    assert_eq!(b.get("/account/profile").await.status(), 200);

    let slo = format!("{}/saml/hus/slo", app.base);
    let request = |name_id: &str, key: &KeyPair| {
        let xml = logout_request_xml(
            "_idp-lr1",
            &org.idp.entity_id,
            &slo,
            app.clock_now(),
            name_id,
            None,
        );
        redirect_url(&slo, "SAMLRequest", &xml, Some("rs-idp"), key).unwrap()
    };
    // Signed by someone else: refused (not "you have logged out"), the
    // session stays.
    let sp_key = KeyPair::from_files("certs/dev/saml-sp-key.pem", "certs/dev/saml-sp.pem").unwrap();
    let r = b
        .get(&request("hanna.hoitaja@hus.example.fi", &sp_key))
        .await;
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Uloskirjautumispyyntöä ei hyväksytty")
            && !page.contains("Olet kirjautunut ulos"),
        "{page}"
    );
    assert_eq!(b.get("/account/profile").await.status(), 200);
    // From the IdP (any browser may carry it): the session ends, and the
    // IdP gets our signed answer.
    let stranger = Browser::new(&app);
    let r = stranger
        .get(&request("hanna.hoitaja@hus.example.fi", &org.idp.key))
        .await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(to.starts_with(&org.idp.slo_url), "{to}");
    let m = read_redirect(
        to.split_once('?').unwrap().1,
        "SAMLResponse",
        Some(&sp_cert()),
    )
    .unwrap();
    assert!(m.xml.contains("InResponseTo=\"_idp-lr1\"") && m.xml.contains("status:Success"));
    assert_eq!(m.relay_state.as_deref(), Some("rs-idp"));
    assert_eq!(
        b.get("/account/profile").await.status(),
        303,
        "the session has ended"
    );
}
