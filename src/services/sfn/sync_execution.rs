//! StartSyncExecution: runs an Express execution to its end and answers with its outcome.
//! SDKs send it to `sync-<host>`; the gateway routes by `X-Amz-Target`, never by host.

use super::arn;
use super::errors::SfnError;
use super::executions::{
    execution_trace, parse_execution_input, resolve_target, spec_for, split_test_case, StartInput,
};
use super::runner;
use super::{seconds, Inner};
use crate::asl::interp::{ExecutionRecord, Status};
use crate::request::RequestContext;
use parking_lot::Mutex;
use serde::Serialize;
use std::sync::Arc;

/// Express executions are billed in 64 MB and (at least) 100 ms units.
const BILLED_MEMORY_MB: u64 = 64;
const BILLING_UNIT_MS: u64 = 100;

pub async fn start_sync_execution(
    sfn: &Inner,
    ctx: &RequestContext,
    input: StartInput,
) -> Result<SyncOutput, SfnError> {
    if let Some(name) = &input.name {
        arn::check_name(name)?;
    }
    let (input_text, input_value) = parse_execution_input(&input.input)?;
    let (machine_arn, mock_case) = split_test_case(sfn, &input.state_machine_arn)?;
    let target = sfn.region(ctx, |region| resolve_target(region, ctx, &machine_arn))?;
    if target.kind != "EXPRESS" {
        return Err(SfnError::StateMachineTypeNotSupported);
    }
    let name = input
        .name
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let execution_arn = arn::express_execution(
        ctx,
        &target.machine_name,
        &name,
        &uuid::Uuid::new_v4().to_string(),
    );
    let start_ms = sfn.now();
    let mut spec = spec_for(
        sfn,
        &target,
        &execution_arn,
        &name,
        input_value,
        start_ms,
        mock_case,
        execution_trace(ctx, input.trace_header.as_deref()),
    );
    spec.input_text = Some(input_text.clone());
    let record = Arc::new(Mutex::new(ExecutionRecord::without_history()));
    runner::run_sync(spec, record.clone()).await;
    let record = record.lock();
    let stop_ms = record.stop_ms.unwrap_or_else(|| sfn.now());
    // A sync execution ends SUCCEEDED, FAILED or TIMED_OUT; anything else reads as FAILED.
    let status = match record.status {
        Status::Succeeded => "SUCCEEDED",
        Status::TimedOut => "TIMED_OUT",
        _ => "FAILED",
    };
    let billed_ms = stop_ms
        .saturating_sub(start_ms)
        .div_ceil(BILLING_UNIT_MS)
        .max(1)
        * BILLING_UNIT_MS;
    Ok(SyncOutput {
        execution_arn,
        state_machine_arn: target.machine_arn.clone(),
        name,
        start_date: seconds(start_ms),
        stop_date: seconds(stop_ms),
        status,
        input: input_text,
        input_details: Included { included: true },
        billing_details: Billing {
            billed_memory_used_in_mb: BILLED_MEMORY_MB,
            billed_duration_in_milliseconds: billed_ms,
        },
        // AWS sends `outputDetails` even when a failed execution has no output.
        output_details: Included { included: true },
        output: record.output.as_deref().map(str::to_string),
        error: record.error.clone(),
        cause: record.cause.clone(),
        trace_header: input
            .trace_header
            .as_ref()
            .or(ctx.trace_header.as_ref())
            .cloned(),
    })
}

/// StartSyncExecution's output, in AWS's member order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SyncOutput {
    execution_arn: String,
    state_machine_arn: String,
    name: String,
    start_date: f64,
    stop_date: f64,
    status: &'static str,
    input: String,
    input_details: Included,
    billing_details: Billing,
    output_details: Included,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_header: Option<String>,
}

/// `{"included": true}`: the input or output is in the answer, not left out for its size.
#[derive(Serialize)]
pub(super) struct Included {
    included: bool,
}

#[derive(Serialize)]
pub(super) struct Billing {
    #[serde(rename = "billedMemoryUsedInMB")]
    billed_memory_used_in_mb: u64,
    #[serde(rename = "billedDurationInMilliseconds")]
    billed_duration_in_milliseconds: u64,
}
