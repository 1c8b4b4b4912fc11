//! The data-flow fields every state type shares (`ResultPath`, the payload templates,
//! `Assign`), checked and compiled the same way wherever they appear.

use super::context::{at, Ctx, Obj};
use super::fields::{JSONATA_ONLY, JSONPATH_ONLY};
use super::values::check_template;
use crate::asl::ast::{Assign, DataPath, JsonataTemplate, Payload, QueryLanguage, Template};
use serde_json::Value;

pub(crate) fn result_path(
    ctx: &mut Ctx,
    obj: &Obj,
    language: QueryLanguage,
    location: &str,
) -> DataPath {
    match language {
        QueryLanguage::JsonPath => ctx.data_path(obj, "ResultPath", location),
        QueryLanguage::Jsonata => DataPath::default(),
    }
}

/// A JSONPath-only template (`Parameters` of Pass/Task/Parallel, `ResultSelector`), checked
/// and compiled; `None` when absent, in a JSONata state, or wrong.
pub(crate) fn compiled_template(
    ctx: &mut Ctx,
    obj: &Obj,
    key: &str,
    language: QueryLanguage,
    location: &str,
) -> Option<Template> {
    let value = template(ctx, obj, key, language, location)?;
    compile(ctx, &value, &at(location, key))
}

/// A JSONata-only field (`Arguments`, `Output`), its expressions compiled; `None` when
/// absent or in a JSONPath state.
pub(crate) fn jsonata_template(
    ctx: &mut Ctx,
    obj: &Obj,
    key: &str,
    language: QueryLanguage,
    location: &str,
) -> Option<JsonataTemplate> {
    if language != QueryLanguage::Jsonata {
        return None;
    }
    template(ctx, obj, key, language, location).map(|v| JsonataTemplate::compile(&v))
}

/// A payload field both languages have (`ItemSelector`, `BatchInput`, `Credentials`),
/// checked and compiled in the state's language; `None` when a JSONPath template does not
/// compile (with the schema error).
pub(crate) fn payload(
    ctx: &mut Ctx,
    value: &Value,
    language: QueryLanguage,
    field_location: &str,
) -> Option<Payload> {
    match language {
        QueryLanguage::Jsonata => Some(Payload::Jsonata(JsonataTemplate::compile(value))),
        QueryLanguage::JsonPath => {
            check_template(ctx, value, field_location);
            compile(ctx, value, field_location).map(Payload::JsonPath)
        }
    }
}

/// `Assign` as the state keeps it, compiled in its language; `None` when a JSONPath
/// template does not compile (with the schema error).
pub(crate) fn compiled_assign(
    ctx: &mut Ctx,
    value: Value,
    language: QueryLanguage,
    location: &str,
) -> Option<Assign> {
    match language {
        QueryLanguage::Jsonata => Some(Assign::Jsonata(JsonataTemplate::compile(&value))),
        QueryLanguage::JsonPath => {
            compile(ctx, &value, &at(location, "Assign")).map(Assign::JsonPath)
        }
    }
}

/// Compiles a JSONPath template, or reports the `.$` field that does not compile at
/// `field_location` with AWS's schema error.
pub(crate) fn compile(ctx: &mut Ctx, value: &Value, field_location: &str) -> Option<Template> {
    Template::compile(value)
        .map_err(|e| {
            ctx.schema(
                format!(
                    "The value for the field '{}' must be a valid JSONPath or a valid intrinsic function call",
                    e.field
                ),
                field_location,
            )
        })
        .ok()
}

/// A payload template field; JSONPath ones have their `.$` keys checked. In JSONata states a
/// JSONPath-only template is ignored (already reported by `check_fields`).
pub(crate) fn template(
    ctx: &mut Ctx,
    obj: &Obj,
    key: &str,
    language: QueryLanguage,
    location: &str,
) -> Option<Value> {
    let value = obj.get(key)?;
    let field_location = at(location, key);
    match language {
        QueryLanguage::JsonPath => {
            if JSONATA_ONLY.contains(&key) {
                return None;
            }
            if !value.is_object() {
                ctx.wrong_type("Object", &field_location);
                return None;
            }
            check_template(ctx, value, &field_location);
        }
        QueryLanguage::Jsonata => {
            if JSONPATH_ONLY.contains(&key) {
                return None;
            }
        }
    }
    Some(value.clone())
}
