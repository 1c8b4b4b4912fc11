//! Which services exist, how each is reached on the wire, and which model and error dialect it
//! uses. The gateway asks this table instead of knowing any service by name.

use crate::error::ApiError;
use crate::model::{self, ServiceModel, ValidationOptions, Violation};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceId {
    Sqs,
    Sns,
    Events,
    StepFunctions,
    Sts,
}

impl ServiceId {
    pub const ALL: [ServiceId; 5] = [
        ServiceId::Sqs,
        ServiceId::Sns,
        ServiceId::Events,
        ServiceId::StepFunctions,
        ServiceId::Sts,
    ];

    /// The name used in SigV4 credential scopes, health output and `?service=`.
    pub fn name(self) -> &'static str {
        match self {
            ServiceId::Sqs => "sqs",
            ServiceId::Sns => "sns",
            ServiceId::Events => "events",
            ServiceId::StepFunctions => "states",
            ServiceId::Sts => "sts",
        }
    }

    /// LocalStack's health endpoint names Step Functions differently from the signing name.
    pub fn health_name(self) -> &'static str {
        match self {
            ServiceId::StepFunctions => "stepfunctions",
            other => other.name(),
        }
    }

    pub fn from_name(name: &str) -> Option<ServiceId> {
        match name {
            "sqs" => Some(ServiceId::Sqs),
            "sns" => Some(ServiceId::Sns),
            "events" | "eventbridge" => Some(ServiceId::Events),
            "states" | "stepfunctions" | "sfn" => Some(ServiceId::StepFunctions),
            "sts" => Some(ServiceId::Sts),
            _ => None,
        }
    }

    /// The service an `X-Amz-Target` prefix names.
    pub fn from_target_prefix(prefix: &str) -> Option<ServiceId> {
        match prefix {
            "AmazonSQS" => Some(ServiceId::Sqs),
            "AWSEvents" => Some(ServiceId::Events),
            "AWSStepFunctions" => Some(ServiceId::StepFunctions),
            _ => None,
        }
    }

    /// The model requests in the service's JSON (or only) protocol are checked against.
    pub fn model(self) -> &'static ServiceModel {
        match self {
            ServiceId::Sqs => model::sqs(),
            ServiceId::Sns => model::sns(),
            ServiceId::Events => model::events(),
            ServiceId::StepFunctions => model::stepfunctions(),
            ServiceId::Sts => model::sts(),
        }
    }

    /// The model that names the query protocol's wire members (SQS keeps its legacy one).
    pub fn query_model(self) -> &'static ServiceModel {
        match self {
            ServiceId::Sqs => model::sqs_query(),
            other => other.model(),
        }
    }

    /// SQS's JSON protocol also reports the legacy query error code in a header.
    pub fn query_compatible(self) -> bool {
        self == ServiceId::Sqs
    }

    /// How the service's awsQuery errors look: SNS leaves out SQS's empty `<Detail/>`.
    pub fn query_error_shape(self) -> crate::protocol::error::QueryErrorShape {
        use crate::protocol::error::QueryErrorShape;
        match self {
            ServiceId::Sns => QueryErrorShape::WithoutDetail,
            _ => QueryErrorShape::WithDetail,
        }
    }

    /// The prefix of `__type` in the service's awsJson errors, where it sends one.
    pub fn json_error_namespace(self) -> Option<&'static str> {
        match self {
            ServiceId::Sqs => Some("com.amazonaws.sqs"),
            _ => None,
        }
    }

    pub fn validation_options(self) -> ValidationOptions {
        match self {
            ServiceId::Sqs => ValidationOptions::TYPES_ONLY,
            ServiceId::Events | ServiceId::Sts => ValidationOptions::STRICT_WITH_PATTERNS,
            _ => ValidationOptions::STRICT,
        }
    }

    /// How the service words a failed generic validation.
    pub fn validation_error(self, violation: &Violation) -> ApiError {
        match self {
            ServiceId::Sqs => super::sqs::Sqs::validation_error(violation),
            ServiceId::Sns => super::sns::Sns::validation_error(violation),
            ServiceId::Sts => super::sts::Sts::validation_error(violation),
            // Step Functions answers a reuse period outside 60-900 s as an invalid encryption
            // configuration, not as a generic range violation.
            ServiceId::StepFunctions
                if violation
                    .path
                    .ends_with("encryptionConfiguration.kmsDataKeyReusePeriodSeconds")
                    && matches!(
                        violation.kind,
                        crate::model::ViolationKind::BelowMin { .. }
                            | crate::model::ViolationKind::AboveMax { .. }
                    ) =>
            {
                super::sfn::SfnError::InvalidEncryptionConfiguration(
                    super::sfn::REUSE_PERIOD_OUT_OF_RANGE.into(),
                )
                .into()
            }
            _ => coral_validation_error_in(Some(self.model()), violation),
        }
    }

    /// The operations this build handles; the rest of the model answers `NotImplemented`.
    pub fn implemented_operations(self) -> &'static [&'static str] {
        match self {
            ServiceId::Sqs => super::sqs::Sqs::OPERATIONS,
            ServiceId::StepFunctions => super::sfn::Sfn::OPERATIONS,
            ServiceId::Sns => super::sns::Sns::OPERATIONS,
            ServiceId::Events => super::events::Events::OPERATIONS,
            ServiceId::Sts => super::sts::Sts::OPERATIONS,
        }
    }
}

/// The coral services' (Step Functions, EventBridge) message: "1 validation error detected:
/// Value 'x' at 'name' failed to satisfy constraint: Member must ...".
pub fn coral_validation_error(v: &Violation) -> ApiError {
    coral_validation_error_in(None, v)
}

/// As `coral_validation_error`; with the service's model, a value whose shape the validator
/// knows (a list of structures) is printed as the Java server prints it.
fn coral_validation_error_in(model: Option<&ServiceModel>, v: &Violation) -> ApiError {
    use crate::model::ViolationKind::*;
    let constraint = match &v.kind {
        Missing => "Member must not be null".to_string(),
        WrongType { expected } => format!("Member must be of type {expected}"),
        NotInEnum { allowed } => {
            let listed = match (model, &v.value_shape) {
                (Some(_), Some(shape)) => {
                    crate::model::java_text::enum_values_as_listed(shape, allowed)
                }
                _ => allowed.clone(),
            };
            format!(
                "Member must satisfy enum value set: [{}]",
                listed.join(", ")
            )
        }
        TooShort { min } => format!("Member must have length greater than or equal to {min}"),
        TooLong { max } => format!("Member must have length less than or equal to {max}"),
        BelowMin { min } => format!("Member must have value greater than or equal to {min}"),
        AboveMax { max } => format!("Member must have value less than or equal to {max}"),
        Pattern { pattern } => format!("Member must satisfy regular expression pattern: {pattern}"),
    };
    // A missing value reads `Value null at`; a sensitive one is left out: `Value at`.
    let value = match (&v.value, model, &v.value_shape) {
        (None, ..) if matches!(v.kind, Missing) => " null".to_string(),
        (None, ..) => String::new(),
        (Some(serde_json::Value::String(s)), ..) => format!(" '{s}'"),
        (Some(other), Some(model), Some(shape)) => {
            format!(
                " '{}'",
                crate::model::java_text::java_text(model, shape, other)
            )
        }
        (Some(other), ..) => format!(" '{other}'"),
    };
    let path = lower_camel_path(&v.path);
    ApiError::sender(
        "ValidationException",
        format!("1 validation error detected: Value{value} at '{path}' failed to satisfy constraint: {constraint}"),
    )
}

/// Coral (and SNS) name members lowerCamelCase in their messages (`Name` -> `name`,
/// `Entries.1.DataType` -> `entries.1.dataType`).
pub(crate) fn lower_camel_path(path: &str) -> String {
    path.split('.')
        .map(|segment| {
            let mut chars = segment.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}
