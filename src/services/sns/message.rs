//! A published message as SNS keeps it for delivery, and the checks AWS applies to what a
//! publisher sends: message attributes (names, types, values), the total size, and
//! `MessageStructure: json` (one text per protocol, `default` required).

use super::errors::SnsError;
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// 256 KiB: the largest message (body plus attributes) SNS accepts.
pub const MAX_MESSAGE_BYTES: usize = 262_144;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct MessageAttribute {
    pub data_type: String,
    #[serde(default)]
    pub string_value: Option<String>,
    /// Base64, as the JSON form of the input carries blobs.
    #[serde(default)]
    pub binary_value: Option<String>,
}

impl MessageAttribute {
    pub fn is_binary(&self) -> bool {
        self.data_type.starts_with("Binary")
    }

    /// The value as envelopes and filter policies see it (binary stays base64).
    pub fn value_text(&self) -> String {
        if self.is_binary() {
            self.binary_value.clone().unwrap_or_default()
        } else {
            self.string_value.clone().unwrap_or_default()
        }
    }

    fn size(&self, name: &str) -> usize {
        let value = if self.is_binary() {
            self.binary_value
                .as_deref()
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .map_or(0, |b| b.len())
        } else {
            self.string_value.as_deref().map_or(0, str::len)
        };
        name.len() + self.data_type.len() + value
    }
}

pub type Attributes = BTreeMap<String, MessageAttribute>;

/// One message ready to fan out.
#[derive(Debug, Clone)]
pub struct Notification {
    pub message_id: String,
    pub topic_arn: String,
    pub subject: Option<String>,
    pub message: String,
    /// With `MessageStructure: json`: protocol -> text (only string values count).
    pub per_protocol: Option<BTreeMap<String, String>>,
    pub attributes: Attributes,
    pub timestamp_ms: u64,
    /// Also kept for standard topics: AWS hands it to standard SQS subscribers.
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
    pub sequence_number: Option<String>,
    /// The `host[:port]` the publisher used, for URLs in envelopes.
    pub host: String,
    /// The topic's DeliveryPolicy when the message was published (HTTP/S retries).
    pub topic_delivery_policy: Option<String>,
    /// The Publish call's place in its trace (and its in-process hops, see
    /// `crate::invoke::MAX_HOPS`): deliveries are its children.
    pub trace: crate::request::TraceContext,
    /// The publisher's `X-Amzn-Trace-Id`, which SQS deliveries carry as `AWSTraceHeader`.
    pub trace_header: Option<String>,
    /// FIFO topics deliver unsigned notifications (with a SequenceNumber instead).
    pub fifo: bool,
    /// The topic's `SignatureVersion` when the message was published.
    pub signature_version: super::signing::SignatureVersion,
    /// The signature of the envelope for the published text, made by the first delivery that
    /// needs it and shared by the others.
    pub signature: std::sync::OnceLock<String>,
}

impl Notification {
    /// The text a subscription of `protocol` receives.
    pub fn message_for(&self, protocol: &str) -> &str {
        match &self.per_protocol {
            Some(texts) => texts
                .get(protocol)
                .or_else(|| texts.get("default"))
                .map(String::as_str)
                .unwrap_or(&self.message),
            None => &self.message,
        }
    }
}

/// `MessageStructure: json`: the message must be a JSON object with a string `default`.
pub fn per_protocol_messages(message: &str) -> Result<BTreeMap<String, String>, SnsError> {
    let parsed: Value = serde_json::from_str(message)
        .map_err(|_| SnsError::invalid("Message Structure - JSON message body failed to parse"))?;
    let Value::Object(map) = parsed else {
        return Err(SnsError::invalid(
            "Message Structure - JSON message body failed to parse",
        ));
    };
    // Keys whose values are not strings are ignored, as AWS does.
    let texts: BTreeMap<String, String> = map
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            _ => None,
        })
        .collect();
    if !texts.contains_key("default") {
        return Err(SnsError::invalid(
            "Message Structure - No default entry in JSON message body",
        ));
    }
    Ok(texts)
}

/// Checks message attributes the way SNS does; `entry` is the 1-based PublishBatch position.
pub fn validate_attributes(attributes: &Attributes) -> Result<(), SnsError> {
    for (name, attribute) in attributes {
        validate_name(name)?;
        let data_type = attribute.data_type.as_str();
        // `String`, `Number` or `Binary`, optionally followed by `.` and a non-empty label.
        let (base, label) = match data_type.split_once('.') {
            Some((base, label)) => (base, Some(label)),
            None => (data_type, None),
        };
        if !matches!(base, "String" | "Number" | "Binary") || label == Some("") {
            return Err(SnsError::ParameterValueInvalid(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            )));
        }
        let (field, value) = if base == "Binary" {
            ("Binary", attribute.binary_value.as_deref())
        } else {
            ("String", attribute.string_value.as_deref())
        };
        match value {
            None if attribute.string_value.is_none() && attribute.binary_value.is_none() => {
                return Err(SnsError::ParameterValueInvalid(format!(
                    "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{data_type}'."
                )))
            }
            None => {
                return Err(SnsError::ParameterValueInvalid(format!(
                    "The message attribute '{name}' with type '{data_type}' must use field '{field}'."
                )))
            }
            Some("") => {
                return Err(SnsError::ParameterValueInvalid(format!(
                    "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{data_type}'."
                )))
            }
            Some(v) => {
                if base == "Number" && !is_number(v) {
                    return Err(SnsError::ParameterValueInvalid(format!(
                        "Could not cast message attribute '{name}' value to number."
                    )));
                }
            }
        }
    }
    Ok(())
}

fn is_number(v: &str) -> bool {
    v.trim().parse::<f64>().is_ok_and(f64::is_finite)
}

fn validate_name(name: &str) -> Result<(), SnsError> {
    let invalid = |m: String| Err(SnsError::ParameterValueInvalid(m));
    if name.len() > 256 {
        return invalid("Length of message attribute name must be less than 256 bytes.".into());
    }
    if name.starts_with('.') {
        return invalid(
            "Invalid message attribute name starting with character '.' was found.".into(),
        );
    }
    if name.ends_with('.') {
        return invalid(
            "Invalid message attribute name ending with character '.' was found.".into(),
        );
    }
    let mut previous = '\0';
    for c in name.chars() {
        if !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
            return invalid(format!(
                "Invalid non-alphanumeric character '#x{:X}' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
                c as u32
            ));
        }
        if c == '.' && previous == '.' {
            return invalid("Message attribute name can not have successive '.' character.".into());
        }
        previous = c;
    }
    Ok(())
}

/// Body plus attributes, as counted against the 256 KiB limit.
pub fn total_size(message: &str, attributes: &Attributes) -> usize {
    message.len()
        + attributes
            .iter()
            .map(|(name, a)| a.size(name))
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(data_type: &str, value: &str) -> MessageAttribute {
        MessageAttribute {
            data_type: data_type.into(),
            string_value: Some(value.into()),
            binary_value: None,
        }
    }

    #[test]
    fn attribute_types_and_numbers_are_checked() {
        let ok: Attributes = [("a.b".to_string(), attr("Number.int", "12"))].into();
        assert!(validate_attributes(&ok).is_ok());
        let bad: Attributes = [("n".to_string(), attr("Number", "x"))].into();
        assert!(validate_attributes(&bad).is_err());
        let bad: Attributes = [("n".to_string(), attr("Int", "1"))].into();
        assert!(validate_attributes(&bad).is_err());
        let bad: Attributes = [("a..b".to_string(), attr("String", "1"))].into();
        assert!(validate_attributes(&bad).is_err());
    }

    #[test]
    fn message_structure_needs_a_default() {
        assert!(per_protocol_messages(r#"{"sqs":"x"}"#).is_err());
        let m = per_protocol_messages(r#"{"default":"d","sqs":"s","http":1}"#).unwrap();
        assert_eq!(m.get("sqs").map(String::as_str), Some("s"));
        assert!(!m.contains_key("http"));
        assert!(per_protocol_messages("nope").is_err());
    }
}
