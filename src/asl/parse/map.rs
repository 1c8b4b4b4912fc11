//! Map states: items, the item processor (or legacy `Iterator`) and its `ProcessorConfig`,
//! concurrency and failure tolerance, and the Distributed-mode `ItemReader`, `ItemBatcher`,
//! `ResultWriter` and `Label`.

use serde_json::Value;

use super::context::{at, jsonata_expression, Ctx, Obj};
use super::data_fields::{compile, compiled_template, payload, result_path, template};
use super::retry_catch;
use super::values::label_problem;
use crate::asl::ast::*;

pub(crate) fn parse(
    ctx: &mut Ctx,
    obj: &Obj,
    language: QueryLanguage,
    location: &str,
) -> Option<MapState> {
    let (processor_key, legacy_iterator) = match (
        obj.contains_key("ItemProcessor"),
        obj.contains_key("Iterator"),
    ) {
        (true, false) => ("ItemProcessor", false),
        (false, true) => ("Iterator", true),
        (true, true) => {
            ctx.schema(
                "Only one of 'ItemProcessor' or 'Iterator' can be specified",
                location,
            );
            return None;
        }
        (false, false) => {
            ctx.schema("These fields are required: [ItemProcessor]", location);
            return None;
        }
    };
    let processor_location = at(location, processor_key);
    let Some(Value::Object(processor)) = obj.get(processor_key) else {
        ctx.wrong_type("Object", &processor_location);
        return None;
    };
    let processor_config = match ctx.opt_object(processor, "ProcessorConfig", &processor_location) {
        Some(config) => {
            self::processor_config(ctx, config, &at(&processor_location, "ProcessorConfig"))
        }
        None => ProcessorConfig::default(),
    };
    let item_processor = ctx.parse_nested(
        processor,
        &processor_location,
        language,
        &["ProcessorConfig"],
    );

    let items_path = match language {
        QueryLanguage::JsonPath => match obj.get("ItemsPath") {
            Some(Value::Null) => {
                ctx.wrong_type("String", &at(location, "ItemsPath"));
                DataPath::default()
            }
            _ => ctx.data_path(obj, "ItemsPath", location),
        },
        QueryLanguage::Jsonata => DataPath::default(),
    };
    let items = match language {
        QueryLanguage::Jsonata => match obj.get("Items") {
            None => None,
            Some(v @ Value::Array(_)) => Some(JsonataTemplate::compile(v)),
            Some(v) if jsonata_expression(v).is_some() => Some(JsonataTemplate::compile(v)),
            Some(_) => {
                ctx.schema(
                    "The value of the field 'Items' must be an array or a JSONata expression",
                    &at(location, "Items"),
                );
                None
            }
        },
        QueryLanguage::JsonPath => None,
    };
    // The legacy `Parameters` plays ItemSelector's part (JSONPath only).
    let legacy = template(ctx, obj, "Parameters", language, location);
    let item_selector = match obj.get("ItemSelector") {
        Some(v) => payload(ctx, v, language, &at(location, "ItemSelector")),
        None => legacy
            .and_then(|v| compile(ctx, &v, &at(location, "Parameters")).map(Payload::JsonPath)),
    };

    let label = ctx.opt_string(obj, "Label", location);
    if let Some(problem) = label.as_deref().and_then(label_problem) {
        ctx.schema(problem, &at(location, "Label"));
    }

    let tolerated_failure_percentage = tolerated_percentage(ctx, obj, language, location);
    Some(MapState {
        items_path,
        items,
        item_selector,
        item_processor: Box::new(item_processor?),
        processor_config,
        legacy_iterator,
        max_concurrency: ctx.dynamic_uint(obj, "MaxConcurrency", 0, language, location),
        tolerated_failure_count: ctx.dynamic_uint(
            obj,
            "ToleratedFailureCount",
            0,
            language,
            location,
        ),
        tolerated_failure_percentage,
        item_reader: item_reader(ctx, obj, language, location),
        item_batcher: item_batcher(ctx, obj, language, location),
        result_writer: result_writer(ctx, obj, language, location),
        label,
        arguments: None,
        result_selector: compiled_template(ctx, obj, "ResultSelector", language, location),
        result_path: result_path(ctx, obj, language, location),
        retry: retry_catch::retriers(ctx, obj, location),
        catch: retry_catch::catchers(ctx, obj, language, location),
    })
}

fn processor_config(ctx: &mut Ctx, config: &Obj, location: &str) -> ProcessorConfig {
    for key in config.keys() {
        if !matches!(key.as_str(), "Mode" | "ExecutionType") {
            ctx.schema(format!("Field '{key}' is not supported"), location);
        }
    }
    let mode = match ctx.opt_string(config, "Mode", location).as_deref() {
        None | Some("INLINE") => ProcessorMode::Inline,
        Some("DISTRIBUTED") => ProcessorMode::Distributed,
        Some(_) => {
            ctx.schema(
                "The field 'Mode' should have one of these values: [INLINE, DISTRIBUTED]",
                &at(location, "Mode"),
            );
            ProcessorMode::Inline
        }
    };
    let execution_type = match ctx.opt_string(config, "ExecutionType", location).as_deref() {
        None => None,
        Some("STANDARD") => Some(ExecutionType::Standard),
        Some("EXPRESS") => Some(ExecutionType::Express),
        Some(_) => {
            ctx.schema(
                "The field 'ExecutionType' should have one of these values: [STANDARD, EXPRESS]",
                &at(location, "ExecutionType"),
            );
            None
        }
    };
    ProcessorConfig {
        mode,
        execution_type,
    }
}

fn tolerated_percentage(
    ctx: &mut Ctx,
    obj: &Obj,
    language: QueryLanguage,
    location: &str,
) -> Option<Dynamic<f64>> {
    let key = "ToleratedFailurePercentage";
    let path_key = "ToleratedFailurePercentagePath";
    if obj.contains_key(key) && obj.contains_key(path_key) {
        ctx.schema(
            format!("Only one of '{key}' and '{path_key}' can be specified"),
            &at(location, key),
        );
        return None;
    }
    if let Some(value) = obj.get(key) {
        if let (Some(expr), QueryLanguage::Jsonata) = (jsonata_expression(value), language) {
            return Some(Dynamic::Jsonata(JsonataExpr::compile_field(expr)));
        }
        return match value.as_f64() {
            Some(p) if (0.0..=100.0).contains(&p) => Some(Dynamic::Literal(p)),
            Some(_) => {
                ctx.schema("Value must be between 0 and 100", &at(location, key));
                None
            }
            None => {
                ctx.wrong_type("Number", &at(location, key));
                None
            }
        };
    }
    ctx.path_field(obj, path_key, location)
        .map(|r| Dynamic::Path(Box::new(r)))
}

fn item_reader(
    ctx: &mut Ctx,
    obj: &Obj,
    language: QueryLanguage,
    location: &str,
) -> Option<ItemReader> {
    let keys = ["Resource", "Parameters", "Arguments", "ReaderConfig"];
    let (reader, loc) = sub_object(ctx, obj, "ItemReader", &keys, language, location)?;
    if !ctx.require(reader, &["Resource"], &loc) {
        return None;
    }
    let resource = ctx.opt_string(reader, "Resource", &loc)?;
    let reader_config = ctx.opt_object(reader, "ReaderConfig", &loc).map(|config| {
        let config_loc = at(&loc, "ReaderConfig");
        let input_type = ctx.opt_string(config, "InputType", &config_loc);
        if let Some(t) = &input_type {
            if !matches!(t.as_str(), "CSV" | "JSON" | "JSONL" | "MANIFEST" | "PARQUET") {
                ctx.schema(
                    "The field 'InputType' should have one of these values: [CSV, JSON, JSONL, MANIFEST, PARQUET]",
                    &at(&config_loc, "InputType"),
                );
            }
        }
        let csv_headers = match config.get("CSVHeaders") {
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
            ),
            Some(_) => {
                ctx.wrong_type("Array", &at(&config_loc, "CSVHeaders"));
                None
            }
            None => None,
        };
        ReaderConfig {
            input_type,
            csv_header_location: ctx.opt_string(config, "CSVHeaderLocation", &config_loc),
            csv_headers,
            csv_delimiter: ctx.opt_string(config, "CSVDelimiter", &config_loc),
            max_items: ctx.dynamic_uint(config, "MaxItems", 0, language, &config_loc),
        }
    });
    Some(ItemReader {
        resource,
        parameters: template(ctx, reader, "Parameters", language, &loc),
        arguments: template(ctx, reader, "Arguments", language, &loc),
        reader_config,
    })
}

fn item_batcher(
    ctx: &mut Ctx,
    obj: &Obj,
    language: QueryLanguage,
    location: &str,
) -> Option<ItemBatcher> {
    let keys = [
        "MaxItemsPerBatch",
        "MaxItemsPerBatchPath",
        "MaxInputBytesPerBatch",
        "MaxInputBytesPerBatchPath",
        "BatchInput",
    ];
    let (batcher, loc) = sub_object(ctx, obj, "ItemBatcher", &keys, language, location)?;
    let batch_input = batcher
        .get("BatchInput")
        .and_then(|v| payload(ctx, v, language, &at(&loc, "BatchInput")));
    Some(ItemBatcher {
        max_items_per_batch: ctx.dynamic_uint(batcher, "MaxItemsPerBatch", 1, language, &loc),
        max_input_bytes_per_batch: ctx.dynamic_uint(
            batcher,
            "MaxInputBytesPerBatch",
            1,
            language,
            &loc,
        ),
        batch_input,
    })
}

fn result_writer(
    ctx: &mut Ctx,
    obj: &Obj,
    language: QueryLanguage,
    location: &str,
) -> Option<ResultWriter> {
    let keys = ["Resource", "Parameters", "Arguments", "WriterConfig"];
    let (writer, loc) = sub_object(ctx, obj, "ResultWriter", &keys, language, location)?;
    Some(ResultWriter {
        resource: ctx.opt_string(writer, "Resource", &loc),
        parameters: template(ctx, writer, "Parameters", language, &loc),
        arguments: template(ctx, writer, "Arguments", language, &loc),
        writer_config: writer.get("WriterConfig").cloned(),
    })
}

/// The Map's sub-object `key` (`ItemReader`, ...) if present, with its location; its keys
/// outside `allowed` are reported (see [`check_keys`]).
fn sub_object<'v>(
    ctx: &mut Ctx,
    obj: &'v Obj,
    key: &str,
    allowed: &[&str],
    language: QueryLanguage,
    location: &str,
) -> Option<(&'v Obj, String)> {
    let sub = ctx.opt_object(obj, key, location)?;
    let loc = at(location, key);
    check_keys(ctx, sub, allowed, language, &loc);
    Some((sub, loc))
}

/// Unsupported keys of a Map sub-object; `...Path` and `Parameters` only in JSONPath,
/// `Arguments` only in JSONata.
fn check_keys(ctx: &mut Ctx, obj: &Obj, allowed: &[&str], language: QueryLanguage, location: &str) {
    for key in obj.keys() {
        let k = key.as_str();
        let language_ok = match language {
            QueryLanguage::JsonPath => k != "Arguments",
            QueryLanguage::Jsonata => !(k == "Parameters" || k.ends_with("Path")),
        };
        if !allowed.contains(&k) || !language_ok {
            ctx.schema(format!("Field '{key}' is not supported"), location);
        }
    }
}
