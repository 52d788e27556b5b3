//! `[passkeys]`: the WebAuthn relying party (identity/passkey/).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasskeySettings {
    pub enabled: bool,
    /// The relying party id: the domain passkeys are bound to. Default: the
    /// host of `server.public_url` (`localhost` for a loopback address,
    /// since WebAuthn takes no IP address).
    pub rp_id: Option<String>,
    /// The name an authenticator shows.
    pub rp_name: String,
    /// The exact origins (`https://host[:port]`) whose pages may use the
    /// passkeys. Default: `server.public_url`'s origin, with `localhost`
    /// for a loopback address.
    pub origins: Vec<String>,
}

impl Default for PasskeySettings {
    fn default() -> Self {
        Self {
            enabled: true,
            rp_id: None,
            rp_name: "Porttivahti".into(),
            origins: Vec::new(),
        }
    }
}

/// The public URL's origin, with `localhost` for a loopback address.
fn default_origin(public_url: &str) -> Option<(String, String)> {
    let u = url::Url::parse(public_url).ok()?;
    let host = match u.host()? {
        url::Host::Domain(d) => d.to_string(),
        url::Host::Ipv4(ip) if ip.is_loopback() => "localhost".into(),
        url::Host::Ipv6(ip) if ip.is_loopback() => "localhost".into(),
        _ => return None,
    };
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some((host.clone(), format!("{}://{host}{port}", u.scheme())))
}

impl PasskeySettings {
    pub fn rp_id(&self, public_url: &str) -> String {
        self.rp_id
            .clone()
            .or_else(|| default_origin(public_url).map(|(h, _)| h))
            .unwrap_or_default()
    }

    pub fn origins(&self, public_url: &str) -> Vec<String> {
        if !self.origins.is_empty() {
            return self.origins.clone();
        }
        default_origin(public_url)
            .map(|(_, o)| vec![o])
            .unwrap_or_default()
    }

    /// Each origin set is https (or http on localhost) and its host is the
    /// relying party id or under it; a set id is a domain name. The
    /// defaults are not refused: a public URL a browser would not offer
    /// passkeys on (plain http off localhost, an IP address) only means
    /// that no browser offers them.
    pub fn check(&self, public_url: &str) -> Result<(), String> {
        if !self.enabled || (self.rp_id.is_none() && self.origins.is_empty()) {
            return Ok(());
        }
        let rp_id = self.rp_id(public_url);
        if rp_id.is_empty() || rp_id.parse::<std::net::IpAddr>().is_ok() {
            return Err(format!(
                "passkeys.rp_id must be a domain name (WebAuthn takes no IP address), got {rp_id:?}; \
                 set passkeys.rp_id or passkeys.enabled = false"
            ));
        }
        for o in self.origins(public_url) {
            let u =
                url::Url::parse(&o).map_err(|_| format!("passkeys.origins: {o:?} is not a URL"))?;
            let host = u.host_str().unwrap_or_default();
            let secure = u.scheme() == "https" || (u.scheme() == "http" && host == "localhost");
            let under = host == rp_id || host.ends_with(&format!(".{rp_id}"));
            if !secure || !under || u.path() != "/" || o.ends_with('/') {
                return Err(format!(
                    "passkeys.origins: {o:?} must be https://host[:port] (http only on localhost) \
                     with a host that is {rp_id:?} or under it"
                ));
            }
        }
        Ok(())
    }
}
