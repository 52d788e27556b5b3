//! Suomi.fi over OpenID Connect (`kind = "suomifi_oidc"`, the Finnish
//! Trust Network's profile) against an OpenID provider no one here wrote:
//! node-oidc-provider (`tests/peers/ftn_provider.mjs`), configured to
//! require signed request objects and `private_key_jwt` (a `jti` used twice
//! is refused), and to sign and then encrypt ID tokens and userinfo to the
//! keys the gateway publishes for the source — with RSA-OAEP-256 and
//! A256GCM (request object pushed, PAR) and with ECDH-ES and A128CBC-HS256
//! (request object by value). Its JOSE is panva's `jose`, so these logins
//! are also the cross-test of our JWE against another implementation.
//!
//! The person who registered through the SAML Suomi.fi source reaches the
//! same account through this one. Every way an answer can be wrong is
//! refused and writes nothing.

use crate::common::{self, Browser, TestApp, auth_url, hidden, location, pkce};

use super::Peer;

/// As in `saml_pysaml2`: base64 of "0123456789abcdef0123456789abcdef".
const NATIONAL_ID_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
/// The keyed hash of Sanna Suominen's identity code 010280-952L, computed
/// once with Python's hmac module (see `saml_pysaml2::SANNA_SUBJECT`).
const SANNA_SUBJECT: &str = "hetu-hmac:fNfFjnXsq4iGF7QWupJeOXHpKsSXpGwLbiCWF2waOQI";
const SANNA: &str = "010280-952L";
const LOA3: &str = "http://ftn.ficora.fi/2017/loa3";
const MTT: &str = "https://mtt.example/cb";

fn config(op: &Peer) -> String {
    format!(
        r#"
[dev_idp]
enabled = true

[[sources]]
id = "suomifi"
kind = "suomifi"
name = "Suomi.fi (SAML, kehitys-IdP)"
group = "professionals"
metadata_url = "/dev-idp/suomifi/metadata"

[[sources]]
id = "suomifi-oidc"
kind = "suomifi_oidc"
name = "Suomi.fi (OpenID Connect, node-oidc-provider)"
group = "professionals"
issuer = "{op}"
client_id = "gateway"
signing_keys = ["certs/dev/ftn-sig-key.pem"]
decryption_keys = ["certs/dev/ftn-enc-rsa-key.pem", "certs/dev/ftn-enc-ec-key.pem"]
same_accounts_as = "suomifi"

[[sources]]
id = "suomifi-oidc-ec"
kind = "suomifi_oidc"
name = "Suomi.fi (OpenID Connect, ECDH-ES)"
group = "professionals"
issuer = "{op}"
client_id = "gateway-ec"
use_par = false
signing_keys = ["certs/dev/ftn-sig-key.pem"]
decryption_keys = ["certs/dev/ftn-enc-rsa-key.pem", "certs/dev/ftn-enc-ec-key.pem"]
same_accounts_as = "suomifi"

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
redirect_uris = ["{MTT}"]
"#,
        op = op.base
    )
}

async fn register_client(
    app: &TestApp,
    op: &Peer,
    source: &str,
    client_id: &str,
    alg: &str,
    enc: &str,
    jwks: Option<serde_json::Value>,
) {
    let mut body = serde_json::json!({
        "client_id": client_id,
        "redirect_uris": [format!("{}/login/oidc/{source}/callback", app.base)],
        "post_logout_redirect_uris": [format!("{}/login/oidc/{source}/logged-out", app.base)],
        "jwks_uri": format!("{}/login/oidc/{source}/jwks", app.base),
        "id_token_encrypted_response_alg": alg,
        "id_token_encrypted_response_enc": enc,
    });
    if let Some(j) = jwks {
        body["jwks"] = j;
    }
    let r = reqwest::Client::new()
        .post(format!("{}/control/client", op.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn setup() -> Option<(TestApp, Peer)> {
    let op = super::ftn_provider().await?;
    let app = common::spawn_app_extra(
        &config(&op),
        &[
            ("PORTTIVAHTI__SERVER__ENVIRONMENT", "development"),
            ("PORTTIVAHTI__SECRETS__NATIONAL_ID_KEY", NATIONAL_ID_KEY),
        ],
        |_| {},
    )
    .await;
    register_client(
        &app,
        &op,
        "suomifi-oidc",
        "gateway",
        "RSA-OAEP-256",
        "A256GCM",
        None,
    )
    .await;
    register_client(
        &app,
        &op,
        "suomifi-oidc-ec",
        "gateway-ec",
        "ECDH-ES",
        "A128CBC-HS256",
        None,
    )
    .await;
    common::wait_for_sources(&app).await;
    Some((app, op))
}

fn absolute(r: &reqwest::Response, to: String) -> String {
    if to.starts_with("http") {
        return to;
    }
    let u = r.url();
    format!(
        "{}://{}:{}{to}",
        u.scheme(),
        u.host_str().unwrap(),
        u.port().unwrap()
    )
}

/// From the portal's authorize through the gateway to the provider's
/// identification page: that page's URL.
async fn to_provider(app: &TestApp, op: &Peer, b: &Browser, source: &str) -> String {
    let (_, challenge) = pkce();
    let mut r = b
        .get(&auth_url(
            app,
            "mtt-portal",
            MTT,
            Some(&challenge),
            &[("idp_hint", source)],
        ))
        .await;
    for _ in 0..6 {
        assert!(
            r.status().is_redirection(),
            "{}: {}\n{}",
            r.status(),
            r.text().await.unwrap(),
            op.log()
        );
        let to = absolute(&r, location(&r));
        if to.starts_with(&format!("{}/interaction/", op.base)) {
            return to;
        }
        if to.starts_with(&format!("{}/auth", op.base)) {
            // Only a signed request object (by value or pushed) leaves.
            assert!(
                to.contains("request_uri=") || to.contains("request=ey"),
                "{to}"
            );
            assert!(!to.contains("nonce="), "the nonce travels inside: {to}");
        }
        r = b.get(&to).await;
    }
    panic!("never reached the provider's page\n{}", op.log());
}

/// Identifies as `hetu` at the provider and follows it back to the
/// gateway's callback: the gateway's answer.
async fn at_provider(
    app: &TestApp,
    op: &Peer,
    b: &Browser,
    page: &str,
    source: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let html = b.get(page).await.text().await.unwrap();
    assert!(html.contains("name=\"hetu\""), "{html}");
    let mut r = b.http.post(page).form(form).send().await.unwrap();
    for _ in 0..5 {
        assert!(
            r.status().is_redirection(),
            "{}: {}\n{}",
            r.status(),
            r.text().await.unwrap(),
            op.log()
        );
        let to = absolute(&r, location(&r));
        let back = b.get(&to).await;
        if to.starts_with(&format!("{}/login/oidc/{source}/callback?", app.base)) {
            return back;
        }
        r = back;
    }
    panic!("the provider never sent the browser back\n{}", op.log());
}

async fn login(
    app: &TestApp,
    op: &Peer,
    b: &Browser,
    source: &str,
    hetu: &str,
) -> reqwest::Response {
    let page = to_provider(app, op, b, source).await;
    at_provider(app, op, b, &page, source, &[("hetu", hetu), ("acr", LOA3)]).await
}

async fn register(b: &Browser) -> reqwest::Response {
    let page = b.get("/register").await.text().await.unwrap();
    b.http
        .post(format!("{}/register", b.base))
        .form(&[
            ("csrf", hidden(&page, "csrf")),
            ("ar", hidden(&page, "ar")),
            ("email", "sanna@example.fi".into()),
            ("phone", "040 123 4567".into()),
            ("org", "jkl".into()),
            ("profession_group", "nurse".into()),
        ])
        .send()
        .await
        .unwrap()
}

/// Sanna through the development IdP's SAML Suomi.fi, registering once.
async fn sanna_over_saml(app: &TestApp) -> String {
    let b = Browser::new(app);
    let (_, challenge) = pkce();
    let r = b
        .get(&auth_url(
            app,
            "mtt-portal",
            MTT,
            Some(&challenge),
            &[("idp_hint", "suomifi")],
        ))
        .await;
    let mut to = location(&r);
    while !to.contains("/dev-idp/") {
        to = location(&b.get(&to).await);
    }
    let page = b.get(&to).await.text().await.unwrap();
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
    let form = r.text().await.unwrap();
    let r = b
        .http
        .post(format!("{}/saml/suomifi/acs", app.base))
        .form(&[
            ("SAMLResponse", hidden(&form, "SAMLResponse")),
            ("RelayState", hidden(&form, "RelayState")),
        ])
        .send()
        .await
        .unwrap();
    assert!(location(&r).starts_with("/register"), "{}", location(&r));
    let r = register(&b).await;
    assert!(location(&r).starts_with(MTT), "{}", location(&r));
    app.state
        .dir
        .account_by_identity("suomifi", SANNA_SUBJECT)
        .await
        .unwrap()
        .expect("linked by the SAML login")
        .id
}

#[tokio::test]
async fn ftn_provider_reaches_the_account_of_the_saml_login_by_either_encryption() {
    let Some((app, op)) = setup().await else {
        return;
    };
    // Our keys are published for the provider, each marked for its use.
    let jwks: serde_json::Value =
        reqwest::get(format!("{}/login/oidc/suomifi-oidc/jwks", app.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let uses: Vec<(&str, &str)> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kty"].as_str().unwrap(), k["use"].as_str().unwrap()))
        .collect();
    assert_eq!(uses, [("RSA", "sig"), ("RSA", "enc"), ("EC", "enc")]);
    assert!(jwks.to_string().find("\"d\"").is_none(), "no private part");

    let account = sanna_over_saml(&app).await;
    for source in ["suomifi-oidc", "suomifi-oidc-ec"] {
        let b = Browser::new(&app);
        let r = login(&app, &op, &b, source, SANNA).await;
        assert_eq!(r.status(), 303, "{}\n{}", r.text().await.unwrap(), op.log());
        // No registration: the SAML login's account, straight to the portal.
        assert!(location(&r).starts_with(MTT), "{source}: {}", location(&r));
        let s = b.get("/account/").await.text().await.unwrap();
        assert!(s.contains("Suominen"), "{s}");
        let links = app.state.dir.identity_links(&account).await.unwrap();
        assert_eq!(links.len(), 1, "one link, the SAML source's: {links:?}");
        if source == "suomifi-oidc" {
            logout_at_provider(&app, &op, &b, source).await;
        }
    }
}

/// Logging out at the gateway ends the session at the provider too: the
/// browser goes to its end-session endpoint with the signed ID token, the
/// provider (after its own confirmation) sends it back to us.
async fn logout_at_provider(app: &TestApp, op: &Peer, b: &Browser, source: &str) {
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
    assert!(to.starts_with(&format!("{}/session/end?", op.base)), "{to}");
    assert!(to.contains("id_token_hint=ey"), "{to}");
    assert_eq!(b.get("/account/").await.status(), 303, "ended here already");
    let confirm = b.get(&to).await;
    let html = confirm.text().await.unwrap();
    let r = b
        .http
        .post(format!("{}/session/end/confirm", op.base))
        .form(&[("xsrf", hidden(&html, "xsrf")), ("logout", "yes".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", op.log());
    let back = location(&r);
    assert!(
        back.starts_with(&format!("{}/login/oidc/{source}/logged-out?", app.base)),
        "{back}"
    );
    let r = b.get(&back).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Olet kirjautunut ulos"));
}

#[tokio::test]
async fn hostile_ftn_answers_are_refused_and_write_nothing() {
    let test = "hostile_ftn_answers_are_refused_and_write_nothing";
    let Some((app, op)) = setup().await else {
        return;
    };
    let mut refused = 0;
    // Tokens made wrong at the provider: the ciphertext changed on the
    // way; inside a good JWE an unsigned token, one signed with a key it
    // does not publish, an expired one, one for another client, one for
    // another login (nonce).
    for (mode, status) in [
        ("tamper", 403),
        ("none", 403),
        ("unknown-key", 403),
        ("expired", 400),
        ("wrong-aud", 403),
        ("wrong-nonce", 403),
    ] {
        let r = reqwest::Client::new()
            .post(format!("{}/control/forge", op.base))
            .json(&serde_json::json!({ "mode": mode }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let b = Browser::new(&app);
        let r = login(&app, &op, &b, "suomifi-oidc", SANNA).await;
        assert_eq!(r.status(), status, "{mode}: {}", r.text().await.unwrap());
        refused += 1;
    }
    // The positive control: the same login with nothing forged goes on.
    let b = Browser::new(&app);
    let ok = login(&app, &op, &b, "suomifi-oidc", SANNA).await;
    assert_eq!(ok.status(), 303, "{}", op.log());

    // The provider refuses a client assertion used twice (single-use jti):
    // the one the gateway just sent, sent again.
    let assertion = reqwest::get(format!("{}/control/last-assertion", op.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(assertion.starts_with("ey"), "{assertion:?}");
    let r = reqwest::Client::new()
        .post(format!("{}/token", op.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "whatever"),
            ("client_id", "gateway"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("invalid_client"), "{body}");
    refused += 1;

    // The provider refuses an unsigned request object (and takes a signed
    // one, so the refusal is for that alone).
    let key = porttivahti::jose::SigningKey::from_pkcs8(
        &porttivahti::jose::pkcs8_from_file("certs/dev/ftn-sig-key.pem").unwrap(),
    )
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let request = serde_json::json!({
        "iss": "gateway", "aud": op.base, "client_id": "gateway", "response_type": "code",
        "redirect_uri": format!("{}/login/oidc/suomifi-oidc/callback", app.base),
        "scope": "openid profile", "state": "s", "nonce": "n",
        "code_challenge": pkce().1, "code_challenge_method": "S256",
        "iat": now, "exp": now + 300,
    });
    let b64 = |v: &serde_json::Value| porttivahti::tokens::b64url(v.to_string());
    let unsigned = format!(
        "{}.{}.",
        b64(&serde_json::json!({"alg": "none"})),
        b64(&request)
    );
    let signed = key.sign(None, request.to_string().as_bytes()).unwrap();
    for (object, want) in [(unsigned, 400), (signed, 201)] {
        let assertion = key
            .sign(
                None,
                serde_json::json!({
                    "iss": "gateway", "sub": "gateway", "aud": op.base,
                    "jti": porttivahti::tokens::random_token(16), "iat": now, "exp": now + 60,
                })
                .to_string()
                .as_bytes(),
            )
            .unwrap();
        let r = reqwest::Client::new()
            .post(format!("{}/request", op.base))
            .form(&[
                ("client_id", "gateway"),
                ("request", &object),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
            ])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_eq!(status, want, "{body}");
        if want == 400 {
            assert!(body.contains("invalid_request_object"), "{body}");
            refused += 1;
        }
    }

    // The provider encrypts to a key that is not ours (a client whose keys
    // were replaced): refused.
    let other = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let other = porttivahti::jose::DecryptionKey::from_pkcs8(
        aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&other)
            .unwrap()
            .as_ref(),
    )
    .unwrap();
    let jwks = serde_json::json!({ "keys": [key.jwk, other.jwk] });
    register_client(
        &app,
        &op,
        "suomifi-oidc",
        "gateway",
        "RSA-OAEP-256",
        "A256GCM",
        Some(jwks),
    )
    .await;
    let b = Browser::new(&app);
    let r = login(&app, &op, &b, "suomifi-oidc", SANNA).await;
    assert_eq!(r.status(), 403, "{}", r.text().await.unwrap());
    refused += 1;

    // Nothing registered by any of them; the positive control stopped at
    // the registration form.
    assert!(
        app.state
            .dir
            .account_by_identity("suomifi", SANNA_SUBJECT)
            .await
            .unwrap()
            .is_none()
    );
    common::hostile_refused(test, refused);
}

/// The provider rolls its signing key over: a token signed with a key id
/// the gateway has not seen makes it fetch the provider's keys again (at
/// most once a minute) — refused while the key is not published, accepted
/// once it is.
#[tokio::test]
async fn a_new_provider_key_is_fetched_once_it_signs() {
    let Some((app, op)) = setup().await else {
        return;
    };
    let forge = |mode: &'static str| {
        let base = op.base.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{base}/control/forge"))
                .json(&serde_json::json!({ "mode": mode }))
                .send()
                .await
                .unwrap()
        }
    };
    // Past the minute since the start's fetch.
    app.clock.advance(61);
    forge("new-key").await;
    let r = login(&app, &op, &Browser::new(&app), "suomifi-oidc", SANNA).await;
    assert_eq!(
        r.status(),
        403,
        "not published yet: refused after fetching again"
    );
    let r = reqwest::Client::new()
        .post(format!("{}/control/publish-new-key", op.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.clock.advance(61);
    forge("new-key").await;
    let r = login(&app, &op, &Browser::new(&app), "suomifi-oidc", SANNA).await;
    assert_eq!(r.status(), 303, "{}\n{}", r.text().await.unwrap(), op.log());
    assert!(location(&r).starts_with("/register"), "{}", location(&r));
}

/// Userinfo that is signed but not encrypted: refused while the source
/// requires encryption (the FTN default), taken when it says it does not.
#[tokio::test]
async fn signed_only_userinfo_is_taken_only_where_encryption_is_not_required() {
    let Some((app, op)) = setup().await else {
        return;
    };
    let register_signed_only = || async {
        let r = reqwest::Client::new()
            .post(format!("{}/control/client", op.base))
            .json(&serde_json::json!({
                "client_id": "gateway",
                "redirect_uris": [format!("{}/login/oidc/suomifi-oidc/callback", app.base)],
                "jwks_uri": format!("{}/login/oidc/suomifi-oidc/jwks", app.base),
                "userinfo_encrypted": false,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    };
    register_signed_only().await;
    let r = login(&app, &op, &Browser::new(&app), "suomifi-oidc", SANNA).await;
    assert_eq!(r.status(), 403, "{}", r.text().await.unwrap());

    // The same provider, a source that does not require encryption.
    let lenient = config(&op).replace(
        "same_accounts_as = \"suomifi\"\n\n[[sources]]\nid = \"suomifi-oidc-ec\"",
        "same_accounts_as = \"suomifi\"\nrequire_encryption = false\n\n[[sources]]\nid = \"suomifi-oidc-ec\"",
    );
    assert_ne!(lenient, config(&op));
    let app = common::spawn_app_extra(
        &lenient,
        &[
            ("PORTTIVAHTI__SERVER__ENVIRONMENT", "development"),
            ("PORTTIVAHTI__SECRETS__NATIONAL_ID_KEY", NATIONAL_ID_KEY),
        ],
        |_| {},
    )
    .await;
    common::wait_for_sources(&app).await;
    let r = reqwest::Client::new()
        .post(format!("{}/control/client", op.base))
        .json(&serde_json::json!({
            "client_id": "gateway",
            "redirect_uris": [format!("{}/login/oidc/suomifi-oidc/callback", app.base)],
            "jwks_uri": format!("{}/login/oidc/suomifi-oidc/jwks", app.base),
            "userinfo_encrypted": false,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = login(&app, &op, &Browser::new(&app), "suomifi-oidc", SANNA).await;
    assert_eq!(r.status(), 303, "{}\n{}", r.text().await.unwrap(), op.log());
    assert!(location(&r).starts_with("/register"), "{}", location(&r));
}
