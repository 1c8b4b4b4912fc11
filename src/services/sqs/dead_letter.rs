//! Dead-letter queues: checking a RedrivePolicy's target, moving messages that passed
//! maxReceiveCount, and ListDeadLetterSourceQueues.

use super::attributes::QueueAttributes;
use super::errors::SqsError;
use super::message::Message;
use super::page::Page;
use super::queue_url::{parse_queue_arn, queue_url};
use super::store::Queue;
use super::Inner;
use crate::request::RequestContext;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The target must be an existing queue of the same type (AWS's messages, double period
/// included).
pub fn check_redrive_target(
    sqs: &Inner,
    attrs: &QueueAttributes,
    input: &Map<String, Value>,
) -> Result<(), SqsError> {
    let (Some(policy), Some(raw)) = (
        &attrs.redrive_policy,
        input.get("RedrivePolicy").and_then(Value::as_str),
    ) else {
        return Ok(());
    };
    let reason = |r: &str| SqsError::invalid_parameter(raw, "RedrivePolicy", r);
    let Some(location) = parse_queue_arn(&policy.dead_letter_target_arn) else {
        return Err(reason("Invalid value for deadLetterTargetArn."));
    };
    if location.name.ends_with(".fifo") != attrs.fifo {
        return Err(reason(
            "Dead-letter queue must be same type of queue as the source..",
        ));
    }
    if sqs.store.get(&location).is_none() {
        return Err(reason("Dead letter target does not exist."));
    }
    Ok(())
}

/// The dead-letter queue a receive on `queue` should move messages to, with maxReceiveCount.
/// Looked up before the source queue is locked (one queue lock at a time, see `store.rs`).
pub fn redrive_target(sqs: &Inner, queue: &Queue) -> Option<(Arc<Queue>, u32)> {
    let policy = queue.state.lock().attrs().redrive_policy.clone()?;
    let location = parse_queue_arn(&policy.dead_letter_target_arn)?;
    Some((sqs.store.get(&location)?, policy.max_receive_count))
}

/// Puts messages taken from `source` into the dead-letter queue, recording where they came
/// from. They keep their MessageId, attributes and receive count. Retention in the DLQ counts
/// from the move (AWS counts from the original enqueue): it keeps each queue's messages in
/// enqueue order, which retention expiry relies on.
pub fn move_to_dead_letter_queue(
    sqs: &Inner,
    tracer: &crate::trace::Tracer,
    source: &Queue,
    dlq: &Queue,
    messages: Vec<Message>,
    carried: Vec<crate::persist::Op>,
) {
    if messages.is_empty() {
        return;
    }
    for message in &messages {
        tracer.record_with(|now| {
            crate::trace::Span::new(
                &message.trace().child(),
                "sqs",
                "MoveToDeadLetterQueue",
                now,
            )
            .resource(dlq.arn.as_str())
            .attr("messageId", message.message_id.to_string())
            .attr("sourceQueueArn", source.arn.as_str())
            .attr("deadLetterQueueArn", dlq.arn.as_str())
            .attr("receiveCount", message.receive_count)
            .attr("reason", "maxReceiveCount exceeded")
        });
    }
    let now = sqs.now();
    let pollers = {
        let mut state = dlq.state.lock();
        state.tick(now);
        // The source's deletions go with these records (one commit; `carry_dead_lettered`).
        state.carry(carried);
        for mut message in messages {
            message.set_dead_letter_source_arn(Some(source.arn.clone()));
            state.enqueue(message, 0, now);
        }
        state.pollers()
    };
    dlq.wake_pollers(pollers);
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListSourcesInput {
    queue_url: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub fn list_dead_letter_source_queues(
    sqs: &Inner,
    ctx: &RequestContext,
    input: ListSourcesInput,
) -> Result<ListSourcesOutput, SqsError> {
    let dlq = sqs.queue(ctx, &input.queue_url)?;
    let page = Page::parse(input.max_results, input.next_token.as_deref())?;
    let names: Vec<String> = sqs
        .store
        .list(&dlq.location.account, &dlq.location.region)
        .iter()
        .filter(|q| {
            q.state
                .lock()
                .attrs()
                .redrive_policy
                .as_ref()
                .is_some_and(|p| p.dead_letter_target_arn == dlq.arn)
        })
        .map(|q| q.location.name.clone())
        .collect();
    let (names, token) = page.apply(names);
    Ok(ListSourcesOutput {
        queue_urls: names
            .iter()
            .map(|n| queue_url(ctx, &dlq.location.account, n))
            .collect(),
        next_token: token,
    })
}

/// `queueUrls` is camel case in AWS's model and always present, even empty.
#[derive(Serialize)]
pub(super) struct ListSourcesOutput {
    #[serde(rename = "queueUrls")]
    queue_urls: Vec<String>,
    #[serde(rename = "NextToken", skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}
