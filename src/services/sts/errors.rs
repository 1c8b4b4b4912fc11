//! Every error STS answers with, in its query-protocol codes.

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsError {
    /// AWS's answer to a role ARN that does not parse (as recorded for AssumeRoleWithSAML:
    /// "Request ARN is invalid").
    #[error("Request ARN is invalid")]
    InvalidRoleArn,

    /// The generic validator's coral-style message ("1 validation error detected: ...").
    #[error("{0}")]
    Validation(String),
}

impl StsError {
    fn wire(&self) -> (&'static str, u16) {
        match self {
            StsError::InvalidRoleArn | StsError::Validation(_) => ("ValidationError", 400),
        }
    }
}

impl From<StsError> for ApiError {
    fn from(error: StsError) -> Self {
        let (code, status) = error.wire();
        ApiError::new(code, error.to_string(), status)
    }
}
