//! Intrinsic functions: `States.Format('x {}', $.a)` and the other 17, nested, as a payload
//! template's `.$` value may call them.
//!
//! [`parse`] compiles the call text once (syntax and argument counts, which AWS checks when the
//! state machine is created); [`Call::eval`] evaluates it against a [`Scope`]. Arguments are
//! string literals in single quotes (`\'`, `\{`, `\}` and `\\` escapes), numbers, `true`,
//! `false`, `null`, paths (`$.x`, `$$.x`, `$var`) and nested calls. Argument type and range
//! errors are `States.IntrinsicFailure`; a path argument that matches nothing is
//! `States.Runtime`, worded as for any payload path.

mod functions;

use serde_json::{Number, Value};

use super::errors::StatesError;
use super::jsonpath::{JsonPath, Scope};

/// Nesting deeper than this is refused (AWS documents 10 levels; the margin only guards the
/// stack against hostile input).
const MAX_DEPTH: usize = 32;

/// The 18 intrinsic functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Func {
    const ALL: [Func; 18] = [
        Func::Format,
        Func::StringToJson,
        Func::JsonToString,
        Func::Array,
        Func::ArrayPartition,
        Func::ArrayContains,
        Func::ArrayRange,
        Func::ArrayGetItem,
        Func::ArrayLength,
        Func::ArrayUnique,
        Func::Base64Encode,
        Func::Base64Decode,
        Func::Hash,
        Func::JsonMerge,
        Func::MathRandom,
        Func::MathAdd,
        Func::StringSplit,
        Func::Uuid,
    ];

    /// The name after `States.`.
    pub fn name(self) -> &'static str {
        match self {
            Func::Format => "Format",
            Func::StringToJson => "StringToJson",
            Func::JsonToString => "JsonToString",
            Func::Array => "Array",
            Func::ArrayPartition => "ArrayPartition",
            Func::ArrayContains => "ArrayContains",
            Func::ArrayRange => "ArrayRange",
            Func::ArrayGetItem => "ArrayGetItem",
            Func::ArrayLength => "ArrayLength",
            Func::ArrayUnique => "ArrayUnique",
            Func::Base64Encode => "Base64Encode",
            Func::Base64Decode => "Base64Decode",
            Func::Hash => "Hash",
            Func::JsonMerge => "JsonMerge",
            Func::MathRandom => "MathRandom",
            Func::MathAdd => "MathAdd",
            Func::StringSplit => "StringSplit",
            Func::Uuid => "UUID",
        }
    }

    fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Allowed argument counts (min, max).
    fn arity(self) -> (usize, usize) {
        match self {
            Func::Format => (1, usize::MAX),
            Func::Array => (0, usize::MAX),
            Func::Uuid => (0, 0),
            Func::StringToJson
            | Func::JsonToString
            | Func::ArrayLength
            | Func::ArrayUnique
            | Func::Base64Encode
            | Func::Base64Decode => (1, 1),
            Func::ArrayPartition
            | Func::ArrayContains
            | Func::ArrayGetItem
            | Func::Hash
            | Func::MathAdd
            | Func::StringSplit => (2, 2),
            Func::MathRandom => (2, 3),
            Func::ArrayRange | Func::JsonMerge => (3, 3),
        }
    }
}

/// A compiled intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub func: Func,
    pub args: Vec<Arg>,
}

/// One argument of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A quoted literal: `value` unescaped, `raw` as written (States.Format needs to tell an
    /// escaped `\{\}` from a placeholder).
    Str {
        value: String,
        raw: String,
    },
    Number(Number),
    Bool(bool),
    Null,
    Path(JsonPath),
    Call(Box<Call>),
}

/// A malformed intrinsic call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrinsicSyntaxError(pub String);

impl std::fmt::Display for IntrinsicSyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IntrinsicSyntaxError {}

/// Whether a `.$` value is an intrinsic call rather than a path.
pub fn is_intrinsic(text: &str) -> bool {
    text.trim_start().starts_with("States.")
}

/// Compiles an intrinsic call such as `States.Format('{}', $.a)`.
pub fn parse(text: &str) -> Result<Call, IntrinsicSyntaxError> {
    let mut p = Parser { src: text, pos: 0 };
    p.skip_ws();
    let call = p.call(0)?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error("unexpected text after the call"));
    }
    Ok(call)
}

/// Compiles and evaluates in one go; a syntax error is a `States.IntrinsicFailure`.
pub fn evaluate(text: &str, scope: &Scope, field: &str) -> Result<Value, StatesError> {
    parse(text)
        .map_err(|e| StatesError::intrinsic(e.0))?
        .eval(scope, field)
}

impl Call {
    /// Evaluates the call. `field` (e.g. `FunctionResult.$`) names the payload field in the
    /// error a path argument reports when it matches nothing.
    pub fn eval(&self, scope: &Scope, field: &str) -> Result<Value, StatesError> {
        let mut values = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            values.push(match arg {
                Arg::Str { value, .. } => Value::String(value.clone()),
                Arg::Number(n) => Value::Number(n.clone()),
                Arg::Bool(b) => Value::Bool(*b),
                Arg::Null => Value::Null,
                Arg::Path(p) => p.select_for_field(scope, field)?,
                Arg::Call(c) => c.eval(scope, field)?,
            });
        }
        functions::apply(self, values)
    }
}

struct Parser<'s> {
    src: &'s str,
    pos: usize,
}

impl<'s> Parser<'s> {
    fn error(&self, what: &str) -> IntrinsicSyntaxError {
        IntrinsicSyntaxError(format!(
            "Invalid intrinsic function '{}': {what} at position {}",
            self.src, self.pos
        ))
    }

    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(c) if c.is_whitespace()) {
            self.bump();
        }
    }

    fn call(&mut self, depth: usize) -> Result<Call, IntrinsicSyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error("intrinsic functions are nested too deeply"));
        }
        if !self.rest().starts_with("States.") {
            return Err(self.error("expected 'States.'"));
        }
        self.pos += "States.".len();
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric()) {
            self.bump();
        }
        let name = &self.src[start..self.pos];
        let func = Func::from_name(name).ok_or_else(|| {
            IntrinsicSyntaxError(format!("Unknown intrinsic function 'States.{name}'"))
        })?;
        self.skip_ws();
        if self.bump() != Some('(') {
            return Err(self.error("expected '('"));
        }
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.bump();
        } else {
            loop {
                self.skip_ws();
                args.push(self.arg(depth)?);
                self.skip_ws();
                match self.bump() {
                    Some(',') => continue,
                    Some(')') => break,
                    _ => return Err(self.error("expected ',' or ')'")),
                }
            }
        }
        let (min, max) = func.arity();
        if args.len() < min || args.len() > max {
            let expected = if min == max {
                format!("{min}")
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(IntrinsicSyntaxError(format!(
                "States.{} expects {expected} argument(s) but got {}",
                func.name(),
                args.len()
            )));
        }
        Ok(Call { func, args })
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, IntrinsicSyntaxError> {
        let rest = self.rest();
        if rest.starts_with("States.") {
            return Ok(Arg::Call(Box::new(self.call(depth + 1)?)));
        }
        match self.peek() {
            Some('\'') => self.string(),
            Some('$') => self.path(),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            _ => {
                for (word, arg) in [
                    ("true", Arg::Bool(true)),
                    ("false", Arg::Bool(false)),
                    ("null", Arg::Null),
                ] {
                    if let Some(after) = rest.strip_prefix(word) {
                        if !after.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                            self.pos += word.len();
                            return Ok(arg);
                        }
                    }
                }
                Err(self.error("expected an argument"))
            }
        }
    }

    fn string(&mut self) -> Result<Arg, IntrinsicSyntaxError> {
        self.bump();
        let start = self.pos;
        let mut value = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error("unterminated string literal")),
                Some('\'') => break,
                Some('\\') => match self.bump() {
                    Some(c @ ('\'' | '{' | '}' | '\\')) => value.push(c),
                    Some(c) => {
                        value.push('\\');
                        value.push(c);
                    }
                    None => return Err(self.error("unterminated string literal")),
                },
                Some(c) => value.push(c),
            }
        }
        let raw = self.src[start..self.pos - 1].to_string();
        Ok(Arg::Str { value, raw })
    }

    fn number(&mut self) -> Result<Arg, IntrinsicSyntaxError> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit() || "+-.eE".contains(c)) {
            self.bump();
        }
        serde_json::from_str::<Number>(&self.src[start..self.pos])
            .map(Arg::Number)
            .map_err(|_| self.error("invalid number"))
    }

    /// A path runs to the next `,` or `)` outside brackets, parentheses and quotes.
    fn path(&mut self) -> Result<Arg, IntrinsicSyntaxError> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            match (quote, c) {
                (Some(_), '\\') => {
                    self.bump();
                }
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '[' | '(') => depth += 1,
                (None, ']') => depth = depth.saturating_sub(1),
                (None, ')') if depth == 0 => break,
                (None, ')') => depth -= 1,
                (None, ',') if depth == 0 => break,
                _ => {}
            }
            self.bump();
        }
        let text = self.src[start..self.pos].trim_end();
        JsonPath::parse(text)
            .map(Arg::Path)
            .map_err(|e| IntrinsicSyntaxError(e.0))
    }
}

#[cfg(test)]
#[rustfmt::skip] // one case a line: `give(input, call, expected)`
mod tests;
