//! The state loop: one (nested) state machine run from `StartAt` to an end, one state at a
//! time. Transitions are a loop, not recursion; only Parallel branches and Map iterations
//! start nested runs, each as its own tokio task (see `parallel.rs` and `map.rs`).

use super::choice;
use super::dataflow::{check_size, shown, StateEnv};
use super::engine::{state_span, Engine, TaskWait, STATE_SPAN};
use super::failure::{catcher_for, error_matches, Failure};
use super::integrations::resource::Resource;
use super::query::{location_of, query_error, unexpected_type, QUERY_ERROR};
use super::task::Kept;
use super::vars::{Staged, Variables};
use super::Resume;
use super::{map, parallel, task};
use crate::asl::ast::{
    Condition, Dynamic, FailState, Reference, Retrier, State, StateKind, StateMachine, Transition,
    WaitFor, WaitState,
};
use crate::time::parse_rfc3339_nanos;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// AWS's cap on an execution's history; a machine that loops forever fails when it gets there
/// instead of growing its history without bound.
const MAX_HISTORY_EVENTS: usize = 25_000;

/// Longest Wait AWS accepts: the delay must fit a signed 32-bit number of seconds.
const MAX_WAIT_SECONDS: i128 = i32::MAX as i128;

impl Engine {
    /// Runs `machine` (a Parallel branch or a Map iteration) nested in this execution.
    pub(crate) fn run_nested(
        self: &Arc<Self>,
        machine: Arc<StateMachine>,
        input: Value,
        cursor: u64,
        vars: Variables,
    ) -> BoxedRun {
        run_machine(self.clone(), machine, input, cursor, vars)
    }

    /// A nested run (a branch, an iteration) continuing at `start` after a restart.
    pub(crate) fn run_nested_from(
        self: &Arc<Self>,
        machine: Arc<StateMachine>,
        start: String,
        input: Value,
        cursor: u64,
        vars: Variables,
        restart: Option<Box<super::Restart>>,
    ) -> BoxedRun {
        run_machine_from(self.clone(), machine, start, input, cursor, vars, restart)
    }
}

/// How a nested run ended, and the id its last history event had (for `previousEventId`).
pub(crate) type RunEnd = (Result<Value, Failure>, u64);

/// A boxed run, so that Parallel/Map can start nested runs: `async fn` recursion through
/// `tokio::spawn` needs a named, `Send` future type.
pub(crate) type BoxedRun = Pin<Box<dyn Future<Output = RunEnd> + Send>>;

/// Runs `machine` on `input` with the variables `vars` in scope; its first event chains to
/// `cursor`.
pub(crate) fn run_machine(
    engine: Arc<Engine>,
    machine: Arc<StateMachine>,
    input: Value,
    cursor: u64,
    vars: Variables,
) -> BoxedRun {
    let start = machine.start_at.clone();
    run_machine_from(engine, machine, start, input, cursor, vars, None)
}

/// Runs `machine` from the state `start` (RedriveExecution resumes at the state that failed).
pub(crate) fn run_machine_from(
    engine: Arc<Engine>,
    machine: Arc<StateMachine>,
    start: String,
    input: Value,
    cursor: u64,
    vars: Variables,
    restart: Option<Box<super::Restart>>,
) -> BoxedRun {
    // The states of this run are children of the state that started it (a Parallel or Map
    // state), or of the execution's span at the top level.
    let tracing = engine
        .tasks
        .as_ref()
        .and_then(|t| t.tracing())
        .map(|(tracer, execution)| {
            let parent = state_span().unwrap_or(execution);
            (tracer, parent, engine.shared_execution_arn())
        });
    // One box of arguments: an `async move` block keeps what it captures for its whole life,
    // so captured values rebound as mutable locals would be held twice while a state waits.
    let args = Box::new((vars, cursor, input, start, restart));
    Box::pin(async move {
        let (mut vars, mut cursor, mut input, mut name, mut restart) = super::unbox(args);
        // With tracing on, the text of the last state's output: the next state's input, whose
        // span shares it rather than writing the same value out again.
        let mut carried: Option<Arc<str>> = None;
        // Only the execution's own top level can be redriven from a state.
        let top_level = engine
            .redrive_from
            .as_ref()
            .is_some_and(|m| Arc::ptr_eq(m, &machine));
        loop {
            // Let other tasks run between states: a loop of Pass/Choice states has no await
            // of its own and would otherwise hold a worker thread, and could not be stopped
            // (StopExecution drops this future, which only takes effect at an await).
            tokio::task::yield_now().await;
            if engine.rec.len() >= MAX_HISTORY_EVENTS {
                let f = Failure::runtime(format!(
                    "The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."
                ));
                return (Err(f), cursor);
            }
            let Some(state) = machine.state(&name) else {
                let f = Failure::runtime(format!("The state '{name}' does not exist"));
                return (Err(f), cursor);
            };
            let type_name = state.kind.type_name();
            // A restarted execution is already inside its first state: not entered again.
            let restarted_ms = restart.as_ref().map(|r| r.entered_ms);
            let (entered_prev, entered, entered_ms, restarted) = match restart.take() {
                Some(r) => {
                    let at = (r.entered_prev, r.entered_id, r.entered_ms, true);
                    // Only the states with work of their own read it (`with_recovery`).
                    let reads = matches!(
                        state.kind,
                        StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
                    );
                    if reads {
                        engine.restarts.lock().insert(r.entered_id, r);
                    }
                    at
                }
                None => {
                    let entered = engine
                        .rec
                        .state_entered(cursor, type_name, &state.name, &input);
                    (cursor, entered, engine.rec.clock().now_millis(), false)
                }
            };
            cursor = entered;
            // Where a redrive resumes if the execution fails, times out or is stopped here.
            if top_level {
                engine.rec.set_resume(Resume {
                    state: state.name.clone(),
                    input: input.clone(),
                    variables: vars.map().clone(),
                    restart: None,
                    after_restart: false,
                });
            }
            // A top-level Task of a Standard execution parks its run while it waits on its
            // token (see `TaskWait`).
            let parks = top_level && engine.parking.is_some();
            let at = Entered {
                prev: entered_prev,
                id: entered,
                ms: entered_ms,
                restarted,
                parks,
            };
            // A top-level Wait of a Standard execution parks as data (see `ParkedAt`): the
            // run ends here and resumes inside the state when the Wait is over.
            if let (true, Some(parking), StateKind::Wait(w)) =
                (top_level && !restarted, &engine.parking, &state.kind)
            {
                if let Some(parked) = park_at(&engine, state, w, &input, &vars, at) {
                    *parking.lock() = Some(parked);
                    return (Err(Failure::runtime("parked")), cursor);
                }
            }
            // A Task resumed from where it parked keeps the span it had begun.
            let parked_span = match restarted && parks {
                true => engine
                    .task_wait
                    .lock()
                    .as_ref()
                    .and_then(|w| w.span.as_deref().copied()),
                false => None,
            };
            let traced = tracing.as_ref().map(|(tracer, parent, _)| StateTrace {
                span: parked_span.unwrap_or_else(|| parent.child()),
                start_us: restarted_ms.map_or_else(|| tracer.now_us(), |ms| ms * 1000),
                input: carried
                    .take()
                    .unwrap_or_else(|| crate::trace::shared_text(&input)),
            });
            let step = run_state(&engine, state, input, &mut cursor, at, &mut vars);
            let result = match &traced {
                Some(t) => STATE_SPAN.scope(t.span, step).await,
                None => step.await,
            };
            if parks && result.is_err() {
                if let Some(parked) = park_task(&engine, state, &vars, at, traced.as_ref()) {
                    if let Some(parking) = &engine.parking {
                        *parking.lock() = Some(parked);
                    }
                    return (Err(super::engine::parked()), cursor);
                }
            }
            if let (Some((tracer, _, execution)), Some(t)) = (&tracing, traced) {
                carried = t.record(tracer, execution, state, &result);
            }
            match result {
                Ok((output, next)) => match next {
                    Some(next) => {
                        name = next;
                        input = output;
                    }
                    None => return (Ok(output), cursor),
                },
                Err(f) => return (Err(f.located(&state.name, entered)), cursor),
            }
        }
    })
}

/// Where a top-level Wait parks, if its deadline is still ahead. A Wait whose deadline fails
/// to evaluate is not parked: it runs inline and fails there as it always does.
fn park_at(
    engine: &Engine,
    state: &State,
    w: &WaitState,
    input: &Value,
    vars: &Variables,
    at: Entered,
) -> Option<super::engine::ParkedAt> {
    let ctx = engine.context_for(state, at.ms, 0);
    let staged = Staged::default();
    let env = StateEnv {
        state,
        context: &ctx,
        vars,
        staged: &staged,
        clock: engine.rec.clock(),
        inspection: None,
    };
    let effective = env.input(input).ok()?;
    let deadline_ms = wait_deadline(w, &env, input, &effective, at.ms).ok()?;
    if deadline_ms <= engine.rec.clock().now_millis() {
        return None;
    }
    Some(super::engine::ParkedAt {
        point: super::ParkedPoint {
            state: state.name.clone(),
            input: input.to_string().into_boxed_str(),
            variables: parked_variables(vars),
        },
        entered_prev: at.prev,
        entered_id: at.id,
        entered_ms: at.ms,
        until: super::engine::Until::Deadline(deadline_ms),
    })
}

/// Where a top-level Task parks, if it left its wait (see `TaskWait`) on its way out.
fn park_task(
    engine: &Engine,
    state: &State,
    vars: &Variables,
    at: Entered,
    traced: Option<&StateTrace>,
) -> Option<super::engine::ParkedAt> {
    let mut wait = engine.task_wait.lock().take()?;
    wait.span = traced.map(|t| Box::new(t.span));
    Some(super::engine::ParkedAt {
        point: super::ParkedPoint {
            state: state.name.clone(),
            input: std::mem::take(&mut wait.input),
            variables: parked_variables(vars),
        },
        entered_prev: at.prev,
        entered_id: at.id,
        entered_ms: at.ms,
        until: super::engine::Until::Task(wait),
    })
}

/// The variables in scope where a run parks.
fn parked_variables(vars: &Variables) -> Option<Box<serde_json::Map<String, Value>>> {
    let map = vars.map();
    (!map.is_empty()).then(|| Box::new(map.clone()))
}

/// A state's span while it runs: recorded when it has run, as `State <name>` with its input,
/// output, error and cause (the attributes the history's events give a Standard execution).
/// Names, the execution's ARN and the texts are shared (see `StateLabels`), so that with
/// tracing on a state's span costs the text of its output and little else.
struct StateTrace {
    span: crate::request::TraceContext,
    start_us: u64,
    input: Arc<str>,
}

impl StateTrace {
    /// Records the span; gives back the output's text when the state succeeded.
    fn record(
        self,
        tracer: &crate::trace::Tracer,
        execution: &Arc<str>,
        state: &State,
        result: &Result<(Value, Option<String>), Failure>,
    ) -> Option<Arc<str>> {
        use crate::trace::{Attr, Span, Text};
        let mut span = Span::named(
            &self.span,
            "states",
            Text::Shared(state.labels.span.clone()),
            tracer.now_us(),
        )
        .started(self.start_us)
        .resource(execution)
        .attr_as("state", Attr::Shared(state.labels.name.clone()))
        .attr_as("type", Attr::Static(state.kind.type_name()))
        .attr_as("input", Attr::Text(self.input));
        let mut output_text = None;
        match result {
            Ok((output, _)) => {
                let text = crate::trace::shared_text(output);
                span = span.attr_as("output", Attr::Text(text.clone()));
                output_text = Some(text);
            }
            Err(f) => {
                span = span.error(true).attr("error", f.name());
                if let Some(cause) = &f.cause {
                    span = span.attr("cause", cause.as_str());
                }
            }
        }
        tracer.record(span);
        output_text
    }
}

/// Runs one state that has been entered. `Ok((output, Some(next)))` moves on, `Ok((output,
/// None))` ends the run; the `...StateExited` event is recorded here, with the variables the
/// state assigned (committed only now, after its output was computed).
async fn run_state(
    engine: &Arc<Engine>,
    state: &State,
    raw: Value,
    cursor: &mut u64,
    at: Entered,
    vars: &mut Variables,
) -> Result<(Value, Option<String>), Failure> {
    match run_state_body(engine, state, raw, cursor, at, vars).await {
        Err(f) if is_fresh_query_error(&f) => {
            let f = f.located(&state.name, at.id);
            evaluation_failed(engine, state, &f, at, cursor);
            Err(f)
        }
        other => other,
    }
}

/// Where and when the running state was entered.
#[derive(Clone, Copy)]
struct Entered {
    /// The `previousEventId` of the `...StateEntered` event.
    prev: u64,
    id: u64,
    ms: u64,
    /// Entered before a restart (see `Restart`): its first attempt continues.
    restarted: bool,
    /// A top-level state of a Standard execution: a Task parks its run while it waits.
    parks: bool,
}

/// A `States.QueryEvaluationError` the state itself raised (not one passed up by a branch).
fn is_fresh_query_error(f: &Failure) -> bool {
    !f.from_child && f.name() == QUERY_ERROR
}

/// AWS records a JSONata evaluation failure as `EvaluationFailed` (chained to what preceded
/// the state's entry, or for a Wait to the entry itself), before the state fails.
fn evaluation_failed(engine: &Engine, state: &State, f: &Failure, at: Entered, cursor: &mut u64) {
    let prev = match state.kind {
        StateKind::Wait(_) => at.id,
        _ => at.prev,
    };
    let cause = f.cause.clone().unwrap_or_default();
    let mut d = serde_json::Map::new();
    d.insert("cause".into(), Value::from(cause.as_str()));
    d.insert("error".into(), Value::from(f.name()));
    if let Some(location) = location_of(&cause) {
        d.insert("location".into(), Value::from(location));
    }
    d.insert("state".into(), Value::from(state.name.as_str()));
    *cursor = engine.rec.emit(
        prev,
        "EvaluationFailed",
        Some(("evaluationFailedEventDetails", Value::Object(d))),
    );
}

async fn run_state_body(
    engine: &Arc<Engine>,
    state: &State,
    raw: Value,
    cursor: &mut u64,
    at: Entered,
    vars: &mut Variables,
) -> Result<(Value, Option<String>), Failure> {
    let entered_ms = at.ms;
    // A Wait waits before the context object is built for the rest of the state, and holds
    // its input as text while it waits (a `Value` tree is several times its text): a parked
    // execution keeps little more than that. The deadline is computed once.
    let mut raw = raw;
    let waited = match &state.kind {
        StateKind::Wait(w) => {
            let deadline = {
                let ctx = engine.context_for(state, entered_ms, 0);
                let staged = Staged::default();
                let env = StateEnv {
                    state,
                    context: &ctx,
                    vars: &*vars,
                    staged: &staged,
                    clock: engine.rec.clock(),
                    inspection: None,
                };
                let effective = env.input(&raw)?;
                wait_deadline(w, &env, &raw, &effective, entered_ms)?
            };
            let text = std::mem::take(&mut raw).to_string();
            engine.rec.clock().sleep_until_millis(deadline).await;
            // It was written by `to_string` just now, so it reads back as it was.
            raw = serde_json::from_str(&text).unwrap_or_default();
            true
        }
        _ => false,
    };
    // Task, Parallel and Map build their context object per attempt (`with_recovery`); a copy
    // here would only be held, unread, while their work waits.
    let ctx = match &state.kind {
        StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => Value::Null,
        _ => engine.context_for(state, entered_ms, 0),
    };
    let staged = Staged::default();
    let env = StateEnv {
        state,
        context: &ctx,
        vars,
        staged: &staged,
        clock: engine.rec.clock(),
        inspection: None,
    };
    let (output, next) = match &state.kind {
        // Boxed: the work of a Task, Parallel or Map is a large future, and a state running
        // inline here would make every state's future (a long Wait's too) that large.
        StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
            Box::pin(with_recovery(engine, &env, raw, cursor, at)).await?
        }
        StateKind::Wait(_) if waited => {
            let effective = env.input(&raw)?;
            let out =
                env.finish_plain(raw, effective, state.assign.as_ref(), state.output.as_ref())?;
            (out, None)
        }
        _ => plain_state(&env, raw, entered_ms).await?,
    };
    check_size(&state.name, &output)?;
    // An empty `Assign` assigns nothing, and AWS's event then has no `assignedVariables`.
    let assigned = staged.take().filter(|a| !a.is_empty());
    if let Some(a) = &assigned {
        vars.commit(a.clone())?;
    }
    *cursor = engine.rec.state_exited_assigning(
        *cursor,
        state.kind.type_name(),
        &state.name,
        &output,
        assigned.as_ref(),
    );
    let next = match next {
        Some(n) => Some(n),
        None => match &state.transition {
            Some(Transition::Next(n)) => Some(n.clone()),
            _ => None,
        },
    };
    Ok((output, next))
}

/// A state without work of its own (Pass, Choice, Wait, Succeed, Fail), executions and
/// TestState alike: its output and, for a Choice, the next state. Its `Assign` is staged in
/// `env`. Under TestState a Wait does not wait.
pub(crate) async fn plain_state(
    env: &StateEnv<'_>,
    raw: Value,
    entered_ms: u64,
) -> Result<(Value, Option<String>), Failure> {
    let state = env.state;
    match &state.kind {
        StateKind::Pass(p) => {
            // With a `Result`, AWS uses the Result alone: no InputPath or Parameters step.
            let result = match (&p.result, &p.parameters) {
                _ if env.jsonata() => Value::Null,
                (Some(r), _) => {
                    env.note("result", r);
                    r.clone()
                }
                (None, Some(t)) => {
                    let effective = env.input(&raw)?;
                    let v = env.apply(t, &effective)?;
                    env.note("afterParameters", &v);
                    v
                }
                (None, None) => {
                    let effective = env.input(&raw)?;
                    env.note("afterParameters", &effective);
                    effective
                }
            };
            let out =
                env.finish_plain(raw, result, state.assign.as_ref(), state.output.as_ref())?;
            Ok((out, None))
        }
        StateKind::Choice(c) => {
            let effective = env.input(&raw)?;
            let mut chosen = None;
            for rule in &c.choices {
                if choice_holds(env, &rule.condition, &raw, &effective)? {
                    chosen = Some(rule);
                    break;
                }
            }
            let (next, assign, output) = match chosen {
                Some(rule) => (
                    rule.next.clone(),
                    rule.assign.as_ref(),
                    rule.output.as_ref(),
                ),
                None => match &c.default {
                    Some(d) => (d.clone(), state.assign.as_ref(), state.output.as_ref()),
                    None => {
                        return Err(Failure {
                            error: Some("States.NoChoiceMatched".into()),
                            cause: Some(format!(
                                "No Matches! at state '{}' for input {}",
                                state.name,
                                super::history::text(&effective)
                            )),
                            from_child: false,
                        })
                    }
                },
            };
            let out = env.finish_plain(raw, effective, assign, output)?;
            Ok((out, Some(next)))
        }
        StateKind::Wait(w) => {
            let effective = env.input(&raw)?;
            let deadline = wait_deadline(w, env, &raw, &effective, entered_ms)?;
            if !env.inspected() {
                env.clock.sleep_until_millis(deadline).await;
            }
            let out =
                env.finish_plain(raw, effective, state.assign.as_ref(), state.output.as_ref())?;
            Ok((out, None))
        }
        StateKind::Succeed => {
            let effective = env.input(&raw)?;
            let out =
                env.finish_plain(raw, effective, state.assign.as_ref(), state.output.as_ref())?;
            Ok((out, None))
        }
        StateKind::Fail(f) => Err(fail_state_in(f, env, &raw)?),
        StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => Err(Failure::runtime(
            "internal: a Task, Parallel or Map state has work of its own",
        )),
    }
}

/// A Choice rule's condition: JSONata (`Condition`, over `$states.input`) or JSONPath (over
/// the effective input).
pub(crate) fn choice_holds(
    env: &StateEnv,
    condition: &Condition,
    raw: &Value,
    effective: &Value,
) -> Result<bool, Failure> {
    match condition {
        Condition::JsonataLiteral(b) => Ok(*b),
        Condition::Jsonata(v) => {
            let q = env.query(raw, None, None);
            match q.value(v, "Condition")? {
                Value::Bool(b) => Ok(b),
                other => Err(unexpected_type(v.text(), "Condition", "boolean", &other)),
            }
        }
        other => Ok(choice::holds(other, &env.scope(effective))?),
    }
}

/// Task, Parallel and Map: the work, retried by `Retry`, then handed to `Catch`. Returns the
/// output and, when a catcher took over, the catcher's `Next`.
async fn with_recovery(
    engine: &Arc<Engine>,
    env: &StateEnv<'_>,
    raw: Value,
    cursor: &mut u64,
    at: Entered,
) -> Result<(Value, Option<String>), Failure> {
    let (entered, entered_ms) = (at.id, at.ms);
    let state = env.state;
    let retriers = state.retriers();
    // Attempts so far per retrier: AWS counts each retrier separately.
    let mut attempts = vec![0u64; retriers.len()];
    let mut retry_count = 0u64;
    // A restarted execution inside this state continues its first attempt (see `Restart`).
    // Looked up only after a restart: the in-memory path takes no lock for it.
    let mut restart = if at.restarted {
        engine.restarts.lock().remove(&entered)
    } else {
        None
    };
    // A Task resumed from where it parked: its wait, and its attempts so far.
    let mut resumed = match (at.restarted, &state.kind) {
        (true, StateKind::Task(_)) => engine.task_wait.lock().take(),
        _ => None,
    };
    if let Some(w) = &resumed {
        let n = attempts.len().min(w.attempts.len());
        attempts[..n].copy_from_slice(&w.attempts[..n]);
        retry_count = w.retry_count;
        *cursor = w.cursor;
    }
    // A Task that waits on a token (an activity, a callback) may wait for days: it holds its
    // input as text meanwhile, and builds its context object only when it reads it (see
    // `task::run`), so that a parked execution keeps little more than its history.
    let waits = match &state.kind {
        StateKind::Task(t) => Resource::parse(&t.resource).takes_token(),
        _ => false,
    };
    let raw = Kept::of(raw, waits);
    loop {
        let restart = restart.take();
        let ctx = match &state.kind {
            StateKind::Task(_) => Value::Null,
            _ => engine.context_for(state, entered_ms, retry_count),
        };
        let env = env.with_context(&ctx);
        // Whether this attempt got as far as `...StateStarted` (and so has a `...StateFailed`).
        let mut started = false;
        let result = match &state.kind {
            // Boxed, each: this future is as large as the largest of its kinds' work, and a
            // parked Task's should not carry the room a Map's or a Parallel's takes.
            StateKind::Parallel(p) => {
                let at = restart.map(|r| (entered, r));
                Box::pin(parallel::run(
                    engine,
                    &env,
                    p,
                    raw.get(),
                    cursor,
                    &mut started,
                    at,
                ))
                .await
            }
            StateKind::Map(m) => {
                let at = restart.map(|r| (entered, r));
                Box::pin(map::run(
                    engine,
                    &env,
                    m,
                    raw.get(),
                    cursor,
                    &mut started,
                    at,
                ))
                .await
            }
            StateKind::Task(t) => {
                let context = || engine.context_for(state, entered_ms, retry_count);
                let resumed = resumed.take().map(|w| {
                    let TaskWait { waiter, at, .. } = *w;
                    (waiter, at)
                });
                Box::pin(task::run(
                    engine,
                    &env,
                    context,
                    t,
                    raw.get(),
                    cursor,
                    restart,
                    at.parks,
                    resumed,
                ))
                .await
            }
            _ => Err(Failure::runtime(
                "internal: not a Task, Parallel or Map state",
            )),
        };
        if let (true, Err(_)) = (at.parks, &result) {
            // Parked (see `TaskWait`): not a failure; the state loop parks the run with it.
            let mut wait = engine.task_wait.lock();
            if let Some(w) = wait.as_mut() {
                w.attempts = attempts.into_boxed_slice();
                w.retry_count = retry_count;
                w.cursor = *cursor;
                w.input = raw.into_text();
                drop(wait);
                return result.map(|out| (out, None));
            }
        }
        let (failure, fresh_query_error) = match result {
            Ok(out) => return Ok((out, None)),
            Err(f) => {
                let fresh = is_fresh_query_error(&f);
                (f.located(&state.name, entered), fresh)
            }
        };
        env.staged.clear();
        if let Some(i) = retrier_for(state, &failure) {
            if attempts[i] < retriers[i].max_attempts {
                let delay = retry_delay(&retriers[i], attempts[i]);
                attempts[i] += 1;
                retry_count += 1;
                engine.rec.clock().sleep(delay).await;
                continue;
            }
        }
        // Not retried: only now does AWS record the Parallel/Map as failed (a retried attempt
        // goes straight to the next `...StateStarted`).
        if fresh_query_error {
            evaluation_failed(engine, state, &failure, at, cursor);
        }
        let has_failed_event = !matches!(state.kind, StateKind::Task(_));
        if started || (fresh_query_error && has_failed_event) {
            let event = format!("{}StateFailed", state.kind.type_name());
            *cursor = engine.rec.emit(*cursor, &event, None);
        }
        let Some(catcher) = catcher_for(state, &failure).map(|i| &state.catchers()[i]) else {
            return Err(failure);
        };
        // A Task's context object is built only now (see above).
        let task_ctx;
        let env = match &state.kind {
            StateKind::Task(_) => {
                task_ctx = engine.context_for(state, entered_ms, retry_count);
                env.with_context(&task_ctx)
            }
            _ => env,
        };
        let out = env.finish_caught(catcher, raw.take(), failure.to_object())?;
        return Ok((out, Some(catcher.next.clone())));
    }
}

/// The `Retry` entry that handles `failure`: the first whose `ErrorEquals` matches.
pub(crate) fn retrier_for(state: &State, failure: &Failure) -> Option<usize> {
    let from_task = matches!(state.kind, StateKind::Task(_));
    state
        .retriers()
        .iter()
        .position(|r| error_matches(&r.error_equals, failure, from_task))
}

/// `IntervalSeconds * BackoffRate^attempt`, capped by `MaxDelaySeconds`; `FULL` jitter picks
/// uniformly below that.
fn retry_delay(r: &Retrier, attempt: u64) -> Duration {
    let mut secs = backoff_seconds(r, attempt);
    if r.jitter_strategy == crate::asl::ast::JitterStrategy::Full {
        secs *= random_unit();
    }
    Duration::from_millis((secs * 1000.0) as u64)
}

/// `IntervalSeconds * BackoffRate^attempt`, capped by `MaxDelaySeconds`, before jitter (TestState
/// reports this).
pub(crate) fn backoff_seconds(r: &Retrier, attempt: u64) -> f64 {
    let exp = i32::try_from(attempt).unwrap_or(i32::MAX);
    let mut secs = r.interval_seconds as f64 * r.backoff_rate.powi(exp);
    if let Some(max) = r.max_delay_seconds {
        secs = secs.min(max as f64);
    }
    // A year is far beyond any sane backoff and keeps the conversion finite.
    secs.clamp(0.0, 31_536_000.0)
}

/// A uniform number in [0, 1) from the v4 UUID generator (the crate's only randomness).
fn random_unit() -> f64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut n = [0u8; 8];
    n.copy_from_slice(&bytes[..8]);
    (u64::from_le_bytes(n) >> 11) as f64 / (1u64 << 53) as f64
}

/// A Fail state's error and cause, in the state's query language.
pub(crate) fn fail_state_in(
    f: &FailState,
    env: &StateEnv,
    raw: &Value,
) -> Result<Failure, Failure> {
    let effective = env.input(raw)?;
    let scope = env.scope(&effective);
    let field = |d: &Option<Dynamic<String>>, name: &str| -> Result<Option<String>, Failure> {
        match d {
            None => Ok(None),
            Some(Dynamic::Literal(s)) => Ok(Some(s.clone())),
            Some(Dynamic::Path(p)) => match p.select_for_field(&scope, name)? {
                Value::String(s) => Ok(Some(s)),
                other => Err(Failure::runtime(format!(
                    "The {name} field refers to value {} which is not a valid string: {p}",
                    shown(&other)
                ))),
            },
            Some(Dynamic::Jsonata(text)) => {
                let field = name.trim_end_matches("Path");
                Ok(Some(env.jsonata_string(raw, text, field)?))
            }
        }
    };
    Ok(Failure {
        error: field(&f.error, "ErrorPath")?,
        cause: field(&f.cause, "CausePath")?,
        from_child: false,
    })
}

/// When a Wait state ends, in epoch milliseconds.
fn wait_deadline(
    w: &WaitState,
    env: &StateEnv,
    raw: &Value,
    effective: &Value,
    entered_ms: u64,
) -> Result<u64, Failure> {
    let scope = env.scope(effective);
    let lookup = |p: &Reference| -> Result<Option<Value>, Failure> { Ok(p.value(&scope)) };
    let delay_ms: i128 = match &w.wait {
        WaitFor::Seconds(Dynamic::Literal(s)) => *s as i128 * 1000,
        WaitFor::Seconds(Dynamic::Path(p)) => {
            let Some(v) = lookup(p)? else {
                return Err(Failure::runtime(format!(
                    "The SecondsPath parameter does not reference an input value: {p}"
                )));
            };
            let secs = match &v {
                Value::Number(n) => n.as_i64(),
                _ => None,
            };
            let Some(secs) = secs else {
                return Err(Failure::runtime(format!(
                    "The SecondsPath parameter cannot be parsed as a long value: {p} == {}",
                    shown(&v)
                )));
            };
            if secs < 0 {
                return Err(Failure::runtime(format!(
                    "The SecondsPath parameter references a negative value: {p} == {secs}"
                )));
            }
            secs as i128 * 1000
        }
        WaitFor::Timestamp(Dynamic::Literal(t)) => timestamp_delay(t, entered_ms)
            .ok_or_else(|| Failure::runtime(format!("Invalid Timestamp '{t}'")))?,
        WaitFor::Timestamp(Dynamic::Path(p)) => {
            let Some(v) = lookup(p)? else {
                return Err(Failure::runtime(format!(
                    "The TimestampPath parameter does not reference an input value: {p}"
                )));
            };
            v.as_str()
                .and_then(|t| timestamp_delay(t, entered_ms))
                .ok_or_else(|| {
                    Failure::runtime(format!(
                        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {p} == {}",
                        shown(&v)
                    ))
                })?
        }
        WaitFor::Seconds(Dynamic::Jsonata(text)) => {
            env.jsonata_uint(raw, text, "Seconds")? as i128 * 1000
        }
        WaitFor::Timestamp(Dynamic::Jsonata(text)) => {
            let t = env.jsonata_string(raw, text, "Timestamp")?;
            timestamp_delay(&t, entered_ms).ok_or_else(|| {
                query_error(format!(
                    "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {t}"
                ))
            })?
        }
    };
    if delay_ms / 1000 > MAX_WAIT_SECONDS {
        return Err(Failure::runtime("Wait state delay is too long."));
    }
    let delay = u64::try_from(delay_ms.max(0)).unwrap_or(u64::MAX);
    Ok(entered_ms.saturating_add(delay))
}

/// Milliseconds from `entered_ms` until the timestamp `t` (negative when already past).
fn timestamp_delay(t: &str, entered_ms: u64) -> Option<i128> {
    let nanos = parse_rfc3339_nanos(t)?;
    Some(nanos / 1_000_000 - entered_ms as i128)
}
