//! TestState: one state run on its own, with the data after each step of its data flow
//! (`inspectionData`), a mocked Task/Map/Parallel result or error, and AWS's verdict:
//! SUCCEEDED, FAILED, CAUGHT_ERROR (a Catch took the error) or RETRIABLE (a Retry would).
//! JSONata states run through the interpreter's data flow (`evaluate_jsonata`).

use super::callbacks::TaskBoard;
use super::choice;
use super::dataflow::StateEnv;
use super::dataflow::{self, input_path, output_path, template};
use super::failure::{error_matches, Failure};
use super::history::{text, Recorder};
use super::map::{exceeds, jsonata_items};
use super::run::{backoff_seconds, choice_holds, fail_state, fail_state_in, Engine};
use super::task;
use super::vars::{Staged, Variables};
use crate::asl::ast::{DataPath, Dynamic, QueryLanguage, State, StateKind, Transition};
use crate::asl::jsonpath::{self, Scope};
use crate::clock::Clock;
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

/// Runs the state and returns TestState's output members, or the message of the
/// ValidationException AWS answers when the request contradicts what the state computed.
pub async fn run(t: TestRun) -> Result<Value, String> {
    let mut inspection = Map::new();
    let level = t.level;
    let outcome = evaluate(&t, &mut inspection).await;
    let mut out = Map::new();
    match outcome {
        Outcome::Rejected(message) => return Err(message),
        Outcome::Succeeded { output, next } => {
            out.insert("output".into(), text(&output).into());
            if let Some(next) = next {
                out.insert("nextState".into(), next.into());
            }
            out.insert("status".into(), "SUCCEEDED".into());
        }
        Outcome::Caught {
            output,
            next,
            error,
            cause,
            catch_index,
        } => {
            set_error(&mut out, &error, &cause);
            out.insert("output".into(), text(&output).into());
            out.insert("nextState".into(), next.into());
            out.insert("status".into(), "CAUGHT_ERROR".into());
            inspection.insert("errorDetails".into(), json!({"catchIndex": catch_index}));
        }
        Outcome::Retriable {
            error,
            cause,
            retry_index,
            backoff_seconds,
        } => {
            set_error(&mut out, &error, &cause);
            out.insert("status".into(), "RETRIABLE".into());
            inspection.insert(
                "errorDetails".into(),
                json!({"retryIndex": retry_index, "retryBackoffIntervalSeconds": backoff_seconds}),
            );
        }
        Outcome::Failed { error, cause } => {
            set_error(&mut out, &error, &cause);
            out.insert("status".into(), "FAILED".into());
        }
        Outcome::Exhausted {
            error,
            cause,
            retry_index,
        } => {
            set_error(&mut out, &error, &cause);
            out.insert("status".into(), "FAILED".into());
            inspection.insert("errorDetails".into(), json!({"retryIndex": retry_index}));
        }
    }
    if matches!(t.state.kind, StateKind::Map(_) | StateKind::Parallel(_)) {
        // AWS prints a Map's or Parallel's data with a space after each `,` and `:`
        // (`[1, 4, 9]`, `[{"branch1": "result"}]`), as recorded in conformance/sfn/cases/
        // test_state__test_base_parallel_state_mock_success_*.json and ..._map_*.json.
        for value in std::iter::once(out.get_mut("output"))
            .flatten()
            .chain(inspection.values_mut())
        {
            respace(value);
        }
    }
    if level != InspectionLevel::Info && !inspection.is_empty() {
        out.insert("inspectionData".into(), Value::Object(inspection));
    }
    Ok(Value::Object(out))
}

/// Rewrites JSON text with a space after every `,` and `:` between tokens.
fn respace(value: &mut Value) {
    let Value::String(text) = value else {
        return;
    };
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

fn set_error(out: &mut Map<String, Value>, error: &Option<String>, cause: &Option<String>) {
    if let Some(e) = error {
        out.insert("error".into(), e.clone().into());
    }
    if let Some(c) = cause {
        out.insert("cause".into(), c.clone().into());
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

fn put(inspection: &mut Map<String, Value>, key: &str, v: &Value) {
    inspection.insert(key.into(), text(v).into());
}

async fn evaluate(t: &TestRun, inspection: &mut Map<String, Value>) -> Outcome {
    let state = &t.state;
    if state.query_language == QueryLanguage::Jsonata {
        return evaluate_jsonata(t, inspection).await;
    }
    let ctx = &t.context;
    let raw = t.input.clone();
    put(inspection, "input", &raw);
    let effective = match &state.kind {
        // AWS shows no InputPath step for a mocked Parallel.
        StateKind::Parallel(_) => match input_path(state, &raw, ctx) {
            Ok(v) => v,
            Err(f) => return f.into(),
        },
        _ => match input_path(state, &raw, ctx) {
            Ok(v) => {
                put(inspection, "afterInputPath", &v);
                v
            }
            Err(f) => return f.into(),
        },
    };
    let done = |v: Result<Value, Failure>, next: Option<String>| match v {
        Ok(output) => Outcome::Succeeded { output, next },
        Err(f) => f.into(),
    };
    match &state.kind {
        StateKind::Pass(p) => {
            // With a Result, TestState reports (and AWS uses) the Result alone, with no
            // InputPath or Parameters step.
            let result = match (&p.result, &p.parameters) {
                (Some(r), _) => {
                    inspection.remove("afterInputPath");
                    put(inspection, "result", r);
                    r.clone()
                }
                (None, Some(tpl)) => match template(tpl, &effective, ctx) {
                    Ok(v) => {
                        put(inspection, "afterParameters", &v);
                        v
                    }
                    Err(f) => return f.into(),
                },
                (None, None) => {
                    put(inspection, "afterParameters", &effective);
                    effective.clone()
                }
            };
            put(inspection, "afterResultSelector", &result);
            let out = match dataflow::result_path(&p.result_path, raw, result) {
                Ok(v) => v,
                Err(f) => return f.into(),
            };
            put(inspection, "afterResultPath", &out);
            done(output_path(state, out, ctx), next_of(state))
        }
        StateKind::Choice(c) => {
            let scope = Scope::new(&effective, ctx);
            let mut chosen = None;
            for rule in &c.choices {
                match choice::holds(&rule.condition, &scope) {
                    Ok(true) => {
                        chosen = Some(rule.next.clone());
                        break;
                    }
                    Ok(false) => {}
                    Err(f) => return Failure::from(f).into(),
                }
            }
            match chosen.or_else(|| c.default.clone()) {
                Some(next) => done(output_path(state, effective, ctx), Some(next)),
                None => Outcome::Failed {
                    error: Some("States.NoChoiceMatched".into()),
                    cause: Some(format!(
                        "No Matches! at state '{}' for input {}",
                        state.name,
                        text(&effective)
                    )),
                },
            }
        }
        // TestState does not wait: it reports what the state would pass on.
        StateKind::Wait(_) | StateKind::Succeed => {
            done(output_path(state, effective, ctx), next_of(state))
        }
        StateKind::Fail(f) => match fail_state(f, &raw, ctx) {
            Ok(f) | Err(f) => f.into(),
        },
        StateKind::Task(task_state) => {
            let parameters = match &task_state.parameters {
                Some(p) => match template(p, &effective, ctx) {
                    Ok(v) => v,
                    Err(f) => return f.into(),
                },
                None => effective.clone(),
            };
            put(inspection, "afterParameters", &parameters);
            let result = match &t.mock {
                Some(Mock::Result(v)) => Ok(v.clone()),
                Some(Mock::Error { error, cause }) => Err(Failure {
                    error: error.clone(),
                    cause: cause.clone(),
                    from_child: false,
                }),
                None => call_task(t, task_state, raw.clone()).await,
            };
            finish(t, state, raw, result, inspection, true)
        }
        StateKind::Map(m) => {
            let scope = Scope::new(&effective, ctx);
            let items = match &m.items_path {
                DataPath::Discard => Ok(effective.clone()),
                DataPath::Path(p) => jsonpath::select(p, &scope).map_err(Failure::from),
            };
            match items {
                Ok(items @ Value::Array(_)) => put(inspection, "afterItemsPath", &items),
                Ok(_) => {
                    let path = match &m.items_path {
                        DataPath::Path(p) => p.clone(),
                        DataPath::Discard => "$".into(),
                    };
                    // AWS quotes a context path with one `$` fewer.
                    let path = path
                        .strip_prefix('$')
                        .filter(|p| p.starts_with('$'))
                        .unwrap_or(&path);
                    return Failure::runtime(format!(
                        "Reference path \"{path}\" must point to array."
                    ))
                    .into();
                }
                Err(f) => return f.into(),
            }
            if let Some(crate::asl::ast::Dynamic::Literal(n)) = &m.max_concurrency {
                inspection.insert("maxConcurrency".into(), (*n).into());
            } else {
                inspection.insert("maxConcurrency".into(), 0.into());
            }
            if let Some(crate::asl::ast::Dynamic::Literal(n)) = &m.tolerated_failure_count {
                inspection.insert("toleratedFailureCount".into(), (*n).into());
            }
            if let Some(crate::asl::ast::Dynamic::Literal(n)) = &m.tolerated_failure_percentage {
                inspection.insert("toleratedFailurePercentage".into(), (*n).into());
            }
            let result = mocked(&t.mock);
            finish(t, state, raw, result, inspection, false)
        }
        StateKind::Parallel(_) => {
            let result = mocked(&t.mock);
            finish(t, state, raw, result, inspection, false)
        }
    }
}

fn mocked(mock: &Option<Mock>) -> Result<Value, Failure> {
    match mock {
        Some(Mock::Result(v)) => Ok(v.clone()),
        Some(Mock::Error { error, cause }) => Err(Failure {
            error: error.clone(),
            cause: cause.clone(),
            from_child: false,
        }),
        None => Err(Failure::runtime("a mock is required for this state")),
    }
}

/// Runs an unmocked Task through the interpreter's task path on a throwaway history.
async fn call_task(
    t: &TestRun,
    task_state: &crate::asl::ast::TaskState,
    raw: Value,
) -> Result<Value, Failure> {
    let record = Arc::new(parking_lot::Mutex::new(
        super::ExecutionRecord::without_history(),
    ));
    let engine = Arc::new(Engine {
        rec: Recorder::new(record, t.clock.clone()),
        base_context: t.context.clone(),
        board: t.board.clone(),
        map_runs: super::map_runs::MapRuns::new(),
        redrive_from: None,
        tasks: t.tasks.clone(),
    });
    let mut cursor = 0;
    let mut plain = t.state.clone();
    // The result steps are applied by `finish`, with their inspection data.
    plain.output_path = DataPath::Path("$".into());
    let mut bare = task_state.clone();
    bare.result_selector = None;
    bare.result_path = DataPath::Path("$".into());
    bare.parameters = None;
    plain.input_path = DataPath::Path("$".into());
    // JSONata's Output/Assign are applied by `finish_jsonata`; Arguments stay for the call.
    plain.output = None;
    plain.assign = None;
    plain.kind = StateKind::Task(bare.clone());
    let parameters = match &task_state.parameters {
        Some(p) => template(p, &input_path(&t.state, &raw, &t.context)?, &t.context)?,
        None => input_path(&t.state, &raw, &t.context)?,
    };
    let vars = Variables::with_values(t.variables.clone());
    let staged = Staged::default();
    let env = StateEnv {
        state: &plain,
        context: &t.context,
        vars: &vars,
        staged: &staged,
        clock: &t.clock,
    };
    task::run(&engine, &env, &bare, parameters, &mut cursor).await
}

/// ResultSelector -> ResultPath -> OutputPath on a result, or Retry/Catch on a failure.
fn finish(
    t: &TestRun,
    state: &State,
    raw: Value,
    result: Result<Value, Failure>,
    inspection: &mut Map<String, Value>,
    from_task: bool,
) -> Outcome {
    let ctx = &t.context;
    match result {
        Ok(result) => {
            if from_task {
                put(inspection, "result", &result);
            }
            let selected = match state.result_selector() {
                Some(tpl) => match template(tpl, &result, ctx) {
                    Ok(v) => v,
                    Err(f) => return f.into(),
                },
                None => result,
            };
            put(inspection, "afterResultSelector", &selected);
            let default_path = DataPath::default();
            let path = state.result_path().unwrap_or(&default_path);
            let out = match dataflow::result_path(path, raw, selected) {
                Ok(v) => v,
                Err(f) => return f.into(),
            };
            put(inspection, "afterResultPath", &out);
            match output_path(state, out, ctx) {
                Ok(output) => Outcome::Succeeded {
                    output,
                    next: next_of(state),
                },
                Err(f) => f.into(),
            }
        }
        Err(failure) => recover(t, state, failure, from_task, |catcher, error_output| {
            dataflow::result_path(&catcher.result_path, raw, error_output)
        }),
    }
}

/// Retry or Catch of a failure, as TestState reports them; `caught` gives a catcher's output.
fn recover(
    t: &TestRun,
    state: &State,
    failure: Failure,
    from_task: bool,
    caught: impl FnOnce(&crate::asl::ast::Catcher, Value) -> Result<Value, Failure>,
) -> Outcome {
    let retriers = state.retriers();
    let retrier = retriers
        .iter()
        .position(|r| error_matches(&r.error_equals, &failure, from_task));
    if let Some(i) = retrier {
        let r = &retriers[i];
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
    let catchers = state.catchers();
    let Some(i) = catchers
        .iter()
        .position(|c| error_matches(&c.error_equals, &failure, from_task))
    else {
        return match retrier {
            Some(retry_index) => Outcome::Exhausted {
                error: failure.error,
                cause: failure.cause,
                retry_index,
            },
            None => failure.into(),
        };
    };
    let catcher = &catchers[i];
    match caught(catcher, failure.to_object()) {
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

/// TestState of a JSONata state: `input`, `afterArguments` (Task) and `result` (Task), the
/// Map's evaluated counts, then `Output`/`Assign` as the interpreter computes them.
async fn evaluate_jsonata(t: &TestRun, inspection: &mut Map<String, Value>) -> Outcome {
    let state = &t.state;
    let vars = Variables::with_values(t.variables.clone());
    let staged = Staged::default();
    let env = StateEnv {
        state,
        context: &t.context,
        vars: &vars,
        staged: &staged,
        clock: &t.clock,
    };
    let raw = t.input.clone();
    inspection.insert("input".into(), text(&raw).into());
    if !t.variables.is_empty() {
        inspection.insert(
            "variables".into(),
            text(&Value::Object(t.variables.clone())).into(),
        );
    }
    let done = |v: Result<Value, Failure>, next: Option<String>| match v {
        Ok(output) => Outcome::Succeeded { output, next },
        Err(f) => f.into(),
    };
    let plain = |env: &StateEnv, raw: Value| {
        env.finish_plain(
            raw.clone(),
            raw,
            state.assign.as_ref(),
            state.output.as_ref(),
        )
    };
    match &state.kind {
        StateKind::Pass(_) | StateKind::Wait(_) | StateKind::Succeed => {
            done(plain(&env, raw), next_of(state))
        }
        StateKind::Choice(c) => {
            let mut chosen = None;
            for rule in &c.choices {
                match choice_holds(&env, &rule.condition, &raw, &raw) {
                    Ok(true) => {
                        chosen = Some(rule);
                        break;
                    }
                    Ok(false) => {}
                    Err(f) => return f.into(),
                }
            }
            match (chosen, &c.default) {
                (Some(rule), _) => done(
                    env.finish_plain(raw.clone(), raw, rule.assign.as_ref(), rule.output.as_ref()),
                    Some(rule.next.clone()),
                ),
                (None, Some(d)) => done(plain(&env, raw), Some(d.clone())),
                (None, None) => Outcome::Failed {
                    error: Some("States.NoChoiceMatched".into()),
                    cause: Some(format!(
                        "No Matches! at state '{}' for input {}",
                        state.name,
                        text(&raw)
                    )),
                },
            }
        }
        StateKind::Fail(f) => match fail_state_in(f, &env, &raw) {
            Ok(f) | Err(f) => f.into(),
        },
        StateKind::Task(task_state) => {
            let arguments = match env.request(&raw, None, task_state.arguments.as_ref()) {
                Ok(v) => v,
                Err(f) => return f.into(),
            };
            put(inspection, "afterArguments", &arguments);
            let result = match &t.mock {
                Some(_) => mocked(&t.mock),
                None => call_task(t, task_state, raw.clone()).await,
            };
            finish_jsonata(t, &env, raw, result, inspection, true)
        }
        StateKind::Map(m) => {
            let count = |d: &Option<Dynamic<u64>>, field: &str| match d {
                Some(Dynamic::Literal(n)) => Ok(Some(*n)),
                Some(Dynamic::Jsonata(e)) => env.jsonata_uint(&raw, e, field).map(Some),
                _ => Ok(None),
            };
            let max = match count(&m.max_concurrency, "MaxConcurrency") {
                Ok(n) => n.unwrap_or(0),
                Err(f) => return f.into(),
            };
            inspection.insert("maxConcurrency".into(), max.into());
            let tolerated_count = match count(&m.tolerated_failure_count, "ToleratedFailureCount") {
                Ok(n) => n,
                Err(f) => return f.into(),
            };
            if let Some(n) = tolerated_count {
                inspection.insert("toleratedFailureCount".into(), n.into());
            }
            let tolerated_pct = match &m.tolerated_failure_percentage {
                Some(Dynamic::Literal(x)) => Some(*x),
                Some(Dynamic::Jsonata(e)) => {
                    match env.jsonata_number(&raw, e, "ToleratedFailurePercentage") {
                        Ok(x) => Some(x),
                        Err(f) => return f.into(),
                    }
                }
                _ => None,
            };
            if let Some(x) = tolerated_pct {
                inspection.insert("toleratedFailurePercentage".into(), json!(x));
            }
            // An ItemReader supplies the items (TestState takes them from its configuration).
            let total = if m.item_reader.is_some() {
                None
            } else {
                match jsonata_items(&env, m, &raw) {
                    Ok(items) => Some(items.len()),
                    Err(f) => return f.into(),
                }
            };
            if let (Some(failed), Some(total)) = (t.map_iteration_failure_count, total) {
                if failed as usize > total {
                    return Outcome::Rejected(
                        "Map iteration failure count must be less than or equal to the number of Map iterations".into(),
                    );
                }
            }
            let mut result = mocked(&t.mock);
            // Failed iterations matter only against a tolerated-failure threshold.
            let tolerance = tolerated_count.is_some() || tolerated_pct.is_some();
            if let (Some(failed), Ok(_), true) = (t.map_iteration_failure_count, &result, tolerance)
            {
                let total = total.unwrap_or(failed as usize);
                if failed > 0 && exceeds(failed as usize, total, tolerated_count, tolerated_pct) {
                    result = Err(Failure {
                        error: Some("States.ExceedToleratedFailureThreshold".into()),
                        cause: Some(
                            "The specified tolerated failure threshold was exceeded".into(),
                        ),
                        from_child: false,
                    });
                }
            }
            finish_jsonata(t, &env, raw, result, inspection, false)
        }
        StateKind::Parallel(_) => {
            let result = mocked(&t.mock);
            finish_jsonata(t, &env, raw, result, inspection, false)
        }
    }
}

/// `Output`/`Assign` of a JSONata Task/Map/Parallel result, or Retry/Catch of its failure.
fn finish_jsonata(
    t: &TestRun,
    env: &StateEnv,
    raw: Value,
    result: Result<Value, Failure>,
    inspection: &mut Map<String, Value>,
    from_task: bool,
) -> Outcome {
    match result {
        Ok(result) => {
            if from_task {
                put(inspection, "result", &result);
            }
            match env.finish_result(raw, result) {
                Ok(output) => Outcome::Succeeded {
                    output,
                    next: next_of(env.state),
                },
                Err(f) => f.into(),
            }
        }
        Err(failure) => recover(t, env.state, failure, from_task, |catcher, error_output| {
            env.finish_caught(catcher, raw, error_output)
        }),
    }
}
