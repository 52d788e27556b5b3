//! Rows as both engines return them, read by name with sqlx's `FromRow`,
//! and their conversion into the store's types (enums and lists are text
//! in the database; a value that does not parse is corrupt data). The
//! store types that hold nothing but plain columns (`AuditEvent`,
//! `StoredKey`, `IdentityLink`, `Profile`) derive `FromRow` themselves.

use super::engine::parse;
use crate::domain::Network;
use crate::store::{Account, LiaisonContact, Membership, Organisation, StoreError, StoreResult};

/// The columns of an [`AccountRow`], for `concat!` into a query.
macro_rules! account_columns {
    () => {
        "id, username, given_name, family_name, email, phone, title, status, status_reason, \
         must_change_password, failed_logins, created_at, last_login_at, managed_by, \
         external_id, updated_at"
    };
}
pub(crate) use account_columns;

/// Converts each row, failing on the first that does not convert.
pub(super) fn convert_all<R, T>(rows: Vec<R>) -> StoreResult<Vec<T>>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

#[derive(sqlx::FromRow)]
pub(super) struct AccountRow {
    id: String,
    username: String,
    given_name: String,
    family_name: String,
    email: Option<String>,
    phone: Option<String>,
    title: Option<String>,
    status: String,
    status_reason: Option<String>,
    must_change_password: i64,
    failed_logins: i64,
    created_at: i64,
    last_login_at: Option<i64>,
    managed_by: Option<String>,
    external_id: Option<String>,
    updated_at: Option<i64>,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> StoreResult<Self> {
        Ok(Account {
            id: r.id,
            username: r.username,
            given_name: r.given_name,
            family_name: r.family_name,
            email: r.email,
            phone: r.phone,
            title: r.title,
            status: parse(&r.status)?,
            status_reason: r.status_reason,
            must_change_password: r.must_change_password != 0,
            failed_logins: r.failed_logins as u32,
            created_at: r.created_at,
            last_login_at: r.last_login_at,
            managed_by: r.managed_by,
            external_id: r.external_id,
            updated_at: r.updated_at,
        })
    }
}

/// An account with its password hash.
#[derive(sqlx::FromRow)]
pub(super) struct CredentialsRow {
    #[sqlx(flatten)]
    pub(super) account: AccountRow,
    pub(super) password_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct OrganisationRow {
    id: String,
    oid: String,
    business_id: String,
    name_fi: String,
    name_sv: String,
    kind: String,
    municipality: Option<String>,
    /// Comma-separated.
    networks: String,
}

impl TryFrom<OrganisationRow> for Organisation {
    type Error = StoreError;
    fn try_from(r: OrganisationRow) -> StoreResult<Self> {
        Ok(Organisation {
            id: r.id,
            oid: parse(&r.oid)?,
            business_id: parse(&r.business_id)?,
            name_fi: r.name_fi,
            name_sv: r.name_sv,
            kind: parse(&r.kind)?,
            municipality: r.municipality,
            networks: r
                .networks
                .split(',')
                .filter(|s| !s.is_empty())
                .map(parse::<Network, _>)
                .collect::<StoreResult<_>>()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct MembershipRow {
    account_id: String,
    org_id: String,
    network: String,
    role: String,
}

impl TryFrom<MembershipRow> for Membership {
    type Error = StoreError;
    fn try_from(r: MembershipRow) -> StoreResult<Self> {
        Ok(Membership {
            account_id: r.account_id,
            org_id: r.org_id,
            network: parse(&r.network)?,
            role: parse(&r.role)?,
        })
    }
}

/// A membership joined with its organisation's columns.
#[derive(sqlx::FromRow)]
pub(super) struct MembershipOrganisationRow {
    #[sqlx(flatten)]
    pub(super) membership: MembershipRow,
    #[sqlx(flatten)]
    pub(super) organisation: OrganisationRow,
    /// Whether the account has a professional profile.
    pub(super) has_profile: bool,
}

#[derive(sqlx::FromRow)]
pub(super) struct LiaisonContactRow {
    account_id: String,
    org_id: String,
    network: String,
    name: String,
    email: Option<String>,
    phone: Option<String>,
}

impl TryFrom<LiaisonContactRow> for LiaisonContact {
    type Error = StoreError;
    fn try_from(r: LiaisonContactRow) -> StoreResult<Self> {
        Ok(LiaisonContact {
            account_id: r.account_id,
            org_id: r.org_id,
            network: parse(&r.network)?,
            name: r.name,
            email: r.email,
            phone: r.phone,
        })
    }
}
