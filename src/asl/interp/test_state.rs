//! TestState: one state run on its own, with the data after each step of its data flow
//! (`inspectionData`), a mocked Task/Map/Parallel result or error, and AWS's verdict:
//! SUCCEEDED, FAILED, CAUGHT_ERROR (a Catch took the error) or RETRIABLE (a Retry would).
//! JSONPath states only for now; JSONata and Assign answer as the interpreter does.

use super::callbacks::TaskBoard;
use super::choice;
use super::dataflow::{self, input_path, output_path, template};
use super::failure::{error_matches, Failure};
use super::history::{text, Recorder};
use super::run::{backoff_seconds, fail_state, Engine};
use super::task;
use crate::asl::ast::{DataPath, QueryLanguage, State, StateKind, Transition};
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
    pub clock: Clock,
    pub board: Arc<TaskBoard>,
    /// How an unmocked Task reaches the services (TestState calls them, as on AWS).
    pub tasks: Option<super::integrations::TaskCalls>,
}

/// Runs the state and returns TestState's output members.
pub async fn run(t: TestRun) -> Value {
    let mut inspection = Map::new();
    let level = t.level;
    let outcome = evaluate(&t, &mut inspection).await;
    let mut out = Map::new();
    match outcome {
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
    }
    if level != InspectionLevel::Info && !inspection.is_empty() {
        out.insert("inspectionData".into(), Value::Object(inspection));
    }
    Value::Object(out)
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
    if state.query_language == QueryLanguage::Jsonata || state.assign.is_some() {
        return Failure::runtime("JSONata and Assign are not supported by TestState yet").into();
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
    plain.kind = StateKind::Task(bare.clone());
    let parameters = match &task_state.parameters {
        Some(p) => template(p, &input_path(&t.state, &raw, &t.context)?, &t.context)?,
        None => input_path(&t.state, &raw, &t.context)?,
    };
    task::run(&engine, &plain, &bare, parameters, &t.context, &mut cursor).await
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
        Err(failure) => {
            let retriers = state.retriers();
            if let Some(i) = retriers
                .iter()
                .position(|r| error_matches(&r.error_equals, &failure, from_task))
            {
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
                return failure.into();
            };
            let catcher = &catchers[i];
            match dataflow::result_path(&catcher.result_path, raw, failure.to_object()) {
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
    }
}
