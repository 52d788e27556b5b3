//! Configuration: loading, defaults and the checks of each section.
use super::*;

fn minimal() -> String {
    r#"
[secrets]
key_encryption_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
cookie_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
[service_desk]
name = "Palvelupiste"
email = "palvelupiste@example.fi"
"#
    .into()
}

/// Loads `text` as a development configuration (its secrets are
/// weak on purpose) unless `env` names another environment.
fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    std::fs::write(&p, text).unwrap();
    Settings::load(
        Some(&p),
        [("PORTTIVAHTI__SERVER__ENVIRONMENT", "development")]
            .iter()
            .chain(env)
            .map(|(k, v)| (k.to_string(), v.to_string())),
    )
}

#[test]
fn production_refuses_weak_and_published_keys_naming_each() {
    let prod = [("PORTTIVAHTI__SERVER__ENVIRONMENT", "production")];
    let err = load(&minimal(), &prod).unwrap_err().to_string();
    assert!(err.contains("secrets.key_encryption_key: weak"), "{err}");
    assert!(err.contains("secrets.cookie_key: weak"), "{err}");
    let strong = "866Cs9or2trcfdNtJ08yHo3Y2WgHwfqBKIcfjfKcD0s=";
    let other = "Jev8Bh+k4QPAC3pmkcqyfbH/z/2KosKHpAIvtm8jutI=";
    let ok = [
        prod[0],
        ("PORTTIVAHTI__SECRETS__KEY_ENCRYPTION_KEY", strong),
        ("PORTTIVAHTI__SECRETS__COOKIE_KEY", other),
    ];
    assert!(load(&minimal(), &ok).is_ok());
    // The development configuration's key is published.
    let shipped = [
        ok[0],
        ok[1],
        (
            "PORTTIVAHTI__SECRETS__COOKIE_KEY",
            "J5mQQvOhlCxmx0eojk1FU+29VkCjEYwCM49gxj+COzI=",
        ),
    ];
    let err = load(&minimal(), &shipped).unwrap_err().to_string();
    assert!(err.contains("secrets.cookie_key: published"), "{err}");
    assert!(!err.contains("key_encryption_key"), "{err}");
}

#[test]
fn environment_defaults_to_production() {
    let s = Settings::parse(&minimal(), Path::new("t"), Vec::new());
    assert!(s.unwrap_err().to_string().contains("production"));
}

#[test]
fn env_overrides_nested_keys() {
    let s = load(
        &minimal(),
        &[
            ("PORTTIVAHTI__SERVER__LISTEN", "127.0.0.1:9999"),
            ("PORTTIVAHTI__SERVER__PUBLIC_URL", "https://sso.example.fi"),
            ("PORTTIVAHTI__PASSWORD__LOCK_AFTER_FAILURES", "3"),
            ("PORTTIVAHTI__STORE__REDIS_URL", "redis://127.0.0.1:6379"),
            ("PORTTIVAHTI__SERVER__TLS_LISTEN", "127.0.0.1:9443"),
            ("OTHER", "x"),
        ],
    )
    .unwrap();
    assert_eq!(s.server.tls_listen.map(|a| a.port()), Some(9443));
    assert_eq!(s.server.listen.port(), 9999);
    assert_eq!(s.server.issuer(), "https://sso.example.fi");
    assert_eq!(s.password.lock_after_failures, 3);
    assert_eq!(s.store.redis_url.as_deref(), Some("redis://127.0.0.1:6379"));
}

#[test]
fn unknown_key_is_refused_with_its_name() {
    let err = load(&format!("{}\n[server]\nlisten_port = 1\n", minimal()), &[]).unwrap_err();
    assert!(err.to_string().contains("listen_port"), "{err}");
}

#[test]
fn short_secret_is_refused() {
    let err = load(
        &minimal(),
        &[("PORTTIVAHTI__SECRETS__COOKIE_KEY", "c2hvcnQ=")],
    )
    .unwrap_err();
    assert!(err.to_string().contains("secrets.cookie_key"), "{err}");
}

#[test]
fn client_must_name_a_portal() {
    let text = format!(
        "{}\n[[clients]]\nclient_id = \"a\"\nportal = \"nope\"\nredirect_uris = [\"https://a/cb\"]\n",
        minimal()
    );
    let err = load(&text, &[]).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn key_encryption_key_must_be_exactly_32_bytes() {
    let long = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5";
    let err = load(
        &minimal(),
        &[("PORTTIVAHTI__SECRETS__KEY_ENCRYPTION_KEY", long)],
    )
    .unwrap_err();
    assert!(err.to_string().contains("exactly 32"), "{err}");
}

#[test]
fn demo_secret_must_match_its_client() {
    let text = format!(
        "{}\n[[portals]]\nid = \"p\"\nname = \"P\"\n[[clients]]\nclient_id = \"d\"\nportal = \"p\"\nsecret = \"right\"\n[demo]\nenabled = true\nclient_id = \"d\"\nclient_secret = \"wrong\"\n",
        minimal()
    );
    let err = load(&text, &[]).unwrap_err();
    assert!(err.to_string().contains("demo"), "{err}");
    assert!(load(&text.replace("\"wrong\"", "\"right\""), &[]).is_ok());
}

#[test]
fn a_service_desk_client_needs_the_client_credentials_grant() {
    let text = format!(
        "{}\n[[portals]]\nid = \"p\"\nname = \"P\"\n[[clients]]\nclient_id = \"desk\"\nportal = \"p\"\nsecret = \"s-0123456789\"\nservice_desk = true\n",
        minimal()
    );
    let err = load(&text, &[]).unwrap_err();
    assert!(err.to_string().contains("service_desk"), "{err}");
    let ok = text.replace(
        "service_desk = true",
        "service_desk = true\ngrant_types = [\"client_credentials\"]",
    );
    assert!(load(&ok, &[]).unwrap().clients[0].service_desk);
}

#[test]
fn unknown_source_in_a_rule_is_refused() {
    let text = format!(
        "{}\n[[portals]]\nid = \"p\"\nname = \"P\"\n[[portals.access]]\nsources = [\"pasword\"]\n",
        minimal()
    );
    let err = load(&text, &[]).unwrap_err();
    assert!(err.to_string().contains("pasword"), "{err}");
}

#[test]
fn address_blocks() {
    let n: IpNet = "10.1.0.0/16".parse().unwrap();
    assert!(n.contains("10.1.200.3".parse().unwrap()));
    assert!(!n.contains("10.2.0.1".parse().unwrap()));
    let one: IpNet = "127.0.0.1".parse().unwrap();
    assert!(
        one.contains("127.0.0.1".parse().unwrap()) && !one.contains("127.0.0.2".parse().unwrap())
    );
    let v6: IpNet = "::ffff:0:0/96".parse().unwrap();
    assert!(v6.contains("192.0.2.1".parse().unwrap()));
    assert!("10.0.0.0/33".parse::<IpNet>().is_err());
    assert!("nonsense".parse::<IpNet>().is_err());
}

#[test]
fn secret_does_not_print() {
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s:?}"), "Secret(***)");
}

/// The development configuration, in a development build.
#[cfg(feature = "dev")]
#[test]
fn shipped_configuration_loads() {
    let s = Settings::load(Some(Path::new("config/porttivahti.toml")), Vec::new()).unwrap();
    assert!(s.demo.enabled);
    assert!(!s.seed.accounts.is_empty());
}

#[test]
fn in_development_an_unset_public_url_follows_the_listen_address() {
    let listen = [("PORTTIVAHTI__SERVER__LISTEN", "0.0.0.0:9090")];
    let s = load(&minimal(), &listen).unwrap();
    assert_eq!(s.server.public_url, "http://127.0.0.1:9090");
    // Set in the file or the environment, it stays.
    let text = format!(
        "{}\n[server]\npublic_url = \"https://sso.example.fi\"\n",
        minimal()
    );
    assert_eq!(
        load(&text, &listen).unwrap().server.public_url,
        "https://sso.example.fi"
    );
    let set = [
        listen[0],
        ("PORTTIVAHTI__SERVER__PUBLIC_URL", "http://h.example:1"),
    ];
    assert_eq!(
        load(&minimal(), &set).unwrap().server.public_url,
        "http://h.example:1"
    );
    // Production keeps its own default: a production address is said.
    let prod = [
        listen[0],
        ("PORTTIVAHTI__SERVER__ENVIRONMENT", "production"),
        (
            "PORTTIVAHTI__SECRETS__KEY_ENCRYPTION_KEY",
            "866Cs9or2trcfdNtJ08yHo3Y2WgHwfqBKIcfjfKcD0s=",
        ),
        (
            "PORTTIVAHTI__SECRETS__COOKIE_KEY",
            "Jev8Bh+k4QPAC3pmkcqyfbH/z/2KosKHpAIvtm8jutI=",
        ),
    ];
    assert_eq!(
        load(&minimal(), &prod).unwrap().server.public_url,
        "http://127.0.0.1:8080"
    );
}

#[test]
fn a_portal_link_is_a_web_address_or_a_path_here() {
    let portal = |url: &str| {
        format!(
            "{}\n[[portals]]\nid = \"p\"\nname = \"P\"\nname_sv = \"P på svenska\"\nurl = \"{url}\"\n",
            minimal()
        )
    };
    for ok in ["https://p.example.fi/", "/demo/"] {
        let s = load(&portal(ok), &[]).unwrap();
        assert_eq!(s.portals[0].url.as_deref(), Some(ok));
        assert_eq!(
            s.portals[0].name_in(crate::domain::Lang::Sv),
            "P på svenska"
        );
        assert_eq!(s.portals[0].name_in(crate::domain::Lang::En), "P");
    }
    for bad in ["javascript:alert(1)", "//evil.example/", "demo/"] {
        let err = load(&portal(bad), &[]).unwrap_err().to_string();
        assert!(err.contains("portal \"p\": url must be"), "{bad}: {err}");
    }
}

#[test]
fn suomifi_oidc_sources_are_checked_naming_the_key() {
    let src = |extra: &str| {
        format!(
            "{}\n[secrets.national_id_key]\n\n[[sources]]\nid = \"sfi\"\nkind = \"suomifi\"\n\
             name = \"Suomi.fi\"\nmetadata_url = \"https://idp.example/md\"\n\n[[sources]]\n\
             id = \"sfi-oidc\"\nkind = \"suomifi_oidc\"\nname = \"Suomi.fi\"\n\
             issuer = \"https://op.example\"\nclient_id = \"gw\"\n{extra}",
            minimal()
        )
        .replace("[secrets.national_id_key]\n", "")
    };
    let key = [(
        "PORTTIVAHTI__SECRETS__NATIONAL_ID_KEY",
        "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    )];
    let keys = "signing_keys = [\"certs/dev/ftn-sig-key.pem\"]\n\
                decryption_keys = [\"certs/dev/ftn-enc-ec-key.pem\"]\n";
    let ok = load(&src(&format!("{keys}same_accounts_as = \"sfi\"")), &key).unwrap();
    let f = ok.sources[1].ftn().unwrap();
    // The FTN profile's defaults.
    assert!(f.require_encryption && f.use_par && f.userinfo);
    assert_eq!(f.person_claims.national_id, "hetu");
    assert_eq!(f.encryption_encs, ["A256GCM", "A128CBC-HS256"]);

    let err = |extra: &str, env: &[(&str, &str)]| load(&src(extra), env).unwrap_err().to_string();
    assert!(err(keys, &[]).contains("secrets.national_id_key"));
    assert!(err("", &key).contains("signing_keys"));
    let e = err(&format!("{keys}same_accounts_as = \"nobody\""), &key);
    assert!(e.contains("same_accounts_as"), "{e}");
    let e = err(&format!("{keys}encryption_algs = [\"RSA1_5\"]"), &key);
    assert!(e.contains("encryption_algs"), "{e}");
    let e = err(
        &format!("{keys}[sources.person_claims]\nhetu = \"x\""),
        &key,
    );
    assert!(e.contains("hetu"), "{e}");
    // In production the development keys are refused, by name.
    let prod = [key[0], ("PORTTIVAHTI__SERVER__ENVIRONMENT", "production")];
    let e = err(
        &format!("{keys}jwks_signing_key = \"certs/dev/ftn-fed-key.pem\"\n"),
        &prod,
    );
    assert!(e.contains("sources \"sfi-oidc\".signing_keys"), "{e}");
    assert!(e.contains("sources \"sfi-oidc\".decryption_keys"), "{e}");
    assert!(e.contains("sources \"sfi-oidc\".jwks_signing_key"), "{e}");
}

#[test]
fn event_subscribers_are_checked_and_production_wants_https() {
    let with = |url: &str, secret: &str| {
        format!(
            "{}\n[[events.subscribers]]\nid = \"hopo\"\nurl = \"{url}\"\nsecret = \"{secret}\"\n",
            minimal()
        )
    };
    let good = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD5Uo1gbD0tVw=";
    assert!(load(&with("http://127.0.0.1:9/hook", good), &[]).is_ok());
    for (url, secret) in [
        ("ftp://x/hook", good),
        ("not a url", good),
        (
            "https://x/hook",
            "C2FVsBQIhrscChlQIMV+b5sSYspob7oD5Uo1gbD0tVw=",
        ),
        ("https://x/hook", "whsec_c2hvcnQ="),
    ] {
        let err = load(&with(url, secret), &[]).unwrap_err().to_string();
        assert!(err.contains("events.subscribers \"hopo\""), "{err}");
    }
    let prod = [
        ("PORTTIVAHTI__SERVER__ENVIRONMENT", "production"),
        (
            "PORTTIVAHTI__SECRETS__KEY_ENCRYPTION_KEY",
            "866Cs9or2trcfdNtJ08yHo3Y2WgHwfqBKIcfjfKcD0s=",
        ),
        (
            "PORTTIVAHTI__SECRETS__COOKIE_KEY",
            "Jev8Bh+k4QPAC3pmkcqyfbH/z/2KosKHpAIvtm8jutI=",
        ),
    ];
    let err = load(&with("http://hopo.example/hook", good), &prod)
        .unwrap_err()
        .to_string();
    assert!(err.contains("events.subscribers \"hopo\".url"), "{err}");
    assert!(load(&with("https://hopo.example/hook", good), &prod).is_ok());
}
