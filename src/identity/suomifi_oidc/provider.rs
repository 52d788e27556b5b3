//! What a `suomifi_oidc` source knows of both ends: the provider's
//! endpoints and keys (discovered, refreshed, overridable) and our own
//! signing and decryption keys for the source (published at the source's
//! keys URL with `use` marked).

use std::time::Duration;

use serde::Deserialize;

use crate::config::sources::FtnSourceSettings;
use crate::jose::{DecryptionKey, JwkSet, SigningKey, pkcs8_from_file};

/// The provider as discovered (with the configured overrides applied).
#[derive(Debug, Clone)]
pub struct FtnProvider {
    pub issuer: String,
    pub authorization: String,
    pub token: String,
    pub userinfo: Option<String>,
    pub end_session: Option<String>,
    pub par: Option<String>,
    pub jwks_uri: String,
    /// The provider's signing keys, as last fetched.
    pub keys: JwkSet,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    end_session_endpoint: Option<String>,
    pushed_authorization_request_endpoint: Option<String>,
    jwks_uri: Option<String>,
}

const MAX_DOCUMENT: usize = 512 * 1024;

async fn get(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let resp = http
        .get(url)
        .header("accept", "application/json")
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| format!("GET {url}: {}", crate::error_chain(&e)))?;
    if !resp.status().is_success() {
        return Err(format!("GET {url}: HTTP {}", resp.status()));
    }
    let body = resp.bytes().await.map_err(|e| format!("GET {url}: {e}"))?;
    if body.len() > MAX_DOCUMENT {
        return Err(format!("GET {url}: larger than {MAX_DOCUMENT} bytes"));
    }
    Ok(body.to_vec())
}

/// Discovery and the provider's keys. The document must name the
/// configured issuer exactly (OpenID Connect Discovery §4.3).
pub async fn discover(
    http: &reqwest::Client,
    f: &FtnSourceSettings,
) -> Result<FtnProvider, String> {
    let issuer = f.issuer.trim_end_matches('/');
    let url = format!("{issuer}/.well-known/openid-configuration");
    let d: Discovery = serde_json::from_slice(&get(http, &url).await?)
        .map_err(|e| format!("{url}: not a discovery document: {e}"))?;
    if d.issuer != f.issuer {
        return Err(format!(
            "{url}: names issuer {:?}, not the configured {:?}",
            d.issuer, f.issuer
        ));
    }
    let o = &f.endpoints;
    let need = |over: &Option<String>, found: Option<String>, name: &str| {
        over.clone()
            .or(found)
            .ok_or_else(|| format!("{url}: no {name} (and none configured)"))
    };
    let jwks_uri = need(&o.jwks, d.jwks_uri, "jwks_uri")?;
    let keys =
        JwkSet::parse(&get(http, &jwks_uri).await?).map_err(|e| format!("{jwks_uri}: {e}"))?;
    Ok(FtnProvider {
        issuer: d.issuer,
        authorization: need(
            &o.authorization,
            d.authorization_endpoint,
            "authorization_endpoint",
        )?,
        token: need(&o.token, d.token_endpoint, "token_endpoint")?,
        userinfo: o.userinfo.clone().or(d.userinfo_endpoint),
        end_session: o.end_session.clone().or(d.end_session_endpoint),
        par: o.par.clone().or(d.pushed_authorization_request_endpoint),
        jwks_uri,
        keys,
    })
}

/// Our keys for one source.
#[derive(Debug)]
pub struct OurKeys {
    /// The first signs; every one is published.
    pub signing: Vec<SigningKey>,
    /// Every one is published and accepted.
    pub decryption: Vec<DecryptionKey>,
    /// Signs the key set (`signed_jwks_uri`), when configured.
    pub federation: Option<SigningKey>,
}

impl OurKeys {
    /// Reads the configured PEM files; an error names the file.
    pub fn load(f: &FtnSourceSettings) -> Result<Self, String> {
        let signing = f
            .signing_keys
            .iter()
            .map(|p| SigningKey::from_pkcs8(&pkcs8_from_file(p)?).map_err(|e| format!("{p}: {e}")))
            .collect::<Result<Vec<_>, String>>()?;
        let decryption = f
            .decryption_keys
            .iter()
            .map(|p| {
                DecryptionKey::from_pkcs8(&pkcs8_from_file(p)?).map_err(|e| format!("{p}: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        if signing.is_empty() || decryption.is_empty() {
            return Err("signing_keys and decryption_keys must each name a key".into());
        }
        let federation = match &f.jwks_signing_key {
            Some(p) => Some(
                SigningKey::from_pkcs8(&pkcs8_from_file(p)?)
                    .map_err(|e| format!("jwks_signing_key {p}: {e}"))?,
            ),
            None => None,
        };
        Ok(Self {
            signing,
            decryption,
            federation,
        })
    }

    /// The key that signs now.
    pub fn signer(&self) -> &SigningKey {
        &self.signing[0]
    }

    /// The key set signed with the federation key, as OpenID Federation's
    /// `signed_jwks_uri` has it: a JWT of `typ: jwk-set+jwt` whose `keys` are
    /// [`OurKeys::jwks`], `iss` and `sub` our entity (`client_id`), issued
    /// `now` and valid a day. `None` without a `jwks_signing_key`.
    pub fn signed_jwks(&self, entity: &str, now: i64) -> Option<Result<String, String>> {
        let key = self.federation.as_ref()?;
        let claims = serde_json::json!({
            "iss": entity,
            "sub": entity,
            "iat": now,
            "exp": now + 86_400,
            "keys": self.jwks().keys,
        });
        Some(
            key.sign(Some("jwk-set+jwt"), claims.to_string().as_bytes())
                .map_err(|e| e.to_string()),
        )
    }

    /// The public halves as a JWK set: signing keys `use: sig`,
    /// decryption keys `use: enc`.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .signing
                .iter()
                .map(|k| k.jwk.clone())
                .chain(self.decryption.iter().map(|k| k.jwk.clone()))
                .collect(),
        }
    }
}
