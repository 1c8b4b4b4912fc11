//! Calls into stepyard's own services for Task states, through the in-process invoker:
//! the optimized integrations (`sqs:sendMessage`, `sns:publish`, `events:putEvents`,
//! `states:startExecution`) with AWS's request conversions and result shapes, and the AWS SDK
//! integrations (`aws-sdk:<service>:<action>`) with AWS's parameter-name conversion.

use super::{errors, http_metadata, ExecutionTasks};
use crate::asl::interp::integrations::Called;
use crate::asl::interp::Failure;
use crate::model::shapes::ShapeKind;
use crate::model::ServiceModel;
use crate::request::ServiceId;
use crate::time::format_millis;
use serde_json::{json, Map, Value};
use std::time::SystemTime;

/// A JSON value as the string a string-typed member needs (AWS serialises objects given for
/// `MessageBody`, `Message`, `Input`, `Detail` ...).
fn as_text(v: Value) -> Value {
    match v {
        Value::String(_) | Value::Null => v,
        other => Value::String(other.to_string()),
    }
}

fn unsupported(service: &str, action: &str) -> Failure {
    Failure::runtime(format!(
        "stepyard does not emulate the integration arn:aws:states:::{service}:{action}; \
         mock this state with SFN_MOCK_CONFIG to run the workflow offline"
    ))
}

/// `events:putEvents` names the state machine and the execution after each entry's own
/// `Resources`, as AWS does.
pub fn add_execution_resources(parameters: &mut Value, context: &Value) {
    let ours = [&context["StateMachine"]["Id"], &context["Execution"]["Id"]];
    let Some(Value::Array(entries)) = parameters.get_mut("Entries") else {
        return;
    };
    for entry in entries.iter_mut().filter_map(Value::as_object_mut) {
        let resources = entry
            .entry("Resources")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = resources {
            list.extend(ours.iter().filter(|v| v.is_string()).map(|v| (*v).clone()));
        }
    }
}

pub async fn optimized(
    calls: &ExecutionTasks,
    now: SystemTime,
    service: &str,
    action: &str,
    parameters: Value,
) -> Result<Called, Failure> {
    let mut params = match parameters {
        Value::Object(o) => o,
        _ => Map::new(),
    };
    let (id, operation) = match (service, action) {
        ("sqs", "sendMessage") => {
            if let Some(body) = params.remove("MessageBody") {
                params.insert("MessageBody".into(), as_text(body));
            }
            if let Some(failure) = unreachable_queue(params.get("QueueUrl")) {
                return Err(failure);
            }
            (ServiceId::Sqs, "SendMessage")
        }
        ("sns", "publish") => {
            if let Some(message) = params.remove("Message") {
                params.insert("Message".into(), as_text(message));
            }
            (ServiceId::Sns, "Publish")
        }
        ("events", "putEvents") => {
            if let Some(Value::Array(entries)) = params.get_mut("Entries") {
                for entry in entries.iter_mut() {
                    if let Some(Value::Object(e)) = Some(entry) {
                        if let Some(detail) = e.remove("Detail") {
                            e.insert("Detail".into(), as_text(detail));
                        }
                    }
                }
            }
            (ServiceId::Events, "PutEvents")
        }
        ("states", "startExecution") => {
            let mut input = Map::new();
            for (k, v) in params {
                match k.as_str() {
                    "Input" if v.is_null() => {}
                    "Input" => {
                        input.insert("input".into(), as_text(v));
                    }
                    _ => {
                        input.insert(lower_first(&k), v);
                    }
                }
            }
            params = input;
            (ServiceId::StepFunctions, "StartExecution")
        }
        _ => return Err(unsupported(service, action)),
    };
    let answer = calls
        .services
        .invoker
        .call(id, &calls.caller, operation, Value::Object(params))
        .await
        .map_err(|e| errors::optimized(id, &e))?;
    if id == ServiceId::Events {
        if answer["FailedEntryCount"].as_u64().unwrap_or(0) > 0 {
            return Err(Failure {
                error: Some("EventBridge.FailedEntry".into()),
                cause: Some(answer.to_string()),
                from_child: false,
            });
        }
        // The one optimized integration whose result carries no HTTP metadata.
        return Ok(Called {
            output: answer,
            execution_arn: None,
        });
    }
    let (mut output, execution_arn, content_type) = match id {
        ServiceId::StepFunctions => (
            json!({
                "ExecutionArn": answer["executionArn"],
                "StartDate": epoch_millis(&answer["startDate"]),
            }),
            answer["executionArn"].as_str().map(str::to_string),
            "application/x-amz-json-1.0",
        ),
        ServiceId::Sns => (answer, None, "text/xml"),
        _ => (answer, None, "application/x-amz-json-1.0"),
    };
    http_metadata::add(&mut output, content_type, now);
    Ok(Called {
        output,
        execution_arn,
    })
}

/// A queue URL no SQS endpoint answers for (no `/<account>/<queue>` path): the Java SDK fails
/// before any request is sent, as AWS's recording shows for such a URL.
fn unreachable_queue(url: Option<&Value>) -> Option<Failure> {
    let url = url?.as_str()?;
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if !path.trim_matches('/').is_empty() || host.is_empty() {
        return None;
    }
    let host = host.split(':').next().unwrap_or(host);
    Some(Failure {
        error: Some("SQS.SdkClientException".into()),
        cause: Some(format!(
            "Unable to execute HTTP request: {host}: Name or service not known"
        )),
        from_child: false,
    })
}

/// awsJson timestamps (epoch seconds, possibly fractional) as the epoch milliseconds the
/// optimized integrations return.
pub fn epoch_millis(v: &Value) -> Value {
    match v.as_f64() {
        Some(secs) => Value::from((secs * 1000.0).round() as i64),
        None => v.clone(),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// `putEvents` -> `PutEvents`: how SDK operations and result members are named from the
/// model's camelCase.
pub(crate) fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The service an `aws-sdk:<service>` resource names, where stepyard emulates it.
pub fn sdk_service(name: &str) -> Option<ServiceId> {
    match name {
        "sqs" => Some(ServiceId::Sqs),
        "sns" => Some(ServiceId::Sns),
        "eventbridge" => Some(ServiceId::Events),
        "sfn" => Some(ServiceId::StepFunctions),
        _ => None,
    }
}

pub async fn sdk(
    calls: &ExecutionTasks,
    service: &str,
    action: &str,
    parameters: Value,
) -> Result<Value, Failure> {
    let Some(id) = sdk_service(service) else {
        return Err(Failure::runtime(format!(
            "stepyard does not emulate {service}: mock the state that calls \
             arn:aws:states:::aws-sdk:{service}:{action} with SFN_MOCK_CONFIG to run the workflow offline"
        )));
    };
    let model = id.model();
    let operation_name = upper_first(action);
    let Some(operation) = model.operation(&operation_name) else {
        return Err(Failure::runtime(format!(
            "The resource arn:aws:states:::aws-sdk:{service}:{action} names no {service} operation"
        )));
    };
    let input = match &operation.input {
        Some(shape) => to_model(model, shape, parameters),
        None => json!({}),
    };
    let answer = calls
        .services
        .invoker
        .call(id, &calls.caller, &operation_name, input)
        .await
        .map_err(|e| errors::sdk(id, &e))?;
    Ok(match &operation.output {
        Some(shape) => from_model(model, shape, answer),
        None => json!({}),
    })
}

/// Task parameters (PascalCase, as the SDK v2 builders name them) as the model's members.
fn to_model(model: &ServiceModel, shape_name: &str, value: Value) -> Value {
    let Some(shape) = model.shape(shape_name) else {
        return value;
    };
    match (&shape.kind, value) {
        (ShapeKind::Structure { members, .. }, Value::Object(o)) => {
            let mut out = Map::new();
            for (k, v) in o {
                match members
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(&k))
                {
                    Some((name, member)) => {
                        out.insert(name.clone(), to_model(model, &member.shape, v));
                    }
                    None => {
                        out.insert(k, v);
                    }
                }
            }
            Value::Object(out)
        }
        (ShapeKind::List { member }, Value::Array(items)) => Value::Array(
            items
                .into_iter()
                .map(|v| to_model(model, &member.shape, v))
                .collect(),
        ),
        (ShapeKind::Map { value: vm, .. }, Value::Object(o)) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, to_model(model, &vm.shape, v)))
                .collect(),
        ),
        (ShapeKind::String, v @ (Value::Object(_) | Value::Array(_))) => as_text(v),
        (_, v) => v,
    }
}

/// A service's answer as AWS SDK integrations return it: PascalCase member names and
/// timestamps as ISO-8601 text.
fn from_model(model: &ServiceModel, shape_name: &str, value: Value) -> Value {
    let Some(shape) = model.shape(shape_name) else {
        return value;
    };
    match (&shape.kind, value) {
        (ShapeKind::Structure { members, .. }, Value::Object(o)) => {
            let mut out = Map::new();
            for (k, v) in o {
                match members.iter().find(|(name, _)| *name == k) {
                    Some((name, member)) => {
                        out.insert(upper_first(name), from_model(model, &member.shape, v));
                    }
                    None => {
                        out.insert(upper_first(&k), v);
                    }
                }
            }
            Value::Object(out)
        }
        (ShapeKind::List { member }, Value::Array(items)) => Value::Array(
            items
                .into_iter()
                .map(|v| from_model(model, &member.shape, v))
                .collect(),
        ),
        (ShapeKind::Map { value: vm, .. }, Value::Object(o)) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, from_model(model, &vm.shape, v)))
                .collect(),
        ),
        (ShapeKind::Timestamp, Value::Number(n)) => match n.as_f64() {
            Some(secs) if secs >= 0.0 => {
                Value::String(format_millis((secs * 1000.0).round() as u64))
            }
            _ => Value::Number(n),
        },
        (_, v) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_parameters_take_the_models_member_names() {
        let model = ServiceId::StepFunctions.model();
        let input = to_model(
            model,
            "StartExecutionInput",
            json!({"StateMachineArn": "arn", "Input": {"a": 1}, "Name": "n"}),
        );
        assert_eq!(
            input,
            json!({"stateMachineArn": "arn", "input": "{\"a\":1}", "name": "n"})
        );
        let output = from_model(
            model,
            "StartExecutionOutput",
            json!({"executionArn": "e", "startDate": 1.5}),
        );
        assert_eq!(
            output,
            json!({"ExecutionArn": "e", "StartDate": "1970-01-01T00:00:01.500Z"})
        );
    }

    #[test]
    fn a_queue_url_without_a_queue_path_is_unreachable() {
        let f = unreachable_queue(Some(&json!("http://no-such-queue-1"))).unwrap();
        assert_eq!(f.error.as_deref(), Some("SQS.SdkClientException"));
        assert_eq!(
            f.cause.as_deref(),
            Some("Unable to execute HTTP request: no-such-queue-1: Name or service not known")
        );
        assert!(unreachable_queue(Some(&json!("http://localhost:4566/000000000000/q"))).is_none());
    }
}
