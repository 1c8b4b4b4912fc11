//! Delivery to an SQS queue through the in-process call path: the JSON envelope as the body,
//! or with RawMessageDelivery the message itself with its attributes as SQS message
//! attributes. FIFO queues get the message group and deduplication ids. A failed send goes to
//! the subscription's dead-letter queue when it has a RedrivePolicy.

use super::super::message::Notification;
use super::super::subscription::Subscription;
use super::queue_message::send_message_input;
use super::{dead_letter, Deliverer};
use crate::request::ServiceId;
use crate::request::{Caller, TraceContext};

/// How a delivery to a queue ended (its trace span says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    DeadLettered,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::DeadLettered => "failed; sent to the dead-letter queue",
            Outcome::Failed => "failed",
        }
    }
}

/// `trace` is the delivery's span, the parent of the SendMessage it makes.
pub async fn deliver(
    d: &Deliverer,
    n: &Notification,
    s: &Subscription,
    message: &str,
    trace: TraceContext,
) -> Outcome {
    let Some(queue) = super::super::arn::sqs_queue(&s.endpoint) else {
        return Outcome::Failed;
    };
    let input = send_message_input(n, s, message, &queue);
    let caller = Caller::caused_by(queue.account.clone(), queue.region.clone(), trace);
    if let Err(error) = d
        .invoker
        .call(ServiceId::Sqs, &caller, "SendMessage", input)
        .await
    {
        tracing::debug!(subscription = %s.arn, %error, "SQS delivery failed");
        if dead_letter::send(d, n, s, message, trace).await {
            return Outcome::DeadLettered;
        }
        return Outcome::Failed;
    }
    Outcome::Delivered
}
