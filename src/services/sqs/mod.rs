//! PLACEHOLDER so the crate compiles until the SQS implementation lands (being written now).
use crate::clock::Clock;
use crate::error::ApiError;
use crate::model::Violation;
use crate::services::RequestContext;
use serde_json::Value;

pub struct Sqs;

impl Sqs {
    pub const OPERATIONS: &'static [&'static str] = &[];
    pub fn new(_clock: Clock) -> Self {
        Sqs
    }
    pub async fn call(
        &self,
        _ctx: &RequestContext,
        operation: &str,
        _input: Value,
    ) -> Result<Value, ApiError> {
        Err(ApiError::internal(format!("{operation} not yet")))
    }
    pub fn reset(&self) {}
    pub fn validation_error(v: &Violation) -> ApiError {
        ApiError::sender("InvalidParameterValue", format!("{v:?}"))
    }
}
