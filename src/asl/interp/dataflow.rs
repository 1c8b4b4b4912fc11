//! The JSONPath data flow around a state's work: InputPath -> Parameters -> (work) ->
//! ResultSelector -> ResultPath -> OutputPath, plus the `...Path` fields of Fail, Wait and Map.

use super::failure::Failure;
use super::query::{query_error, unexpected_type, Query, States};
use super::vars::{Staged, Variables};
use crate::asl::ast::{
    Assign, Catcher, DataPath, JsonataExpr, JsonataTemplate, Payload, QueryLanguage, State,
    Template,
};
use crate::asl::errors::StatesError;
use crate::asl::jsonpath::{self, Scope};
use parking_lot::Mutex;
use serde_json::{Map, Value};

/// AWS's limit on state input/output: 256 KiB of UTF-8.
const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// ResultPath: `null` keeps the raw input; otherwise the result is written into it.
pub(crate) fn result_path(path: &DataPath, raw: Value, result: Value) -> Result<Value, Failure> {
    match path {
        DataPath::Discard => Ok(raw),
        DataPath::Path(p) => Ok(jsonpath::insert_at(p, raw, result)?),
    }
}

/// A value as AWS quotes it in messages: strings raw, anything else as compact JSON.
pub(crate) fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// `States.DataLimitExceeded` when a state's output is over 256 KiB.
pub(crate) fn check_size(state_name: &str, out: &Value) -> Result<(), Failure> {
    let size = serde_json::to_string(out).map(|s| s.len()).unwrap_or(0);
    if size > MAX_PAYLOAD_BYTES {
        return Err(StatesError::new(
            "States.DataLimitExceeded",
            format!(
                "The state/task '{state_name}' returned a result with a size exceeding the maximum number of bytes service limit."
            ),
        )
        .into());
    }
    Ok(())
}

/// TestState's view of one state's run: the value after each step of the data flow, by its
/// `inspectionData` name (`afterInputPath`, `afterParameters`, `result`, ...), and the mocked
/// outcome of the state's work. A state run under inspection does not wait (TestState answers
/// at once) and a mocked Task calls nothing.
#[derive(Debug, Default)]
pub(crate) struct Inspection {
    steps: Mutex<Map<String, Value>>,
    /// The outcome a Task's call (or a Map's/Parallel's work) is replaced by.
    pub mock: Option<Result<Value, Failure>>,
}

impl Inspection {
    pub fn with_mock(mock: Option<Result<Value, Failure>>) -> Inspection {
        Inspection {
            steps: Mutex::default(),
            mock,
        }
    }

    /// Records a step's value as JSON text, as TestState reports it.
    pub fn put(&self, step: &str, value: &Value) {
        let text = serde_json::to_string(value).unwrap_or_default();
        self.steps.lock().insert(step.into(), Value::String(text));
    }

    /// Records a value that TestState reports as itself (a number), not as JSON text.
    pub fn put_raw(&self, step: &str, value: Value) {
        self.steps.lock().insert(step.into(), value);
    }

    pub fn take(&self) -> Map<String, Value> {
        std::mem::take(&mut *self.steps.lock())
    }
}

/// What a running state's data flow reads besides its input: the state, the context object,
/// the variables in scope, and where its `Assign` is staged until its output is known.
/// JSONPath and JSONata states share it; each method follows the state's query language.
#[derive(Clone, Copy)]
pub(crate) struct StateEnv<'a> {
    pub state: &'a State,
    pub context: &'a Value,
    pub vars: &'a Variables,
    pub staged: &'a Staged,
    /// What JSONata's `$now()` and `$millis()` read.
    pub clock: &'a crate::clock::Clock,
    /// TestState's observer; `None` in executions.
    pub inspection: Option<&'a Inspection>,
}

impl<'a> StateEnv<'a> {
    /// The same state with another context object (a task token, a Map item added).
    pub fn with_context<'b>(&self, context: &'b Value) -> StateEnv<'b>
    where
        'a: 'b,
    {
        StateEnv {
            state: self.state,
            context,
            vars: self.vars,
            staged: self.staged,
            clock: self.clock,
            inspection: self.inspection,
        }
    }

    /// Shows a step of the data flow to TestState, when it is watching.
    pub fn note(&self, step: &str, value: &Value) {
        if let Some(i) = self.inspection {
            i.put(step, value);
        }
    }

    /// Whether TestState runs the state (it does not wait, and it may mock the work).
    pub fn inspected(&self) -> bool {
        self.inspection.is_some()
    }

    pub fn jsonata(&self) -> bool {
        self.state.query_language == QueryLanguage::Jsonata
    }

    /// A JSONPath scope over `input`, with the context object and the variables.
    pub fn scope<'b>(&'b self, input: &'b Value) -> Scope<'b> {
        Scope::new(input, self.context).with_variables(self.vars.map())
    }

    /// The JSONata environment: `$states.input` is the state's raw input.
    pub fn query(
        &self,
        raw: &Value,
        result: Option<&Value>,
        error_output: Option<&Value>,
    ) -> Query {
        Query::new(
            States {
                input: raw,
                context: self.context,
                result,
                error_output,
            },
            self.vars,
            self.clock,
        )
    }

    /// InputPath (JSONPath); a JSONata state's input is its raw input.
    pub fn input(&self, raw: &Value) -> Result<Value, Failure> {
        if self.jsonata() {
            return Ok(raw.clone());
        }
        let effective = match &self.state.input_path {
            DataPath::Discard => Value::Object(Map::new()),
            DataPath::Path(p) if p.text() == "$" => raw.clone(),
            DataPath::Path(p) => p.select_invalid_path(&self.scope(raw))?,
        };
        self.note("afterInputPath", &effective);
        Ok(effective)
    }

    /// OutputPath (JSONPath states).
    pub fn output_path(&self, out: Value) -> Result<Value, Failure> {
        match &self.state.output_path {
            DataPath::Path(p) if p.text() == "$" => Ok(out),
            DataPath::Discard => Ok(Value::Object(Map::new())),
            DataPath::Path(p) => Ok(p.select_invalid_path(&self.scope(&out))?),
        }
    }

    /// A payload field of either language (`ItemSelector`, `BatchInput`, `Credentials`)
    /// over `input` (a JSONata state's input is its effective input); `field` names it in
    /// JSONata's errors.
    pub fn payload(&self, p: &Payload, input: &Value, field: &str) -> Result<Value, Failure> {
        match p {
            Payload::JsonPath(t) => self.apply(t, input),
            Payload::Jsonata(t) => self.query(input, None, None).template(t, field),
        }
    }

    /// A compiled JSONPath template (`Parameters`, `ResultSelector`).
    pub fn apply(&self, t: &Template, input: &Value) -> Result<Value, Failure> {
        Ok(t.eval(&self.scope(input))?)
    }

    /// What a Task or Parallel works on: `Parameters` over the effective input (JSONPath),
    /// or `Arguments` (JSONata); without either, the effective input itself.
    pub fn request(
        &self,
        effective: &Value,
        parameters: Option<&Template>,
        arguments: Option<&JsonataTemplate>,
    ) -> Result<Value, Failure> {
        let (step, request) = match self.jsonata() {
            true => match arguments {
                Some(a) => (
                    "afterArguments",
                    self.query(effective, None, None).template(a, "Arguments")?,
                ),
                None => ("afterArguments", effective.clone()),
            },
            false => match parameters {
                Some(p) => ("afterParameters", self.apply(p, effective)?),
                None => ("afterParameters", effective.clone()),
            },
        };
        self.note(step, &request);
        Ok(request)
    }

    /// Stages the values of an `Assign` (JSONPath: a template over `input`).
    pub fn assign_jsonpath(&self, assign: Option<&Assign>, input: &Value) -> Result<(), Failure> {
        // A JSONPath state's Assign is always the compiled template (the parser sees to it).
        if let Some(Assign::JsonPath(a)) = assign {
            match self.apply(a, input)? {
                Value::Object(values) => self.staged.set(values),
                _ => return Err(Failure::runtime("The Assign field must be an object")),
            }
        }
        Ok(())
    }

    /// Stages the values of a JSONata `Assign`: an object of values/expressions, or one
    /// expression giving an object.
    pub fn assign_jsonata(&self, assign: Option<&Assign>, q: &Query) -> Result<(), Failure> {
        let Some(Assign::Jsonata(a)) = assign else {
            return Ok(());
        };
        let values = match a.expression() {
            Some(expr) => {
                let v = q.value(expr, "Assign")?;
                if !v.is_object() {
                    return Err(unexpected_type(expr.text(), "Assign", "object", &v));
                }
                v
            }
            None => q.template(a, "Assign")?,
        };
        if let Value::Object(values) = values {
            self.staged.set(values);
        }
        Ok(())
    }

    /// A JSONata state's `Output` (or `default` without one).
    pub fn jsonata_output(
        &self,
        output: Option<&JsonataTemplate>,
        q: &Query,
        default: Value,
    ) -> Result<Value, Failure> {
        match output {
            Some(o) => q.template(o, "Output"),
            None => Ok(default),
        }
    }

    /// The end of a Task/Parallel/Map that produced `result`. JSONPath: `Assign` (over the
    /// raw result), ResultSelector, ResultPath, OutputPath. JSONata: `Assign` and `Output`
    /// with `$states.result` (the output defaults to the result).
    pub fn finish_result(&self, raw: Value, result: Value) -> Result<Value, Failure> {
        let state = self.state;
        if self.jsonata() {
            let q = self.query(&raw, Some(&result), None);
            self.assign_jsonata(state.assign.as_ref(), &q)?;
            return self.jsonata_output(state.output.as_ref(), &q, result);
        }
        self.assign_jsonpath(state.assign.as_ref(), &result)?;
        let result = match state.result_selector() {
            Some(t) => self.apply(t, &result)?,
            None => result,
        };
        self.note("afterResultSelector", &result);
        let default_path = DataPath::default();
        let path = state.result_path().unwrap_or(&default_path);
        let out = result_path(path, raw, result)?;
        self.note("afterResultPath", &out);
        self.output_path(out)
    }

    /// The end of a state without work of its own (Pass, Wait, Succeed, Choice): JSONPath
    /// `Assign` over `value` (the Pass result, or the effective input), then `ResultPath` for
    /// a Pass and OutputPath; JSONata `Assign`/`Output` over `$states.input`. `output` and
    /// `assign` are the fields that apply (a Choice rule's own, or the state's).
    pub fn finish_plain(
        &self,
        raw: Value,
        value: Value,
        assign: Option<&Assign>,
        output: Option<&JsonataTemplate>,
    ) -> Result<Value, Failure> {
        if self.jsonata() {
            let q = self.query(&raw, None, None);
            self.assign_jsonata(assign, &q)?;
            return self.jsonata_output(output, &q, raw);
        }
        self.assign_jsonpath(assign, &value)?;
        let out = match self.state.result_path() {
            Some(path) => {
                self.note("afterResultSelector", &value);
                let out = result_path(path, raw, value)?;
                self.note("afterResultPath", &out);
                out
            }
            None => value,
        };
        self.output_path(out)
    }

    /// A catcher took over: its `Assign` replaces the state's, and the output is the error
    /// output placed by ResultPath (JSONPath) or the catcher's `Output` (JSONata).
    pub fn finish_caught(
        &self,
        catcher: &Catcher,
        raw: Value,
        error_output: Value,
    ) -> Result<Value, Failure> {
        self.staged.clear();
        if self.jsonata() {
            let q = self.query(&raw, None, Some(&error_output));
            self.assign_jsonata(catcher.assign.as_ref(), &q)?;
            return self.jsonata_output(catcher.output.as_ref(), &q, error_output);
        }
        self.assign_jsonpath(catcher.assign.as_ref(), &error_output)?;
        result_path(&catcher.result_path, raw, error_output)
    }

    /// A JSONata expression for a number field (`Seconds`, `MaxConcurrency`, ...): `{% %}`
    /// text in, the number it gives out.
    pub fn jsonata_number(
        &self,
        raw: &Value,
        expr: &JsonataExpr,
        field: &str,
    ) -> Result<f64, Failure> {
        let q = self.query(raw, None, None);
        let v = q.value(expr, field)?;
        v.as_f64()
            .ok_or_else(|| unexpected_type(expr.text(), field, "number", &v))
    }

    /// A JSONata expression for a non-negative integer field.
    pub fn jsonata_uint(
        &self,
        raw: &Value,
        expr: &JsonataExpr,
        field: &str,
    ) -> Result<u64, Failure> {
        let n = self.jsonata_number(raw, expr, field)?;
        if n < 0.0 || n.fract() != 0.0 || !n.is_finite() {
            let expr = expr.text();
            return Err(query_error(format!(
                "The JSONata expression '{expr}' specified for the field '{field}' returned an unexpected result type. Expected 'a non-negative integer', but was '{n}'."
            )));
        }
        Ok(n as u64)
    }

    /// A JSONata expression for a string field (`Error`, `Cause`, `Timestamp`).
    pub fn jsonata_string(
        &self,
        raw: &Value,
        expr: &JsonataExpr,
        field: &str,
    ) -> Result<String, Failure> {
        let q = self.query(raw, None, None);
        match q.value(expr, field)? {
            Value::String(s) => Ok(s),
            other => Err(unexpected_type(expr.text(), field, "string", &other)),
        }
    }
}
