//! The typed layer over [`Ephemeral`]: sessions, pending logins,
//! authorization codes, refresh-token families and counters. All key names
//! live here. Logical expiry is checked against the injected clock.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{Ephemeral, StoreError, StoreResult};
use crate::domain::LoginAttributes;
use crate::domain::{AuthMethod, LoA, OrgKind};

/// A single sign-on session: who logged in, when and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Published as `sid`; not the cookie secret.
    pub sid: String,
    pub account_id: String,
    pub auth_time: i64,
    pub expires_at: i64,
    pub loa: LoA,
    pub methods: Vec<AuthMethod>,
    /// Which identity source vouched for the person, e.g. `password`.
    pub source: String,
    /// The certificate card's type (`professional`, `staff`, …) when the
    /// person logged in with a card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_type: Option<String>,
    /// The kind of the organisation that vouched (organisation logins):
    /// it counts among the person's organisations for portal rules.
    #[serde(default)]
    pub source_org_kind: Option<OrgKind>,
    /// That organisation's id: it is named in the tokens' organisations.
    #[serde(default)]
    pub source_org: Option<String>,
    /// The upstream IdP's session, for single logout.
    #[serde(default)]
    pub upstream: Option<Upstream>,
    /// Card type, profession group, positions and mandates, when the
    /// login established them.
    #[serde(default)]
    pub attributes: LoginAttributes,
    /// Whether the login used a one-time password (a first or reset
    /// password the person must change).
    #[serde(default, skip_serializing_if = "OneTimePassword::is_not_used")]
    pub one_time_password: OneTimePassword,
}

/// A login with a one-time password: good for nothing but changing it, and
/// even after the change never a fresh login with the person's own password
/// (it does not let a second factor be enrolled).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OneTimePassword {
    /// The login did not use one.
    #[default]
    NotUsed,
    /// Used and not changed yet: the session may only change it.
    MustChange,
    /// Used, and changed in this session.
    Changed,
}

impl OneTimePassword {
    pub fn is_not_used(&self) -> bool {
        *self == OneTimePassword::NotUsed
    }
}

impl Session {
    /// A session started with a one-time password that is not changed yet:
    /// it may do nothing but change the password.
    pub fn password_change_only(&self) -> bool {
        self.one_time_password == OneTimePassword::MustChange
    }
}

/// Where a session came from upstream: what a LogoutRequest names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upstream {
    pub source: String,
    pub name_id: String,
    pub session_index: Option<String>,
}

/// An authorization request waiting for the person to log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub login_hint: Option<String>,
    /// The source the portal asks the person to log in with.
    #[serde(default)]
    pub idp_hint: Option<String>,
    pub max_age: Option<i64>,
    pub created_at: i64,
    /// The level the portal asked for (`acr_values`) or its rules need:
    /// the login page asks for a method that reaches it.
    #[serde(default)]
    pub min_loa: Option<LoA>,
}

/// What an authorization code stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub grant: Grant,
    pub nonce: Option<String>,
    pub expires_at: i64,
}

/// What a person granted a client: carried from code to refresh family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub account_id: String,
    pub sid: String,
    pub scope: Vec<String>,
    pub auth_time: i64,
    pub loa: LoA,
    pub methods: Vec<AuthMethod>,
    pub source: String,
    /// The card type of a certificate-card login (published as `card_type`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_type: Option<String>,
    #[serde(default)]
    pub source_org_kind: Option<OrgKind>,
    #[serde(default)]
    pub source_org: Option<String>,
    #[serde(default)]
    pub attributes: LoginAttributes,
}

/// A refresh-token family: every rotation replaces `current`; a token that
/// is not current ends the family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshFamily {
    pub family_id: String,
    pub client_id: String,
    pub grant: Grant,
    /// Hash of the one refresh token that is valid now.
    pub current: String,
    pub generation: u32,
    pub expires_at: i64,
}

/// The outcome of presenting a refresh token.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// Valid: the family now expects `new_hash`.
    Rotated(RefreshFamily),
    /// The current token, but a concurrent presentation of it rotated
    /// first: reuse, and the family has been ended.
    Reused { family: RefreshFamily },
    /// Not the current token. Nothing changed: the caller decides whether
    /// the token proves itself an earlier one of the family (then it ends
    /// the family) or is made up (then it leaves the family alone).
    NotCurrent { family: RefreshFamily },
    /// The family belongs to another client. Nothing changed.
    OtherClient { family: RefreshFamily },
    /// No such family (never, expired, or already ended).
    Unknown,
}

/// An authorization code as read, before anything spends it.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeLookup {
    /// Not redeemed yet. `raw` is the stored value: [`EphemeralState::spend_code`]
    /// spends exactly this.
    Fresh {
        grant: Box<CodeGrant>,
        raw: Vec<u8>,
    },
    /// Redeemed before: whatever it issued is to be revoked — when the
    /// client presenting it is the one that redeemed it (`client_id`;
    /// `None` in marks of an older version, taken as the same client).
    Used {
        family_id: Option<String>,
        client_id: Option<String>,
    },
    Unknown,
}

/// What spending a code did.
#[derive(Debug, PartialEq, Eq)]
pub enum Spent {
    /// This request spent it.
    Now,
    /// Another request spent it first (the family it started, if any).
    Before { family_id: Option<String> },
}

/// A refresh token as presented, before anything rotates it.
#[derive(Debug, PartialEq, Eq)]
pub enum Presented {
    /// The family's current token. `raw` is the stored family:
    /// [`EphemeralState::commit_rotation`] replaces exactly this.
    Current { family: RefreshFamily, raw: Vec<u8> },
    /// Not the current token. Nothing changed.
    NotCurrent { family: RefreshFamily },
    /// The family belongs to another client. Nothing changed.
    OtherClient { family: RefreshFamily },
    /// No such family (never, expired, or already ended).
    Unknown,
}

/// A spent code's value: the family it started and a mark unique to the
/// request that spent it (so a request that must read back whether its
/// own swap landed recognises it).
const SPENT: &[u8] = b"spent:";

#[derive(Clone)]
pub struct EphemeralState {
    store: Arc<dyn Ephemeral>,
}

fn encode<T: Serialize>(v: &T) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode<T: DeserializeOwned>(b: &[u8]) -> StoreResult<T> {
    serde_json::from_slice(b).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(n.max(1) as u64)
}

/// Time-to-live from `now` until `expires_at`, at least one second.
fn ttl_until(expires_at: i64, now: i64) -> Duration {
    secs(expires_at - now)
}

/// How a settled swap ended: this call's value stored, or another's (the
/// value there now, if any).
enum Swap {
    Landed,
    Lost(Option<Vec<u8>>),
}

/// A spent code's mark, `spent:FAMILY RANDOM CLIENT`: the family it
/// started (if any) and the client that redeemed it (absent in marks
/// written before the client was recorded). `None` for an unspent code.
fn spent_mark(raw: &[u8]) -> Option<(Option<String>, Option<String>)> {
    let rest = raw.strip_prefix(SPENT)?;
    let mut parts = rest.splitn(3, |b| *b == b' ');
    let text = |b: &[u8]| (!b.is_empty()).then(|| String::from_utf8_lossy(b).into_owned());
    let family = parts.next().and_then(text);
    let _random = parts.next();
    let client = parts.next().and_then(text);
    Some((family, client))
}

impl EphemeralState {
    pub fn new(store: Arc<dyn Ephemeral>) -> Self {
        Self { store }
    }

    pub fn raw(&self) -> &Arc<dyn Ephemeral> {
        &self.store
    }

    pub async fn ping(&self) -> StoreResult<()> {
        self.store.ping().await
    }

    // Sessions are keyed by a hash of the cookie secret.

    pub async fn put_session(&self, key: &str, s: &Session, now: i64) -> StoreResult<()> {
        // The indexes first: a session is never stored without them.
        self.store
            .put(
                &format!("sid:{{{}}}:session", s.sid),
                key.as_bytes().to_vec(),
                ttl_until(s.expires_at, now),
            )
            .await?;
        self.store
            .set_add(
                &format!("acct:{{{}}}:sids", s.account_id),
                &s.sid,
                ttl_until(s.expires_at, now),
            )
            .await?;
        self.store
            .put(
                &format!("sess:{key}"),
                encode(s)?,
                ttl_until(s.expires_at, now),
            )
            .await
    }

    /// The sessions an account has started (some may have ended since).
    pub async fn account_sessions(&self, account_id: &str) -> StoreResult<Vec<String>> {
        self.store
            .set_members(&format!("acct:{{{account_id}}}:sids"))
            .await
    }

    /// Ends the session known by its `sid` (logout without its cookie).
    pub async fn delete_session_by_sid(&self, sid: &str) -> StoreResult<()> {
        if let Some(key) = self.store.take(&format!("sid:{{{sid}}}:session")).await? {
            self.delete_session(&String::from_utf8_lossy(&key)).await?;
        }
        Ok(())
    }

    pub async fn session(&self, key: &str, now: i64) -> StoreResult<Option<Session>> {
        match self.store.get(&format!("sess:{key}")).await? {
            Some(b) => {
                let s: Session = decode(&b)?;
                Ok((s.expires_at > now).then_some(s))
            }
            None => Ok(None),
        }
    }

    pub async fn delete_session(&self, key: &str) -> StoreResult<()> {
        self.store.delete(&format!("sess:{key}")).await
    }

    /// Remembers that `client_id` got tokens in session `sid`.
    pub async fn add_session_client(
        &self,
        sid: &str,
        client_id: &str,
        ttl: i64,
    ) -> StoreResult<()> {
        self.store
            .set_add(&format!("sid:{{{sid}}}:clients"), client_id, secs(ttl))
            .await
    }

    pub async fn session_clients(&self, sid: &str) -> StoreResult<Vec<String>> {
        self.store
            .set_members(&format!("sid:{{{sid}}}:clients"))
            .await
    }

    async fn add_session_family(&self, sid: &str, family_id: &str, ttl: i64) -> StoreResult<()> {
        self.store
            .set_add(&format!("sid:{{{sid}}}:families"), family_id, secs(ttl))
            .await
    }

    /// Ends every refresh family issued in session `sid`.
    pub async fn revoke_session_families(&self, sid: &str, revoke_ttl: i64) -> StoreResult<()> {
        for fam in self
            .store
            .set_members(&format!("sid:{{{sid}}}:families"))
            .await?
        {
            self.revoke_family(&fam, revoke_ttl).await?;
        }
        self.store
            .delete(&format!("sid:{{{sid}}}:families"))
            .await?;
        self.store
            .put(
                &format!("sid:{{{sid}}}:ended"),
                b"1".to_vec(),
                secs(revoke_ttl),
            )
            .await
    }

    /// True when session `sid` was ended by logout (access tokens issued in
    /// it are no longer honoured by userinfo).
    pub async fn session_ended(&self, sid: &str) -> StoreResult<bool> {
        Ok(self
            .store
            .get(&format!("sid:{{{sid}}}:ended"))
            .await?
            .is_some())
    }

    // Pending authorization requests.

    pub async fn put_auth_request(&self, id: &str, r: &AuthRequest, ttl: i64) -> StoreResult<()> {
        self.store
            .put(&format!("ar:{id}"), encode(r)?, secs(ttl))
            .await
    }

    pub async fn auth_request(&self, id: &str) -> StoreResult<Option<AuthRequest>> {
        match self.store.get(&format!("ar:{id}")).await? {
            Some(b) => decode(&b).map(Some),
            None => Ok(None),
        }
    }

    pub async fn delete_auth_request(&self, id: &str) -> StoreResult<()> {
        self.store.delete(&format!("ar:{id}")).await
    }

    // Authorization codes, keyed by a hash of the code.

    pub async fn put_code(&self, code_hash: &str, c: &CodeGrant, now: i64) -> StoreResult<()> {
        self.store
            .put(
                &format!("code:{{{code_hash}}}"),
                encode(c)?,
                ttl_until(c.expires_at, now),
            )
            .await
    }

    /// Reads a code without spending it: everything that can fail for a
    /// store reason (the directory read, the new refresh family) happens
    /// between this and [`EphemeralState::spend_code`], so such a failure
    /// leaves the code usable.
    pub async fn code(&self, code_hash: &str, now: i64) -> StoreResult<CodeLookup> {
        let Some(raw) = self.store.get(&format!("code:{{{code_hash}}}")).await? else {
            return Ok(CodeLookup::Unknown);
        };
        if let Some((family_id, client_id)) = spent_mark(&raw) {
            return Ok(CodeLookup::Used {
                family_id,
                client_id,
            });
        }
        let c: CodeGrant = decode(&raw)?;
        if c.expires_at <= now {
            return Ok(CodeLookup::Unknown);
        }
        Ok(CodeLookup::Fresh {
            grant: Box::new(c),
            raw,
        })
    }

    /// Spends a code read by [`EphemeralState::code`], recording the
    /// refresh family it started. Of concurrent spenders exactly one gets
    /// [`Spent::Now`]; the mark outlives the code so late replays are caught.
    /// `client_id` is the client redeeming it (recorded in the mark, so
    /// that a later presentation by another client is told apart from the
    /// redeeming client's own replay).
    pub async fn spend_code(
        &self,
        code_hash: &str,
        raw: &[u8],
        family_id: Option<&str>,
        client_id: &str,
    ) -> StoreResult<Spent> {
        let key = format!("code:{{{code_hash}}}");
        let mut mark = SPENT.to_vec();
        mark.extend_from_slice(family_id.unwrap_or("").as_bytes());
        mark.push(b' ');
        mark.extend_from_slice(crate::crypto::random_token(12).as_bytes());
        mark.push(b' ');
        mark.extend_from_slice(client_id.as_bytes());
        match self.settle_swap(&key, raw, mark, secs(600)).await? {
            Swap::Landed => Ok(Spent::Now),
            Swap::Lost(now) => Ok(Spent::Before {
                family_id: now.as_deref().and_then(spent_mark).and_then(|(f, _)| f),
            }),
        }
    }

    /// Replaces `expected` at `key` with `new`, and says whether this
    /// call's value is the one stored. An answer lost on the way (a
    /// dropped connection) is settled by reading the key once more: `new`
    /// there means the swap landed (the value is unique to the attempt),
    /// `expected` still there means it did not, and it is tried once
    /// again. Only when the store cannot be read either does the error
    /// stand, and then the caller cannot know; see docs/security.md.
    async fn settle_swap(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
        ttl: Duration,
    ) -> StoreResult<Swap> {
        let first = match self
            .store
            .compare_and_swap(key, expected, new.clone(), ttl)
            .await
        {
            Ok(true) => return Ok(Swap::Landed),
            Ok(false) => return Ok(Swap::Lost(self.store.get(key).await.ok().flatten())),
            Err(e) => e,
        };
        match self.store.get(key).await {
            Ok(Some(v)) if v == new => Ok(Swap::Landed),
            Ok(Some(v)) if v == expected => {
                if self.store.compare_and_swap(key, expected, new, ttl).await? {
                    Ok(Swap::Landed)
                } else {
                    Ok(Swap::Lost(self.store.get(key).await.ok().flatten()))
                }
            }
            Ok(other) => Ok(Swap::Lost(other)),
            Err(_) => Err(first),
        }
    }

    // Refresh families.

    pub async fn create_family(&self, f: &RefreshFamily, now: i64) -> StoreResult<()> {
        self.add_session_family(&f.grant.sid, &f.family_id, f.expires_at - now)
            .await?;
        self.store
            .put(
                &format!("rt:{{{}}}", f.family_id),
                encode(f)?,
                ttl_until(f.expires_at, now),
            )
            .await
    }

    /// Reads the family a refresh token names and says whether the token
    /// is its current one, changing nothing: everything that can fail for
    /// a store reason happens between this and
    /// [`EphemeralState::commit_rotation`], so such a failure leaves the
    /// token usable.
    pub async fn present(
        &self,
        family_id: &str,
        client_id: &str,
        presented_hash: &str,
        now: i64,
    ) -> StoreResult<Presented> {
        let key = format!("rt:{{{family_id}}}");
        let Some(raw) = self.store.get(&key).await? else {
            return Ok(Presented::Unknown);
        };
        let fam: RefreshFamily = decode(&raw)?;
        if fam.expires_at <= now {
            self.store.delete(&key).await?;
            return Ok(Presented::Unknown);
        }
        if fam.client_id != client_id {
            return Ok(Presented::OtherClient { family: fam });
        }
        if !crate::crypto::constant_time_eq(fam.current.as_bytes(), presented_hash.as_bytes()) {
            return Ok(Presented::NotCurrent { family: fam });
        }
        Ok(Presented::Current { family: fam, raw })
    }

    /// Rotates a family read by [`EphemeralState::present`] to `new_hash`
    /// (unique to this request). Exactly one of any concurrent
    /// presentations of the current token rotates; the others are reuse
    /// and end the family.
    pub async fn commit_rotation(
        &self,
        family: RefreshFamily,
        raw: &[u8],
        new_hash: String,
        now: i64,
        revoke_ttl: i64,
    ) -> StoreResult<Rotation> {
        let key = format!("rt:{{{}}}", family.family_id);
        let mut next = family.clone();
        next.current = new_hash;
        next.generation += 1;
        let ttl = ttl_until(next.expires_at, now);
        match self.settle_swap(&key, raw, encode(&next)?, ttl).await? {
            Swap::Landed => Ok(Rotation::Rotated(next)),
            Swap::Lost(_) => {
                self.revoke_family(&family.family_id, revoke_ttl).await?;
                Ok(Rotation::Reused { family })
            }
        }
    }

    /// [`EphemeralState::present`] and, for the current token,
    /// [`EphemeralState::commit_rotation`] at once (nothing in between).
    pub async fn rotate(
        &self,
        family_id: &str,
        client_id: &str,
        presented_hash: &str,
        new_hash: String,
        now: i64,
        revoke_ttl: i64,
    ) -> StoreResult<Rotation> {
        Ok(
            match self
                .present(family_id, client_id, presented_hash, now)
                .await?
            {
                Presented::Current { family, raw } => {
                    self.commit_rotation(family, &raw, new_hash, now, revoke_ttl)
                        .await?
                }
                Presented::NotCurrent { family } => Rotation::NotCurrent { family },
                Presented::OtherClient { family } => Rotation::OtherClient { family },
                Presented::Unknown => Rotation::Unknown,
            },
        )
    }

    pub async fn family(&self, family_id: &str) -> StoreResult<Option<RefreshFamily>> {
        match self.store.get(&format!("rt:{{{family_id}}}")).await? {
            Some(b) => decode(&b).map(Some),
            None => Ok(None),
        }
    }

    /// Ends a family; access tokens it issued are refused by userinfo for
    /// `revoke_ttl` seconds (their longest life).
    pub async fn revoke_family(&self, family_id: &str, revoke_ttl: i64) -> StoreResult<()> {
        self.store.delete(&format!("rt:{{{family_id}}}")).await?;
        self.store
            .put(
                &format!("rt:{{{family_id}}}:revoked"),
                b"1".to_vec(),
                secs(revoke_ttl),
            )
            .await
    }

    pub async fn family_revoked(&self, family_id: &str) -> StoreResult<bool> {
        Ok(self
            .store
            .get(&format!("rt:{{{family_id}}}:revoked"))
            .await?
            .is_some())
    }

    // Revoked access tokens (RFC 7009), by `jti`.

    /// Refuses the access token `jti` for `ttl` seconds (until it expires).
    pub async fn revoke_access_token(&self, jti: &str, ttl: i64) -> StoreResult<()> {
        self.store
            .put(&format!("at:{{{jti}}}:revoked"), b"1".to_vec(), secs(ttl))
            .await
    }

    pub async fn access_token_revoked(&self, jti: &str) -> StoreResult<bool> {
        Ok(self
            .store
            .get(&format!("at:{{{jti}}}:revoked"))
            .await?
            .is_some())
    }

    /// The session known by its `sid`, while it lasts.
    pub async fn session_by_sid(&self, sid: &str, now: i64) -> StoreResult<Option<Session>> {
        match self.store.get(&format!("sid:{{{sid}}}:session")).await? {
            Some(key) => self.session(&String::from_utf8_lossy(&key), now).await,
            None => Ok(None),
        }
    }

    // Logout notification: sessions whose portals want to hear of their
    // end, by the minute they expire, and a once-only claim per session.

    /// Remembers that session `sid` (of `account_id`) expiring at
    /// `expires_at` has portals to notify when it ends.
    pub async fn index_session_expiry(
        &self,
        sid: &str,
        account_id: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<()> {
        let bucket = expires_at.div_euclid(60);
        self.store
            .set_add(
                &format!("logout:exp:{bucket}"),
                &format!("{sid} {account_id}"),
                // Kept a day past the expiry, for sweepers that were down.
                ttl_until(expires_at + 86_400, now),
            )
            .await
    }

    /// The sessions (sid, account id) indexed as expiring in the minute
    /// `bucket` (unix time / 60).
    pub async fn sessions_expiring_in(&self, bucket: i64) -> StoreResult<Vec<(String, String)>> {
        Ok(self
            .store
            .set_members(&format!("logout:exp:{bucket}"))
            .await?
            .into_iter()
            .filter_map(|m| {
                m.split_once(' ')
                    .map(|(s, a)| (s.to_string(), a.to_string()))
            })
            .collect())
    }

    /// Claims the end of session `sid` for notifying its portals: true
    /// exactly once across nodes (logout, account end and the expiry
    /// sweeper race for it).
    pub async fn claim_session_end(&self, sid: &str, ttl: i64) -> StoreResult<bool> {
        self.store
            .put_if_absent(
                &format!("sid:{{{sid}}}:end-notified"),
                b"1".to_vec(),
                secs(ttl),
            )
            .await
    }

    // Counters for rate limits.

    /// Counts one event against `name` in a window; returns the count.
    /// Stores a value that waits for the person's next step (a SAML
    /// request, a first-login registration) for `ttl` seconds.
    pub async fn put_pending<T: Serialize>(
        &self,
        kind: &str,
        id: &str,
        v: &T,
        ttl: i64,
    ) -> StoreResult<()> {
        self.store
            .put(&format!("pend:{kind}:{id}"), encode(v)?, secs(ttl))
            .await
    }

    pub async fn pending<T: DeserializeOwned>(
        &self,
        kind: &str,
        id: &str,
    ) -> StoreResult<Option<T>> {
        match self.store.get(&format!("pend:{kind}:{id}")).await? {
            Some(b) => Ok(Some(decode(&b)?)),
            None => Ok(None),
        }
    }

    /// Reads and removes at once: of two concurrent takers one gets it.
    pub async fn take_pending<T: DeserializeOwned>(
        &self,
        kind: &str,
        id: &str,
    ) -> StoreResult<Option<T>> {
        match self.store.take(&format!("pend:{kind}:{id}")).await? {
            Some(b) => Ok(Some(decode(&b)?)),
            None => Ok(None),
        }
    }

    /// True the first time `name` is used within `ttl` seconds (a SAML
    /// assertion id: the replay cache), false ever after.
    pub async fn first_use(&self, name: &str, ttl: i64) -> StoreResult<bool> {
        self.store
            .put_if_absent(&format!("once:{name}"), vec![1], secs(ttl))
            .await
    }

    pub async fn count(&self, name: &str, window_secs: u64) -> StoreResult<u64> {
        self.store
            .incr(
                &format!("rl:{name}"),
                Duration::from_secs(window_secs.max(1)),
            )
            .await
    }

    /// Takes back one event counted against `name` (an attempt that turned
    /// out not to count, such as a successful login).
    pub async fn uncount(&self, name: &str) -> StoreResult<()> {
        self.store.decr(&format!("rl:{name}")).await
    }

    /// The pending logins stored now (authorization requests and the
    /// requests sent to identity sources): their number and size in bytes,
    /// where the engine can tell (memory).
    pub fn pending_login_usage(&self) -> Option<(usize, usize)> {
        ["ar:", "pend:saml:", "pend:oidc:"]
            .iter()
            .try_fold((0, 0), |(n, b), p| {
                let (pn, pb) = self.store.usage(p)?;
                Some((n + pn, b + pb))
            })
    }
}

#[cfg(test)]
#[path = "ephemeral_lost_answers.rs"]
mod lost_answers;
