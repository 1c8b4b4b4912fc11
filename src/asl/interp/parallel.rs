//! Parallel: every branch runs concurrently on the state's (effective) input; the result is the
//! branches' outputs in branch order. The first branch to fail fails the state with that
//! branch's error, and the other branches are cancelled.

use super::dataflow::StateEnv;
use super::engine::Engine;
use super::failure::Failure;
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
) -> Result<Value, Failure> {
    let effective = env.input(&raw)?;
    let branch_input = env.request(&effective, p.parameters.as_ref(), p.arguments.as_ref())?;
    let started_id = engine.rec.emit(*cursor, "ParallelStateStarted", None);
    *cursor = started_id;
    *started = true;

    // One tokio task per branch, so branches make progress side by side (a Wait in one does
    // not hold up another). The JoinSet owns them: if this future is dropped (StopExecution,
    // the execution's timeout) or returns early on a failure, dropping the set aborts every
    // branch still running, so no branch outlives its Parallel state.
    let mut branches = JoinSet::new();
    for (index, branch) in p.branches.iter().enumerate() {
        let machine = Arc::new(branch.clone());
        // Each branch reads the variables in scope here and keeps what it assigns.
        let run = engine.run_nested(machine, branch_input.clone(), started_id, env.vars.inner());
        // A branch is its own work for `settle`; it hands a wake to this task as it ends, so
        // the Parallel (parked in `join_next`) is busy again before the branch is gone.
        let work = engine.branch_work();
        let tracker = work.tracker().clone();
        branches.spawn(work.run(async move {
            let end = run.await;
            (index, end, tracker.wake())
        }));
    }
    let mut results = vec![Value::Null; p.branches.len()];
    let mut last = started_id;
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
