//! The claims Porttivahti issues, and how a person becomes claims.

use serde::{Deserialize, Serialize};

use super::jwt::Audience;
use crate::domain::{AuthMethod, LoA};
use crate::store::{Account, Membership, Organisation};

/// A person as the token layer sees them: the account and the
/// organisations of their memberships.
#[derive(Debug, Clone)]
pub struct Person {
    pub account: Account,
    pub memberships: Vec<Membership>,
    pub organisations: Vec<Organisation>,
    /// The professional profile given at first login, with the register's
    /// organisations it names.
    pub profile: Option<(crate::store::Profile, Vec<Organisation>)>,
}

impl Person {
    pub fn organisation(&self, id: &str) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.id == id)
    }
}

/// An organisation in a token: who vouches for the person and in which
/// networks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgClaim {
    pub oid: String,
    pub business_id: String,
    pub name: String,
    pub networks: Vec<String>,
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub azp: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub acr: String,
    pub amr: Vec<String>,
    pub sid: String,
    /// The certificate card's type, when the person logged in with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_type: Option<String>,
    #[serde(flatten)]
    pub person: PersonClaims,
}

/// An organisation the person may act for in this portal, and what they
/// may do there (Kanta Ekstranet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorityClaim {
    pub business_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub right: crate::domain::Right,
}

/// Claims about the person, shared by ID tokens, access tokens and
/// userinfo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PersonClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organisations: Vec<OrgClaim>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    /// The portals this person may reach.
    #[serde(default)]
    pub portals: Vec<String>,
    /// What the person told at first login (scope `profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub professional_profile: Option<ProfileClaim>,
    /// Organisations the person may act for in the requesting portal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorities: Vec<AuthorityClaim>,
}

/// The professional profile in tokens: organisations by their register OID.
///
/// Everything in it is the person's own statement (the first-login form,
/// the profile page), which nobody has checked: `self_declared` says so, so
/// that a portal does not grant anything on it by mistake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileClaim {
    /// `true`: the person declared these facts themself.
    #[serde(default = "self_declared_by_default")]
    pub self_declared: bool,
    pub profession_group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wellbeing_area: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cooperating_organisations: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_municipality: Option<String>,
}

/// A profile claim that does not say is taken for the weaker kind.
fn self_declared_by_default() -> bool {
    true
}

/// RFC 9068 access token claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub portals: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organisations: Vec<OrgClaim>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorities: Vec<AuthorityClaim>,
}

pub fn amr(methods: &[AuthMethod]) -> Vec<String> {
    methods.iter().map(|m| m.as_str().to_string()).collect()
}

pub fn acr(loa: LoA) -> String {
    loa.acr().to_string()
}

/// Maps a person to claims, as far as `scope` allows.
pub fn person_claims(person: &Person, scope: &[String], portals: Vec<String>) -> PersonClaims {
    let has = |s: &str| scope.iter().any(|x| x == s);
    let a = &person.account;
    let mut networks: Vec<String> = person
        .memberships
        .iter()
        .map(|m| m.network.as_str().to_string())
        .collect();
    networks.sort();
    networks.dedup();
    let organisations = person
        .organisations
        .iter()
        .map(|o| {
            let mine = person.memberships.iter().filter(|m| m.org_id == o.id);
            let mut nets: Vec<String> = mine.clone().map(|m| m.network.to_string()).collect();
            let mut roles: Vec<String> = mine.map(|m| m.role.to_string()).collect();
            nets.sort();
            nets.dedup();
            roles.sort();
            roles.dedup();
            OrgClaim {
                oid: o.oid.to_string(),
                business_id: o.business_id.to_string(),
                name: o.name_fi.clone(),
                networks: nets,
                roles,
            }
        })
        .collect();
    PersonClaims {
        name: has("profile").then(|| a.display_name()),
        given_name: has("profile").then(|| a.given_name.clone()),
        family_name: has("profile").then(|| a.family_name.clone()),
        preferred_username: has("profile").then(|| a.username.clone()),
        title: if has("profile") {
            a.title.clone()
        } else {
            None
        },
        email: if has("email") { a.email.clone() } else { None },
        organisations,
        networks,
        portals,
        professional_profile: person.profile.as_ref().filter(|_| has("profile")).map(
            |(p, orgs)| {
                let oid = |id: &str| orgs.iter().find(|o| o.id == id).map(|o| o.oid.to_string());
                ProfileClaim {
                    self_declared: true,
                    profession_group: p.profession_group.clone(),
                    wellbeing_area: p.wellbeing_area.as_deref().and_then(oid),
                    cooperating_organisations: p
                        .cooperating_organisations
                        .iter()
                        .filter_map(|o| oid(o))
                        .collect(),
                    home_municipality: p.home_municipality.clone(),
                }
            },
        ),
        authorities: Vec::new(),
    }
}

/// The `events` member of a logout token.
pub const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A logout token's claims (Back-Channel Logout 1.0 §2.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogoutTokenClaims {
    pub iss: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    pub aud: Audience,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub events: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Must be absent; kept to refuse tokens that carry one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}
