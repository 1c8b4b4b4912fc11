//! DeleteMessage(+Batch). Standard queues accept any well-formed handle of the queue (an
//! outdated one succeeds without deleting, as AWS documents); FIFO queues reject a handle whose
//! receive is over with "The receipt handle has expired."

use super::batch::{for_each_handle, BatchInput, HandleEntry, HandlesOutput};
use super::errors::SqsError;
use super::queue::DeleteOutcome;
use super::receipt;
use super::store::Queue;
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use serde::Deserialize;

fn delete(queue: &Queue, handle: &str, now: u64, ctx: &RequestContext) -> Result<(), SqsError> {
    let (id, seq) = receipt::decode(handle, &queue.arn)?;
    let mut state = queue.state.lock();
    state.tick(now);
    let traced = ctx
        .tracer
        .enabled()
        .then(|| state.message(id).map(|m| (m.trace(), m.message_id)))
        .flatten();
    match state.delete(id, seq) {
        DeleteOutcome::Deleted => {
            drop(state);
            if let Some((trace, message_id)) = traced {
                // The delete joins the message's trace, like its receive.
                // Ids kept as their bytes and the queue's ARN shared: nothing is copied.
                ctx.tracer.record_with(|now| {
                    crate::trace::Span::new(&trace.child(), "sqs", "DeleteMessage", now)
                        .resource(crate::trace::calls::shared_name(&queue.arn))
                        .attr_as("messageId", crate::trace::Attr::Uuid(message_id))
                        .attr_as(
                            "deleteRequestTraceId",
                            crate::trace::Attr::trace_id(ctx.trace.id),
                        )
                });
            }
            Ok(())
        }
        DeleteOutcome::Ignored => Ok(()),
        DeleteOutcome::Expired => Err(SqsError::invalid_parameter(
            handle,
            "ReceiptHandle",
            "The receipt handle has expired.",
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteInput {
    queue_url: String,
    receipt_handle: String,
}

pub fn delete_message(
    sqs: &Inner,
    ctx: &RequestContext,
    input: DeleteInput,
) -> Result<Empty, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    delete(&queue, &input.receipt_handle, sqs.now(), ctx)?;
    Ok(empty())
}

pub fn delete_message_batch(
    sqs: &Inner,
    ctx: &RequestContext,
    input: BatchInput<HandleEntry>,
) -> Result<HandlesOutput, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    let now = sqs.now();
    for_each_handle(&input.entries, "DeleteMessageBatchRequestEntry", |entry| {
        delete(&queue, &entry.receipt_handle, now, ctx)
    })
}
