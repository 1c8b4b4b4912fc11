//! What an execution reports when its status changes (it starts, ends, is stopped): a
//! snapshot of its record, which the [`TaskRunner`](super::TaskRunner) turns into AWS's
//! "Step Functions Execution Status Change" event.

use crate::asl::interp::{ExecutionRecord, Status};
use serde_json::Value;

/// What the event says about the execution; read from the context object and the record.
pub struct Snapshot {
    pub status: Status,
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub start_ms: u64,
    pub stop_ms: Option<u64>,
    pub input: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub redrive_count: u64,
    /// The states the execution entered, read from its history once it has ended (empty
    /// while it runs, and for executions that keep no history): what its trace shows.
    pub states: Vec<StateVisit>,
}

/// One state entered during an execution, from its `...StateEntered`/`...StateExited`
/// events and the failure events between them.
#[derive(Debug, Clone, Default)]
pub struct StateVisit {
    pub name: String,
    /// `Task`, `Pass`, `Choice` ...
    pub state_type: String,
    pub entered_ms: u64,
    pub exited_ms: Option<u64>,
    pub input: Option<String>,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// The state visits in a history, in the order they were entered.
pub fn state_visits(record: &ExecutionRecord) -> Vec<StateVisit> {
    let mut visits: Vec<StateVisit> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for event in &record.history {
        let details = event.details().map(|(_, d)| d);
        let details = details.as_ref();
        let text = |key: &str| {
            details
                .and_then(|d| d.get(key))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        if let Some(state_type) = event.event_type.strip_suffix("StateEntered") {
            open.push(visits.len());
            visits.push(StateVisit {
                name: text("name").unwrap_or_default(),
                state_type: state_type.to_string(),
                entered_ms: event.timestamp_ms,
                input: text("input"),
                ..StateVisit::default()
            });
        } else if event.event_type.ends_with("StateExited") {
            let name = text("name").unwrap_or_default();
            if let Some(pos) = open.iter().rposition(|&i| visits[i].name == name) {
                let i = open.remove(pos);
                visits[i].exited_ms = Some(event.timestamp_ms);
                visits[i].output = text("output");
            }
        } else if event.event_type.ends_with("Failed") || event.event_type.ends_with("TimedOut") {
            if let Some(&i) = open.last() {
                if visits[i].error.is_none() {
                    visits[i].error = text("error");
                    visits[i].cause = text("cause");
                }
            }
        }
    }
    visits
}

impl Snapshot {
    pub fn of(context: &Value, record: &ExecutionRecord, start_ms: u64) -> Snapshot {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        Snapshot {
            status: record.status,
            execution_arn: text(&context["Execution"]["Id"]),
            state_machine_arn: text(&context["StateMachine"]["Id"]),
            name: text(&context["Execution"]["Name"]),
            start_ms,
            stop_ms: record.stop_ms,
            input: context["Execution"]["Input"].to_string(),
            output: record.output.as_ref().map(Value::to_string),
            error: record.error.clone(),
            cause: record.cause.clone(),
            redrive_count: record.redrive_count,
            states: if record.status == Status::Running {
                Vec::new()
            } else {
                state_visits(record)
            },
        }
    }
}
