//! TestState's check of a mocked Task result against the output shape of the API the Task
//! calls (`fieldValidationMode` STRICT or PRESENT): a field the shape knows must have its type
//! and meet its constraints; unknown fields pass, as on AWS. STRICT (the default) also wants
//! every required field, named as the Task returns it (`ExecutionArn`), and timestamps as
//! strings (recorded in conformance/sfn/cases/test_state__test_strict_mode_sfn_task_*). Only services with a model in
//! api-models/ (our four, and the output shapes of `api-models/outputs/`) can be checked;
//! other resources' mocks are taken as they are.

use super::integrations::upper_first;
use crate::model::shapes::{Member, ShapeKind};
use crate::model::{self, ServiceModel};
use serde_json::Value;

/// The model and operation whose output a Task resource returns, where stepyard has it.
fn output_of(resource: &str) -> Option<(&'static ServiceModel, String, bool)> {
    let rest = resource.strip_prefix("arn:aws:states:::")?;
    if rest.contains(".sync") {
        return None; // `.sync` integrations answer with the finished job, not the API output.
    }
    let rest = rest.split('.').next()?;
    let (model, action): (&'static ServiceModel, &str) = match rest.split(':').collect::<Vec<_>>()[..]
    {
        ["aws-sdk", service, action] => (service_model(service)?, action),
        ["events", action] => (model::events(), action),
        ["states", action] => (model::stepfunctions(), action),
        [service, action] => (service_model(service)?, action),
        _ => return None,
    };
    let operation = upper_first(action);
    let output = model.operation(&operation)?.output.clone()?;
    // Optimized integrations hand blobs over decoded (lambda:invoke's Payload is the
    // function's JSON result); AWS SDK integrations keep them as base64 strings.
    let decoded_blobs = !rest.starts_with("aws-sdk:");
    Some((model, output, decoded_blobs))
}

fn service_model(service: &str) -> Option<&'static ServiceModel> {
    match service {
        "sqs" => Some(model::sqs()),
        "sns" => Some(model::sns()),
        "eventbridge" => Some(model::events()),
        "sfn" => Some(model::stepfunctions()),
        "lambda" => Some(model::outputs::lambda()),
        "dynamodb" => Some(model::outputs::dynamodb()),
        "kms" => Some(model::outputs::kms()),
        "s3" => Some(model::outputs::s3()),
        _ => None,
    }
}

/// How closely a mocked result must follow the output shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Required fields present, every known field well typed (the default).
    Strict,
    /// Only the fields present are checked.
    Present,
}

/// `Ok` if the mocked `result` fits what `resource` returns, else AWS's message.
pub fn check(resource: &str, result: &Value, mode: Mode) -> Result<(), String> {
    let Some((model, shape, decoded_blobs)) = output_of(resource) else {
        return Ok(());
    };
    Checker {
        model,
        decoded_blobs,
        mode,
    }
    .shape(&shape, "", result)
    .map_err(|m| format!("Mock result schema validation error: {m}"))
}

struct Checker {
    model: &'static ServiceModel,
    decoded_blobs: bool,
    mode: Mode,
}

impl Checker {
    fn shape(&self, shape_name: &str, field: &str, v: &Value) -> Result<(), String> {
        let model = self.model;
        let Some(shape) = model.shape(shape_name) else {
            return Ok(());
        };
        let fail = |what: &str| Err(format!("Field '{field}' {what}"));
        match &shape.kind {
            ShapeKind::Structure { members, required } => {
                let Value::Object(obj) = v else {
                    return if field.is_empty() {
                        Ok(())
                    } else {
                        fail("must be an object")
                    };
                };
                if self.mode == Mode::Strict {
                    let missing = required
                        .iter()
                        .map(|name| upper_first(name))
                        .find(|key| !obj.contains_key(key));
                    if let Some(key) = missing {
                        return Err(format!("Required field '{key}' is missing"));
                    }
                }
                for (name, Member { shape, .. }) in members {
                    let key = upper_first(name);
                    if let Some(value) = obj.get(&key).or_else(|| obj.get(name)) {
                        self.shape(shape, &key, value)?;
                    }
                }
                Ok(())
            }
            ShapeKind::List { member } => {
                let Value::Array(items) = v else {
                    return fail("must be an array");
                };
                for item in items {
                    self.shape(&member.shape, field, item)?;
                }
                Ok(())
            }
            ShapeKind::Map { value, .. } => {
                let Value::Object(obj) = v else {
                    return fail("must be an object");
                };
                for item in obj.values() {
                    self.shape(&value.shape, field, item)?;
                }
                Ok(())
            }
            ShapeKind::Blob if self.decoded_blobs && !v.is_string() => Ok(()),
            ShapeKind::String | ShapeKind::Blob | ShapeKind::Timestamp => {
                let Value::String(s) = v else {
                    let lenient = self.mode == Mode::Present;
                    return if matches!(shape.kind, ShapeKind::Timestamp) && v.is_number() && lenient
                    {
                        Ok(())
                    } else {
                        fail("must be a string")
                    };
                };
                let len = s.chars().count() as f64;
                if shape.min.is_some_and(|min| len < min) {
                    return fail("is smaller than the minimum length");
                }
                if shape.max.is_some_and(|max| len > max) {
                    return fail("is larger than the maximum length");
                }
                if let Some(values) = &shape.enum_values {
                    if !values.iter().any(|e| e == s) {
                        return fail("is not an expected value");
                    }
                }
                Ok(())
            }
            ShapeKind::Integer | ShapeKind::Long | ShapeKind::Float | ShapeKind::Double => {
                let Some(n) = v.as_f64() else {
                    return fail("must be a number");
                };
                if shape.min.is_some_and(|min| n < min) {
                    return fail("is less than the minimum value");
                }
                if shape.max.is_some_and(|max| n > max) {
                    return fail("exceeds the maximum value");
                }
                Ok(())
            }
            ShapeKind::Boolean => match v {
                Value::Bool(_) => Ok(()),
                _ => fail("must be a boolean"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn put_events_results_are_checked_against_the_events_model() {
        let r = "arn:aws:states:::events:putEvents";
        assert_eq!(check(r, &json!({"random": "json"}), Mode::Strict), Ok(()));
        assert_eq!(
            check(r, &json!({"Entries": "x"}), Mode::Strict),
            Err("Mock result schema validation error: Field 'Entries' must be an array".into())
        );
        assert_eq!(
            check(r, &json!({"Entries": [{"EventId": ["x"]}]}), Mode::Strict),
            Err("Mock result schema validation error: Field 'EventId' must be a string".into())
        );
        assert_eq!(
            check(
                "arn:aws:states:::lambda:invoke",
                &json!({"StatusCode": "x"}),
                Mode::Strict
            ),
            Err("Mock result schema validation error: Field 'StatusCode' must be a number".into())
        );
        assert_eq!(
            check(
                "arn:aws:states:::glue:startJobRun",
                &json!({"x": 1}),
                Mode::Strict
            ),
            Ok(())
        );
    }
}
