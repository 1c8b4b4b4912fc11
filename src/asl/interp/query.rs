//! JSONata in states: `{% ... %}` strings anywhere in a field's value, evaluated with
//! `$states` (`input`, `context`, and `result` / `errorOutput` where the state has one) and
//! the workflow variables bound. Every failure is `States.QueryEvaluationError` with AWS's
//! wording, naming the field (`Output/result`, `Arguments/FunctionName`, ...).

use super::failure::Failure;
use super::vars::Variables;
use crate::asl::ast::{JsonataExpr, JsonataTemplate};
use crate::asl::errors::StatesError;
use crate::clock::Clock;
use jsonata::{Bindings, JsonataError, Limits, Returned};
use serde_json::{Map, Value};
use std::sync::Arc;

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

    /// A field's value with its `{% %}` expressions evaluated (objects and arrays walked).
    pub fn template(&self, t: &JsonataTemplate, field: &str) -> Result<Value, Failure> {
        match t {
            JsonataTemplate::Literal(v) => Ok(v.clone()),
            JsonataTemplate::Expr(e) => self.value(e, field),
            JsonataTemplate::Object(fields) => {
                let mut out = Map::with_capacity(fields.len());
                for (k, v) in fields {
                    out.insert(k.clone(), self.template(v, &format!("{field}/{k}"))?);
                }
                Ok(Value::Object(out))
            }
            JsonataTemplate::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.template(v, &format!("{field}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
        }
    }

    /// One expression that must give JSON data.
    pub fn value(&self, expr: &JsonataExpr, field: &str) -> Result<Value, Failure> {
        let text = expr.text();
        match self.run(expr, field)? {
            Returned::Json(v) => Ok(v),
            Returned::Undefined => Err(query_error(format!(
                "The JSONata expression '{text}' specified for the field '{field}' returned nothing (undefined)."
            ))),
            Returned::Function => Err(query_error(format!(
                "The JSONata expression '{text}' specified for the field '{field}' returned an unsupported result type."
            ))),
        }
    }

    /// An expression's result; one that did not parse fails here, as on AWS, where the
    /// definition is accepted and the evaluation fails.
    pub fn run(&self, expr: &JsonataExpr, field: &str) -> Result<Returned, Failure> {
        let threw = |e: &JsonataError| {
            query_error(format!(
                "The JSONata expression '{}' specified for the field '{field}' threw an error during evaluation. {}: {}",
                expr.text(),
                e.code,
                e.message
            ))
        };
        let parsed = expr.parsed().map_err(threw)?;
        parsed
            .run_off_workers(
                Some(&self.input),
                &self.bindings,
                Limits::default(),
                |work| crate::cpu::run(work),
            )
            .map_err(|e| threw(&e))
    }
}

/// JSONata's clock hook, served by the engine's clock.
impl jsonata::Clock for Clock {
    fn now_millis(&self) -> i64 {
        Clock::now_millis(self) as i64
    }
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
