//! TestState: checks the request the way AWS does (which states take a mock, what a mock may
//! hold, the context object) and hands one state to the interpreter's TestState runner.

use super::errors::SfnError;
use super::integrations::ExecutionTasks;
use super::mock_schema;
use super::Inner;
use crate::asl::ast::{State, StateKind};
use crate::asl::interp::test_state::{self, InspectionLevel, Mock, TestOutput, TestRun};
use crate::asl::parse::{parse_definition, parse_state_definition, MachineType};
use crate::request::Caller;
use crate::request::RequestContext;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestStateInput {
    definition: String,
    role_arn: Option<String>,
    input: Option<String>,
    inspection_level: Option<String>,
    #[serde(default)]
    reveal_secrets: bool,
    state_name: Option<String>,
    mock: Option<MockInput>,
    context: Option<String>,
    state_configuration: Option<StateConfiguration>,
    /// JSON text of an object: the workflow variables the state sees.
    variables: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MockInput {
    result: Option<String>,
    error_output: Option<MockError>,
    field_validation_mode: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MockError {
    error: Option<String>,
    cause: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateConfiguration {
    retrier_retry_count: Option<u64>,
    map_iteration_failure_count: Option<u64>,
}

const UNSUPPORTED_FLOW: &str = "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]";

pub async fn test_state(
    sfn: &Inner,
    ctx: &RequestContext,
    input: TestStateInput,
) -> Result<TestOutput, SfnError> {
    let state = tested_state(&input)?;
    let mock = mock(&input, &state)?;
    if matches!(state.kind, StateKind::Task(_)) && mock.is_none() && input.role_arn.is_none() {
        return Err(SfnError::validation(
            "RoleArn must be specified when testing a Task state",
        ));
    }
    // A job or a callback would leave the call waiting for the outside world: AWS's
    // TestState runs those patterns only against a mock.
    if let StateKind::Task(t) = &state.kind {
        let waits = t.resource.contains(".sync") || t.resource.ends_with(".waitForTaskToken");
        if waits && mock.is_none() {
            return Err(SfnError::validation(
                "TestState supports the '.sync' and '.waitForTaskToken' integration patterns only with a mock",
            ));
        }
    }
    let state_input: Value = match &input.input {
        Some(text) => super::json_text::parse(text, super::json_text::INVALID_INPUT)
            .map_err(SfnError::InvalidExecutionInput)?,
        None => json!({}),
    };
    let context = match &input.context {
        Some(text) => given_context(text, &state)?,
        None => default_context(sfn, ctx, &state, &state_input, input.role_arn.as_deref()),
    };
    let level = match input.inspection_level.as_deref() {
        Some("DEBUG") => InspectionLevel::Debug,
        Some("TRACE") => InspectionLevel::Trace,
        _ => InspectionLevel::Info,
    };
    let retry_count = input
        .state_configuration
        .as_ref()
        .and_then(|c| c.retrier_retry_count)
        .unwrap_or(0);
    let variables = match &input.variables {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(vars)) => vars,
            _ => {
                return Err(SfnError::validation(
                    "Invalid variables provided: must be a JSON object",
                ))
            }
        },
        None => serde_json::Map::new(),
    };
    let map_iteration_failure_count = input
        .state_configuration
        .as_ref()
        .and_then(|c| c.map_iteration_failure_count);
    test_state::run(TestRun {
        state,
        input: state_input,
        context,
        level,
        mock,
        retry_count,
        map_iteration_failure_count,
        variables,
        clock: sfn.clock.clone(),
        board: sfn.board.clone(),
        tasks: Some(Arc::new(ExecutionTasks {
            standard: false,
            ..ExecutionTasks::new(sfn.tasks.clone(), Caller::of(ctx))
        })),
    })
    .await
    .map_err(SfnError::validation)
}

/// The state under test: the whole `definition` when it is one state, else `stateName` of
/// the machine it defines.
fn tested_state(input: &TestStateInput) -> Result<State, SfnError> {
    let Some(name) = &input.state_name else {
        return parse_state_definition(&input.definition, MachineType::Standard)
            .map_err(|e| SfnError::InvalidDefinition(e.to_string()));
    };
    let machine = parse_definition(&input.definition)
        .map_err(|e| SfnError::InvalidDefinition(e.to_string()))?;
    find_state(&machine.states, name)
        .ok_or_else(|| SfnError::validation("State not found in definition"))
}

/// A state by name anywhere in the machine, inside Map processors and Parallel branches too.
fn find_state(states: &[State], name: &str) -> Option<State> {
    for state in states {
        if state.name == name {
            return Some(state.clone());
        }
        let nested = match &state.kind {
            StateKind::Map(m) => find_state(&m.item_processor.states, name),
            StateKind::Parallel(p) => p.branches.iter().find_map(|b| find_state(&b.states, name)),
            _ => None,
        };
        if nested.is_some() {
            return nested;
        }
    }
    None
}

fn type_name(state: &State) -> &'static str {
    state.kind.type_name()
}

fn mock(input: &TestStateInput, state: &State) -> Result<Option<Mock>, SfnError> {
    let is_flow = matches!(state.kind, StateKind::Map(_) | StateKind::Parallel(_));
    let Some(m) = &input.mock else {
        if is_flow {
            return Err(SfnError::InvalidDefinition(UNSUPPORTED_FLOW.into()));
        }
        return Ok(None);
    };
    if !matches!(
        state.kind,
        StateKind::Task(_) | StateKind::Map(_) | StateKind::Parallel(_)
    ) {
        return Err(SfnError::validation(format!(
            "State type '{}' is not supported when a mock is specified",
            type_name(state)
        )));
    }
    if input.reveal_secrets {
        return Err(SfnError::validation(
            "TestState does not support RevealSecrets when a mock is specified.",
        ));
    }
    match (&m.result, &m.error_output) {
        (Some(_), Some(_)) | (None, None) => Err(SfnError::validation(
            "A test mock should have only one of the following fields: [result, errorOutput].",
        )),
        (None, Some(e)) => Ok(Some(Mock::Error {
            error: e.error.clone(),
            cause: e.cause.clone(),
        })),
        (Some(text), None) => {
            let value: Value = serde_json::from_str(text)
                .map_err(|_| SfnError::validation("Mocked result must be valid JSON"))?;
            match &state.kind {
                StateKind::Parallel(p) => match &value {
                    Value::Array(items) if items.len() != p.branches.len() => {
                        return Err(SfnError::validation(
                            "Mocked result must contain the same number of items as number of Parallel branches.",
                        ))
                    }
                    Value::Array(_) => {}
                    _ => return Err(SfnError::validation("Mocked result must be an array.")),
                },
                StateKind::Map(m) if m.result_writer.is_some() && !value.is_object() => {
                    return Err(SfnError::validation(
                        "Mocked result must be a JSON object.",
                    ))
                }
                StateKind::Map(m) if m.result_writer.is_none() && !value.is_array() => {
                    return Err(SfnError::validation("Mocked result must be an array."))
                }
                StateKind::Task(t) if m.field_validation_mode.as_deref() != Some("NONE") => {
                    let mode = match m.field_validation_mode.as_deref() {
                        Some("PRESENT") => mock_schema::Mode::Present,
                        _ => mock_schema::Mode::Strict,
                    };
                    mock_schema::check(&t.resource, &value, mode).map_err(SfnError::validation)?
                }
                _ => {}
            }
            Ok(Some(Mock::Result(value)))
        }
    }
}

/// The caller's context object, which may hold `Task` only where a task token exists.
/// The members a mocked context object may have, and their string-typed fields.
const CONTEXT_FIELDS: &[(&str, &[&str])] = &[
    (
        "Execution",
        &[
            "Id",
            "Input",
            "Name",
            "RoleArn",
            "StartTime",
            "RedriveCount",
            "RedriveTime",
        ],
    ),
    ("State", &["Name", "EnteredTime", "RetryCount"]),
    ("StateMachine", &["Id", "Name"]),
    ("Task", &["Token"]),
];

/// AWS's checks of a mocked context object: known members only, `Map` refused, and the
/// identifiers strings.
fn check_context_fields(context: &Value) -> Result<(), SfnError> {
    let invalid = |m: String| SfnError::validation(format!("Invalid Context object provided: {m}"));
    let Value::Object(members) = context else {
        return Err(invalid("the Context object must be a JSON object".into()));
    };
    for (name, value) in members {
        if name == "Map" {
            return Err(invalid(
                "'Map' field is not supported when mocking a Context object".into(),
            ));
        }
        let Some((_, fields)) = CONTEXT_FIELDS.iter().find(|(n, _)| n == name) else {
            return Err(invalid(format!("Field '{name}' is not allowed")));
        };
        let Value::Object(inner) = value else {
            continue;
        };
        for (field, v) in inner {
            if !fields.contains(&field.as_str()) {
                return Err(invalid(format!("Field '{field}' is not allowed")));
            }
            let textual = matches!(field.as_str(), "Id" | "Name" | "RoleArn" | "Token");
            if textual && !v.is_string() {
                return Err(invalid(format!("{name}.{field} must be a string")));
            }
        }
    }
    Ok(())
}

fn given_context(text: &str, state: &State) -> Result<Value, SfnError> {
    let context = super::json_text::parse(text, super::json_text::INVALID_INPUT)
        .map_err(|e| SfnError::validation(format!("Invalid Context object provided: {e}")))?;
    let waits = match &state.kind {
        StateKind::Task(t) => {
            t.resource.contains(".sync") || t.resource.ends_with(".waitForTaskToken")
        }
        _ => false,
    };
    check_context_fields(&context)?;
    if context.get("Task").is_some() && !waits {
        return Err(SfnError::validation(
            "Invalid Context object provided: Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern",
        ));
    }
    Ok(context)
}

fn default_context(
    sfn: &Inner,
    ctx: &RequestContext,
    state: &State,
    input: &Value,
    role_arn: Option<&str>,
) -> Value {
    let now = crate::time::format_millis(sfn.now());
    let machine_arn = super::arn::state_machine(ctx, "TestStateStateMachine");
    // TestState runs the state as an Express execution of a machine of its own.
    let execution_arn = format!(
        "{}:express:TestStateStateMachine:{}",
        super::arn::prefix(ctx),
        uuid::Uuid::new_v4()
    );
    // AWS names the tested state "StateName" in the context, whatever its own name.
    let mut state_ctx = json!({"Name": "StateName", "EnteredTime": now});
    if matches!(
        state.kind,
        StateKind::Task(_) | StateKind::Map(_) | StateKind::Parallel(_)
    ) {
        state_ctx["RetryCount"] = 0.into();
    }
    json!({
        "Execution": {
            "Id": execution_arn,
            "Input": input,
            "Name": execution_arn.rsplit(':').next().unwrap_or_default(),
            "RoleArn": role_arn,
            "StartTime": now,
        },
        "State": state_ctx,
        "StateMachine": {"Id": machine_arn, "Name": "TestStateStateMachine"},
    })
}
