//! Accounts an organisation's identity management provisions (SCIM), as
//! methods of the same [`LiaisonHandle`] a liaison person gets: a
//! provisioning client reaches exactly what a liaison person of its
//! organisation in its networks reaches, and an account out of reach
//! answers as missing. What the identity management owns (names,
//! contacts, networks, status) the liaison UI no longer edits.

use serde_json::json;

use super::{AccountView, LiaisonHandle, Page, store_err};
use crate::admin::{AdminError, validate};
use crate::domain::{AccountStatus, Network, Role};
use crate::store::{
    AccountFilter, ManagedChange, ManagedFields, ManagedQuery, Membership, NewAccount, StoreError,
};
use crate::tokens::random_token;

/// An account as an organisation's identity management sends it.
#[derive(Debug, Clone, Default)]
pub struct ManagedInput {
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub external_id: String,
    /// `None`: every network the client may provision into (creation), or
    /// the account's networks as they are (replacement).
    pub networks: Option<Vec<Network>>,
    /// `false` disables the account (deprovisioning).
    pub active: bool,
}

impl ManagedInput {
    fn fields(&self) -> Result<ManagedFields, AdminError> {
        Ok(ManagedFields {
            username: validate::username(&self.username)?,
            given_name: validate::name("given_name", &self.given_name)?,
            family_name: validate::name("family_name", &self.family_name)?,
            email: validate::email(&self.email)?,
            phone: validate::phone(&self.phone)?,
            title: validate::optional("title", &self.title)?,
            external_id: validate::external_id(&self.external_id)?,
        })
    }
}

/// The names of the fields that differ, for the audit trail (the values
/// are personal data and stay out of it).
fn changed(before: &ManagedFields, after: &ManagedFields) -> Vec<&'static str> {
    let mut out = Vec::new();
    let pairs: [(&'static str, bool); 7] = [
        ("username", before.username != after.username),
        ("given_name", before.given_name != after.given_name),
        ("family_name", before.family_name != after.family_name),
        ("email", before.email != after.email),
        ("phone", before.phone != after.phone),
        ("title", before.title != after.title),
        ("external_id", before.external_id != after.external_id),
    ];
    for (name, differs) in pairs {
        if differs {
            out.push(name);
        }
    }
    out
}

impl LiaisonHandle<'_> {
    /// Whether this handle is a provisioning client's.
    pub fn provisioning(&self) -> bool {
        self.ops.principal.provisioning_client.is_some()
    }

    /// Refuses a change of what an identity management owns, unless the
    /// caller is that identity management.
    pub(super) fn refuse_if_managed(&self, a: &AccountView) -> Result<(), AdminError> {
        if a.account.managed_by.is_some() && !self.provisioning() {
            tracing::info!(
                actor = %self.ops.principal.account_id,
                account = %a.account.id,
                managed_by = a.account.managed_by.as_deref().unwrap_or(""),
                "change refused: the organisation's identity management owns these fields \
                 (SCIM); change them there"
            );
            return Err(AdminError::invalid("managed", "by_idm"));
        }
        Ok(())
    }

    /// The networks a provisioning client asks for, checked against the
    /// handle's and the organisation's.
    fn wanted_networks(&self, asked: Option<&[Network]>) -> Result<Vec<Network>, AdminError> {
        let mine: Vec<Network> = self
            .networks
            .iter()
            .copied()
            .filter(|n| self.org.networks.contains(n))
            .collect();
        let mut out: Vec<Network> = match asked {
            None => mine.clone(),
            Some(asked) => asked.to_vec(),
        };
        out.sort();
        out.dedup();
        if out.is_empty() {
            return Err(AdminError::invalid("network", "required"));
        }
        if out.iter().any(|n| !mine.contains(n)) {
            return Err(AdminError::invalid("network", "not_yours"));
        }
        Ok(out)
    }

    /// The accounts within reach that `filter` matches, oldest first.
    pub async fn find_managed(
        &self,
        filter: Option<&AccountFilter>,
        offset: u32,
        limit: u32,
    ) -> Result<Page<AccountView>, AdminError> {
        let limit = limit.min(1000);
        let (accounts, total) = self
            .ops
            .app
            .dir
            .find_managed(&ManagedQuery {
                org_id: &self.org.id,
                networks: &self.networks,
                filter,
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

    /// Creates an account the organisation's identity management owns:
    /// no password (the person logs in with the organisation's login, a
    /// card, or a password a liaison person resets), members in the
    /// networks asked for.
    pub async fn create_managed(&self, input: &ManagedInput) -> Result<AccountView, AdminError> {
        let fields = input.fields()?;
        let networks = self.wanted_networks(input.networks.as_deref())?;
        let id = random_token(12);
        let new = NewAccount {
            id: id.clone(),
            username: fields.username.clone(),
            given_name: fields.given_name.clone(),
            family_name: fields.family_name.clone(),
            email: fields.email.clone(),
            phone: fields.phone.clone(),
            title: fields.title.clone(),
            password_hash: None,
            must_change_password: false,
            created_at: self.ops.app.now(),
        };
        let memberships: Vec<Membership> = networks
            .iter()
            .map(|n| Membership {
                account_id: id.clone(),
                org_id: self.org.id.clone(),
                network: *n,
                role: Role::Member,
            })
            .collect();
        let audit = self
            .ops
            .audit("scim.account.created", &id, Some(&self.org.id), None)
            .detail(json!({ "username": fields.username, "networks": networks }));
        let account = self
            .ops
            .app
            .dir
            .create_managed_account(
                &new,
                &self.org.id,
                fields.external_id.as_deref(),
                &memberships,
                &audit,
            )
            .await
            .map_err(store_err)?;
        if !input.active {
            self.ops
                .set_disabled(&account, true, Some(&self.org.id), Some("provisioning"))
                .await?;
            return self.account(&id).await;
        }
        // Just written in one transaction: the account and exactly these
        // memberships (no read back; an initial sync makes many).
        Ok(AccountView {
            account,
            memberships,
        })
    }

    /// Replaces what the identity management owns in the account, and
    /// disables or enables it as `input.active` says (ending its sessions,
    /// refresh families and access tokens when disabled, as a liaison
    /// person's disabling does).
    pub async fn replace_managed(
        &self,
        id: &str,
        input: &ManagedInput,
    ) -> Result<AccountView, AdminError> {
        // Out of reach answers as missing, before anything else is checked.
        let a = self.account(id).await?;
        if a.account
            .managed_by
            .as_deref()
            .is_some_and(|o| o != self.org.id)
        {
            return Err(AdminError::invalid("managed", "other_org"));
        }
        let fields = input.fields()?;
        let current: Vec<Network> = a
            .memberships
            .iter()
            .filter(|m| m.role == Role::Member && self.networks.contains(&m.network))
            .map(|m| m.network)
            .collect();
        let networks = match &input.networks {
            Some(asked) => self.wanted_networks(Some(asked))?,
            // Kept as they are; an account that is a liaison person only
            // stays one.
            None => current.clone(),
        };
        let before = ManagedFields {
            username: a.account.username.clone(),
            given_name: a.account.given_name.clone(),
            family_name: a.account.family_name.clone(),
            email: a.account.email.clone(),
            phone: a.account.phone.clone(),
            title: a.account.title.clone(),
            external_id: a.account.external_id.clone(),
        };
        let fields_changed = changed(&before, &fields);
        let mut sorted_current = current.clone();
        sorted_current.sort();
        let networks_changed = sorted_current != networks;
        let taken_over = a.account.managed_by.is_none();
        let account = if fields_changed.is_empty() && !networks_changed && !taken_over {
            a.account.clone()
        } else {
            let audit = self
                .ops
                .audit(
                    "scim.account.updated",
                    &a.account.id,
                    Some(&self.org.id),
                    None,
                )
                .detail(json!({
                    "changed": fields_changed,
                    "networks": networks_changed.then_some(&networks),
                    "taken_over": taken_over,
                }));
            let scope: Vec<Network> = self
                .networks
                .iter()
                .copied()
                .filter(|n| self.org.networks.contains(n))
                .collect();
            self.ops
                .app
                .dir
                .update_managed_account(
                    &ManagedChange {
                        account_id: &a.account.id,
                        org_id: &self.org.id,
                        fields: &fields,
                        networks: &networks,
                        scope: &scope,
                        at: self.ops.app.now(),
                    },
                    &audit,
                )
                .await
                .map_err(|e| match e {
                    StoreError::NotFound(_) => AdminError::NotFound,
                    other => store_err(other),
                })?
        };
        let disabled = account.status == AccountStatus::Disabled;
        if disabled == input.active {
            self.ops
                .set_disabled(
                    &account,
                    !input.active,
                    Some(&self.org.id),
                    Some("provisioning"),
                )
                .await?;
        }
        if !fields_changed.is_empty() {
            // Names and contacts are claims: read afresh at the next grant.
            self.ops.app.people.forget(&account.id);
        }
        self.account(&account.id).await
    }

    /// Records a provisioning request this service refused (published as
    /// a `provisioning.error` event), with its status and SCIM error type:
    /// the identity management's mistakes reach the services that follow
    /// the organisation, not only its own log. Accounts answered as
    /// missing are not recorded: that would publish probing.
    pub async fn record_refusal(&self, status: u16, scim_type: Option<&str>) {
        let audit = self
            .ops
            .audit("scim.refused", "", Some(&self.org.id), None)
            .detail(json!({ "status": status, "scim_type": scim_type }));
        let audit = crate::store::AuditEvent {
            subject: None,
            ..audit
        };
        if let Err(e) = self.ops.app.dir.append_audit(&audit).await {
            tracing::warn!(error = %e, "could not record a refused provisioning request");
        }
    }

    /// Deprovisions the account (SCIM `DELETE`): it is disabled (its
    /// sessions, refresh families and access tokens end) and its member
    /// roles in this handle's networks of the organisation end, so the
    /// identity management no longer finds it; the account and its audit
    /// trail stay, for the service desk.
    pub async fn deprovision(&self, id: &str) -> Result<(), AdminError> {
        let a = self.account(id).await?;
        if a.account
            .managed_by
            .as_deref()
            .is_some_and(|o| o != self.org.id)
        {
            return Err(AdminError::invalid("managed", "other_org"));
        }
        if a.account.status != AccountStatus::Disabled {
            self.ops
                .set_disabled(&a.account, true, Some(&self.org.id), Some("deprovisioned"))
                .await?;
        }
        let fields = ManagedFields {
            username: a.account.username.clone(),
            given_name: a.account.given_name.clone(),
            family_name: a.account.family_name.clone(),
            email: a.account.email.clone(),
            phone: a.account.phone.clone(),
            title: a.account.title.clone(),
            external_id: a.account.external_id.clone(),
        };
        let audit = self
            .ops
            .audit(
                "scim.account.deprovisioned",
                &a.account.id,
                Some(&self.org.id),
                None,
            )
            .detail(json!({ "networks": &self.networks }));
        self.ops
            .app
            .dir
            .update_managed_account(
                &ManagedChange {
                    account_id: &a.account.id,
                    org_id: &self.org.id,
                    fields: &fields,
                    networks: &[],
                    scope: &self.networks,
                    at: self.ops.app.now(),
                },
                &audit,
            )
            .await
            .map_err(store_err)?;
        Ok(())
    }
}
