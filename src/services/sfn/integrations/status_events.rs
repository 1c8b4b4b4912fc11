//! "Step Functions Execution Status Change" events: a Standard execution tells the default
//! event bus of its account when it starts and when it ends, so that rules on
//! `source: aws.states` fire (as on AWS; Express executions send none).

use super::ExecutionTasks;
use crate::asl::interp::integrations::status_events::Snapshot;
use crate::asl::interp::Status;
use crate::request::ServiceId;
use crate::trace::{Attr, Span};
use serde_json::{json, Value};

fn redrive_status(status: Status) -> (&'static str, Option<String>) {
    match status {
        Status::Running | Status::Succeeded => (
            "NOT_REDRIVABLE",
            Some(format!(
                "Execution is {} and cannot be redriven",
                status.as_str()
            )),
        ),
        _ => ("REDRIVABLE", None),
    }
}

/// Puts the event on the default bus, in order with the execution's other events (the caller
/// awaits it). A failure to deliver never affects the execution.
pub async fn send(calls: &ExecutionTasks, s: Snapshot) {
    let entry = entry(calls, &s);
    trace_execution(calls, s);
    if let Some(entry) = entry {
        let caller = calls.caller.as_aws_service();
        let _ = calls
            .services
            .invoker
            .call(
                ServiceId::Events,
                &caller,
                "PutEvents",
                json!({"Entries": [entry]}),
            )
            .await;
    }
}

/// As `send`, from code that cannot wait (StopExecution).
pub fn send_detached(calls: &ExecutionTasks, s: Snapshot) {
    let calls = calls.clone();
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        let work = calls
            .services
            .invoker
            .clock()
            .map(|c| c.work(crate::settle::Kind::StatusEvent, s.execution_arn.clone()));
        let send = async move { send(&calls, s).await };
        match work {
            Some(work) => handle.spawn(work.run(send)),
            None => handle.spawn(send),
        };
    }
}

fn entry(calls: &ExecutionTasks, s: &Snapshot) -> Option<Value> {
    if !calls.standard {
        return None;
    }
    let (redrive, reason) = redrive_status(s.status);
    let detail = json!({
        "executionArn": s.execution_arn,
        "stateMachineArn": s.state_machine_arn,
        "name": s.name,
        "status": s.status.as_str(),
        "startDate": s.start_ms,
        "stopDate": s.stop_ms,
        "input": s.input,
        "output": s.output,
        "stateMachineVersionArn": calls.version_arn(),
        "stateMachineAliasArn": calls.alias_arn(),
        "redriveDate": null,
        "inputDetails": {"included": true},
        "outputDetails": s.output.as_ref().map(|_| json!({"included": true})),
        "error": s.error,
        "cause": s.cause,
        "redriveCount": s.redrive_count,
        "redriveStatus": redrive,
        "redriveStatusReason": reason,
    });
    Some(json!({
        "Source": "aws.states",
        "DetailType": "Step Functions Execution Status Change",
        "Detail": detail.to_string(),
        "Resources": [s.execution_arn],
    }))
}

/// Once the execution has ended, records its span (from start to stop), the snapshot's texts
/// moved into it. Its states' spans are recorded by the state loop as each state runs
/// (`asl::interp::run`).
fn trace_execution(calls: &ExecutionTasks, s: Snapshot) {
    let tracer = calls.services.invoker.tracer();
    if !tracer.enabled() || s.status == Status::Running {
        return;
    }
    let trace = calls.caller.trace;
    let stop_ms = s.stop_ms.unwrap_or(s.start_ms);
    let failed = matches!(
        s.status,
        Status::Failed | Status::TimedOut | Status::Aborted
    );
    let arn: std::sync::Arc<str> = std::sync::Arc::from(s.execution_arn);
    let mut span = Span::new(&trace, "states", "Execution", stop_ms * 1000)
        .started(s.start_ms * 1000)
        .resource(&arn)
        .error(failed)
        .attr("stateMachineArn", s.state_machine_arn)
        .attr_as("executionArn", Attr::Text(arn))
        .attr_as("status", Attr::Static(s.status.as_str()))
        .attr("input", s.input);
    if let Some(output) = s.output {
        span = span.attr("output", output);
    }
    if let Some(error) = s.error {
        span = span.attr("error", error);
    }
    if let Some(cause) = s.cause {
        span = span.attr("cause", cause);
    }
    tracer.record(span);
}
