//! Compiled forms the AST holds, made once by the parser, so that the interpreter evaluates
//! them at every state step without compiling text again (see `ast`).

use super::errors::StatesError;
use super::intrinsics::{self, Call};
use super::jsonpath::{JsonPath, Scope};
use serde_json::Value;
use std::fmt;

/// A `...Path` field (`SecondsPath`, `MaxConcurrencyPath`, `ErrorPath` ...): a path, or, for
/// `ErrorPath`/`CausePath`, an intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    Path(JsonPath),
    Intrinsic { text: String, call: Call },
}

impl Reference {
    /// Compiles `text`; intrinsic calls only where `intrinsic_allowed`.
    pub fn compile(text: &str, intrinsic_allowed: bool) -> Result<Reference, String> {
        if intrinsic_allowed && intrinsics::is_intrinsic(text) {
            let call = intrinsics::parse(text).map_err(|e| e.0)?;
            return Ok(Reference::Intrinsic {
                text: text.to_string(),
                call,
            });
        }
        JsonPath::parse(text).map(Reference::Path).map_err(|e| e.0)
    }

    /// The value for a Fail state's `ErrorPath`/`CausePath`: the call's result, or what the
    /// path selects (a miss names `field`).
    pub fn select_for_field(&self, scope: &Scope, field: &str) -> Result<Value, StatesError> {
        match self {
            Reference::Path(p) => p.select_for_field(scope, field),
            Reference::Intrinsic { call, .. } => call.eval(scope, field),
        }
    }

    /// For InputPath-like `...Path` fields: a miss reads "Invalid path '$.x' : ...".
    pub fn select_invalid_path(&self, scope: &Scope) -> Result<Value, StatesError> {
        match self {
            Reference::Path(p) => p.select_invalid_path(scope),
            Reference::Intrinsic { text, call } => call.eval(scope, text),
        }
    }

    /// What the reference names, or `None` when it names nothing.
    pub fn value(&self, scope: &Scope) -> Option<Value> {
        match self {
            Reference::Path(p) => p.eval(scope).ok(),
            Reference::Intrinsic { text, call } => call.eval(scope, text).ok(),
        }
    }

    /// The text as the definition wrote it, for messages.
    pub fn text(&self) -> &str {
        match self {
            Reference::Path(p) => p.text(),
            Reference::Intrinsic { text, .. } => text,
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}
