//! Identity sources: each turns some proof into a [`VerifiedIdentity`].
//! Sources differ in shape, so each kind has its own small capability.

pub mod card;
pub mod mobile;
pub mod oidc;
pub mod passkey;
pub mod password;
pub mod redirect;
pub mod saml;
pub mod sources;
pub mod suomifi;
pub mod suomifi_oidc;
pub mod totp;

/// The sealer of second-factor secrets at rest: a key derived from the
/// key-encryption key, so the two uses never share a key.
pub fn second_factor_sealer(kek: &[u8]) -> Option<crate::tokens::sealing::Sealer> {
    let key = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, kek),
        b"porttivahti totp secrets v1",
    );
    crate::tokens::sealing::Sealer::new(key.as_ref()).ok()
}

/// The identity sources this build knows; portal rules may name them.
pub use crate::config::sources::BUILT_IN as SOURCES;

use serde::{Deserialize, Serialize};

use crate::domain::{AuthMethod, LoA};

/// What a source vouches for after checking the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedIdentity {
    /// The configured source, e.g. `password`.
    pub source: String,
    /// The subject as that source names it; for password accounts the
    /// account id.
    pub subject: String,
    pub loa: LoA,
    pub methods: Vec<AuthMethod>,
    pub authenticated_at: i64,
    /// The source whose identity links this identity shares, when not its
    /// own: Suomi.fi over OpenID Connect shares the SAML Suomi.fi source's
    /// (the same identity code, the same keyed hash), so the same person
    /// reaches the same account through either interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links_with: Option<String>,
    /// What the source told about the person, for first-login registration
    /// and the profile. Never holds a personal identity code.
    #[serde(default)]
    pub attributes: Attributes,
}

impl VerifiedIdentity {
    /// The source under which the identity is linked to an account.
    pub fn link_source(&self) -> &str {
        self.links_with.as_deref().unwrap_or(&self.source)
    }
}

/// Person data a source vouches for beside the subject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    /// Group or role names from an organisation IdP.
    pub groups: Vec<String>,
    /// Home municipality (Suomi.fi), as its name.
    pub municipality: Option<String>,
    /// The register's organisation that vouched (organisation logins).
    pub organisation: Option<String>,
}
