//! The EventBridge event-pattern language, compiled once and matched many times; SNS filter
//! policies are the same language with SNS's operator set and limits (`sns.rs`).
//!
//! Compilation follows AWS's open-source matcher (event-ruler) token by token, so a bad
//! pattern is refused with the exact text AWS puts in its error, including Jackson's
//! `at [Source: ...; line: 1, column: N]` trace. Matching walks the event along each field's
//! path against the compiled conditions; nothing is re-parsed per event.
//!
//! ```
//! use event_pattern::Pattern;
//! let p = Pattern::compile(r#"{"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "pending"}]}}"#).unwrap();
//! assert!(p.matches(&serde_json::json!({"source": "aws.ec2", "detail": {"state": "running"}})));
//! ```

mod cidr;
mod compile;
mod json;
mod matcher;
mod number;
mod rule;
mod sns;
mod test_event;
mod wildcard;

use serde_json::Value;

use compile::Dialect;
use rule::Rule;

pub use sns::{AttributeRef, FilterPolicy, FilterScope};
pub use test_event::validate_test_event;

/// Jackson's message for the first syntax error in `text` (without the location suffix), or
/// `None` when Jackson reads it whole. Step Functions quotes these messages for input and
/// output that is not JSON (`Unrecognized token 'not': was expecting ...`).
pub fn jackson_syntax_error(text: &str) -> Option<String> {
    let mut lexer = json::Lexer::new(text);
    loop {
        let token = match lexer.next() {
            Ok(token) => token,
            Err(e) => return Some(e.message),
        };
        match token {
            json::Tok::Eof => return None,
            // A string's body is only read when asked for; its errors count too.
            json::Tok::Str => {
                if let Err(e) = lexer.text() {
                    return Some(e.message);
                }
            }
            _ => {}
        }
    }
}

/// Why a pattern, policy or test event was refused. `message` is AWS's text.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternError {
    pub message: String,
    /// SNS only: AWS writes this message right after `Invalid parameter: `, without the
    /// `FilterPolicy: ` label (the nesting-in-MessageAttributes refusal). Use
    /// [`PatternError::sns_message`] to get the whole text.
    pub bare: bool,
}

impl PatternError {
    pub fn new(message: impl Into<String>) -> Self {
        PatternError {
            message: message.into(),
            bare: false,
        }
    }

    pub(crate) fn bare(message: impl Into<String>) -> Self {
        PatternError {
            message: message.into(),
            bare: true,
        }
    }

    /// The complete `InvalidParameter` message SNS answers for a refused filter policy:
    /// Subscribe words it `Invalid parameter: Attributes Reason: FilterPolicy: ...`,
    /// SetSubscriptionAttributes `Invalid parameter: FilterPolicy: ...`.
    pub fn sns_message(&self, from_subscribe: bool) -> String {
        let api = if from_subscribe {
            "Attributes Reason: "
        } else {
            ""
        };
        if self.bare {
            format!("Invalid parameter: {api}{}", self.message)
        } else {
            format!("Invalid parameter: {api}FilterPolicy: {}", self.message)
        }
    }
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PatternError {}

const EVENTBRIDGE_PREFIX: &str = "Event pattern is not valid. Reason: ";

/// Why an event does not match a pattern: the field (its dotted path) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub field: String,
    pub reason: String,
}

/// A compiled EventBridge event pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// Alternatives (from `$or`); the pattern matches when any one matches.
    rules: Vec<Rule>,
}

impl Pattern {
    /// Compiles an EventBridge event pattern. The error message is the text AWS puts in
    /// `InvalidEventPatternException`, e.g. `Event pattern is not valid. Reason: Empty arrays
    /// are not allowed\n at [Source: (String)"{"a": []}"; line: 1, column: 9]`.
    pub fn compile(pattern_json: &str) -> Result<Pattern, PatternError> {
        let subs = compile::compile(pattern_json, Dialect::EventBridge)
            .map_err(|reason| PatternError::new(format!("{EVENTBRIDGE_PREFIX}{reason}")))?;
        Ok(Pattern {
            rules: subs.into_iter().map(Rule::from_sub_rule).collect(),
        })
    }

    /// Whether the event (a JSON object) matches.
    pub fn matches(&self, event: &Value) -> bool {
        self.rules.iter().any(|r| r.matches(event))
    }

    /// Why the event does not match: the first field of the pattern that fails (of the first
    /// alternative, for a pattern with `$or`) and why; `None` when it matches. A separate walk
    /// from `matches`, run only when someone asks (stepyard's traces), so matching itself
    /// pays nothing for it.
    pub fn explain(&self, event: &Value) -> Option<Mismatch> {
        if self.matches(event) {
            return None;
        }
        explain_alternatives(&self.rules, event)
    }

    /// How many alternatives the pattern expands to (`$or` branches multiplied out); one for a
    /// pattern without `$or`.
    pub fn alternatives(&self) -> usize {
        self.rules.len()
    }
}

/// The first failing field of the first alternative that names one, for an event none of
/// `rules` matches (the reason says when there were several alternatives).
pub(crate) fn explain_alternatives(rules: &[Rule], event: &Value) -> Option<Mismatch> {
    let mut first = None;
    for rule in rules {
        if let Some(m) = rule.explain(event) {
            first.get_or_insert(m);
        }
    }
    let mut mismatch = first?;
    if rules.len() > 1 {
        mismatch.reason = format!(
            "{} (first of {} $or alternatives, none matched)",
            mismatch.reason,
            rules.len()
        );
    }
    Some(mismatch)
}

#[cfg(test)]
mod tests;
