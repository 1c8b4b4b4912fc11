//! A subscription's RedrivePolicy: a message SNS could not deliver goes to the SQS queue named
//! by `deadLetterTargetArn`, with the body the subscription would have received.

use super::super::message::Notification;
use super::super::subscription::Subscription;
use super::{queue_message, Deliverer};
use crate::request::Caller;
use crate::request::ServiceId;
use crate::services::sqs::queue_url::QueueLocation;
use serde_json::Value;

/// The DLQ of a subscription, if it has a RedrivePolicy naming an SQS queue.
pub fn target(s: &Subscription) -> Option<QueueLocation> {
    let policy: Value = serde_json::from_str(s.attributes.get("RedrivePolicy")?).ok()?;
    super::super::arn::sqs_queue(policy.get("deadLetterTargetArn")?.as_str()?)
}

/// Returns whether the message reached the DLQ.
pub async fn send(
    d: &Deliverer,
    n: &Notification,
    s: &Subscription,
    message: &str,
    trace: crate::request::TraceContext,
) -> bool {
    let Some(queue) = target(s) else {
        return false;
    };
    let input = queue_message::send_message_input(n, s, message, &queue);
    // The dead letter replaces the failed delivery; it does not extend the chain.
    let caller = Caller::new(queue.account.clone(), queue.region.clone()).in_trace(trace);
    match d
        .invoker
        .call(ServiceId::Sqs, &caller, "SendMessage", input)
        .await
    {
        Ok(_) => true,
        Err(error) => {
            tracing::debug!(subscription = %s.arn, %error, "dead-letter delivery failed");
            false
        }
    }
}
