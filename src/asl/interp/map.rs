//! Map: runs the item processor once per item of `ItemsPath`, at most `MaxConcurrency` at a
//! time (0 = no limit), and collects the outputs in item order.
//!
//! INLINE iterations record their states in the execution's history between
//! `MapIterationStarted` and `MapIterationSucceeded/Failed`. A DISTRIBUTED map runs the same
//! iterations as child executions of a map run: the parent history only shows `MapRunStarted`
//! and `MapRunSucceeded/Failed`, and each iteration's events go to a history of its own.
//! (ItemReader, ItemBatcher and ResultWriter are not supported yet.)

use super::dataflow::{shown, StateEnv};
use super::failure::Failure;
use super::history::error_details;
use super::history::Recorder;
use super::map_runs::{Counts, MapRun, SharedMapRun};
use super::query::{query_error, unexpected_type};
use super::run::{run_machine, Engine};
use super::vars::Variables;
use super::ExecutionRecord;
use crate::asl::ast::{DataPath, Dynamic, ItemBatcher, MapState, ProcessorMode};
use crate::asl::errors::StatesError;
use crate::asl::jsonpath::{self, JsonPath, Scope};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::task::JoinSet;

pub(crate) async fn run(
    engine: &Arc<Engine>,
    env: &StateEnv<'_>,
    m: &MapState,
    raw: Value,
    cursor: &mut u64,
    started: &mut bool,
) -> Result<Value, Failure> {
    let state = env.state;
    let ctx = env.context;
    // Every ItemReader reads from S3, and a ResultWriter with a Resource writes to it: stepyard
    // does not emulate S3, so these fail the state the way an unreadable source would.
    if let Some(reader) = &m.item_reader {
        return Err(StatesError::new(
            "States.ItemReaderFailed",
            format!(
                "stepyard does not emulate S3: the ItemReader resource '{}' cannot be read",
                reader.resource
            ),
        )
        .into());
    }
    if let Some(resource) = m.result_writer.as_ref().and_then(|w| w.resource.as_ref()) {
        return Err(StatesError::new(
            "States.ResultWriterFailed",
            format!("stepyard does not emulate S3: the ResultWriter resource '{resource}' cannot be written"),
        )
        .into());
    }
    let distributed = m.processor_config.mode == ProcessorMode::Distributed;
    let effective = env.input(&raw)?;
    let scope = env.scope(&effective);
    let numbers = (env, &raw);
    let max_concurrency = count_field(&m.max_concurrency, &scope, "MaxConcurrency", numbers)?;
    let items = if env.jsonata() {
        jsonata_items(env, m, &raw)?
    } else {
        let items = match &m.items_path {
            DataPath::Discard => effective.clone(),
            DataPath::Path(p) => jsonpath::select(p, &scope)?,
        };
        let Value::Array(items) = items else {
            return Err(Failure::runtime(format!(
                "Item list is not a JSON array: the ItemsPath field refers to value {} which is not an array",
                shown(&items)
            )));
        };
        items
    };
    let selector = m.item_selector.as_ref().or(m.parameters.as_ref());
    let mut inputs = Vec::with_capacity(items.len());
    match selector {
        Some(t) => {
            // One copy of the context for all items; only its `Map.Item` changes per item.
            let mut item_ctx = ctx.clone();
            for (index, item) in items.iter().enumerate() {
                if let Value::Object(o) = &mut item_ctx {
                    o.insert(
                        "Map".into(),
                        json!({"Item": {"Index": index, "Value": item}}),
                    );
                }
                let item_env = env.with_context(&item_ctx);
                inputs.push(if env.jsonata() {
                    item_env
                        .query(&raw, None, None)
                        .template(t, "ItemSelector")?
                } else {
                    item_env.template(t, &effective)?
                });
            }
        }
        None => inputs = items,
    }

    if let Some(batcher) = &m.item_batcher {
        inputs = batch(batcher, inputs, &effective, &scope, numbers)?;
    }
    let total = inputs.len();
    *cursor = engine.rec.emit(
        *cursor,
        "MapStateStarted",
        Some(("mapStateStartedEventDetails", json!({"length": total}))),
    );
    // AWS reads the tolerated-failure settings after MapStateStarted, and a bad one ends the
    // state without a MapStateFailed.
    let tolerated_count = count_field(
        &m.tolerated_failure_count,
        &scope,
        "ToleratedFailureCount",
        numbers,
    )?;
    let tolerated_pct = percentage_field(&m.tolerated_failure_percentage, &scope, numbers)?;
    *started = true;
    let mut map_run: Option<MapRunGuard> = None;
    let iteration_engine = if distributed {
        let arn = map_run_arn(&engine.base_context, m);
        map_run = Some(MapRunGuard(
            engine.map_runs.add(MapRun {
                arn: arn.clone(),
                execution_arn: engine
                    .base_context
                    .pointer("/Execution/Id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                state_machine_arn: map_run_machine_arn(&arn),
                status: "RUNNING",
                start_ms: engine.rec.clock().now_millis(),
                stop_ms: None,
                max_concurrency: max_concurrency.unwrap_or(0),
                tolerated_failure_count: tolerated_count.unwrap_or(0),
                tolerated_failure_percentage: tolerated_pct.unwrap_or(0.0),
                counts: Counts {
                    pending: total as u64,
                    total: total as u64,
                    ..Counts::default()
                },
            }),
        ));
        *cursor = engine.rec.emit(
            *cursor,
            "MapRunStarted",
            Some(("mapRunStartedEventDetails", json!({"mapRunArn": arn}))),
        );
        // The map run's child executions: same clock and context, a history of their own.
        let record = Arc::new(parking_lot::Mutex::new(ExecutionRecord::without_history()));
        Arc::new(Engine {
            rec: Recorder::new(record, engine.rec.clock().clone()),
            base_context: engine.base_context.clone(),
            board: engine.board.clone(),
            map_runs: engine.map_runs.clone(),
            redrive_from: None,
            tasks: engine.tasks.clone(),
        })
    } else {
        engine.clone()
    };
    let run_started = *cursor;
    let limit = match max_concurrency {
        Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => usize::MAX,
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
        // UpdateMapRun may change a map run's concurrency while it runs.
        let limit = match &map_run {
            Some(run) => match run.0.lock().max_concurrency {
                0 => usize::MAX,
                n => usize::try_from(n).unwrap_or(usize::MAX),
            },
            None => limit,
        };
        while running.len() < limit {
            let Some((index, input)) = pending.next() else {
                break;
            };
            if let Some(run) = &map_run {
                let mut r = run.0.lock();
                r.counts.pending = r.counts.pending.saturating_sub(1);
                r.counts.running += 1;
            }
            let first = if distributed {
                0
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
            let run = run_machine(
                iteration_engine.clone(),
                processor.clone(),
                input,
                first,
                vars,
            );
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
            let mut r = run.0.lock();
            r.counts.running = r.counts.running.saturating_sub(1);
            if result.is_ok() {
                r.counts.succeeded += 1;
            } else {
                r.counts.failed += 1;
            }
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
                if exceeds(failed, total, tolerated_count, tolerated_pct) {
                    running.abort_all();
                    let failure = if tolerated_count.is_some() || tolerated_pct.is_some() {
                        Failure {
                            error: Some("States.ExceedToleratedFailureThreshold".into()),
                            cause: Some(
                                "The specified tolerated failure threshold was exceeded".into(),
                            ),
                            from_child: true,
                        }
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
    let results = match m
        .result_writer
        .as_ref()
        .and_then(|w| w.writer_config.as_ref())
    {
        Some(config) => transform(config, results)?,
        None => Value::Array(results),
    };
    env.finish_result(raw, results)
}

/// `Items` of a JSONata Map (an array, or an expression giving one); without it, the state
/// input must be the array.
pub(crate) fn jsonata_items(
    env: &StateEnv,
    m: &MapState,
    raw: &Value,
) -> Result<Vec<Value>, Failure> {
    let q = env.query(raw, None, None);
    match &m.items {
        None => match raw {
            Value::Array(a) => Ok(a.clone()),
            other => Err(query_error(format!(
                "Map state input must be an array but was: {}",
                serde_json::to_string(other).unwrap_or_default()
            ))),
        },
        Some(items) => {
            let Some(expr) = q.dynamic(items) else {
                return match q.template(items, "Items")? {
                    Value::Array(a) => Ok(a),
                    other => Err(query_error(format!(
                        "The Items field must be an array but was: {}",
                        serde_json::to_string(&other).unwrap_or_default()
                    ))),
                };
            };
            match q.value(expr, "Items")? {
                Value::Array(a) => Ok(a),
                other => Err(unexpected_type(expr, "Items", "array", &other)),
            }
        }
    }
}

/// ItemBatcher: the (selected) items in batches of at most MaxItemsPerBatch items and
/// MaxInputBytesPerBatch bytes, each child getting `{"Items": [...], "BatchInput": ...}`.
fn batch(
    batcher: &ItemBatcher,
    items: Vec<Value>,
    effective: &Value,
    scope: &Scope,
    numbers: (&StateEnv, &Value),
) -> Result<Vec<Value>, Failure> {
    let max_items = count_field(
        &batcher.max_items_per_batch,
        scope,
        "MaxItemsPerBatch",
        numbers,
    )?;
    let max_bytes = count_field(
        &batcher.max_input_bytes_per_batch,
        scope,
        "MaxInputBytesPerBatch",
        numbers,
    )?;
    let (env, raw) = numbers;
    let batch_input = match &batcher.batch_input {
        Some(t) if env.jsonata() => Some(env.query(raw, None, None).template(t, "BatchInput")?),
        Some(t) => Some(env.template(t, effective)?),
        None => None,
    };
    let max_items = max_items
        .filter(|n| *n > 0)
        .map_or(usize::MAX, |n| n as usize);
    let max_bytes = max_bytes
        .filter(|n| *n > 0)
        .map_or(usize::MAX, |n| n as usize);
    let wrap = |items: Vec<Value>| {
        let mut o = serde_json::Map::new();
        if let Some(b) = &batch_input {
            o.insert("BatchInput".into(), b.clone());
        }
        o.insert("Items".into(), Value::Array(items));
        Value::Object(o)
    };
    let mut batches = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0usize;
    for item in items {
        let size = serde_json::to_string(&item).map_or(0, |t| t.len());
        if !current.is_empty() && (current.len() >= max_items || bytes + size > max_bytes) {
            batches.push(wrap(std::mem::take(&mut current)));
            bytes = 0;
        }
        bytes += size;
        current.push(item);
    }
    if !current.is_empty() {
        batches.push(wrap(current));
    }
    Ok(batches)
}

/// A ResultWriter with only a WriterConfig shapes the Map's result in place of writing it:
/// `COMPACT` gives the children's outputs, `FLATTEN` also merges array outputs into one
/// array, `NONE` wraps each output with its child execution's status, as AWS's result file.
fn transform(config: &Value, results: Vec<Value>) -> Result<Value, Failure> {
    match config
        .get("Transformation")
        .and_then(Value::as_str)
        .unwrap_or("NONE")
    {
        "COMPACT" => Ok(Value::Array(results)),
        "FLATTEN" => Ok(Value::Array(
            results
                .into_iter()
                .flat_map(|r| match r {
                    Value::Array(items) => items,
                    other => vec![other],
                })
                .collect(),
        )),
        "NONE" => Ok(Value::Array(
            results
                .into_iter()
                .map(|r| {
                    json!({
                        "Output": serde_json::to_string(&r).unwrap_or_default(),
                        "OutputDetails": {"Included": true},
                        "Status": "SUCCEEDED",
                    })
                })
                .collect(),
        )),
        other => Err(Failure::runtime(format!(
            "The WriterConfig Transformation '{other}' is not one of NONE, COMPACT, FLATTEN"
        ))),
    }
}

/// `arn:<partition>:states:<region>:<account>:mapRun:<machine>/<label>:<uuid>`, from the
/// machine's ARN in the context object; without a Label, AWS puts a UUID in its place.
fn map_run_arn(context: &Value, m: &MapState) -> String {
    let machine = context
        .pointer("/StateMachine/Id")
        .and_then(Value::as_str)
        .unwrap_or("arn:aws:states:us-east-1:000000000000:stateMachine:unknown");
    let base = machine.replacen(":stateMachine:", ":mapRun:", 1);
    let run_id = uuid::Uuid::new_v4().to_string();
    let label = m
        .label
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    format!("{base}/{label}:{run_id}")
}

/// `...:stateMachine:<machine>/<label>` for the map run ARN `...:mapRun:<machine>/<label>:<id>`.
fn map_run_machine_arn(map_run_arn: &str) -> String {
    let base = map_run_arn
        .rsplit_once(':')
        .map_or(map_run_arn, |(base, _)| base);
    base.replacen(":mapRun:", ":stateMachine:", 1)
}

/// A map run in progress: one that is dropped unfinished (the execution was stopped or timed
/// out) is recorded as ABORTED.
struct MapRunGuard(SharedMapRun);

impl MapRunGuard {
    fn finish(self, now_ms: u64, status: &'static str) {
        let mut r = self.0.lock();
        r.status = status;
        r.stop_ms = Some(now_ms);
    }
}

impl Drop for MapRunGuard {
    fn drop(&mut self) {
        let mut r = self.0.lock();
        if r.status == "RUNNING" {
            r.status = "ABORTED";
            r.counts.aborted += r.counts.running + r.counts.pending;
            r.counts.running = 0;
            r.counts.pending = 0;
        }
    }
}

/// Whether `failed` of `total` iterations is over the tolerated threshold (none tolerated
/// unless a count or percentage is set).
pub(crate) fn exceeds(failed: usize, total: usize, count: Option<u64>, pct: Option<f64>) -> bool {
    if count.is_none() && pct.is_none() {
        return failed > 0;
    }
    let over_count = count.is_some_and(|c| failed as u64 > c);
    let over_pct = pct.is_some_and(|p| total > 0 && (failed as f64 * 100.0 / total as f64) > p);
    match (count, pct) {
        (Some(_), Some(_)) => over_count && over_pct,
        (Some(_), None) => over_count,
        _ => over_pct,
    }
}

/// `MaxConcurrency(Path)` / `ToleratedFailureCount(Path)`: a non-negative integer.
fn count_field(
    d: &Option<Dynamic<u64>>,
    scope: &Scope,
    field: &str,
    (env, raw): (&StateEnv, &Value),
) -> Result<Option<u64>, Failure> {
    match d {
        None => Ok(None),
        Some(Dynamic::Literal(n)) => Ok(Some(*n)),
        Some(Dynamic::Path(p)) => {
            let v = select(p, scope)?;
            // A variable holding "1" is taken as 1, as AWS does.
            let n = v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
            match n {
                Some(n) if n < 0 => Err(Failure::runtime(format!("{field} cannot be negative."))),
                Some(n) => Ok(Some(n as u64)),
                None => Err(Failure::runtime(format!(
                    "The {field}Path field refers to value \"{}\" which is not a valid integer: {p}",
                    shown(&v)
                ))),
            }
        }
        Some(Dynamic::Jsonata(text)) => Ok(Some(env.jsonata_uint(raw, text, field)?)),
    }
}

fn percentage_field(
    d: &Option<Dynamic<f64>>,
    scope: &Scope,
    (env, raw): (&StateEnv, &Value),
) -> Result<Option<f64>, Failure> {
    let pct = match d {
        None => return Ok(None),
        Some(Dynamic::Literal(x)) => *x,
        Some(Dynamic::Path(p)) => {
            let v = select(p, scope)?;
            let x = v
                .as_f64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
            match x {
                Some(x) => x,
                None => {
                    return Err(Failure::runtime(format!(
                    "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {p}",
                    shown(&v)
                )))
                }
            }
        }
        Some(Dynamic::Jsonata(text)) => {
            env.jsonata_number(raw, text, "ToleratedFailurePercentage")?
        }
    };
    if !(0.0..=100.0).contains(&pct) {
        return Err(Failure::runtime(
            "ToleratedFailurePercentage must be between 0 and 100.",
        ));
    }
    Ok(Some(pct))
}

fn select(p: &str, scope: &Scope) -> Result<Value, Failure> {
    let path =
        JsonPath::parse(p).map_err(|e| Failure::runtime(format!("Invalid path '{p}': {}", e.0)))?;
    Ok(path.select_invalid_path(scope)?)
}
