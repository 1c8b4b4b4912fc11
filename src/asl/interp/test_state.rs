//! TestState: one state run on its own, with the data after each step of its data flow
//! (`inspectionData`), a mocked Task/Map/Parallel result or error, and AWS's verdict:
//! SUCCEEDED, FAILED, CAUGHT_ERROR (a Catch took the error) or RETRIABLE (a Retry would).
//!
//! The state runs through the executions' own per-state pipeline (`run::plain_state`,
//! `task::run`, the Map's items and limits, `StateEnv`'s data flow and `Assign`), watched by
//! an [`Inspection`] that collects each step and stands in the mock for the work. What is
//! TestState's own: a Map or Parallel does not run its iterations or branches (its result is
//! mocked), and Retry/Catch report what they would do instead of waiting and running again.

use super::callbacks::TaskBoard;
use super::dataflow::{Inspection, StateEnv};
use super::engine::Engine;
use super::failure::catcher_for;
use super::failure::Failure;
use super::history::{text, Recorder};
use super::map::{self, Tolerance};
use super::run::{backoff_seconds, plain_state, retrier_for};
use super::task;
use super::vars::{Staged, Variables};
use crate::asl::ast::{DataPath, MapState, State, StateKind, Transition};
use crate::clock::Clock;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// How much of the data flow the answer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InspectionLevel {
    Info,
    Debug,
    Trace,
}

/// A mocked outcome of the tested state's work.
#[derive(Debug, Clone, PartialEq)]
pub enum Mock {
    Result(Value),
    Error {
        error: Option<String>,
        cause: Option<String>,
    },
}

impl Mock {
    fn into_result(self) -> Result<Value, Failure> {
        match self {
            Mock::Result(v) => Ok(v),
            Mock::Error { error, cause } => Err(Failure {
                error,
                cause,
                from_child: false,
            }),
        }
    }
}

/// Everything a TestState call decided before running the state.
pub struct TestRun {
    pub state: State,
    pub input: Value,
    pub context: Value,
    pub level: InspectionLevel,
    pub mock: Option<Mock>,
    /// `stateConfiguration.retrierRetryCount`: retries already spent.
    pub retry_count: u64,
    /// `stateConfiguration.mapIterationFailureCount`: how many of a Map's iterations failed.
    pub map_iteration_failure_count: Option<u64>,
    /// `variables`: the workflow variables the state sees.
    pub variables: Map<String, Value>,
    pub clock: Clock,
    pub board: Arc<TaskBoard>,
    /// How an unmocked Task reaches the services (TestState calls them, as on AWS).
    pub tasks: Option<super::integrations::TaskCalls>,
}

/// TestState's answer, members in the order AWS writes them; `error`/`cause` only for an
/// error, `output` and `nextState` only where the state produced them.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_state: Option<String>,
    pub status: &'static str,
    /// Each data-flow step's data as JSON text (DEBUG and TRACE only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspection_data: Option<Map<String, Value>>,
}

/// Runs the state and returns TestState's output, or the message of the
/// ValidationException AWS answers when the request contradicts what the state computed.
pub async fn run(t: TestRun) -> Result<TestOutput, String> {
    let watch = Inspection::with_mock(t.mock.clone().map(Mock::into_result));
    let level = t.level;
    let outcome = evaluate(&t, &watch).await;
    let mut inspection = watch.take();
    let mut out = match outcome {
        Outcome::Rejected(message) => return Err(message),
        Outcome::Succeeded { output, next } => TestOutput {
            output: Some(text(&output)),
            next_state: next,
            status: "SUCCEEDED",
            ..TestOutput::default()
        },
        Outcome::Caught {
            output,
            next,
            error,
            cause,
            catch_index,
        } => {
            inspection.insert("errorDetails".into(), json!({"catchIndex": catch_index}));
            TestOutput {
                error,
                cause,
                output: Some(text(&output)),
                next_state: Some(next),
                status: "CAUGHT_ERROR",
                ..TestOutput::default()
            }
        }
        Outcome::Retriable {
            error,
            cause,
            retry_index,
            backoff_seconds,
        } => {
            inspection.insert(
                "errorDetails".into(),
                json!({"retryIndex": retry_index, "retryBackoffIntervalSeconds": backoff_seconds}),
            );
            TestOutput {
                error,
                cause,
                status: "RETRIABLE",
                ..TestOutput::default()
            }
        }
        Outcome::Failed { error, cause } => TestOutput {
            error,
            cause,
            status: "FAILED",
            ..TestOutput::default()
        },
        Outcome::Exhausted {
            error,
            cause,
            retry_index,
        } => {
            inspection.insert("errorDetails".into(), json!({"retryIndex": retry_index}));
            TestOutput {
                error,
                cause,
                status: "FAILED",
                ..TestOutput::default()
            }
        }
    };
    if matches!(t.state.kind, StateKind::Map(_) | StateKind::Parallel(_)) {
        // AWS prints a Map's or Parallel's data with a space after each `,` and `:`
        // (`[1, 4, 9]`, `[{"branch1": "result"}]`), as recorded in conformance/sfn/cases/
        // test_state__test_base_parallel_state_mock_success_*.json and ..._map_*.json.
        if let Some(output) = out.output.as_mut() {
            respace(output);
        }
        for value in inspection.values_mut() {
            if let Value::String(text) = value {
                respace(text);
            }
        }
    }
    if level != InspectionLevel::Info && !inspection.is_empty() {
        out.inspection_data = Some(inspection);
    }
    Ok(out)
}

/// Rewrites JSON text with a space after every `,` and `:` between tokens.
fn respace(text: &mut String) {
    let Ok(parsed) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let mut bytes = Vec::with_capacity(text.len() + 16);
    let mut writer = serde_json::Serializer::with_formatter(&mut bytes, Spaced);
    if serde::Serialize::serialize(&parsed, &mut writer).is_ok() {
        if let Ok(spaced) = String::from_utf8(bytes) {
            *text = spaced;
        }
    }
}

/// serde_json's compact output with `, ` and `: ` separators.
struct Spaced;

impl serde_json::ser::Formatter for Spaced {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }
}

enum Outcome {
    Succeeded {
        output: Value,
        next: Option<String>,
    },
    Caught {
        output: Value,
        next: String,
        error: Option<String>,
        cause: Option<String>,
        catch_index: usize,
    },
    Retriable {
        error: Option<String>,
        cause: Option<String>,
        retry_index: usize,
        backoff_seconds: u64,
    },
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    /// The request does not fit the state (a ValidationException).
    Rejected(String),
    /// Failed after the matching retrier's attempts ran out.
    Exhausted {
        error: Option<String>,
        cause: Option<String>,
        retry_index: usize,
    },
}

impl From<Failure> for Outcome {
    fn from(f: Failure) -> Self {
        Outcome::Failed {
            error: f.error,
            cause: f.cause,
        }
    }
}

fn next_of(state: &State) -> Option<String> {
    match &state.transition {
        Some(Transition::Next(n)) => Some(n.clone()),
        _ => None,
    }
}

/// Runs the state through the shared pipeline under `watch`; the variables it leaves (the
/// given ones plus what it assigned) go to `inspectionData.variables`.
async fn evaluate(t: &TestRun, watch: &Inspection) -> Outcome {
    let state = &t.state;
    let mut vars = Variables::with_values(t.variables.clone());
    let staged = Staged::default();
    let env = StateEnv {
        state,
        context: &t.context,
        vars: &vars,
        staged: &staged,
        clock: &t.clock,
        inspection: Some(watch),
    };
    let raw = t.input.clone();
    watch.put("input", &raw);
    let outcome = match &state.kind {
        StateKind::Task(task_state) => {
            let engine = engine(t);
            let mut cursor = 0;
            let result = task::run(
                &engine,
                &env,
                || t.context.clone(),
                task_state,
                raw.clone(),
                &mut cursor,
                None,
                false,
                None,
            )
            .await;
            settle(t, &env, raw, result)
        }
        StateKind::Map(m) => map_under_test(t, &env, watch, m, raw),
        // AWS shows no InputPath step for a mocked Parallel.
        StateKind::Parallel(_) => {
            let result = mocked(watch).and_then(|r| env.finish_result(raw.clone(), r));
            settle(t, &env, raw, result)
        }
        _ => match plain_state(&env, raw, t.clock.now_millis()).await {
            Ok((output, next)) => Outcome::Succeeded {
                output,
                next: next.or_else(|| next_of(state)),
            },
            Err(f) => f.into(),
        },
    };
    let ended = matches!(outcome, Outcome::Succeeded { .. } | Outcome::Caught { .. });
    // Only a state that got to its output keeps what it assigned, as in an execution.
    if let (true, Some(assigned)) = (ended, staged.take()) {
        if let Err(f) = vars.commit(assigned) {
            return f.into();
        }
    }
    if !vars.map().is_empty() {
        watch.put("variables", &Value::Object(vars.map().clone()));
    }
    outcome
}

/// The state's work when TestState mocks it: a Task's call is replaced inside `task::run`.
fn mocked(watch: &Inspection) -> Result<Value, Failure> {
    match &watch.mock {
        Some(outcome) => outcome.clone(),
        None => Err(Failure::runtime("a mock is required for this state")),
    }
}

/// A Map under TestState: its items and limits worked out as in an execution (and shown),
/// then the mocked result, failed by `mapIterationFailureCount` over a tolerated threshold.
fn map_under_test(
    t: &TestRun,
    env: &StateEnv,
    watch: &Inspection,
    m: &MapState,
    raw: Value,
) -> Outcome {
    let (total, tolerance) = match map_items_and_limits(env, watch, m, &raw) {
        Ok(found) => found,
        Err(f) => return f.into(),
    };
    let failed = t.map_iteration_failure_count;
    if let (Some(failed), Some(total)) = (failed, total) {
        if failed as usize > total {
            return Outcome::Rejected(
                "Map iteration failure count must be less than or equal to the number of Map iterations".into(),
            );
        }
    }
    let mut result = mocked(watch);
    // Failed iterations matter only against a tolerated-failure threshold.
    if let (Some(failed), Ok(_), true) = (failed, &result, tolerance.is_set()) {
        let total = total.unwrap_or(failed as usize);
        if failed > 0 && tolerance.exceeded(failed as usize, total) {
            result = Err(Failure {
                from_child: false,
                ..map::threshold_exceeded()
            });
        }
    }
    let result = result.and_then(|r| env.finish_result(raw.clone(), r));
    settle(t, env, raw, result)
}

/// The Map's item count (`None` when an ItemReader supplies them) and tolerated failures,
/// with `afterItemsPath`, `maxConcurrency` and the tolerated failures shown.
fn map_items_and_limits(
    env: &StateEnv,
    watch: &Inspection,
    m: &MapState,
    raw: &Value,
) -> Result<(Option<usize>, Tolerance), Failure> {
    let effective = env.input(raw)?;
    let total = if env.jsonata() {
        // An ItemReader supplies the items (TestState takes them from its configuration).
        match &m.item_reader {
            Some(_) => None,
            None => Some(map::jsonata_items(env, m, raw)?.len()),
        }
    } else {
        match map::items_path(env, m, &effective)? {
            Value::Array(items) => {
                env.note("afterItemsPath", &Value::Array(items.clone()));
                Some(items.len())
            }
            _ => {
                let path = match &m.items_path {
                    DataPath::Path(p) => p.text().to_string(),
                    DataPath::Discard => "$".into(),
                };
                // AWS quotes a context path with one `$` fewer.
                let path = path
                    .strip_prefix('$')
                    .filter(|p| p.starts_with('$'))
                    .unwrap_or(&path);
                return Err(Failure::runtime(format!(
                    "Reference path \"{path}\" must point to array."
                )));
            }
        }
    };
    let max = map::max_concurrency(env, m, raw, &effective)?.unwrap_or(0);
    let tolerance = Tolerance::of(env, m, raw, &effective)?;
    watch.put_raw("maxConcurrency", max.into());
    if let Some(n) = tolerance.count {
        watch.put_raw("toleratedFailureCount", n.into());
    }
    if let Some(x) = tolerance.percentage {
        watch.put_raw("toleratedFailurePercentage", json!(x));
    }
    Ok((total, tolerance))
}

/// The engine an unmocked Task calls the services through, on a throwaway history.
fn engine(t: &TestRun) -> Arc<Engine> {
    let record = Arc::new(parking_lot::Mutex::new(
        super::ExecutionRecord::without_history(),
    ));
    Arc::new(Engine {
        rec: Recorder::new(record, t.clock.clone()),
        base_context: Arc::new(super::engine::BaseContext::of(&t.context)),
        board: t.board.clone(),
        map_runs: super::map_runs::MapRuns::new(),
        redrive_from: None,
        tasks: t.tasks.clone(),
        restarts: Default::default(),
        task_wait: Default::default(),
        parking: None,
        context: Default::default(),
        shared_arn: Default::default(),
    })
}

/// The verdict on a Task/Map/Parallel's outcome: its output, or what Retry/Catch would do
/// with its failure. A catcher's output (and `Assign`) comes from the shared data flow.
fn settle(t: &TestRun, env: &StateEnv, raw: Value, result: Result<Value, Failure>) -> Outcome {
    let state = env.state;
    let failure = match result {
        Ok(output) => {
            return Outcome::Succeeded {
                output,
                next: next_of(state),
            }
        }
        Err(failure) => failure,
    };
    env.staged.clear();
    let retrier = retrier_for(state, &failure);
    if let Some(i) = retrier {
        let r = &state.retriers()[i];
        if t.retry_count < r.max_attempts {
            let secs = backoff_seconds(r, t.retry_count);
            return Outcome::Retriable {
                error: failure.error,
                cause: failure.cause,
                retry_index: i,
                backoff_seconds: secs.max(0.0) as u64,
            };
        }
    }
    let Some(i) = catcher_for(state, &failure) else {
        return match retrier {
            Some(retry_index) => Outcome::Exhausted {
                error: failure.error,
                cause: failure.cause,
                retry_index,
            },
            None => failure.into(),
        };
    };
    let catcher = &state.catchers()[i];
    match env.finish_caught(catcher, raw, failure.to_object()) {
        Ok(output) => Outcome::Caught {
            output,
            next: catcher.next.clone(),
            error: failure.error,
            cause: failure.cause,
            catch_index: i,
        },
        Err(f) => f.into(),
    }
}
