//! Where a run continues after a restart (`--data-dir`, or a state document loaded): worked
//! out from the history alone, so nothing is written for it on the in-memory path. A "run" is
//! the execution's top level, one Parallel branch or one inline Map iteration: its events are
//! the ones chained (by `previousEventId`) below its first event.
//!
//! A run is either not begun (`Fresh`), ended (`Done`: its last state exited and was terminal),
//! between two states (continues at the next one), or inside a state it entered and did not
//! leave (continues inside it, without entering it again: a Wait keeps its deadline, a Task its
//! token, a Map or Parallel its finished iterations and branches). Variables are the ones the
//! run's own `...StateExited` events assigned (`assignedVariables`).

use super::{HistoryEvent, Restart, Resume};
use crate::asl::ast::{StateKind, StateMachine, Transition};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Where one run stands.
// Built only while a restarted execution works out where it was, a few per run: its size
// does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Position {
    /// None of its events is in the history: it starts at `StartAt`.
    Fresh,
    /// It ended with this output; its last event's id.
    Done(Value, u64),
    /// It continues at `state` (inside it when `restart` is set); its last event's id, which
    /// the next state's entry chains to.
    At(Resume, u64),
}

/// The task tokens an execution's Tasks waited on: (the last event id when issued, token).
pub type Tokens = Arc<Vec<(u64, String)>>;

/// Where a run whose events are `events` (in id order) stands in `machine`.
pub fn position(events: &[&HistoryEvent], machine: &StateMachine, tokens: &Tokens) -> Position {
    let last = events.last().map_or(0, |e| e.id);
    // Every state entered and not exited, in entry order: the first is this run's own.
    let mut open: Vec<(String, &HistoryEvent)> = Vec::new();
    let mut variables = Map::new();
    let mut last_exit: Option<(&HistoryEvent, &HistoryEvent)> = None;
    for e in events {
        if e.event_type() == "ExecutionRedriven" {
            // The failed state of the run before stays entered without an exit.
            open.clear();
            continue;
        }
        let Some((_, details)) = e.details() else {
            continue;
        };
        let name = details
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if e.event_type().ends_with("StateEntered") {
            open.push((name, e));
        } else if e.event_type().ends_with("StateExited") {
            if let Some(i) = open.iter().rposition(|(n, _)| *n == name) {
                let (_, entered) = open.remove(i);
                if i == 0 {
                    assigned(&details, &mut variables);
                    last_exit = Some((entered, e));
                }
            }
        }
    }
    if let Some((name, entered)) = open.first() {
        let after: Vec<&HistoryEvent> = events
            .iter()
            .copied()
            .filter(|e| e.id > entered.id)
            .collect();
        return Position::At(
            Resume {
                state: name.to_string(),
                input: json_member(entered, "input"),
                variables,
                restart: Some(Box::new(Restart {
                    entered_prev: entered.previous_event_id,
                    entered_id: entered.id,
                    entered_ms: entered.timestamp_ms,
                    token: token_for(entered.id, &after, tokens),
                    submitted_ms: submitted(&after),
                    succeeded: succeeded(&after),
                    activity_scheduled_ms: activity_scheduled(&after),
                    tokens: tokens.clone(),
                })),
                after_restart: true,
            },
            last,
        );
    }
    let Some((entered, exited)) = last_exit else {
        return Position::Fresh;
    };
    let exited_details = exited.details().map(|(_, d)| d);
    let name = exited_details
        .as_ref()
        .and_then(|d| d.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let output = json_member(exited, "output");
    let Some(state) = machine.state(name) else {
        return Position::Fresh;
    };
    // A state whose failure a Catch took goes on at the catcher's Next.
    if let Some(next) = caught_next(events, entered.id, exited.id, state) {
        return Position::At(
            Resume {
                state: next,
                input: output,
                variables,
                restart: None,
                after_restart: true,
            },
            last,
        );
    }
    match (&state.transition, &state.kind) {
        (Some(Transition::Next(next)), _) => Position::At(
            Resume {
                state: next.clone(),
                input: output,
                variables,
                restart: None,
                after_restart: true,
            },
            last,
        ),
        // A Choice's choice is not in the history: it is entered again on its input.
        (None, StateKind::Choice(_)) => Position::At(
            Resume {
                state: name.to_string(),
                input: json_member(entered, "input"),
                variables,
                restart: None,
                after_restart: true,
            },
            last,
        ),
        _ => Position::Done(output, last),
    }
}

/// Every event chained below `root` (not `root` itself), in id order, not following the
/// events for which `cut` holds (nor what chains below them).
pub fn below(
    history: &[HistoryEvent],
    root: u64,
    cut: impl Fn(&HistoryEvent) -> bool,
) -> Vec<&HistoryEvent> {
    let mut children: HashMap<u64, Vec<&HistoryEvent>> = HashMap::new();
    for e in history.iter().filter(|e| e.id > root) {
        children.entry(e.previous_event_id).or_default().push(e);
    }
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        for child in children.get(&id).into_iter().flatten() {
            if cut(child) {
                continue;
            }
            out.push(*child);
            stack.push(child.id);
        }
    }
    out.sort_by_key(|e| e.id);
    out
}

/// The event with id `id` (ids are positions in a kept history).
pub fn event(history: &[HistoryEvent], id: u64) -> Option<&HistoryEvent> {
    let i = usize::try_from(id).ok()?.checked_sub(1)?;
    history.get(i).filter(|e| e.id == id)
}

/// A details member holding JSON text (`input`, `output`), parsed.
pub fn json_member(e: &HistoryEvent, member: &str) -> Value {
    e.details()
        .and_then(|(_, d)| d.get(member).and_then(Value::as_str).map(str::to_string))
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

/// `name` and `index` of a `MapIteration*` event.
pub fn iteration_of(e: &HistoryEvent) -> Option<(String, usize)> {
    let d = e.details()?.1;
    let name = d.get("name")?.as_str()?.to_string();
    let index = usize::try_from(d.get("index")?.as_u64()?).ok()?;
    Some((name, index))
}

fn assigned(details: &Value, variables: &mut Map<String, Value>) {
    let Some(Value::Object(a)) = details.get("assignedVariables") else {
        return;
    };
    for (k, v) in a {
        let value = v
            .as_str()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null);
        variables.insert(k.clone(), value);
    }
}

/// The token the state entered at `entered` waited on: one issued after its entry whose text
/// its last `TaskScheduled` carries (concurrent branches issue tokens too), else the first
/// issued after its entry.
fn token_for(entered: u64, after: &[&HistoryEvent], tokens: &Tokens) -> Option<String> {
    let candidates: Vec<&(u64, String)> = tokens.iter().filter(|(at, _)| *at >= entered).collect();
    // Tokens are kept at the cursor of the Task that issued them, an event of its own run
    // (data directories written before that kept the last event id of the whole execution,
    // which the older rules below still read).
    let ours = |at: u64| at == entered || after.iter().any(|e| e.id == at);
    let scheduled = after
        .iter()
        .rev()
        .find(|e| e.event_type() == "TaskScheduled")
        .and_then(|e| e.details_text())
        .map(str::to_string);
    if let Some(text) = scheduled {
        if let Some((_, t)) = candidates
            .iter()
            .rev()
            .find(|(_, t)| text.contains(t.as_str()))
        {
            return Some(t.clone());
        }
    }
    if let Some((_, t)) = candidates.iter().rev().find(|(at, _)| ours(*at)) {
        return Some(t.clone());
    }
    candidates.first().map(|(_, t)| t.clone())
}

/// When the activity Task's last attempt was scheduled, if it has no outcome yet.
fn activity_scheduled(after: &[&HistoryEvent]) -> Option<u64> {
    let attempt = after
        .iter()
        .rposition(|e| e.event_type() == "ActivityScheduled")?;
    let ended = after[attempt..].iter().any(|e| {
        matches!(
            e.event_type(),
            "ActivitySucceeded" | "ActivityFailed" | "ActivityTimedOut" | "ActivityScheduleFailed"
        )
    });
    (!ended).then(|| after[attempt].timestamp_ms)
}

/// The result of the Task's last attempt, if it succeeded (the state did not exit yet: the
/// server stopped between the outcome and the exit).
fn succeeded(after: &[&HistoryEvent]) -> Option<Value> {
    let attempt = after.iter().rposition(|e| {
        e.event_type() == "TaskScheduled" || e.event_type() == "LambdaFunctionScheduled"
    })?;
    after[attempt..]
        .iter()
        .find(|e| e.event_type() == "TaskSucceeded" || e.event_type() == "LambdaFunctionSucceeded")
        .map(|e| json_member(e, "output"))
}

/// When the Task's call was made, if its last attempt's request went out (`TaskSubmitted`)
/// and it is still waiting for its callback: the time of its `TaskStarted`.
fn submitted(after: &[&HistoryEvent]) -> Option<u64> {
    let attempt = after
        .iter()
        .rposition(|e| e.event_type() == "TaskScheduled")?;
    let mut started = None;
    let mut submitted = false;
    for e in &after[attempt..] {
        match e.event_type() {
            "TaskStarted" => started = Some(e.timestamp_ms),
            "TaskSubmitted" => submitted = true,
            "TaskSucceeded" | "TaskFailed" | "TaskTimedOut" => return None,
            _ => {}
        }
    }
    if submitted {
        started
    } else {
        None
    }
}

/// Where the branches of a Parallel (or the iterations of an inline Map) a restarted execution
/// was inside stand: the id of the state's `...StateStarted`, then one position per branch
/// (per iteration index).
pub struct Nested {
    pub started_id: u64,
    pub runs: HashMap<usize, Position>,
    /// Inline Map iterations begun (`MapIterationStarted`) without a state entered: the id of
    /// that event, which their first state chains to (it is not recorded again).
    pub begun: HashMap<usize, u64>,
}

/// The `<kind>StateStarted` chained to the state's entry and what chains below it; `None`
/// when the state has not started, or when a retrier already ran it again (then it runs
/// again whole: telling attempts apart is not worth it).
fn started<'a>(
    history: &'a [HistoryEvent],
    entered: u64,
    kind: &str,
    retries: bool,
) -> Option<(u64, Vec<&'a HistoryEvent>)> {
    let event = format!("{kind}StateStarted");
    let started = history
        .iter()
        .find(|e| e.previous_event_id == entered && e.event_type() == event)?;
    let scope = below(history, started.id, |_| false);
    if retries && scope.iter().any(|e| e.event_type() == event) {
        return None;
    }
    Some((started.id, scope))
}

/// The branches of the Parallel entered at `entered`.
pub fn parallel(
    history: &[HistoryEvent],
    entered: u64,
    branches: &[StateMachine],
    retries: bool,
    tokens: &Tokens,
) -> Option<Nested> {
    let (started_id, scope) = started(history, entered, "Parallel", retries)?;
    // A branch's first event is its StartAt's entry, chained to ParallelStateStarted.
    let mut roots: Vec<&HistoryEvent> = scope
        .iter()
        .copied()
        .filter(|e| e.previous_event_id == started_id && e.event_type().ends_with("StateEntered"))
        .collect();
    let mut runs = HashMap::new();
    for (index, branch) in branches.iter().enumerate() {
        let found = roots.iter().position(|e| {
            e.details().is_some_and(|(_, d)| {
                d.get("name").and_then(Value::as_str) == Some(branch.start_at.as_str())
            })
        });
        let Some(i) = found else {
            runs.insert(index, Position::Fresh);
            continue;
        };
        let root = roots.remove(i);
        let mut events = vec![root];
        events.extend(below(history, root.id, |_| false));
        runs.insert(index, position(&events, branch, tokens));
    }
    Some(Nested {
        started_id,
        runs,
        begun: HashMap::new(),
    })
}

/// The iterations of the inline Map `name` entered at `entered`: finished ones with their
/// output, running ones with where they stand. Failed ones and ones not begun run (again).
pub fn map(
    history: &[HistoryEvent],
    entered: u64,
    name: &str,
    processor: &StateMachine,
    retries: bool,
    tokens: &Tokens,
) -> Option<Nested> {
    let (started_id, scope) = started(history, entered, "Map", retries)?;
    let ours = |e: &HistoryEvent| {
        e.event_type().starts_with("MapIteration") && iteration_of(e).is_some_and(|x| x.0 == name)
    };
    let mut runs = HashMap::new();
    let mut begun = HashMap::new();
    for e in scope.iter().filter(|e| ours(e)) {
        let Some((_, index)) = iteration_of(e) else {
            continue;
        };
        match e.event_type() {
            "MapIterationSucceeded" => {
                // It chains to the iteration's last `...StateExited`, which has its output.
                let output = event(history, e.previous_event_id)
                    .map(|x| json_member(x, "output"))
                    .unwrap_or(Value::Null);
                runs.insert(index, Position::Done(output, e.previous_event_id));
            }
            "MapIterationFailed" | "MapIterationAborted" => {
                // It runs again, as a new iteration with a MapIterationStarted of its own.
                runs.insert(index, Position::Fresh);
                begun.remove(&index);
            }
            "MapIterationStarted" => {
                if runs.contains_key(&index) {
                    continue;
                }
                let events = below(history, e.id, ours);
                // Begun without a state entered (`Fresh`): it runs from its start, chained to
                // the MapIterationStarted it has.
                let at = position(&events, processor, tokens);
                if matches!(at, Position::Fresh) {
                    begun.insert(index, e.id);
                }
                runs.insert(index, at);
            }
            _ => {}
        }
    }
    Some(Nested {
        started_id,
        runs,
        begun,
    })
}

/// Where the map run of the distributed Map entered at `entered` stands in the parent's
/// history: started and not ended.
pub struct MapRunAt {
    pub started_id: u64,
    pub run_started_id: u64,
    pub map_run_arn: String,
}

/// The map run the distributed Map entered at `entered` had started and not ended; `None`
/// when there is none (it runs whole, as when a retrier ran it again).
pub fn map_run(history: &[HistoryEvent], entered: u64, retries: bool) -> Option<MapRunAt> {
    let (started_id, scope) = started(history, entered, "Map", retries)?;
    if scope
        .iter()
        .any(|e| e.event_type() == "MapRunSucceeded" || e.event_type() == "MapRunFailed")
    {
        return None;
    }
    let run = scope
        .iter()
        .find(|e| e.event_type() == "MapRunStarted" && e.previous_event_id == started_id)?;
    let arn = run.details()?.1.get("mapRunArn")?.as_str()?.to_string();
    Some(MapRunAt {
        started_id,
        run_started_id: run.id,
        map_run_arn: arn,
    })
}

/// The `Next` of the catcher that took the state's failure, when its last outcome between
/// `entered` and `exited` was a failure (a retried failure is followed by another outcome).
fn caught_next(
    events: &[&HistoryEvent],
    entered: u64,
    exited: u64,
    state: &crate::asl::ast::State,
) -> Option<String> {
    if state.catchers().is_empty() {
        return None;
    }
    let inside: Vec<&HistoryEvent> = events
        .iter()
        .copied()
        .filter(|e| e.id > entered && e.id < exited)
        .collect();
    let outcome = inside.iter().rev().find(|e| {
        let t = e.event_type();
        !t.starts_with("MapIteration")
            && (t.ends_with("Succeeded") || t.ends_with("Failed") || t.ends_with("TimedOut"))
    })?;
    if outcome.event_type().ends_with("Succeeded") {
        return None;
    }
    // The error: on the outcome itself (Task), or the last one recorded before it (a Map or
    // Parallel fails with its branch's error).
    let error_of = |e: &HistoryEvent| {
        let d = e.details()?.1;
        Some((
            d.get("error")?.as_str()?.to_string(),
            d.get("cause").and_then(Value::as_str).map(str::to_string),
        ))
    };
    let (error, cause) = inside
        .iter()
        .rev()
        .filter(|e| e.id <= outcome.id)
        .find_map(|e| error_of(e))?;
    let failure = super::Failure {
        error: Some(error),
        cause,
        from_child: !outcome.event_type().starts_with("Task")
            && !outcome.event_type().starts_with("Activity")
            && !outcome.event_type().starts_with("Lambda"),
    };
    let i = super::failure::catcher_for(state, &failure)?;
    Some(state.catchers()[i].next.clone())
}
