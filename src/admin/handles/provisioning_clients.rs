//! The service desk's part in provisioning: it creates an organisation's
//! provisioning client (the bearer token is shown once and kept only as
//! its SHA-256 digest), lists them and revokes one. Audited.

use serde::Serialize;
use serde_json::json;

use super::{OperatorHandle, store_err};
use crate::admin::{AdminError, validate};
use crate::crypto::{hex, random_token, sha256};
use crate::domain::Network;
use crate::store::ProvisioningClient;

/// The prefix of every provisioning token: a secret scanner, or a person,
/// tells it from other secrets.
pub const TOKEN_PREFIX: &str = "pvscim_";

/// A new client and its token, shown this once.
#[derive(Debug, Clone, Serialize)]
pub struct NewProvisioningClient {
    pub client: ProvisioningClient,
    pub token: String,
}

/// The digest a provisioning token is stored and looked up by.
pub fn token_digest(token: &str) -> String {
    hex(&sha256(token))
}

impl OperatorHandle<'_> {
    pub async fn provisioning_clients(
        &self,
        org_id: &str,
    ) -> Result<Vec<ProvisioningClient>, AdminError> {
        let org = self.organisation(org_id).await?;
        Ok(self.ops.app.dir.provisioning_clients(&org.id).await?)
    }

    /// Creates a provisioning client for the organisation in `networks`
    /// (names; empty: all of the organisation's).
    pub async fn create_provisioning_client(
        &self,
        org_id: &str,
        name: &str,
        networks: &[String],
    ) -> Result<NewProvisioningClient, AdminError> {
        let org = self.organisation(org_id).await?;
        let name = validate::name("name", name)?;
        let mut nets: Vec<Network> = Vec::new();
        for n in networks.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            let n: Network = n
                .parse()
                .map_err(|_| AdminError::invalid("network", "invalid"))?;
            if !org.networks.contains(&n) {
                return Err(AdminError::invalid("network", "not_yours"));
            }
            nets.push(n);
        }
        if nets.is_empty() {
            nets = org.networks.clone();
        }
        nets.sort();
        nets.dedup();
        if nets.is_empty() {
            return Err(AdminError::invalid("network", "required"));
        }
        let client = ProvisioningClient {
            id: random_token(9),
            org_id: org.id.clone(),
            name,
            networks: nets,
            created_at: self.ops.app.now(),
            created_by: self.ops.principal.account_id.clone(),
            revoked_at: None,
        };
        let token = format!("{TOKEN_PREFIX}{}", random_token(32));
        let audit = self
            .ops
            .audit("admin.provisioning_client.created", "", Some(&org.id), None)
            .detail(json!({
                "client": client.id,
                "name": client.name,
                "networks": client.networks,
            }));
        let audit = crate::store::AuditEvent {
            subject: None,
            ..audit
        };
        self.ops
            .app
            .dir
            .insert_provisioning_client(&client, &token_digest(&token), &audit)
            .await
            .map_err(store_err)?;
        tracing::info!(
            actor = %self.ops.principal.account_id,
            org = %org.id,
            client = %client.id,
            "provisioning client created; its token was shown once"
        );
        Ok(NewProvisioningClient { client, token })
    }

    /// Revokes the organisation's provisioning client: its token stops
    /// working at the next request.
    pub async fn revoke_provisioning_client(
        &self,
        org_id: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        let audit = self
            .ops
            .audit("admin.provisioning_client.revoked", "", Some(org_id), None)
            .detail(json!({ "client": id }));
        let audit = crate::store::AuditEvent {
            subject: None,
            ..audit
        };
        self.ops
            .app
            .dir
            .revoke_provisioning_client(org_id, id, &audit)
            .await
            .map_err(store_err)
    }
}
