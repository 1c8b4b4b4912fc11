//! StartExecution, DescribeExecution, ListExecutions, StopExecution and
//! DescribeStateMachineForExecution: Standard executions are kept in the store with their live
//! record; Express executions run without being kept (AWS cannot describe them either).

use super::arn::{self, Resource};
use super::configuration::{Logging, Tracing};
use super::errors::SfnError;
use super::integrations::ExecutionTasks;
use super::pagination;
use super::runner::{self, Control};
use super::store::{Execution, Region, Revision};
use super::{seconds, Inner};
use crate::asl::interp::{ExecutionRecord, ExecutionSpec, Status};
use crate::request::Caller;
use crate::request::{RequestContext, TraceContext};
use crate::services::pagination::Listed;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartInput {
    pub state_machine_arn: String,
    pub name: Option<String>,
    pub input: Option<String>,
    pub trace_header: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExecutionArnInput {
    execution_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StopInput {
    execution_arn: String,
    error: Option<String>,
    cause: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListInput {
    state_machine_arn: Option<String>,
    status_filter: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
    map_run_arn: Option<String>,
}

/// What a StartExecution-style call runs: the machine (through a version or an alias, maybe)
/// and the revision it resolves to.
pub struct Target {
    pub machine_name: String,
    pub machine_arn: String,
    pub kind: String,
    pub revision: std::sync::Arc<Revision>,
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
    pub machine_update_ms: Option<u64>,
}

/// Resolves the `stateMachineArn` of a start call: a machine, a version, or an alias (whose
/// version is picked by weight).
pub fn resolve_target(
    region: &Region,
    ctx: &RequestContext,
    machine_arn: &str,
) -> Result<Target, SfnError> {
    let parsed = arn::parse(machine_arn)?;
    let not_found = || SfnError::StateMachineDoesNotExist(machine_arn.to_string());
    let machine_name = match &parsed.resource {
        Resource::StateMachine { name } => name,
        Resource::Version { machine, .. } | Resource::Alias { machine, .. } => machine,
        _ => return Err(SfnError::wrong_resource_type(parsed.type_name())),
    };
    if !parsed.is_local(ctx) {
        return Err(not_found());
    }
    let machine = region.machines().get(machine_name).ok_or_else(not_found)?;
    let (revision, version_arn, alias_arn) = match &parsed.resource {
        Resource::Version { version, .. } => {
            let version = machine.version(*version).ok_or_else(not_found)?;
            (version.revision.clone(), Some(version.arn.clone()), None)
        }
        Resource::Alias { alias, .. } => {
            let alias = machine.aliases().get(alias).ok_or_else(not_found)?;
            let version_arn = pick_route(&alias.routing).ok_or_else(not_found)?;
            let number = version_arn
                .rsplit(':')
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(not_found)?;
            let version = machine.version(number).ok_or_else(not_found)?;
            (
                version.revision.clone(),
                Some(version.arn.clone()),
                Some(alias.arn.clone()),
            )
        }
        _ => (machine.current().clone(), None, None),
    };
    Ok(Target {
        machine_name: machine.name.clone(),
        machine_arn: machine.arn.clone(),
        kind: machine.kind.clone(),
        revision,
        version_arn,
        alias_arn,
        machine_update_ms: machine.update_ms(),
    })
}

/// A weighted random choice among an alias's versions.
fn pick_route(routing: &[(String, u64)]) -> Option<String> {
    let total: u64 = routing.iter().map(|(_, w)| w).sum();
    if total == 0 {
        return routing.first().map(|(arn, _)| arn.clone());
    }
    // A v4 UUID is 122 random bits from the thread RNG: enough for a weight draw without
    // another dependency.
    let mut draw = (uuid::Uuid::new_v4().as_u128() % u128::from(total)) as u64;
    for (arn, weight) in routing {
        if draw < *weight {
            return Some(arn.clone());
        }
        draw -= weight;
    }
    routing.last().map(|(arn, _)| arn.clone())
}

/// The execution input as JSON (default `{}`), or AWS's InvalidExecutionInput.
pub fn parse_execution_input(input: &Option<String>) -> Result<(String, Value), SfnError> {
    let text = input.clone().unwrap_or_else(|| "{}".into());
    let value = super::json_text::parse(&text, super::json_text::INVALID_INPUT)
        .map_err(SfnError::InvalidExecutionInput)?;
    Ok((text, value))
}

/// The interpreter's input for one execution, with the static part of the context object;
/// `trace` (the execution's span, see [`execution_trace`]) places its calls (tasks,
/// status-change events) in their trace and causal chain.
#[allow(clippy::too_many_arguments)]
pub fn spec_for(
    sfn: &Inner,
    target: &Target,
    execution_arn: &str,
    name: &str,
    input: Value,
    start_ms: u64,
    mock_case: Option<String>,
    trace: TraceContext,
) -> ExecutionSpec {
    let mut context = json!({
        "Execution": {
            "Id": execution_arn,
            "Name": name,
            "Input": input,
            "StartTime": crate::time::format_millis(start_ms),
            "RoleArn": target.revision.role_arn,
            "RedriveCount": 0,
        },
        "StateMachine": {
            "Id": target.version_arn.as_deref().unwrap_or(&target.machine_arn),
            "Name": target.machine_name,
        },
    });
    if target.kind == "EXPRESS" {
        // Express executions cannot be redriven, and their context object has no count
        // (as recorded against AWS).
        if let Some(execution) = context["Execution"].as_object_mut() {
            execution.remove("RedriveCount");
        }
    }
    let mut tasks = ExecutionTasks::new(sfn.tasks.clone(), caller_of(execution_arn));
    tasks.caller.trace = trace;
    tasks.standard = target.kind != "EXPRESS";
    if mock_case.is_some() || target.version_arn.is_some() || target.alias_arn.is_some() {
        tasks.rare = Some(Arc::new(super::integrations::Rare {
            mock_case,
            version_arn: target.version_arn.clone(),
            alias_arn: target.alias_arn.clone(),
            ..Default::default()
        }));
    }
    ExecutionSpec {
        tasks: Some(Arc::new(tasks)),
        machine: target.revision.parsed.clone(),
        input,
        input_text: None,
        context,
        clock: sfn.clock.clone(),
        board: sfn.board.clone(),
        map_runs: sfn.map_runs.clone(),
        redrivable: target.kind != "EXPRESS",
    }
}

/// An execution's place in its trace: a span of its own, child of the call that started it
/// (in the trace `trace_header` names, when StartExecution was given one), one hop after it,
/// so a chain of executions, rules and tasks is bounded by `crate::invoke::MAX_HOPS`.
pub fn execution_trace(ctx: &RequestContext, trace_header: Option<&str>) -> TraceContext {
    ctx.trace.adopting(trace_header).child().next_hop()
}

/// The interpreter's input to run a stored (Standard) execution again after a restart: in the
/// trace its X-Ray header names, when it has one.
pub fn spec_for_execution(sfn: &Inner, execution: &Execution) -> ExecutionSpec {
    let trace =
        TraceContext::root(execution.start_ms / 1000).adopting(execution.trace_header.as_deref());
    spec_in_trace(sfn, execution, trace)
}

/// The interpreter's input for RedriveExecution `ctx` of a stored execution: the new run
/// continues the execution's own trace (the one its X-Ray header names), or, for an
/// execution started without one, the trace of the RedriveExecution call.
pub fn spec_for_redrive(sfn: &Inner, execution: &Execution, ctx: &RequestContext) -> ExecutionSpec {
    let trace = execution_trace(ctx, execution.trace_header.as_deref());
    spec_in_trace(sfn, execution, trace)
}

fn spec_in_trace(sfn: &Inner, execution: &Execution, trace: TraceContext) -> ExecutionSpec {
    let target = Target {
        machine_name: execution.machine_name().to_string(),
        machine_arn: execution.machine_arn(),
        kind: "STANDARD".into(),
        revision: execution.revision.clone(),
        version_arn: execution.version_arn.clone(),
        alias_arn: execution.alias_arn.clone(),
        machine_update_ms: execution.machine_update_ms,
    };
    let input = serde_json::from_str(&execution.input).unwrap_or(Value::Null);
    spec_for(
        sfn,
        &target,
        &execution.arn,
        execution.name(),
        input,
        execution.start_ms,
        execution.mock_case.clone(),
        trace,
    )
}

/// Whose resources an execution's Tasks act on: the account and region of its ARN.
fn caller_of(execution_arn: &str) -> Caller {
    crate::arn::Arn::parse(execution_arn).map_or_else(
        || Caller::new("", ""),
        |arn| Caller::new(arn.account, arn.region),
    )
}

/// `<state machine ARN>#<test case>` (Step Functions Local's way to pick a mock test case):
/// the ARN, and the test case, which must be in the mock configuration.
pub fn split_test_case(sfn: &Inner, arn: &str) -> Result<(String, Option<String>), SfnError> {
    let Some((machine_arn, case)) = arn.split_once('#') else {
        return Ok((arn.to_string(), None));
    };
    let machine = machine_arn.rsplit(':').next().unwrap_or_default();
    let known = sfn
        .tasks
        .mocks
        .as_ref()
        .is_some_and(|m| m.has_case(machine, case));
    if !known {
        return Err(SfnError::InvalidArn(format!(
            "Invalid Arn: 'The mock configuration has no test case {case} for state machine {machine}'"
        )));
    }
    Ok((machine_arn.to_string(), Some(case.to_string())))
}

pub fn start(sfn: &Inner, ctx: &RequestContext, input: StartInput) -> Result<Started, SfnError> {
    if let Some(name) = &input.name {
        arn::check_name(name)?;
    }
    let (input_text, input_value) = parse_execution_input(&input.input)?;
    let name = input
        .name
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let now = sfn.now();
    let (machine_arn, mock_case) = split_test_case(sfn, &input.state_machine_arn)?;
    let target = sfn.region(ctx, |region| resolve_target(region, ctx, &machine_arn))?;
    if target.kind == "EXPRESS" {
        let execution_arn = arn::express_execution(
            ctx,
            &target.machine_name,
            &name,
            &uuid::Uuid::new_v4().to_string(),
        );
        let spec = spec_for(
            sfn,
            &target,
            &execution_arn,
            &name,
            input_value,
            now,
            mock_case,
            execution_trace(ctx, input.trace_header.as_deref()),
        );
        // Nobody can describe or stop an Express execution: it runs on its own task and its
        // record is dropped at the end.
        runner::run_detached(
            spec,
            Arc::new(Mutex::new(ExecutionRecord::without_history())),
        );
        return Ok(Started {
            execution_arn,
            start_date: seconds(now),
        });
    }
    let execution_arn = arn::execution(ctx, &target.machine_name, &name);
    let record = Arc::new(Mutex::new(ExecutionRecord::default()));
    let mut spec = spec_for(
        sfn,
        &target,
        &execution_arn,
        &name,
        input_value,
        now,
        mock_case.clone(),
        execution_trace(ctx, input.trace_header.as_deref()),
    );
    spec.input_text = Some(input_text.clone());
    let execution = Arc::new(Execution {
        mock_case,
        arn: execution_arn.clone(),
        version_arn: target.version_arn.clone(),
        alias_arn: target.alias_arn.clone(),
        input: input_text,
        // The X-Ray header of the request when the input names no traceHeader, as AWS does.
        trace_header: input.trace_header.or_else(|| ctx.trace_header.clone()),
        start_ms: now,
        revision: target.revision,
        machine_update_ms: target.machine_update_ms,
        record: record.clone(),
        control: Mutex::new(Control::default()),
    });
    debug_assert_eq!(execution.machine_arn(), target.machine_arn);
    debug_assert_eq!(execution.name(), name);
    let inserted = sfn.region(ctx, |region| {
        if let Some(existing) = region.executions.get(&execution_arn) {
            // Same name and input while it still runs: the original response again.
            let running = existing.record.lock().status == Status::Running;
            if running && existing.input == execution.input {
                return Ok(Some(existing.start_ms));
            }
            return Err(SfnError::ExecutionAlreadyExists(execution_arn.clone()));
        }
        region.executions.insert(execution.clone());
        region
            .executions_by_machine
            .entry(execution.machine_name().to_string())
            .or_default()
            .push(execution.clone());
        Ok(None)
    })?;
    if let Some(start_ms) = inserted {
        return Ok(Started {
            execution_arn,
            start_date: seconds(start_ms),
        });
    }
    if let Some(durable) = &sfn.exec_durable {
        // Committed before the answer (`Sfn::call` waits for what was submitted).
        let mut rec = record.lock();
        rec.sink = Some(super::durable::ExecSink::new(durable.clone(), &execution));
        rec.persist();
    }
    // Started outside the store lock, so the interpreter may call back into the service. A
    // StopExecution that lands between the insert and this line finds an empty `Control`
    // and stops nothing; the window is one `tokio::spawn` wide.
    *execution.control.lock() = runner::start(spec, record);
    Ok(Started {
        execution_arn,
        start_date: seconds(now),
    })
}

/// The Standard execution an execution ARN names, or the matching error.
pub fn find_execution(
    sfn: &Inner,
    ctx: &RequestContext,
    execution_arn: &str,
) -> Result<Arc<Execution>, SfnError> {
    let parsed = arn::parse(execution_arn)?;
    let not_found = || SfnError::ExecutionDoesNotExist(execution_arn.to_string());
    match parsed.resource {
        Resource::Execution { .. } if parsed.is_local(ctx) => sfn
            .region(ctx, |region| region.executions.get(execution_arn).cloned())
            .ok_or_else(not_found),
        Resource::Execution { .. } => Err(not_found()),
        _ => Err(SfnError::wrong_resource_type(parsed.type_name())),
    }
}

/// DescribeExecution's redrive members: only failed-ish executions can be redriven.
/// The redrive members DescribeExecution ends with.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Redrive {
    redrive_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    redrive_date: Option<f64>,
    redrive_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    redrive_status_reason: Option<String>,
}

impl Redrive {
    fn of(record: &ExecutionRecord) -> Self {
        let (redrive_status, redrive_status_reason) = match record.status {
            Status::Running | Status::Succeeded => (
                "NOT_REDRIVABLE",
                Some(format!(
                    "Execution is {} and cannot be redriven",
                    record.status.as_str()
                )),
            ),
            _ => ("REDRIVABLE", None),
        };
        Redrive {
            redrive_count: record.redrive_count,
            redrive_date: record.redrive_ms.map(seconds),
            redrive_status,
            redrive_status_reason,
        }
    }
}

/// `{"included": true}`: the data is in the answer (stepyard never truncates it).
#[derive(Serialize)]
struct Included {
    included: bool,
}

const INCLUDED: Included = Included { included: true };

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExecutionOutput {
    execution_arn: String,
    state_machine_arn: String,
    name: String,
    status: &'static str,
    start_date: f64,
    input: String,
    input_details: Included,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_details: Option<Included>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_header: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_version_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_alias_arn: Option<String>,
    #[serde(flatten)]
    redrive: Redrive,
}

pub fn describe(
    sfn: &Inner,
    ctx: &RequestContext,
    input: ExecutionArnInput,
) -> Result<ExecutionOutput, SfnError> {
    let execution = find_execution(sfn, ctx, &input.execution_arn)?;
    let record = execution.record.lock();
    // A timed-out execution is described without error or cause (recorded against AWS in
    // conformance/sfn/cases/timeouts__test_global_timeout.json); its history still has them.
    let failure =
        |member: &Option<String>| member.clone().filter(|_| record.status != Status::TimedOut);
    Ok(ExecutionOutput {
        execution_arn: execution.arn.clone(),
        state_machine_arn: execution.machine_arn(),
        name: execution.name().to_string(),
        status: record.status.as_str(),
        start_date: seconds(execution.start_ms),
        input: execution.input.clone(),
        input_details: INCLUDED,
        stop_date: record.stop_ms.map(seconds),
        output: record.output.as_deref().map(str::to_string),
        output_details: record.output.as_ref().map(|_| INCLUDED),
        error: failure(&record.error),
        cause: failure(&record.cause),
        trace_header: execution.trace_header.clone(),
        state_machine_version_arn: execution.version_arn.clone(),
        state_machine_alias_arn: execution.alias_arn.clone(),
        redrive: Redrive::of(&record),
    })
}

pub fn list(
    sfn: &Inner,
    ctx: &RequestContext,
    input: ListInput,
) -> Result<Listed<ExecutionItem>, SfnError> {
    if input.map_run_arn.is_some() {
        // Map runs exist (ListMapRuns), but their child executions are not kept as executions.
        return Err(SfnError::validation(
            "stepyard does not list the child executions of a map run yet",
        ));
    }
    let Some(machine_arn) = input.state_machine_arn.clone() else {
        return Err(SfnError::validation(
            "Must provide a StateMachine ARN or MapRun ARN",
        ));
    };
    let parsed = arn::parse(&machine_arn)?;
    let not_found = || SfnError::StateMachineDoesNotExist(machine_arn.clone());
    // Which executions of the machine the ARN selects: all, a version's or an alias's.
    let (machine_name, version_arn, alias_arn) = match &parsed.resource {
        Resource::StateMachine { name } => (name.clone(), None, None),
        Resource::Version { machine, .. } => (machine.clone(), Some(machine_arn.clone()), None),
        Resource::Alias { machine, .. } => (machine.clone(), None, Some(machine_arn.clone())),
        _ => return Err(SfnError::wrong_resource_type(parsed.type_name())),
    };
    if !parsed.is_local(ctx) {
        return Err(not_found());
    }
    let executions = sfn.region(ctx, |region| {
        let machine = region.machines().get(&machine_name).ok_or_else(not_found)?;
        if machine.kind == "EXPRESS" {
            return Err(SfnError::StateMachineTypeNotSupported);
        }
        Ok(region
            .executions_by_machine
            .get(&machine_name)
            .cloned()
            .unwrap_or_default())
    })?;
    let items: Vec<ExecutionItem> = executions
        .iter()
        .rev()
        .filter(|e| version_arn.is_none() || e.version_arn == version_arn)
        .filter(|e| alias_arn.is_none() || e.alias_arn == alias_arn)
        .filter_map(|e| {
            let record = e.record.lock();
            let status = record.status.as_str();
            if input.status_filter.as_deref().is_some_and(|f| f != status) {
                return None;
            }
            Some(ExecutionItem {
                execution_arn: e.arn.clone(),
                state_machine_arn: e.machine_arn(),
                name: e.name().to_string(),
                status,
                start_date: seconds(e.start_ms),
                stop_date: record.stop_ms.map(seconds),
                state_machine_version_arn: e.version_arn.clone(),
                state_machine_alias_arn: e.alias_arn.clone(),
            })
        })
        .collect();
    let listing = format!(
        "executions:{machine_arn}:{}",
        input.status_filter.as_deref().unwrap_or("")
    );
    let (page, next) = pagination::page(
        &items,
        input.max_results,
        input.next_token.as_deref(),
        &listing,
    )?;
    Ok(Listed::new("executions", page, next).token_member("nextToken"))
}

pub fn stop(sfn: &Inner, ctx: &RequestContext, input: StopInput) -> Result<Stopped, SfnError> {
    let execution = find_execution(sfn, ctx, &input.execution_arn)?;
    execution.control.lock().stop(input.error, input.cause);
    let stop_ms = execution.record.lock().stop_ms.unwrap_or_else(|| sfn.now());
    Ok(Stopped {
        stop_date: seconds(stop_ms),
    })
}

/// StartExecution's output (and StartSyncExecution's first members).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    pub execution_arn: String,
    /// Epoch seconds with the milliseconds as a fraction.
    pub start_date: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Stopped {
    stop_date: f64,
}

/// An execution of ListExecutions.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExecutionItem {
    execution_arn: String,
    state_machine_arn: String,
    name: String,
    status: &'static str,
    start_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_version_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_alias_arn: Option<String>,
}

/// What an execution ran, as DescribeStateMachineForExecution shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MachineForExecution {
    state_machine_arn: String,
    name: String,
    definition: String,
    role_arn: String,
    update_date: f64,
    logging_configuration: Logging,
    tracing_configuration: Tracing,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_version_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_alias_arn: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    variable_references: BTreeMap<String, Vec<String>>,
}

pub fn describe_state_machine_for_execution(
    sfn: &Inner,
    ctx: &RequestContext,
    input: ExecutionArnInput,
) -> Result<MachineForExecution, SfnError> {
    let execution = find_execution(sfn, ctx, &input.execution_arn)?;
    let revision = &execution.revision;
    Ok(MachineForExecution {
        state_machine_arn: execution.machine_arn(),
        name: execution.machine_name().to_string(),
        definition: revision.definition.clone(),
        role_arn: revision.role_arn.clone(),
        update_date: seconds(execution.machine_update_ms.unwrap_or(execution.start_ms)),
        logging_configuration: revision.logging.clone(),
        tracing_configuration: revision.tracing.clone(),
        revision_id: revision.revision_id.clone(),
        state_machine_version_arn: execution.version_arn.clone(),
        state_machine_alias_arn: execution.alias_arn.clone(),
        variable_references: crate::asl::var_refs::variable_references(&revision.definition),
    })
}
