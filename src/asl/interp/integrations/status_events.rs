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
            output: record.output.as_deref().map(str::to_string),
            error: record.error.clone(),
            cause: record.cause.clone(),
            redrive_count: record.redrive_count,
        }
    }
}
