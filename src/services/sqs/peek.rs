//! Looking at a queue's messages without receiving them, for the console: nothing changes (no
//! receipt, no visibility timeout, no receive count), unlike ReceiveMessage, which AWS offers
//! as the only way to see a message.

use super::message::Received;
use super::message_attributes::NameFilter;
use super::queue::Shown;
use super::queue_url::parse_queue_arn;
use super::Sqs;
use serde::Serialize;
use serde_json::{json, Value};

impl Sqs {
    /// The queue an ARN names: its counts and up to `max` messages, oldest first, each as
    /// ReceiveMessage shows it with every attribute (but no receipt handle), plus its state
    /// (`visible`, `inflight`, `delayed`) and, unless visible, when it becomes visible (epoch
    /// ms). `None` when no such queue exists.
    pub fn peek(&self, queue_arn: &str, max: usize) -> Option<Value> {
        let location = parse_queue_arn(queue_arn)?;
        let queue = self.inner.store.get(&location)?;
        let now = self.inner.now();
        let all = ["All".to_string()];
        let state = queue.state.lock();
        let fifo = state.is_fifo();
        let mut counts = (0usize, 0usize, 0usize);
        let mut messages = Vec::new();
        for (message, shown) in state.messages_at(now) {
            let (name, until) = match shown {
                Shown::Visible => {
                    counts.0 += 1;
                    ("visible", None)
                }
                Shown::InFlight { until } => {
                    counts.1 += 1;
                    ("inflight", Some(until))
                }
                Shown::Delayed { until } => {
                    counts.2 += 1;
                    ("delayed", Some(until))
                }
            };
            if messages.len() >= max {
                continue;
            }
            let mut message = message.render(String::new(), &all, &NameFilter::new(&all));
            message.receipt_handle = None;
            messages.push(Peeked {
                message,
                state: name,
                visible_at: until,
            });
        }
        drop(state);
        Some(json!({
            "queueArn": queue.arn,
            "queueName": location.name,
            "fifo": fifo,
            "counts": {"visible": counts.0, "inflight": counts.1, "delayed": counts.2},
            "messages": messages,
        }))
    }

    /// Every (account, region) that holds a queue.
    pub fn occupied_regions(&self) -> Vec<(String, String)> {
        self.inner.store.occupied_regions()
    }
}

/// A message as the console sees it: ReceiveMessage's shape without the receipt handle, then
/// where it stands.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Peeked {
    #[serde(flatten)]
    message: Received,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    visible_at: Option<u64>,
}
