//! JSON text a client sends (execution input, task output, TestState input), read with AWS's
//! refusal messages: Step Functions parses with Jackson and quotes its message
//! (`Unrecognized token 'not': was expecting (JSON String, ...)`), not serde's.

use serde_json::Value;

/// What AWS says of an empty execution input (and of text Jackson reads but serde refuses,
/// such as two values in a row).
pub const INVALID_INPUT: &str = "Invalid execution input.";

/// The JSON value of `text`, or the reason AWS gives for refusing it (`otherwise` when the
/// text is empty or Jackson has no message for it).
pub fn parse(text: &str, otherwise: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|_| {
        event_pattern::jackson_syntax_error(text)
            .filter(|_| !text.trim().is_empty())
            .unwrap_or_else(|| otherwise.to_string())
    })
}
