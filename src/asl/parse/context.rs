//! The parser's running state (diagnostics so far, machine type and language) and the small
//! typed accessors every state parser uses to read a field and report it the AWS way.

use serde_json::{Map, Value};

use super::intrinsic_shape::is_intrinsic_call;
use super::{Diagnostic, MachineType, Severity};
use crate::asl::ast::{DataPath, Dynamic, JsonataExpr, QueryLanguage, Reference};
use crate::asl::jsonpath::JsonPath;

pub(crate) type Obj = Map<String, Value>;

pub(crate) const SCHEMA: &str = "SCHEMA_VALIDATION_FAILED";

pub(crate) struct Ctx {
    diagnostics: Vec<Diagnostic>,
    pub machine_type: MachineType,
    /// The top-level `QueryLanguage`: a JSONata machine admits no JSONPath state.
    pub machine_language: QueryLanguage,
}

impl Ctx {
    pub fn new(machine_type: MachineType) -> Self {
        Ctx {
            diagnostics: Vec::new(),
            machine_type,
            machine_language: QueryLanguage::JsonPath,
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    pub fn error(&mut self, code: &str, message: impl Into<String>, location: &str) {
        self.diagnostics.push(Diagnostic::error(
            code,
            message,
            Some(location_or_root(location)),
        ));
    }

    pub fn warning(&mut self, code: &str, message: impl Into<String>, location: &str) {
        self.diagnostics.push(Diagnostic {
            severity: Severity::Warning,
            code: code.to_string(),
            message: message.into(),
            location: Some(location_or_root(location)),
        });
    }

    pub fn error_without_location(&mut self, code: &str, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::error(code, message, None));
    }

    pub fn schema(&mut self, message: impl Into<String>, location: &str) {
        self.error(SCHEMA, message, location);
    }

    /// `These fields are required: [A, B]`; true when all are present.
    pub fn require(&mut self, obj: &Obj, fields: &[&str], location: &str) -> bool {
        let missing: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|f| !obj.contains_key(*f))
            .collect();
        if missing.is_empty() {
            return true;
        }
        self.schema(
            format!("These fields are required: [{}]", missing.join(", ")),
            location,
        );
        false
    }

    /// Reports a field that is present but of the wrong JSON type.
    pub fn wrong_type(&mut self, expected: &str, location: &str) {
        self.schema(format!("Expected value of type: {expected}"), location);
    }

    pub fn opt_string(&mut self, obj: &Obj, key: &str, location: &str) -> Option<String> {
        match obj.get(key)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.wrong_type("String", &at(location, key));
                None
            }
        }
    }

    pub fn opt_object<'v>(&mut self, obj: &'v Obj, key: &str, location: &str) -> Option<&'v Obj> {
        match obj.get(key)? {
            Value::Object(m) => Some(m),
            _ => {
                self.wrong_type("Object", &at(location, key));
                None
            }
        }
    }

    pub fn opt_bool(&mut self, obj: &Obj, key: &str, location: &str) -> Option<bool> {
        match obj.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type("Boolean", &at(location, key));
                None
            }
        }
    }

    /// A non-negative integer field with a lower bound.
    pub fn opt_uint(&mut self, obj: &Obj, key: &str, min: u64, location: &str) -> Option<u64> {
        let value = obj.get(key)?;
        self.uint_value(value, min, &at(location, key))
    }

    pub fn uint_value(&mut self, value: &Value, min: u64, location: &str) -> Option<u64> {
        let Some(n) = integer_of(value) else {
            self.wrong_type("Integer", location);
            return None;
        };
        if n < min as i128 {
            self.schema(format!("Value must be at least {min}"), location);
            return None;
        }
        Some(u64::try_from(n).unwrap_or(u64::MAX))
    }

    /// `InputPath`/`OutputPath`/`ResultPath`: a path or `null` (discard).
    pub fn data_path(&mut self, obj: &Obj, key: &str, location: &str) -> DataPath {
        match obj.get(key) {
            None => DataPath::default(),
            Some(Value::Null) => DataPath::Discard,
            Some(Value::String(s)) => match self.json_path(s, key, &at(location, key)) {
                Some(p) => DataPath::Path(p),
                None => DataPath::default(),
            },
            Some(_) => {
                self.wrong_type("String", &at(location, key));
                DataPath::default()
            }
        }
    }

    /// A `...Path` field holding a reference path (no `null`); `ErrorPath` and `CausePath` also
    /// take an intrinsic function call.
    pub fn path_field(&mut self, obj: &Obj, key: &str, location: &str) -> Option<Reference> {
        let s = self.opt_string(obj, key, location)?;
        let intrinsic_allowed = matches!(key, "ErrorPath" | "CausePath");
        let compiled = match is_path(&s) || (intrinsic_allowed && is_intrinsic_call(&s)) {
            true => Reference::compile(&s, intrinsic_allowed).ok(),
            false => None,
        };
        if compiled.is_none() {
            self.schema(
                format!("The value for the field '{key}' must be a valid JSONPath"),
                &at(location, key),
            );
        }
        compiled
    }

    /// A path as the parser keeps it, compiled; `None` (with AWS's schema error on `key`)
    /// for text that is not a path or does not compile.
    pub fn json_path(&mut self, s: &str, key: &str, location: &str) -> Option<JsonPath> {
        let compiled = match is_path(s) {
            true => JsonPath::parse(s).ok(),
            false => None,
        };
        if compiled.is_none() {
            self.schema(
                format!("The value for the field '{key}' must be a valid JSONPath"),
                location,
            );
        }
        compiled
    }

    /// A field that is a literal integer, its `<key>Path` twin (JSONPath) or a JSONata
    /// expression (JSONata); the two forms exclude each other.
    pub fn dynamic_uint(
        &mut self,
        obj: &Obj,
        key: &str,
        min: u64,
        language: QueryLanguage,
        location: &str,
    ) -> Option<Dynamic<u64>> {
        let path_key = format!("{key}Path");
        if obj.contains_key(key) && obj.contains_key(&path_key) {
            self.schema(
                format!("Only one of '{key}' and '{path_key}' can be specified"),
                &at(location, key),
            );
            return None;
        }
        if let Some(value) = obj.get(key) {
            if let Some(expr) = jsonata_expression(value) {
                if language == QueryLanguage::Jsonata {
                    return Some(Dynamic::Jsonata(JsonataExpr::compile_field(expr)));
                }
            }
            return self
                .uint_value(value, min, &at(location, key))
                .map(Dynamic::Literal);
        }
        self.path_field(obj, &path_key, location)
            .map(|r| Dynamic::Path(Box::new(r)))
    }

    /// Same as `dynamic_uint` for a string (`Error`/`ErrorPath`, `Timestamp`...).
    pub fn dynamic_string(
        &mut self,
        obj: &Obj,
        key: &str,
        language: QueryLanguage,
        location: &str,
    ) -> Option<Dynamic<String>> {
        let path_key = format!("{key}Path");
        if obj.contains_key(key) && obj.contains_key(&path_key) {
            self.schema(
                format!("Only one of '{key}' and '{path_key}' can be specified"),
                &at(location, key),
            );
            return None;
        }
        if let Some(s) = self.opt_string(obj, key, location) {
            if language == QueryLanguage::Jsonata && is_jsonata(&s) {
                return Some(Dynamic::Jsonata(JsonataExpr::compile_field(&s)));
            }
            return Some(Dynamic::Literal(s));
        }
        self.path_field(obj, &path_key, location)
            .map(|r| Dynamic::Path(Box::new(r)))
    }
}

/// `location/key`; the root's location is `/`, so its children are `/key`.
pub(crate) fn at(location: &str, key: &str) -> String {
    if location == "/" || location.is_empty() {
        format!("/{key}")
    } else {
        format!("{location}/{key}")
    }
}

pub(crate) fn indexed(location: &str, key: &str, index: usize) -> String {
    format!("{}[{index}]", at(location, key))
}

fn location_or_root(location: &str) -> String {
    if location.is_empty() {
        "/".to_string()
    } else {
        location.to_string()
    }
}

/// A JSONPath or variable reference: starts with `$` (deeper checks belong to `jsonpath`).
pub(crate) fn is_path(s: &str) -> bool {
    s.starts_with('$')
}

/// `{% expression %}`.
pub(crate) fn is_jsonata(s: &str) -> bool {
    let t = s.trim();
    t.len() >= 4 && t.starts_with("{%") && t.ends_with("%}")
}

pub(crate) fn jsonata_expression(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) if is_jsonata(s) => Some(s),
        _ => None,
    }
}

/// The integer a JSON number holds, also when written as `5.0`.
pub(crate) fn integer_of(value: &Value) -> Option<i128> {
    let n = value.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(i as i128);
    }
    if let Some(u) = n.as_u64() {
        return Some(u as i128);
    }
    let f = n.as_f64()?;
    if f.fract() == 0.0 && f.is_finite() && f.abs() < 1e30 {
        Some(f as i128)
    } else {
        None
    }
}
