//! Organisation login and Suomi.fi through pysaml2 as the IdP: it reads
//! our signed AuthnRequest (checking its signature with the key in our SP
//! metadata), and answers with a response it signs and encrypts with
//! xmlsec1. Every way it may sign (the response, the assertion, both) and
//! encrypt (AES-GCM, AES-CBC) logs the person in; an unsigned answer and
//! pysaml2's default 3DES encryption are refused and write nothing.

use crate::common::{self, Browser, TestApp, auth_url, hidden, location, pkce, query_param};

use super::Peer;

/// The key the Suomi.fi subject is made with (base64 of
/// "0123456789abcdef0123456789abcdef").
const NATIONAL_ID_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
/// `hetu-hmac:` and base64url(HMAC-SHA256(that key, "010280-952L")), computed
/// once with Python: `base64.urlsafe_b64encode(hmac.new(base64.b64decode(
/// NATIONAL_ID_KEY), b"010280-952L", hashlib.sha256).digest()).rstrip(b"=")`.
const SANNA_SUBJECT: &str = "hetu-hmac:fNfFjnXsq4iGF7QWupJeOXHpKsSXpGwLbiCWF2waOQI";

const REDIRECT: &str = "https://santra.example/cb";
const MTT_REDIRECT: &str = "https://mtt.example/cb";

fn sources(idp: &Peer) -> String {
    format!(
        r#"
[[sources]]
id = "hus-pysaml2"
kind = "saml"
name = "HUS (pysaml2)"
organisation = "hus"
metadata_url = "{base}/metadata"

[[sources]]
id = "suomifi-pysaml2"
kind = "suomifi"
name = "Suomi.fi (pysaml2)"
metadata_url = "{base}/metadata"

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
redirect_uris = ["{REDIRECT}"]

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
redirect_uris = ["{MTT_REDIRECT}"]
"#,
        base = idp.base
    )
}

async fn post(url: &str, body: String, form: bool) -> reqwest::Response {
    let r = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(url)
        .header(
            "content-type",
            if form {
                "application/x-www-form-urlencoded"
            } else {
                "application/samlmetadata+xml"
            },
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r
}

/// How pysaml2 answers next: what it signs, how it encrypts, who logs in.
/// What pysaml2 signs: the response, the assertion, with which algorithms
/// (`sha256`, or `sha1`, its own default).
struct Signing(bool, bool, &'static str);

async fn mode(
    idp: &Peer,
    Signing(sign_response, sign_assertion, algorithms): Signing,
    encrypt: &str,
    name_id: &str,
    class: &str,
    attributes: &[(&str, &str)],
) {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("sign_response", if sign_response { "1" } else { "0" })
        .append_pair("sign_assertion", if sign_assertion { "1" } else { "0" })
        .append_pair("algorithms", algorithms)
        .append_pair("encrypt", encrypt)
        .append_pair("name_id", name_id)
        .append_pair("authn_class", class);
    for (name, value) in attributes {
        form.append_pair("attribute", &format!("{name}={value}"));
    }
    post(&format!("{}/mode", idp.base), form.finish(), true).await;
}

const PASSWORD_CLASS: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";

async fn hanna_answers(idp: &Peer, sign_response: bool, sign_assertion: bool, encrypt: &str) {
    mode(
        idp,
        Signing(sign_response, sign_assertion, "sha256"),
        encrypt,
        "hanna.hoitaja@hus.example.fi",
        PASSWORD_CLASS,
        &[
            ("givenName", "Hanna"),
            ("sn", "Hoitaja"),
            ("mail", "hanna.hoitaja@hus.example.fi"),
        ],
    )
    .await;
}

/// From a portal's authorize through pysaml2 to our ACS: the ACS's answer.
async fn login(
    app: &TestApp,
    idp: &Peer,
    b: &Browser,
    source: &str,
    client: &str,
) -> reqwest::Response {
    let (_, challenge) = pkce();
    let redirect = if client == "mtt-portal" {
        MTT_REDIRECT
    } else {
        REDIRECT
    };
    let r = b
        .get(&auth_url(app, client, redirect, Some(&challenge), &[]))
        .await;
    let login = location(&r);
    let ar = query_param(&format!("{}{login}", app.base), "ar").unwrap();
    let r = b.get(&format!("/login/source/{source}?ar={ar}")).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let to_idp = location(&r);
    assert!(
        to_idp.starts_with(&format!("{}/sso?", idp.base)),
        "{to_idp}"
    );
    // The browser at the IdP: pysaml2 checks the request and answers with
    // its auto-posting form.
    let r = b.get(&to_idp).await;
    let status = r.status();
    let page = r.text().await.unwrap();
    assert_eq!(status, 200, "pysaml2 refused: {page}\n{}", idp.log());
    let action_at = page.find("action=\"").expect("a form") + "action=\"".len();
    let action = &page[action_at..action_at + page[action_at..].find('"').unwrap()];
    assert_eq!(action, format!("{}/saml/{source}/acs", app.base));
    b.http
        .post(action)
        .form(&[
            ("SAMLResponse", hidden(&page, "SAMLResponse")),
            ("RelayState", hidden(&page, "RelayState")),
        ])
        .send()
        .await
        .unwrap()
}

async fn register(b: &Browser, org: &str) -> reqwest::Response {
    let page = b.get("/register").await.text().await.unwrap();
    b.http
        .post(format!("{}/register", b.base))
        .form(&[
            ("csrf", hidden(&page, "csrf")),
            ("ar", hidden(&page, "ar")),
            ("email", "peer@example.fi".into()),
            ("phone", "040 123 4567".into()),
            ("org", org.into()),
            ("profession_group", "nurse".into()),
        ])
        .send()
        .await
        .unwrap()
}

async fn setup() -> Option<(TestApp, Peer)> {
    let idp = super::pysaml2_idp().await?;
    let app = common::spawn_app_extra(
        &sources(&idp),
        &[("PORTTIVAHTI__SECRETS__NATIONAL_ID_KEY", NATIONAL_ID_KEY)],
        |_| {},
    )
    .await;
    common::wait_for_sources(&app).await;
    // pysaml2 learns our SP from our published metadata, as a federation
    // would hand it over.
    for source in ["hus-pysaml2", "suomifi-pysaml2"] {
        let md = reqwest::get(format!("{}/saml/{source}/metadata", app.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        post(&format!("{}/sp-metadata", idp.base), md, false).await;
    }
    Some((app, idp))
}

#[tokio::test]
async fn pysaml2_signing_and_encrypting_every_way_logs_people_in() {
    let Some((app, idp)) = setup().await else {
        return;
    };
    // The first time: the response signed, the assertion not, not
    // encrypted; registration once.
    hanna_answers(&idp, true, false, "none").await;
    let b = Browser::new(&app);
    let r = login(&app, &idp, &b, "hus-pysaml2", "santra-portal").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert!(location(&r).starts_with("/register"), "{}", location(&r));
    let page = b.get("/register").await.text().await.unwrap();
    assert!(page.contains("Hanna Hoitaja"), "the names pysaml2 sent");
    let r = register(&b, "hus").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert!(location(&r).starts_with(REDIRECT), "{}", location(&r));
    let account = app
        .state
        .dir
        .account_by_identity("hus-pysaml2", "hanna.hoitaja@hus.example.fi")
        .await
        .unwrap()
        .expect("linked by the NameID pysaml2 sent");

    // Then every other way pysaml2 signs and encrypts: straight to Santra.
    for (sign_response, sign_assertion, encrypt) in [
        (false, true, "none"),
        (false, true, "aes256-gcm"),
        (true, false, "aes128-gcm"),
        (true, true, "aes256-cbc"),
    ] {
        hanna_answers(&idp, sign_response, sign_assertion, encrypt).await;
        let b = Browser::new(&app);
        let r = login(&app, &idp, &b, "hus-pysaml2", "santra-portal").await;
        let how = format!(
            "response signed {sign_response}, assertion signed {sign_assertion}, {encrypt}"
        );
        assert_eq!(r.status(), 303, "{how}: {}", r.text().await.unwrap());
        let to = location(&r);
        assert!(
            to.starts_with(REDIRECT) && to.contains("code="),
            "{how}: {to}"
        );
    }
    let links = app.state.dir.identity_links(&account.id).await.unwrap();
    assert_eq!(links.len(), 1, "one person, one link: {links:?}");
}

#[tokio::test]
async fn hostile_pysaml2_unsigned_sha1_or_3des_answers_are_refused_and_write_nothing() {
    let test = "hostile_pysaml2_unsigned_sha1_or_3des_answers_are_refused_and_write_nothing";
    let Some((app, idp)) = setup().await else {
        return;
    };
    let mut refused = 0;
    for (signing, encrypt, person, reason) in [
        // Nothing signed.
        (
            Signing(false, false, "sha256"),
            "none",
            "unsigned@hus.example.fi",
            "neither the Response nor the assertion is signed",
        ),
        (
            Signing(false, false, "sha256"),
            "aes256-gcm",
            "unsigned-encrypted@hus.example.fi",
            "neither the Response nor the decrypted assertion is signed",
        ),
        // pysaml2's default algorithms, RSA-SHA1: refused by design.
        (
            Signing(true, true, "sha1"),
            "none",
            "sha1@hus.example.fi",
            "rsa-sha1\" is not accepted",
        ),
        // pysaml2's default encryption, 3DES-CBC: refused by design.
        (
            Signing(false, true, "sha256"),
            "3des",
            "triple-des@hus.example.fi",
            "3DES",
        ),
    ] {
        mode(
            &idp,
            signing,
            encrypt,
            person,
            PASSWORD_CLASS,
            &[("givenName", "Eve"), ("sn", "Hyökkääjä")],
        )
        .await;
        let b = Browser::new(&app);
        let r = login(&app, &idp, &b, "hus-pysaml2", "santra-portal").await;
        assert_eq!(r.status(), 403, "{person} ({encrypt}) must be refused");
        let text = r.text().await.unwrap();
        assert!(text.contains("saml_response_refused"), "{text}");
        assert!(
            app.state
                .dir
                .account_by_identity("hus-pysaml2", person)
                .await
                .unwrap()
                .is_none(),
            "{person}: nothing linked"
        );
        assert!(
            b.get("/register").await.status() != 200,
            "{person}: no registration begun"
        );
        // The operator's log says why (only this test refuses answers of
        // this source).
        assert!(
            common::log_line(&["SAML response refused", "source=hus-pysaml2", reason]).is_some(),
            "{person}: no log line with {reason:?}"
        );
        refused += 1;
    }
    common::hostile_refused(test, refused);
}

#[tokio::test]
async fn pysaml2_as_suomifi_links_the_keyed_hash_of_the_identity_code() {
    let Some((app, idp)) = setup().await else {
        return;
    };
    mode(
        &idp,
        Signing(false, true, "sha256"),
        "aes256-gcm",
        "_transient-sanna",
        porttivahti::identity::suomifi::LOA3,
        &[
            ("urn:oid:1.2.246.21", "010280-952L"),
            ("urn:oid:2.5.4.42", "Sanna"),
            ("urn:oid:2.5.4.4", "Suominen"),
            ("urn:oid:1.2.246.517.2002.2.19", "Jyväskylä"),
        ],
    )
    .await;
    let b = Browser::new(&app);
    let r = login(&app, &idp, &b, "suomifi-pysaml2", "mtt-portal").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert!(location(&r).starts_with("/register"), "{}", location(&r));
    let page = b.get("/register").await.text().await.unwrap();
    assert!(page.contains("Sanna Suominen") && page.contains("Jyväskylä"));
    let r = register(&b, "jkl").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert!(location(&r).starts_with(MTT_REDIRECT), "{}", location(&r));
    let account = app
        .state
        .dir
        .account_by_identity("suomifi-pysaml2", SANNA_SUBJECT)
        .await
        .unwrap()
        .expect("linked by the keyed hash computed outside the project");
    let links = app.state.dir.identity_links(&account.id).await.unwrap();
    assert!(
        links.iter().all(|l| !l.subject.contains("010280")),
        "{links:?}"
    );

    // A Suomi.fi answer that is not encrypted is refused, even signed.
    mode(
        &idp,
        Signing(true, true, "sha256"),
        "none",
        "_transient-sanna-2",
        porttivahti::identity::suomifi::LOA3,
        &[("urn:oid:1.2.246.21", "010280-952L")],
    )
    .await;
    let r = login(
        &app,
        &idp,
        &Browser::new(&app),
        "suomifi-pysaml2",
        "mtt-portal",
    )
    .await;
    assert_eq!(r.status(), 403);
}
