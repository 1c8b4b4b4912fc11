//! awsQuery requests: form parameters (`Attribute.1.Name=...`, `Tags.member.1.Key=...`) become
//! the JSON-protocol form of the input, guided by the operation's input shape. The member names
//! on the wire follow botocore's query serializer: a member's `locationName` if it has one, a
//! flattened list's items named after its member, `.member.N` / `.entry.N.key` otherwise.
//! For leniency both the flattened and the wrapped spellings are accepted, since older SDKs
//! differ in which they send.

use crate::model::{Member, ServiceModel, ShapeKind, Violation, ViolationKind};
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;

/// Form parameters by name (a later duplicate wins, as in AWS).
pub type Params = BTreeMap<String, String>;

/// Decodes the input of an operation whose input shape is `shape_name`.
pub fn decode(
    model: &ServiceModel,
    shape_name: &str,
    params: &Params,
) -> Result<Value, Box<Violation>> {
    let decoder = Decoder { model, params };
    Ok(decoder
        .structure(shape_name, "")?
        .unwrap_or_else(|| Value::Object(Map::new())))
}

struct Decoder<'a> {
    model: &'a ServiceModel,
    params: &'a Params,
}

fn type_violation(path: &str, expected: &'static str, raw: &str) -> Box<Violation> {
    Box::new(Violation {
        path: path.to_string(),
        member: path.rsplit('.').next().unwrap_or(path).to_string(),
        kind: ViolationKind::WrongType { expected },
        value: Some(Value::String(raw.to_string())),
        value_shape: None,
    })
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

impl Decoder<'_> {
    fn has_prefix(&self, prefix: &str) -> bool {
        let dotted = format!("{prefix}.");
        self.params.contains_key(prefix)
            || self
                .params
                .range(dotted.clone()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&dotted))
    }

    /// The indexes N present under `prefix.N...`, in numeric order.
    fn indexes(&self, prefix: &str) -> Vec<u32> {
        let dotted = format!("{prefix}.");
        let mut found: Vec<u32> = self
            .params
            .range(dotted.clone()..)
            .take_while(|(k, _)| k.starts_with(&dotted))
            .filter_map(|(k, _)| k[dotted.len()..].split('.').next()?.parse().ok())
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    fn structure(&self, shape_name: &str, prefix: &str) -> Result<Option<Value>, Box<Violation>> {
        let Some(ShapeKind::Structure { members, .. }) =
            self.model.shape(shape_name).map(|s| &s.kind)
        else {
            return Ok(None);
        };
        let mut out = Map::new();
        for (name, member) in members {
            let shape_wire = self
                .model
                .shape(&member.shape)
                .and_then(|s| s.location_name.as_deref());
            let wire = member
                .location_name
                .as_deref()
                .or(shape_wire)
                .unwrap_or(name);
            let mut value = self.member(member, &join(prefix, wire))?;
            if value.is_none() && wire != name {
                value = self.member(member, &join(prefix, name))?;
            }
            if let Some(v) = value {
                out.insert(name.clone(), v);
            }
        }
        if out.is_empty() && !prefix.is_empty() && !self.has_prefix(prefix) {
            return Ok(None);
        }
        Ok(Some(Value::Object(out)))
    }

    /// Decodes the value at `prefix` for a member reference.
    fn member(&self, member: &Member, prefix: &str) -> Result<Option<Value>, Box<Violation>> {
        let Some(shape) = self.model.shape(&member.shape) else {
            return Ok(None);
        };
        let flattened = shape.flattened || member.flattened;
        match &shape.kind {
            ShapeKind::Structure { .. } => self.structure(&member.shape, prefix),
            ShapeKind::List { member: item } => {
                let item_name = item.location_name.as_deref();
                let mut candidates = Vec::new();
                if flattened {
                    if let Some(item_name) = item_name {
                        // `AttributeNames` becomes `AttributeName.N`: the last segment is replaced.
                        let parent = prefix.rsplit_once('.').map(|(p, _)| p).unwrap_or("");
                        candidates.push(join(parent, item_name));
                    }
                    candidates.push(prefix.to_string());
                }
                candidates.push(format!("{prefix}.{}", item_name.unwrap_or("member")));
                candidates.push(format!("{prefix}.member"));
                for list_prefix in candidates {
                    let indexes = self.indexes(&list_prefix);
                    if indexes.is_empty() {
                        continue;
                    }
                    let mut items = Vec::with_capacity(indexes.len());
                    for i in indexes {
                        if let Some(v) = self.member(item, &format!("{list_prefix}.{i}"))? {
                            items.push(v);
                        }
                    }
                    return Ok(Some(Value::Array(items)));
                }
                // `Names=` with nothing after it is how the query protocol sends an empty list.
                match self.params.get(prefix) {
                    Some(v) if v.is_empty() => Ok(Some(Value::Array(Vec::new()))),
                    _ => Ok(None),
                }
            }
            ShapeKind::Map { key, value } => {
                let key_name = key.location_name.as_deref().unwrap_or("key");
                let value_name = value.location_name.as_deref().unwrap_or("value");
                let mut candidates = Vec::new();
                if flattened {
                    candidates.push(prefix.to_string());
                }
                candidates.push(format!("{prefix}.entry"));
                if !flattened {
                    candidates.push(prefix.to_string());
                }
                for map_prefix in candidates {
                    let indexes = self.indexes(&map_prefix);
                    let mut out = Map::new();
                    for i in indexes {
                        let entry = format!("{map_prefix}.{i}");
                        let Some(k) = self.params.get(&format!("{entry}.{key_name}")) else {
                            continue;
                        };
                        if let Some(v) = self.member(value, &format!("{entry}.{value_name}"))? {
                            out.insert(k.clone(), v);
                        }
                    }
                    if !out.is_empty() {
                        return Ok(Some(Value::Object(out)));
                    }
                }
                Ok(None)
            }
            scalar => {
                let Some(raw) = self.params.get(prefix) else {
                    return Ok(None);
                };
                scalar_value(scalar, raw, prefix).map(Some)
            }
        }
    }
}

fn scalar_value(kind: &ShapeKind, raw: &str, path: &str) -> Result<Value, Box<Violation>> {
    let trimmed = raw.trim();
    match kind {
        ShapeKind::Integer | ShapeKind::Long => trimmed
            .parse::<i64>()
            .map(|n| Value::Number(n.into()))
            .map_err(|_| type_violation(path, kind.type_name(), raw)),
        ShapeKind::Float | ShapeKind::Double => trimmed
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| type_violation(path, kind.type_name(), raw)),
        ShapeKind::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(type_violation(path, "boolean", raw)),
        },
        ShapeKind::Timestamp => parse_timestamp(trimmed)
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| type_violation(path, "timestamp", raw)),
        _ => Ok(Value::String(raw.to_string())),
    }
}

/// Epoch seconds, from either epoch seconds or ISO-8601 (what query clients send).
fn parse_timestamp(raw: &str) -> Option<f64> {
    if let Ok(secs) = raw.parse::<f64>() {
        return Some(secs);
    }
    let parsed =
        aws_smithy_types::DateTime::from_str(raw, aws_smithy_types::date_time::Format::DateTime)
            .ok()?;
    Some(parsed.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;
    use serde_json::json;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sqs_flattened_maps_lists_and_numbers() {
        let p = params(&[
            ("QueueUrl", "http://q"),
            ("MessageBody", "hi"),
            ("DelaySeconds", "5"),
            ("MessageAttribute.1.Name", "color"),
            ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.1.Value.StringValue", "red"),
            ("MessageAttribute.2.Name", "n"),
            ("MessageAttribute.2.Value.DataType", "Number"),
            ("MessageAttribute.2.Value.StringValue", "1"),
        ]);
        let v = decode(model::sqs_query(), "SendMessageRequest", &p).unwrap();
        assert_eq!(
            v,
            json!({"QueueUrl": "http://q", "MessageBody": "hi", "DelaySeconds": 5,
                "MessageAttributes": {"color": {"DataType": "String", "StringValue": "red"},
                                      "n": {"DataType": "Number", "StringValue": "1"}}})
        );
    }

    #[test]
    fn sqs_flattened_list_uses_the_member_name() {
        let p = params(&[
            ("QueueUrl", "u"),
            ("AttributeName.1", "All"),
            ("AttributeName.2", "Policy"),
        ]);
        let v = decode(model::sqs_query(), "GetQueueAttributesRequest", &p).unwrap();
        assert_eq!(
            v,
            json!({"QueueUrl": "u", "AttributeNames": ["All", "Policy"]})
        );
    }

    #[test]
    fn batch_entries_nest_structures() {
        let p = params(&[
            ("QueueUrl", "u"),
            ("SendMessageBatchRequestEntry.1.Id", "a"),
            ("SendMessageBatchRequestEntry.1.MessageBody", "x"),
            ("SendMessageBatchRequestEntry.2.Id", "b"),
            ("SendMessageBatchRequestEntry.2.MessageBody", "y"),
            ("SendMessageBatchRequestEntry.2.DelaySeconds", "1"),
        ]);
        let v = decode(model::sqs_query(), "SendMessageBatchRequest", &p).unwrap();
        assert_eq!(
            v,
            json!({"QueueUrl": "u", "Entries": [{"Id": "a", "MessageBody": "x"},
                                                {"Id": "b", "MessageBody": "y", "DelaySeconds": 1}]})
        );
    }

    #[test]
    fn sns_wrapped_maps_and_lists() {
        let p = params(&[
            ("Name", "t"),
            ("Attributes.entry.1.key", "DisplayName"),
            ("Attributes.entry.1.value", "T"),
            ("Tags.member.1.Key", "k"),
            ("Tags.member.1.Value", "v"),
        ]);
        let v = decode(model::sns(), "CreateTopicInput", &p).unwrap();
        assert_eq!(
            v,
            json!({"Name": "t", "Attributes": {"DisplayName": "T"}, "Tags": [{"Key": "k", "Value": "v"}]})
        );
    }

    #[test]
    fn a_non_number_for_an_integer_is_a_type_violation() {
        let p = params(&[("QueueUrl", "u"), ("MaxNumberOfMessages", "ten")]);
        let v = decode(model::sqs_query(), "ReceiveMessageRequest", &p).unwrap_err();
        assert_eq!(v.member, "MaxNumberOfMessages");
    }
}
