//! A state machine's logging, tracing and encryption configurations (and an activity's
//! encryption), typed: as the client gave them, with AWS's defaults filled in and checked as
//! AWS checks them. Stored so in the store, the state document and the data directory (the
//! same JSON as when they were kept as `Value`s), and written so by the Describe calls.

use super::errors::SfnError;
use serde::{Deserialize, Serialize};

/// `loggingConfiguration`: level `OFF` and no execution data unless given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Logging {
    #[serde(default = "level_off")]
    level: String,
    #[serde(default)]
    include_execution_data: bool,
    /// Absent unless the client sent it (an empty list is written back as sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    destinations: Option<Vec<LogDestination>>,
}

fn level_off() -> String {
    "OFF".into()
}

impl Default for Logging {
    fn default() -> Self {
        Logging {
            level: level_off(),
            include_execution_data: false,
            destinations: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogDestination {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cloud_watch_logs_log_group: Option<LogGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogGroup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    log_group_arn: Option<String>,
}

/// `tracingConfiguration`: X-Ray tracing off unless enabled.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tracing {
    #[serde(default)]
    enabled: bool,
}

/// `encryptionConfiguration`: `{"type": "AWS_OWNED_KEY"}` unless a customer managed key is
/// given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Encryption {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kms_data_key_reuse_period_seconds: Option<i64>,
}

impl Default for Encryption {
    fn default() -> Self {
        Encryption {
            kind: "AWS_OWNED_KEY".into(),
            kms_key_id: None,
            kms_data_key_reuse_period_seconds: None,
        }
    }
}

/// The logging configuration as DescribeStateMachine returns it, with AWS's defaults filled
/// in; a level other than OFF needs exactly one destination.
pub fn logging(config: Option<Logging>) -> Result<Logging, SfnError> {
    let config = config.unwrap_or_default();
    let destinations = config.destinations.as_ref().map_or(0, Vec::len);
    if (config.level != "OFF" && destinations != 1) || destinations > 1 {
        return Err(SfnError::InvalidLoggingConfiguration(
            "Invalid Logging Configuration: Must specify exactly one Log Destination.".into(),
        ));
    }
    Ok(config)
}

/// A reuse period outside 60-900 s (the handler's check, and the model's range, which
/// `ServiceId::validation_error` words this way too, since the model is checked first).
pub const REUSE_PERIOD_OUT_OF_RANGE: &str =
    "Invalid Encryption Configuration: kmsDataKeyReusePeriodSeconds must be between 60 and 900.";

/// The encryption configuration as Describe returns it (`AWS_OWNED_KEY` by default). A
/// customer managed key needs its key id and a reuse period of 60-900 s:
/// `InvalidEncryptionConfiguration` otherwise.
pub fn encryption(config: Option<Encryption>) -> Result<Encryption, SfnError> {
    let Some(config) = config else {
        return Ok(Encryption::default());
    };
    if config.kind == "CUSTOMER_MANAGED_KMS_KEY" {
        if config.kms_key_id.is_none() {
            return Err(SfnError::InvalidEncryptionConfiguration(
                "Invalid Encryption Configuration: kmsKeyId must be provided when type is CUSTOMER_MANAGED_KMS_KEY.".into(),
            ));
        }
        if config
            .kms_data_key_reuse_period_seconds
            .is_some_and(|p| !(60..=900).contains(&p))
        {
            return Err(SfnError::InvalidEncryptionConfiguration(
                REUSE_PERIOD_OUT_OF_RANGE.into(),
            ));
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_configurations_are_written_with_aws_defaults() {
        let logging = logging(None).expect("no configuration is valid");
        assert_eq!(
            serde_json::to_string(&logging).expect("serialises"),
            r#"{"level":"OFF","includeExecutionData":false}"#
        );
        assert_eq!(
            serde_json::to_string(&Tracing::default()).expect("serialises"),
            r#"{"enabled":false}"#
        );
        let encryption = encryption(None).expect("no configuration is valid");
        assert_eq!(
            serde_json::to_string(&encryption).expect("serialises"),
            r#"{"type":"AWS_OWNED_KEY"}"#
        );
    }

    #[test]
    fn a_stored_configuration_reads_back_as_it_was_written() {
        let text = r#"{"level":"ALL","includeExecutionData":true,"destinations":[{"cloudWatchLogsLogGroup":{"logGroupArn":"arn:aws:logs:us-east-1:1:log-group:g:*"}}]}"#;
        let logging: Logging = serde_json::from_str(text).expect("the stored text parses");
        assert_eq!(serde_json::to_string(&logging).expect("serialises"), text);
    }

    #[test]
    fn a_level_other_than_off_needs_exactly_one_destination() {
        let all = Logging {
            level: "ALL".into(),
            ..Logging::default()
        };
        assert!(matches!(
            logging(Some(all)),
            Err(SfnError::InvalidLoggingConfiguration(_))
        ));
    }
}
