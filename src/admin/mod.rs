//! Administration: liaison persons and the regional service desk.
//!
//! Authorization by construction: every operation is a method of a handle,
//! and a handle exists only when the permission check returned one.
//! [`LiaisonHandle`] touches only its organisation's accounts in its
//! networks; a request for any other account answers exactly as for one
//! that does not exist. [`OperatorHandle`] reaches everything, and every
//! operation on an account takes a mandatory reason.

pub mod explain;
mod handles;
pub mod usernames;

use serde::Serialize;

pub use handles::provisioning_clients::{TOKEN_PREFIX, token_digest};
pub use handles::{
    AccountView, CreateAccount, LiaisonHandle, ManagedInput, NewProvisioningClient,
    OneTimePassword, OperatorHandle, Page,
};

use crate::domain::{AuthMethod, LoA, Network, Role};
use crate::oidc::Provider;
use crate::store::ephemeral::Session;
use crate::store::{Organisation, ProvisioningClient, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Unknown, or outside the handle's reach: the same answer.
    #[error("not found")]
    NotFound,
    /// A field's value is not acceptable; the message is for the person.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl AdminError {
    pub fn invalid(field: &'static str, message: &'static str) -> Self {
        AdminError::Invalid { field, message }
    }
}

/// Who is acting, as the session and the directory tell.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    pub account_id: String,
    pub name: String,
    pub loa: LoA,
    pub methods: Vec<AuthMethod>,
    pub operator: bool,
    /// (organisation, network) pairs where the person is a liaison.
    pub liaison_of: Vec<(String, Network)>,
    pub source_ip: Option<String>,
    /// A service client (API) acting as the service desk.
    pub service_client: bool,
    /// The session was opened in a way a fake login page cannot relay.
    pub phishing_resistant: bool,
    /// This person's administration needs that now
    /// (`admin.phishing_resistant_*_from`).
    pub phishing_resistance_required: bool,
    /// An organisation's provisioning client (SCIM): its id.
    pub provisioning_client: Option<String>,
}

impl Principal {
    /// Strong enough for administration: substantial or higher, or a
    /// second factor (a code or a passkey); once required for the person,
    /// only a phishing-resistant login.
    pub fn strong(&self) -> bool {
        if self.service_client {
            return true;
        }
        if self.phishing_resistance_required {
            return self.phishing_resistant;
        }
        self.loa >= LoA::Substantial || self.methods.iter().any(|m| m.is_second_factor())
    }

    /// Refused only because the login was not phishing-resistant.
    pub fn needs_phishing_resistant_login(&self) -> bool {
        self.phishing_resistance_required && !self.phishing_resistant
    }

    /// The principal of a logged-in person.
    pub async fn of_session(
        app: &Provider,
        s: &Session,
        source_ip: Option<String>,
    ) -> Result<Option<Self>, StoreError> {
        let Some(account) = app.dir.account(&s.account_id).await? else {
            return Ok(None);
        };
        if account.status != crate::domain::AccountStatus::Active {
            return Ok(None);
        }
        let liaison_of: Vec<(String, Network)> = app
            .dir
            .memberships(&account.id)
            .await?
            .into_iter()
            .filter(|m| m.role == Role::Liaison)
            .map(|m| (m.org_id, m.network))
            .collect();
        let operator = app.dir.is_operator(&account.id).await?;
        let admin = &app.settings.admin;
        let from = if operator {
            admin.phishing_resistant_from(true)
        } else if !liaison_of.is_empty() {
            admin.phishing_resistant_from(false)
        } else {
            None
        };
        Ok(Some(Self {
            phishing_resistant: phishing_resistant(s),
            phishing_resistance_required: from.is_some_and(|f| app.now() >= f),
            operator,
            name: account.display_name(),
            account_id: account.id,
            loa: s.loa,
            methods: s.methods.clone(),
            liaison_of,
            source_ip,
            service_client: false,
            provisioning_client: None,
        }))
    }

    /// A service client of the service desk, authenticated by a
    /// client-credentials token.
    pub fn service(client_id: &str, source_ip: Option<String>) -> Self {
        Self {
            account_id: format!("client:{client_id}"),
            name: client_id.to_string(),
            loa: LoA::Substantial,
            methods: Vec::new(),
            operator: true,
            liaison_of: Vec::new(),
            source_ip,
            service_client: true,
            phishing_resistant: false,
            phishing_resistance_required: false,
            provisioning_client: None,
        }
    }

    /// An organisation's provisioning client, authenticated by its
    /// bearer token: it acts as a liaison person of its organisation in
    /// the networks it was given, and the audit trail names it
    /// `scim:<id>`.
    pub fn provisioning(client: &ProvisioningClient, source_ip: Option<String>) -> Self {
        Self {
            account_id: client.actor(),
            name: client.name.clone(),
            loa: LoA::Substantial,
            methods: Vec::new(),
            operator: false,
            liaison_of: client
                .networks
                .iter()
                .map(|n| (client.org_id.clone(), *n))
                .collect(),
            source_ip,
            service_client: true,
            phishing_resistant: false,
            phishing_resistance_required: false,
            provisioning_client: Some(client.id.clone()),
        }
    }

    /// The organisations this person administers, with their networks.
    pub fn liaison_orgs(&self) -> Vec<(String, Vec<Network>)> {
        let mut out: Vec<(String, Vec<Network>)> = Vec::new();
        for (org, net) in &self.liaison_of {
            match out.iter_mut().find(|(o, _)| o == org) {
                Some((_, nets)) => nets.push(*net),
                None => out.push((org.clone(), vec![*net])),
            }
        }
        out
    }
}

/// Whether a session was opened in a way a fake login page cannot relay:
/// a passkey (bound to this site's origin), a certificate card (bound to
/// the TLS connection), or an organisation or Suomi.fi login at
/// substantial level or higher. A password with a code is not: the page
/// can relay both.
pub fn phishing_resistant(s: &Session) -> bool {
    use AuthMethod::*;
    s.methods
        .iter()
        .any(|m| matches!(m, HardwareKey | SoftwareKey | Smartcard))
        || (s.loa >= LoA::Substantial
            && s.methods.iter().any(|m| matches!(m, Saml | SuomiFi | Oidc)))
}

/// The permission check for an organisation's liaison work.
pub struct LiaisonScope;

impl LiaisonScope {
    /// A handle for `org_id` when `principal` is its liaison person (in at
    /// least one network) and strongly authenticated; the service desk
    /// gets one for any organisation, in all its networks.
    pub async fn for_org<'a>(
        app: &'a Provider,
        principal: &'a Principal,
        org_id: &str,
    ) -> Result<Option<LiaisonHandle<'a>>, StoreError> {
        if !principal.strong() {
            return Ok(None);
        }
        let networks: Vec<Network> = if principal.operator {
            Network::ALL.to_vec()
        } else {
            principal
                .liaison_of
                .iter()
                .filter(|(o, _)| o == org_id)
                .map(|(_, n)| *n)
                .collect()
        };
        if networks.is_empty() {
            return Ok(None);
        }
        let Some(org) = app.dir.organisation(org_id).await? else {
            return Ok(None);
        };
        Ok(Some(LiaisonHandle::new(app, principal, org, networks)))
    }
}

/// The permission check for the service desk.
pub struct OperatorScope;

impl OperatorScope {
    pub fn for_principal<'a>(
        app: &'a Provider,
        principal: &'a Principal,
    ) -> Option<OperatorHandle<'a>> {
        (principal.operator && principal.strong()).then(|| OperatorHandle::new(app, principal))
    }
}

/// Checks for register data typed by people.
pub mod validate {
    use super::AdminError;

    pub fn name(field: &'static str, s: &str) -> Result<String, AdminError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(AdminError::invalid(field, "required"));
        }
        if s.chars().count() > 100 || s.chars().any(char::is_control) {
            return Err(AdminError::invalid(field, "invalid"));
        }
        Ok(s.to_string())
    }

    pub fn email(s: &str) -> Result<Option<String>, AdminError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let ok = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if ok {
            Ok(Some(s.to_string()))
        } else {
            Err(AdminError::invalid("email", "invalid"))
        }
    }

    /// Finnish and international phone numbers: digits, spaces, hyphens,
    /// an optional leading +; 6 to 15 digits.
    pub fn phone(s: &str) -> Result<Option<String>, AdminError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let digits = s.chars().filter(char::is_ascii_digit).count();
        let ok = (6..=15).contains(&digits)
            && s.chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_digit() || c == ' ' || c == '-' || (c == '+' && i == 0));
        if ok {
            Ok(Some(s.to_string()))
        } else {
            Err(AdminError::invalid("phone", "invalid"))
        }
    }

    pub fn optional(field: &'static str, s: &str) -> Result<Option<String>, AdminError> {
        let s = s.trim();
        if s.is_empty() {
            Ok(None)
        } else {
            name(field, s).map(Some)
        }
    }

    /// A username an organisation's identity management gives (often
    /// its user principal name): printable, no spaces, at most 254
    /// characters.
    pub fn username(s: &str) -> Result<String, AdminError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(AdminError::invalid("username", "required"));
        }
        if s.chars().count() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AdminError::invalid("username", "invalid"));
        }
        Ok(s.to_string())
    }

    /// An identity management's own id for a person: at most 254
    /// characters, no control characters.
    pub fn external_id(s: &str) -> Result<Option<String>, AdminError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        if s.chars().count() > 254 || s.chars().any(char::is_control) {
            return Err(AdminError::invalid("external_id", "invalid"));
        }
        Ok(Some(s.to_string()))
    }

    pub fn reason(s: &str) -> Result<String, AdminError> {
        let s = s.trim();
        if s.chars().count() < 3 {
            return Err(AdminError::invalid("reason", "required"));
        }
        // No control characters: a reason is one line of text in the audit
        // trail, its exports and the pages that show it.
        if s.chars().count() > 500 || s.chars().any(char::is_control) {
            return Err(AdminError::invalid("reason", "invalid"));
        }
        Ok(s.to_string())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn emails_and_phones() {
            assert!(email("anna.hoitaja@hyvaks.fi").unwrap().is_some());
            assert!(email("").unwrap().is_none());
            for bad in [
                "anna", "anna@", "@x.fi", "a b@x.fi", "a@x", "a@@x.fi", "a@x.fi.",
            ] {
                assert!(email(bad).is_err(), "{bad}");
            }
            assert!(phone("+358 40 123 4567").unwrap().is_some());
            assert!(phone("014-266 0000").unwrap().is_some());
            assert!(reason("asiakkaan pyyntö").is_ok());
            for bad in ["no", "tab\there", "cr\rhere", "lf\nhere", "esc\u{1b}[2J"] {
                assert!(reason(bad).is_err(), "{bad:?}");
            }
            for bad in [
                "12345",
                "040 123 4567 x",
                "0401+23456",
                "+358 40 123 4567 890 12",
            ] {
                assert!(phone(bad).is_err(), "{bad}");
            }
        }
    }
}

pub fn org_name(org: &Organisation, lang: crate::domain::Lang) -> &str {
    match lang {
        crate::domain::Lang::Sv => &org.name_sv,
        _ => &org.name_fi,
    }
}

/// Whether the account is visible to a liaison of `org_id` in `networks`.
pub fn within(
    memberships: &[crate::store::Membership],
    org_id: &str,
    networks: &[Network],
) -> bool {
    memberships
        .iter()
        .any(|m| m.org_id == org_id && networks.contains(&m.network))
}
