//! Amazon States Language definition parser and validator.
//!
//! `parse_definition` is what CreateStateMachine/UpdateStateMachine use: the typed
//! [`StateMachine`] or an [`DefinitionError`] rendering AWS's `InvalidDefinition` message.
//! `validate_definition` is ValidateStateMachineDefinition: the same checks, as diagnostics.
//!
//! Validation runs in two phases, as Step Functions does: the schema phase (types, required and
//! unsupported fields, values) and, only when it found no error, the graph phase (transition
//! targets, reachability, duplicate names, terminal states). Every check records a
//! [`Diagnostic`] and parsing carries on, so one pass reports every error.

mod choice;
mod context;
mod data_fields;
mod fields;
mod graph;
mod intrinsic_shape;
mod json_error;
mod map;
mod retry_catch;
mod states;
mod values;

use serde::Serialize;

use crate::asl::ast::{State, StateMachine};
use context::Ctx;

/// Standard or Express: a few rules differ (Express refuses `.sync`, `.waitForTaskToken` and
/// activities).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MachineType {
    #[default]
    Standard,
    Express,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding, shaped like ValidateStateMachineDefinition's `diagnostics[]` element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &str, message: impl Into<String>, location: Option<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code: code.to_string(),
            message: message.into(),
            location,
        }
    }

    /// `CODE: message at /location` as it appears inside the `InvalidDefinition` message.
    fn render(&self) -> String {
        if self.code == "INVALID_JSON_DESCRIPTION" {
            // The message already ends with Jackson's own "at [Source: ...]".
            return format!("{}: {}", self.code, self.message);
        }
        let location = self.location.as_deref().unwrap_or("null");
        format!("{}: {} at {}", self.code, self.message, location)
    }
}

/// CreateStateMachine's `InvalidDefinition`: the errors of the definition, rendered as AWS
/// renders them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.diagnostics.iter().map(Diagnostic::render).collect();
        write!(
            f,
            "Invalid State Machine Definition: '{}'",
            parts.join(", ")
        )
    }
}

impl std::error::Error for DefinitionError {}

/// Parses a STANDARD machine's definition.
pub fn parse_definition(text: &str) -> Result<StateMachine, DefinitionError> {
    parse_definition_for(text, MachineType::Standard)
}

pub fn parse_definition_for(
    text: &str,
    machine_type: MachineType,
) -> Result<StateMachine, DefinitionError> {
    let (machine, diagnostics) = run(text, machine_type);
    let errors: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    match machine {
        Some(machine) if errors.is_empty() => Ok(machine),
        _ => Err(DefinitionError {
            diagnostics: if errors.is_empty() {
                // Unreachable in practice: a missing machine always comes with an error.
                vec![Diagnostic::error(
                    "SCHEMA_VALIDATION_FAILED",
                    "Definition must be a valid JSON object",
                    None,
                )]
            } else {
                errors
            },
        }),
    }
}

/// ValidateStateMachineDefinition for a STANDARD machine.
pub fn validate_definition(text: &str) -> Vec<Diagnostic> {
    validate_definition_for(text, MachineType::Standard)
}

pub fn validate_definition_for(text: &str, machine_type: MachineType) -> Vec<Diagnostic> {
    run(text, machine_type).1
}

/// TestState's single-state `definition`: validated as the only state of a machine, named
/// `StateName` in locations as AWS does; its transitions are not resolved (a tested state's
/// `Next` names a state that is not there).
pub fn parse_state_definition(
    text: &str,
    machine_type: MachineType,
) -> Result<State, DefinitionError> {
    const NAME: &str = "StateName";
    let fail = |diagnostics| Err(DefinitionError { diagnostics });
    if text.trim().is_empty() {
        return fail(vec![not_an_object()]);
    }
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) => return fail(vec![json_error::describe(text, &err)]),
    };
    if !value.is_object() {
        return fail(vec![not_an_object()]);
    }
    let mut states = serde_json::Map::new();
    states.insert(NAME.to_string(), value);
    let mut root = serde_json::Map::new();
    root.insert("StartAt".to_string(), NAME.into());
    root.insert("States".to_string(), serde_json::Value::Object(states));
    let mut ctx = Ctx::new(machine_type);
    let machine = states::parse_root(&mut ctx, &root);
    let errors: Vec<Diagnostic> = ctx
        .into_diagnostics()
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    match machine.and_then(|m| m.states.into_iter().next()) {
        Some(state) if errors.is_empty() => Ok(state),
        _ if errors.is_empty() => fail(vec![not_an_object()]),
        _ => fail(errors),
    }
}

fn run(text: &str, machine_type: MachineType) -> (Option<StateMachine>, Vec<Diagnostic>) {
    if text.trim().is_empty() {
        return (None, vec![not_an_object()]);
    }
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) => return (None, vec![json_error::describe(text, &err)]),
    };
    let Some(root) = value.as_object() else {
        return (None, vec![not_an_object()]);
    };
    let mut ctx = Ctx::new(machine_type);
    let machine = states::parse_root(&mut ctx, root);
    if !ctx.has_errors() {
        if let Some(machine) = &machine {
            graph::check(&mut ctx, machine);
        }
    }
    (machine, ctx.into_diagnostics())
}

fn not_an_object() -> Diagnostic {
    Diagnostic::error(
        "SCHEMA_VALIDATION_FAILED",
        "Definition must be a valid JSON object",
        None,
    )
}

#[cfg(test)]
mod tests;
