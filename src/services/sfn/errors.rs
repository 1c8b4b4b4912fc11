//! Every error Step Functions answers with. Step Functions is a plain awsJson 1.0 service: the
//! `__type` is the model's error shape name and the message is AWS's wording (from the
//! recordings in `conformance/sfn/cases/api__*.json` where one exists).

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SfnError {
    /// The reason names what is wrong: `Invalid ARN prefix: x`,
    /// `Resource type not valid in this context: express`.
    #[error("Invalid Arn: '{0}'")]
    InvalidArn(String),

    /// A roleArn that is not `arn:<partition>:iam::<account>:role/<name>`.
    #[error("Invalid Role Arn: '{0}'")]
    InvalidRoleArn(String),

    #[error("Invalid Name: '{0}'")]
    InvalidName(String),

    #[error("{0}")]
    InvalidDefinition(String),

    #[error("Invalid State Machine Execution Input: '{0}'")]
    InvalidExecutionInput(String),

    #[error("State Machine Does Not Exist: '{0}'")]
    StateMachineDoesNotExist(String),

    #[error("State Machine Already Exists: '{0}'")]
    StateMachineAlreadyExists(String),

    #[error("This operation is not supported by this type of state machine")]
    StateMachineTypeNotSupported,

    #[error("Execution Does Not Exist: '{0}'")]
    ExecutionDoesNotExist(String),

    #[error("Execution Already Exists: '{0}'")]
    ExecutionAlreadyExists(String),

    #[error("Activity Does Not Exist: '{0}'")]
    ActivityDoesNotExist(String),

    #[error("Invalid Token: '{0}'")]
    InvalidToken(String),

    #[error("{0}")]
    ExecutionNotRedrivable(String),

    #[error("Task Timed Out: '{0}'")]
    TaskTimedOut(String),

    #[error("Invalid Output: '{0}'")]
    InvalidOutput(String),

    #[error("{0}")]
    ResourceNotFound(String),

    #[error("{0}")]
    Conflict(String),

    #[error("{0}")]
    Validation(String),

    #[error("{0}")]
    TooManyTags(String),

    #[error("{0}")]
    InvalidLoggingConfiguration(String),

    #[error("{0}")]
    InvalidEncryptionConfiguration(String),

    #[error("{0}")]
    MissingRequiredParameter(String),
}

impl SfnError {
    /// The `__type` of the error: the model's shape name.
    fn code(&self) -> &'static str {
        use SfnError::*;
        match self {
            InvalidArn(_) | InvalidRoleArn(_) => "InvalidArn",
            InvalidName(_) => "InvalidName",
            InvalidDefinition(_) => "InvalidDefinition",
            InvalidExecutionInput(_) => "InvalidExecutionInput",
            StateMachineDoesNotExist(_) => "StateMachineDoesNotExist",
            StateMachineAlreadyExists(_) => "StateMachineAlreadyExists",
            StateMachineTypeNotSupported => "StateMachineTypeNotSupported",
            ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            ActivityDoesNotExist(_) => "ActivityDoesNotExist",
            InvalidToken(_) => "InvalidToken",
            TaskTimedOut(_) => "TaskTimedOut",
            ExecutionNotRedrivable(_) => "ExecutionNotRedrivable",
            InvalidOutput(_) => "InvalidOutput",
            ResourceNotFound(_) => "ResourceNotFound",
            Conflict(_) => "ConflictException",
            Validation(_) => "ValidationException",
            TooManyTags(_) => "TooManyTags",
            InvalidLoggingConfiguration(_) => "InvalidLoggingConfiguration",
            InvalidEncryptionConfiguration(_) => "InvalidEncryptionConfiguration",
            MissingRequiredParameter(_) => "MissingRequiredParameter",
        }
    }

    /// `Invalid Arn: 'Resource type not valid in this context: <type>'`.
    pub fn wrong_resource_type(resource_type: &str) -> Self {
        SfnError::InvalidArn(format!(
            "Resource type not valid in this context: {resource_type}"
        ))
    }

    /// The token check's one message, whatever was wrong with the token.
    pub fn invalid_token() -> Self {
        SfnError::InvalidToken("Invalid token".into())
    }

    pub fn validation(message: impl Into<String>) -> Self {
        SfnError::Validation(message.into())
    }
}

impl From<SfnError> for ApiError {
    fn from(error: SfnError) -> Self {
        ApiError::sender(error.code(), error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_shape_name_and_aws_wording() {
        let e: ApiError = SfnError::InvalidArn("Invalid ARN prefix: x".into()).into();
        assert_eq!(e.json_type(), "InvalidArn");
        assert_eq!(e.message, "Invalid Arn: 'Invalid ARN prefix: x'");
        assert_eq!(e.status, 400);
        let e: ApiError = SfnError::Conflict("c".into()).into();
        assert_eq!(e.json_type(), "ConflictException");
    }
}
