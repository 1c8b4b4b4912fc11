//! `states:startExecution.sync` / `.sync:2`: wait for the child execution to end and answer
//! with its description, as AWS does; a parent that stops first stops its child.

use super::services::{epoch_millis, upper_first};
use super::TaskCalls;
use crate::asl::interp::failure::Failure;
use crate::clock::Clock;
use crate::invoke::{Caller, Invoker};
use crate::services::ServiceId;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// Stops the child when dropped armed: the parent's task future is dropped when the parent is
/// stopped, times out, or its branch is cancelled.
pub struct StopChild {
    invoker: Invoker,
    caller: Caller,
    arn: Option<String>,
}

impl Drop for StopChild {
    fn drop(&mut self) {
        let Some(arn) = self.arn.take() else { return };
        let invoker = self.invoker.clone();
        let caller = self.caller.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = invoker
                    .call(
                        ServiceId::StepFunctions,
                        &caller,
                        "StopExecution",
                        json!({"executionArn": arn}),
                    )
                    .await;
            });
        }
    }
}

/// Waits for `arn` to leave RUNNING; `Ok` with the description on SUCCEEDED, the failure AWS
/// reports (`States.TaskFailed`, the description as the cause) otherwise.
impl StopChild {
    pub fn new(calls: &TaskCalls, arn: &str) -> Self {
        StopChild {
            invoker: calls.services.invoker.clone(),
            caller: calls.caller.clone(),
            arn: Some(arn.to_string()),
        }
    }

    /// The child is left to run on (or has ended): dropping the guard does nothing.
    pub fn disarm(&mut self) {
        self.arn = None;
    }
}

/// The caller holds a [`StopChild`] for `arn` while it waits.
pub async fn wait(
    calls: &TaskCalls,
    clock: &Clock,
    arn: &str,
    output_as_json: bool,
) -> Result<Value, Failure> {
    // Polled, not notified: the child is an ordinary execution of the service. The interval
    // grows so that a quick child is seen quickly and a long one costs little.
    let mut interval = Duration::from_millis(2);
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
        clock.sleep(interval).await;
        interval = (interval * 2).min(Duration::from_millis(100));
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
