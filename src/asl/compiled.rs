//! Compiled forms the AST holds, made once by the parser, so that the interpreter evaluates
//! them at every state step without compiling text again (see `ast`).

use super::errors::StatesError;
use super::intrinsics::{self, Call};
use super::jsonpath::{JsonPath, Scope};
use serde_json::Value;
use std::fmt;
use std::sync::Arc;

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

/// One JSONata expression of a definition (the text inside `{% %}`), parsed once by the
/// parser. A text JSONata cannot parse keeps its error: AWS accepts such a definition and
/// fails the state that evaluates it with `States.QueryEvaluationError`, and so do we.
pub struct JsonataExpr {
    text: String,
    parsed: Result<jsonata::Expression, jsonata::JsonataError>,
}

impl JsonataExpr {
    /// `text` is the expression itself, without the `{% %}` markers.
    pub fn compile(text: &str) -> Arc<JsonataExpr> {
        Arc::new(JsonataExpr {
            text: text.to_string(),
            parsed: jsonata::Expression::parse(text),
        })
    }

    /// A `{% %}` field value (for `Seconds`, `Condition`, ...): the text between the markers
    /// when they enclose it exactly, else the whole text, which then fails as JSONata would.
    pub fn compile_field(value: &str) -> Arc<JsonataExpr> {
        JsonataExpr::compile(expression_text(value).unwrap_or(value))
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn parsed(&self) -> Result<&jsonata::Expression, &jsonata::JsonataError> {
        self.parsed.as_ref()
    }
}

impl fmt::Debug for JsonataExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{% {} %}}", self.text)
    }
}

/// Two expressions are the same when they are written the same.
impl PartialEq for JsonataExpr {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// A JSONata state's field (`Arguments`, `Output`, `Assign`, `Items`, ...): its JSON with
/// every `{% %}` string compiled, so that a state step evaluates without parsing text.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonataTemplate {
    /// JSON without an expression in it, given back as written.
    Literal(Value),
    Expr(Arc<JsonataExpr>),
    Object(Vec<(String, JsonataTemplate)>),
    Array(Vec<JsonataTemplate>),
}

impl JsonataTemplate {
    pub fn compile(value: &Value) -> JsonataTemplate {
        if !holds_expression(value) {
            return JsonataTemplate::Literal(value.clone());
        }
        match value {
            Value::String(s) => match expression_text(s) {
                Some(text) => JsonataTemplate::Expr(JsonataExpr::compile(text)),
                None => JsonataTemplate::Literal(value.clone()),
            },
            Value::Object(o) => JsonataTemplate::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), JsonataTemplate::compile(v)))
                    .collect(),
            ),
            Value::Array(a) => {
                JsonataTemplate::Array(a.iter().map(JsonataTemplate::compile).collect())
            }
            other => JsonataTemplate::Literal(other.clone()),
        }
    }

    /// The expression when the whole field is one `{% %}` string.
    pub fn expression(&self) -> Option<&JsonataExpr> {
        match self {
            JsonataTemplate::Expr(e) => Some(e),
            _ => None,
        }
    }
}

fn holds_expression(value: &Value) -> bool {
    match value {
        Value::String(s) => expression_text(s).is_some(),
        Value::Object(o) => o.values().any(holds_expression),
        Value::Array(a) => a.iter().any(holds_expression),
        _ => false,
    }
}

/// The expression inside `{% ... %}`, trimmed; `None` for any other string (AWS takes
/// `" {% x %} "`, with space outside the markers, as a plain string).
pub fn expression_text(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("{%")?.strip_suffix("%}")?;
    Some(inner.trim())
}

/// A payload field both query languages have (`ItemSelector`, `BatchInput`,
/// `Credentials`), compiled in its state's language.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    JsonPath(super::payload::Template),
    Jsonata(JsonataTemplate),
}
