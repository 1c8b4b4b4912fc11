//! RedriveExecution: a FAILED, TIMED_OUT or ABORTED Standard execution continues from the
//! top-level state that did not succeed, with the input that state had, under the same ARN;
//! its history goes on after an `ExecutionRedriven` event. A failed inline Map or Parallel
//! runs again whole (AWS re-runs only its failed iterations or branches).

use super::errors::SfnError;
use super::executions::{find_execution, spec_for_redrive};
use super::runner;
use super::{seconds, Inner};
use crate::asl::interp::Status;
use crate::request::RequestContext;
use serde::Deserialize;
use serde_json::json;

/// AWS's window for redriving an execution after it ended.
const REDRIVABLE_FOR_MS: u64 = 14 * 24 * 3600 * 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RedriveInput {
    execution_arn: String,
}

fn not_redrivable(reason: impl Into<String>) -> SfnError {
    SfnError::ExecutionNotRedrivable(reason.into())
}

pub fn redrive(
    sfn: &Inner,
    ctx: &RequestContext,
    input: RedriveInput,
) -> Result<Redriven, SfnError> {
    let execution = find_execution(sfn, ctx, &input.execution_arn)?;
    let now = sfn.now();
    // The control is held from reopening the record until the new run's control replaces the
    // old one, so that a StopExecution in between stops the new run (and sends its ABORTED
    // event) rather than the old, finished one's control. The same order as StopExecution's
    // (control, then record); nothing below awaits or takes the control again.
    let mut control = execution.control.lock();
    let (resume, redrive_count) = {
        let mut rec = execution.record.lock();
        match rec.status {
            Status::Running | Status::Succeeded => {
                return Err(not_redrivable(format!(
                    "Execution is {} and cannot be redriven",
                    rec.status.as_str()
                )))
            }
            _ => {}
        }
        if rec
            .stop_ms
            .is_some_and(|stop| now.saturating_sub(stop) > REDRIVABLE_FOR_MS)
        {
            return Err(not_redrivable("Execution redrivable period exceeded."));
        }
        let Some(resume) = rec.resume.take().map(|r| *r) else {
            return Err(not_redrivable(
                "Execution has no failed state to redrive from.",
            ));
        };
        rec.redrive_count += 1;
        rec.redrive_ms = Some(now);
        rec.status = Status::Running;
        rec.error = None;
        rec.cause = None;
        rec.stop_ms = None;
        rec.output = None;
        let count = rec.redrive_count;
        let prev = rec.last_event_id();
        rec.push_event(
            prev,
            now,
            "ExecutionRedriven",
            Some((
                "executionRedrivenEventDetails".into(),
                json!({"redriveCount": count}),
            )),
        );
        rec.persist();
        (resume, count)
    };
    let mut spec = spec_for_redrive(sfn, &execution, ctx);
    if let Some(e) = spec.context.get_mut("Execution") {
        e["RedriveCount"] = redrive_count.into();
    }
    *control = runner::redrive(spec, execution.record.clone(), resume);
    drop(control);
    Ok(Redriven {
        redrive_date: seconds(now),
    })
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Redriven {
    redrive_date: f64,
}
