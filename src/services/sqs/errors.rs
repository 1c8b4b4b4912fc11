//! Every error SQS answers with. SQS over JSON is query-compatible, so each error carries two
//! names: the legacy query code SDKs report (`AWS.SimpleQueueService.NonExistentQueue`, read
//! from the `x-amzn-query-error` header) and the JSON `__type` shape name (`QueueDoesNotExist`).
//! Messages are AWS's, as recorded in `conformance/sqs/error_codes_aws_recorded.json` where a
//! recording exists.

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqsError {
    /// AWS words this one differently per protocol.
    #[error("{}", if *query { "The specified queue does not exist for this wsdl version." } else { "The specified queue does not exist." })]
    QueueDoesNotExist { query: bool },

    #[error("A queue already exists with the same name and a different value for attribute {0}")]
    QueueNameExists(String),

    #[error("{0}")]
    InvalidParameterValue(String),

    #[error("The request must contain the parameter {0}.")]
    MissingParameter(String),

    #[error("{0}")]
    InvalidAttributeName(String),

    #[error("{0}")]
    InvalidAttributeValue(String),

    #[error("The input receipt handle \"{0}\" is not a valid receipt handle.")]
    ReceiptHandleIsInvalid(String),

    #[error("Id {0} repeated.")]
    BatchEntryIdsNotDistinct(String),

    /// Names the operation's entry shape, e.g. `SendMessageBatchRequestEntry`.
    #[error("There should be at least one {0} in the request.")]
    EmptyBatchRequest(&'static str),

    #[error("Maximum number of entries per request are 10. You have sent {0}.")]
    TooManyEntriesInBatchRequest(usize),

    #[error("A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")]
    InvalidBatchEntryId,

    #[error("Batch requests cannot be longer than 1048576 bytes. You have sent {0} bytes.")]
    BatchRequestTooLong(usize),

    #[error("Only one PurgeQueue operation on {0} is allowed every 60 seconds.")]
    PurgeQueueInProgress(String),

    #[error("Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")]
    InvalidMessageContents,

    #[error("{0}")]
    ResourceNotFound(String),

    #[error("{0}")]
    UnsupportedOperation(String),
}

impl SqsError {
    /// (query code, JSON `__type`, HTTP status): the legacy codes are the `error.code` traits of
    /// `api-models/sqs-query.json`.
    fn wire(&self) -> (&'static str, &'static str, u16) {
        use SqsError::*;
        match self {
            QueueDoesNotExist { .. } => (
                "AWS.SimpleQueueService.NonExistentQueue",
                "QueueDoesNotExist",
                400,
            ),
            QueueNameExists(_) => ("QueueAlreadyExists", "QueueNameExists", 400),
            InvalidParameterValue(_) => (
                "InvalidParameterValue",
                "InvalidParameterValueException",
                400,
            ),
            MissingParameter(_) => ("MissingParameter", "MissingRequiredParameterException", 400),
            InvalidAttributeName(_) => ("InvalidAttributeName", "InvalidAttributeName", 400),
            InvalidAttributeValue(_) => ("InvalidAttributeValue", "InvalidAttributeValue", 400),
            ReceiptHandleIsInvalid(_) => ("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 400),
            BatchEntryIdsNotDistinct(_) => (
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                "BatchEntryIdsNotDistinct",
                400,
            ),
            EmptyBatchRequest(_) => (
                "AWS.SimpleQueueService.EmptyBatchRequest",
                "EmptyBatchRequest",
                400,
            ),
            TooManyEntriesInBatchRequest(_) => (
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                "TooManyEntriesInBatchRequest",
                400,
            ),
            InvalidBatchEntryId => (
                "AWS.SimpleQueueService.InvalidBatchEntryId",
                "InvalidBatchEntryId",
                400,
            ),
            BatchRequestTooLong(_) => (
                "AWS.SimpleQueueService.BatchRequestTooLong",
                "BatchRequestTooLong",
                400,
            ),
            PurgeQueueInProgress(_) => (
                "AWS.SimpleQueueService.PurgeQueueInProgress",
                "PurgeQueueInProgress",
                403,
            ),
            InvalidMessageContents => ("InvalidMessageContents", "InvalidMessageContents", 400),
            ResourceNotFound(_) => (
                "ResourceNotFoundException",
                "ResourceNotFoundException",
                404,
            ),
            UnsupportedOperation(_) => (
                "AWS.SimpleQueueService.UnsupportedOperation",
                "UnsupportedOperation",
                400,
            ),
        }
    }

    /// The code a batch result's `Failed` entry carries.
    pub fn code(&self) -> &'static str {
        self.wire().0
    }

    pub fn invalid_value(message: impl Into<String>) -> Self {
        SqsError::InvalidParameterValue(message.into())
    }

    /// AWS's "Value X for parameter Y is invalid. Reason: Z." form.
    pub fn invalid_parameter(value: impl std::fmt::Display, parameter: &str, reason: &str) -> Self {
        SqsError::InvalidParameterValue(format!(
            "Value {value} for parameter {parameter} is invalid. Reason: {reason}"
        ))
    }
}

impl From<SqsError> for ApiError {
    fn from(error: SqsError) -> Self {
        let (code, json_type, status) = error.wire();
        ApiError::new(code, error.to_string(), status).with_json_type(json_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_existent_queue_has_the_query_code_and_the_json_shape_name() {
        let e: ApiError = SqsError::QueueDoesNotExist { query: false }.into();
        assert_eq!(e.code, "AWS.SimpleQueueService.NonExistentQueue");
        assert_eq!(e.json_type(), "QueueDoesNotExist");
        assert_eq!(e.message, "The specified queue does not exist.");
        let purge: ApiError = SqsError::PurgeQueueInProgress("q".into()).into();
        assert_eq!(purge.status, 403);
    }
}
