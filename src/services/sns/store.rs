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
//!
//! The maps are private: topics and subscriptions come and go only through `State`'s methods,
//! which keep the confirmation tokens in step with the subscriptions and count the deleted
//! ones.

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
    /// computed ones (TopicArn, Owner, counts) are added by GetTopicAttributes. Changed only
    /// through `set_attribute` (validated by the caller, `topic_attributes::validate`).
    attributes: BTreeMap<String, String>,
    tags: BTreeMap<String, String>,
    data_protection_policy: Option<String>,
    /// Subscription ARN -> subscription; changed through `State` (tokens, deleted count).
    subscriptions: BTreeMap<String, Arc<Subscription>>,
    subscriptions_deleted: u64,
    /// Deliveries of this topic run in publish order on one worker (see `delivery`).
    pub queue: TopicQueue,
}

impl Topic {
    /// The topic with the caller's attributes, tags and data protection policy (CreateTopic,
    /// or a topic read back from the state document or the data directory).
    pub fn with_config(
        mut self,
        attributes: BTreeMap<String, String>,
        tags: BTreeMap<String, String>,
        data_protection_policy: Option<String>,
    ) -> Self {
        self.attributes = attributes;
        self.tags = tags;
        self.data_protection_policy = data_protection_policy;
        self
    }

    /// The attributes the caller set (not the computed ones: see `topic_attributes::all`).
    pub fn attributes(&self) -> &BTreeMap<String, String> {
        &self.attributes
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }

    /// SetTopicAttributes with a validated value: an empty one removes the attribute, except
    /// DisplayName, which AWS keeps as "".
    pub fn set_attribute(&mut self, name: String, value: String) {
        if value.is_empty() && name != "DisplayName" {
            self.attributes.remove(&name);
        } else {
            self.attributes.insert(name, value);
        }
    }

    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// TagResource: new values replace old ones of the same key.
    pub fn tag(&mut self, tags: impl IntoIterator<Item = (String, String)>) {
        self.tags.extend(tags);
    }

    /// UntagResource: keys that are not there are ignored.
    pub fn untag<'k>(&mut self, keys: impl IntoIterator<Item = &'k String>) {
        for key in keys {
            self.tags.remove(key);
        }
    }

    pub fn data_protection_policy(&self) -> Option<&str> {
        self.data_protection_policy.as_deref()
    }

    pub fn set_data_protection_policy(&mut self, policy: String) {
        self.data_protection_policy = Some(policy);
    }

    /// A topic without attributes, tags or subscriptions.
    pub fn new(arn: String, owner: String, fifo: bool, queue: TopicQueue) -> Self {
        Topic {
            arn,
            owner,
            fifo,
            attributes: BTreeMap::new(),
            tags: BTreeMap::new(),
            data_protection_policy: None,
            subscriptions: BTreeMap::new(),
            subscriptions_deleted: 0,
            queue,
        }
    }

    /// The topic as a record kept it: `deleted` subscriptions counted so far.
    pub fn with_deleted_count(mut self, deleted: u64) -> Self {
        self.subscriptions_deleted = deleted;
        self
    }

    /// The subscriptions, in ARN order.
    pub fn subscriptions(&self) -> impl Iterator<Item = &Arc<Subscription>> {
        self.subscriptions.values()
    }

    pub fn subscription(&self, arn: &str) -> Option<&Arc<Subscription>> {
        self.subscriptions.get(arn)
    }

    /// The subscriptions ever removed from this topic (GetTopicAttributes).
    pub fn subscriptions_deleted(&self) -> u64 {
        self.subscriptions_deleted
    }
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
    topics: BTreeMap<String, Topic>,
    /// Confirmation token -> subscription ARN, one entry per subscription.
    tokens: HashMap<String, String>,
    accounts: HashMap<(String, String), AccountState>,
}

impl State {
    pub fn topic(&self, arn: &str) -> Option<&Topic> {
        self.topics.get(arn)
    }

    pub fn topic_mut(&mut self, arn: &str) -> Option<&mut Topic> {
        self.topics.get_mut(arn)
    }

    /// Every topic of every account and region, in ARN order.
    pub fn topics(&self) -> impl Iterator<Item = &Topic> {
        self.topics.values()
    }

    /// Adds a topic (with no subscriptions yet), replacing one of the same ARN.
    pub fn insert_topic(&mut self, topic: Topic) {
        self.remove_topic(&topic.arn);
        self.topics.insert(topic.arn.clone(), topic);
    }

    /// Removes a topic with its subscriptions, whose confirmation tokens stop working.
    pub fn remove_topic(&mut self, arn: &str) -> Option<Topic> {
        let topic = self.topics.remove(arn)?;
        for subscription in topic.subscriptions.values() {
            self.tokens.remove(&subscription.token);
        }
        Some(topic)
    }

    /// Adds `subscription` to its topic or replaces the one of the same ARN (a changed copy),
    /// and makes its confirmation token find it. False when its topic does not exist.
    pub fn put_subscription(&mut self, subscription: Arc<Subscription>) -> bool {
        let Some(topic) = self.topics.get_mut(&subscription.topic_arn) else {
            return false;
        };
        self.tokens
            .insert(subscription.token.clone(), subscription.arn.clone());
        topic
            .subscriptions
            .insert(subscription.arn.clone(), subscription);
        true
    }

    /// Removes a subscription, counting it as deleted in its topic; its token stops working.
    pub fn remove_subscription(&mut self, arn: &str) -> Option<Arc<Subscription>> {
        let topic = self
            .topics
            .get_mut(super::arn::topic_of_subscription(arn)?)?;
        let removed = topic.subscriptions.remove(arn)?;
        topic.subscriptions_deleted += 1;
        self.tokens.remove(&removed.token);
        Some(removed)
    }

    /// The subscription a confirmation token was issued for.
    pub fn subscription_by_token(&self, token: &str) -> Option<&Arc<Subscription>> {
        self.subscription(self.tokens.get(token)?)
    }

    /// The number of topics of every account and region.
    pub fn topic_count(&self) -> usize {
        self.topics.len()
    }

    pub fn account(&mut self, account: &str, region: &str) -> &mut AccountState {
        self.accounts
            .entry((account.to_string(), region.to_string()))
            .or_default()
    }

    pub fn subscription(&self, arn: &str) -> Option<&Arc<Subscription>> {
        let topic = super::arn::topic_of_subscription(arn)?;
        self.topics.get(topic)?.subscription(arn)
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
