//! "Why can / can't this person reach this portal": the account's facts
//! from the directory, a login as described, and the policy's answer rule
//! by rule. For `porttivahti policy explain` and the operator page.

use crate::config::PortalSettings;
use crate::domain::{AuthMethod, LoA};
use crate::policy::{Explanation, Facts, LoginAttributes, Policy};
use crate::store::{Directory, StoreResult};

/// The facts of `account_id` for a login from `source` with `methods` at
/// `loa`.
pub async fn account_facts(
    dir: &dyn Directory,
    account_id: &str,
    source: &str,
    methods: &[AuthMethod],
    loa: LoA,
) -> StoreResult<Facts> {
    let memberships = dir.memberships(account_id).await?;
    let mut org_kinds = Vec::new();
    for m in &memberships {
        if let Some(o) = dir.organisation(&m.org_id).await?
            && !org_kinds.contains(&o.kind)
        {
            org_kinds.push(o.kind);
        }
    }
    // The profile's profession group, as a login puts it in the session:
    // the person's own word.
    let profession_group = dir.profile(account_id).await?.map(|p| p.profession_group);
    Ok(Facts {
        networks: memberships.iter().map(|m| m.network).collect(),
        org_kinds,
        source: source.to_string(),
        loa,
        methods: methods.to_vec(),
        attributes: LoginAttributes {
            profession_group,
            ..LoginAttributes::default()
        },
    })
}

/// The explanation for one account and portal.
pub async fn explain(
    dir: &dyn Directory,
    policy: &Policy,
    account_id: &str,
    portal: &str,
    source: &str,
    methods: &[AuthMethod],
    loa: LoA,
) -> StoreResult<Explanation> {
    let facts = account_facts(dir, account_id, source, methods, loa).await?;
    Ok(policy.explain(portal, &facts))
}

/// [`explain`] as text, from the configured portals.
pub async fn explain_account(
    dir: &dyn Directory,
    portals: &[PortalSettings],
    account_id: &str,
    portal: &str,
    source: &str,
    methods: &[AuthMethod],
    loa: LoA,
) -> StoreResult<String> {
    let policy = Policy::new(portals.to_vec());
    let e = explain(dir, &policy, account_id, portal, source, methods, loa).await?;
    let login = format!(
        "as if logged in by {source} ({}) at level {loa}\n",
        methods
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(format!("{login}{e}"))
}

/// The operator page's question: only a service-desk operator's handle
/// opens it (authorization by construction). `None` when there is no
/// account with that username.
pub async fn explain_for_operator(
    _op: &crate::admin::OperatorHandle<'_>,
    app: &crate::oidc::Provider,
    username: &str,
    portal: &str,
    source: &str,
    methods: &[AuthMethod],
    loa: LoA,
) -> StoreResult<Option<Explanation>> {
    let Some((a, _)) = app.dir.credentials(username.trim()).await? else {
        return Ok(None);
    };
    explain(&*app.dir, &app.policy, &a.id, portal, source, methods, loa)
        .await
        .map(Some)
}
