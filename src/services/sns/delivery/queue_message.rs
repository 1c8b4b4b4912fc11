//! What SNS sends to a queue for a notification: the JSON envelope, or with RawMessageDelivery
//! the message itself with its attributes; used for subscribed queues and dead-letter queues.

use super::super::envelope::{self, Addressing};
use super::super::message::Notification;
use super::super::subscription::Subscription;
use crate::services::sqs::queue_url::QueueLocation;
use serde_json::{json, Map, Value};

/// The JSON envelope a subscription receives.
pub fn envelope_for(n: &Notification, s: &Subscription, message: &str) -> String {
    envelope::notification(
        n,
        message,
        &Addressing {
            subscription_arn: &s.arn,
            host: &n.host,
        },
    )
}

/// SendMessage's input for `queue_arn` (account, region and name from the ARN).
pub fn send_message_input(
    n: &Notification,
    s: &Subscription,
    message: &str,
    queue: &QueueLocation,
) -> Value {
    let mut input = Map::new();
    input.insert("QueueUrl".into(), queue.aws_url().into());
    if s.raw() {
        input.insert("MessageBody".into(), message.into());
        if !n.attributes.is_empty() {
            let attributes: Map<String, Value> = n
                .attributes
                .iter()
                .map(|(k, a)| {
                    let mut v = json!({ "DataType": a.data_type });
                    if a.is_binary() {
                        v["BinaryValue"] = a.binary_value.clone().unwrap_or_default().into();
                    } else {
                        v["StringValue"] = a.string_value.clone().unwrap_or_default().into();
                    }
                    (k.clone(), v)
                })
                .collect();
            input.insert("MessageAttributes".into(), Value::Object(attributes));
        }
    } else {
        input.insert("MessageBody".into(), envelope_for(n, s, message).into());
    }
    // A standard topic's group id reaches a standard queue too (standard queues accept one);
    // FIFO queues are only subscribed to FIFO topics, whose messages always have one.
    if let Some(group) = &n.group_id {
        input.insert("MessageGroupId".into(), group.clone().into());
    }
    if queue.name.ends_with(".fifo") {
        if let Some(dedup) = &n.dedup_id {
            input.insert("MessageDeduplicationId".into(), dedup.clone().into());
        }
    }
    if let Some(trace) = &n.trace_header {
        input.insert(
            "MessageSystemAttributes".into(),
            json!({ "AWSTraceHeader": { "DataType": "String", "StringValue": trace } }),
        );
    }
    Value::Object(input)
}
