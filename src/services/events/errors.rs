//! Every error EventBridge answers with. EventBridge is a plain awsJson 1.1 service: `__type` is
//! the model's error shape name, HTTP 400, and the message is AWS's wording.

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventsError {
    #[error("{0}")]
    ResourceNotFound(String),

    #[error("{0}")]
    ResourceAlreadyExists(String),

    #[error("{0}")]
    Validation(String),

    /// The message comes whole from the pattern compiler (`crates/event-pattern`):
    /// `Event pattern is not valid. Reason: ...`.
    #[error("{0}")]
    InvalidEventPattern(String),

    #[error("{0}")]
    LimitExceeded(String),

    #[error("{0}")]
    ManagedRule(String),

    #[error("{0}")]
    IllegalStatus(String),

    #[error("{0}")]
    InvalidState(String),

    #[error("{0}")]
    OperationDisabled(String),

    #[error("{0}")]
    PolicyLengthExceeded(String),
}

impl EventsError {
    /// The `__type` of the error: the model's shape name.
    fn code(&self) -> &'static str {
        use EventsError::*;
        match self {
            ResourceNotFound(_) => "ResourceNotFoundException",
            ResourceAlreadyExists(_) => "ResourceAlreadyExistsException",
            Validation(_) => "ValidationException",
            InvalidEventPattern(_) => "InvalidEventPatternException",
            LimitExceeded(_) => "LimitExceededException",
            ManagedRule(_) => "ManagedRuleException",
            IllegalStatus(_) => "IllegalStatusException",
            InvalidState(_) => "InvalidStateException",
            OperationDisabled(_) => "OperationDisabledException",
            PolicyLengthExceeded(_) => "PolicyLengthExceededException",
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        EventsError::Validation(message.into())
    }

    /// `Event bus <name> does not exist.`
    pub fn no_bus(name: &str) -> Self {
        EventsError::ResourceNotFound(format!("Event bus {name} does not exist."))
    }

    /// `Rule <rule> does not exist on EventBus <bus>.`
    pub fn no_rule(rule: &str, bus: &str) -> Self {
        EventsError::ResourceNotFound(format!("Rule {rule} does not exist on EventBus {bus}."))
    }

    /// `<Kind> <name> does not exist.` for archives, replays, connections, API destinations.
    pub fn not_found(kind: &str, name: &str) -> Self {
        EventsError::ResourceNotFound(format!("{kind} {name} does not exist."))
    }

    /// `<Kind> '<name>' does not exist.`: connections and API destinations quote the name
    /// (`Connection 'c' does not exist.`, `An api-destination 'd' does not exist.`).
    pub fn not_found_quoted(kind: &str, name: &str) -> Self {
        EventsError::ResourceNotFound(format!("{kind} '{name}' does not exist."))
    }

    /// DescribeConnection / DescribeApiDestination prefix the quoted message with what failed:
    /// `Failed to describe the connection(s). Connection 'c' does not exist.`
    pub fn describe_not_found(what: &str, kind: &str, name: &str) -> Self {
        EventsError::ResourceNotFound(format!(
            "Failed to describe the {what}(s). {kind} '{name}' does not exist."
        ))
    }

    /// `<Kind> <name> already exists.`
    pub fn exists(kind: &str, name: &str) -> Self {
        EventsError::ResourceAlreadyExists(format!("{kind} {name} already exists."))
    }

    /// A NextToken this server did not hand out.
    pub fn invalid_token() -> Self {
        EventsError::validation("The NextToken provided is invalid.")
    }
}

impl From<EventsError> for ApiError {
    fn from(error: EventsError) -> Self {
        ApiError::sender(error.code(), error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_shape_name_and_aws_wording() {
        let e: ApiError = EventsError::no_rule("r", "default").into();
        assert_eq!(e.json_type(), "ResourceNotFoundException");
        assert_eq!(e.message, "Rule r does not exist on EventBus default.");
        let e: ApiError =
            EventsError::InvalidEventPattern("Event pattern is not valid. Reason: x".into()).into();
        assert_eq!(e.code, "InvalidEventPatternException");
        assert_eq!(e.status, 400);
    }
}
