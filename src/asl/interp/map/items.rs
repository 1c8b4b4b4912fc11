//! What a Map iterates over: the items (`ItemsPath` or JSONata `Items`), each made into an
//! iteration's input by `ItemSelector` (or the legacy `Parameters`), then grouped by
//! `ItemBatcher`.

use super::super::dataflow::{shown, StateEnv};
use super::super::failure::Failure;
use super::super::query::{query_error, unexpected_type};
use super::limits::count_field;
use crate::asl::ast::{DataPath, ItemBatcher, MapState};
use serde_json::{json, Value};

/// The iterations' inputs, in item order.
pub(super) fn inputs(
    env: &StateEnv,
    m: &MapState,
    raw: &Value,
    effective: &Value,
) -> Result<Vec<Value>, Failure> {
    let items = if env.jsonata() {
        jsonata_items(env, m, raw)?
    } else {
        let items = items_path(env, m, effective)?;
        let Value::Array(items) = items else {
            return Err(Failure::runtime(format!(
                "Item list is not a JSON array: the ItemsPath field refers to value {} which is not an array",
                shown(&items)
            )));
        };
        items
    };
    let mut inputs = select(env, m, raw, effective, items)?;
    if let Some(batcher) = &m.item_batcher {
        inputs = batch(batcher, inputs, env, raw, effective)?;
    }
    Ok(inputs)
}

/// `ItemsPath` of a JSONPath Map: what it selects from the effective input (an array, unless
/// the definition is wrong).
pub(crate) fn items_path(
    env: &StateEnv,
    m: &MapState,
    effective: &Value,
) -> Result<Value, Failure> {
    match &m.items_path {
        DataPath::Discard => Ok(effective.clone()),
        DataPath::Path(p) => Ok(p.select_invalid_path(&env.scope(effective))?),
    }
}

/// `ItemSelector` (or `Parameters`) over each item, with the item in the context object's
/// `Map.Item`; without one, the items themselves.
fn select(
    env: &StateEnv,
    m: &MapState,
    raw: &Value,
    effective: &Value,
    items: Vec<Value>,
) -> Result<Vec<Value>, Failure> {
    let Some(t) = m.item_selector.as_ref() else {
        return Ok(items);
    };
    let mut inputs = Vec::with_capacity(items.len());
    // One copy of the context for all items; only its `Map.Item` changes per item.
    let mut item_ctx = env.context.clone();
    for (index, item) in items.iter().enumerate() {
        if let Value::Object(o) = &mut item_ctx {
            o.insert(
                "Map".into(),
                json!({"Item": {"Index": index, "Value": item}}),
            );
        }
        let item_env = env.with_context(&item_ctx);
        let input = if env.jsonata() { raw } else { effective };
        inputs.push(item_env.payload(t, input, "ItemSelector")?);
    }
    Ok(inputs)
}

/// `Items` of a JSONata Map (an array, or an expression giving one); without it, the state
/// input must be the array.
pub(crate) fn jsonata_items(
    env: &StateEnv,
    m: &MapState,
    raw: &Value,
) -> Result<Vec<Value>, Failure> {
    let q = env.query(raw, None, None);
    match &m.items {
        None => match raw {
            Value::Array(a) => Ok(a.clone()),
            other => Err(query_error(format!(
                "Map state input must be an array but was: {}",
                serde_json::to_string(other).unwrap_or_default()
            ))),
        },
        Some(items) => {
            let Some(expr) = items.expression() else {
                return match q.template(items, "Items")? {
                    Value::Array(a) => Ok(a),
                    other => Err(query_error(format!(
                        "The Items field must be an array but was: {}",
                        serde_json::to_string(&other).unwrap_or_default()
                    ))),
                };
            };
            match q.value(expr, "Items")? {
                Value::Array(a) => Ok(a),
                other => Err(unexpected_type(expr.text(), "Items", "array", &other)),
            }
        }
    }
}

/// ItemBatcher: the (selected) items in batches of at most MaxItemsPerBatch items and
/// MaxInputBytesPerBatch bytes, each child getting `{"Items": [...], "BatchInput": ...}`.
fn batch(
    batcher: &ItemBatcher,
    items: Vec<Value>,
    env: &StateEnv,
    raw: &Value,
    effective: &Value,
) -> Result<Vec<Value>, Failure> {
    let numbers = (env, raw, effective);
    let max_items = count_field(&batcher.max_items_per_batch, "MaxItemsPerBatch", numbers)?;
    let max_bytes = count_field(
        &batcher.max_input_bytes_per_batch,
        "MaxInputBytesPerBatch",
        numbers,
    )?;
    let batch_input = match &batcher.batch_input {
        Some(t) if env.jsonata() => Some(env.payload(t, raw, "BatchInput")?),
        Some(t) => Some(env.payload(t, effective, "BatchInput")?),
        None => None,
    };
    let max_items = max_items
        .filter(|n| *n > 0)
        .map_or(usize::MAX, |n| n as usize);
    let max_bytes = max_bytes
        .filter(|n| *n > 0)
        .map_or(usize::MAX, |n| n as usize);
    let wrap = |items: Vec<Value>| {
        let mut o = serde_json::Map::new();
        if let Some(b) = &batch_input {
            o.insert("BatchInput".into(), b.clone());
        }
        o.insert("Items".into(), Value::Array(items));
        Value::Object(o)
    };
    let mut batches = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0usize;
    for item in items {
        let size = serde_json::to_string(&item).map_or(0, |t| t.len());
        if !current.is_empty() && (current.len() >= max_items || bytes + size > max_bytes) {
            batches.push(wrap(std::mem::take(&mut current)));
            bytes = 0;
        }
        bytes += size;
        current.push(item);
    }
    if !current.is_empty() {
        batches.push(wrap(current));
    }
    Ok(batches)
}
