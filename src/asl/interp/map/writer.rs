//! Where a Map's items come from and where its results go, beyond the state input and
//! output: an `ItemReader` or a `ResultWriter` resource (S3, which stepyard does not emulate),
//! and a `ResultWriter`'s `WriterConfig` shaping the results.

use super::super::failure::Failure;
use crate::asl::ast::MapState;
use crate::asl::errors::StatesError;
use serde_json::{json, Value};

/// Every ItemReader reads from S3, and a ResultWriter with a Resource writes to it: stepyard
/// does not emulate S3, so these fail the state the way an unreadable source would.
pub(super) fn refuse_s3(m: &MapState) -> Result<(), Failure> {
    if let Some(reader) = &m.item_reader {
        return Err(StatesError::new(
            "States.ItemReaderFailed",
            format!(
                "stepyard does not emulate S3: the ItemReader resource '{}' cannot be read",
                reader.resource
            ),
        )
        .into());
    }
    if let Some(resource) = m.result_writer.as_ref().and_then(|w| w.resource.as_ref()) {
        return Err(StatesError::new(
            "States.ResultWriterFailed",
            format!("stepyard does not emulate S3: the ResultWriter resource '{resource}' cannot be written"),
        )
        .into());
    }
    Ok(())
}

/// The Map's result: the iterations' outputs, shaped by a `WriterConfig` when there is one.
pub(super) fn result(m: &MapState, results: Vec<Value>) -> Result<Value, Failure> {
    match m
        .result_writer
        .as_ref()
        .and_then(|w| w.writer_config.as_ref())
    {
        Some(config) => transform(config, results),
        None => Ok(Value::Array(results)),
    }
}

/// A ResultWriter with only a WriterConfig shapes the Map's result in place of writing it:
/// `COMPACT` gives the children's outputs, `FLATTEN` also merges array outputs into one
/// array, `NONE` wraps each output with its child execution's status, as AWS's result file.
fn transform(config: &Value, results: Vec<Value>) -> Result<Value, Failure> {
    match config
        .get("Transformation")
        .and_then(Value::as_str)
        .unwrap_or("NONE")
    {
        "COMPACT" => Ok(Value::Array(results)),
        "FLATTEN" => Ok(Value::Array(
            results
                .into_iter()
                .flat_map(|r| match r {
                    Value::Array(items) => items,
                    other => vec![other],
                })
                .collect(),
        )),
        "NONE" => Ok(Value::Array(
            results
                .into_iter()
                .map(|r| {
                    json!({
                        "Output": serde_json::to_string(&r).unwrap_or_default(),
                        "OutputDetails": {"Included": true},
                        "Status": "SUCCEEDED",
                    })
                })
                .collect(),
        )),
        other => Err(Failure::runtime(format!(
            "The WriterConfig Transformation '{other}' is not one of NONE, COMPACT, FLATTEN"
        ))),
    }
}
