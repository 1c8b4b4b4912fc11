//! TestEventPattern's check of the event itself: AWS answers `ValidationException: Parameter
//! Event is not valid.` unless the event is a JSON object carrying the envelope fields.

use serde_json::Value;

use super::PatternError;

/// Envelope fields TestEventPattern insists on.
const REQUIRED: &[&str] = &["id", "account", "source", "time", "region", "detail-type"];

const INVALID_EVENT: &str = "Parameter Event is not valid.";

/// Parses and checks a TestEventPattern event; the error message is AWS's
/// ValidationException text.
pub fn validate_test_event(event_json: &str) -> Result<Value, PatternError> {
    let event: Value =
        serde_json::from_str(event_json).map_err(|_| PatternError::new(INVALID_EVENT))?;
    let Some(obj) = event.as_object() else {
        return Err(PatternError::new(INVALID_EVENT));
    };
    if REQUIRED.iter().any(|k| !obj.contains_key(*k)) {
        return Err(PatternError::new(INVALID_EVENT));
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_must_be_objects_with_the_envelope() {
        assert!(validate_test_event("plain string").is_err());
        assert!(validate_test_event("[\"plain string\"]").is_err());
        assert!(validate_test_event("{\"testEvent\": \"value\"}").is_err());
        let ok =
            r#"{"id":"1","account":"1","source":"s","time":"t","region":"r","detail-type":"d"}"#;
        assert!(validate_test_event(ok).is_ok());
        assert_eq!(
            validate_test_event("{}").unwrap_err().message,
            "Parameter Event is not valid."
        );
    }
}
