//! Deliveries stepyard does not really send (email, email-json, SMS, Lambda, Firehose, mobile
//! push) and the outcome of HTTP/S deliveries, kept so tests can inspect them
//! (`Sns::deliveries`, `GET /_stepyard/sns/deliveries`). Bounded: the oldest go first.

use super::super::message::Notification;
use super::super::subscription::Subscription;
use parking_lot::Mutex;
use serde::Serialize;
use std::collections::VecDeque;

const KEEP: usize = 10_000;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct RecordedDelivery {
    /// Notification, SubscriptionConfirmation or UnsubscribeConfirmation.
    #[serde(rename = "Type")]
    pub kind: String,
    pub protocol: String,
    pub endpoint: String,
    pub subscription_arn: String,
    pub topic_arn: String,
    pub message_id: Option<String>,
    pub subject: Option<String>,
    /// What the endpoint got: the text, or the JSON envelope for JSON protocols.
    pub body: String,
    /// The confirmation token, for confirmations.
    pub token: Option<String>,
    pub timestamp_ms: u64,
    /// HTTP/S only: how many attempts were made and whether one succeeded.
    pub attempts: Option<u32>,
    pub delivered: bool,
}

impl RecordedDelivery {
    pub fn notification(s: &Subscription, n: &Notification, body: String, now_ms: u64) -> Self {
        RecordedDelivery {
            kind: "Notification".into(),
            protocol: s.protocol.clone(),
            endpoint: s.endpoint.clone(),
            subscription_arn: s.arn.clone(),
            topic_arn: s.topic_arn.clone(),
            message_id: Some(n.message_id.clone()),
            subject: n.subject.clone(),
            body,
            token: None,
            timestamp_ms: now_ms,
            attempts: None,
            delivered: true,
        }
    }

    pub fn confirmation(s: &Subscription, kind: &str, body: String, now_ms: u64) -> Self {
        RecordedDelivery {
            kind: kind.into(),
            protocol: s.protocol.clone(),
            endpoint: s.endpoint.clone(),
            subscription_arn: s.arn.clone(),
            topic_arn: s.topic_arn.clone(),
            message_id: None,
            subject: None,
            body,
            token: Some(s.token.clone()),
            timestamp_ms: now_ms,
            attempts: None,
            delivered: true,
        }
    }
}

#[derive(Default)]
pub struct Recorded {
    items: Mutex<VecDeque<RecordedDelivery>>,
}

impl Recorded {
    pub fn push(&self, delivery: RecordedDelivery) {
        let mut items = self.items.lock();
        if items.len() == KEEP {
            items.pop_front();
        }
        items.push_back(delivery);
    }

    pub fn snapshot(&self) -> Vec<RecordedDelivery> {
        self.items.lock().iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.items.lock().clear();
    }
}
