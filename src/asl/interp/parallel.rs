//! Parallel: every branch runs concurrently on the state's (effective) input; the result is the
//! branches' outputs in branch order. The first branch to fail fails the state with that
//! branch's error, and the other branches are cancelled.

use super::dataflow::StateEnv;
use super::engine::Engine;
use super::failure::Failure;
use super::resume::{self, Position};
use super::Restart;
use crate::asl::ast::ParallelState;
use serde_json::Value;
use std::sync::Arc;
use tokio::task::JoinSet;

pub(crate) async fn run(
    engine: &Arc<Engine>,
    env: &StateEnv<'_>,
    p: &ParallelState,
    raw: Value,
    cursor: &mut u64,
    started: &mut bool,
    restart: Option<(u64, Box<Restart>)>,
) -> Result<Value, Failure> {
    let effective = env.input(&raw)?;
    let branch_input = env.request(&effective, p.parameters.as_ref(), p.arguments.as_ref())?;
    // After a restart inside this state: finished branches keep their output, running ones
    // continue where they were (see `resume`).
    let mut resumed = restart.and_then(|(entered, r)| {
        let history = engine.rec.history();
        resume::parallel(
            &history,
            entered,
            &p.branches,
            !p.retry.is_empty(),
            &r.tokens,
        )
    });
    let started_id = match &resumed {
        Some(n) => n.started_id,
        None => engine.rec.emit(*cursor, "ParallelStateStarted", None),
    };
    *cursor = started_id;
    *started = true;
    let mut results = vec![Value::Null; p.branches.len()];
    let mut last = started_id;

    // One tokio task per branch, so branches make progress side by side (a Wait in one does
    // not hold up another). The JoinSet owns them: if this future is dropped (StopExecution,
    // the execution's timeout) or returns early on a failure, dropping the set aborts every
    // branch still running, so no branch outlives its Parallel state.
    let mut branches = JoinSet::new();
    for (index, branch) in p.branches.iter().enumerate() {
        let machine = Arc::new(branch.clone());
        // Each branch reads the variables in scope here and keeps what it assigns.
        let mut vars = env.vars.inner();
        let at = resumed.as_mut().and_then(|n| n.runs.remove(&index));
        let run = match at {
            Some(Position::Done(out, branch_last)) => {
                if let Some(slot) = results.get_mut(index) {
                    *slot = out;
                }
                last = last.max(branch_last);
                continue;
            }
            Some(Position::At(r, branch_last)) => {
                vars.commit(r.variables)?;
                engine.run_nested_from(machine, r.state, r.input, branch_last, vars, r.restart)
            }
            _ => engine.run_nested(machine, branch_input.clone(), started_id, vars),
        };
        // A branch is its own work for `settle`; it hands a wake to this task as it ends, so
        // the Parallel (parked in `join_next`) is busy again before the branch is gone.
        let work = engine.branch_work();
        let tracker = work.tracker().clone();
        branches.spawn(work.run(async move {
            let end = run.await;
            (index, end, tracker.wake())
        }));
    }
    while let Some(joined) = crate::settle::parked(branches.join_next()).await {
        let (index, (result, branch_last), _wake) = joined.map_err(|e| {
            Failure::runtime(format!("A Parallel branch stopped unexpectedly: {e}"))
        })?;
        last = last.max(branch_last);
        match result {
            Ok(out) => {
                if let Some(slot) = results.get_mut(index) {
                    *slot = out;
                }
            }
            Err(failure) => {
                branches.abort_all();
                // `ParallelStateFailed` (chained here) is recorded by the caller, unless a
                // retrier runs the state again.
                *cursor = branch_last;
                return Err(failure);
            }
        }
    }
    // AWS chains ParallelStateSucceeded and the Exited event both to the branches' last event.
    engine.rec.emit(last, "ParallelStateSucceeded", None);
    *cursor = last;
    env.finish_result(raw, Value::Array(results))
}
