//! Task states. The data flow is in place (InputPath -> Parameters -> the call ->
//! ResultSelector -> ResultPath -> OutputPath, under Retry/Catch in `run.rs`); the call itself
//! is not: service integrations come with a later issue, so every resource fails for now.

use super::dataflow::{finish_result, input_path, template};
use super::failure::Failure;
use crate::asl::ast::{State, TaskState};
use serde_json::Value;

pub(crate) async fn run(
    state: &State,
    t: &TaskState,
    raw: Value,
    ctx: &Value,
) -> Result<Value, Failure> {
    if t.arguments.is_some() {
        return Err(Failure::runtime("Arguments (JSONata) is not supported yet"));
    }
    let effective = input_path(state, &raw, ctx)?;
    let parameters = match &t.parameters {
        Some(p) => template(p, &effective, ctx)?,
        None => effective,
    };
    let result = invoke(&t.resource, parameters).await?;
    finish_result(state, raw, result, ctx)
}

/// Calls the resource with the resolved parameters: where integrations will plug in.
async fn invoke(resource: &str, _parameters: Value) -> Result<Value, Failure> {
    Err(Failure::runtime(format!(
        "The resource '{resource}' is not supported yet: stepyard does not run Task integrations"
    )))
}
