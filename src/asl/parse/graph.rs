//! The graph phase, run on a schema-valid machine: every transition target exists in its own
//! scope, every state is reachable from `StartAt`, state names are unique across the whole
//! machine (branches and item processors included) and every scope can terminate.

use std::collections::{HashMap, HashSet, VecDeque};

use super::context::{at, indexed, Ctx};
use crate::asl::ast::{State, StateKind, StateMachine, Transition};

const MISSING_TARGET: &str = "MISSING_TRANSITION_TARGET";

pub(crate) fn check(ctx: &mut Ctx, machine: &StateMachine) {
    let mut seen = HashSet::new();
    scope(ctx, machine, "", &mut seen);
}

fn scope<'m>(
    ctx: &mut Ctx,
    machine: &'m StateMachine,
    location: &str,
    seen: &mut HashSet<&'m str>,
) {
    let states_location = at(location, "States");
    let names: HashSet<&str> = machine.states.iter().map(|s| s.name.as_str()).collect();

    if !names.contains(machine.start_at.as_str()) {
        ctx.error(
            MISSING_TARGET,
            format!("Missing 'Next' target: {}", machine.start_at),
            &at(location, "StartAt"),
        );
    }
    for state in &machine.states {
        let state_location = at(&states_location, &state.name);
        if !seen.insert(state.name.as_str()) {
            ctx.error(
                "DUPLICATE_STATE_NAME",
                format!("Duplicate State name: {}", state.name),
                &state_location,
            );
        }
        for (target, target_location) in targets(state, &state_location) {
            if !names.contains(target) {
                ctx.error(
                    MISSING_TARGET,
                    format!("Missing 'Next' target: {target}"),
                    &target_location,
                );
            }
        }
    }

    let reachable = reachable(machine);
    for state in &machine.states {
        if !reachable.contains(state.name.as_str()) {
            ctx.error(
                MISSING_TARGET,
                format!("State \"{}\" is not reachable.", state.name),
                &at(&states_location, &state.name),
            );
        }
    }

    let terminates = machine.states.iter().any(|s| {
        matches!(s.kind, StateKind::Succeed | StateKind::Fail(_))
            || s.transition == Some(Transition::End)
    });
    if !terminates {
        if location.is_empty() {
            ctx.error_without_location("MISSING_END_STATE", "Workflow has no terminal state");
        } else {
            ctx.error(
                "MISSING_END_STATE",
                "Workflow has no terminal state",
                location,
            );
        }
    }

    for state in &machine.states {
        let state_location = at(&states_location, &state.name);
        match &state.kind {
            StateKind::Parallel(p) => {
                for (i, branch) in p.branches.iter().enumerate() {
                    scope(ctx, branch, &indexed(&state_location, "Branches", i), seen);
                }
            }
            StateKind::Map(m) => {
                let key = if m.legacy_iterator {
                    "Iterator"
                } else {
                    "ItemProcessor"
                };
                scope(ctx, &m.item_processor, &at(&state_location, key), seen);
            }
            _ => {}
        }
    }
}

/// Every state a state can move to, with the location of the field naming it.
fn targets<'s>(state: &'s State, location: &str) -> Vec<(&'s str, String)> {
    let mut out = Vec::new();
    if let Some(Transition::Next(next)) = &state.transition {
        out.push((next.as_str(), at(location, "Next")));
    }
    match &state.kind {
        StateKind::Choice(c) => {
            for (i, rule) in c.choices.iter().enumerate() {
                out.push((
                    rule.next.as_str(),
                    at(&indexed(location, "Choices", i), "Next"),
                ));
            }
            if let Some(default) = &c.default {
                out.push((default.as_str(), at(location, "Default")));
            }
        }
        StateKind::Task(t) => catch_targets(&t.catch, location, &mut out),
        StateKind::Parallel(p) => catch_targets(&p.catch, location, &mut out),
        StateKind::Map(m) => catch_targets(&m.catch, location, &mut out),
        _ => {}
    }
    out
}

fn catch_targets<'s>(
    catch: &'s [crate::asl::ast::Catcher],
    location: &str,
    out: &mut Vec<(&'s str, String)>,
) {
    for (i, catcher) in catch.iter().enumerate() {
        out.push((
            catcher.next.as_str(),
            at(&indexed(location, "Catch", i), "Next"),
        ));
    }
}

fn reachable(machine: &StateMachine) -> HashSet<&str> {
    let by_name: HashMap<&str, &State> = machine
        .states
        .iter()
        .map(|s| (s.name.as_str(), s))
        .collect();
    let mut seen = HashSet::new();
    let mut queue = VecDeque::new();
    queue.push_back(machine.start_at.as_str());
    while let Some(name) = queue.pop_front() {
        let Some(state) = by_name.get(name) else {
            continue;
        };
        if !seen.insert(state.name.as_str()) {
            continue;
        }
        for (target, _) in targets(state, "") {
            queue.push_back(target);
        }
    }
    seen
}
