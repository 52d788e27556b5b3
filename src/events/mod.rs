//! Signed events to the services that must react to changes of accounts
//! (created, changed, disabled, enabled, password reset, locked,
//! deprovisioned; provisioning errors; administrative actions).
//!
//! Standard Webhooks, not RFC 8417 Security Event Tokens: a receiver
//! verifies an HMAC-SHA256 over `id.timestamp.body` with one shared
//! secret per subscriber, using any of the published libraries, with
//! replay protection from the id and timestamp; a SET would need the
//! receiver to fetch and rotate our signing keys and parse a JWT for a
//! message that is only a notice ("look again at account X"), and RFC
//! 8935 push delivery adds nothing the retries here do not do.
//!
//! At least once: the store writes every event to the outbox in the same
//! transaction as the change; [`Worker::run_once`] moves each subscriber's
//! cursor over new events, recording a pending delivery for each that the
//! subscriber's filters let through, then POSTs the deliveries due. A
//! delivery's attempts and next try are rows in the directory, so a
//! restart, or another node, picks up where this one stopped. A delivery
//! that fails `max_attempts` times is marked failed, for the service desk.

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::hmac;
use serde_json::json;

use crate::clock::Clock;
use crate::config::{EventSettings, SubscriberSettings};
use crate::crypto::b64_std;
use crate::store::events::{Attempt, Delivery, OutboxEvent};
use crate::store::{Directory, StoreResult};
use crate::time::iso_utc;

/// The Standard Webhooks signature of a message: `v1,` and the base64
/// HMAC-SHA256 of `id.timestamp.body` under the secret's key.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&k, format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", b64_std(tag.as_ref()))
}

/// The message id of an event: the same in every attempt, so a receiver
/// can drop a repeat.
pub fn message_id(e: &OutboxEvent) -> String {
    format!("evt_{}", e.id)
}

/// The body of an event: its type, time and ids only (a receiver reads
/// what it needs of the account from its tokens or the directory).
pub fn body(e: &OutboxEvent) -> String {
    json!({
        "type": e.kind,
        "timestamp": iso_utc(e.at),
        "data": {
            "id": message_id(e),
            "account_id": e.subject,
            "organisation": e.org_id,
            "actor": e.actor,
            "action": e.action,
        },
    })
    .to_string()
}

/// How long a node keeps a delivery it took before another may try it.
const LEASE_SECS: i64 = 60;

pub struct Worker {
    dir: Arc<dyn Directory>,
    http: reqwest::Client,
    settings: EventSettings,
    clock: Arc<dyn Clock>,
}

impl Worker {
    pub fn new(
        dir: Arc<dyn Directory>,
        http: reqwest::Client,
        settings: EventSettings,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            dir,
            http,
            settings,
            clock,
        }
    }

    /// One round for every subscriber: new events become deliveries, and
    /// the deliveries due are attempted. Returns how many were attempted.
    pub async fn run_once(&self) -> StoreResult<usize> {
        let mut attempted = 0;
        for s in &self.settings.subscribers {
            self.fan_out(s).await?;
            attempted += self.deliver_due(s).await?;
        }
        Ok(attempted)
    }

    async fn wanted(&self, s: &SubscriberSettings, e: &OutboxEvent) -> StoreResult<bool> {
        if !s.types.is_empty() && !s.types.iter().any(|t| t == &e.kind) {
            return Ok(false);
        }
        if s.organisations.is_empty() {
            return Ok(true);
        }
        if let Some(o) = &e.org_id {
            return Ok(s.organisations.contains(o));
        }
        // An event that names no organisation (a lock after failed logins)
        // belongs to the account's.
        let Some(account) = &e.subject else {
            return Ok(false);
        };
        Ok(self
            .dir
            .memberships(account)
            .await?
            .iter()
            .any(|m| s.organisations.contains(&m.org_id)))
    }

    async fn fan_out(&self, s: &SubscriberSettings) -> StoreResult<()> {
        loop {
            let Some(from) = self.dir.event_cursor(&s.id).await? else {
                // A new subscriber hears of what happens from now on, not
                // of the directory's whole history.
                let end = self.dir.outbox_end().await?;
                self.dir
                    .enqueue_deliveries(&s.id, None, end, &[], self.clock.now())
                    .await?;
                continue;
            };
            let events = self.dir.outbox_after(from, 500).await?;
            let Some(last) = events.last().map(|e| e.id) else {
                return Ok(());
            };
            let mut ids = Vec::new();
            for e in &events {
                if self.wanted(s, e).await? {
                    ids.push(e.id);
                }
            }
            if !self
                .dir
                .enqueue_deliveries(&s.id, Some(from), last, &ids, self.clock.now())
                .await?
            {
                // Another node moved the cursor first: look again.
                continue;
            }
        }
    }

    async fn deliver_due(&self, s: &SubscriberSettings) -> StoreResult<usize> {
        let now = self.clock.now();
        let due = self.dir.due_deliveries(&s.id, now, 100).await?;
        let mut attempted = 0;
        for d in due {
            if !self
                .dir
                .claim_delivery(&s.id, d.event.id, now, now + LEASE_SECS)
                .await?
            {
                continue;
            }
            let attempt = self.attempt(s, &d).await;
            self.dir.record_attempt(&s.id, d.event.id, &attempt).await?;
            attempted += 1;
        }
        Ok(attempted)
    }

    /// The wait before the attempt after `attempts` failed ones.
    fn backoff(&self, attempts: u32) -> i64 {
        let base = self.settings.retry_base_secs.max(1);
        let wait = base.saturating_mul(1u64 << attempts.min(20));
        wait.min(self.settings.retry_max_secs.max(base)) as i64
    }

    async fn attempt(&self, s: &SubscriberSettings, d: &Delivery) -> Attempt {
        let Some(key) = s.key() else {
            return Attempt::Failed {
                status: None,
                error: "the subscriber's secret is not valid".into(),
            };
        };
        let id = message_id(&d.event);
        let body = body(&d.event);
        let now = self.clock.now();
        let sent = self
            .http
            .post(&s.url)
            .timeout(Duration::from_millis(self.settings.timeout_ms.max(1)))
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", signature(&key, &id, now, &body))
            .body(body)
            .send()
            .await;
        let (status, error) = match sent {
            Ok(r) if r.status().is_success() => {
                tracing::debug!(subscriber = %s.id, event = d.event.id, "event delivered");
                return Attempt::Delivered {
                    at: now,
                    status: r.status().as_u16(),
                };
            }
            Ok(r) => (
                Some(r.status().as_u16()),
                format!("the subscriber answered {}", r.status()),
            ),
            Err(e) if e.is_timeout() => (None, "no answer in time".to_string()),
            Err(e) if e.is_connect() => (None, "could not connect".to_string()),
            Err(_) => (None, "the request failed".to_string()),
        };
        let attempts = d.attempts + 1;
        if attempts >= self.settings.max_attempts {
            tracing::error!(
                subscriber = %s.id,
                url = %s.url,
                event = d.event.id,
                kind = %d.event.kind,
                attempts,
                error = %error,
                "event delivery failed for good; the service desk sees it under failed \
                 deliveries and can retry it"
            );
            Attempt::Failed { status, error }
        } else {
            let next_at = now + self.backoff(d.attempts);
            tracing::warn!(
                subscriber = %s.id,
                url = %s.url,
                event = d.event.id,
                attempts,
                next_at,
                error = %error,
                "event delivery failed; it will be retried"
            );
            Attempt::Retry {
                next_at,
                status,
                error,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification: its secret,
    /// message id, timestamp and payload, and the signature it gives.
    #[test]
    fn signs_as_the_specification_s_example() {
        let key = crate::crypto::b64_std_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = signature(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
