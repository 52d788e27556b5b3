//! What liaison persons and the service desk can do, as methods of the
//! handles the permission checks return.

use serde::Serialize;

use super::{AdminError, Principal, usernames, validate, within};
use crate::domain::{AccountStatus, Network, Role};
use crate::oidc::Provider;
use crate::store::{
    Account, AccountQuery, AccountUpdate, AuditEvent, AuditQuery, LiaisonContact, Membership,
    NewAccount, Organisation, StoreError,
};
use crate::tokens::random_token;

mod events;
mod passkeys;
mod provisioned;
pub(super) mod provisioning_clients;

pub use provisioned::ManagedInput;
pub use provisioning_clients::NewProvisioningClient;

/// An account as an administrator sees it: with its memberships in the
/// organisation being administered.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    #[serde(flatten)]
    pub account: Account,
    pub memberships: Vec<Membership>,
}

impl AccountView {
    pub fn networks(&self) -> Vec<Network> {
        let mut n: Vec<Network> = self.memberships.iter().map(|m| m.network).collect();
        n.sort();
        n.dedup();
        n
    }
    pub fn is_liaison(&self) -> bool {
        self.memberships.iter().any(|m| m.role == Role::Liaison)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
}

/// A first or reset password, shown once to the administrator; the person
/// must change it at their next login.
#[derive(Debug, Clone, Serialize)]
pub struct OneTimePassword(pub String);

impl OneTimePassword {
    fn generate() -> Self {
        // No look-alike characters (0/o, 1/l/i): it is read aloud or typed.
        const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
        let mut out = String::with_capacity(14);
        let mut buf = [0u8; 64];
        let _ = aws_lc_rs::rand::fill(&mut buf);
        let mut picked = 0;
        for b in buf {
            // Rejection sampling keeps every character equally likely.
            if usize::from(b) >= 256 - 256 % ALPHABET.len() {
                continue;
            }
            if picked > 0 && picked % 4 == 0 {
                out.push('-');
            }
            out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            picked += 1;
            if picked == 12 {
                break;
            }
        }
        Self(out)
    }
}

#[derive(Debug, Clone, Default)]
pub struct CreateAccount {
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub network: String,
}

fn store_err(e: StoreError) -> AdminError {
    match e {
        StoreError::NotFound(_) => AdminError::NotFound,
        StoreError::Conflict(m) => AdminError::Conflict(m),
        other => AdminError::Store(other),
    }
}

/// Shared by both handles: the account operations themselves.
struct Ops<'a> {
    app: &'a Provider,
    principal: &'a Principal,
}

impl Ops<'_> {
    fn audit(
        &self,
        action: &str,
        subject: &str,
        org: Option<&str>,
        reason: Option<&str>,
    ) -> AuditEvent {
        let mut e = AuditEvent::new(self.app.now(), self.principal.account_id.clone(), action)
            .subject(subject)
            .ip(self.principal.source_ip.clone());
        e.org_id = org.map(str::to_string);
        e.reason = reason.map(str::to_string);
        e
    }

    /// The reason given for an action, checked; a refusal is logged.
    fn reason(&self, reason: &str) -> Result<String, AdminError> {
        validate::reason(reason).inspect_err(|e| {
            tracing::warn!(
                actor = %self.principal.account_id,
                ip = self.principal.source_ip.as_deref().map(tracing::field::display),
                error = %e,
                chars = reason.chars().count(),
                "administrative action refused: its reason is too short, too long or holds \
                 control characters"
            );
        })
    }

    async fn new_password(&self) -> Result<(OneTimePassword, String), AdminError> {
        let otp = OneTimePassword::generate();
        let hash = self
            .app
            .passwords
            .hasher()
            .hash(&otp.0)
            .await
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        Ok((otp, hash))
    }

    async fn unlock(
        &self,
        a: &Account,
        org: Option<&str>,
        reason: Option<&str>,
    ) -> Result<(), AdminError> {
        if a.status != AccountStatus::Locked {
            return Err(AdminError::invalid("status", "not_locked"));
        }
        let audit = self.audit("admin.account.unlocked", &a.id, org, reason);
        self.app
            .dir
            .set_status(&a.id, AccountStatus::Active, None, &audit)
            .await
            .map_err(store_err)
    }

    async fn reset_password(
        &self,
        a: &Account,
        org: Option<&str>,
        reason: Option<&str>,
    ) -> Result<OneTimePassword, AdminError> {
        if a.status == AccountStatus::Disabled {
            return Err(AdminError::invalid("status", "disabled"));
        }
        let (otp, hash) = self.new_password().await?;
        let audit = self.audit("admin.account.password_reset", &a.id, org, reason);
        self.app
            .dir
            .set_password(&a.id, &hash, true, &audit)
            .await
            .map_err(store_err)?;
        // A reset also lifts a lock: the person is about to log in with it.
        if a.status == AccountStatus::Locked {
            self.unlock(a, org, reason).await?;
        }
        crate::oidc::end_account_sessions(self.app, &a.id).await?;
        Ok(otp)
    }

    async fn set_disabled(
        &self,
        a: &Account,
        disabled: bool,
        org: Option<&str>,
        reason: Option<&str>,
    ) -> Result<(), AdminError> {
        let (status, action) = if disabled {
            (AccountStatus::Disabled, "admin.account.disabled")
        } else {
            if a.status != AccountStatus::Disabled {
                return Err(AdminError::invalid("status", "not_disabled"));
            }
            (AccountStatus::Active, "admin.account.enabled")
        };
        let audit = self.audit(action, &a.id, org, reason);
        self.app
            .dir
            .set_status(
                &a.id,
                status,
                reason.or(disabled.then_some("disabled")),
                &audit,
            )
            .await
            .map_err(store_err)?;
        if disabled {
            let ended = crate::oidc::end_account_sessions(self.app, &a.id).await?;
            tracing::info!(account = %a.id, sessions = ended, "account disabled; sessions ended");
        }
        Ok(())
    }
}

/// A liaison person's reach: one organisation, some of its networks.
pub struct LiaisonHandle<'a> {
    ops: Ops<'a>,
    org: Organisation,
    networks: Vec<Network>,
}

impl<'a> LiaisonHandle<'a> {
    pub(super) fn new(
        app: &'a Provider,
        principal: &'a Principal,
        org: Organisation,
        networks: Vec<Network>,
    ) -> Self {
        Self {
            ops: Ops { app, principal },
            org,
            networks,
        }
    }

    pub fn org(&self) -> &Organisation {
        &self.org
    }

    pub fn networks(&self) -> &[Network] {
        &self.networks
    }

    /// The service desk acting for an organisation must give a reason.
    pub fn reason_required(&self) -> bool {
        !self
            .ops
            .principal
            .liaison_of
            .iter()
            .any(|(o, _)| o == &self.org.id)
    }

    fn reason(&self, reason: Option<&str>) -> Result<Option<String>, AdminError> {
        match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => self.ops.reason(r).map(Some),
            None if self.reason_required() => Err(AdminError::invalid("reason", "required")),
            None => Ok(None),
        }
    }

    /// A liaison person reaches only accounts whose administrative roles
    /// are within their own organisation and networks; the service desk
    /// acting for the organisation reaches all of its accounts.
    fn reach_only(&self) -> bool {
        !self.ops.principal.operator
    }

    async fn view(&self, account: Account) -> Result<Option<AccountView>, AdminError> {
        let all = self.ops.app.dir.memberships(&account.id).await?;
        if !within(&all, &self.org.id, &self.networks) {
            return Ok(None);
        }
        if self.reach_only() && !self.reaches(&account.id, &all).await? {
            tracing::warn!(
                actor = %self.ops.principal.account_id,
                account = %account.id,
                org = %self.org.id,
                ip = self.ops.principal.source_ip.as_deref().map(tracing::field::display),
                "liaison person refused an account with administrative roles beyond their \
                 organisation and networks (the service desk's alone); answered as missing"
            );
            return Ok(None);
        }
        let memberships = all
            .into_iter()
            .filter(|m| m.org_id == self.org.id)
            .collect();
        Ok(Some(AccountView {
            account,
            memberships,
        }))
    }

    /// Whether the account's administrative roles lie within this handle:
    /// not an operator, a liaison person only here.
    async fn reaches(&self, account_id: &str, all: &[Membership]) -> Result<bool, AdminError> {
        let liaison_elsewhere = all.iter().any(|m| {
            m.role == Role::Liaison
                && !(m.org_id == self.org.id && self.networks.contains(&m.network))
        });
        Ok(!liaison_elsewhere && !self.ops.app.dir.is_operator(account_id).await?)
    }

    /// The account, if it is within reach; otherwise the same answer as
    /// for an account that does not exist.
    pub async fn account(&self, id: &str) -> Result<AccountView, AdminError> {
        let Some(a) = self.ops.app.dir.account(id).await? else {
            return Err(AdminError::NotFound);
        };
        self.view(a).await?.ok_or(AdminError::NotFound)
    }

    pub async fn list(
        &self,
        text: &str,
        offset: u32,
        limit: u32,
    ) -> Result<Page<AccountView>, AdminError> {
        let limit = limit.clamp(1, 200);
        let (accounts, total) = self
            .ops
            .app
            .dir
            .find_accounts(&AccountQuery {
                org_id: &self.org.id,
                networks: &self.networks,
                text,
                reach_only: self.reach_only(),
                offset,
                limit,
            })
            .await?;
        let mut items = Vec::with_capacity(accounts.len());
        for a in accounts {
            if let Some(v) = self.view(a).await? {
                items.push(v);
            }
        }
        Ok(Page {
            items,
            total,
            offset,
            limit,
        })
    }

    pub async fn create(
        &self,
        input: &CreateAccount,
    ) -> Result<(AccountView, OneTimePassword), AdminError> {
        let given = validate::name("given_name", &input.given_name)?;
        let family = validate::name("family_name", &input.family_name)?;
        let email = validate::email(&input.email)?;
        let phone = validate::phone(&input.phone)?;
        let title = validate::optional("title", &input.title)?;
        let network: Network = input
            .network
            .parse()
            .map_err(|_| AdminError::invalid("network", "invalid"))?;
        if !self.networks.contains(&network) || !self.org.networks.contains(&network) {
            return Err(AdminError::invalid("network", "not_yours"));
        }
        let base = usernames::base(&given, &family)
            .ok_or(AdminError::invalid("given_name", "no_username"))?;
        let (otp, hash) = self.ops.new_password().await?;
        let now = self.ops.app.now();
        for username in usernames::candidates(&base).take(50) {
            let id = random_token(12);
            let new = NewAccount {
                id: id.clone(),
                username: username.clone(),
                given_name: given.clone(),
                family_name: family.clone(),
                email: email.clone(),
                phone: phone.clone(),
                title: title.clone(),
                password_hash: Some(hash.clone()),
                must_change_password: true,
                created_at: now,
            };
            let membership = Membership {
                account_id: id.clone(),
                org_id: self.org.id.clone(),
                network,
                role: Role::Member,
            };
            let audit = self
                .ops
                .audit("admin.account.created", &id, Some(&self.org.id), None)
                .detail(serde_json::json!({ "username": username, "network": network }));
            match self
                .ops
                .app
                .dir
                .create_account(&new, &[membership], &audit)
                .await
            {
                Ok(account) => {
                    let view = self.view(account).await?.ok_or(AdminError::NotFound)?;
                    return Ok((view, otp));
                }
                // Taken: try the next number.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(store_err(e)),
            }
        }
        Err(AdminError::Conflict(format!("no free username for {base}")))
    }

    pub async fn unlock(&self, id: &str, reason: Option<&str>) -> Result<(), AdminError> {
        // Out of reach answers as missing, before anything else is checked.
        let a = self.account(id).await?;
        let reason = self.reason(reason)?;
        self.ops
            .unlock(&a.account, Some(&self.org.id), reason.as_deref())
            .await
    }

    pub async fn reset_password(
        &self,
        id: &str,
        reason: Option<&str>,
    ) -> Result<OneTimePassword, AdminError> {
        // Out of reach answers as missing, before anything else is checked.
        let a = self.account(id).await?;
        let reason = self.reason(reason)?;
        self.ops
            .reset_password(&a.account, Some(&self.org.id), reason.as_deref())
            .await
    }

    pub async fn disable(&self, id: &str, reason: Option<&str>) -> Result<(), AdminError> {
        // Out of reach answers as missing, before anything else is checked.
        let a = self.account(id).await?;
        let reason = self.reason(reason)?;
        if a.account.id == self.ops.principal.account_id {
            return Err(AdminError::invalid("status", "not_yourself"));
        }
        self.ops
            .set_disabled(&a.account, true, Some(&self.org.id), reason.as_deref())
            .await
    }

    pub async fn enable(&self, id: &str, reason: Option<&str>) -> Result<(), AdminError> {
        // Out of reach answers as missing, before anything else is checked.
        let a = self.account(id).await?;
        // Whether a managed account is in use is its identity management's
        // to say; disabling stays open to everyone, for a leaver not yet
        // deprovisioned.
        self.refuse_if_managed(&a)?;
        let reason = self.reason(reason)?;
        self.ops
            .set_disabled(&a.account, false, Some(&self.org.id), reason.as_deref())
            .await
    }

    pub async fn edit(
        &self,
        id: &str,
        input: &CreateAccount,
        reason: Option<&str>,
    ) -> Result<(), AdminError> {
        // Out of reach answers as missing, before anything else is checked.
        let a = self.account(id).await?;
        self.refuse_if_managed(&a)?;
        let reason = self.reason(reason)?;
        let update = AccountUpdate {
            given_name: validate::name("given_name", &input.given_name)?,
            family_name: validate::name("family_name", &input.family_name)?,
            email: validate::email(&input.email)?,
            phone: validate::phone(&input.phone)?,
            title: validate::optional("title", &input.title)?,
        };
        let audit = self.ops.audit(
            "admin.account.edited",
            &a.account.id,
            Some(&self.org.id),
            reason.as_deref(),
        );
        self.ops
            .app
            .dir
            .update_account(&a.account.id, &update, &audit)
            .await
            .map_err(store_err)
    }

    /// Moves the account from one of this person's networks to another.
    pub async fn move_network(
        &self,
        id: &str,
        to: &str,
        reason: Option<&str>,
    ) -> Result<(), AdminError> {
        let a = self.account(id).await?;
        self.refuse_if_managed(&a)?;
        let reason = self.reason(reason)?;
        let to: Network = to
            .parse()
            .map_err(|_| AdminError::invalid("network", "invalid"))?;
        if !self.networks.contains(&to) || !self.org.networks.contains(&to) {
            return Err(AdminError::invalid("network", "not_yours"));
        }
        let Some(from) = a
            .memberships
            .iter()
            .map(|m| m.network)
            .find(|n| *n != to && self.networks.contains(n))
        else {
            return Err(AdminError::invalid("network", "already"));
        };
        let audit = self
            .ops
            .audit(
                "admin.account.network_moved",
                &a.account.id,
                Some(&self.org.id),
                reason.as_deref(),
            )
            .detail(serde_json::json!({ "from": from, "to": to }));
        self.ops
            .app
            .dir
            .move_network(&a.account.id, &self.org.id, from, to, &audit)
            .await
            .map_err(store_err)
    }

    /// The organisation's audit trail. For its liaison person: the events
    /// within their reach (see [`AuditQuery::reach_only`]); for the service
    /// desk: its administrative actions and everything about its accounts.
    pub async fn audit_trail(
        &self,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, AdminError> {
        self.audit_filtered(&AuditQuery {
            offset,
            limit,
            ..Default::default()
        })
        .await
    }

    /// The organisation's audit trail narrowed by `filter`'s person,
    /// event, time, offset and limit; its organisation and reach are this
    /// handle's, whatever `filter` says.
    pub async fn audit_filtered(
        &self,
        filter: &AuditQuery<'_>,
    ) -> Result<Vec<AuditEvent>, AdminError> {
        Ok(self
            .ops
            .app
            .dir
            .query_audit(&AuditQuery {
                org_id: &self.org.id,
                networks: &self.networks,
                reach_only: self.reach_only(),
                limit: filter.limit.clamp(1, 10_000),
                ..filter.clone()
            })
            .await?)
    }
}

/// The regional service desk's reach: the register, the liaison persons,
/// and any account (with a reason).
pub struct OperatorHandle<'a> {
    ops: Ops<'a>,
}

impl<'a> OperatorHandle<'a> {
    pub(super) fn new(app: &'a Provider, principal: &'a Principal) -> Self {
        Self {
            ops: Ops { app, principal },
        }
    }

    pub async fn organisations(&self, text: &str) -> Result<Vec<Organisation>, AdminError> {
        Ok(self.ops.app.dir.search_organisations(text, 500).await?)
    }

    pub async fn organisation(&self, id: &str) -> Result<Organisation, AdminError> {
        self.ops
            .app
            .dir
            .organisation(id)
            .await?
            .ok_or(AdminError::NotFound)
    }

    /// Adds an organisation, or replaces the register data of an existing
    /// one when `existing` is true.
    pub async fn save_organisation(
        &self,
        org: &Organisation,
        existing: bool,
    ) -> Result<(), AdminError> {
        let id_ok = !org.id.is_empty()
            && org.id.len() <= 64
            && org
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(AdminError::invalid("id", "invalid"));
        }
        validate::name("name_fi", &org.name_fi)?;
        validate::name("name_sv", &org.name_sv)?;
        let action = if existing {
            "admin.organisation.updated"
        } else {
            "admin.organisation.created"
        };
        let audit = self
            .ops
            .audit(action, "", Some(&org.id), None)
            .detail(serde_json::json!({ "oid": org.oid, "business_id": org.business_id }));
        let audit = AuditEvent {
            subject: None,
            ..audit
        };
        let r = if existing {
            self.ops.app.dir.update_organisation(org, &audit).await
        } else {
            self.ops.app.dir.insert_organisation(org, &audit).await
        };
        r.map_err(|e| match e {
            StoreError::Conflict(_) => AdminError::invalid("oid", "taken"),
            other => store_err(other),
        })
    }

    /// Appoints `username` as the organisation's liaison person in
    /// `network`, with the contact details they agreed to publish.
    pub async fn appoint_liaison(
        &self,
        org_id: &str,
        username: &str,
        network: &str,
        email: &str,
        phone: &str,
    ) -> Result<(), AdminError> {
        let org = self.organisation(org_id).await?;
        let network: Network = network
            .parse()
            .map_err(|_| AdminError::invalid("network", "invalid"))?;
        if !org.networks.contains(&network) {
            return Err(AdminError::invalid("network", "not_yours"));
        }
        let email = validate::email(email)?;
        let phone = validate::phone(phone)?;
        let (account, _) = self
            .ops
            .app
            .dir
            .credentials(username)
            .await?
            .ok_or(AdminError::invalid("username", "unknown"))?;
        let m = Membership {
            account_id: account.id.clone(),
            org_id: org.id.clone(),
            network,
            role: Role::Liaison,
        };
        let audit = self
            .ops
            .audit("admin.liaison.appointed", &account.id, Some(&org.id), None);
        match self.ops.app.dir.add_membership(&m, &audit).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(store_err(e)),
        }
        let contact = LiaisonContact {
            account_id: account.id.clone(),
            org_id: org.id.clone(),
            network,
            name: account.display_name(),
            email,
            phone,
        };
        let audit = self.ops.audit(
            "admin.liaison.contact_published",
            &account.id,
            Some(&org.id),
            None,
        );
        self.ops
            .app
            .dir
            .publish_liaison_contact(&contact, &audit)
            .await
            .map_err(store_err)
    }

    pub async fn remove_liaison(
        &self,
        org_id: &str,
        account_id: &str,
        network: &str,
    ) -> Result<(), AdminError> {
        let network: Network = network
            .parse()
            .map_err(|_| AdminError::invalid("network", "invalid"))?;
        let m = Membership {
            account_id: account_id.to_string(),
            org_id: org_id.to_string(),
            network,
            role: Role::Liaison,
        };
        let audit = self
            .ops
            .audit("admin.liaison.removed", account_id, Some(org_id), None);
        self.ops
            .app
            .dir
            .remove_membership(&m, &audit)
            .await
            .map_err(store_err)
    }

    pub async fn liaisons(&self, org_id: &str) -> Result<Vec<LiaisonContact>, AdminError> {
        Ok(self.ops.app.dir.liaison_contacts(org_id).await?)
    }

    pub async fn find_accounts(
        &self,
        text: &str,
        offset: u32,
        limit: u32,
    ) -> Result<Page<Account>, AdminError> {
        let limit = limit.clamp(1, 200);
        let (items, total) = self
            .ops
            .app
            .dir
            .find_accounts(&AccountQuery {
                text,
                offset,
                limit,
                ..Default::default()
            })
            .await?;
        Ok(Page {
            items,
            total,
            offset,
            limit,
        })
    }

    pub async fn account(&self, id: &str) -> Result<Account, AdminError> {
        self.ops
            .app
            .dir
            .account(id)
            .await?
            .ok_or(AdminError::NotFound)
    }

    pub async fn unlock(&self, id: &str, reason: &str) -> Result<(), AdminError> {
        let reason = self.ops.reason(reason)?;
        let a = self.account(id).await?;
        self.ops.unlock(&a, None, Some(&reason)).await
    }

    pub async fn reset_password(
        &self,
        id: &str,
        reason: &str,
    ) -> Result<OneTimePassword, AdminError> {
        let reason = self.ops.reason(reason)?;
        let a = self.account(id).await?;
        self.ops.reset_password(&a, None, Some(&reason)).await
    }

    pub async fn audit_trail(&self, q: &AuditQuery<'_>) -> Result<Vec<AuditEvent>, AdminError> {
        Ok(self.ops.app.dir.query_audit(q).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_are_readable_and_random() {
        let a = OneTimePassword::generate().0;
        let b = OneTimePassword::generate().0;
        assert_ne!(a, b);
        assert_eq!(a.len(), 14);
        assert_eq!(a.matches('-').count(), 2);
        assert!(
            a.chars()
                .all(|c| c == '-' || "abcdefghjkmnpqrstuvwxyz23456789".contains(c))
        );
    }
}
