//! Refresh families: an access token's `jti` does not name its family, and
//! only a token the family really had can end it — not a made-up secret
//! with its family id, not a request that fails client authentication.

use super::*;
use serde_json::Value;

const A: (&str, &str) = ("portal-a", "secret-a-0123456789");

/// Anna's tokens at portal A: access token, refresh token and its family id.
async fn anna_tokens(app: &TestApp) -> (String, String, String) {
    let b = Browser::new(app);
    let (t, _) = login_at_portal_a(app, &b).await;
    let at = t["access_token"].as_str().unwrap().to_string();
    let rt = t["refresh_token"].as_str().unwrap().to_string();
    let fam = rt.split_once('.').unwrap().0.to_string();
    (at, rt, fam)
}

async fn userinfo_status(app: &TestApp, at: &str) -> u16 {
    porttivahti::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(at)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A refresh request with the given client authentication: HTTP Basic
/// (id, secret), or only a `client_id` form field (a public client).
async fn refresh_as(app: &TestApp, id: &str, secret: Option<&str>, rt: &str) -> (u16, Value) {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", rt)];
    let req = porttivahti::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/token", app.base));
    let req = match secret {
        Some(s) => req.basic_auth(id, Some(s)),
        None => {
            form.push(("client_id", id));
            req
        }
    };
    let r = req.form(&form).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The family still works: its current token rotates and the new access
/// token is honoured. Returns the next refresh token.
async fn family_works(app: &TestApp, rt: &str) -> String {
    let r = refresh(app, A.0, A.1, rt).await;
    assert_eq!(r.status(), 200, "the family was ended");
    let t: Value = r.json().await.unwrap();
    assert_eq!(
        userinfo_status(app, t["access_token"].as_str().unwrap()).await,
        200
    );
    t["refresh_token"].as_str().unwrap().to_string()
}

/// Every substring of `n` characters of `a` that is also in `b`.
fn shared(a: &str, b: &str, n: usize) -> Vec<String> {
    (0..a.len().saturating_sub(n - 1))
        .map(|i| &a[i..i + n])
        .filter(|w| b.contains(w))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn hostile_an_access_tokens_jti_does_not_name_its_refresh_family() {
    let app = spawn_app().await;
    let (at, rt, fam) = anna_tokens(&app).await;
    let jti = jwt_payload(&at)["jti"].as_str().unwrap().to_string();
    // Neither the jti nor anything else in the token carries the family id.
    assert!(!jti.contains(&fam), "jti {jti} names family {fam}");
    let payload = String::from_utf8(
        porttivahti::tokens::b64url_decode(at.split('.').nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    assert!(!payload.contains(&fam), "{payload}");
    // Tokens of one family are not linked by their jti.
    let r: Value = refresh(&app, A.0, A.1, &rt).await.json().await.unwrap();
    let rt2 = r["refresh_token"].as_str().unwrap().to_string();
    let jti2 = jwt_payload(r["access_token"].as_str().unwrap())["jti"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(jti, jti2);
    assert!(shared(&jti, &jti2, 6).is_empty(), "{jti} / {jti2}");
    // Whoever holds the access token (a portal's API, a log) tries to end
    // the family with what the jti might name: refused, and nothing ends.
    let mut forged = vec![jti.clone(), format!("{jti}.x")];
    if let Some((prefix, _)) = jti.split_once('.') {
        forged.push(format!(
            "{prefix}.{}",
            porttivahti::tokens::random_token(32)
        ));
    }
    let mut refused = 0;
    for f in &forged {
        let (s, e) = refresh_as(&app, A.0, Some(A.1), f).await;
        assert_eq!(
            (s, e["error"].as_str()),
            (400, Some("invalid_grant")),
            "{f}"
        );
        refused += 1;
    }
    assert_eq!(userinfo_status(&app, &at).await, 200);
    family_works(&app, &rt2).await;
    hostile_refused(
        "hostile_an_access_tokens_jti_does_not_name_its_refresh_family",
        refused,
    );
}

#[tokio::test]
async fn hostile_a_made_up_secret_with_the_family_id_leaves_the_family_working() {
    let app = spawn_app().await;
    let (at, rt, fam) = anna_tokens(&app).await;
    let secret = rt.split_once('.').unwrap().1;
    let mut flipped = secret.to_string();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    let forged = [
        format!("{fam}.{}", porttivahti::tokens::random_token(32)),
        format!("{fam}.{flipped}"),
        format!("{fam}."),
        format!("{fam}.{}", &secret[..secret.len() - 1]),
    ];
    let mut refused = 0;
    for f in &forged {
        let (s, e) = refresh_as(&app, A.0, Some(A.1), f).await;
        assert_eq!(
            (s, e["error"].as_str()),
            (400, Some("invalid_grant")),
            "{f}"
        );
        refused += 1;
    }
    assert_eq!(userinfo_status(&app, &at).await, 200, "access token kept");
    let rt2 = family_works(&app, &rt).await;
    // And after a rotation too.
    let (s, _) = refresh_as(
        &app,
        A.0,
        Some(A.1),
        &format!("{fam}.{}", porttivahti::tokens::random_token(32)),
    )
    .await;
    assert_eq!(s, 400);
    refused += 1;
    family_works(&app, &rt2).await;
    hostile_refused(
        "hostile_a_made_up_secret_with_the_family_id_leaves_the_family_working",
        refused,
    );
}

#[tokio::test]
async fn hostile_a_refresh_failing_client_authentication_leaves_the_family_working() {
    let app = spawn_app().await;
    let (at, rt, _) = anna_tokens(&app).await;
    let mut refused = 0;
    // The family's client with a wrong secret.
    let (s, e) = refresh_as(&app, A.0, Some("not-the-secret-0123"), &rt).await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
    refused += 1;
    // The family's client as if it were public (no secret).
    let (s, e) = refresh_as(&app, A.0, None, &rt).await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
    refused += 1;
    // Another confidential client, rightly authenticated as itself.
    let (s, e) = refresh_as(&app, "intermetso-portal", Some("secret-i-0123456789"), &rt).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    refused += 1;
    // A public client, which needs no secret at all.
    let (s, e) = refresh_as(&app, "portal-b", None, &rt).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    refused += 1;
    assert_eq!(userinfo_status(&app, &at).await, 200, "access token kept");
    family_works(&app, &rt).await;
    hostile_refused(
        "hostile_a_refresh_failing_client_authentication_leaves_the_family_working",
        refused,
    );
}

#[tokio::test]
async fn hostile_a_genuine_replay_of_a_rotated_refresh_token_ends_the_family() {
    let app = spawn_app().await;
    let (at1, rt1, _) = anna_tokens(&app).await;
    let r: Value = refresh(&app, A.0, A.1, &rt1).await.json().await.unwrap();
    let rt2 = r["refresh_token"].as_str().unwrap().to_string();
    let at2 = r["access_token"].as_str().unwrap().to_string();
    let rt3 = family_works(&app, &rt2).await;
    // The first token, two rotations old, comes back: the family ends.
    let (s, e) = refresh_as(&app, A.0, Some(A.1), &rt1).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    let (s, _) = refresh_as(&app, A.0, Some(A.1), &rt3).await;
    assert_eq!(s, 400, "the current token ended with its family");
    for at in [&at1, &at2] {
        assert_eq!(userinfo_status(&app, at).await, 401);
        let i: Value = porttivahti::http_client_builder()
            .build()
            .unwrap()
            .post(format!("{}/introspect", app.base))
            .basic_auth(A.0, Some(A.1))
            .form(&[("token", at.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(i["active"], false, "{i}");
    }
    hostile_refused(
        "hostile_a_genuine_replay_of_a_rotated_refresh_token_ends_the_family",
        3,
    );
}
