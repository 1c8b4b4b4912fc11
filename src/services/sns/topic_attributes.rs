//! Topic attributes: which names a caller may set, what values they take, and what
//! GetTopicAttributes reports (the stored ones plus the computed Owner, TopicArn, counts,
//! default Policy and EffectiveDeliveryPolicy).

use super::errors::SnsError;
use super::store::Topic;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Names SetTopicAttributes accepts (CreateTopic also takes FifoTopic).
const SETTABLE: &[&str] = &[
    "ArchivePolicy",
    "ContentBasedDeduplication",
    "DeliveryPolicy",
    "DisplayName",
    "FifoThroughputScope",
    "KmsMasterKeyId",
    "Policy",
    "SignatureVersion",
    "TracingConfig",
];

/// Delivery-status logging attributes: `<Protocol>SuccessFeedbackRoleArn` and friends.
fn is_feedback_attribute(name: &str) -> bool {
    ["HTTP", "Application", "Firehose", "Lambda", "SQS"]
        .iter()
        .any(|p| {
            name.strip_prefix(p).is_some_and(|rest| {
                matches!(
                    rest,
                    "SuccessFeedbackRoleArn"
                        | "SuccessFeedbackSampleRate"
                        | "FailureFeedbackRoleArn"
                )
            })
        })
}

/// The default retry policy for HTTP/S deliveries (what EffectiveDeliveryPolicy shows).
pub fn default_delivery_policy() -> Value {
    json!({"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 20, "maxDelayTarget": 20,
        "numRetries": 3, "numMaxDelayRetries": 0, "numNoDelayRetries": 0,
        "numMinDelayRetries": 0, "backoffFunction": "linear"},
        "disableSubscriptionOverrides": false,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}}})
}

/// The policy a new topic gets: the owner's account may do everything.
pub fn default_policy(topic_arn: &str, owner: &str) -> String {
    json!({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [{
        "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
            "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
            "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
        "Resource": topic_arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": owner}}}]})
    .to_string()
}

/// Checks one attribute for a topic that is (or will be) FIFO or not; returns the value to
/// store (booleans normalised to lower case).
pub fn validate(name: &str, value: &str, fifo: bool) -> Result<String, SnsError> {
    if !SETTABLE.contains(&name) && !is_feedback_attribute(name) {
        return Err(SnsError::invalid("AttributeName"));
    }
    let json_value = |what: &str| -> Result<String, SnsError> {
        if value.is_empty() {
            return Ok(String::new());
        }
        match serde_json::from_str::<Value>(value) {
            Ok(Value::Object(_)) => Ok(value.to_string()),
            _ => Err(SnsError::invalid(format!(
                "{what}: failed to parse JSON. Unexpected character"
            ))),
        }
    };
    match name {
        "ContentBasedDeduplication" => {
            if !fifo {
                return Err(SnsError::invalid(
                    "ContentBasedDeduplication Reason: Content based deduplication can only be set for FIFO topics",
                ));
            }
            boolean(name, value)
        }
        "FifoThroughputScope" => {
            if !fifo {
                return Err(SnsError::invalid(
                    "FifoThroughputScope Reason: FifoThroughputScope can only be set for FIFO topics",
                ));
            }
            match value {
                "Topic" | "MessageGroup" => Ok(value.to_string()),
                _ => Err(SnsError::invalid(format!(
                    "FifoThroughputScope Reason: Invalid value [{value}] for FifoThroughputScope. Valid values are [Topic, MessageGroup]"
                ))),
            }
        }
        "SignatureVersion" => match value {
            "1" | "2" => Ok(value.to_string()),
            _ => Err(SnsError::invalid(
                "SignatureVersion Reason: must be 1 or 2",
            )),
        },
        "TracingConfig" => match value {
            "PassThrough" | "Active" => Ok(value.to_string()),
            _ => Err(SnsError::invalid(format!(
                "TracingConfig Reason: Invalid value [{value}] for TracingConfig. Valid values are [PassThrough, Active]"
            ))),
        },
        "DeliveryPolicy" => json_value("DeliveryPolicy"),
        "Policy" => json_value("Policy"),
        "ArchivePolicy" => {
            if !fifo {
                return Err(SnsError::invalid(
                    "ArchivePolicy Reason: Message archiving is only supported for FIFO topics",
                ));
            }
            json_value("ArchivePolicy")
        }
        _ => Ok(value.to_string()),
    }
}

fn boolean(name: &str, value: &str) -> Result<String, SnsError> {
    match value.to_ascii_lowercase().as_str() {
        v @ ("true" | "false") => Ok(v.to_string()),
        _ => Err(SnsError::invalid(format!(
            "{name} Reason: Invalid value [{value}] for {name}. Valid values are [true, false]"
        ))),
    }
}

/// GetTopicAttributes' map.
pub fn all(topic: &Topic) -> BTreeMap<String, String> {
    let mut out = topic.attributes().clone();
    let count = |pending: bool| {
        topic
            .subscriptions()
            .filter(|s| s.pending == pending)
            .count()
            .to_string()
    };
    out.insert("TopicArn".into(), topic.arn.clone());
    out.insert("Owner".into(), topic.owner.clone());
    out.insert("SubscriptionsConfirmed".into(), count(false));
    out.insert("SubscriptionsPending".into(), count(true));
    out.insert(
        "SubscriptionsDeleted".into(),
        topic.subscriptions_deleted().to_string(),
    );
    out.entry("DisplayName".into()).or_default();
    if out.get("Policy").is_none_or(|p| p.is_empty()) {
        out.insert("Policy".into(), default_policy(&topic.arn, &topic.owner));
    }
    let effective = topic
        .attribute("DeliveryPolicy")
        .filter(|p| !p.is_empty())
        .map_or_else(|| default_delivery_policy().to_string(), str::to_string);
    out.insert("EffectiveDeliveryPolicy".into(), effective);
    if topic.fifo {
        out.insert("FifoTopic".into(), "true".into());
        out.entry("ContentBasedDeduplication".into())
            .or_insert_with(|| "false".into());
        out.entry("FifoThroughputScope".into())
            .or_insert_with(|| "Topic".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_names_with_valid_values() {
        assert!(validate("DisplayName", "x", false).is_ok());
        assert_eq!(
            validate("Bogus", "x", false),
            Err(SnsError::invalid("AttributeName"))
        );
        assert!(validate("ContentBasedDeduplication", "true", false).is_err());
        assert_eq!(
            validate("ContentBasedDeduplication", "TRUE", true).unwrap(),
            "true"
        );
        assert!(validate("Policy", "{not json", false).is_err());
        assert!(validate("SQSSuccessFeedbackRoleArn", "arn", false).is_ok());
    }
}
