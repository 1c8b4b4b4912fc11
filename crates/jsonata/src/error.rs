//! The one error type of the evaluator: JSONata's error codes (`S0xxx` syntax, `T0xxx`/`T1xxx`/
//! `T2xxx` type, `D1xxx`-`D3xxx` dynamic, `U1001` a bound was hit), a message and the character
//! offset in the expression where it was detected.

use std::fmt;

/// The message of an evaluation that ran out of time or work.
pub const TIMEOUT_MESSAGE: &str = "Expression evaluation timeout: Check for infinite loop";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonataError {
    pub code: String,
    pub message: String,
    pub position: Option<usize>,
}

impl JsonataError {
    /// The evaluation ran out of time or work budget (see `Limits`).
    pub fn is_timeout(&self) -> bool {
        self.code == "U1001" && self.message.starts_with(TIMEOUT_MESSAGE)
    }

    pub fn new(code: &str, position: Option<usize>, message: impl Into<String>) -> JsonataError {
        JsonataError {
            code: code.to_string(),
            message: message.into(),
            position,
        }
    }

    /// Fills in a position when the code that detected the error did not know one.
    pub fn at(mut self, position: usize) -> JsonataError {
        if self.position.is_none() {
            self.position = Some(position);
        }
        self
    }
}

impl fmt::Display for JsonataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "{} at position {}: {}", self.code, p, self.message),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

impl std::error::Error for JsonataError {}

pub type Result<T> = std::result::Result<T, JsonataError>;

/// Shorthand for building an error where the position is known (or not).
pub fn err<T>(code: &str, position: Option<usize>, message: impl Into<String>) -> Result<T> {
    Err(JsonataError::new(code, position, message))
}
