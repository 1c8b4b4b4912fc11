//! Dead-letter queue redrive: StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask.
//!
//! Each task is one tokio task that moves the DLQ's messages one at a time (to DestinationArn,
//! or back to the queue each message came from) until it has moved what was there at the
//! start, then completes. With MaxNumberOfMessagesPerSecond it sleeps between messages through
//! the clock. Task records live in `Store::move_tasks` (one mutex, never held together with a
//! queue lock); the worker re-reads its record before each message, so cancelling or a reset
//! stops it.
//!
//! With `--data-dir` each task is a record `sqs/move/<task id>` (the `MoveTask` as JSON),
//! written when it starts (before StartMessageMoveTask answers), with each message it moves
//! (in the same batch as the message's deletion from the source and its record in the
//! target: one commit, so a crash neither loses nor doubles a message, nor miscounts), and when
//! it ends or is cancelled. A restart brings the tasks back and starts the running ones again.

use super::errors::SqsError;
use super::move_task::{MoveTask, Status};
use super::queue_url::{parse_queue_arn, QueueLocation};
use super::store::Queue;
use super::Inner;
use crate::persist::{Loaded, Op};
use crate::request::RequestContext;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

fn source_missing() -> SqsError {
    SqsError::ResourceNotFound(
        "The resource that you specified for the SourceArn parameter doesn't exist.".into(),
    )
}

fn encode_handle(task_id: &str, source_arn: &str) -> String {
    let doc = json!({"taskId": task_id, "sourceArn": source_arn}).to_string();
    base64::engine::general_purpose::STANDARD.encode(doc)
}

fn decode_handle(handle: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(handle)
        .ok()?;
    let doc: Value = serde_json::from_slice(&bytes).ok()?;
    Some((
        doc.get("taskId")?.as_str()?.to_string(),
        doc.get("sourceArn")?.as_str()?.to_string(),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StartInput {
    source_arn: String,
    destination_arn: Option<String>,
    max_number_of_messages_per_second: Option<i64>,
}

pub fn start(
    sqs: &Arc<Inner>,
    _ctx: &RequestContext,
    input: StartInput,
) -> Result<StartOutput, SqsError> {
    let source_location = parse_queue_arn(&input.source_arn).ok_or_else(source_missing)?;
    let source = sqs.store.get(&source_location).ok_or_else(source_missing)?;
    if let Some(rate) = input
        .max_number_of_messages_per_second
        .filter(|r| !(1..=500).contains(r))
    {
        return Err(SqsError::invalid_parameter(
            rate,
            "MaxNumberOfMessagesPerSecond",
            "You must enter a number that's between 1 and 500.",
        ));
    }
    let is_dead_letter_queue = sqs
        .store
        .list(&source_location.account, &source_location.region)
        .iter()
        .any(|q| {
            q.state
                .lock()
                .attrs()
                .redrive_policy
                .as_ref()
                .is_some_and(|p| p.dead_letter_target_arn == source.arn)
        });
    if !is_dead_letter_queue {
        return Err(SqsError::invalid_value(
            "Source queue must be configured as a Dead Letter Queue.",
        ));
    }
    if source.state.lock().is_fifo() {
        return Err(SqsError::UnsupportedOperation(
            "Message move tasks are not supported for FIFO queues.".into(),
        ));
    }
    if let Some(destination) = &input.destination_arn {
        let exists = parse_queue_arn(destination)
            .and_then(|l| sqs.store.get(&l))
            .is_some();
        if !exists {
            return Err(SqsError::ResourceNotFound(
                "The resource that you specified for the DestinationArn parameter doesn't exist."
                    .into(),
            ));
        }
    }
    let to_move = source.state.lock().counts().visible as u64;
    let task_id = uuid::Uuid::new_v4().to_string();
    let handle = encode_handle(&task_id, &source.arn);
    let task = MoveTask {
        handle: handle.clone(),
        source_arn: source.arn.clone(),
        destination_arn: input.destination_arn.clone(),
        max_per_second: input.max_number_of_messages_per_second,
        status: Status::Running,
        started_ms: sqs.now(),
        moved: 0,
        to_move,
        failure_reason: None,
    };
    {
        let mut tasks = sqs.store.move_tasks();
        if tasks.running_from(&source.arn) {
            return Err(SqsError::invalid_value(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
            ));
        }
        // Submitted under the tasks' lock, so a task's records reach the log in order.
        write(sqs, &task_id, &task);
        tasks.insert(task_id.clone(), task);
    }
    spawn(
        sqs,
        task_id,
        source_location,
        input.destination_arn,
        input.max_number_of_messages_per_second,
    );
    Ok(StartOutput {
        task_handle: handle,
    })
}

fn spawn(
    sqs: &Arc<Inner>,
    task_id: String,
    source: QueueLocation,
    destination: Option<String>,
    rate: Option<i64>,
) {
    let work = sqs
        .clock
        .work(crate::settle::Kind::MoveTask, source.name.as_str());
    tokio::spawn(work.run(run(sqs.clone(), task_id, source, destination, rate)));
}

const RECORD_PREFIX: &str = "sqs/move/";

/// The task's record, as an op (`--data-dir` only).
fn record_op(task_id: &str, task: &MoveTask) -> Op {
    // Plain data: serialising cannot fail.
    let bytes = serde_json::to_vec(task).unwrap_or_default();
    Op::PutResource(format!("{RECORD_PREFIX}{task_id}"), bytes)
}

/// Writes the task's record (`--data-dir` only; call under the tasks' lock).
fn write(sqs: &Inner, task_id: &str, task: &MoveTask) {
    if let Some(durable) = &sqs.durable {
        durable.submit(vec![record_op(task_id, task)]);
    }
}

/// Brings back the move tasks the data directory holds and starts the running ones again
/// (at start; they continue from the count they had).
pub fn restore(sqs: &Arc<Inner>, loaded: &Loaded) -> Result<usize, String> {
    let mut read = Vec::new();
    for (task_id, bytes) in loaded.resources_under(RECORD_PREFIX) {
        let task: MoveTask = serde_json::from_slice(bytes)
            .map_err(|e| format!("the SQS move task record {task_id} does not parse: {e}"))?;
        read.push((task_id.to_string(), task));
    }
    Ok(install(sqs, read, false))
}

/// A move task in the state document (`sqs.move_tasks`): its id and its record.
#[derive(serde::Serialize, Deserialize)]
pub struct DocumentTask {
    pub id: String,
    #[serde(flatten)]
    pub task: MoveTask,
}

/// Every move task, for the state document.
pub fn export(sqs: &Inner) -> Vec<DocumentTask> {
    let mut out: Vec<DocumentTask> = sqs
        .store
        .move_tasks()
        .iter()
        .map(|(id, task)| DocumentTask {
            id: id.clone(),
            task: task.clone(),
        })
        .collect();
    out.sort_by(|a, b| {
        a.task
            .started_ms
            .cmp(&b.task.started_ms)
            .then(a.id.cmp(&b.id))
    });
    out
}

/// Replaces the move tasks with a state document's (written to the data directory, if any)
/// and starts the running ones, which carry on from the count they had.
pub fn import(sqs: &Arc<Inner>, tasks: Vec<DocumentTask>) {
    forget_all(sqs);
    sqs.store.move_tasks().clear();
    install(
        sqs,
        tasks.into_iter().map(|d| (d.id, d.task)).collect(),
        true,
    );
}

/// Puts `read` in the task table (`write`: and in the data directory) and starts the running
/// ones again; how many there are.
fn install(sqs: &Arc<Inner>, read: Vec<(String, MoveTask)>, write_them: bool) -> usize {
    let mut running = Vec::new();
    let mut tasks = sqs.store.move_tasks();
    for (task_id, task) in read {
        if write_them {
            write(sqs, &task_id, &task);
        }
        if task.status == Status::Running {
            if let Some(location) = parse_queue_arn(&task.source_arn) {
                running.push((
                    task_id.to_string(),
                    location,
                    task.destination_arn.clone(),
                    task.max_per_second,
                ));
            }
        }
        tasks.insert(task_id, task);
    }
    let count = tasks.count();
    drop(tasks);
    for (task_id, source, destination, rate) in running {
        spawn(sqs, task_id, source, destination, rate);
    }
    count
}

/// Deletes every move task record (reset, a loaded document).
pub fn forget_all(sqs: &Inner) {
    if let Some(durable) = &sqs.durable {
        durable.submit(vec![Op::DeleteResources(RECORD_PREFIX.to_string())]);
    }
}

/// Marks the task finished unless it was cancelled (or wiped) meanwhile.
fn finish(sqs: &Inner, task_id: &str, status: Status, failure: Option<&str>) {
    if let Some(task) = sqs.store.move_tasks().get_mut(task_id) {
        if task.status == Status::Running {
            task.status = status;
            task.failure_reason = failure.map(str::to_string);
            write(sqs, task_id, task);
        }
    }
}

async fn run(
    sqs: Arc<Inner>,
    task_id: String,
    source: QueueLocation,
    destination: Option<String>,
    rate: Option<i64>,
) {
    const NON_EXISTENT: &str = "AWS.SimpleQueueService.NonExistentQueue";
    loop {
        let done = match sqs.store.move_tasks().get(&task_id) {
            Some(task) if task.status == Status::Running => task.moved >= task.to_move,
            _ => return,
        };
        if done {
            return finish(&sqs, &task_id, Status::Completed, None);
        }
        let Some(source_queue) = sqs.store.get(&source) else {
            return finish(&sqs, &task_id, Status::Failed, Some(NON_EXISTENT));
        };
        let now = sqs.now();
        let (taken, mut carried) = {
            let mut state = source_queue.state.lock();
            state.tick(now);
            let taken = state.take_oldest_visible();
            // With a data directory: its deletion here, written with its record there.
            (taken, state.carry_dead_lettered())
        };
        let Some(mut message) = taken else {
            return finish(&sqs, &task_id, Status::Completed, None);
        };
        let target_arn = destination
            .clone()
            .or_else(|| message.dead_letter_source_arn().map(str::to_string));
        let target: Option<Arc<Queue>> = target_arn
            .as_deref()
            .and_then(parse_queue_arn)
            .and_then(|l| sqs.store.get(&l));
        let Some(target) = target else {
            // Put it back where it was so a failed task loses nothing.
            let mut state = source_queue.state.lock();
            state.carry(carried);
            state.enqueue(message, 0, now);
            return finish(&sqs, &task_id, Status::Failed, Some(NON_EXISTENT));
        };
        message.set_dead_letter_source_arn(None);
        // The count goes up before the target's lock is let go, so its record rides in the
        // same batch as the message (the tasks' lock is taken under a queue lock only here,
        // and nothing takes a queue lock under the tasks' lock: no deadlock).
        let pollers = {
            let mut state = target.state.lock();
            state.tick(now);
            state.enqueue(message, 0, now);
            let mut tasks = sqs.store.move_tasks();
            if let Some(task) = tasks.get_mut(&task_id) {
                task.moved += 1;
                if sqs.durable.is_some() {
                    carried.push(record_op(&task_id, task));
                }
            }
            drop(tasks);
            state.carry(carried);
            state.pollers()
        };
        target.wake_pollers(pollers);
        match rate {
            Some(rate) if rate > 0 => {
                sqs.clock
                    .sleep_until_millis(sqs.now() + 1000 / rate as u64)
                    .await
            }
            _ => tokio::task::yield_now().await,
        }
    }
}

/// A `ListMessageMoveTasksResultEntry`: only a running task shows its handle.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TaskEntry {
    source_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_arn: Option<String>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_handle: Option<String>,
    started_timestamp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_number_of_messages_per_second: Option<i64>,
    approximate_number_of_messages_to_move: u64,
    approximate_number_of_messages_moved: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_reason: Option<String>,
}

fn entry(task: &MoveTask) -> TaskEntry {
    TaskEntry {
        source_arn: task.source_arn.clone(),
        destination_arn: task.destination_arn.clone(),
        status: task.status.as_str(),
        task_handle: (task.status == Status::Running).then(|| task.handle.clone()),
        started_timestamp: task.started_ms,
        max_number_of_messages_per_second: task.max_per_second,
        approximate_number_of_messages_to_move: task.to_move,
        approximate_number_of_messages_moved: task.moved,
        failure_reason: task.failure_reason.clone(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListOutput {
    results: Vec<TaskEntry>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StartOutput {
    task_handle: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CancelOutput {
    approximate_number_of_messages_moved: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListInput {
    source_arn: String,
    max_results: Option<i64>,
}

pub fn list(sqs: &Inner, _ctx: &RequestContext, input: ListInput) -> Result<ListOutput, SqsError> {
    let location = parse_queue_arn(&input.source_arn).ok_or_else(|| {
        SqsError::invalid_value(
            "You must use this format to specify the SourceArn: arn:<partition>:<service>:<region>:<account-id>:<resource-id>",
        )
    })?;
    let source = sqs.store.get(&location).ok_or_else(source_missing)?;
    let max = match input.max_results {
        None => 1,
        Some(n) if (1..=10).contains(&n) => n as usize,
        Some(n) => {
            return Err(SqsError::invalid_parameter(
                n,
                "MaxResults",
                "You must enter a number that's between 1 and 10.",
            ))
        }
    };
    let tasks = sqs.store.move_tasks();
    let results = tasks
        .latest_from(&source.arn, max)
        .into_iter()
        .map(entry)
        .collect();
    Ok(ListOutput { results })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CancelInput {
    task_handle: String,
}

pub fn cancel(
    sqs: &Inner,
    _ctx: &RequestContext,
    input: CancelInput,
) -> Result<CancelOutput, SqsError> {
    let (task_id, source_arn) = decode_handle(&input.task_handle)
        .ok_or_else(|| SqsError::invalid_value("Value for parameter TaskHandle is invalid."))?;
    let location = parse_queue_arn(&source_arn).ok_or_else(source_missing)?;
    sqs.store.get(&location).ok_or_else(source_missing)?;
    let mut tasks = sqs.store.move_tasks();
    let task = tasks
        .get_mut(&task_id)
        .ok_or_else(|| SqsError::ResourceNotFound("Task does not exist.".into()))?;
    if task.status != Status::Running {
        return Err(SqsError::invalid_value(
            "Only active tasks can be cancelled.",
        ));
    }
    task.status = Status::Cancelled;
    write(sqs, &task_id, task);
    Ok(CancelOutput {
        approximate_number_of_messages_moved: task.moved,
    })
}
