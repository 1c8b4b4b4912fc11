//! The JSONPath data flow around a state's work: InputPath -> Parameters -> (work) ->
//! ResultSelector -> ResultPath -> OutputPath, plus the `...Path` fields of Fail, Wait and Map.

use super::failure::Failure;
use crate::asl::ast::{DataPath, State};
use crate::asl::errors::StatesError;
use crate::asl::intrinsics;
use crate::asl::jsonpath::{self, JsonPath, Scope};
use crate::asl::payload;
use serde_json::{Map, Value};

/// AWS's limit on state input/output: 256 KiB of UTF-8.
const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// InputPath: `null` gives `{}`; otherwise the path's selection from the raw input.
pub(crate) fn input_path(state: &State, raw: &Value, ctx: &Value) -> Result<Value, Failure> {
    select_data_path(&state.input_path, raw, ctx)
}

/// OutputPath: `null` gives `{}`; otherwise the path's selection from the state's output.
pub(crate) fn output_path(state: &State, out: Value, ctx: &Value) -> Result<Value, Failure> {
    match &state.output_path {
        DataPath::Path(p) if p == "$" => Ok(out),
        other => select_data_path(other, &out, ctx),
    }
}

fn select_data_path(path: &DataPath, input: &Value, ctx: &Value) -> Result<Value, Failure> {
    match path {
        DataPath::Discard => Ok(Value::Object(Map::new())),
        DataPath::Path(p) if p == "$" => Ok(input.clone()),
        DataPath::Path(p) => Ok(jsonpath::select(p, &Scope::new(input, ctx))?),
    }
}

/// ResultPath: `null` keeps the raw input; otherwise the result is written into it.
pub(crate) fn result_path(path: &DataPath, raw: Value, result: Value) -> Result<Value, Failure> {
    match path {
        DataPath::Discard => Ok(raw),
        DataPath::Path(p) => Ok(jsonpath::insert(p, raw, result)?),
    }
}

/// Evaluates a payload template (`Parameters`, `ResultSelector`, `ItemSelector`).
pub(crate) fn template(t: &Value, input: &Value, ctx: &Value) -> Result<Value, Failure> {
    Ok(payload::evaluate(t, &Scope::new(input, ctx))?)
}

/// ResultSelector, ResultPath and OutputPath applied to a Task/Parallel/Map result.
pub(crate) fn finish_result(
    state: &State,
    raw: Value,
    result: Value,
    ctx: &Value,
) -> Result<Value, Failure> {
    let result = match state.result_selector() {
        Some(t) => template(t, &result, ctx)?,
        None => result,
    };
    let default_path = DataPath::default();
    let path = state.result_path().unwrap_or(&default_path);
    let out = result_path(path, raw, result)?;
    output_path(state, out, ctx)
}

/// A `...Path` field of Fail (`ErrorPath`, `CausePath`): a path, or an intrinsic call.
pub(crate) fn path_field(text: &str, scope: &Scope, field: &str) -> Result<Value, StatesError> {
    if intrinsics::is_intrinsic(text) {
        return intrinsics::evaluate(text, scope, field);
    }
    let path = JsonPath::parse(text)
        .map_err(|e| StatesError::runtime(format!("Invalid path '{text}': {}", e.0)))?;
    path.select_for_field(scope, field)
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
