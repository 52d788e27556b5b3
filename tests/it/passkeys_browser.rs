//! Passkeys in a real browser: headless Chromium with a virtual
//! authenticator (the WebDriver WebAuthn extension), which makes a real
//! key and signs real WebAuthn answers through `navigator.credentials`.
//! Registers a passkey at `/account/passkeys`, logs in with it without a
//! username (through the autofill's conditional mediation) and as the
//! second factor, finds a removed passkey refused and an authenticator
//! that cannot verify the person unable to log in.
//! Needs `PORTTIVAHTI_TEST_CHROMEDRIVER`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::passkeys::origin;
use crate::webdriver;

use common::*;
use porttivahti::domain::{AuthMethod, LoA};
use webdriver::{Driver, chromedriver};

/// The session the browser's cookie names.
async fn session_of(app: &TestApp, d: &Driver) -> porttivahti::store::ephemeral::Session {
    let sid = d.cookie("pv_sid").await.expect("a session cookie");
    app.state
        .eph
        .session(&porttivahti::tokens::hash_secret(&sid), app.clock_now())
        .await
        .unwrap()
        .expect("the session")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_registers_and_logs_in_in_chromium() {
    let Some(cd) = chromedriver() else {
        eprintln!("PORTTIVAHTI_TEST_CHROMEDRIVER is not set: browser test not run");
        return;
    };
    let app = spawn_app().await;
    let base = origin(&app);
    let d = Driver::start(&cd, "fi-FI").await;
    let authenticator = d.add_virtual_authenticator(true).await;

    // A fresh password login may add a first passkey.
    d.goto(&format!("{base}/login")).await;
    d.type_into("#username", "anna.hoitaja").await;
    d.type_into("#password", "Intermetso-demo-2026").await;
    d.click("form[action='/login/password'] button[type=submit]")
        .await;
    d.wait_for("(anna.hoitaja)").await;
    d.goto(&format!("{base}/account/passkeys")).await;
    d.wait_for("Sinulla ei ole pääsyavaimia").await;
    d.type_into("#passkey-name", "Työasema").await;
    d.click("#passkey-add").await;
    d.wait_for("Pääsyavain lisätty.").await;
    let page = d.source().await;
    assert!(
        page.contains("Työasema") && page.contains("laitteeseen sidottu"),
        "{page}"
    );
    let anna = account_id(&app, "anna.hoitaja").await;
    let keys = app.state.dir.passkeys(&anna).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].user_verified);
    let held = d.virtual_credentials(&authenticator).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["isResidentCredential"], true);
    assert_eq!(held[0]["rpId"], "localhost");

    // Username-less, through the username field's autofill (conditional
    // mediation): with a virtual authenticator Chromium answers the
    // conditional request with the credential it holds, as a person
    // picking it from the autofill list would. No username, no password.
    d.delete_cookies().await;
    d.goto(&format!("{base}/login")).await;
    d.wait_for("(anna.hoitaja)").await;
    let s = session_of(&app, &d).await;
    assert_eq!(s.account_id, anna);
    assert_eq!(
        s.methods,
        vec![AuthMethod::HardwareKey, AuthMethod::UserVerified]
    );
    assert_eq!(s.loa, LoA::Low);
    let used = app.state.dir.passkeys(&anna).await.unwrap().remove(0);
    assert!(
        used.last_used_at.is_some() && used.sign_count > 0,
        "{used:?}"
    );

    // As the second factor after the password. The authenticator is away
    // while the password is typed (else the autofill would log in first),
    // and comes back with the same credential for the second step.
    let held = d.virtual_credentials(&authenticator).await.remove(0);
    d.remove_virtual_authenticator(&authenticator).await;
    d.delete_cookies().await;
    d.goto(&format!("{base}/login")).await;
    d.type_into("#username", "anna.hoitaja").await;
    d.type_into("#password", "Intermetso-demo-2026").await;
    d.click("form[action='/login/password'] button[type=submit]")
        .await;
    d.wait_for("passkey-second-button").await;
    let authenticator = d.add_virtual_authenticator(true).await;
    d.add_virtual_credential(&authenticator, &held).await;
    d.click("#passkey-second-button").await;
    d.wait_for("(anna.hoitaja)").await;
    let s = session_of(&app, &d).await;
    assert_eq!(
        s.methods[..2],
        [AuthMethod::Password, AuthMethod::HardwareKey]
    );

    // Removed on the account page, the passkey no longer logs in.
    d.goto(&format!("{base}/account/passkeys")).await;
    d.click(".passkey-remove").await;
    d.wait_for("Pääsyavain poistettu.").await;
    assert!(app.state.dir.passkeys(&anna).await.unwrap().is_empty());
    d.delete_cookies().await;
    d.goto(&format!("{base}/login")).await;
    d.wait_for("Pääsyavainta ei hyväksytty").await;
    assert!(d.cookie("pv_sid").await.is_none());
    assert!(log_line(&["passkey login refused", "unknown_credential"]).is_some());

    // An authenticator that cannot verify the person is refused where
    // verification is required (a fresh registration and login).
    let held = d.virtual_credentials(&authenticator).await;
    d.remove_virtual_authenticator(&authenticator).await;
    d.goto(&format!("{base}/login")).await;
    d.type_into("#username", "sami.sosiaali").await;
    d.type_into("#password", "Sonette-demo-2026").await;
    d.click("form[action='/login/password'] button[type=submit]")
        .await;
    d.wait_for("(sami.sosiaali)").await;
    let authenticator = d.add_virtual_authenticator(true).await;
    for c in &held {
        d.add_virtual_credential(&authenticator, c).await;
    }
    d.goto(&format!("{base}/account/passkeys")).await;
    d.click("#passkey-add").await;
    d.wait_for("Pääsyavain lisätty.").await;
    d.set_user_verified(&authenticator, false).await;
    d.delete_cookies().await;
    d.goto(&format!("{base}/login")).await;
    // The conditional request fails quietly; the button's request fails
    // too — Chromium itself refuses to answer without verification when it
    // is required — and the page says so; no session starts.
    d.click("#passkey-login-button").await;
    d.wait_displayed("#passkey-login .passkey-error").await;
    assert!(d.cookie("pv_sid").await.is_none());
}
