//! Map: runs the item processor once per item of `ItemsPath`, at most `MaxConcurrency` at a
//! time (0 = no limit), and collects the outputs in item order.
//!
//! INLINE iterations record their states in the execution's history between
//! `MapIterationStarted` and `MapIterationSucceeded/Failed`. A DISTRIBUTED map runs the same
//! iterations as child executions of a map run: the parent history only shows `MapRunStarted`
//! and `MapRunSucceeded/Failed`, and each iteration's events go to a history of its own.
//!
//! The steps live by concern: `items` (what is iterated), `limits` (concurrency and tolerated
//! failures), `iterations` (running them), `map_run` (a distributed map's map run) and
//! `writer` (ItemReader/ResultWriter). TestState uses the first two on their own.

mod items;
mod iterations;
mod limits;
mod map_run;
mod writer;

pub(crate) use items::{items_path, jsonata_items};
pub(crate) use iterations::threshold_exceeded;
pub(crate) use limits::{max_concurrency, Tolerance};

use super::dataflow::StateEnv;
use super::engine::Engine;
use super::failure::Failure;
use super::resume;
use super::Restart;
use crate::asl::ast::{MapState, ProcessorMode};
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) async fn run(
    engine: &Arc<Engine>,
    env: &StateEnv<'_>,
    m: &MapState,
    raw: Value,
    cursor: &mut u64,
    started: &mut bool,
    restart: Option<(u64, Box<Restart>)>,
) -> Result<Value, Failure> {
    writer::refuse_s3(m)?;
    let effective = env.input(&raw)?;
    let max_concurrency = max_concurrency(env, m, &raw, &effective)?;
    let inputs = items::inputs(env, m, &raw, &effective)?;
    // After a restart inside an inline Map: finished iterations keep their output, running
    // ones continue where they were (see `resume`). A distributed map picks up its map run:
    // the items that ended are not run again, the others run from their start.
    let inline = m.processor_config.mode != ProcessorMode::Distributed;
    let resumed_run = restart
        .as_ref()
        .filter(|_| !inline)
        .and_then(|(entered, _)| {
            let history = engine.rec.history();
            let retries = !env.state.retriers().is_empty();
            resume::map_run(&history, *entered, retries)
        });
    let mut resumed = restart.filter(|_| inline).and_then(|(entered, r)| {
        let history = engine.rec.history();
        let retries = !env.state.retriers().is_empty();
        let processor = &m.item_processor;
        resume::map(
            &history,
            entered,
            &env.state.name,
            processor,
            retries,
            &r.tokens,
        )
    });
    *cursor = match (&resumed, &resumed_run) {
        (Some(n), _) => n.started_id,
        (None, Some(run)) => run.started_id,
        (None, None) => engine.rec.emit(
            *cursor,
            "MapStateStarted",
            Some((
                "mapStateStartedEventDetails",
                json!({"length": inputs.len()}),
            )),
        ),
    };
    // AWS reads the tolerated-failure settings after MapStateStarted, and a bad one ends the
    // state without a MapStateFailed.
    let tolerance = Tolerance::of(env, m, &raw, &effective)?;
    *started = true;
    let plan = iterations::Plan {
        inputs,
        max_concurrency,
        tolerance,
        resumed_run: resumed_run.map(|r| (r.map_run_arn, r.run_started_id)),
        begun: resumed
            .as_mut()
            .map(|n| std::mem::take(&mut n.begun))
            .unwrap_or_default(),
        resumed: resumed.map(|n| n.runs).unwrap_or_default(),
    };
    let results = iterations::run(engine, env, m, plan, cursor).await?;
    env.finish_result(raw, writer::result(m, results)?)
}
