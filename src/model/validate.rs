//! One generic input validator for every operation: required members, JSON types, enums,
//! lengths and ranges, as the model states them. It stops at the first violation, in model
//! member order, because that is what the services report.

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

/// Checks `input` against the operation's input shape `shape_name`.
pub fn validate_input(
    model: &ServiceModel,
    shape_name: &str,
    input: &Value,
    options: ValidationOptions,
) -> Result<(), Box<Violation>> {
    let mut path = String::new();
    Validator { model, options }.check(shape_name, input, &mut path, "")
}

struct Validator<'a> {
    model: &'a ServiceModel,
    options: ValidationOptions,
}

fn violation(
    path: &str,
    member: &str,
    kind: ViolationKind,
    value: Option<&Value>,
) -> Box<Violation> {
    Box::new(Violation {
        path: path.to_string(),
        member: member.to_string(),
        kind,
        value: value.cloned(),
        value_shape: None,
    })
}

impl Validator<'_> {
    fn check(
        &self,
        shape_name: &str,
        value: &Value,
        path: &mut String,
        member: &str,
    ) -> Result<(), Box<Violation>> {
        let Some(shape) = self.model.shape(shape_name) else {
            return Ok(());
        };
        if shape.sensitive {
            // AWS's message leaves a sensitive value out ("Value at 'definition' failed ..."),
            // which also keeps a 5 MB definition from coming back in its own error.
            let at = path.clone();
            return self
                .check_shape(shape_name, shape, value, path, member)
                .map_err(|mut v| {
                    if v.path == at {
                        v.value = None;
                    }
                    v
                });
        }
        self.check_shape(shape_name, shape, value, path, member)
    }

    fn check_shape(
        &self,
        shape_name: &str,
        shape: &super::Shape,
        value: &Value,
        path: &mut String,
        member: &str,
    ) -> Result<(), Box<Violation>> {
        match &shape.kind {
            ShapeKind::Structure { members, required } => {
                let Value::Object(object) = value else {
                    return Err(self.wrong_type(path, member, shape, value));
                };
                for (name, m) in members {
                    let child = object.get(name).filter(|v| !v.is_null());
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                    let result = match child {
                        None if required.iter().any(|r| r == name) => {
                            Err(violation(path, name, ViolationKind::Missing, None))
                        }
                        None => Ok(()),
                        Some(child) => self.check(&m.shape, child, path, name),
                    };
                    path.truncate(len);
                    result?;
                }
                Ok(())
            }
            ShapeKind::List { member: item } => {
                let Value::Array(items) = value else {
                    return Err(self.wrong_type(path, member, shape, value));
                };
                self.check_count(shape, items.len(), path, member, value)
                    .map_err(|mut v| {
                        v.value_shape = Some(shape_name.to_string());
                        v
                    })?;
                for (i, child) in items.iter().enumerate() {
                    let len = path.len();
                    // As AWS's (coral) messages locate list elements: `tags.1.member.key`.
                    path.push('.');
                    path.push_str(&(i + 1).to_string());
                    path.push_str(".member");
                    let result = self.check(&item.shape, child, path, member);
                    path.truncate(len);
                    result?;
                }
                Ok(())
            }
            ShapeKind::Map { key, value: item } => {
                let Value::Object(entries) = value else {
                    return Err(self.wrong_type(path, member, shape, value));
                };
                self.check_count(shape, entries.len(), path, member, value)?;
                for (k, child) in entries {
                    self.check(&key.shape, &Value::String(k.clone()), path, member)?;
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    let result = self.check(&item.shape, child, path, member);
                    path.truncate(len);
                    result?;
                }
                Ok(())
            }
            ShapeKind::String => {
                let Value::String(s) = value else {
                    return Err(self.wrong_type(path, member, shape, value));
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
                            return Err(v);
                        }
                    }
                }
                self.check_count(shape, s.chars().count(), path, member, value)?;
                if self.options.patterns && !shape.matches_pattern(s) {
                    let kind = ViolationKind::Pattern {
                        pattern: shape.pattern.clone().unwrap_or_default(),
                    };
                    return Err(violation(path, member, kind, Some(value)));
                }
                Ok(())
            }
            ShapeKind::Blob => match value {
                Value::String(_) => Ok(()),
                _ => Err(self.wrong_type(path, member, shape, value)),
            },
            ShapeKind::Boolean => match value {
                Value::Bool(_) => Ok(()),
                _ => Err(self.wrong_type(path, member, shape, value)),
            },
            ShapeKind::Integer | ShapeKind::Long => match value.as_i64() {
                Some(n) => self.check_range(shape, n as f64, path, member, value),
                None => Err(self.wrong_type(path, member, shape, value)),
            },
            ShapeKind::Float | ShapeKind::Double => match value.as_f64() {
                Some(n) => self.check_range(shape, n, path, member, value),
                None => Err(self.wrong_type(path, member, shape, value)),
            },
            // awsJson sends epoch seconds; the query decoder converts ISO-8601 to the same.
            ShapeKind::Timestamp => match value {
                Value::Number(_) => Ok(()),
                _ => Err(self.wrong_type(path, member, shape, value)),
            },
        }
    }

    fn wrong_type(&self, path: &str, member: &str, shape: &Shape, value: &Value) -> Box<Violation> {
        let kind = ViolationKind::WrongType {
            expected: shape.kind.type_name(),
        };
        violation(path, member, kind, Some(value))
    }

    fn check_count(
        &self,
        shape: &Shape,
        count: usize,
        path: &str,
        member: &str,
        value: &Value,
    ) -> Result<(), Box<Violation>> {
        if !self.options.bounds {
            return Ok(());
        }
        if let Some(min) = shape.min {
            if (count as f64) < min {
                return Err(violation(
                    path,
                    member,
                    ViolationKind::TooShort { min: min as i64 },
                    Some(value),
                ));
            }
        }
        if let Some(max) = shape.max {
            if (count as f64) > max {
                return Err(violation(
                    path,
                    member,
                    ViolationKind::TooLong { max: max as i64 },
                    Some(value),
                ));
            }
        }
        Ok(())
    }

    fn check_range(
        &self,
        shape: &Shape,
        n: f64,
        path: &str,
        member: &str,
        value: &Value,
    ) -> Result<(), Box<Violation>> {
        if !self.options.bounds {
            return Ok(());
        }
        if let Some(min) = shape.min {
            if n < min {
                return Err(violation(
                    path,
                    member,
                    ViolationKind::BelowMin { min },
                    Some(value),
                ));
            }
        }
        if let Some(max) = shape.max {
            if n > max {
                return Err(violation(
                    path,
                    member,
                    ViolationKind::AboveMax { max },
                    Some(value),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;
    use serde_json::json;

    fn check(input: Value) -> Result<(), Box<Violation>> {
        validate_input(
            model::sqs(),
            "SendMessageRequest",
            &input,
            ValidationOptions::STRICT,
        )
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
        assert_eq!(v.kind, ViolationKind::TooLong { max: 80 });
        assert!(validate_input(
            sfn,
            "StartExecutionInput",
            &json!({"stateMachineArn": "a", "name": long_name}),
            ValidationOptions::TYPES_ONLY
        )
        .is_ok());
    }
}
