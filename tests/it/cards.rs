//! Certificate-card login over real TLS: each test card of the test PKI is
//! presented to the real HTTPS listener on loopback, and the card CA's CRL
//! is served by a small HTTP server on loopback, its OCSP responder by a
//! test responder (`common/ocsp.rs`) that signs real answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::ocsp;
use crate::pki;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use porttivahti::clock::{Clock, SystemClock};
use porttivahti::config::{
    CardIssuer, CardSettings, CardTypeRule, RevocationCheck, RevocationUnknown, Settings,
};
use porttivahti::domain::CardType;
use porttivahti::identity::card::CardError;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::{TestApp, spawn_app_with};
use ocsp::{Mode, OcspResponder};
use pki::{TestCard, TestPki};

/// The binary-wide log capture (see `common::install_logs`); a test
/// finds its lines by its responder's URL.
fn capture_logs() {
    common::install_logs();
}

use common::log_line;

fn assert_logged(needles: &[&str]) {
    assert!(log_line(needles).is_some(), "no log line with {needles:?}");
}

/// Serves the card CA's CRL at `/card-ca.crl`; `None` answers 503.
#[derive(Clone, Default)]
struct CrlServer {
    crl: Arc<Mutex<Option<Vec<u8>>>>,
    hits: Arc<AtomicUsize>,
    url: String,
}

impl CrlServer {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/card-ca.crl", listener.local_addr().unwrap());
        let s = CrlServer {
            url,
            ..Default::default()
        };
        let router = axum::Router::new()
            .route(
                "/card-ca.crl",
                axum::routing::get(|State(s): State<CrlServer>| async move {
                    s.hits.fetch_add(1, Ordering::SeqCst);
                    match s.crl.lock().unwrap().clone() {
                        Some(der) => {
                            ([("content-type", "application/pkix-crl")], der).into_response()
                        }
                        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
                    }
                }),
            )
            .with_state(s.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        s
    }

    fn set(&self, der: Option<Vec<u8>>) {
        *self.crl.lock().unwrap() = der;
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

struct Fixture {
    app: TestApp,
    pki: TestPki,
    crl: CrlServer,
    now: i64,
    _dir: tempfile::TempDir,
}

fn card_settings(dir: &std::path::Path) -> CardSettings {
    let rule = |card_type, oid: &str| CardTypeRule {
        card_type,
        policy_oids: vec![oid.to_string()],
    };
    CardSettings {
        enabled: true,
        trust_anchors: Some(dir.join("roots.pem")),
        issuers: vec![CardIssuer {
            certificate: dir.join("card-ca.pem"),
            crl_url: None,
            card_type: None,
            revocation: Default::default(),
            ocsp_url: None,
        }],
        types: vec![
            rule(CardType::Professional, pki::POLICY_PROFESSIONAL),
            rule(CardType::Staff, pki::POLICY_STAFF),
            rule(CardType::Operator, pki::POLICY_OPERATOR),
            rule(CardType::Substitute, pki::POLICY_SUBSTITUTE),
            rule(CardType::Temporary, pki::POLICY_TEMPORARY),
            rule(CardType::Test, pki::POLICY_TEST),
        ],
        registration_number_attribute: Some(pki::REGISTRATION_ATTRIBUTE.into()),
        proxy_header: Some("x-ssl-client-cert".into()),
        ..CardSettings::default()
    }
}

async fn fixture_with(tweak: impl FnOnce(&mut Settings)) -> Fixture {
    capture_logs();
    let crl = CrlServer::start().await;
    let now = SystemClock.now();
    let pki = TestPki::generate(now, &crl.url);
    let dir = tempfile::tempdir().unwrap();
    pki.write(dir.path());
    crl.set(Some(pki.crl(&["revoked"], now - 3600, now + 86_400)));
    let cards = card_settings(dir.path());
    let app = spawn_app_with(|s| {
        s.server.tls_listen = Some("127.0.0.1:0".parse().unwrap());
        s.card = cards;
        tweak(s);
    })
    .await;
    Fixture {
        app,
        pki,
        crl,
        now,
        _dir: dir,
    }
}

async fn fixture() -> Fixture {
    fixture_with(|_| {}).await
}

fn client_config(card: Option<&TestCard>) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for c in CertificateDer::pem_file_iter("certs/dev/ca.pem").unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    match card {
        Some(c) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(c.cert_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.key_der.clone())),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    }
}

/// `GET path` over TLS to the HTTPS listener, presenting `card`: status
/// and body.
async fn tls_get(addr: SocketAddr, path: &str, card: Option<&TestCard>) -> (u16, String) {
    let (status, _, body) = tls_request(addr, path, card).await;
    (status, body)
}

/// `GET path` over TLS, presenting `card`: status, response head, body.
async fn tls_request(
    addr: SocketAddr,
    path: &str,
    card: Option<&TestCard>,
) -> (u16, String, String) {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config(card)));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Language: en\r\nConnection: close\r\n\r\n"
    );
    tls.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match tls.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_string(), body.to_string())
}

/// The value of header `name` in a response head.
fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// Links the SATU of a test card to the account `username`.
async fn link(f: &Fixture, satu: &str, username: &str) {
    use porttivahti::store::{AuditEvent, IdentityLink};
    let account_id = common::account_id(&f.app, username).await;
    let link = IdentityLink {
        source: "card".into(),
        subject: satu.into(),
        account_id,
        created_at: f.now,
        last_used_at: None,
    };
    f.app
        .state
        .dir
        .link_identity(&link, &AuditEvent::new(f.now, "test", "identity.linked"))
        .await
        .unwrap();
}

async fn present(f: &Fixture, card: Option<&str>) -> (u16, String) {
    tls_get(
        f.app.tls.unwrap(),
        "/login/card",
        card.map(|c| f.pki.card(c)),
    )
    .await
}

#[tokio::test]
async fn a_linked_professional_card_logs_in_to_the_portal_with_its_card_type() {
    let f = fixture().await;
    link(&f, "99912345A", "anna.hoitaja").await;
    let b = common::Browser::new(&f.app);
    let (verifier, challenge) = common::pkce();
    let r = b
        .get(&common::auth_url(
            &f.app,
            "portal-a",
            "https://a.example/cb",
            Some(&challenge),
            &[],
        ))
        .await;
    let login = common::location(&r);
    let ar = common::query_param(&format!("{}{login}", f.app.base), "ar").unwrap();
    let (status, head, body) = tls_request(
        f.app.tls.unwrap(),
        &format!("/login/card?ar={ar}"),
        Some(f.pki.card("professional")),
    )
    .await;
    assert!((300..400).contains(&status), "{status}: {body}");
    assert!(header(&head, "set-cookie").is_some_and(|c| c.starts_with("pv_sid=")));
    let back = header(&head, "location").unwrap();
    assert!(back.starts_with("https://a.example/cb?"), "{back}");
    let code = common::query_param(&back, "code").expect("a code");
    let t: serde_json::Value = common::exchange(
        &f.app,
        "portal-a",
        Some("secret-a-0123456789"),
        &code,
        "https://a.example/cb",
        Some(&verifier),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = common::jwt_payload(t["id_token"].as_str().unwrap());
    assert_eq!(id["card_type"], "professional", "{id}");
    assert_eq!(id["amr"], serde_json::json!(["sc"]));
    assert_eq!(id["acr"], "http://eidas.europa.eu/LoA/high");
    let at = common::jwt_payload(t["access_token"].as_str().unwrap());
    assert_eq!(at["card_type"], "professional", "{at}");
    assert_eq!(f.crl.hits(), 1, "the CRL was fetched once");
    // A second login uses the cached CRL.
    let (status, _) = present(&f, Some("professional")).await;
    assert!((300..400).contains(&status));
    assert_eq!(f.crl.hits(), 1, "the cached CRL serves the next login");
}

#[tokio::test]
async fn an_unlinked_card_goes_to_first_login_registration() {
    let f = fixture().await;
    let (status, head, body) =
        tls_request(f.app.tls.unwrap(), "/login/card", Some(f.pki.card("staff"))).await;
    assert!((300..400).contains(&status), "{status}: {body}");
    let to = header(&head, "location").unwrap();
    assert!(to.starts_with("/register"), "{to}");
    assert!(header(&head, "set-cookie").is_some_and(|c| c.starts_with("pv_reg=")));
}

#[tokio::test]
async fn each_card_type_is_told_from_its_policy() {
    let f = fixture().await;
    let cards = f.app.state.cards.as_ref().unwrap();
    for (name, expected) in [
        ("professional", CardType::Professional),
        ("staff", CardType::Staff),
        ("operator", CardType::Operator),
        ("substitute", CardType::Substitute),
        ("temporary", CardType::Temporary),
    ] {
        let c = f.pki.card(name);
        let id = cards
            .verify(&[CertificateDer::from(c.cert_der.clone())], f.now)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(id.card_type, expected, "{name}");
        assert_eq!(id.satu.as_str(), c.satu, "{name}");
    }
    let id = cards
        .verify(
            &[CertificateDer::from(
                f.pki.card("professional").cert_der.clone(),
            )],
            f.now,
        )
        .await
        .unwrap();
    assert_eq!(id.given_name.as_deref(), Some("Anna"));
    assert_eq!(id.family_name.as_deref(), Some("Hoitaja"));
    assert_eq!(id.title.as_deref(), Some("sairaanhoitaja"));
    assert_eq!(id.registration_number.as_deref(), Some("10000000001"));
    let v = id.verified("card", f.now);
    assert_eq!(
        (v.source.as_str(), v.subject.as_str()),
        ("card", "99912345A")
    );
    assert_eq!(v.loa, porttivahti::domain::LoA::High);
    assert_eq!(v.attributes.family_name.as_deref(), Some("Hoitaja"));
}

#[tokio::test]
async fn a_substitute_card_is_valid_only_as_issued() {
    let f = fixture().await;
    let cards = f.app.state.cards.as_ref().unwrap();
    let c = [CertificateDer::from(
        f.pki.card("substitute").cert_der.clone(),
    )];
    // Valid for 90 days from yesterday; the CRL is refreshed meanwhile.
    f.crl.set(Some(f.pki.crl(
        &[],
        f.now + 88 * 86_400,
        f.now + 95 * 86_400,
    )));
    let later = f.now + 89 * 86_400 - 60;
    assert!(cards.verify(&c, later).await.is_ok());
    let after = f.now + 89 * 86_400 + 60;
    assert!(matches!(
        cards.verify(&c, after).await,
        Err(CardError::Expired { .. })
    ));
}

/// Once a chain through the card CA has verified, its later cards are
/// checked against the CA alone (one signature fewer a login): a card of
/// an impostor CA with the same name is still refused, before and after,
/// and once the CA itself has expired, so is a card that outlives it.
#[tokio::test]
async fn the_card_ca_shortcut_checks_what_the_whole_chain_did() {
    let f = fixture().await;
    let cards = f.app.state.cards.as_ref().unwrap();
    let der = |c: &TestCard| [CertificateDer::from(c.cert_der.clone())];
    let (impostor, impostor_ca) = f.pki.impostor_card(f.now);
    let impostor_chain = [
        CertificateDer::from(impostor.cert_der.clone()),
        rustls::pki_types::pem::PemObject::from_pem_slice(impostor_ca.as_bytes()).unwrap(),
    ];
    let before = cards.verify(&impostor_chain, f.now).await.unwrap_err();
    assert!(
        matches!(before, CardError::Invalid(_) | CardError::UnknownCa(_)),
        "{before:?}"
    );
    // A card that outlives its CA (which ends ten years from now).
    let long = f
        .pki
        .card_valid(0x82, f.now - 86_400, f.now + 11 * 365 * 86_400);
    assert!(cards.verify(&der(&long), f.now).await.is_ok());
    assert!(
        cards
            .verify(&der(f.pki.card("professional")), f.now)
            .await
            .is_ok()
    );
    // Now the shortcut is taken: the impostor's signature still fails,
    // with the same refusal as before.
    for chain in [&impostor_chain[..], &der(&impostor)[..]] {
        let after = cards.verify(chain, f.now).await.unwrap_err();
        assert_eq!(after.code(), before.code(), "{after:?}");
    }
    let expired_ca = f.now + 10 * 365 * 86_400 + 86_400;
    let err = cards.verify(&der(&long), expired_ca).await.unwrap_err();
    assert!(
        matches!(&err, CardError::Invalid(why) if why.contains("Expired")),
        "{err:?}"
    );
}

/// A configured card CA that shares its name with a trust anchor is never
/// taken as its own anchor: a card that verified through the anchor says
/// nothing of the CA, which must still chain up itself.
#[tokio::test]
async fn a_card_ca_named_like_an_anchor_gets_no_shortcut() {
    let f = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let (impostor, impostor_ca) = f.pki.impostor_card(f.now);
    // The real card CA among the anchors; the impostor, of the same name,
    // configured as the card CA.
    std::fs::write(
        dir.path().join("anchors.pem"),
        format!("{}{}", f.pki.root_pem, f.pki.card_ca_pem),
    )
    .unwrap();
    std::fs::write(dir.path().join("impostor-ca.pem"), &impostor_ca).unwrap();
    let mut settings = card_settings(dir.path());
    settings.trust_anchors = Some(dir.path().join("anchors.pem"));
    settings.issuers[0].certificate = dir.path().join("impostor-ca.pem");
    let cards = porttivahti::identity::card::CardVerifier::new(&settings).unwrap();
    let real = [CertificateDer::from(
        f.pki.card("professional").cert_der.clone(),
    )];
    // The real card's chain verifies (through the anchor); its CRL is not
    // the impostor's, so the card is refused for that only.
    let first = cards.verify(&real, f.now).await.unwrap_err();
    assert!(
        matches!(first, CardError::RevocationUnknown(_)),
        "{first:?}"
    );
    let err = cards
        .verify(&[CertificateDer::from(impostor.cert_der.clone())], f.now)
        .await
        .unwrap_err();
    assert!(
        matches!(err, CardError::Invalid(_) | CardError::UnknownCa(_)),
        "the impostor's chain must fail: {err:?}"
    );
}

#[tokio::test]
async fn test_cards_are_refused_unless_allowed() {
    let f = fixture().await;
    let (status, body) = present(&f, Some("test")).await;
    assert_eq!(status, 403);
    assert!(body.contains("card_test_card"), "{body}");

    let dev = fixture_with(|s| s.card.allow_test_cards = true).await;
    let c = [CertificateDer::from(dev.pki.card("test").cert_der.clone())];
    let id = dev
        .app
        .state
        .cards
        .as_ref()
        .unwrap()
        .verify(&c, dev.now)
        .await
        .unwrap();
    assert_eq!(id.card_type, CardType::Test);
}

#[test]
fn a_production_configuration_cannot_allow_test_cards() {
    let card = "\n[card]\nenabled = true\ntrust_anchors = \"roots.pem\"\nallow_test_cards = true\n\
                [[card.issuers]]\ncertificate = \"ca.pem\"\n";
    let dev = common::TEST_CONFIG.replace("SVC_DIGEST", &"0".repeat(64)) + card;
    let production = [(
        "PORTTIVAHTI__SERVER__ENVIRONMENT".to_string(),
        "production".to_string(),
    )];
    let err = Settings::parse(&dev, std::path::Path::new("t"), production).unwrap_err();
    assert!(err.to_string().contains("card.allow_test_cards"), "{err}");
    // A development configuration accepts it.
    assert!(Settings::parse(&dev, std::path::Path::new("t"), Vec::new()).is_ok());
}

#[tokio::test]
async fn refusals_have_their_own_page_and_status() {
    let f = fixture().await;
    for (card, status, code, words) in [
        (Some("expired"), 403, "card_expired", "has expired"),
        (Some("revoked"), 403, "card_revoked", "revoked"),
        (Some("wrong-ca"), 403, "card_unknown_ca", "not accepted"),
        (
            Some("no-client-auth"),
            403,
            "card_wrong_key_usage",
            "authentication certificate",
        ),
        (
            Some("no-digital-signature"),
            403,
            "card_wrong_key_usage",
            "authentication certificate",
        ),
        (None, 401, "card_no_certificate", "sent no certificate"),
    ] {
        let (got, body) = present(&f, card).await;
        assert_eq!(got, status, "{card:?}: {body}");
        assert!(body.contains(code), "{card:?}: no {code} in {body}");
        assert!(body.contains(words), "{card:?}: no {words:?} in {body}");
        assert!(body.contains("/login"), "a way back: {body}");
    }
}

#[tokio::test]
async fn an_unreachable_crl_fails_closed_by_default() {
    let f = fixture().await;
    f.crl.set(None);
    let (status, body) = present(&f, Some("professional")).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("card_revocation_unknown"), "{body}");

    let open = fixture_with(|s| s.card.revocation_unknown = RevocationUnknown::Allow).await;
    open.crl.set(None);
    let (status, body) = present(&open, Some("professional")).await;
    assert!((300..400).contains(&status), "accepted: {status} {body}");
}

#[tokio::test]
async fn a_crl_signed_by_another_key_is_not_believed() {
    let f = fixture().await;
    let other = TestPki::generate(f.now, &f.crl.url);
    f.crl.set(Some(other.crl(&[], f.now - 60, f.now + 3600)));
    let (status, body) = present(&f, Some("professional")).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("card_revocation_unknown"), "{body}");
}

#[tokio::test]
async fn the_crl_is_fetched_again_before_next_update() {
    let f = fixture().await;
    let cards = f.app.state.cards.as_ref().unwrap();
    let c = [CertificateDer::from(f.pki.card("staff").cert_der.clone())];
    assert!(cards.verify(&c, f.now).await.is_ok());
    assert_eq!(f.crl.hits(), 1);
    // The staff card is revoked; the cached CRL does not know yet.
    f.crl.set(Some(f.pki.crl(
        &["revoked", "staff"],
        f.now,
        f.now + 86_400 * 2,
    )));
    assert!(cards.verify(&c, f.now + 3600).await.is_ok());
    assert_eq!(f.crl.hits(), 1);
    // Ten minutes before the cached list's nextUpdate, a fresh one is fetched.
    let due = f.now + 86_400 - 599;
    assert!(matches!(
        cards.verify(&c, due).await,
        Err(CardError::Revoked { .. })
    ));
    assert_eq!(f.crl.hits(), 2);
}

fn escaped(pem: &str) -> String {
    pem.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn a_trusted_proxy_may_pass_the_certificate_in_a_header() {
    let f = fixture_with(|s| s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let http = porttivahti::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .get(format!("{}/login/card", f.app.base))
        .header(
            "x-ssl-client-cert",
            escaped(&f.pki.card("professional").cert_pem),
        )
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert!(common::location(&r).starts_with("/register"));
    let r = http
        .get(format!("{}/login/card", f.app.base))
        .header(
            "x-ssl-client-cert",
            escaped(&f.pki.card("revoked").cert_pem),
        )
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("card_revoked"));
}

#[tokio::test]
async fn the_certificate_header_is_refused_from_anyone_else() {
    let f = fixture().await;
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}/login/card", f.app.base))
        .header(
            "x-ssl-client-cert",
            escaped(&f.pki.card("professional").cert_pem),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("card_proxy_untrusted"));
    assert_eq!(f.crl.hits(), 0, "nothing was verified");
}

#[tokio::test]
async fn the_login_page_offers_the_card_with_the_pending_login() {
    let f = fixture().await;
    let b = common::Browser::new(&f.app);
    let r = b
        .get(&common::auth_url(
            &f.app,
            "portal-a",
            "https://a.example/cb",
            None,
            &[],
        ))
        .await;
    let login = common::location(&r);
    let absolute = if login.starts_with("http") {
        login.clone()
    } else {
        format!("{}{login}", f.app.base)
    };
    let ar = common::query_param(&absolute, "ar").unwrap();
    let page = b.get(&login).await.text().await.unwrap();
    let tls = f.app.tls.unwrap();
    let expected = format!("https://127.0.0.1:{}/login/card?ar={ar}", tls.port());
    assert!(page.contains(&expected), "no {expected} in {page}");
    // Without card login, the page says it is not available.
    let plain = common::spawn_app().await;
    let page = common::Browser::new(&plain)
        .get("/login")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("/login/card"));
}

// ---- OCSP ----

struct OcspFixture {
    f: Fixture,
    ocsp: OcspResponder,
}

/// The card CA answers OCSP at a test responder (which knows the
/// "revoked" card is revoked); the issuer is checked by `revocation`,
/// asking the responder through the `ocsp_url` override when `override_url`
/// (else the card's AIA).
async fn ocsp_fixture_with(
    revocation: RevocationCheck,
    override_url: bool,
    tweak: impl FnOnce(&mut Settings),
) -> OcspFixture {
    use rustls::pki_types::pem::PemObject;
    capture_logs();
    let crl = CrlServer::start().await;
    let now = SystemClock.now();
    let pki = TestPki::generate(now, &crl.url);
    let dir = tempfile::tempdir().unwrap();
    pki.write(dir.path());
    crl.set(Some(pki.crl(&["revoked"], now - 3600, now + 86_400)));
    let ca_der = CertificateDer::from_pem_slice(pki.card_ca_pem.as_bytes()).unwrap();
    let ca_key = PrivatePkcs8KeyDer::from_pem_slice(pki.card_ca_key_pem.as_bytes()).unwrap();
    let ocsp = OcspResponder::start(&ca_der, ca_key.secret_pkcs8_der()).await;
    ocsp.revoke(&pki.card("revoked").serial);
    let mut cards = card_settings(dir.path());
    cards.issuers[0].revocation = revocation;
    cards.issuers[0].ocsp_url = override_url.then(|| ocsp.url.clone());
    let app = spawn_app_with(|s| {
        s.server.tls_listen = Some("127.0.0.1:0".parse().unwrap());
        s.card = cards;
        tweak(s);
    })
    .await;
    let f = Fixture {
        app,
        pki,
        crl,
        now,
        _dir: dir,
    };
    OcspFixture { f, ocsp }
}

async fn ocsp_fixture() -> OcspFixture {
    ocsp_fixture_with(RevocationCheck::Ocsp, true, |_| {}).await
}

#[tokio::test]
async fn ocsp_a_good_card_logs_in_and_the_answer_is_cached() {
    let OcspFixture { f, ocsp } = ocsp_fixture().await;
    let (status, body) = present(&f, Some("professional")).await;
    assert!((300..400).contains(&status), "{status}: {body}");
    assert_eq!(ocsp.hits(), 1);
    let asked = ocsp.last_request().unwrap();
    assert_eq!(asked.serial, f.pki.card("professional").serial);
    assert_eq!(asked.hash_oid, ocsp::SHA1);
    assert_eq!(asked.nonce.as_ref().map(Vec::len), Some(16));
    assert_eq!(
        f.crl.hits(),
        0,
        "revocation = \"ocsp\" never fetches the CRL"
    );
    assert_logged(&["OCSP answer", &ocsp.url, "serial=4c0001", "status=good"]);
    // The second login is answered from the cache.
    let (status, _) = present(&f, Some("professional")).await;
    assert!((300..400).contains(&status));
    assert_eq!(ocsp.hits(), 1, "the cached answer serves the next login");
}

#[tokio::test]
async fn ocsp_a_revoked_card_is_refused_with_its_page() {
    let OcspFixture { f, ocsp } = ocsp_fixture().await;
    let (status, body) = present(&f, Some("revoked")).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("card_revoked") && body.contains("revoked"),
        "{body}"
    );
    assert_logged(&["card refused", "card_revoked", "OCSP", &ocsp.url]);
    assert_logged(&["OCSP answer", &ocsp.url, "status=revoked"]);
    // Revoked answers are cached too.
    let (status, _) = present(&f, Some("revoked")).await;
    assert_eq!(status, 403);
    assert_eq!(ocsp.hits(), 1);
}

#[tokio::test]
async fn ocsp_an_unreachable_responder_fails_closed_unless_allowed() {
    let OcspFixture { f, ocsp } = ocsp_fixture().await;
    ocsp.set_mode(Mode::Down);
    let (status, body) = present(&f, Some("professional")).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("card_revocation_unknown"), "{body}");
    assert_logged(&["no OCSP answer", &ocsp.url, "HTTP 503"]);
    assert_logged(&["card refused", "card_revocation_unknown", &ocsp.url]);

    let open = ocsp_fixture_with(RevocationCheck::Ocsp, true, |s| {
        s.card.revocation_unknown = RevocationUnknown::Allow
    })
    .await;
    open.ocsp.set_mode(Mode::Down);
    let (status, body) = present(&open.f, Some("professional")).await;
    assert!((300..400).contains(&status), "accepted: {status} {body}");
    assert_logged(&[
        "revocation status unknown; certificate accepted",
        &open.ocsp.url,
        "HTTP 503",
    ]);
    // Failures are not cached: the responder is asked again.
    let (status, body) = present(&open.f, Some("professional")).await;
    assert!(
        (300..400).contains(&status),
        "accepted again: {status} {body}"
    );
    assert_eq!(open.ocsp.hits(), 2);
}

#[tokio::test]
async fn ocsp_answers_that_cannot_be_trusted_are_refused() {
    let OcspFixture { f, ocsp } = ocsp_fixture().await;
    for (mode, reason) in [
        (
            Mode::WrongKey,
            "signed neither by the CA nor by a responder it authorised",
        ),
        (Mode::Stale, "the response is stale"),
        (Mode::Unknown, "answered \"unknown\""),
        (Mode::TryLater, "tryLater"),
        (Mode::WrongNonce, "nonce is not the one we sent"),
    ] {
        ocsp.set_mode(mode);
        let (status, body) = present(&f, Some("staff")).await;
        assert_eq!(status, 503, "{mode:?}: {body}");
        assert!(body.contains("card_revocation_unknown"), "{mode:?}: {body}");
        assert_logged(&["no OCSP answer", &ocsp.url, "serial=4c0002", reason]);
    }
    assert_eq!(ocsp.hits(), 5, "no refused answer was cached");
    ocsp.set_mode(Mode::Normal);
    let (status, _) = present(&f, Some("staff")).await;
    assert!((300..400).contains(&status));
}

#[tokio::test]
async fn ocsp_a_delegated_responder_of_the_ca_is_believed() {
    let OcspFixture { f, ocsp } = ocsp_fixture().await;
    let (cert, key) = f.pki.ocsp_responder(f.now);
    ocsp.set_delegate(cert, &key);
    ocsp.set_mode(Mode::Delegated);
    let (status, body) = present(&f, Some("operator")).await;
    assert!((300..400).contains(&status), "{status}: {body}");
    let (status, body) = present(&f, Some("revoked")).await;
    assert_eq!(status, 403, "{body}");
    assert_logged(&[
        "OCSP answer",
        &ocsp.url,
        "delegated responder",
        "Porttivahti Test OCSP Responder",
    ]);
}

#[tokio::test]
async fn ocsp_then_crl_falls_back_to_the_crl_when_the_responder_is_down() {
    let OcspFixture { f, ocsp } =
        ocsp_fixture_with(RevocationCheck::OcspThenCrl, true, |_| {}).await;
    ocsp.set_mode(Mode::Down);
    let (status, body) = present(&f, Some("professional")).await;
    assert!((300..400).contains(&status), "{status}: {body}");
    assert_eq!(f.crl.hits(), 1, "the CRL answered");
    assert_logged(&["checking the CRL instead", &ocsp.url, "HTTP 503"]);
    let (status, body) = present(&f, Some("revoked")).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("card_revoked"), "{body}");
    assert_logged(&["card refused", "card_revoked", "CRL", &f.crl.url]);
    // With the responder back, OCSP answers and the CRL is not needed.
    ocsp.set_mode(Mode::Normal);
    let hits = ocsp.hits();
    let (status, _) = present(&f, Some("staff")).await;
    assert!((300..400).contains(&status));
    assert_eq!(ocsp.hits(), hits + 1);
}

#[tokio::test]
async fn ocsp_the_responder_is_found_in_the_card_aia() {
    let OcspFixture { f, ocsp } = ocsp_fixture_with(RevocationCheck::Ocsp, false, |_| {}).await;
    let card = f.pki.card_with_ocsp(f.now, &ocsp.url);
    let (status, body) = tls_get(f.app.tls.unwrap(), "/login/card", Some(&card)).await;
    assert!((300..400).contains(&status), "{status}: {body}");
    assert_eq!(ocsp.hits(), 1);
    assert_eq!(ocsp.last_request().unwrap().serial, card.serial);
    // A card without an AIA responder, and no ocsp_url: status unknown.
    let (status, body) = present(&f, Some("professional")).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("card_revocation_unknown"), "{body}");
    assert_logged(&[
        "no OCSP answer",
        "serial=4c0001",
        "nor the configuration names an OCSP responder",
    ]);
}

#[test]
fn ocsp_settings_are_checked_at_start() {
    let base = common::TEST_CONFIG.replace("SVC_DIGEST", &"0".repeat(64))
        + "\n[card]\nenabled = true\ntrust_anchors = \"roots.pem\"\n\
           [[card.issuers]]\ncertificate = \"ca.pem\"\n";
    let parse = |extra: &str| {
        Settings::parse(
            &(base.clone() + extra),
            std::path::Path::new("t"),
            Vec::new(),
        )
    };
    assert!(parse("revocation = \"ocsp_then_crl\"\nocsp_url = \"http://ocsp.example/\"\n").is_ok());
    let err = parse("ocsp_url = \"http://ocsp.example/\"\n").unwrap_err();
    assert!(
        err.to_string().contains("ocsp_url is set but revocation"),
        "{err}"
    );
    let err = parse("revocation = \"ocsp\"\nocsp_url = \"ldap://x\"\n").unwrap_err();
    assert!(err.to_string().contains("card.issuers: ocsp_url"), "{err}");
    let err = parse("revocation = \"sometimes\"\n").unwrap_err();
    assert!(err.to_string().contains("revocation"), "{err}");
}
