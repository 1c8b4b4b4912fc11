//! The one error type that crosses the service boundary. Each service has its own error enum
//! that converts into `ApiError`; the protocol layer renders it in the request's wire shape.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The code clients read: awsQuery `<Code>`, the code in SQS's `x-amzn-query-error`
    /// header, and `__type` for plain awsJson services.
    pub code: Cow<'static, str>,
    /// The awsJson `__type` when it differs from `code`: SQS is query-compatible, so its JSON
    /// errors carry the model's shape name here (`QueueDoesNotExist`) and the legacy code
    /// (`AWS.SimpleQueueService.NonExistentQueue`) in the header.
    pub json_type: Option<Cow<'static, str>>,
    pub message: String,
    pub status: u16,
    /// `Sender` (client's fault) or `Receiver` in query errors and the query-error header.
    pub sender_fault: bool,
}

impl ApiError {
    pub fn new(
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
        status: u16,
    ) -> Self {
        ApiError {
            code: code.into(),
            json_type: None,
            message: message.into(),
            status,
            sender_fault: status < 500,
        }
    }

    /// A client error (HTTP 400).
    pub fn sender(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(code, message, 400)
    }

    pub fn with_json_type(mut self, json_type: impl Into<Cow<'static, str>>) -> Self {
        self.json_type = Some(json_type.into());
        self
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new("InternalFailure", message, 500)
    }

    /// What an awsJson body's `__type` says.
    pub fn json_type(&self) -> &str {
        self.json_type.as_deref().unwrap_or(&self.code)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}
