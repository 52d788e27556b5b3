//! A liaison person (for their organisation's accounts within reach) and
//! the service desk (for any organisation's) see an account's passkeys and
//! remove one, e.g. when a phone is lost. Removing is audited with the
//! reason; out of reach answers as missing.

use super::LiaisonHandle;
use crate::admin::AdminError;
use crate::store::{Passkey, StoreError};

impl LiaisonHandle<'_> {
    /// The account's passkeys, if the account is within reach.
    pub async fn passkeys(&self, id: &str) -> Result<Vec<Passkey>, AdminError> {
        let a = self.account(id).await?;
        Ok(self.ops.app.dir.passkeys(&a.account.id).await?)
    }

    /// Removes one of the account's passkeys.
    pub async fn remove_passkey(
        &self,
        id: &str,
        credential_id: &str,
        reason: Option<&str>,
    ) -> Result<(), AdminError> {
        // Out of reach answers as missing, before anything else is checked.
        let a = self.account(id).await?;
        let reason = self.reason(reason)?;
        let Some(k) = self
            .ops
            .app
            .dir
            .passkey(credential_id)
            .await?
            .filter(|k| k.account_id == a.account.id)
        else {
            return Err(AdminError::NotFound);
        };
        let mut audit = self.ops.audit(
            "admin.passkey.removed",
            &a.account.id,
            Some(&self.org.id),
            reason.as_deref(),
        );
        audit = audit.detail(serde_json::json!({ "passkey": k.name }));
        match self
            .ops
            .app
            .dir
            .remove_passkey(&a.account.id, credential_id, &audit)
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound(_)) => return Err(AdminError::NotFound),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(
            actor = %self.ops.principal.account_id,
            account = %a.account.id,
            org = %self.org.id,
            passkey = %k.name,
            "passkey removed by administration"
        );
        Ok(())
    }
}
