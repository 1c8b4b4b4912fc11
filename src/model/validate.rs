//! One generic input validator for every operation: required members, JSON types, enums,
//! lengths and ranges, as the model states them. It finds every violation (the coral
//! services report them all; SQS and SNS's own wordings name the first).

use super::{ServiceModel, Shape, ShapeKind, Violation, ViolationKind};
use serde_json::Value;

#[derive(Debug, Clone, Copy)]
pub struct ValidationOptions {
    /// SQS's servers do not enforce the model's enums (clients still send legacy attribute
    /// names such as `SentTimestamp` in `AttributeNames`), the coral services do.
    pub enums: bool,
    /// Length and range constraints (`min`/`max`).
    pub bounds: bool,
    /// The model's string `pattern`s. EventBridge enforces them; Step Functions and SNS
    /// check their names with their own errors (`InvalidName`, `InvalidParameter`) instead.
    pub patterns: bool,
}

impl ValidationOptions {
    pub const STRICT: ValidationOptions = ValidationOptions {
        enums: true,
        bounds: true,
        patterns: false,
    };
    pub const STRICT_WITH_PATTERNS: ValidationOptions = ValidationOptions {
        patterns: true,
        ..ValidationOptions::STRICT
    };
    pub const TYPES_ONLY: ValidationOptions = ValidationOptions {
        enums: false,
        bounds: false,
        patterns: false,
    };
}

/// Enums whose service accepts any letter case (EventBridge takes an OAuth connection's
/// `HttpMethod` as `post` as well as `POST`, and reports it in capitals); the handler stores
/// the canonical spelling.
const CASE_INSENSITIVE_ENUMS: &[&str] = &["ConnectionOAuthHttpMethod"];

/// Checks `input` against the operation's input shape `shape_name`; on failure, every
/// violation (never an empty list), in the order described at [`Validator`].
pub fn validate_input(
    model: &ServiceModel,
    shape_name: &str,
    input: &Value,
    options: ValidationOptions,
) -> Result<(), Vec<Violation>> {
    let mut validator = Validator {
        model,
        options,
        found: Vec::new(),
    };
    validator.check(shape_name, input, &mut String::new(), "");
    if validator.found.is_empty() {
        Ok(())
    } else {
        Err(validator.found)
    }
}

/// Walks the input and notes every violation, as the coral services report them all ("2
/// validation errors detected: ...; ..."). The order: members in model order, depth first
/// (list elements and map entries in input order); within one value its type (a wrong type
/// ends the checks of that value), enum, pattern, then length or range — AWS's recorded
/// messages name a member's pattern before its length ("Value '' at 'tableName' ... pattern:
/// [a-zA-Z0-9_.-]+; Value '' at 'tableName' ... length greater than or equal to 3").
/// Nothing is allocated for an input that passes.
struct Validator<'a> {
    model: &'a ServiceModel,
    options: ValidationOptions,
    found: Vec<Violation>,
}

fn violation(path: &str, member: &str, kind: ViolationKind, value: Option<&Value>) -> Violation {
    Violation {
        path: path.to_string(),
        member: member.to_string(),
        kind,
        value: value.cloned(),
        value_shape: None,
    }
}

impl Validator<'_> {
    fn note(&mut self, v: Violation) {
        self.found.push(v);
    }

    fn check(&mut self, shape_name: &str, value: &Value, path: &mut String, member: &str) {
        let Some(shape) = self.model.shape(shape_name) else {
            return;
        };
        let first = self.found.len();
        self.check_shape(shape_name, shape, value, path, member);
        if shape.sensitive {
            // AWS's message leaves a sensitive value out ("Value at 'definition' failed ..."),
            // which also keeps a 5 MB definition from coming back in its own error.
            for v in &mut self.found[first..] {
                if v.path == *path {
                    v.value = None;
                }
            }
        }
    }

    fn check_shape(
        &mut self,
        shape_name: &str,
        shape: &super::Shape,
        value: &Value,
        path: &mut String,
        member: &str,
    ) {
        match &shape.kind {
            ShapeKind::Structure { members, required } => {
                let Value::Object(object) = value else {
                    return self.wrong_type(path, member, shape, value);
                };
                for (name, m) in members {
                    let child = object.get(name).filter(|v| !v.is_null());
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                    match child {
                        None if required.iter().any(|r| r == name) => {
                            self.note(violation(path, name, ViolationKind::Missing, None))
                        }
                        None => {}
                        Some(child) => self.check(&m.shape, child, path, name),
                    }
                    path.truncate(len);
                }
            }
            ShapeKind::List { member: item } => {
                let Value::Array(items) = value else {
                    return self.wrong_type(path, member, shape, value);
                };
                if let Some(mut v) = self.count_violation(shape, items.len(), path, member, value) {
                    v.value_shape = Some(shape_name.to_string());
                    self.note(v);
                }
                for (i, child) in items.iter().enumerate() {
                    let len = path.len();
                    // As AWS's (coral) messages locate list elements: `tags.1.member.key`.
                    path.push('.');
                    path.push_str(&(i + 1).to_string());
                    path.push_str(".member");
                    self.check(&item.shape, child, path, member);
                    path.truncate(len);
                }
            }
            ShapeKind::Map { key, value: item } => {
                let Value::Object(entries) = value else {
                    return self.wrong_type(path, member, shape, value);
                };
                if let Some(v) = self.count_violation(shape, entries.len(), path, member, value) {
                    self.note(v);
                }
                for (k, child) in entries {
                    self.check(&key.shape, &Value::String(k.clone()), path, member);
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    self.check(&item.shape, child, path, member);
                    path.truncate(len);
                }
            }
            ShapeKind::String => {
                let Value::String(s) = value else {
                    return self.wrong_type(path, member, shape, value);
                };
                if self.options.enums {
                    if let Some(allowed) = &shape.enum_values {
                        let known = if CASE_INSENSITIVE_ENUMS.contains(&shape_name) {
                            allowed.iter().any(|a| a.eq_ignore_ascii_case(s))
                        } else {
                            allowed.iter().any(|a| a == s)
                        };
                        if !known {
                            let kind = ViolationKind::NotInEnum {
                                allowed: allowed.clone(),
                            };
                            let mut v = violation(path, member, kind, Some(value));
                            v.value_shape = Some(shape_name.to_string());
                            self.note(v);
                        }
                    }
                }
                if self.options.patterns && !shape.matches_pattern(s) {
                    let kind = ViolationKind::Pattern {
                        pattern: shape.pattern.clone().unwrap_or_default(),
                    };
                    self.note(violation(path, member, kind, Some(value)));
                }
                if let Some(v) = self.count_violation(shape, s.chars().count(), path, member, value)
                {
                    self.note(v);
                }
            }
            ShapeKind::Blob => {
                if !value.is_string() {
                    self.wrong_type(path, member, shape, value)
                }
            }
            ShapeKind::Boolean => {
                if !value.is_boolean() {
                    self.wrong_type(path, member, shape, value)
                }
            }
            ShapeKind::Integer | ShapeKind::Long => match value.as_i64() {
                Some(n) => self.check_range(shape, n as f64, path, member, value),
                None => self.wrong_type(path, member, shape, value),
            },
            ShapeKind::Float | ShapeKind::Double => match value.as_f64() {
                Some(n) => self.check_range(shape, n, path, member, value),
                None => self.wrong_type(path, member, shape, value),
            },
            // awsJson sends epoch seconds; the query decoder converts ISO-8601 to the same.
            ShapeKind::Timestamp => {
                if !value.is_number() {
                    self.wrong_type(path, member, shape, value)
                }
            }
        }
    }

    fn wrong_type(&mut self, path: &str, member: &str, shape: &Shape, value: &Value) {
        let kind = ViolationKind::WrongType {
            expected: shape.kind.type_name(),
        };
        self.note(violation(path, member, kind, Some(value)));
    }

    /// A length (string) or size (list, map) outside the shape's bounds.
    fn count_violation(
        &self,
        shape: &Shape,
        count: usize,
        path: &str,
        member: &str,
        value: &Value,
    ) -> Option<Violation> {
        if !self.options.bounds {
            return None;
        }
        let kind = match (shape.min, shape.max) {
            (Some(min), _) if (count as f64) < min => ViolationKind::TooShort { min: min as i64 },
            (_, Some(max)) if (count as f64) > max => ViolationKind::TooLong { max: max as i64 },
            _ => return None,
        };
        Some(violation(path, member, kind, Some(value)))
    }

    fn check_range(&mut self, shape: &Shape, n: f64, path: &str, member: &str, value: &Value) {
        if !self.options.bounds {
            return;
        }
        let kind = match (shape.min, shape.max) {
            (Some(min), _) if n < min => ViolationKind::BelowMin { min },
            (_, Some(max)) if n > max => ViolationKind::AboveMax { max },
            _ => return,
        };
        self.note(violation(path, member, kind, Some(value)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;
    use serde_json::json;

    /// The first violation, if any.
    fn check(input: Value) -> Result<(), Box<Violation>> {
        validate_input(
            model::sqs(),
            "SendMessageRequest",
            &input,
            ValidationOptions::STRICT,
        )
        .map_err(|all| Box::new(all[0].clone()))
    }

    #[test]
    fn a_complete_input_passes() {
        assert_eq!(
            check(json!({"QueueUrl": "u", "MessageBody": "b", "DelaySeconds": 3})),
            Ok(())
        );
    }

    #[test]
    fn a_missing_required_member_is_named() {
        let v = check(json!({"QueueUrl": "u"})).unwrap_err();
        assert_eq!(
            (v.member.as_str(), v.kind),
            ("MessageBody", ViolationKind::Missing)
        );
    }

    #[test]
    fn null_counts_as_absent() {
        let v = check(json!({"QueueUrl": "u", "MessageBody": null})).unwrap_err();
        assert_eq!(v.kind, ViolationKind::Missing);
    }

    #[test]
    fn a_wrong_type_is_reported_with_its_path() {
        let v = check(json!({"QueueUrl": "u", "MessageBody": "b",
            "MessageAttributes": {"a": {"DataType": 5}}}))
        .unwrap_err();
        assert_eq!(v.path, "MessageAttributes.a.DataType");
        assert_eq!(v.kind, ViolationKind::WrongType { expected: "string" });
    }

    #[test]
    fn lengths_and_enums_are_checked_when_asked() {
        let sfn = model::stepfunctions();
        let long_name = "x".repeat(81);
        let v = validate_input(
            sfn,
            "StartExecutionInput",
            &json!({"stateMachineArn": "a", "name": long_name}),
            ValidationOptions::STRICT,
        )
        .unwrap_err();
        assert_eq!(v[0].kind, ViolationKind::TooLong { max: 80 });
        assert!(validate_input(
            sfn,
            "StartExecutionInput",
            &json!({"stateMachineArn": "a", "name": long_name}),
            ValidationOptions::TYPES_ONLY
        )
        .is_ok());
    }

    #[test]
    fn every_violation_is_reported_members_in_model_order_pattern_before_length() {
        let events = model::events();
        let all = validate_input(
            events,
            "PutRuleRequest",
            &json!({"Description": "d".repeat(513), "State": "WRONG", "Name": "!".repeat(65)}),
            ValidationOptions::STRICT_WITH_PATTERNS,
        )
        .unwrap_err();
        let found: Vec<(&str, &ViolationKind)> =
            all.iter().map(|v| (v.path.as_str(), &v.kind)).collect();
        assert!(
            matches!(
                found.as_slice(),
                [
                    ("Name", ViolationKind::Pattern { .. }),
                    ("Name", ViolationKind::TooLong { max: 64 }),
                    ("State", ViolationKind::NotInEnum { .. }),
                    ("Description", ViolationKind::TooLong { max: 512 }),
                ]
            ),
            "{found:?}"
        );
    }
}
