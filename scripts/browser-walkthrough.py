#!/usr/bin/env python3
"""Browser walkthrough of Porttivahti's pages, as a newcomer would click them.

Drives headless Chromium through chromedriver (Selenium) over the dev
configuration's demo portal and demo accounts, takes a full-page PNG at each
step and writes a log of what it saw: HTTP statuses >= 400, browser console
messages, keyboard focus order, and simple accessibility checks (labels,
aria-describedby targets, aria-invalid, document language).

Needs:
  * chromium and chromedriver   (Debian: apt-get install -y chromium chromium-driver)
  * selenium for Python          (pip install selenium)
  * a running gateway on a FRESH database with the dev configuration
    (config/porttivahti.toml), because step 5 changes ville.vaihto's password
    and step 6 locks liisa.yhteys:

      mkdir -p /tmp/walk
      CARGO_TARGET_DIR=/tmp/walk-target cargo build   # or any target dir
      PORTTIVAHTI__SERVER__LISTEN=127.0.0.1:18181 \
      PORTTIVAHTI__SERVER__PUBLIC_URL=http://127.0.0.1:18181 \
      PORTTIVAHTI__STORE__DATABASE_URL=sqlite:///tmp/walk/pv.db \
      /tmp/walk-target/debug/porttivahti serve --config config/porttivahti.toml

Run:
  python3 scripts/browser-walkthrough.py [--base http://127.0.0.1:18181]
      [--out /tmp/walk/shots] [--accept-language fi-FI,fi]

Screenshots go to --out (NN-step.png); the log is --out/walkthrough.log and
is also printed. The exit status is 1 if an expectation failed (the failed
checks are listed at the end), 0 otherwise.
"""

import argparse
import base64
import json
import os
import re
import sys
import tempfile
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ap = argparse.ArgumentParser()
ap.add_argument("--base", default="http://127.0.0.1:18181")
ap.add_argument("--out", default="/tmp/walk/shots")
ap.add_argument("--accept-language", default="fi-FI,fi",
                help="the browser's language preference (Finnish user by default)")
ap.add_argument("--chromium", default="/usr/bin/chromium")
ap.add_argument("--chromedriver", default="/usr/bin/chromedriver")
args = ap.parse_args()
BASE = args.base.rstrip("/")
os.makedirs(args.out, exist_ok=True)
LOG = open(os.path.join(args.out, "walkthrough.log"), "w", encoding="utf-8")
FAILED = []
_n = [0]


def log(*a):
    s = " ".join(str(x) for x in a)
    print(s)
    LOG.write(s + "\n")
    LOG.flush()


def check(cond, what):
    log(("  ok   " if cond else "  FAIL ") + what)
    if not cond:
        FAILED.append(what)
    return cond


def new_driver(width=1280, height=900):
    o = webdriver.ChromeOptions()
    o.binary_location = args.chromium
    for f in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage",
              f"--user-data-dir={tempfile.mkdtemp(prefix='walk-chrome-')}",
              f"--window-size={width},{height}",
              f"--lang={args.accept_language.split(',')[0]}"]:
        o.add_argument(f)
    o.add_experimental_option("prefs", {"intl.accept_languages": args.accept_language})
    o.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    d = webdriver.Chrome(service=Service(args.chromedriver), options=o)
    d.execute_cdp_cmd("Network.enable", {})
    return d


def drain(d, step):
    """Log HTTP responses >= 400 and console messages since the last call."""
    for e in d.get_log("performance"):
        m = json.loads(e["message"])["message"]
        if m.get("method") == "Network.responseReceived":
            r = m["params"]["response"]
            if r.get("status", 0) >= 400:
                log(f"  HTTP {r['status']} {r['url'][:160]}  [{step}]")
    for e in d.get_log("browser"):
        log(f"  CONSOLE {e['level']}: {e['message'][:300]}  [{step}]")


def shot(d, name):
    """A full-page screenshot; returns its path."""
    _n[0] += 1
    path = os.path.join(args.out, f"{_n[0]:02d}-{name}.png")
    m = d.execute_cdp_cmd("Page.getLayoutMetrics", {})
    cs = m.get("cssContentSize") or m["contentSize"]
    data = d.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": cs["width"], "height": cs["height"], "scale": 1}})
    with open(path, "wb") as f:
        f.write(base64.b64decode(data["data"]))
    drain(d, name)
    log(f"  shot {path}  ({d.current_url[:120]}) title={d.title!r}")
    return path


A11Y_JS = r"""
const out = {lang: document.documentElement.lang, h1: [...document.querySelectorAll('h1')].map(h=>h.innerText),
  problems: [], fields: []};
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, button')) {
  if (el.hidden) continue;
  let label = '';
  if (el.id) { const l = document.querySelector(`label[for="${el.id}"]`); if (l) label = l.innerText; }
  if (!label && el.closest('label')) label = el.closest('label').innerText;
  if (!label) label = el.getAttribute('aria-label') || '';
  if (!label && el.tagName === 'BUTTON') label = el.innerText;
  const desc = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  const descText = desc.map(id => { const t = document.getElementById(id); if (!t) out.problems.push(`aria-describedby -> missing #${id}`); return t ? t.innerText : ''; });
  if (!label) out.problems.push(`no label: ${el.outerHTML.slice(0,80)}`);
  out.fields.push({id: el.id, name: el.name, label, describedby: descText, invalid: el.getAttribute('aria-invalid')});
}
for (const e of document.querySelectorAll('.error')) {
  if (!document.querySelector(`[aria-describedby~="${e.id}"]`)) out.problems.push(`error text not referenced by any field: "${e.innerText}"`);
}
const ids = {}; for (const e of document.querySelectorAll('[id]')) { ids[e.id] = (ids[e.id]||0)+1; }
for (const k in ids) if (ids[k] > 1) out.problems.push(`duplicate id ${k}`);
out.alerts = [...document.querySelectorAll('[role=alert]')].map(a=>a.innerText);
out.active = document.activeElement ? (document.activeElement.id || document.activeElement.tagName) : null;
return out;
"""


def a11y(d, step):
    r = d.execute_script(A11Y_JS)
    log(f"  a11y [{step}] lang={r['lang']} h1={r['h1']} focus={r['active']} alerts={r['alerts']}")
    for f in r["fields"]:
        log(f"    field {f['id'] or f['name']!r}: label={f['label']!r} described-by={f['describedby']} invalid={f['invalid']}")
    for p in r["problems"]:
        log(f"    PROBLEM {p}")
    return r


def describe_active(d):
    return d.execute_script("""const e = document.activeElement; if (!e) return null;
      const t = (e.innerText || e.value || e.getAttribute('aria-label') || '').trim().slice(0,40);
      return `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.name ? '[' + e.name + ']' : ''} "${t}"`;""")


def tab_order(d, step, max_steps=25):
    """Tabs from the top of the page and logs each focused element."""
    d.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0,0);")
    d.execute_script("document.body.focus()")
    order = []
    for _ in range(max_steps):
        ActionChains(d).send_keys(Keys.TAB).perform()
        a = describe_active(d)
        if order and a == order[0]:
            break
        order.append(a)
    log(f"  tab order [{step}]:")
    for i, a in enumerate(order, 1):
        log(f"    {i:2d}. {a}")
    return order


def keys(d, *ks):
    ActionChains(d).send_keys(*ks).perform()


def go(d, path):
    d.get(BASE + path if path.startswith("/") else path)


def demo_login(d):
    go(d, "/demo/")
    d.find_element(By.ID, "login").click()


def type_login(d, user, pw):
    """Keyboard only: focus the username field, type, Tab, type, Enter."""
    u = d.find_element(By.ID, "username")
    # (WebDriver's element clear() also blurs the field, so clear by script)
    d.execute_script("arguments[0].value = ''; arguments[0].focus();", u)
    check(d.switch_to.active_element.get_attribute("id") == "username", "the username field has the focus")
    keys(d, user, Keys.TAB)
    check(d.switch_to.active_element.get_attribute("id") == "password",
          "Tab from the username goes to the password")
    keys(d, pw, Keys.ENTER)
    time.sleep(0.3)


def text(d):
    return d.find_element(By.TAG_NAME, "body").text


def main():
    d = new_driver()
    try:
        # ---------------------------------------------------------- 1
        log("\n== 1. demo portal -> Log in -> keyboard login as anna.hoitaja")
        go(d, "/demo/")
        shot(d, "demo-start")
        d.find_element(By.ID, "login").click()
        log(f"  login URL: {d.current_url}")
        shot(d, "login-page")
        r = a11y(d, "login")
        check(r["lang"] == "fi", "login page is in Finnish for a Finnish browser")
        check(r["active"] == "username", "username field has the focus on arrival")
        tab_order(d, "login")
        # the skip link: Shift+Tab back from the username past the language links
        d.find_element(By.ID, "username").click()
        for _ in range(3):
            ActionChains(d).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        check(d.switch_to.active_element.get_attribute("class") == "skip", "the skip link is reached by Shift+Tab")
        shot(d, "login-skip-link-focused")
        keys(d, Keys.ENTER)
        keys(d, Keys.TAB)
        check(d.switch_to.active_element.get_attribute("id") == "username",
              "skip link, then Tab, lands on the username")
        type_login(d, "anna.hoitaja", "Intermetso-demo-2026")
        check(d.current_url.startswith(BASE + "/demo/"), "back on the demo page")
        check("ID token claims" in text(d), "the demo page shows the claims")
        shot(d, "demo-anna-claims")
        # Back to the login page and log in again: the person is logged in already
        d.back()
        time.sleep(0.3)
        if d.find_elements(By.ID, "username"):
            type_login(d, "anna.hoitaja", "Intermetso-demo-2026")
            h1 = d.find_element(By.TAG_NAME, "h1").text
            log(f"  Back, log in again -> {d.current_url} h1={h1!r}")
            check(h1 != "Jokin meni vikaan", "Back after login and logging in again is not an error")
            shot(d, "back-and-login-again")

        # ---------------------------------------------------------- 2
        log("\n== 2. language links on the login page")
        d.delete_all_cookies()
        demo_login(d)
        login_url = d.current_url
        for label, lang in [("På svenska", "sv"), ("In English", "en"), ("Suomeksi", "fi")]:
            d.find_element(By.LINK_TEXT, label).click()
            log(f"  {label} -> {d.current_url}")
            r = a11y(d, f"login-{lang}")
            check(r["lang"] == lang, f"html lang={lang} after clicking {label}")
            check("ar=" in d.current_url, f"the pending request (ar) survives clicking {label}")
            shot(d, f"login-{lang}")

        # ---------------------------------------------------------- 3
        log("\n== 3. wrong password, then the empty form")
        type_login(d, "anna.hoitaja", "vaara-salasana")
        r = a11y(d, "wrong-password")
        shot(d, "login-wrong-password")
        body = text(d)
        n = body.count("Käyttäjätunnus tai salasana on väärin")
        check(n == 1, f"the wrong-password message appears once (appears {n} times)")
        log(f"  after a wrong password: URL={d.current_url} focus={describe_active(d)}")
        # the language links on the page a POST returned
        for a in d.find_elements(By.CSS_SELECTOR, ".langs a"):
            log(f"  lang link after POST: {a.text} -> {a.get_attribute('href')}")
        d.find_element(By.LINK_TEXT, "På svenska").click()
        log(f"  clicked På svenska after a failed login -> {d.current_url}")
        shot(d, "lang-link-after-failed-login")
        check("Logga in" in text(d), "the Swedish login page appears after switching language on the error page")
        d.back()
        time.sleep(0.3)
        # the empty form
        d.delete_all_cookies()
        demo_login(d)
        d.execute_script("document.getElementById('username').value = ''")
        d.find_element(By.CSS_SELECTOR, "form[action='/login/password'] button[type=submit]").click()
        r = a11y(d, "empty-form")
        log(f"  after empty submit: focus={describe_active(d)}")
        shot(d, "login-empty-form")
        border = d.execute_script("return getComputedStyle(document.getElementById('username')).borderTopColor")
        check(border == "rgb(176, 0, 32)", f"an invalid field has a red border (it is {border})")
        # username only
        keys(d, "anna.hoitaja", Keys.ENTER)
        time.sleep(0.5)
        r = a11y(d, "username-only")
        log(f"  after username only: focus={describe_active(d)}")
        shot(d, "login-username-only")
        # the wrong-password page in Swedish and English
        for lang in ["sv", "en"]:
            d.delete_all_cookies()
            demo_login(d)
            go(d, d.current_url + f"&lang={lang}")
            type_login(d, "anna.hoitaja", "wrong-password-x")
            shot(d, f"login-wrong-password-{lang}")
        d.delete_all_cookies()

        # ---------------------------------------------------------- 4
        log("\n== 4. sami.sosiaali at the demo portal (Mielenterveystalo)")
        demo_login(d)
        type_login(d, "sami.sosiaali", "Sonette-demo-2026")
        check("ID token claims" in text(d), "sami reaches the demo portal (Mielenterveystalo)")
        shot(d, "demo-sami-claims")
        claims = d.find_element(By.ID, "id-claims").text
        log("  sami's ID token claims:\n" + "\n".join("    " + l for l in claims.splitlines()))
        # what a portal sends that the gateway must refuse
        for name, q in [
            ("unknown-client", {"response_type": "code", "client_id": "intermetso-portal",
                                "redirect_uri": BASE + "/demo/callback", "scope": "openid", "state": "x"}),
            ("bad-redirect", {"response_type": "code", "client_id": "demo-portal",
                              "redirect_uri": "https://evil.example/cb", "scope": "openid", "state": "x"}),
            ("backend-client", {"response_type": "code", "client_id": "hopo-backend",
                                "redirect_uri": BASE + "/demo/callback", "scope": "openid", "state": "x"}),
        ]:
            go(d, "/authorize?" + urllib.parse.urlencode(q))
            log(f"  /authorize {name}: {d.current_url[:120]}")
            a11y(d, name)
            shot(d, f"authorize-{name}")
        go(d, "/")
        shot(d, "home-sami")
        a11y(d, "home")
        go(d, "/no-such-page")
        shot(d, "not-found")
        d.delete_all_cookies()

        # ---------------------------------------------------------- 5
        log("\n== 5. ville.vaihto must change the password")
        demo_login(d)
        type_login(d, "ville.vaihto", "Vaihda-heti-2026")
        log(f"  after login: {d.current_url}")
        check("/password/change" in d.current_url, "sent to the password change page")
        r = a11y(d, "change")
        check(r["active"] == "new_password", "new password field has the focus")
        tab_order(d, "change")
        shot(d, "change-page")

        def change(new, repeat, name):
            f = d.find_element(By.ID, "new_password")
            d.execute_script("arguments[0].value = ''; arguments[0].focus();", f)
            d.execute_script("document.getElementById('new_password_repeat').value = '';")
            keys(d, new, Keys.TAB)
            check(d.switch_to.active_element.get_attribute("id") == "new_password_repeat",
                  "Tab goes from the new password to the repeat")
            keys(d, repeat, Keys.ENTER)
            time.sleep(0.3)
            a11y(d, name)
            log(f"  {name}: URL={d.current_url} focus={describe_active(d)}")
            return shot(d, name)

        change("kissa123", "kissa123", "change-too-short")
        change("salasana1234", "salasana1234", "change-common")
        change("ville.vaihto-2026-salainen", "ville.vaihto-2026-salainen", "change-contains-username")
        change("kolme iloista kissaa ja koira", "kolme iloista kissaa ja kana", "change-mismatch")
        for a in d.find_elements(By.CSS_SELECTOR, ".langs a"):
            log(f"  lang link after POST: {a.text} -> {a.get_attribute('href')}")
        change("kolme iloista kissaa ja koira", "kolme iloista kissaa ja koira", "change-good")
        check("ID token claims" in text(d), "after the change, back on the demo page with claims")
        d.delete_all_cookies()

        # ---------------------------------------------------------- 6
        log("\n== 6. five wrong passwords for liisa.yhteys, then the right one")
        demo_login(d)
        for i in range(5):
            type_login(d, "liisa.yhteys", f"vaarin-{i}")
            log(f"  wrong #{i + 1}: {d.find_element(By.TAG_NAME, 'h1').text!r}")
        shot(d, "liisa-fifth-wrong")
        type_login(d, "liisa.yhteys", "Yhteys-demo-2026")
        r = a11y(d, "locked")
        shot(d, "locked-fi")
        body = text(d)
        check("intermetso-tunnukset@example.fi" in body, "the locked page names the liaison's address")
        check("palvelupiste@example.fi" in body, "the locked page names the service desk")
        for a in d.find_elements(By.CSS_SELECTOR, ".langs a"):
            log(f"  lang link on locked page: {a.text} -> {a.get_attribute('href')}")
        d.find_element(By.LINK_TEXT, "På svenska").click()
        log(f"  locked page, På svenska -> {d.current_url}")
        shot(d, "locked-sv-link")
        # the locked page in Swedish and English, by logging in again in that language
        for lang in ["sv", "en"]:
            d.delete_all_cookies()
            demo_login(d)
            go(d, d.current_url + f"&lang={lang}")
            type_login(d, "liisa.yhteys", "Yhteys-demo-2026")
            shot(d, f"locked-{lang}")
        d.delete_all_cookies()

        # ---------------------------------------------------------- 7
        log("\n== 7. Log out everywhere")
        demo_login(d)
        type_login(d, "anna.hoitaja", "Intermetso-demo-2026")
        check("ID token claims" in text(d), "anna logged in again")
        d.find_element(By.LINK_TEXT, "Log out everywhere").click()
        log(f"  after Log out everywhere: {d.current_url}")
        shot(d, "logout-1")
        if d.find_elements(By.CSS_SELECTOR, "form[action='/logout'] button"):
            a11y(d, "logout-confirm")
            d.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
            log(f"  after confirming: {d.current_url}")
            shot(d, "logout-2")
        go(d, "/demo/")
        check(len(d.find_elements(By.ID, "login")) == 1, "/demo/ shows logged out (a Log in button)")
        shot(d, "demo-after-logout")
        go(d, "/")
        log(f"  / after logout: {d.current_url}")
        d.quit()

        # ---------------------------------------------------------- 8
        log("\n== 8. narrow mobile viewport")
        d = new_driver(375, 812)
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": 375, "height": 812, "deviceScaleFactor": 1, "mobile": True})
        demo_login(d)
        sw = d.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        log(f"  scrollWidth/innerWidth = {sw}")
        check(sw[0] <= sw[1], "no horizontal scrolling at 375px")
        shot(d, "mobile-login")
        type_login(d, "anna.hoitaja", "wrong-password-x")
        shot(d, "mobile-login-error")
        go(d, "/demo/")
        shot(d, "mobile-demo")
    finally:
        try:
            drain(d, "end")
        except Exception:
            pass
        d.quit()
    log("\n== failed checks: %d" % len(FAILED))
    for f in FAILED:
        log("  - " + f)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
