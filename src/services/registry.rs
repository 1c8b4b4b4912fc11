//! What the dispatch layer needs to know of each service beyond its name and model: how it
//! words a failed validation and which operations it handles (from its operation table).

use crate::error::ApiError;
use crate::model::Violation;
use crate::request::ServiceId;
use crate::services::validation::coral_validation_error_in;

impl ServiceId {
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

    /// The operations this build handles, read off the service's operation table; the rest
    /// of the model answers `NotImplemented`.
    pub fn implemented_operations(self) -> Vec<&'static str> {
        match self {
            ServiceId::Sqs => super::sqs::Sqs::operations().collect(),
            ServiceId::StepFunctions => super::sfn::Sfn::operations().collect(),
            ServiceId::Sns => super::sns::Sns::operations().collect(),
            ServiceId::Events => super::events::Events::operations().collect(),
            ServiceId::Sts => super::sts::Sts::operations().collect(),
        }
    }
}
