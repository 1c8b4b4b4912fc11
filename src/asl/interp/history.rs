//! Writing history events into the shared record, with AWS's ids and `previousEventId`s.
//!
//! Ids are the position in the history (1-based), assigned under the record's lock, so
//! concurrent Parallel branches and Map iterations interleave without gaps or duplicates.
//! `previousEventId` follows a *cursor* per thread of execution: each state's events chain to
//! the event before them in the same branch/iteration, a branch's first event chains to its
//! `ParallelStateStarted`/`MapIterationStarted`, and some events (`ExecutionStarted`,
//! `MapIterationSucceeded`, `ParallelStateSucceeded` ...) are recorded without moving the
//! cursor, as AWS does (the first state's `...StateEntered` has `previousEventId` 0).

use super::{HistoryEvent, SharedRecord, Status};
use crate::clock::Clock;
use serde_json::{json, Value};

pub(crate) struct Recorder {
    record: SharedRecord,
    clock: Clock,
}

impl Recorder {
    pub fn new(record: SharedRecord, clock: Clock) -> Self {
        Recorder { record, clock }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// How many events the history holds.
    pub fn len(&self) -> usize {
        self.record.lock().last_event_id() as usize
    }

    /// Appends an event chained to `prev` and returns its id. Once the execution has left
    /// RUNNING (stopped by StopExecution while a branch was still finishing a step) the
    /// history is closed: nothing is appended and `prev` comes back unchanged.
    pub fn emit(&self, prev: u64, event_type: &str, details: Option<(&str, Value)>) -> u64 {
        let mut rec = self.record.lock();
        if rec.status != Status::Running {
            return prev;
        }
        let now = self.clock.now_millis();
        rec.push_event(
            prev,
            now,
            event_type,
            details.map(|(k, v)| (k.to_string(), v)),
        )
    }

    /// A copy of the history as kept so far (a restarted Map or Parallel reads where its
    /// branches were; the lock is released before the copy is used).
    pub fn history(&self) -> Vec<super::HistoryEvent> {
        self.record.lock().history.clone()
    }

    /// Where a redrive of this execution would start.
    pub fn set_resume(&self, resume: super::Resume) {
        self.record.lock().resume = Some(Box::new(resume));
    }

    /// A Task's token, kept with a durable execution so it still works after a restart. `at`
    /// is the Task's cursor when it was issued (its entry, or its last attempt's end): an event
    /// of the Task's own run, so concurrent branches' tokens never share it (the data
    /// directory keys tokens by it).
    pub fn note_token(&self, at: u64, token: &str) {
        let rec = self.record.lock();
        if let Some(sink) = &rec.sink {
            sink.token(at, token);
        }
    }

    /// A hold on the log for a Task's call (see `RecordSink::hold`); `None` in memory.
    pub fn hold(&self) -> Option<crate::persist::Hold> {
        self.record.lock().sink.as_ref()?.hold()
    }

    /// Whether events are kept: when not, callers may skip building their details.
    pub fn keeps_history(&self) -> bool {
        self.record.lock().keep_history
    }

    /// `<Type>StateEntered` with the state's raw input.
    pub fn state_entered(&self, prev: u64, type_name: &str, name: &str, input: &Value) -> u64 {
        if !self.keeps_history() {
            return self.emit(prev, "", None);
        }
        self.emit(
            prev,
            &format!("{type_name}StateEntered"),
            Some((
                "stateEnteredEventDetails",
                json!({"name": name, "input": text(input), "inputDetails": {"truncated": false}}),
            )),
        )
    }

    /// `<Type>StateExited` with the state's output and the variables it assigned.
    pub fn state_exited_assigning(
        &self,
        prev: u64,
        type_name: &str,
        name: &str,
        output: &Value,
        assigned: Option<&serde_json::Map<String, Value>>,
    ) -> u64 {
        if !self.keeps_history() {
            return self.emit(prev, "", None);
        }
        let mut details =
            json!({"name": name, "output": text(output), "outputDetails": {"truncated": false}});
        if let (Some(a), Value::Object(d)) = (assigned, &mut details) {
            d.insert("assignedVariables".into(), super::vars::assigned_details(a));
            d.insert(
                "assignedVariablesDetails".into(),
                json!({"truncated": false}),
            );
        }
        self.emit(
            prev,
            &format!("{type_name}StateExited"),
            Some(("stateExitedEventDetails", details)),
        )
    }

    /// `MapIterationStarted/Succeeded/Failed/Aborted` for item `index` of Map state `name`.
    pub fn map_iteration(&self, prev: u64, kind: &str, name: &str, index: usize) -> u64 {
        let key = format!("mapIteration{kind}EventDetails");
        self.emit(
            prev,
            &format!("MapIteration{kind}"),
            Some((key.as_str(), json!({"name": name, "index": index}))),
        )
    }
}

/// The wire form of state data in history details: a JSON document as a string.
pub(crate) fn text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// `{"error": .., "cause": ..}` with the members that are set.
pub(crate) fn error_details(error: Option<&str>, cause: Option<&str>) -> Value {
    let mut d = serde_json::Map::new();
    if let Some(e) = error {
        d.insert("error".into(), Value::from(e));
    }
    if let Some(c) = cause {
        d.insert("cause".into(), Value::from(c));
    }
    Value::Object(d)
}

/// A history event as the data directory and the state document keep it (top-level
/// executions and Distributed Map children alike), so both read and write one shape.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct StoredEvent {
    id: u64,
    prev: u64,
    ms: u64,
    #[serde(rename = "type")]
    kind: String,
    details: Option<(String, Value)>,
}

impl StoredEvent {
    pub fn of(e: &HistoryEvent) -> StoredEvent {
        StoredEvent {
            id: e.id,
            prev: e.previous_event_id,
            ms: e.timestamp_ms,
            kind: e.event_type().to_string(),
            details: e.details().map(|(m, d)| (m.to_string(), d)),
        }
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn into_event(self) -> HistoryEvent {
        HistoryEvent::new(self.id, self.prev, self.ms, &self.kind, self.details)
    }
}
