//! The pages a nurse, a first-time visitor and a liaison person meet, in
//! headless Chromium at desktop and phone width (issue 17): nothing scrolls
//! sideways at 390 or 360 px, the lockout warns and the locked page leads
//! back, a too-weak first login is refused before registration in the
//! person's language, the organisation search ignores diacritics, the demo
//! portal speaks Swedish, the logged-in page links the portals, and the
//! admin header's link reads white on blue (WCAG AA).
//!
//! Screenshots for a person to look at: `target/screenshots/` (under
//! `CARGO_TARGET_DIR` when set), `NAME-phone.png` (390 px) and
//! `NAME-desktop.png` (1200 px), the whole page each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use crate::demo_portals::demo_app;
use crate::webdriver::{Driver, chromedriver};

fn shots_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    PathBuf::from(target).join("screenshots")
}

/// Looks at the page shown now as a person would: at 360 and 390 px
/// (a phone) and 1200 px, noting anything that reaches past a phone's
/// screen, and saves the 390 and 1200 px screenshots as `name`.
async fn look(d: &Driver, name: &str, wide: &mut Vec<String>) {
    for (width, save) in [(360, false), (390, true)] {
        d.screen(width, 800, true).await;
        let (over, worst) = d.overflow().await;
        if over > 0 {
            wide.push(format!(
                "{name} at {width} px: {over} px too wide ({worst})"
            ));
        }
        if save {
            d.screenshot(&shots_dir().join(format!("{name}-phone.png")))
                .await;
        }
    }
    d.screen(1200, 900, false).await;
    d.screenshot(&shots_dir().join(format!("{name}-desktop.png")))
        .await;
}

/// The WCAG contrast ratio of two `rgb(…)`/`rgba(…)` colours.
fn contrast(a: &str, b: &str) -> f64 {
    fn luminance(css: &str) -> f64 {
        let inner = css.split(['(', ')']).nth(1).unwrap();
        let c: Vec<f64> = inner
            .split(',')
            .take(3)
            .map(|v| v.trim().parse::<f64>().unwrap() / 255.0)
            .map(|v| {
                if v <= 0.03928 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            })
            .collect();
        0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    }
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

async fn log_in(d: &Driver, username: &str, password: &str) {
    d.type_into("#username", username).await;
    d.type_into("#password", password).await;
    d.click_to_next_page("form[action='/login/password'] button[type=submit]")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_pages_fit_a_phone_and_say_what_to_do() {
    let Some(cd) = chromedriver() else {
        return;
    };
    let app = demo_app().await;
    let d = Driver::start(&cd, "fi-FI").await;
    let base = &app.base;
    let mut wide = Vec::new();

    // The login page, and its organisation search without diacritics.
    d.goto(&format!("{base}/login")).await;
    d.wait_for("Intermetso- tai Sonette-tunnus").await;
    look(&d, "login", &mut wide).await;
    d.type_into("#q", "jyvaskyla").await;
    d.click_to_next_page("form[role=search] button").await;
    d.wait_for("href=\"/login/source/ksshp\"").await;
    look(&d, "login-search", &mut wide).await;
    d.goto(&format!("{base}/liaisons?q=Keski-Suomi")).await;
    d.wait_for("Keski-Suomen hyvinvointialue (demo)").await;
    look(&d, "liaisons-search", &mut wide).await;

    // Wrong passwords: a warning before the lock, then the locked page
    // with the way back.
    d.goto(&format!("{base}/login")).await;
    for _ in 0..3 {
        log_in(&d, "sami.sosiaali", "vaara-salasana-123").await;
    }
    assert!(d.text("#lock-warning").await.contains("5 kertaa peräkkäin"));
    // As the browser draws it: the password field in error has another
    // border colour than the username field, and a thicker one (not colour
    // alone); a focused field has a solid outline of 2 px or more and a
    // dark ring that stands out from the page (3:1, WCAG 1.4.11).
    let st = d
        .script(
            "const u = getComputedStyle(document.querySelector('#username'));
             const p = getComputedStyle(document.querySelector('#password'));
             return [u.borderTopColor, p.borderTopColor, u.borderTopWidth, p.borderTopWidth];",
        )
        .await;
    let st: Vec<&str> = st
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_ne!(st[0], st[1], "an invalid field's border colour: {st:?}");
    let px = |v: &str| v.trim_end_matches("px").parse::<f64>().unwrap();
    assert!(
        px(st[3]) > px(st[2]),
        "an invalid field's border width: {st:?}"
    );
    let focus = d
        .script(
            "const u = document.querySelector('#username'); u.focus();
             const s = getComputedStyle(u);
             return [s.outlineStyle, s.outlineWidth, s.boxShadow,
                     getComputedStyle(document.querySelector('main')).backgroundColor];",
        )
        .await;
    let focus: Vec<&str> = focus
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(focus[0], "solid", "focus outline: {focus:?}");
    assert!(px(focus[1]) >= 2.0, "focus outline width: {focus:?}");
    let ring = &focus[2][..focus[2].find(')').map(|i| i + 1).unwrap_or(0)];
    assert!(ring.starts_with("rgb"), "a focus ring: {focus:?}");
    let ratio = contrast(ring, focus[3]);
    assert!(
        ratio >= 3.0,
        "focus ring {ring} on {}: {ratio:.2} < 3",
        focus[3]
    );
    look(&d, "login-lock-warning", &mut wide).await;
    for _ in 0..2 {
        log_in(&d, "sami.sosiaali", "vaara-salasana-123").await;
    }
    assert!(
        d.text("#lock-warning")
            .await
            .contains("voi nyt olla lukittu")
    );
    log_in(&d, "sami.sosiaali", "Sonette-demo-2026").await;
    d.wait_for("Tunnus on lukittu").await;
    look(&d, "locked", &mut wide).await;
    d.click("main a.button").await;
    d.wait_for("id=\"m-password\"").await;
    assert!(d.url().await.ends_with("/login"), "{}", d.url().await);

    // The demo portal in Swedish.
    d.goto(&format!("{base}/demo/?lang=sv")).await;
    d.wait_for("Mentalhälsohuset för yrkesverksamma").await;
    look(&d, "demo-sv", &mut wide).await;

    // Tea Testaaja, in English, through Suomi.fi's test method: refused
    // before the registration form, told what to do next.
    d.goto(&format!("{base}/demo/?lang=en")).await;
    d.click("#login").await;
    d.wait_for("id=\"m-password\"").await;
    d.click("a[href^='/login/source/suomifi']").await;
    d.wait_for("Tea Testaaja").await;
    look(&d, "dev-idp-suomifi", &mut wide).await;
    d.click("ul.people li:nth-child(5) button").await;
    d.wait_for("No account was created").await;
    let next = d.text("#denied-next").await;
    assert!(
        next.contains(
            "through Suomi.fi with bank codes, a mobile certificate or a certificate card"
        ),
        "{next}"
    );
    let why = d.text("#denied-why").await;
    assert!(why.contains("Intermetso, Sonette, Santra"), "{why}");
    assert!(why.contains("substantial (for example"), "{why}");
    look(&d, "refused-before-registration", &mut wide).await;

    // Hanna Hoitaja's organisation login does reach it: the one-time
    // registration form.
    d.click("a.button[href^='/login?ar=']").await;
    d.click("a[href^='/login/source/ksshp']").await;
    d.wait_for("Hanna Hoitaja").await;
    d.click_to_next_page("ul.people li:nth-child(1) button")
        .await;
    d.wait_for("action=\"/register\"").await;
    look(&d, "register", &mut wide).await;

    // A nurse logs in: the logged-in page links the portals and her own
    // page.
    d.goto(&format!("{base}/login?lang=fi")).await;
    log_in(&d, "anna.hoitaja", "Intermetso-demo-2026").await;
    d.wait_for("Olet kirjautunut sisään").await;
    d.find("ul.portals a[href='/demo/']").await;
    look(&d, "home", &mut wide).await;
    d.click("a[href='/account/']").await;
    d.wait_for("id=\"main\"").await;
    look(&d, "account", &mut wide).await;

    // A liaison person's admin header: its link reads white on blue.
    d.delete_cookies().await;
    d.goto(&format!("{base}/admin/")).await;
    log_in(&d, "liisa.yhteys", "Yhteys-demo-2026").await;
    d.wait_for("one-time-code").await;
    look(&d, "otp", &mut wide).await;
    let key =
        porttivahti::identity::totp::base32_decode("OYHCDDSOBGYYMDJBKOEIYSGHRV6SSBHY").unwrap();
    // The code for the application's own (frozen) clock, not the wall's.
    let now = app.clock_now();
    d.type_into(
        "#code",
        &porttivahti::identity::totp::code_at(&key, now).unwrap(),
    )
    .await;
    d.click("form[action='/login/otp'] button[type=submit]")
        .await;
    d.wait_for("class=\"who\"").await;
    let colours = d
        .script(
            "const a = document.querySelector('header.top a.brand');
             return [getComputedStyle(a).color,
                     getComputedStyle(document.querySelector('header.top')).backgroundColor];",
        )
        .await;
    let (fg, bg) = (colours[0].as_str().unwrap(), colours[1].as_str().unwrap());
    let ratio = contrast(fg, bg);
    assert!(
        ratio >= 4.5,
        "admin header link {fg} on {bg}: contrast {ratio:.2} < 4.5"
    );
    look(&d, "admin-dashboard", &mut Vec::new()).await;

    // The measure itself: a box wider than the phone is seen and named.
    d.screen(390, 800, true).await;
    d.script(
        "const e = document.createElement('div'); e.id = 'too-wide';
         e.style.width = '600px'; e.textContent = 'x'; document.body.append(e); return 0;",
    )
    .await;
    let (over, worst) = d.overflow().await;
    assert!(over > 0 && worst.contains("too-wide"), "{over} {worst}");
    eprintln!("screenshots in {}", shots_dir().display());
    assert!(
        wide.is_empty(),
        "pages wider than a phone:\n{}",
        wide.join("\n")
    );
}
