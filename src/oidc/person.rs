//! The person a token speaks of: their account, memberships and
//! organisations, read from the directory (and for token grants, from a
//! cache of a few seconds).

use super::Provider;
use crate::store::StoreResult;
use crate::store::ephemeral::Grant;
use crate::tokens::claims::Person;

/// Loads the account, its memberships and their organisations.
pub async fn load_person(app: &Provider, account_id: &str) -> StoreResult<Option<Person>> {
    match app.dir.account(account_id).await? {
        Some(account) => Ok(Some(person_of(app, account).await?)),
        None => Ok(None),
    }
}

/// The person whose account has just been read: its memberships and
/// their organisations, and the professional profile.
pub async fn person_of(app: &Provider, account: crate::store::Account) -> StoreResult<Person> {
    let account_id = account.id.as_str();
    let (memberships, organisations, profile) = app
        .dir
        .memberships_organisations_and_profile(account_id)
        .await?;
    let profile = match profile {
        Some(p) => {
            let mut orgs = Vec::new();
            for id in p
                .cooperating_organisations
                .iter()
                .chain(p.wellbeing_area.iter())
            {
                if let Some(o) = app.dir.organisation(id).await? {
                    orgs.push(o);
                }
            }
            Some((p, orgs))
        }
        None => None,
    };
    Ok(Person {
        account,
        memberships,
        organisations,
        profile,
    })
}

/// [`load_person`], with the organisation that vouched for this login
/// (organisation logins) among the person's organisations.
pub async fn load_person_for(app: &Provider, grant: &Grant) -> StoreResult<Option<Person>> {
    let now = app.now();
    let cached = app.people.get(&grant.account_id, now);
    let Some(mut person) = (match cached {
        Some(p) => Some(p),
        None => {
            let p = load_person(app, &grant.account_id).await?;
            if let Some(p) = &p {
                app.people.put(p, now);
            }
            p
        }
    }) else {
        return Ok(None);
    };
    if let Some(id) = &grant.source_org
        && person.organisations.iter().all(|o| &o.id != id)
        && let Some(o) = app.dir.organisation(id).await?
    {
        person.organisations.push(o);
    }
    Ok(Some(person))
}

/// The people this node has read from the directory for token grants in
/// the last [`PEOPLE_FOR_SECS`]: a portal's refreshes come in bursts, and on
/// shared stores the directory round trips dominate a grant. What a cached
/// person may be stale about is bounded by that: a disabled account's
/// refresh families are revoked at once in the shared state (so its grants
/// fail there), and a changed membership or profile reaches the tokens
/// within seconds.
#[derive(Default)]
pub struct People(std::sync::Mutex<std::collections::HashMap<String, (Person, i64)>>);

pub const PEOPLE_FOR_SECS: i64 = 2;
const PEOPLE_MAX: usize = 10_000;

impl People {
    fn get(&self, account_id: &str, now: i64) -> Option<Person> {
        let map = self.0.lock().ok()?;
        let (p, at) = map.get(account_id)?;
        (now - at < PEOPLE_FOR_SECS && now >= *at).then(|| p.clone())
    }

    fn put(&self, p: &Person, now: i64) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= PEOPLE_MAX {
                map.retain(|_, (_, at)| now - *at < PEOPLE_FOR_SECS);
                if map.len() >= PEOPLE_MAX {
                    map.clear();
                }
            }
            map.insert(p.account.id.clone(), (p.clone(), now));
        }
    }

    /// Forgets an account at once (this node changed it).
    pub fn forget(&self, account_id: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(account_id);
        }
    }
}
