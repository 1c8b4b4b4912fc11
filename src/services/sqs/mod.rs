//! Amazon SQS: all 23 operations, in memory, behaving like AWS (messages and codes from AWS
//! recordings where they exist). This file is the operation table; each concern has its file.

mod attributes;
mod batch;
mod dead_letter;
mod delete;
mod errors;
mod fifo;
mod md5;
mod message;
mod message_attributes;
mod move_tasks;
mod permissions;
mod purge;
mod queue;
mod queue_url;
mod queues;
mod receipt;
mod receive;
mod send;
mod store;
mod tags;
mod visibility;

#[cfg(test)]
mod tests;

pub use errors::SqsError;

use crate::clock::Clock;
use crate::error::ApiError;
use crate::model::{Violation, ViolationKind};
use crate::request::{Protocol, RequestContext};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use store::{Queue, Store};

pub struct Sqs {
    inner: Arc<Inner>,
}

/// Shared with background move tasks, hence behind an `Arc`.
struct Inner {
    clock: Clock,
    store: Store,
}

impl Sqs {
    pub const OPERATIONS: &'static [&'static str] = &[
        "AddPermission",
        "CancelMessageMoveTask",
        "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch",
        "CreateQueue",
        "DeleteMessage",
        "DeleteMessageBatch",
        "DeleteQueue",
        "GetQueueAttributes",
        "GetQueueUrl",
        "ListDeadLetterSourceQueues",
        "ListMessageMoveTasks",
        "ListQueueTags",
        "ListQueues",
        "PurgeQueue",
        "ReceiveMessage",
        "RemovePermission",
        "SendMessage",
        "SendMessageBatch",
        "SetQueueAttributes",
        "StartMessageMoveTask",
        "TagQueue",
        "UntagQueue",
    ];

    pub fn new(clock: Clock) -> Self {
        Sqs {
            inner: Arc::new(Inner {
                clock,
                store: Store::default(),
            }),
        }
    }

    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, ApiError> {
        let sqs = &self.inner;
        let result = match operation {
            "AddPermission" => permissions::add_permission(sqs, ctx, input),
            "CancelMessageMoveTask" => move_tasks::cancel(sqs, ctx, input),
            "ChangeMessageVisibility" => visibility::change_message_visibility(sqs, ctx, input),
            "ChangeMessageVisibilityBatch" => {
                visibility::change_message_visibility_batch(sqs, ctx, input)
            }
            "CreateQueue" => queues::create_queue(sqs, ctx, input),
            "DeleteMessage" => delete::delete_message(sqs, ctx, input),
            "DeleteMessageBatch" => delete::delete_message_batch(sqs, ctx, input),
            "DeleteQueue" => queues::delete_queue(sqs, ctx, input),
            "GetQueueAttributes" => queues::get_queue_attributes(sqs, ctx, input),
            "GetQueueUrl" => queues::get_queue_url(sqs, ctx, input),
            "ListDeadLetterSourceQueues" => {
                dead_letter::list_dead_letter_source_queues(sqs, ctx, input)
            }
            "ListMessageMoveTasks" => move_tasks::list(sqs, ctx, input),
            "ListQueueTags" => tags::list_queue_tags(sqs, ctx, input),
            "ListQueues" => queues::list_queues(sqs, ctx, input),
            "PurgeQueue" => purge::purge_queue(sqs, ctx, input),
            "ReceiveMessage" => receive::receive_message(sqs, ctx, input).await,
            "RemovePermission" => permissions::remove_permission(sqs, ctx, input),
            "SendMessage" => send::send_message(sqs, ctx, input),
            "SendMessageBatch" => send::send_message_batch(sqs, ctx, input),
            "SetQueueAttributes" => queues::set_queue_attributes(sqs, ctx, input),
            "StartMessageMoveTask" => move_tasks::start(&self.inner, ctx, input),
            "TagQueue" => tags::tag_queue(sqs, ctx, input),
            "UntagQueue" => tags::untag_queue(sqs, ctx, input),
            other => {
                return Err(ApiError::sender(
                    "InvalidAction",
                    format!("The action {other} is not valid for this web service."),
                ))
            }
        };
        result.map_err(ApiError::from)
    }

    /// Wipes every queue and move task (`POST /_stepyard/reset`). Running move tasks notice
    /// their task is gone and stop.
    pub fn reset(&self) {
        self.inner.store.clear();
    }

    /// How SQS words a failure of the generic input validator.
    pub fn validation_error(v: &Violation) -> ApiError {
        let error = match &v.kind {
            ViolationKind::Missing => SqsError::MissingParameter(v.member.clone()),
            _ => {
                let value = match &v.value {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                SqsError::InvalidParameterValue(format!(
                    "Value {value} for parameter {} is invalid.",
                    v.member
                ))
            }
        };
        error.into()
    }
}

impl Inner {
    fn now(&self) -> u64 {
        self.clock.now_millis()
    }

    /// The queue a `QueueUrl` names, or AWS's QueueDoesNotExist.
    fn queue(&self, ctx: &RequestContext, url: &str) -> Result<Arc<Queue>, SqsError> {
        queue_url::parse_queue_url(ctx, url)
            .and_then(|location| self.store.get(&location))
            .ok_or_else(|| not_found(ctx))
    }
}

fn not_found(ctx: &RequestContext) -> SqsError {
    SqsError::QueueDoesNotExist {
        query: ctx.protocol == Protocol::AwsQuery,
    }
}

/// Deserialises an operation's input (already type-checked by the generic validator).
fn parse<T: DeserializeOwned>(input: Value) -> Result<T, SqsError> {
    serde_json::from_value(input)
        .map_err(|e| SqsError::invalid_value(format!("Invalid request: {e}")))
}

/// An empty JSON result.
fn empty() -> Value {
    Value::Object(Default::default())
}
