//! Suomi.fi over OpenID Connect at the development IdP's OpenID Connect
//! face (`/dev-idp/oidc/`), as the demo runs it: the same test people as
//! its SAML face, a pushed signed request object, private_key_jwt, an ID
//! token and userinfo signed and then encrypted to the keys the gateway
//! publishes; logout at the provider. The face refuses what the real
//! service refuses: an unsigned request object, a client assertion used
//! twice. (The independent check of the same source is
//! `peers::suomifi_oidc_node`, against node-oidc-provider.)

use crate::common::{self, Browser, TestApp, auth_url, hidden, location, pkce};

const NATIONAL_ID_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
/// Sanna Suominen's keyed subject (see `peers::saml_pysaml2`).
const SANNA_SUBJECT: &str = "hetu-hmac:fNfFjnXsq4iGF7QWupJeOXHpKsSXpGwLbiCWF2waOQI";
const MTT: &str = "https://mtt.example/cb";

async fn setup() -> TestApp {
    let app = common::spawn_app_extra(
        &format!(
            r#"
[dev_idp]
enabled = true

[[sources]]
id = "suomifi"
kind = "suomifi"
name = "Suomi.fi (SAML)"
group = "professionals"
metadata_url = "/dev-idp/suomifi/metadata"

[[sources]]
id = "suomifi-oidc"
kind = "suomifi_oidc"
name = "Suomi.fi (OpenID Connect)"
group = "professionals"
issuer = "/dev-idp/oidc"
client_id = "porttivahti-dev"
signing_keys = ["certs/dev/ftn-sig-key.pem"]
decryption_keys = ["certs/dev/ftn-enc-rsa-key.pem", "certs/dev/ftn-enc-ec-key.pem"]
jwks_signing_key = "certs/dev/ftn-fed-key.pem"
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
"#
        ),
        &[
            ("PORTTIVAHTI__SERVER__ENVIRONMENT", "development"),
            ("PORTTIVAHTI__SECRETS__NATIONAL_ID_KEY", NATIONAL_ID_KEY),
        ],
        |_| {},
    )
    .await;
    common::wait_for_sources(&app).await;
    app
}

/// Through the face as test person `person`: the gateway's callback answer.
async fn login(app: &TestApp, b: &Browser, person: &str) -> reqwest::Response {
    let (_, challenge) = pkce();
    let r = b
        .get(&auth_url(
            app,
            "mtt-portal",
            MTT,
            Some(&challenge),
            &[("idp_hint", "suomifi-oidc")],
        ))
        .await;
    let mut to = location(&r);
    while !to.contains("/dev-idp/oidc/authorize") {
        to = location(&b.get(&to).await);
    }
    assert!(to.contains("request_uri="), "pushed: {to}");
    let page = b.get(&to).await.text().await.unwrap();
    assert!(page.contains("Sanna Suominen") && page.contains("Suomi.fi (OpenID Connect)"));
    let r = b
        .http
        .post(format!("{}/dev-idp/oidc/authorize", app.base))
        .form(&[
            ("csrf", hidden(&page, "csrf")),
            ("ticket", hidden(&page, "ticket")),
            ("person", person.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let back = location(&r);
    assert!(
        back.starts_with(&format!("{}/login/oidc/suomifi-oidc/callback?", app.base)),
        "{back}"
    );
    b.get(&back).await
}

#[tokio::test]
async fn the_development_idp_speaks_suomifi_over_openid_connect() {
    let app = setup().await;
    let b = Browser::new(&app);
    let r = login(&app, &b, "0").await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/register"), "{}", location(&r));
    let page = b.get("/register").await.text().await.unwrap();
    assert!(page.contains("Sanna Suominen") && page.contains("Jyväskylä"));
    let r = b
        .http
        .post(format!("{}/register", app.base))
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
        .unwrap();
    assert!(location(&r).starts_with(MTT), "{}", location(&r));
    // Linked as the SAML Suomi.fi source links her.
    assert!(
        app.state
            .dir
            .account_by_identity("suomifi", SANNA_SUBJECT)
            .await
            .unwrap()
            .is_some()
    );
    // Tea Testaaja (the test method) is refused before any form.
    let r = login(&app, &Browser::new(&app), "4").await;
    assert_eq!(r.status(), 403, "{}", r.text().await.unwrap());

    // Logout ends the session at the face too, and comes back.
    let page = b.get("/logout").await.text().await.unwrap();
    let r = b
        .http
        .post(format!("{}/logout", app.base))
        .form(&[("csrf", hidden(&page, "csrf"))])
        .send()
        .await
        .unwrap();
    let to = location(&r);
    assert!(to.contains("/dev-idp/oidc/logout?id_token_hint="), "{to}");
    let r = b.get(&to).await;
    assert_eq!(r.status(), 303);
    let back = location(&r);
    assert!(
        back.contains("/login/oidc/suomifi-oidc/logged-out?state="),
        "{back}"
    );
    assert_eq!(b.get(&back).await.status(), 200);
}

#[tokio::test]
async fn hostile_requests_to_the_development_openid_face_are_refused() {
    let test = "hostile_requests_to_the_development_openid_face_are_refused";
    let app = setup().await;
    let key = porttivahti::jose::SigningKey::from_pkcs8(
        &porttivahti::jose::pkcs8_from_file("certs/dev/ftn-sig-key.pem").unwrap(),
    )
    .unwrap();
    let issuer = format!("{}/dev-idp/oidc", app.base);
    let now = app.clock_now();
    let request = serde_json::json!({
        "iss": "porttivahti-dev", "aud": issuer, "client_id": "porttivahti-dev",
        "response_type": "code", "scope": "openid profile", "nonce": "n",
        "redirect_uri": format!("{}/login/oidc/suomifi-oidc/callback", app.base),
        "code_challenge": pkce().1, "code_challenge_method": "S256", "exp": now + 300,
    });
    let b64 = |v: &serde_json::Value| porttivahti::tokens::b64url(v.to_string());
    let unsigned = format!(
        "{}.{}.",
        b64(&serde_json::json!({"alg": "none"})),
        b64(&request)
    );
    let signed = key.sign(None, request.to_string().as_bytes()).unwrap();
    let b = Browser::new(&app);
    let mut refused = 0;
    for (object, want) in [(&unsigned, 400), (&signed, 200)] {
        let r = b
            .get(&format!(
                "/dev-idp/oidc/authorize?client_id=porttivahti-dev&request={object}"
            ))
            .await;
        assert_eq!(r.status().as_u16(), want);
        refused += usize::from(want == 400);
    }
    // A client assertion used twice.
    let assertion = key
        .sign(
            None,
            serde_json::json!({
                "iss": "porttivahti-dev", "sub": "porttivahti-dev", "aud": issuer,
                "jti": "once", "exp": now + 60,
            })
            .to_string()
            .as_bytes(),
        )
        .unwrap();
    for want in [201, 401] {
        let r = reqwest::Client::new()
            .post(format!("{issuer}/par"))
            .form(&[
                ("client_id", "porttivahti-dev"),
                ("request", &signed),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), want);
    }
    refused += 1;
    common::hostile_refused(test, refused);
}

/// Our keys for the source, as a plain set and as a set signed with the
/// federation key (OpenID Federation's `signed_jwks_uri`): the same keys,
/// each marked for its use, no private part.
#[tokio::test]
async fn the_key_set_is_published_plain_and_signed() {
    let app = setup().await;
    let plain: serde_json::Value =
        reqwest::get(format!("{}/login/oidc/suomifi-oidc/jwks", app.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let r = reqwest::get(format!("{}/login/oidc/suomifi-oidc/signed-jwks", app.base))
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/jwk-set+jwt"
    );
    let jwt = r.text().await.unwrap();
    let federation = porttivahti::jose::SigningKey::from_pkcs8(
        &porttivahti::jose::pkcs8_from_file("certs/dev/ftn-fed-key.pem").unwrap(),
    )
    .unwrap();
    let trusted = porttivahti::jose::JwkSet {
        keys: vec![federation.jwk.clone()],
    };
    let v = porttivahti::jose::jws::verify(&jwt, &trusted, &[porttivahti::jose::SigAlg::ES256])
        .unwrap();
    assert_eq!(v.header.typ.as_deref(), Some("jwk-set+jwt"));
    let claims: serde_json::Value = serde_json::from_slice(&v.payload).unwrap();
    assert_eq!(claims["iss"], "porttivahti-dev");
    assert_eq!(claims["sub"], "porttivahti-dev");
    assert_eq!(claims["keys"], plain["keys"]);
    assert!(!jwt.is_empty() && !plain.to_string().contains("\"d\""));
    // Not signed by any key it lists.
    let listed: porttivahti::jose::JwkSet = serde_json::from_value(plain).unwrap();
    assert!(
        porttivahti::jose::jws::verify(&jwt, &listed, &porttivahti::jose::SigAlg::ALL).is_err()
    );
}
