//! Topics with their subscriptions, and the per-account SMS / platform state.
//!
//! Locking: all of SNS's state sits behind one `parking_lot::RwLock`. Publish only reads (it
//! clones the topic's subscription `Arc`s out and delivers after releasing the lock);
//! control-plane calls write. No lock is held across an `.await`, and delivery never takes
//! this lock while holding another, so there is nothing to deadlock with.
//!
//! Subscriptions live inside their topic (a subscription ARN is its topic's ARN plus an id, so
//! the topic is found from the ARN). They are `Arc`s replaced on change (copy on write), so a
//! publish in flight keeps the version it saw.

use super::delivery::TopicQueue;
use super::platform::PlatformState;
use super::sms::SmsState;
use super::subscription::Subscription;
use crate::request::RequestContext;
use parking_lot::{MappedRwLockWriteGuard, RwLock, RwLockWriteGuard};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub struct Topic {
    pub arn: String,
    pub owner: String,
    pub fifo: bool,
    /// The attributes set by the caller (DisplayName, Policy, DeliveryPolicy, ...); the
    /// computed ones (TopicArn, Owner, counts) are added by GetTopicAttributes.
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub data_protection_policy: Option<String>,
    pub subscriptions: BTreeMap<String, Arc<Subscription>>,
    pub subscriptions_deleted: u64,
    /// Deliveries of this topic run in publish order on one worker (see `delivery`).
    pub queue: TopicQueue,
}

/// Where state that is not a topic lives: per (account, region).
#[derive(Default)]
pub struct AccountState {
    pub sms: SmsState,
    pub platform: PlatformState,
}

#[derive(Default)]
pub struct State {
    /// Topic ARN -> topic, for every account and region (ARNs carry both).
    pub topics: BTreeMap<String, Topic>,
    /// Confirmation token -> subscription ARN.
    pub tokens: HashMap<String, String>,
    pub accounts: HashMap<(String, String), AccountState>,
}

impl State {
    pub fn account(&mut self, account: &str, region: &str) -> &mut AccountState {
        self.accounts
            .entry((account.to_string(), region.to_string()))
            .or_default()
    }

    pub fn subscription(&self, arn: &str) -> Option<&Arc<Subscription>> {
        let topic = super::arn::topic_of_subscription(arn)?;
        self.topics.get(topic)?.subscriptions.get(arn)
    }

    /// Topics whose ARN starts with `prefix` (one account and region), in ARN order.
    pub fn topics_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Topic> {
        self.topics
            .range(prefix.to_string()..)
            .take_while(move |(arn, _)| arn.starts_with(prefix))
            .map(|(_, t)| t)
    }
}

#[derive(Default)]
pub struct Store {
    pub state: RwLock<State>,
    sequence: AtomicU64,
}

impl Store {
    /// The caller's SMS settings (per account and region), under the write lock.
    pub fn sms(&self, ctx: &RequestContext) -> MappedRwLockWriteGuard<'_, SmsState> {
        RwLockWriteGuard::map(self.state.write(), |s| {
            &mut s.account(&ctx.account_id, &ctx.region).sms
        })
    }

    /// The caller's platform applications and endpoints, under the write lock.
    pub fn platform(&self, ctx: &RequestContext) -> MappedRwLockWriteGuard<'_, PlatformState> {
        RwLockWriteGuard::map(self.state.write(), |s| {
            &mut s.account(&ctx.account_id, &ctx.region).platform
        })
    }

    pub fn clear(&self) {
        *self.state.write() = State::default();
    }

    /// FIFO sequence numbers: increasing, 20 digits like AWS's, seeded from the clock.
    pub fn next_sequence_number(&self, now_ms: u64) -> String {
        let seed = (now_ms / 1000) << 33;
        let _ = self
            .sequence
            .compare_exchange(0, seed, Ordering::Relaxed, Ordering::Relaxed);
        format!("{:020}", self.sequence.fetch_add(1, Ordering::Relaxed))
    }
}
