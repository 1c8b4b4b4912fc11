//! Parallel: every branch runs concurrently on the state's (effective) input; the result is the
//! branches' outputs in branch order. The first branch to fail fails the state with that
//! branch's error, and the other branches are cancelled.

use super::dataflow::{finish_result, input_path, template};
use super::failure::Failure;
use super::run::{run_machine, Engine};
use crate::asl::ast::{ParallelState, State};
use serde_json::Value;
use std::sync::Arc;
use tokio::task::JoinSet;

pub(crate) async fn run(
    engine: &Arc<Engine>,
    state: &State,
    p: &ParallelState,
    raw: Value,
    ctx: &Value,
    cursor: &mut u64,
    started: &mut bool,
) -> Result<Value, Failure> {
    if p.arguments.is_some() {
        return Err(Failure::runtime("Arguments (JSONata) is not supported yet"));
    }
    let effective = input_path(state, &raw, ctx)?;
    let branch_input = match &p.parameters {
        Some(t) => template(t, &effective, ctx)?,
        None => effective,
    };
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
        let run = run_machine(engine.clone(), machine, branch_input.clone(), started_id);
        branches.spawn(async move { (index, run.await) });
    }
    let mut results = vec![Value::Null; p.branches.len()];
    let mut last = started_id;
    while let Some(joined) = branches.join_next().await {
        let (index, (result, branch_last)) = joined.map_err(|e| {
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
    finish_result(state, raw, Value::Array(results), ctx)
}
