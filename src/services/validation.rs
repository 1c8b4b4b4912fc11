//! How the coral services (Step Functions, EventBridge, and STS and SNS in part) word a failed
//! generic validation. Kept apart from the registry, which names every service, so that the
//! services themselves can use it.

use crate::error::ApiError;
use crate::model::{ServiceModel, Violation, ViolationKind};
use serde_json::Value;

/// The coral services' (Step Functions, EventBridge) message for the violations of one
/// request (never an empty list): "1 validation error detected: Value 'x' at 'name' failed
/// to satisfy constraint: Member must ...", or "N validation errors detected: " and each
/// violation's text, joined with "; ", in the validator's order.
pub fn coral_validation_error(violations: &[Violation]) -> ApiError {
    coral_validation_error_in(None, violations)
}

/// As `coral_validation_error`; with the service's model, a value whose shape the validator
/// knows (a list of structures) is printed as the Java server prints it.
pub(crate) fn coral_validation_error_in(
    model: Option<&ServiceModel>,
    violations: &[Violation],
) -> ApiError {
    let texts: Vec<String> = violations
        .iter()
        .map(|v| coral_violation_text(model, v))
        .collect();
    ApiError::sender("ValidationException", coral_message(&texts))
}

/// A violation a handler finds itself (a check the model cannot state, or one the validator
/// cannot see), worded as the validator's: "1 validation error detected: Value ... at
/// '<path>' failed to satisfy constraint: ...".
pub(crate) fn coral_single(path: &str, kind: ViolationKind, value: Option<Value>) -> String {
    let violation = Violation {
        path: path.to_string(),
        member: path.to_string(),
        kind,
        value,
        value_shape: None,
    };
    coral_message(&[coral_violation_text(None, &violation)])
}

/// "N validation error(s) detected: " followed by the violations' texts, "; " between them.
pub(crate) fn coral_message(texts: &[String]) -> String {
    let count = texts.len();
    let noun = if count == 1 { "error" } else { "errors" };
    format!("{count} validation {noun} detected: {}", texts.join("; "))
}

/// One violation as coral words it: "Value 'x' at 'name' failed to satisfy constraint:
/// Member must ...".
pub(crate) fn coral_violation_text(model: Option<&ServiceModel>, v: &Violation) -> String {
    use crate::model::ViolationKind::*;
    let constraint = match &v.kind {
        Missing => "Member must not be null".to_string(),
        WrongType { expected } => format!("Member must be of type {expected}"),
        NotInEnum { allowed } => {
            let listed = match (model, &v.value_shape) {
                (Some(_), Some(shape)) => {
                    crate::model::java_text::enum_values_as_listed(shape, allowed)
                }
                _ => allowed.clone(),
            };
            format!(
                "Member must satisfy enum value set: [{}]",
                listed.join(", ")
            )
        }
        TooShort { min } => format!("Member must have length greater than or equal to {min}"),
        TooLong { max } => format!("Member must have length less than or equal to {max}"),
        BelowMin { min } => format!("Member must have value greater than or equal to {min}"),
        AboveMax { max } => format!("Member must have value less than or equal to {max}"),
        Pattern { pattern } => format!("Member must satisfy regular expression pattern: {pattern}"),
    };
    // A missing value reads `Value null at`; a sensitive one is left out: `Value at`.
    let value = match (&v.value, model, &v.value_shape) {
        (None, ..) if matches!(v.kind, Missing) => " null".to_string(),
        (None, ..) => String::new(),
        (Some(serde_json::Value::String(s)), ..) => format!(" '{s}'"),
        (Some(other), Some(model), Some(shape)) => {
            format!(
                " '{}'",
                crate::model::java_text::java_text(model, shape, other)
            )
        }
        (Some(other), ..) => format!(" '{other}'"),
    };
    let path = lower_camel_path(&v.path);
    format!("Value{value} at '{path}' failed to satisfy constraint: {constraint}")
}

/// Coral (and SNS) name members lowerCamelCase in their messages (`Name` -> `name`,
/// `Entries.1.DataType` -> `entries.1.dataType`).
pub(crate) fn lower_camel_path(path: &str) -> String {
    path.split('.')
        .map(|segment| {
            let mut chars = segment.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handlers_own_violation_reads_as_the_validators() {
        assert_eq!(
            coral_single("attributes", ViolationKind::Missing, None),
            "1 validation error detected: Value null at 'attributes' failed to satisfy \
             constraint: Member must not be null"
        );
        assert_eq!(
            coral_single(
                "entries",
                ViolationKind::TooShort { min: 1 },
                Some(Value::Array(vec![]))
            ),
            "1 validation error detected: Value '[]' at 'entries' failed to satisfy \
             constraint: Member must have length greater than or equal to 1"
        );
    }

    #[test]
    fn several_violations_are_counted_and_joined() {
        let texts = ["a".to_string(), "b".to_string()];
        assert_eq!(coral_message(&texts), "2 validation errors detected: a; b");
    }
}
