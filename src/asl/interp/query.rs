//! JSONata in states: `{% ... %}` strings anywhere in a field's value, evaluated with
//! `$states` (`input`, `context`, and `result` / `errorOutput` where the state has one) and
//! the workflow variables bound. Every failure is `States.QueryEvaluationError` with AWS's
//! wording, naming the field (`Output/result`, `Arguments/FunctionName`, ...).

use super::failure::Failure;
use super::vars::Variables;
use crate::asl::errors::StatesError;
use crate::clock::Clock;
use jsonata::{Bindings, Expression, JsonataError, Limits, Returned};
use parking_lot::RwLock;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

pub(crate) const QUERY_ERROR: &str = "States.QueryEvaluationError";

/// What `$states` holds for one evaluation.
#[derive(Clone, Copy)]
pub(crate) struct States<'a> {
    pub input: &'a Value,
    pub context: &'a Value,
    pub result: Option<&'a Value>,
    pub error_output: Option<&'a Value>,
}

/// The evaluation environment of one step of a JSONata state.
pub(crate) struct Query {
    bindings: Bindings,
    input: Value,
}

impl Query {
    /// `$now()` and `$millis()` read `clock`, the engine's (which tests freeze and move), not
    /// the system's.
    pub fn new(states: States<'_>, vars: &Variables, clock: &Clock) -> Query {
        let mut s = Map::new();
        s.insert("input".into(), states.input.clone());
        s.insert("context".into(), states.context.clone());
        if let Some(r) = states.result {
            s.insert("result".into(), r.clone());
        }
        if let Some(e) = states.error_output {
            s.insert("errorOutput".into(), e.clone());
        }
        let mut bindings = Bindings::new()
            .step_functions()
            .clock(Arc::new(clock.clone()));
        for (name, value) in vars.map() {
            bindings.set_var(name, value.clone());
        }
        bindings.set_var("states", Value::Object(s));
        Query {
            bindings,
            input: states.input.clone(),
        }
    }

    /// A field's value with its `{% %}` strings evaluated (objects and arrays are walked).
    pub fn template(&self, value: &Value, field: &str) -> Result<Value, Failure> {
        match value {
            Value::String(s) => match expression_text(s) {
                Some(expr) => self.value(expr, field),
                None => Ok(value.clone()),
            },
            Value::Object(o) => {
                let mut out = Map::with_capacity(o.len());
                for (k, v) in o {
                    out.insert(k.clone(), self.template(v, &format!("{field}/{k}"))?);
                }
                Ok(Value::Object(out))
            }
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| self.template(v, &format!("{field}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    /// One expression (the text inside `{% %}`) that must give JSON data.
    pub fn value(&self, expr: &str, field: &str) -> Result<Value, Failure> {
        match self.run(expr, field)? {
            Returned::Json(v) => Ok(v),
            Returned::Undefined => Err(query_error(format!(
                "The JSONata expression '{expr}' specified for the field '{field}' returned nothing (undefined)."
            ))),
            Returned::Function => Err(query_error(format!(
                "The JSONata expression '{expr}' specified for the field '{field}' returned an unsupported result type."
            ))),
        }
    }

    pub fn run(&self, expr: &str, field: &str) -> Result<Returned, Failure> {
        let threw = |e: JsonataError| {
            query_error(format!(
                "The JSONata expression '{expr}' specified for the field '{field}' threw an error during evaluation. {}: {}",
                e.code, e.message
            ))
        };
        let parsed = parsed(expr).map_err(threw)?;
        parsed
            .run_off_workers(
                Some(&self.input),
                &self.bindings,
                Limits::default(),
                |work| crate::cpu::run(work),
            )
            .map_err(threw)
    }

    /// A field that is either a `{% %}` string or a literal: `Some(expr)` for the former.
    pub fn dynamic<'v>(&self, value: &'v Value) -> Option<&'v str> {
        value.as_str().and_then(expression_text)
    }
}

/// JSONata's clock hook, served by the engine's clock.
impl jsonata::Clock for Clock {
    fn now_millis(&self) -> i64 {
        Clock::now_millis(self) as i64
    }
}

/// Parsed expressions by text: a machine's expressions are parsed once, not per evaluation.
/// Bounded: past `CACHE_LIMIT` entries the cache starts over.
const CACHE_LIMIT: usize = 4096;

fn parsed(expr: &str) -> Result<Arc<Expression>, JsonataError> {
    static CACHE: OnceLock<RwLock<HashMap<String, Arc<Expression>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| RwLock::new(HashMap::new()));
    if let Some(e) = cache.read().get(expr) {
        return Ok(e.clone());
    }
    let e = Arc::new(Expression::parse(expr)?);
    let mut map = cache.write();
    if map.len() >= CACHE_LIMIT {
        map.clear();
    }
    map.insert(expr.to_string(), e.clone());
    Ok(e)
}

/// The expression inside `{% ... %}`, trimmed; `None` for any other string (AWS takes
/// `" {% x %} "`, with space outside the markers, as a plain string).
pub(crate) fn expression_text(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("{%")?.strip_suffix("%}")?;
    Some(inner.trim())
}

/// The field an evaluation error names (`EvaluationFailed`'s `location`), read back from
/// the cause this module wrote.
pub(crate) fn location_of(cause: &str) -> Option<&str> {
    if let Some((_, rest)) = cause.split_once("specified for the field '") {
        return rest.split_once('\'').map(|(field, _)| field);
    }
    let (_, rest) = cause.split_once("The ")?;
    let (field, rest) = rest.split_once(' ')?;
    rest.starts_with("field cannot be parsed").then_some(field)
}

pub(crate) fn query_error(cause: impl Into<String>) -> Failure {
    StatesError::new(QUERY_ERROR, cause).into()
}

/// "returned an unexpected result type. Expected 'array', but was 'boolean' for value: true"
pub(crate) fn unexpected_type(expr: &str, field: &str, expected: &str, got: &Value) -> Failure {
    query_error(format!(
        "The JSONata expression '{expr}' specified for the field '{field}' returned an unexpected result type. Expected '{expected}', but was '{}' for value: {}",
        crate::asl::jsonpath::type_name(got),
        serde_json::to_string(got).unwrap_or_default()
    ))
}
