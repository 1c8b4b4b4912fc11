//! Message (user) attributes and the one system attribute a sender may set (`AWSTraceHeader`):
//! parsing from the JSON-protocol form, AWS's validation rules and messages, their size, the
//! receive-side name filter (`All`, `.*`, `prefix.*`, exact names), and rendering back.

use super::errors::SqsError;
use base64::Engine;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AttributeValue {
    /// `String`, `Number`, `Binary`, optionally with a custom suffix (`String.custom`).
    pub data_type: String,
    pub data: AttributeData,
}

/// Binary data is base64 in the state document.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeData {
    Text(String),
    Binary(#[serde(with = "crate::persist::snapshot::base64_bytes")] Vec<u8>),
}

/// Sorted by name: the order the MD5 digest needs.
pub type MessageAttributes = BTreeMap<String, AttributeValue>;

const MAX_ATTRIBUTES: usize = 10;

pub fn parse_message_attributes(input: Option<&Value>) -> Result<MessageAttributes, SqsError> {
    let Some(Value::Object(map)) = input else {
        return Ok(MessageAttributes::new());
    };
    if map.len() > MAX_ATTRIBUTES {
        return Err(SqsError::invalid_value(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            map.len()
        )));
    }
    let mut out = MessageAttributes::new();
    for (name, value) in map {
        check_name(name)?;
        out.insert(name.clone(), parse_value(name, value, "user")?);
    }
    Ok(out)
}

/// `MessageSystemAttributes` on send: only `AWSTraceHeader`, a String.
pub fn parse_system_attributes(input: Option<&Value>) -> Result<MessageAttributes, SqsError> {
    let Some(Value::Object(map)) = input else {
        return Ok(MessageAttributes::new());
    };
    let mut out = MessageAttributes::new();
    for (name, value) in map {
        if name != "AWSTraceHeader" {
            return Err(SqsError::invalid_value(format!(
                "Message system attribute name '{name}' is invalid."
            )));
        }
        let parsed = parse_value(name, value, "system")?;
        if parsed.data_type != "String" {
            return Err(SqsError::invalid_value(format!(
                "Message (system) attribute '{name}' must contain a non-empty value of type 'String'."
            )));
        }
        out.insert(name.clone(), parsed);
    }
    Ok(out)
}

fn check_name(name: &str) -> Result<(), SqsError> {
    if name.len() >= 256 {
        return Err(SqsError::invalid_value(
            "Message (user) attribute names must be shorter than 256 Bytes",
        ));
    }
    let chars_ok = !name.is_empty()
        && name.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '.' | '-')
                || ('\u{c0}'..='\u{17f}').contains(&c)
        });
    if !chars_ok || name.contains("..") {
        return Err(SqsError::invalid_value(
            "Message (user) attributes name can only contain upper and lower score characters, digits, periods, hyphens and underscores. ",
        ));
    }
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("aws.")
        || lower.starts_with("amazon.")
        || name.starts_with('.')
        || name.ends_with('.')
    {
        return Err(SqsError::invalid_value(
            "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved for internal use. Additionally, they cannot start or end with '.'.",
        ));
    }
    Ok(())
}

fn parse_value(name: &str, value: &Value, kind: &str) -> Result<AttributeValue, SqsError> {
    let empty = Map::new();
    let fields = value.as_object().unwrap_or(&empty);
    let data_type = fields.get("DataType").and_then(Value::as_str).unwrap_or("");
    if data_type.is_empty() {
        return Err(SqsError::invalid_value(format!(
            "Message ({kind}) attribute '{name}' must contain a non-empty message attribute type."
        )));
    }
    if data_type.len() >= 256 {
        return Err(SqsError::invalid_value(format!(
            "Message ({kind}) attribute types must be shorter than 256 Bytes"
        )));
    }
    let base = ["String", "Number", "Binary"].into_iter().find(|base| {
        data_type == *base
            || data_type
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('.'))
    });
    let Some(base) = base else {
        return Err(SqsError::invalid_value(format!(
            "The type of message ({kind}) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
        )));
    };
    let non_empty = || {
        SqsError::invalid_value(format!(
            "Message ({kind}) attribute '{name}' must contain a non-empty value of type '{base}'."
        ))
    };
    let data = if base == "Binary" {
        let encoded = fields
            .get("BinaryValue")
            .and_then(Value::as_str)
            .unwrap_or("");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| non_empty())?;
        if bytes.is_empty() {
            return Err(non_empty());
        }
        AttributeData::Binary(bytes)
    } else {
        let text = fields
            .get("StringValue")
            .and_then(Value::as_str)
            .unwrap_or("");
        if text.is_empty() {
            return Err(non_empty());
        }
        if !valid_message_characters(text) {
            // AWS reports invalid characters in an attribute as InvalidParameterValue, unlike
            // the body's InvalidMessageContents.
            return Err(SqsError::invalid_value(
                SqsError::InvalidMessageContents.to_string(),
            ));
        }
        if base == "Number" && !is_number(text) {
            return Err(SqsError::invalid_value(format!(
                "Can't cast the value of message ({kind}) attribute '{name}' to a number."
            )));
        }
        AttributeData::Text(text.to_string())
    };
    Ok(AttributeValue {
        data_type: data_type.to_string(),
        data,
    })
}

fn is_number(text: &str) -> bool {
    let t = text.trim();
    let starts_ok = t
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'));
    starts_ok
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        && t.parse::<f64>().is_ok_and(f64::is_finite)
}

/// XML 1.0's character set, which SQS enforces on bodies and string attributes.
pub fn valid_message_characters(text: &str) -> bool {
    text.chars().all(|c| {
        matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
    })
}

/// What counts towards MaximumMessageSize: name, type and value bytes of every attribute.
pub fn attributes_size(attributes: &MessageAttributes) -> usize {
    attributes
        .iter()
        .map(|(name, v)| {
            name.len()
                + v.data_type.len()
                + match &v.data {
                    AttributeData::Text(t) => t.len(),
                    AttributeData::Binary(b) => b.len(),
                }
        })
        .sum()
}

/// The receive-side filter of `MessageAttributeNames`.
pub struct NameFilter<'a> {
    all: bool,
    names: &'a [String],
}

impl<'a> NameFilter<'a> {
    pub fn new(names: &'a [String]) -> Self {
        // `*` is accepted for all as well (AWS-recorded), besides the documented `All`/`.*`.
        let all = names.iter().any(|n| n == "All" || n == ".*" || n == "*");
        NameFilter { all, names }
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.names.is_empty()
    }

    pub fn matches(&self, name: &str) -> bool {
        self.all
            || self
                .names
                .iter()
                .any(|pattern| match pattern.strip_suffix(".*") {
                    // AWS matches a plain string prefix: `Hel.*` returns `Hello` and `Help.Me`.
                    Some(prefix) => name.starts_with(prefix),
                    None => pattern == name,
                })
    }
}

/// A `MessageAttributeValue` as ReceiveMessage returns it: the value, then its type.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    string_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    binary_value: Option<String>,
    data_type: String,
}

impl From<&AttributeValue> for AttributeOutput {
    fn from(value: &AttributeValue) -> Self {
        let (string_value, binary_value) = match &value.data {
            AttributeData::Text(t) => (Some(t.clone()), None),
            AttributeData::Binary(b) => (
                None,
                Some(base64::engine::general_purpose::STANDARD.encode(b)),
            ),
        };
        AttributeOutput {
            string_value,
            binary_value,
            data_type: value.data_type.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_string_value_has_the_recorded_message() {
        let e = parse_message_attributes(Some(
            &json!({"ErrorDetails": {"DataType": "String", "StringValue": ""}}),
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."
        );
    }

    #[test]
    fn custom_types_numbers_and_limits() {
        let ok = parse_message_attributes(Some(&json!({
            "a": {"DataType": "String.custom", "StringValue": "x"},
            "n": {"DataType": "Number", "StringValue": "-1.5e3"},
            "b": {"DataType": "Binary.png", "BinaryValue": "AAE="},
        })))
        .unwrap();
        assert_eq!(ok.len(), 3);
        assert_eq!(
            attributes_size(&ok),
            (1 + 13 + 1) + (1 + 6 + 6) + (1 + 10 + 2)
        );
        assert!(parse_message_attributes(Some(
            &json!({"n": {"DataType": "Number", "StringValue": "abc"}})
        ))
        .is_err());
        assert!(parse_message_attributes(Some(
            &json!({"x": {"DataType": "Str", "StringValue": "a"}})
        ))
        .is_err());
        assert!(parse_message_attributes(Some(
            &json!({"AWS.x": {"DataType": "String", "StringValue": "a"}})
        ))
        .is_err());
        let eleven: Map<String, Value> = (0..11)
            .map(|i| {
                (
                    format!("a{i}"),
                    json!({"DataType": "String", "StringValue": "v"}),
                )
            })
            .collect();
        let e = parse_message_attributes(Some(&Value::Object(eleven))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Number of message attributes [11] exceeds the allowed maximum [10]."
        );
    }

    #[test]
    fn name_filter_supports_all_and_prefixes() {
        let names = vec!["Hel.*".to_string(), "General".to_string()];
        let f = NameFilter::new(&names);
        assert!(f.matches("Help.Me"));
        assert!(f.matches("Hello"));
        assert!(!f.matches("Hi"));
        assert!(f.matches("General"));
        let all = vec![".*".to_string()];
        assert!(NameFilter::new(&all).matches("anything"));
        let star = vec!["*".to_string()];
        assert!(NameFilter::new(&star).matches("anything"));
    }
}
