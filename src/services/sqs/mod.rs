//! Amazon SQS: all 23 operations, in memory, behaving like AWS (messages and codes from AWS
//! recordings where they exist). This file is the operation table; each concern has its file.

mod attributes;
mod batch;
mod dead_letter;
mod delete;
mod durable;
mod errors;
mod fifo;
mod journal;
mod md5;
mod message;
mod message_attributes;
mod move_task;
mod move_tasks;
mod page;
mod peek;
mod permissions;
mod purge;
mod queue;
pub(crate) mod queue_url;
mod queues;
mod receipt;
mod receive;
mod records;
mod send;
mod state_lock;
mod store;
mod tags;
mod visibility;

#[cfg(test)]
mod tests;

pub use errors::SqsError;

use crate::clock::Clock;
use crate::error::ApiError;
use crate::model::{Violation, ViolationKind};
use crate::persist::{Durable, Loaded};
use crate::protocol::Empty;
use crate::request::{Protocol, RequestContext, ServiceId};
use crate::services::handlers::InvalidInput;
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
    /// `--data-dir`: where queue changes are written (`durable.rs`); `None` in memory.
    durable: Option<Arc<Durable>>,
}

/// A checked `sqs` section of a state document.
pub struct SqsState {
    queues: Vec<records::QueueRecord>,
    move_tasks: Vec<move_tasks::DocumentTask>,
}

impl Sqs {
    pub fn new(clock: Clock, durable: Option<Arc<Durable>>) -> Self {
        Sqs {
            inner: Arc::new(Inner {
                clock,
                store: Store::default(),
                durable,
            }),
        }
    }

    /// Calls `operation`'s handler with an input already checked against the model. With a
    /// data directory, answers only once everything written so far is committed: the
    /// handler submitted its records under its queue locks, all of which are released here.
    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<crate::protocol::Output, ApiError> {
        let result = OPERATIONS.call(&self.inner, ctx, operation, input).await;
        if let Some(durable) = &self.inner.durable {
            durable.wait_committed().await;
        }
        result
    }

    /// Resolves once every write so far is on disk.
    pub async fn wait_durable(&self) {
        if let Some(durable) = &self.inner.durable {
            durable.wait_committed().await;
        }
    }

    /// Rebuilds the queues the data directory holds (at start, before serving).
    pub fn restore(&self, loaded: &Loaded) -> Result<usize, String> {
        match &self.inner.durable {
            Some(durable) => {
                let queues = durable::restore(&self.inner.store, loaded, durable)?;
                move_tasks::restore(&self.inner, loaded)?;
                Ok(queues)
            }
            None => Ok(0),
        }
    }

    /// Every queue with its messages, for the state document.
    pub fn export_state(&self) -> Value {
        let mut queues: Vec<Value> = self
            .inner
            .store
            .all()
            .iter()
            .map(|q| durable::export_queue(q))
            .collect();
        queues.sort_by_key(|q| {
            ["account", "region", "name"].map(|k| q[k].as_str().unwrap_or_default().to_string())
        });
        let tasks = move_tasks::export(&self.inner);
        let mut section = serde_json::json!({ "queues": queues });
        if !tasks.is_empty() {
            section["move_tasks"] = serde_json::to_value(tasks).unwrap_or_default();
        }
        section
    }

    /// Checks a state document's `sqs` section; `import_state` then cannot fail.
    pub fn parse_state(section: &Value) -> Result<SqsState, String> {
        let tasks: Vec<move_tasks::DocumentTask> = match section.get("move_tasks") {
            Some(list) => {
                serde_json::from_value(list.clone()).map_err(|e| format!("sqs.move_tasks: {e}"))?
            }
            None => Vec::new(),
        };
        Ok(SqsState {
            queues: Self::parse_queues(section)?,
            move_tasks: tasks,
        })
    }

    fn parse_queues(section: &Value) -> Result<Vec<records::QueueRecord>, String> {
        let queues = section
            .get("queues")
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        let records: Vec<records::QueueRecord> =
            serde_json::from_value(queues).map_err(|e| format!("sqs.queues: {e}"))?;
        for record in &records {
            queue_url::check_location_parts(&record.account, &record.region, &record.name)
                .map_err(|e| format!("sqs.queues: {e}"))?;
        }
        Ok(records)
    }

    /// Replaces every queue and move task with those of a checked state document.
    pub fn import_state(&self, state: SqsState) {
        self.inner.store.clear();
        for mut record in state.queues {
            // Fresh disk keys: a document may repeat an incarnation (copied queues).
            record.incarnation = records::new_incarnation();
            let sequence = durable::max_sequence(&record);
            let queue = durable::build_queue(record, self.inner.durable.as_ref());
            self.inner.store.sequence_at_least(sequence);
            let location = queue.location.clone();
            let (queue, _) = self.inner.store.insert_if_absent(&location, || queue);
            // Dropping the guard writes the imported queue's records.
            drop(queue.state.lock());
        }
        move_tasks::import(&self.inner, state.move_tasks);
    }

    /// Wipes every queue and move task (`POST /_stepyard/reset`). Running move tasks notice
    /// their task is gone and stop.
    pub fn reset(&self) {
        self.inner.store.clear();
        move_tasks::forget_all(&self.inner);
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

crate::services::handlers::operations! {
    /// The operation table: each file with the operations it answers.
    static OPERATIONS: Operations<Inner, SqsError> = ServiceId::Sqs;
    dead_letter: ListDeadLetterSourceQueues = list_dead_letter_source_queues;
    delete: DeleteMessage = delete_message, DeleteMessageBatch = delete_message_batch;
    move_tasks: CancelMessageMoveTask = cancel, ListMessageMoveTasks = list,
        StartMessageMoveTask = start;
    permissions: AddPermission = add_permission, RemovePermission = remove_permission;
    purge: PurgeQueue = purge_queue;
    queues: CreateQueue = create_queue, DeleteQueue = delete_queue,
        GetQueueAttributes = get_queue_attributes, GetQueueUrl = get_queue_url,
        ListQueues = list_queues, SetQueueAttributes = set_queue_attributes;
    receive: ReceiveMessage = receive_message.await;
    send: SendMessage = send_message, SendMessageBatch = send_message_batch;
    tags: ListQueueTags = list_queue_tags, TagQueue = tag_queue, UntagQueue = untag_queue;
    visibility: ChangeMessageVisibility = change_message_visibility,
        ChangeMessageVisibilityBatch = change_message_visibility_batch;
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

/// An input the generic validator let through that does not deserialise into the handler's
/// input struct.
impl InvalidInput for SqsError {
    fn invalid_input(error: serde_json::Error) -> Self {
        SqsError::invalid_value(format!("Invalid request: {error}"))
    }
}

/// The output of an operation that answers nothing (`{}`; an empty result element in XML).
fn empty() -> Empty {
    Empty {}
}
