//! `Retry` and `Catch` of Task, Parallel and Map states.

use serde_json::Value;

use super::context::{at, indexed, Ctx, Obj};
use super::values::check_template;
use crate::asl::ast::{Catcher, DataPath, JitterStrategy, JsonataTemplate, QueryLanguage, Retrier};

const STATES_ALL: &str = "States.ALL";

pub(crate) fn retriers(ctx: &mut Ctx, obj: &Obj, location: &str) -> Vec<Retrier> {
    let Some(items) = array(ctx, obj, "Retry", location) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let loc = indexed(location, "Retry", i);
        let Value::Object(r) = item else {
            ctx.wrong_type("Object", &loc);
            continue;
        };
        for key in r.keys() {
            if !matches!(
                key.as_str(),
                "ErrorEquals"
                    | "IntervalSeconds"
                    | "MaxAttempts"
                    | "BackoffRate"
                    | "MaxDelaySeconds"
                    | "JitterStrategy"
                    | "Comment"
            ) {
                ctx.schema(format!("Field '{key}' is not supported"), &loc);
            }
        }
        let Some(error_equals) = error_equals(ctx, r, &loc, i + 1 == items.len(), "retrier") else {
            continue;
        };
        let backoff_rate = match r.get("BackoffRate") {
            None => 2.0,
            Some(v) => match v.as_f64() {
                Some(rate) if rate >= 1.0 => rate,
                Some(_) => {
                    ctx.schema("Value must be at least 1.0", &at(&loc, "BackoffRate"));
                    2.0
                }
                None => {
                    ctx.wrong_type("Number", &at(&loc, "BackoffRate"));
                    2.0
                }
            },
        };
        let jitter_strategy = match ctx.opt_string(r, "JitterStrategy", &loc).as_deref() {
            None | Some("NONE") => JitterStrategy::None,
            Some("FULL") => JitterStrategy::Full,
            Some(_) => {
                ctx.schema(
                    "The field 'JitterStrategy' should have one of these values: [FULL, NONE]",
                    &at(&loc, "JitterStrategy"),
                );
                JitterStrategy::None
            }
        };
        out.push(Retrier {
            error_equals,
            interval_seconds: ctx.opt_uint(r, "IntervalSeconds", 1, &loc).unwrap_or(1),
            max_attempts: ctx.opt_uint(r, "MaxAttempts", 0, &loc).unwrap_or(3),
            backoff_rate,
            max_delay_seconds: ctx.opt_uint(r, "MaxDelaySeconds", 1, &loc),
            jitter_strategy,
            comment: ctx.opt_string(r, "Comment", &loc),
        });
    }
    out
}

pub(crate) fn catchers(
    ctx: &mut Ctx,
    obj: &Obj,
    language: QueryLanguage,
    location: &str,
) -> Vec<Catcher> {
    let Some(items) = array(ctx, obj, "Catch", location) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let loc = indexed(location, "Catch", i);
        let Value::Object(c) = item else {
            ctx.wrong_type("Object", &loc);
            continue;
        };
        for key in c.keys() {
            let k = key.as_str();
            let ok = match k {
                "ErrorEquals" | "Next" | "Comment" | "Assign" => true,
                "ResultPath" => language == QueryLanguage::JsonPath,
                "Output" => language == QueryLanguage::Jsonata,
                _ => false,
            };
            if !ok {
                ctx.schema(format!("Field '{key}' is not supported"), &loc);
            }
        }
        if !ctx.require(c, &["ErrorEquals", "Next"], &loc) {
            continue;
        }
        let Some(error_equals) = error_equals(ctx, c, &loc, i + 1 == items.len(), "catcher") else {
            continue;
        };
        let Some(next) = ctx.opt_string(c, "Next", &loc) else {
            continue;
        };
        let result_path = match language {
            QueryLanguage::JsonPath => ctx.data_path(c, "ResultPath", &loc),
            QueryLanguage::Jsonata => DataPath::default(),
        };
        let assign = c.get("Assign").cloned();
        if let (Some(v), QueryLanguage::JsonPath) = (&assign, language) {
            check_template(ctx, v, &at(&loc, "Assign"));
        }
        let assign =
            assign.and_then(|v| super::data_fields::compiled_assign(ctx, v, language, &loc));
        out.push(Catcher {
            error_equals,
            next,
            result_path,
            assign,
            output: match language {
                QueryLanguage::Jsonata => c.get("Output").map(JsonataTemplate::compile),
                QueryLanguage::JsonPath => None,
            },
            comment: ctx.opt_string(c, "Comment", &loc),
        });
    }
    out
}

fn array<'v>(ctx: &mut Ctx, obj: &'v Obj, key: &str, location: &str) -> Option<&'v Vec<Value>> {
    match obj.get(key)? {
        Value::Array(items) => Some(items),
        _ => {
            ctx.wrong_type("Array", &at(location, key));
            None
        }
    }
}

/// `ErrorEquals`: a non-empty list of names; `States.ALL` must be alone, in the last
/// retrier/catcher.
fn error_equals(
    ctx: &mut Ctx,
    obj: &Obj,
    location: &str,
    is_last: bool,
    what: &str,
) -> Option<Vec<String>> {
    if !ctx.require(obj, &["ErrorEquals"], location) {
        return None;
    }
    let field = at(location, "ErrorEquals");
    let Some(Value::Array(items)) = obj.get("ErrorEquals") else {
        ctx.wrong_type("Array", &field);
        return None;
    };
    if items.is_empty() {
        ctx.schema("Value cannot be empty", &field);
        return None;
    }
    let mut names = Vec::new();
    for item in items {
        match item {
            Value::String(s) => names.push(s.clone()),
            _ => {
                ctx.wrong_type("String", &field);
                return None;
            }
        }
    }
    if names.iter().any(|n| n == STATES_ALL) {
        if names.len() > 1 {
            ctx.schema(
                format!("{STATES_ALL} must appear alone in ErrorEquals"),
                &field,
            );
        } else if !is_last {
            ctx.schema(
                format!("{STATES_ALL} must appear in the last {what}"),
                &field,
            );
        }
    }
    Some(names)
}
