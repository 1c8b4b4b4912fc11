//! ResultPath: writing a state's result into its input at a reference path.

use serde_json::{Map, Value};

use super::{array_index, compact, JsonPath, Root, Selector, Step};
use crate::asl::errors::StatesError;

/// Writes `result` into `input` at `result_path` (a reference path): `$` replaces the input,
/// `$.a.b` sets field `b` of field `a`, creating missing objects on the way. A step that meets
/// something other than an object (or an array, for an index in range) fails with
/// `States.ResultPathMatchFailure`.
pub fn insert(result_path: &str, input: Value, result: Value) -> Result<Value, StatesError> {
    let path = JsonPath::parse(result_path).map_err(|e| StatesError::runtime(e.0))?;
    insert_at(&path, input, result)
}

/// [`insert`] with a compiled path.
pub fn insert_at(path: &JsonPath, mut input: Value, result: Value) -> Result<Value, StatesError> {
    if path.root != Root::Input || !path.is_reference() {
        return Err(StatesError::runtime(format!(
            "Invalid ResultPath '{}': a ResultPath must be a reference path",
            path.text
        )));
    }
    if path.steps.is_empty() {
        return Ok(result);
    }
    if !insertable(&path.steps, &input) {
        // AWS's wording, as a CDK user reported it (aws/aws-cdk#29473): the whole path and the
        // whole input, whichever step failed.
        return Err(StatesError::new(
            "States.ResultPathMatchFailure",
            format!(
                "Unable to apply ReferencePath {} to input {}",
                path.text,
                compact(&input)
            ),
        ));
    }
    let mut cur = &mut input;
    let last = path.steps.len() - 1;
    for (i, step) in path.steps.iter().enumerate() {
        cur = match (step, cur) {
            (Step::Child(Selector::Name(n)), Value::Object(o)) => {
                if i == last {
                    o.insert(n.clone(), result);
                    return Ok(input);
                }
                o.entry(n.clone())
                    .or_insert_with(|| Value::Object(Map::new()))
            }
            (Step::Child(Selector::Index(idx)), Value::Array(a)) => {
                let Some(k) = array_index(a.len(), *idx) else {
                    break;
                };
                if i == last {
                    a[k] = result;
                    return Ok(input);
                }
                &mut a[k]
            }
            _ => break,
        };
    }
    // `insertable` walked the same steps; the loop returns before getting here.
    Err(StatesError::runtime(format!(
        "Unable to apply ReferencePath {}",
        path.text
    )))
}

/// Whether `insert_at` can place a value at `steps` without meeting a non-object, so that a
/// failure reports the input untouched.
fn insertable(steps: &[Step], input: &Value) -> bool {
    let mut cur = input;
    for (i, step) in steps.iter().enumerate() {
        match (step, cur) {
            (Step::Child(Selector::Name(n)), Value::Object(o)) => match o.get(n) {
                Some(next) => cur = next,
                // Missing objects are created; only names can be applied to them.
                None => {
                    return steps[i + 1..]
                        .iter()
                        .all(|s| matches!(s, Step::Child(Selector::Name(_))))
                }
            },
            (Step::Child(Selector::Index(idx)), Value::Array(a)) => {
                match array_index(a.len(), *idx) {
                    Some(k) => cur = &a[k],
                    None => return false,
                }
            }
            _ => return false,
        }
    }
    true
}
