//! Queue attributes: AWS's defaults, limits and validation messages for CreateQueue and
//! SetQueueAttributes, and what GetQueueAttributes returns (`All` differs for standard and FIFO
//! queues; KMS and policy attributes appear only when set).

use super::errors::SqsError;
use super::queue_url::parse_queue_arn;
use serde_json::{Map, Value};

/// The settable state of a queue, typed. Timestamps are epoch seconds, as AWS reports them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QueueAttributes {
    pub fifo: bool,
    pub delay_seconds: u32,
    pub maximum_message_size: u32,
    pub message_retention_period: u32,
    pub receive_message_wait_time_seconds: u32,
    pub visibility_timeout: u32,
    pub policy: Option<String>,
    pub redrive_policy: Option<RedrivePolicy>,
    pub redrive_allow_policy: Option<String>,
    pub kms_master_key_id: Option<String>,
    pub kms_data_key_reuse_period_seconds: u32,
    pub sqs_managed_sse_enabled: bool,
    pub content_based_deduplication: bool,
    pub deduplication_scope: String,
    pub fifo_throughput_limit: String,
    pub created_timestamp: u64,
    pub last_modified_timestamp: u64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RedrivePolicy {
    pub dead_letter_target_arn: String,
    pub max_receive_count: u32,
}

impl RedrivePolicy {
    /// AWS hands the policy back normalised: compact, with `maxReceiveCount` a number.
    pub fn render(&self) -> String {
        serde_json::json!({
            "deadLetterTargetArn": self.dead_letter_target_arn,
            "maxReceiveCount": self.max_receive_count,
        })
        .to_string()
    }
}

/// The values GetQueueAttributes computes instead of storing.
pub struct DynamicAttributes {
    pub queue_arn: String,
    pub visible: usize,
    pub not_visible: usize,
    pub delayed: usize,
}

/// Every attribute name AWS knows, in the order `All` lists them.
const ALL_NAMES: &[&str] = &[
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

const READ_ONLY: &[&str] = &[
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
];

fn unknown(name: &str) -> SqsError {
    SqsError::InvalidAttributeName(format!("Unknown Attribute {name}."))
}

fn invalid(name: &str) -> SqsError {
    SqsError::InvalidAttributeValue(format!("Invalid value for the parameter {name}."))
}

const SSE_CONFLICT: &str =
    "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.";

/// Whether attributes are being set by CreateQueue or SetQueueAttributes: a few rules differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Set,
}

impl QueueAttributes {
    pub fn defaults(fifo: bool, now_secs: u64) -> Self {
        QueueAttributes {
            fifo,
            delay_seconds: 0,
            maximum_message_size: 1_048_576,
            message_retention_period: 345_600,
            receive_message_wait_time_seconds: 0,
            visibility_timeout: 30,
            policy: None,
            redrive_policy: None,
            redrive_allow_policy: None,
            kms_master_key_id: None,
            kms_data_key_reuse_period_seconds: 300,
            sqs_managed_sse_enabled: true,
            content_based_deduplication: false,
            deduplication_scope: "queue".into(),
            fifo_throughput_limit: "perQueue".into(),
            created_timestamp: now_secs,
            last_modified_timestamp: now_secs,
        }
    }

    /// Validates and applies `input` (attribute name -> string value). On error nothing is
    /// applied: the caller works on a copy.
    pub fn apply(&mut self, input: &Map<String, Value>, mode: Mode) -> Result<(), SqsError> {
        for (name, value) in input {
            let text = match value {
                Value::String(s) => s.as_str(),
                _ => return Err(invalid(name)),
            };
            self.apply_one(name, text, input, mode)?;
        }
        if self.fifo_throughput_limit == "perMessageGroupId"
            && self.deduplication_scope != "messageGroup"
        {
            return Err(SqsError::InvalidAttributeValue(
                "Invalid value for the parameter FifoThroughputLimit. Reason: To set FifoThroughputLimit to perMessageGroupId, the DeduplicationScope must be messageGroup.".into(),
            ));
        }
        Ok(())
    }

    fn apply_one(
        &mut self,
        name: &str,
        text: &str,
        all: &Map<String, Value>,
        mode: Mode,
    ) -> Result<(), SqsError> {
        let int = |min: u32, max: u32| -> Result<u32, SqsError> {
            text.trim()
                .parse::<i64>()
                .ok()
                .filter(|v| (min as i64..=max as i64).contains(v))
                .map(|v| v as u32)
                .ok_or_else(|| invalid(name))
        };
        let boolean = || -> Result<bool, SqsError> {
            match text.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(invalid(name)),
            }
        };
        match name {
            "DelaySeconds" => self.delay_seconds = int(0, 900)?,
            "MaximumMessageSize" => self.maximum_message_size = int(1024, 1_048_576)?,
            "MessageRetentionPeriod" => self.message_retention_period = int(60, 1_209_600)?,
            "ReceiveMessageWaitTimeSeconds" => self.receive_message_wait_time_seconds = int(0, 20)?,
            "VisibilityTimeout" => self.visibility_timeout = int(0, 43_200)?,
            "KmsDataKeyReusePeriodSeconds" => {
                self.kms_data_key_reuse_period_seconds = int(60, 86_400)?
            }
            "Policy" => {
                self.policy = parse_json_object_or_empty(text).map_err(|_| invalid(name))?
            }
            "RedrivePolicy" => self.redrive_policy = parse_redrive_policy(text)?,
            "RedriveAllowPolicy" => self.redrive_allow_policy = parse_redrive_allow_policy(text)?,
            "KmsMasterKeyId" => {
                if text.is_empty() {
                    self.kms_master_key_id = None;
                } else {
                    let sse_requested = all
                        .get("SqsManagedSseEnabled")
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                    if sse_requested {
                        return Err(SqsError::InvalidAttributeName(SSE_CONFLICT.into()));
                    }
                    self.kms_master_key_id = Some(text.to_string());
                    self.sqs_managed_sse_enabled = false;
                }
            }
            "SqsManagedSseEnabled" => {
                self.sqs_managed_sse_enabled = boolean()?;
                if self.sqs_managed_sse_enabled {
                    self.kms_master_key_id = None;
                }
            }
            "FifoQueue" => {
                let requested = boolean();
                match (self.fifo, mode) {
                    (true, _) if requested == Ok(true) => {}
                    (true, _) => {
                        return Err(SqsError::InvalidAttributeValue(
                            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
                                .into(),
                        ))
                    }
                    // A standard queue knows no FifoQueue attribute, not even `false`, in
                    // either protocol (AWS-recorded: "Unknown Attribute FifoQueue.").
                    (false, _) => return Err(unknown(name)),
                }
            }
            "ContentBasedDeduplication" => {
                if !self.fifo {
                    return Err(unknown(name));
                }
                self.content_based_deduplication = boolean()?;
            }
            "DeduplicationScope" | "FifoThroughputLimit" => {
                if !self.fifo {
                    return Err(SqsError::InvalidAttributeName(format!(
                        "You can specify the {name} only when FifoQueue is set to true."
                    )));
                }
                let allowed: &[&str] = if name == "DeduplicationScope" {
                    &["messageGroup", "queue"]
                } else {
                    &["perQueue", "perMessageGroupId"]
                };
                if !allowed.contains(&text) {
                    return Err(invalid(name));
                }
                if name == "DeduplicationScope" {
                    self.deduplication_scope = text.to_string();
                } else {
                    self.fifo_throughput_limit = text.to_string();
                }
            }
            _ => return Err(unknown(name)),
        }
        Ok(())
    }

    /// One attribute as GetQueueAttributes shows it; `None` when it doesn't apply to this queue.
    pub fn render(&self, name: &str, dynamic: &DynamicAttributes) -> Option<String> {
        let fifo_only = |v: String| self.fifo.then_some(v);
        match name {
            "QueueArn" => Some(dynamic.queue_arn.clone()),
            "ApproximateNumberOfMessages" => Some(dynamic.visible.to_string()),
            "ApproximateNumberOfMessagesNotVisible" => Some(dynamic.not_visible.to_string()),
            "ApproximateNumberOfMessagesDelayed" => Some(dynamic.delayed.to_string()),
            "CreatedTimestamp" => Some(self.created_timestamp.to_string()),
            "LastModifiedTimestamp" => Some(self.last_modified_timestamp.to_string()),
            "VisibilityTimeout" => Some(self.visibility_timeout.to_string()),
            "MaximumMessageSize" => Some(self.maximum_message_size.to_string()),
            "MessageRetentionPeriod" => Some(self.message_retention_period.to_string()),
            "DelaySeconds" => Some(self.delay_seconds.to_string()),
            "ReceiveMessageWaitTimeSeconds" => {
                Some(self.receive_message_wait_time_seconds.to_string())
            }
            "Policy" => self.policy.clone(),
            "RedrivePolicy" => self.redrive_policy.as_ref().map(RedrivePolicy::render),
            "RedriveAllowPolicy" => self.redrive_allow_policy.clone(),
            "KmsMasterKeyId" => self.kms_master_key_id.clone(),
            "KmsDataKeyReusePeriodSeconds" => self
                .kms_master_key_id
                .as_ref()
                .map(|_| self.kms_data_key_reuse_period_seconds.to_string()),
            "SqsManagedSseEnabled" => Some(self.sqs_managed_sse_enabled.to_string()),
            "FifoQueue" => fifo_only("true".into()),
            "ContentBasedDeduplication" => fifo_only(self.content_based_deduplication.to_string()),
            "DeduplicationScope" => fifo_only(self.deduplication_scope.clone()),
            "FifoThroughputLimit" => fifo_only(self.fifo_throughput_limit.clone()),
            _ => None,
        }
    }

    /// GetQueueAttributes: the requested names (`All` expands), rejecting unknown ones.
    pub fn render_requested(
        &self,
        names: &[String],
        dynamic: &DynamicAttributes,
    ) -> Result<Map<String, Value>, SqsError> {
        if let Some(bad) = names
            .iter()
            .find(|n| *n != "All" && !ALL_NAMES.contains(&n.as_str()))
        {
            return Err(unknown(bad));
        }
        let all = names.iter().any(|n| n == "All");
        let mut out = Map::new();
        for name in ALL_NAMES {
            if all || names.iter().any(|n| n == name) {
                if let Some(value) = self.render(name, dynamic) {
                    out.insert((*name).to_string(), Value::String(value));
                }
            }
        }
        Ok(out)
    }

    /// CreateQueue on an existing queue succeeds only if every given attribute matches; AWS
    /// names the first one that doesn't.
    pub fn first_difference(
        &self,
        requested: &QueueAttributes,
        input: &Map<String, Value>,
    ) -> Option<String> {
        let dynamic = DynamicAttributes {
            queue_arn: String::new(),
            visible: 0,
            not_visible: 0,
            delayed: 0,
        };
        input
            .keys()
            .find(|name| {
                !READ_ONLY.contains(&name.as_str())
                    && self.render(name, &dynamic) != requested.render(name, &dynamic)
            })
            .cloned()
    }
}

fn parse_json_object_or_empty(text: &str) -> Result<Option<String>, ()> {
    if text.is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_)) => Ok(Some(text.to_string())),
        _ => Err(()),
    }
}

fn parse_redrive_policy(text: &str) -> Result<Option<RedrivePolicy>, SqsError> {
    if text.is_empty() {
        return Ok(None);
    }
    let reason = |r: String| SqsError::invalid_parameter(text, "RedrivePolicy", &r);
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return Err(reason("Redrive policy is not a valid JSON map.".into()));
    };
    let arn = match map.get("deadLetterTargetArn") {
        None => {
            return Err(reason(
                "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.".into(),
            ))
        }
        Some(Value::String(arn)) if parse_queue_arn(arn).is_some() => arn.clone(),
        Some(_) => return Err(reason("Invalid value for deadLetterTargetArn.".into())),
    };
    let count = match map.get("maxReceiveCount") {
        None => {
            return Err(reason(
                "Redrive policy does not contain mandatory attribute: maxReceiveCount.".into(),
            ))
        }
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    match count {
        Some(c) if (1..=1000).contains(&c) => Ok(Some(RedrivePolicy {
            dead_letter_target_arn: arn,
            max_receive_count: c as u32,
        })),
        _ => {
            let shown = map
                .get("maxReceiveCount")
                .map(value_text)
                .unwrap_or_default();
            Err(reason(format!(
                "Invalid value for maxReceiveCount: {shown}, valid values are from 1 to 1000 both inclusive."
            )))
        }
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn parse_redrive_allow_policy(text: &str) -> Result<Option<String>, SqsError> {
    if text.is_empty() {
        return Ok(None);
    }
    let reason = |r: &str| SqsError::invalid_parameter(text, "RedriveAllowPolicy", r);
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return Err(reason(
            "Amazon SQS can't create the redrive allow policy, as it's in an unsupported format.",
        ));
    };
    match map.get("redrivePermission").and_then(Value::as_str) {
        Some("allowAll") | Some("denyAll") => {}
        Some("byQueue") => {
            let arns = map.get("sourceQueueArns").and_then(Value::as_array);
            match arns {
                Some(list) if !list.is_empty() && list.len() <= 10 => {}
                _ => return Err(reason("Amazon SQS can't create the redrive allow policy, as it's in an unsupported format.")),
            }
        }
        _ => return Err(reason(
            "Amazon SQS can't create the redrive allow policy, as it's in an unsupported format.",
        )),
    }
    Ok(Some(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply(fifo: bool, input: Value, mode: Mode) -> Result<QueueAttributes, SqsError> {
        let mut a = QueueAttributes::defaults(fifo, 0);
        a.apply(input.as_object().expect("object"), mode)?;
        Ok(a)
    }

    #[test]
    fn limits_and_fifo_only_attributes_are_rejected_with_aws_messages() {
        let e = apply(false, json!({"DelaySeconds": "901"}), Mode::Create).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid value for the parameter DelaySeconds."
        );
        let e = apply(
            false,
            json!({"ContentBasedDeduplication": "true"}),
            Mode::Create,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Unknown Attribute ContentBasedDeduplication."
        );
        let e = apply(false, json!({"DeduplicationScope": "queue"}), Mode::Create).unwrap_err();
        assert_eq!(
            e.to_string(),
            "You can specify the DeduplicationScope only when FifoQueue is set to true."
        );
        let e = apply(true, json!({"FifoQueue": "false"}), Mode::Set).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
        );
        let e = apply(false, json!({"FifoQueue": "true"}), Mode::Set).unwrap_err();
        assert_eq!(e.to_string(), "Unknown Attribute FifoQueue.");
        let e = apply(
            false,
            json!({"KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"}),
            Mode::Set,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), SSE_CONFLICT);
    }

    #[test]
    fn redrive_policy_is_validated_and_normalised() {
        let raw = r#"{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}"#;
        let e = apply(false, json!({ "RedrivePolicy": raw }), Mode::Set).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("Value {raw} for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.")
        );
        let ok = apply(
            false,
            json!({"RedrivePolicy": r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"3"}"#}),
            Mode::Set,
        )
        .unwrap();
        assert_eq!(
            ok.redrive_policy.unwrap().render(),
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3}"#
        );
    }

    #[test]
    fn kms_key_turns_off_sqs_managed_sse() {
        let a = apply(
            false,
            json!({"KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000"}),
            Mode::Create,
        )
        .unwrap();
        assert!(!a.sqs_managed_sse_enabled);
        let d = DynamicAttributes {
            queue_arn: "arn".into(),
            visible: 0,
            not_visible: 0,
            delayed: 0,
        };
        assert_eq!(
            a.render("KmsDataKeyReusePeriodSeconds", &d).as_deref(),
            Some("6000")
        );
    }
}
