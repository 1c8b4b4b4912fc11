//! Running a Map's iterations: one tokio task each, at most `MaxConcurrency` (and never more
//! than AWS's 40 inline, 10,000 distributed) at once, inline
//! (their states in the execution's history) or as a distributed map run's child executions;
//! the outputs collected in item order until the tolerated failures are exceeded.

use super::super::dataflow::StateEnv;
use super::super::engine::Engine;
use super::super::failure::Failure;
use super::super::history::error_details;
use super::super::map_runs::ItemEnd;
use super::super::resume::{self, Position};
use super::super::vars::Variables;
use super::limits::Tolerance;
use super::map_run::MapRunGuard;
use crate::asl::ast::{MapState, ProcessorMode};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::task::JoinSet;

/// AWS runs at most 40 iterations of an inline Map at once, whatever `MaxConcurrency` says
/// (0 included); iterations are started only as earlier ones end, so a Map over a million
/// items holds 40 running iterations, never a million.
const INLINE_MAX_IN_FLIGHT: usize = 40;

/// A distributed map runs at most 10,000 child executions at once (AWS's limit).
const DISTRIBUTED_MAX_IN_FLIGHT: usize = 10_000;

/// What the iterations run on, as the state's data flow worked it out.
pub(super) struct Plan {
    /// One input per iteration, in item order.
    pub inputs: Vec<Value>,
    pub max_concurrency: Option<u64>,
    pub tolerance: Tolerance,
    /// After a restart: where the iterations that had begun stand, by index.
    pub resumed: HashMap<usize, Position>,
    /// After a restart inside a distributed map: its map run's ARN and the id of its
    /// `MapRunStarted`.
    pub resumed_run: Option<(String, u64)>,
    /// After a restart: iterations begun without a state entered, with their
    /// `MapIterationStarted` id.
    pub begun: HashMap<usize, u64>,
}

/// Runs every iteration and returns their outputs (a tolerated failure's error output in its
/// place), recording the Map's events from `MapRunStarted` to `MapStateSucceeded`; on too
/// many failures, the failure (`MapStateFailed` is the caller's).
pub(super) async fn run(
    engine: &Arc<Engine>,
    env: &StateEnv<'_>,
    m: &MapState,
    plan: Plan,
    cursor: &mut u64,
) -> Result<Vec<Value>, Failure> {
    let state = env.state;
    let distributed = m.processor_config.mode == ProcessorMode::Distributed;
    let Plan {
        inputs,
        max_concurrency,
        tolerance,
        mut resumed,
        resumed_run,
        mut begun,
    } = plan;
    let total = inputs.len();
    let mut map_run: Option<MapRunGuard> = None;
    // A resumed map run's items that had ended: not run again; its children that were
    // running: resumed from their histories.
    let mut ended = HashMap::new();
    let mut children_at = HashMap::new();
    let picked_up = resumed_run
        .filter(|_| distributed)
        .and_then(|(arn, started)| Some((MapRunGuard::resume(engine, &arn)?, started)));
    let iteration_engine = if let Some(((run, children, items, running), started)) = picked_up {
        map_run = Some(run);
        ended = items;
        children_at = running;
        *cursor = started;
        children
    } else if distributed {
        let (run, arn, children) = MapRunGuard::start(engine, m, total, max_concurrency, tolerance);
        map_run = Some(run);
        *cursor = engine.rec.emit(
            *cursor,
            "MapRunStarted",
            Some(("mapRunStartedEventDetails", json!({"mapRunArn": arn}))),
        );
        children
    } else {
        engine.clone()
    };
    let run_started = *cursor;
    let ceiling = if distributed {
        DISTRIBUTED_MAX_IN_FLIGHT
    } else {
        INLINE_MAX_IN_FLIGHT
    };
    let limit = match max_concurrency {
        Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX).min(ceiling),
        _ => ceiling,
    };
    let processor = Arc::new((*m.item_processor).clone());
    let mut results = vec![Value::Null; total];
    let mut failed = 0usize;
    let mut last_end = *cursor;
    let mut pending = inputs.into_iter().enumerate();

    // One tokio task per running iteration, at most `limit` at once: a new one starts only
    // when one finishes. The JoinSet owns them, so dropping this future (StopExecution, the
    // execution's timeout) or returning on a failure aborts every iteration still running.
    let mut running = JoinSet::new();
    loop {
        let limit = map_run
            .as_ref()
            .map_or(limit, |run| run.limit().min(ceiling));
        while running.len() < limit {
            let Some((index, input)) = pending.next() else {
                break;
            };
            match ended.remove(&index) {
                Some(ItemEnd::Succeeded(out)) => {
                    if let Some(slot) = results.get_mut(index) {
                        *slot = out;
                    }
                    continue;
                }
                Some(ItemEnd::Failed { error, cause }) => {
                    failed += 1;
                    if let Some(slot) = results.get_mut(index) {
                        *slot = Failure {
                            error,
                            cause,
                            from_child: true,
                        }
                        .to_object();
                    }
                    continue;
                }
                None => {}
            }
            let mut resumed_at = match resumed.remove(&index) {
                Some(Position::Done(out, iteration_last)) => {
                    if let Some(slot) = results.get_mut(index) {
                        *slot = out;
                    }
                    last_end = last_end.max(iteration_last);
                    continue;
                }
                Some(Position::At(r, iteration_last)) => Some((r, iteration_last)),
                _ => None,
            };
            // A child execution that was running at a restart: where its own history says.
            let mut child_history = None;
            if let Some(child) = children_at.remove(&index) {
                let events: Vec<&_> = child.events.iter().collect();
                let tokens = Arc::new(child.tokens);
                match resume::position(&events, &processor, &tokens) {
                    // It ended and its end was not kept yet: kept now, not run again.
                    Position::Done(out, _) => {
                        if let Some(run) = &map_run {
                            run.child_started();
                            run.child_ended(index, &ItemEnd::Succeeded(out.clone()));
                        }
                        if let Some(slot) = results.get_mut(index) {
                            *slot = out;
                        }
                        continue;
                    }
                    Position::At(r, last) => {
                        resumed_at = Some((r, last));
                        child_history = Some(child.events);
                    }
                    Position::Fresh => {}
                }
            }
            // With a data directory each child has a history of its own (see `child_engine`).
            let on = match &map_run {
                Some(run) => run.child_engine(&iteration_engine, index, child_history),
                None => iteration_engine.clone(),
            };
            if let Some(run) = &map_run {
                run.child_started();
            }
            if let Some((r, iteration_last)) = resumed_at {
                // A child execution starts with no variables (see below); an inline
                // iteration with the ones in scope.
                let mut vars = if distributed {
                    Variables::default()
                } else {
                    env.vars.inner()
                };
                vars.commit(r.variables)?;
                let run = on.run_nested_from(
                    processor.clone(),
                    r.state,
                    r.input,
                    iteration_last,
                    vars,
                    r.restart,
                );
                let work = engine.branch_work();
                let tracker = work.tracker().clone();
                running.spawn(work.run(async move {
                    let end = run.await;
                    (index, end, tracker.wake())
                }));
                continue;
            }
            let first = if distributed {
                0
            } else if let Some(started) = begun.remove(&index) {
                started
            } else {
                engine
                    .rec
                    .map_iteration(*cursor, "Started", &state.name, index)
            };
            // Inline iterations read the variables in scope here; a distributed map's child
            // executions start with none, as AWS's do.
            let vars = if distributed {
                Variables::default()
            } else {
                env.vars.inner()
            };
            let run = on.run_nested(processor.clone(), input, first, vars);
            // As Parallel's branches: its own work, handing a wake back as it ends.
            let work = engine.branch_work();
            let tracker = work.tracker().clone();
            running.spawn(work.run(async move {
                let end = run.await;
                (index, end, tracker.wake())
            }));
        }
        let Some(joined) = crate::settle::parked(running.join_next()).await else {
            break;
        };
        let (index, (result, iteration_last), _wake) = joined
            .map_err(|e| Failure::runtime(format!("A Map iteration stopped unexpectedly: {e}")))?;
        if !distributed {
            // The next iteration's MapIterationStarted chains to this iteration's last state
            // event, not to its MapIterationSucceeded (as AWS records it).
            *cursor = iteration_last;
        }
        if let Some(run) = &map_run {
            let end = match &result {
                Ok(out) => ItemEnd::Succeeded(out.clone()),
                Err(f) => ItemEnd::Failed {
                    error: f.error.clone(),
                    cause: f.cause.clone(),
                },
            };
            run.child_ended(index, &end);
        }
        match result {
            Ok(out) => {
                if !distributed {
                    last_end =
                        engine
                            .rec
                            .map_iteration(iteration_last, "Succeeded", &state.name, index);
                }
                if let Some(slot) = results.get_mut(index) {
                    *slot = out;
                }
            }
            Err(failure) => {
                if !distributed {
                    engine
                        .rec
                        .map_iteration(iteration_last, "Failed", &state.name, index);
                }
                failed += 1;
                if tolerance.exceeded(failed, total) {
                    running.abort_all();
                    let failure = if tolerance.is_set() {
                        threshold_exceeded()
                    } else {
                        failure
                    };
                    if let Some(run) = map_run.take() {
                        run.finish(engine.rec.clock().now_millis(), "FAILED");
                    }
                    if distributed {
                        *cursor = engine.rec.emit(
                            run_started,
                            "MapRunFailed",
                            Some((
                                "mapRunFailedEventDetails",
                                error_details(failure.error.as_deref(), failure.cause.as_deref()),
                            )),
                        );
                    }
                    // `MapStateFailed` (chained to the cursor) is recorded by the caller,
                    // unless a retrier runs the state again.
                    return Err(failure);
                }
                if let Some(slot) = results.get_mut(index) {
                    *slot = failure.to_object();
                }
            }
        }
    }
    if distributed {
        // As AWS records it since late 2024: MapStateSucceeded chains to MapRunSucceeded, but
        // MapStateExited to MapRunStarted (recordings from before chain both to
        // MapRunSucceeded).
        if let Some(run) = map_run.take() {
            run.finish(engine.rec.clock().now_millis(), "SUCCEEDED");
        }
        let run_succeeded = engine.rec.emit(run_started, "MapRunSucceeded", None);
        engine.rec.emit(run_succeeded, "MapStateSucceeded", None);
        *cursor = run_started;
    } else {
        // MapStateSucceeded and MapStateExited both chain to the last MapIterationSucceeded.
        *cursor = last_end;
        engine.rec.emit(last_end, "MapStateSucceeded", None);
    }
    Ok(results)
}

/// The failure of a Map whose failed iterations went over its tolerated threshold.
pub(crate) fn threshold_exceeded() -> Failure {
    Failure {
        error: Some("States.ExceedToleratedFailureThreshold".into()),
        cause: Some("The specified tolerated failure threshold was exceeded".into()),
        from_child: true,
    }
}
