//! The IdP's own LogoutRequest (IdP-initiated single logout) ends a session
//! only when it is signed with the IdP's key, fresh, unused, addressed to
//! this gateway and names that session. Part of the `saml` test target.

use super::*;
use porttivahti::identity::saml::request::{logout_request_xml, read_redirect, redirect_url};

/// Hanna logs in at HUS (registering the first time) in a fresh browser;
/// returns the browser and her IdP session's SessionIndex.
async fn hanna_logs_in(app: &TestApp, org: &Peer, first: bool) -> (Browser, String) {
    let b = Browser::new(app);
    let (_, challenge) = pkce();
    let req = to_idp(
        app,
        &b,
        org,
        "hus",
        "santra-portal",
        "https://santra.example/cb",
        &challenge,
    )
    .await;
    let ans = Answer::new(app.clock_now());
    let resp = org.idp.response(&req, Some(&hanna()), &ans).unwrap();
    assert_eq!(post_acs(&b, "hus", &resp).await.status(), 303);
    if first {
        assert_eq!(register(&b, &["hus"]).await.status(), 303);
    }
    assert_eq!(b.get("/account/profile").await.status(), 200);
    (b, ans.session_index)
}

/// A LogoutRequest for Hanna, as an IdP would send it.
struct Lr<'a> {
    id: &'a str,
    destination: String,
    at: i64,
    session_index: Option<&'a str>,
    not_on_or_after: Option<i64>,
}

impl Lr<'_> {
    fn url(&self, issuer: &str, key: &KeyPair) -> String {
        let mut xml = logout_request_xml(
            self.id,
            issuer,
            &self.destination,
            self.at,
            "hanna.hoitaja@hus.example.fi",
            self.session_index,
        );
        if let Some(t) = self.not_on_or_after {
            xml = xml.replacen(
                "Version=\"2.0\"",
                &format!(
                    "Version=\"2.0\" NotOnOrAfter=\"{}\"",
                    porttivahti::time::iso_utc(t)
                ),
                1,
            );
        }
        redirect_url(&self.destination, "SAMLRequest", &xml, Some("rs"), key).unwrap()
    }
}

#[tokio::test]
async fn hostile_idp_logout_requests_end_no_session() {
    let logs = capture_logs();
    let (app, org, _) = setup().await;
    let (b, session_index) = hanna_logs_in(&app, &org, true).await;
    let slo = format!("{}/saml/hus/slo", app.base);
    let now = app.clock_now();
    let lr = |id| Lr {
        id,
        destination: slo.clone(),
        at: now,
        session_index: None,
        not_on_or_after: None,
    };
    let issuer = org.idp.entity_id.clone();
    let other_key =
        KeyPair::from_files("certs/dev/saml-sp-key.pem", "certs/dev/saml-sp.pem").unwrap();
    let unsigned = {
        let url = lr("_lr-unsigned").url(&issuer, &org.idp.key);
        url.split("&SigAlg=").next().unwrap().to_string()
    };
    let hostile: Vec<(&str, String, &str)> = vec![
        (
            "_lr-unsigned",
            unsigned,
            "not signed with a key from the IdP",
        ),
        (
            "_lr-other-key",
            lr("_lr-other-key").url(&issuer, &other_key),
            "not signed with a key from the IdP",
        ),
        (
            "_lr-old",
            Lr {
                at: now - 3 * 365 * 86_400,
                ..lr("_lr-old")
            }
            .url(&issuer, &org.idp.key),
            "s ago; at most 600s is accepted",
        ),
        (
            "_lr-future",
            Lr {
                at: now + 86_400,
                ..lr("_lr-future")
            }
            .url(&issuer, &org.idp.key),
            "in the future",
        ),
        (
            "_lr-expired",
            Lr {
                not_on_or_after: Some(now - 3600),
                ..lr("_lr-expired")
            }
            .url(&issuer, &org.idp.key),
            "expired",
        ),
        (
            "_lr-elsewhere",
            Lr {
                destination: "https://another-gateway.example/saml/hus/slo".into(),
                ..lr("_lr-elsewhere")
            }
            .url(&issuer, &org.idp.key),
            "not for this service",
        ),
        (
            "_lr-other-session",
            Lr {
                session_index: Some("_s-another-session"),
                ..lr("_lr-other-session")
            }
            .url(&issuer, &org.idp.key),
            "SessionIndex",
        ),
    ];
    let stranger = Browser::new(&app);
    let mut refused = 0;
    for (id, url, reason) in &hostile {
        // The destination's host is not ours for the misaddressed one: the
        // browser brings the same query to our endpoint.
        let url = format!("{slo}?{}", url.split_once('?').unwrap().1);
        let r = stranger.get(&url).await;
        assert_eq!(r.status(), 400, "{id}");
        let page = r.text().await.unwrap();
        assert!(
            page.contains("Uloskirjautumispyyntöä ei hyväksytty")
                && page.contains("saml_logout_request_refused")
                && !page.contains("Olet kirjautunut ulos"),
            "{id}: {page}"
        );
        assert_eq!(
            b.get("/account/profile").await.status(),
            200,
            "{id} ended the session"
        );
        logs.assert_line(&["WARN", "source=hus", id, reason, "no session was ended"]);
        refused += 1;
    }

    // The right SessionIndex, signed, fresh, for us: the session ends and
    // the IdP gets our answer.
    let good = Lr {
        session_index: Some(&session_index),
        ..lr("_lr-good")
    }
    .url(&issuer, &org.idp.key);
    let r = stranger.get(&good).await;
    assert_eq!(r.status(), 303);
    let m = read_redirect(
        location(&r).split_once('?').unwrap().1,
        "SAMLResponse",
        Some(&sp_cert()),
    )
    .unwrap();
    assert!(m.xml.contains("InResponseTo=\"_lr-good\"") && m.xml.contains("status:Success"));
    assert_eq!(b.get("/account/profile").await.status(), 303);

    // Replayed (on any node: the ephemeral store keeps the ID) against
    // Hanna's next session: refused, the new session stays. It names no
    // SessionIndex, so only the replay cache stops it.
    let all_sessions = lr("_lr-all").url(&issuer, &org.idp.key);
    let (b, _) = hanna_logs_in(&app, &org, false).await;
    assert_eq!(stranger.get(&all_sessions).await.status(), 303);
    assert_eq!(b.get("/account/profile").await.status(), 303);
    let (b, _) = hanna_logs_in(&app, &org, false).await;
    let r = stranger.get(&all_sessions).await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Uloskirjautumispyyntöä ei hyväksytty")
    );
    assert_eq!(b.get("/account/profile").await.status(), 200);
    logs.assert_line(&["WARN", "source=hus", "_lr-all", "replayed"]);
    refused += 1;

    // The page is in the person's language.
    let en = porttivahti::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&all_sessions)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(en.status(), 400);
    assert!(
        en.text()
            .await
            .unwrap()
            .contains("The logout request was not accepted")
    );
    common::hostile_refused("hostile_idp_logout_requests_end_no_session", refused);
}
