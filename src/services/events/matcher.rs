//! The one place EventBridge calls the pattern language (the `event_pattern` crate): a rule's
//! or an archive's pattern compiled once, and the TestEventPattern event check.

use super::errors::EventsError;
use event_pattern::Pattern;
use serde_json::Value;

#[derive(Debug)]
pub struct Matcher {
    pattern: Pattern,
}

impl Matcher {
    /// Compiles a pattern, or AWS's InvalidEventPatternException with the compiler's reason.
    pub fn compile(text: &str) -> Result<Matcher, EventsError> {
        Pattern::compile(text)
            .map(|pattern| Matcher { pattern })
            .map_err(|e| EventsError::InvalidEventPattern(e.message))
    }

    pub fn matches(&self, event: &Value) -> bool {
        self.pattern.matches(event)
    }

    /// The pattern field that rules `event` out, and why; `None` when it matches.
    pub fn explain(&self, event: &Value) -> Option<(String, String)> {
        self.pattern.explain(event).map(|m| (m.field, m.reason))
    }
}

impl crate::trace::Explain for Matcher {
    fn explain(&self, event: &Value) -> Option<(String, String)> {
        Matcher::explain(self, event)
    }
}

/// Parses a TestEventPattern `Event` as AWS checks it (an object with the envelope fields).
pub fn test_event(text: &str) -> Result<Value, EventsError> {
    event_pattern::validate_test_event(text).map_err(|e| EventsError::validation(e.message))
}
