//! ChangeMessageVisibility(+Batch). The new timeout counts from now; a message can stay in
//! flight at most 12 hours after it was received; 0 makes it receivable at once.

use super::batch::{for_each_handle, BatchInput, HandleEntry, HandlesOutput};
use super::errors::SqsError;
use super::queue::{VisibilityChanged, VisibilityRefused};
use super::receipt;
use super::store::Queue;
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ChangeInput {
    queue_url: String,
    receipt_handle: String,
    visibility_timeout: Option<i64>,
}

/// One change under the queue lock; returns whether long polls must be woken.
fn change(queue: &Queue, handle: &str, timeout: Option<i64>, now: u64) -> Result<usize, SqsError> {
    let timeout = timeout.ok_or_else(|| SqsError::MissingParameter("VisibilityTimeout".into()))?;
    if !(0..=43_200).contains(&timeout) {
        return Err(SqsError::invalid_parameter(
            timeout,
            "VisibilityTimeout",
            "Must be between 0 and 43200, if provided.",
        ));
    }
    let (id, seq) = receipt::decode(handle, &queue.arn)?;
    let mut state = queue.state.lock();
    state.tick(now);
    match state.change_visibility(id, seq, timeout as u64 * 1000, now) {
        Ok(VisibilityChanged::Changed) => Ok(state.pollers()),
        Ok(VisibilityChanged::AlreadyVisible) => Ok(0),
        Err(VisibilityRefused::NotInFlight) => Err(SqsError::invalid_parameter(
            handle,
            "ReceiptHandle",
            "Message does not exist or is not available for visibility timeout change.",
        )),
        Err(VisibilityRefused::TotalTooLong) => Err(SqsError::invalid_parameter(
            timeout,
            "VisibilityTimeout",
            "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
        )),
    }
}

pub fn change_message_visibility(
    sqs: &Inner,
    ctx: &RequestContext,
    input: ChangeInput,
) -> Result<Empty, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    let pollers = change(
        &queue,
        &input.receipt_handle,
        input.visibility_timeout,
        sqs.now(),
    )?;
    // An earlier deadline (or 0) may come before what long polls sleep towards.
    queue.wake_pollers(pollers);
    Ok(empty())
}

pub fn change_message_visibility_batch(
    sqs: &Inner,
    ctx: &RequestContext,
    input: BatchInput<HandleEntry>,
) -> Result<HandlesOutput, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    let now = sqs.now();
    let mut pollers = 0;
    let out = for_each_handle(
        &input.entries,
        "ChangeMessageVisibilityBatchRequestEntry",
        |entry| {
            pollers = change(&queue, &entry.receipt_handle, entry.visibility_timeout, now)?;
            Ok(())
        },
    )?;
    queue.wake_pollers(pollers);
    Ok(out)
}
