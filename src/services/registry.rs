//! What the dispatch layer needs to know of each service beyond its name and model: how it
//! words a failed validation and which operations it handles (from its operation table).

use crate::error::ApiError;
use crate::model::Violation;
use crate::request::ServiceId;
use crate::services::validation::coral_validation_error_in;

impl ServiceId {
    /// How the service words a failed generic validation: the coral services name every
    /// violation of the request (`violations`, never empty, in the validator's order); SQS
    /// names the first.
    pub fn validation_error(self, violations: &[Violation]) -> ApiError {
        let first = &violations[0];
        match self {
            ServiceId::Sqs => super::sqs::Sqs::validation_error(first),
            ServiceId::Sns => super::sns::Sns::validation_error(violations),
            ServiceId::Sts => super::sts::Sts::validation_error(violations),
            // Step Functions answers a reuse period outside 60-900 s as an invalid encryption
            // configuration, not as a generic range violation.
            ServiceId::StepFunctions
                if first
                    .path
                    .ends_with("encryptionConfiguration.kmsDataKeyReusePeriodSeconds")
                    && matches!(
                        first.kind,
                        crate::model::ViolationKind::BelowMin { .. }
                            | crate::model::ViolationKind::AboveMax { .. }
                    ) =>
            {
                super::sfn::SfnError::InvalidEncryptionConfiguration(
                    super::sfn::REUSE_PERIOD_OUT_OF_RANGE.into(),
                )
                .into()
            }
            _ => coral_validation_error_in(Some(self.model()), violations),
        }
    }

    /// The operations this build handles, read off the service's operation table; the rest
    /// of the model answers `NotImplemented`.
    pub fn implemented_operations(self) -> Vec<&'static str> {
        match self {
            ServiceId::Sqs => super::sqs::operation_names().collect(),
            ServiceId::StepFunctions => super::sfn::operation_names().collect(),
            ServiceId::Sns => super::sns::operation_names().collect(),
            ServiceId::Events => super::events::operation_names().collect(),
            ServiceId::Sts => super::sts::operation_names().collect(),
        }
    }
}
