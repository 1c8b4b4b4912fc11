//! ListMapRuns, DescribeMapRun and UpdateMapRun over the map runs that Distributed Map states
//! record (`crate::asl::interp::map_runs`).

use super::errors::SfnError;
use super::executions::find_execution;
use super::pagination;
use super::{empty, seconds, Inner};
use crate::asl::interp::map_runs::{Counts, MapRun};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListInput {
    execution_arn: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DescribeInput {
    map_run_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateInput {
    map_run_arn: String,
    max_concurrency: Option<u64>,
    tolerated_failure_percentage: Option<f64>,
    tolerated_failure_count: Option<u64>,
}

fn not_found(arn: &str) -> SfnError {
    SfnError::ResourceNotFound(format!("Resource not found: '{arn}'"))
}

/// A map run ARN of the caller's account and region (`arn:<partition>:states:<region>:<account>:mapRun:...`).
fn check_map_run_arn(ctx: &RequestContext, arn: &str) -> Result<(), SfnError> {
    let parsed = crate::arn::Arn::parse(arn).filter(|a| a.is("states"));
    let Some((parsed, kind)) = parsed.and_then(|a| Some((a, a.resource.split_once(':')?.0))) else {
        return Err(SfnError::InvalidArn(format!("Invalid ARN prefix: {arn}")));
    };
    if kind != "mapRun" {
        return Err(SfnError::wrong_resource_type(kind));
    }
    if parsed.region != ctx.region || parsed.account != ctx.account_id {
        return Err(not_found(arn));
    }
    Ok(())
}

/// Lets retention forget what is due first (a map run goes with its execution), as every call
/// that reaches the store does.
fn forget_due(sfn: &Inner, ctx: &RequestContext) {
    sfn.region(ctx, |_| ());
}

pub fn list(
    sfn: &Inner,
    ctx: &RequestContext,
    input: ListInput,
) -> Result<Listed<MapRunItem>, SfnError> {
    // The execution must exist (and be the caller's).
    find_execution(sfn, ctx, &input.execution_arn)?;
    let all: Vec<MapRunItem> = sfn
        .map_runs
        .of_execution(&input.execution_arn)
        .into_iter()
        .map(MapRunItem::of)
        .collect();
    let listing = format!("mapRuns {}", input.execution_arn);
    pagination::listed(
        "mapRuns",
        &all,
        input.max_results,
        input.next_token.as_deref(),
        &listing,
    )
}

pub fn describe(
    sfn: &Inner,
    ctx: &RequestContext,
    input: DescribeInput,
) -> Result<MapRunOutput, SfnError> {
    check_map_run_arn(ctx, &input.map_run_arn)?;
    forget_due(sfn, ctx);
    let run = sfn
        .map_runs
        .get(&input.map_run_arn)
        .ok_or_else(|| not_found(&input.map_run_arn))?;
    let out = MapRunOutput::of(&run.lock());
    Ok(out)
}

/// ListMapRuns' entry.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MapRunItem {
    execution_arn: String,
    map_run_arn: String,
    state_machine_arn: String,
    start_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_date: Option<f64>,
}

impl MapRunItem {
    fn of(run: MapRun) -> Self {
        MapRunItem {
            execution_arn: run.execution_arn,
            map_run_arn: run.arn,
            state_machine_arn: run.state_machine_arn,
            start_date: seconds(run.start_ms),
            stop_date: run.stop_ms.map(seconds),
        }
    }
}

/// DescribeMapRun's answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MapRunOutput {
    map_run_arn: String,
    execution_arn: String,
    status: &'static str,
    start_date: f64,
    max_concurrency: u64,
    tolerated_failure_percentage: f64,
    tolerated_failure_count: u64,
    item_counts: CountsOutput,
    execution_counts: CountsOutput,
    redrive_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_date: Option<f64>,
}

impl MapRunOutput {
    fn of(run: &MapRun) -> Self {
        MapRunOutput {
            map_run_arn: run.arn.clone(),
            execution_arn: run.execution_arn.clone(),
            status: run.status,
            start_date: seconds(run.start_ms),
            max_concurrency: run.max_concurrency,
            tolerated_failure_percentage: run.tolerated_failure_percentage,
            tolerated_failure_count: run.tolerated_failure_count,
            item_counts: CountsOutput::of(&run.counts),
            execution_counts: CountsOutput::of(&run.counts),
            // Map runs are not redriven yet.
            redrive_count: 0,
            stop_date: run.stop_ms.map(seconds),
        }
    }
}

/// A map run's item (and child execution) counts; the kinds stepyard does not produce
/// (timed out, results written, redrives) are 0.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CountsOutput {
    pending: u64,
    running: u64,
    succeeded: u64,
    failed: u64,
    timed_out: u64,
    aborted: u64,
    total: u64,
    results_written: u64,
    failures_not_redrivable: u64,
    pending_redrive: u64,
}

impl CountsOutput {
    fn of(counts: &Counts) -> Self {
        CountsOutput {
            pending: counts.pending,
            running: counts.running,
            succeeded: counts.succeeded,
            failed: counts.failed,
            timed_out: 0,
            aborted: counts.aborted,
            total: counts.total,
            results_written: 0,
            failures_not_redrivable: 0,
            pending_redrive: 0,
        }
    }
}

pub fn update(sfn: &Inner, ctx: &RequestContext, input: UpdateInput) -> Result<Empty, SfnError> {
    check_map_run_arn(ctx, &input.map_run_arn)?;
    if input.max_concurrency.is_none()
        && input.tolerated_failure_percentage.is_none()
        && input.tolerated_failure_count.is_none()
    {
        return Err(SfnError::validation(
            "Must provide at least one of maxConcurrency, toleratedFailurePercentage or toleratedFailureCount",
        ));
    }
    if let Some(p) = input.tolerated_failure_percentage {
        if !(0.0..=100.0).contains(&p) {
            return Err(SfnError::validation(
                "toleratedFailurePercentage must be between 0 and 100",
            ));
        }
    }
    forget_due(sfn, ctx);
    let run = sfn
        .map_runs
        .get(&input.map_run_arn)
        .ok_or_else(|| not_found(&input.map_run_arn))?;
    let mut r = run.lock();
    if r.status != "RUNNING" {
        return Err(SfnError::validation(format!(
            "Map run {} is not running",
            input.map_run_arn
        )));
    }
    if let Some(n) = input.max_concurrency {
        r.max_concurrency = n;
    }
    if let Some(p) = input.tolerated_failure_percentage {
        r.tolerated_failure_percentage = p;
    }
    if let Some(n) = input.tolerated_failure_count {
        r.tolerated_failure_count = n;
    }
    // Under the run's lock, as its other writes (`--data-dir`; the answer waits for it).
    sfn.map_runs.persist(&r);
    Ok(empty())
}
