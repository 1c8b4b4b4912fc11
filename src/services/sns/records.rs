//! SNS in the state document and the data directory: every topic with its subscriptions
//! (confirmation state, attributes, token). Filter policies are compiled again on load. SMS
//! settings, platform applications and deliveries in progress are not kept (see
//! docs/durable-state.md).

use super::store::{State, Topic};
use super::subscription::Subscription;
use super::subscription_attributes::{compile_filter, Api};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicRecord {
    pub arn: String,
    pub owner: String,
    pub fifo: bool,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub data_protection_policy: Option<String>,
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionRecord>,
    #[serde(default)]
    pub subscriptions_deleted: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRecord {
    pub arn: String,
    pub owner: String,
    pub protocol: String,
    pub endpoint: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    pub pending: bool,
    pub confirmation_authenticated: bool,
    pub token: String,
}

pub fn export(state: &State) -> Vec<TopicRecord> {
    state
        .topics()
        .map(|t| TopicRecord {
            arn: t.arn.clone(),
            owner: t.owner.clone(),
            fifo: t.fifo,
            attributes: t.attributes().clone(),
            tags: t.tags().clone(),
            data_protection_policy: t.data_protection_policy().map(str::to_string),
            subscriptions: t
                .subscriptions()
                .map(|s| SubscriptionRecord {
                    arn: s.arn.clone(),
                    owner: s.owner.clone(),
                    protocol: s.protocol.clone(),
                    endpoint: s.endpoint.clone(),
                    attributes: s.attributes.clone(),
                    pending: s.pending,
                    confirmation_authenticated: s.confirmation_authenticated,
                    token: s.token.clone(),
                })
                .collect(),
            subscriptions_deleted: t.subscriptions_deleted(),
        })
        .collect()
}

/// Builds the topics of `records` into `state` (emptied first). `new_queue` makes each
/// topic's delivery queue.
pub fn import(
    records: Vec<TopicRecord>,
    new_queue: impl Fn() -> super::delivery::TopicQueue,
) -> Result<State, String> {
    let mut state = State::default();
    for record in records {
        if super::arn::parse(&record.arn).is_none() {
            return Err(format!("sns.topics: {:?} is not a topic ARN", record.arn));
        }
        let topic = Topic::new(record.arn.clone(), record.owner, record.fifo, new_queue())
            .with_deleted_count(record.subscriptions_deleted)
            .with_config(
                record.attributes,
                record.tags,
                record.data_protection_policy,
            );
        state.insert_topic(topic);
        for s in record.subscriptions {
            if super::arn::topic_of_subscription(&s.arn) != Some(record.arn.as_str()) {
                return Err(format!(
                    "sns.topics: subscription {:?} is not of topic {:?}",
                    s.arn, record.arn
                ));
            }
            let filter = compile_filter(Api::SetSubscriptionAttributes, &s.attributes)
                .map_err(|e| format!("sns.topics: subscription {}: {e}", s.arn))?;
            state.put_subscription(Arc::new(Subscription {
                arn: s.arn,
                topic_arn: record.arn.clone(),
                owner: s.owner,
                protocol: s.protocol,
                endpoint: s.endpoint,
                attributes: s.attributes,
                pending: s.pending,
                confirmation_authenticated: s.confirmation_authenticated,
                token: s.token,
                filter,
            }));
        }
    }
    Ok(state)
}

/// Where topics and subscriptions are rows of their own in the data directory:
/// `sns/cfg/topic/<topic ARN>` (its attributes, tags and data protection policy) and
/// `sns/cfg/subscription/<subscription ARN>`. A subscription's row names its topic.
pub const ROW_PREFIX: &str = "sns/cfg/";
/// The whole record of data directories written before rows.
pub const WHOLE_KEY: &str = "sns/topics";

/// One row: a topic without its subscriptions, or a subscription with its topic's ARN.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Row {
    Topic(TopicRecord),
    Subscription {
        topic_arn: String,
        subscription: SubscriptionRecord,
    },
}

/// Every row of `topics`, by key.
pub fn rows_of(topics: Vec<TopicRecord>) -> Result<crate::persist::RowMap, serde_json::Error> {
    let mut out = crate::persist::RowMap::new();
    for mut topic in topics {
        let topic_arn = topic.arn.clone();
        for subscription in std::mem::take(&mut topic.subscriptions) {
            let key = format!("{ROW_PREFIX}subscription/{}", subscription.arn);
            let row = Row::Subscription {
                topic_arn: topic_arn.clone(),
                subscription,
            };
            out.insert(key, serde_json::to_vec(&row)?);
        }
        let row = Row::Topic(topic);
        out.insert(
            format!("{ROW_PREFIX}topic/{topic_arn}"),
            serde_json::to_vec(&row)?,
        );
    }
    Ok(out)
}

/// The topics that `rows` (key, value) describe. A subscription whose topic has no row is
/// dropped, as DeleteTopic would have removed it with the topic.
pub fn from_rows(rows: Vec<(&str, &[u8])>) -> Result<Vec<TopicRecord>, String> {
    let mut topics: BTreeMap<String, TopicRecord> = BTreeMap::new();
    let mut subscriptions = Vec::new();
    for (key, bytes) in rows {
        match serde_json::from_slice(bytes).map_err(|e| format!("SNS row {key}: {e}"))? {
            Row::Topic(topic) => {
                topics.insert(topic.arn.clone(), topic);
            }
            Row::Subscription {
                topic_arn,
                subscription,
            } => subscriptions.push((topic_arn, subscription)),
        }
    }
    for (topic_arn, s) in subscriptions {
        if let Some(topic) = topics.get_mut(&topic_arn) {
            topic.subscriptions.push(s);
        }
    }
    Ok(topics.into_values().collect())
}
