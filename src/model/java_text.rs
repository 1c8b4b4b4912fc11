//! Values as the coral services (EventBridge, Step Functions) print them in validation
//! messages: their servers are Java, and a value is shown with its class's `toString`.
//! A structure is `Shape(member=value, ...)` with every member in model order (absent ones
//! `null`, names lowerCamelCase), a list `[a, b]`, a map `{k=v}`, a string unquoted:
//! `[RoutingConfigurationListItem(stateMachineVersionArn=arn:...:1, weight=50)]`.

use super::{ServiceModel, ShapeKind};
use serde_json::Value;

/// Fields AWS's Java classes have beyond the public model, printed (as `null`) after the
/// model's members. From AWS's own messages, e.g. PutEvents with 11 entries:
/// `PutEventsRequestEntry(time=null, ..., traceHeader=null, kmsKeyIdentifier=null,
/// internalMetadata=null)`.
const HIDDEN_FIELDS: &[(&str, &[&str])] = &[(
    "PutEventsRequestEntry",
    &["kmsKeyIdentifier", "internalMetadata"],
)];

/// Enums whose allowed values AWS's server lists in an order of its own (a Java set's), not
/// the model's. From AWS's answer to ListExecutions with `statusFilter: succeeded`, recorded
/// in conformance/sfn/cases/api__test_state_machine_status_filter__listexecutions5.json.
const ENUM_ORDER: &[(&str, &[&str])] = &[(
    "ExecutionStatus",
    &[
        "SUCCEEDED",
        "TIMED_OUT",
        "PENDING_REDRIVE",
        "ABORTED",
        "FAILED",
        "RUNNING",
    ],
)];

/// The allowed values of the enum shape `shape_name` in the order the server lists them.
pub fn enum_values_as_listed(shape_name: &str, model_order: &[String]) -> Vec<String> {
    match ENUM_ORDER.iter().find(|(shape, _)| *shape == shape_name) {
        // Only when the server's list is the model's set: a newer model value must not vanish.
        Some((_, listed))
            if listed.len() == model_order.len()
                && model_order.iter().all(|v| listed.contains(&v.as_str())) =>
        {
            listed.iter().map(|v| v.to_string()).collect()
        }
        _ => model_order.to_vec(),
    }
}

/// `value` (of the model shape `shape_name`) as the Java server prints it.
pub fn java_text(model: &ServiceModel, shape_name: &str, value: &Value) -> String {
    let mut out = String::new();
    write(model, Some(shape_name), value, &mut out);
    out
}

fn write(model: &ServiceModel, shape_name: Option<&str>, value: &Value, out: &mut String) {
    let shape = shape_name.and_then(|name| model.shape(name));
    match value {
        Value::Null => out.push_str("null"),
        Value::String(s) => out.push_str(s),
        Value::Bool(_) | Value::Number(_) => out.push_str(&value.to_string()),
        Value::Array(items) => {
            let item_shape = match shape.map(|s| &s.kind) {
                Some(ShapeKind::List { member }) => Some(member.shape.as_str()),
                _ => None,
            };
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(model, item_shape, item, out);
            }
            out.push(']');
        }
        Value::Object(fields) => match (shape_name, shape.map(|s| &s.kind)) {
            (Some(name), Some(ShapeKind::Structure { members, .. })) => {
                out.push_str(name);
                out.push('(');
                let hidden = HIDDEN_FIELDS
                    .iter()
                    .find(|(shape, _)| *shape == name)
                    .map_or(&[][..], |(_, fields)| *fields);
                let mut first = true;
                for (member, m) in members {
                    if !first {
                        out.push_str(", ");
                    }
                    first = false;
                    out.push_str(&lower_first(member));
                    out.push('=');
                    let field = fields.get(member).unwrap_or(&Value::Null);
                    write(model, Some(&m.shape), field, out);
                }
                for field in hidden {
                    if !first {
                        out.push_str(", ");
                    }
                    first = false;
                    out.push_str(field);
                    out.push_str("=null");
                }
                out.push(')');
            }
            (_, kind) => {
                let value_shape = match kind {
                    Some(ShapeKind::Map { value, .. }) => Some(value.shape.as_str()),
                    _ => None,
                };
                out.push('{');
                for (i, (key, item)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(key);
                    out.push('=');
                    write(model, value_shape, item, out);
                }
                out.push('}');
            }
        },
    }
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;
    use serde_json::json;

    #[test]
    fn structures_print_every_member_in_model_order_and_aws_hidden_fields() {
        let text = java_text(
            model::events(),
            "PutEventsRequestEntryList",
            &json!([{"Source": "app", "DetailType": "t", "Detail": "{}"}]),
        );
        assert_eq!(
            text,
            "[PutEventsRequestEntry(time=null, source=app, resources=null, detailType=t, \
             detail={}, eventBusName=null, traceHeader=null, kmsKeyIdentifier=null, \
             internalMetadata=null)]"
        );
        let text = java_text(
            model::stepfunctions(),
            "RoutingConfigurationList",
            &json!([{"stateMachineVersionArn": "arn:v:1", "weight": 50}]),
        );
        assert_eq!(
            text,
            "[RoutingConfigurationListItem(stateMachineVersionArn=arn:v:1, weight=50)]"
        );
    }
}
