//! `states:startExecution.sync` / `.sync:2`: wait for the child execution to end and answer
//! with its description, as AWS does; a parent that stops first stops its child.

use super::services::{epoch_millis, upper_first};
use super::ExecutionTasks;
use crate::asl::interp::Failure;
use crate::clock::Clock;
use crate::request::ServiceId;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// Stops the child `arn` on its own task: its parent's task future was dropped (the parent was
/// stopped, timed out, or its branch was cancelled) while it waited for the child.
pub fn stop(calls: &ExecutionTasks, arn: String) {
    let invoker = calls.services.invoker.clone();
    let caller = calls.caller.clone();
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        let work = invoker
            .clock()
            .map(|c| c.work(crate::settle::Kind::StopChild, arn.as_str()));
        let stop = async move {
            let _ = invoker
                .call(
                    ServiceId::StepFunctions,
                    &caller,
                    "StopExecution",
                    json!({"executionArn": arn}),
                )
                .await;
        };
        match work {
            Some(work) => handle.spawn(work.run(stop)),
            None => handle.spawn(stop),
        };
    }
}

/// Waits for `arn` to leave RUNNING; `Ok` with the description on SUCCEEDED, the failure AWS
/// reports (`States.TaskFailed`, the description as the cause) otherwise. The interpreter
/// stops the child if it stops waiting first.
pub async fn wait(
    calls: &ExecutionTasks,
    clock: &Clock,
    arn: &str,
    output_as_json: bool,
) -> Result<Value, Failure> {
    // The child is an ordinary execution of the service, read through DescribeExecution. The
    // settle registry says when its task ends (with a wake, so this parent is busy again
    // before the child is gone); registering before each read means the end is not missed.
    // Meanwhile the parent is parked: a child parked on a Wait leaves the emulator settled.
    // A re-read each real second stays as a safety net that costs nothing when idle.
    let mut ended = clock.tracker().on_end(arn);
    loop {
        let described = calls
            .services
            .invoker
            .call(
                ServiceId::StepFunctions,
                &calls.caller,
                "DescribeExecution",
                json!({"executionArn": arn}),
            )
            .await
            .map_err(|e| super::errors::optimized(ServiceId::StepFunctions, &e))?;
        let status = described["status"]
            .as_str()
            .unwrap_or("RUNNING")
            .to_string();
        if status != "RUNNING" && status != "PENDING_REDRIVE" {
            let description = description(described, output_as_json);
            if status == "SUCCEEDED" {
                return Ok(description);
            }
            return Err(Failure {
                error: Some("States.TaskFailed".into()),
                cause: Some(description.to_string()),
                from_child: false,
            });
        }
        let recheck = clock.real_deadline(Duration::from_secs(1));
        tokio::select! {
            _wake = crate::settle::parked(&mut ended) => {
                ended = clock.tracker().on_end(arn);
            }
            _ = recheck.sleep() => {}
        }
    }
}

/// DescribeExecution's answer in the PascalCase shape `.sync` returns, dates in epoch millis.
fn description(described: Value, output_as_json: bool) -> Value {
    let Value::Object(o) = described else {
        return described;
    };
    let mut out = Map::new();
    for (k, v) in o {
        let key = upper_first(&k);
        let v = match key.as_str() {
            "StartDate" | "StopDate" | "RedriveDate" => epoch_millis(&v),
            "InputDetails" | "OutputDetails" => match v {
                Value::Object(d) => {
                    Value::Object(d.into_iter().map(|(k, v)| (upper_first(&k), v)).collect())
                }
                other => other,
            },
            // `.sync:2` gives the child's input and output as JSON values, not text.
            "Input" | "Output" if output_as_json => v
                .as_str()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or(v),
            _ => v,
        };
        out.insert(key, v);
    }
    // DescribeExecution leaves these out where they say nothing; `.sync` always has them.
    let status = out
        .get("Status")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    out.entry("RedriveCount").or_insert(json!(0));
    out.entry("RedriveStatus")
        .or_insert(json!("NOT_REDRIVABLE"));
    out.entry("RedriveStatusReason")
        .or_insert_with(|| json!(format!("Execution is {status} and cannot be redriven")));
    Value::Object(out)
}
