//! Responses refused for their XML: a document type declaration (logged
//! with that reason and the request id, not as "unsolicited") and a NameID
//! split by a comment, which the IdP really signed. Part of the `saml`
//! test target.

use super::*;

fn request_id(r: &reqwest::Response) -> String {
    r.headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn hostile_a_document_type_declaration_is_refused_and_logged_with_its_reason() {
    let logs = capture_logs();
    let (app, org, _) = setup().await;
    let b = Browser::new(&app);
    let good = hanna_at_hus(&app, &b, &org).await;
    let mut refused = 0;
    for (hostile, reason) in [
        (
            format!("<!DOCTYPE samlp:Response [<!ENTITY hus \"HUS\">]>{good}"),
            "the XML has a document type declaration",
        ),
        (
            good.replacen("<samlp:Response", "<samlp:Response <", 1),
            "the XML does not parse",
        ),
    ] {
        let r = post_acs(&b, "hus", &hostile).await;
        assert_eq!(r.status(), 403);
        let rid = request_id(&r);
        assert!(r.text().await.unwrap().contains("saml_response_refused"));
        let line = logs.assert_line(&[&rid, "WARN", "source=hus", reason]);
        assert!(!line.contains("unsolicited"), "{line}");
        refused += 1;
    }
    // The answer itself is still good for its request: nothing above
    // consumed it.
    assert_eq!(post_acs(&b, "hus", &good).await.status(), 303);
    common::hostile_refused(
        "hostile_a_document_type_declaration_is_refused_and_logged_with_its_reason",
        refused,
    );
}

#[tokio::test]
async fn hostile_a_nameid_split_by_a_comment_is_refused() {
    let logs = capture_logs();
    let (app, org, _) = setup().await;
    let b = Browser::new(&app);
    let (_, challenge) = pkce();
    let req = to_idp(
        &app,
        &b,
        &org,
        "hus",
        "santra-portal",
        "https://santra.example/cb",
        &challenge,
    )
    .await;
    // The IdP signs the NameID with the comment inside: the signature
    // holds (comments are outside exclusive C14N), and parsers disagree on
    // the value: `user@hus.fi` or `user@hus.fi.evil`.
    let mut ans = Answer::new(app.clock_now());
    ans.name_id_xml = Some("user@hus.fi<!---->.evil".into());
    let resp = org.idp.response(&req, Some(&hanna()), &ans).unwrap();
    assert!(resp.contains("user@hus.fi<!---->.evil</saml:NameID>"));
    let r = post_acs(&b, "hus", &resp).await;
    assert_eq!(r.status(), 403);
    let rid = request_id(&r);
    assert!(r.text().await.unwrap().contains("saml_response_refused"));
    logs.assert_line(&[
        &rid,
        "WARN",
        "source=hus",
        "NameID: a comment splits the value",
    ]);
    // Nobody was linked under either reading.
    for subject in ["user@hus.fi", "user@hus.fi.evil"] {
        assert!(
            app.state
                .dir
                .account_by_identity("hus", subject)
                .await
                .unwrap()
                .is_none()
        );
    }
    common::hostile_refused("hostile_a_nameid_split_by_a_comment_is_refused", 1);
}
