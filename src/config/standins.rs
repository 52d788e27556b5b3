//! The keys that ask for a development stand-in (`web/dev/`): the
//! development IdP, a source whose metadata is its, the development MSSP
//! and e-Authorizations service, the demo portals, and CRLs served from
//! this server (the test PKI). A production configuration refuses them
//! (`production.rs`); a build without the `dev` cargo feature has none of
//! them and refuses them in every environment.

use super::Settings;

impl Settings {
    /// Every key that asks for a development stand-in, with what it asks
    /// for.
    pub(super) fn development_standins(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.dev_idp.enabled {
            out.push("dev_idp.enabled: the built-in test identity provider".into());
        }
        for src in &self.sources {
            if let Some(f) = src.ftn()
                && f.issuer.starts_with('/')
            {
                out.push(format!(
                    "sources {:?}.issuer: {:?} is this server's development IdP",
                    src.id, f.issuer
                ));
            }
            if let Some(u) = src.saml().and_then(|m| m.metadata_url.as_deref())
                && u.starts_with('/')
            {
                out.push(format!(
                    "sources {:?}.metadata_url: {u:?} is this server's development IdP",
                    src.id
                ));
            }
        }
        if self.mobile.enabled {
            for (k, u) in [
                ("mssp_url", Some(&self.mobile.mssp_url)),
                ("status_url", self.mobile.status_url.as_ref()),
            ] {
                if let Some(u) = u.filter(|u| u.starts_with('/')) {
                    out.push(format!(
                        "mobile.{k}: {u:?} is this server's development MSSP"
                    ));
                }
            }
        }
        if let Some(m) = &self.suomifi_mandates
            && m.url.starts_with('/')
        {
            out.push(format!(
                "suomifi_mandates.url: {:?} is this server's development \
                 e-Authorizations service",
                m.url
            ));
        }
        if self.demo.enabled {
            out.push("demo.enabled: the demo portals are for development only".into());
        }
        for (section, on, issuers) in [
            ("card", self.card.enabled, &self.card.issuers),
            ("mobile", self.mobile.enabled, &self.mobile.issuers),
        ] {
            for (i, u) in issuers
                .iter()
                .enumerate()
                .filter_map(|(i, x)| Some((i, x.crl_url.as_deref()?)))
            {
                if on && u.starts_with('/') {
                    out.push(format!(
                        "{section}.issuers[{i}].crl_url: {u:?} is a path on this server (the \
                         demo's test PKI)"
                    ));
                }
            }
        }
        out
    }

    /// What this build cannot serve: without the `dev` feature, a
    /// configuration that asks for a development stand-in.
    pub(super) fn check_build(&self) -> Result<(), String> {
        if cfg!(feature = "dev") {
            Ok(())
        } else {
            self.check_no_standins()
        }
    }

    /// Refuses a configuration that asks for a development stand-in,
    /// naming every key.
    fn check_no_standins(&self) -> Result<(), String> {
        let asked = self.development_standins();
        if asked.is_empty() {
            return Ok(());
        }
        Err(format!(
            "this build has no development stand-ins (it was built without the `dev` cargo \
             feature, as production builds are), and the configuration asks for them:\n  - {}\n\
             (turn these off, or use a development build: cargo run --release)",
            asked.join("\n  - ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn the_shipped_configuration_asks_for_every_stand_in() {
        let text = std::fs::read_to_string("config/porttivahti.toml").unwrap();
        let s: Settings = toml::from_str(&text).unwrap();
        let err = s.check_no_standins().unwrap_err();
        for key in [
            "dev_idp.enabled",
            "demo.enabled",
            "mobile.mssp_url",
            "suomifi_mandates.url",
            "card.issuers[0].crl_url",
            "mobile.issuers[0].crl_url",
            "sources \"ksshp\".metadata_url",
            "sources \"suomifi\".metadata_url",
            "sources \"suomifi-oidc\".issuer",
        ] {
            assert!(err.contains(key), "{key} in {err}");
        }
        assert!(err.contains("no development stand-ins"), "{err}");
        let mut s = s;
        s.dev_idp.enabled = false;
        s.demo.enabled = false;
        s.card.enabled = false;
        s.mobile.enabled = false;
        s.suomifi_mandates = None;
        s.sources.clear();
        assert_eq!(s.check_no_standins(), Ok(()));
    }
}
