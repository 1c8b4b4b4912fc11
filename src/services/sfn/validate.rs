//! ValidateStateMachineDefinition: the parser's findings as diagnostics instead of an error.

use super::errors::SfnError;
use super::machines::machine_type;
use super::Inner;
use crate::asl::parse::{validate_definition_for, Diagnostic, Severity};
use crate::request::RequestContext;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateInput {
    definition: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// The lowest severity reported: `ERROR` (the default) or `WARNING`.
    severity: Option<String>,
    max_results: Option<i64>,
}

/// AWS's default (and largest) number of diagnostics per answer.
const MAX_DIAGNOSTICS: usize = 100;

pub fn validate_definition(
    _: &Inner,
    _: &RequestContext,
    input: ValidateInput,
) -> Result<ValidateOutput, SfnError> {
    let kind = input.kind.as_deref().unwrap_or("STANDARD");
    let with_warnings = input.severity.as_deref() == Some("WARNING");
    let diagnostics: Vec<_> = validate_definition_for(&input.definition, machine_type(kind))
        .into_iter()
        .filter(|d| with_warnings || d.severity == Severity::Error)
        .collect();
    let failed = diagnostics.iter().any(|d| d.severity == Severity::Error);
    let limit = match input.max_results {
        Some(n) if n > 0 => (n as usize).min(MAX_DIAGNOSTICS),
        _ => MAX_DIAGNOSTICS,
    };
    let truncated = diagnostics.len() > limit;
    let shown: Vec<Diagnostic> = diagnostics.into_iter().take(limit).collect();
    Ok(ValidateOutput {
        result: if failed { "FAIL" } else { "OK" },
        diagnostics: shown,
        truncated,
    })
}

#[derive(serde::Serialize)]
pub(super) struct ValidateOutput {
    result: &'static str,
    diagnostics: Vec<Diagnostic>,
    truncated: bool,
}
