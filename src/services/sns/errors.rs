//! Every error SNS answers with: the model's error codes (`NotFound`, `InvalidParameter`, ...)
//! with AWS's messages. Most of SNS's validation failures are `InvalidParameter` whose message
//! starts "Invalid parameter: "; the variants carry the text after that prefix where AWS
//! words it that way, so call sites read like the message.

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnsError {
    /// `Invalid parameter: <detail>`.
    #[error("Invalid parameter: {0}")]
    InvalidParameter(String),

    /// An `InvalidParameter` whose message has no "Invalid parameter: " prefix.
    #[error("{0}")]
    InvalidParameterRaw(String),

    /// The model's `InvalidParameterValueException` (message attribute problems).
    #[error("{0}")]
    ParameterValueInvalid(String),

    #[error("{0}")]
    NotFound(String),

    #[error("{0}")]
    ResourceNotFound(String),

    #[error("{0}")]
    AuthorizationError(String),

    #[error("Could not complete request: tag quota of per resource exceeded")]
    TagLimitExceeded,

    #[error("The batch request contains more entries than permissible.")]
    TooManyEntriesInBatchRequest,

    #[error("The batch request doesn't contain any entries.")]
    EmptyBatchRequest,

    #[error("Two or more batch entries in the request have the same Id.")]
    BatchEntryIdsNotDistinct,

    /// AWS's full message, which names the offending id.
    #[error("{0}")]
    InvalidBatchEntryId(String),

    #[error("The length of all the messages put together is more than the limit.")]
    BatchRequestTooLong,

    #[error("Endpoint is disabled")]
    EndpointDisabled,

    /// The generic validator's failure, worded the way SNS's front end words it.
    #[error("{0}")]
    ValidationError(String),

    #[error("{message}")]
    Verification { message: String },
}

impl SnsError {
    pub fn invalid(detail: impl Into<String>) -> Self {
        SnsError::InvalidParameter(detail.into())
    }

    pub fn topic_not_found() -> Self {
        SnsError::NotFound("Topic does not exist".into())
    }

    pub fn subscription_not_found() -> Self {
        SnsError::NotFound("Subscription does not exist".into())
    }

    /// (code, HTTP status): the `error.code` traits of `api-models/sns.json`.
    fn wire(&self) -> (&'static str, u16) {
        use SnsError::*;
        match self {
            InvalidParameter(_) | InvalidParameterRaw(_) => ("InvalidParameter", 400),
            ParameterValueInvalid(_) => ("ParameterValueInvalid", 400),
            NotFound(_) => ("NotFound", 404),
            ResourceNotFound(_) => ("ResourceNotFound", 404),
            AuthorizationError(_) => ("AuthorizationError", 403),
            TagLimitExceeded => ("TagLimitExceeded", 400),
            TooManyEntriesInBatchRequest => ("TooManyEntriesInBatchRequest", 400),
            EmptyBatchRequest => ("EmptyBatchRequest", 400),
            BatchEntryIdsNotDistinct => ("BatchEntryIdsNotDistinct", 400),
            InvalidBatchEntryId(_) => ("InvalidBatchEntryId", 400),
            BatchRequestTooLong => ("BatchRequestTooLong", 400),
            EndpointDisabled => ("EndpointDisabled", 400),
            ValidationError(_) => ("ValidationError", 400),
            Verification { .. } => ("VerificationException", 400),
        }
    }

    /// The code a PublishBatch `Failed` entry carries.
    pub fn code(&self) -> &'static str {
        self.wire().0
    }
}

impl From<SnsError> for ApiError {
    fn from(error: SnsError) -> Self {
        let (code, status) = error.wire();
        ApiError::new(code, error.to_string(), status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_is_a_404_with_aws_wording() {
        let e: ApiError = SnsError::topic_not_found().into();
        assert_eq!((e.code.as_ref(), e.status), ("NotFound", 404));
        assert_eq!(e.message, "Topic does not exist");
        let e: ApiError = SnsError::invalid("Topic Name").into();
        assert_eq!(e.message, "Invalid parameter: Topic Name");
        assert!(e.sender_fault);
    }
}
