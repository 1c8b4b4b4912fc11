//! State machines (root and nested) and the states of every type but Choice and Map, with the
//! fields they share: `Type`, `QueryLanguage`, `Next`/`End`, the data-flow fields and the
//! check that a state carries only the fields its type and language allow.

use serde_json::Value;

use super::context::{at, indexed, is_jsonata, Ctx, Obj};
use super::data_fields::{
    compiled_assign, compiled_template, jsonata_template, payload, result_path,
};
use super::fields::{check_fields, fields_of, STATE_TYPES};
use super::values::{check_resource, check_template, is_rfc3339, looks_like_path};
use super::{choice, map, retry_catch};
use crate::asl::ast::*;

pub(crate) fn parse_root(ctx: &mut Ctx, root: &Obj) -> Option<StateMachine> {
    let language = match root.get("QueryLanguage") {
        None => QueryLanguage::JsonPath,
        Some(v) => query_language(ctx, v, "/QueryLanguage").unwrap_or_default(),
    };
    ctx.machine_language = language;
    for key in root.keys() {
        if !matches!(
            key.as_str(),
            "Comment" | "StartAt" | "States" | "TimeoutSeconds" | "Version" | "QueryLanguage"
        ) {
            ctx.schema(format!("Field '{key}' is not supported"), "/");
        }
    }
    let timeout_seconds = ctx.opt_uint(root, "TimeoutSeconds", 0, "/");
    let version = ctx.opt_string(root, "Version", "/");
    let mut machine = parse_machine(ctx, root, "/", language, &["States", "StartAt"])?;
    machine.timeout_seconds = timeout_seconds;
    machine.version = version;
    Some(machine)
}

impl Ctx {
    // Here rather than in context.rs: a nested machine is parsed by this file's state parser,
    // and Map reaches it through the context without importing this file.
    /// A branch or item processor; `extra` lists the fields it may carry besides
    /// `StartAt`/`States`/`Comment`.
    pub(crate) fn parse_nested(
        &mut self,
        obj: &Obj,
        location: &str,
        language: QueryLanguage,
        extra: &[&str],
    ) -> Option<StateMachine> {
        for key in obj.keys() {
            if !matches!(key.as_str(), "Comment" | "StartAt" | "States")
                && !extra.contains(&key.as_str())
            {
                self.schema(format!("Field '{key}' is not supported"), location);
            }
        }
        parse_machine(self, obj, location, language, &["StartAt", "States"])
    }
}

fn parse_machine(
    ctx: &mut Ctx,
    obj: &Obj,
    location: &str,
    language: QueryLanguage,
    required: &[&str],
) -> Option<StateMachine> {
    if !ctx.require(obj, required, location) {
        return None;
    }
    let comment = ctx.opt_string(obj, "Comment", location);
    let start_at = ctx.opt_string(obj, "StartAt", location);
    let states_obj = ctx.opt_object(obj, "States", location);
    let states_location = at(location, "States");
    let mut states = Vec::new();
    if let Some(states_obj) = states_obj {
        if states_obj.is_empty() {
            ctx.schema("Value cannot be empty", &states_location);
        }
        for (name, value) in states_obj {
            let state_location = at(&states_location, name);
            if name.is_empty() || name.chars().count() > 80 {
                ctx.error(
                    "INVALID_STATE_NAME",
                    format!("State name '{name}' must be between 1 and 80 characters long"),
                    &state_location,
                );
            }
            let Value::Object(state_obj) = value else {
                ctx.wrong_type("Object", &state_location);
                continue;
            };
            if let Some(state) = parse_state(ctx, name, state_obj, &state_location, language) {
                states.push(state);
            }
        }
    }
    Some(StateMachine {
        comment,
        start_at: start_at?,
        states,
        timeout_seconds: None,
        version: None,
        query_language: language,
    })
}

fn query_language(ctx: &mut Ctx, value: &Value, location: &str) -> Option<QueryLanguage> {
    match value.as_str() {
        Some("JSONPath") => Some(QueryLanguage::JsonPath),
        Some("JSONata") => Some(QueryLanguage::Jsonata),
        _ => {
            ctx.schema(
                "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]",
                location,
            );
            None
        }
    }
}

fn parse_state(
    ctx: &mut Ctx,
    name: &str,
    obj: &Obj,
    location: &str,
    inherited: QueryLanguage,
) -> Option<State> {
    if !ctx.require(obj, &["Type"], location) {
        return None;
    }
    let type_name = match obj.get("Type") {
        Some(Value::String(s)) if !fields_of(s).is_empty() => s.clone(),
        _ => {
            ctx.schema(
                format!("The field 'Type' should have one of these values: {STATE_TYPES}"),
                &at(location, "Type"),
            );
            return None;
        }
    };
    let language = match obj.get("QueryLanguage") {
        None => inherited,
        Some(v) => {
            let own = query_language(ctx, v, &at(location, "QueryLanguage")).unwrap_or(inherited);
            if own == QueryLanguage::JsonPath && ctx.machine_language == QueryLanguage::Jsonata {
                ctx.schema(
                    "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                    location,
                );
            }
            own
        }
    };
    check_fields(ctx, obj, &type_name, language, location);

    let comment = ctx.opt_string(obj, "Comment", location);
    let jsonpath = language == QueryLanguage::JsonPath;
    let input_path = if jsonpath {
        ctx.data_path(obj, "InputPath", location)
    } else {
        DataPath::default()
    };
    let output_path = if jsonpath {
        ctx.data_path(obj, "OutputPath", location)
    } else {
        DataPath::default()
    };
    let assign = obj.get("Assign").cloned();
    if let Some(value) = &assign {
        check_assign(ctx, value, language, &at(location, "Assign"));
    }
    let assign = assign.and_then(|v| compiled_assign(ctx, v, language, location));
    let output = if jsonpath {
        None
    } else {
        obj.get("Output").map(JsonataTemplate::compile)
    };

    let transition = match type_name.as_str() {
        "Choice" | "Succeed" | "Fail" => None,
        _ => transition(ctx, obj, location),
    };

    let kind = match type_name.as_str() {
        "Pass" => StateKind::Pass(PassState {
            result: pass_result(ctx, obj, language, location),
            result_path: result_path(ctx, obj, language, location),
            parameters: compiled_template(ctx, obj, "Parameters", language, location),
        }),
        "Task" => StateKind::Task(task(ctx, obj, language, location)?),
        "Choice" => StateKind::Choice(choice::parse(ctx, obj, language, location)?),
        "Wait" => StateKind::Wait(wait(ctx, obj, language, location)?),
        "Succeed" => StateKind::Succeed,
        "Fail" => StateKind::Fail(fail(ctx, obj, language, location)),
        "Parallel" => StateKind::Parallel(parallel(ctx, obj, language, location)?),
        "Map" => StateKind::Map(Box::new(map::parse(ctx, obj, language, location)?)),
        _ => return None,
    };
    Some(State {
        name: name.to_string(),
        labels: StateLabels::of(name),
        comment,
        query_language: language,
        input_path,
        output_path,
        assign,
        output,
        transition,
        kind,
    })
}

fn transition(ctx: &mut Ctx, obj: &Obj, location: &str) -> Option<Transition> {
    let next = ctx.opt_string(obj, "Next", location);
    let end = ctx.opt_bool(obj, "End", location).unwrap_or(false);
    match (next, end) {
        (Some(_), true) => {
            ctx.schema("Only one of 'Next' or 'End' can be specified", location);
            None
        }
        (Some(next), false) => Some(Transition::Next(next)),
        (None, true) => Some(Transition::End),
        (None, false) => {
            if !obj.contains_key("Next") {
                ctx.schema("These fields are required: [Next]", location);
            }
            None
        }
    }
}

fn check_assign(ctx: &mut Ctx, value: &Value, language: QueryLanguage, location: &str) {
    if !value.is_object() {
        let expression = matches!(value, Value::String(s) if is_jsonata(s));
        if !(language == QueryLanguage::Jsonata && expression) {
            ctx.wrong_type("Object", location);
        }
        return;
    }
    if language == QueryLanguage::JsonPath {
        check_template(ctx, value, location);
    }
}

fn task(ctx: &mut Ctx, obj: &Obj, language: QueryLanguage, location: &str) -> Option<TaskState> {
    if !ctx.require(obj, &["Resource"], location) {
        return None;
    }
    let resource = ctx.opt_string(obj, "Resource", location)?;
    check_resource(ctx, &resource, &at(location, "Resource"));
    let timeout_seconds = ctx.dynamic_uint(obj, "TimeoutSeconds", 1, language, location);
    let heartbeat_seconds = ctx.dynamic_uint(obj, "HeartbeatSeconds", 1, language, location);
    if let (Some(Dynamic::Literal(t)), Some(Dynamic::Literal(h))) =
        (&timeout_seconds, &heartbeat_seconds)
    {
        if h >= t {
            ctx.schema(
                "HeartbeatSeconds must be smaller than TimeoutSeconds",
                &at(location, "HeartbeatSeconds"),
            );
        }
    }
    let credentials = match ctx.opt_object(obj, "Credentials", location) {
        Some(creds) => {
            let creds_location = at(location, "Credentials");
            let has_role = creds.contains_key("RoleArn")
                || (language == QueryLanguage::JsonPath && creds.contains_key("RoleArn.$"));
            if !has_role {
                ctx.schema(
                    "The field 'RoleArn' is required but was missing",
                    &creds_location,
                );
            } else {
                for key in creds.keys() {
                    let ok = key == "RoleArn"
                        || (key == "RoleArn.$" && language == QueryLanguage::JsonPath);
                    if !ok {
                        ctx.schema(format!("Field '{key}' is not supported"), &creds_location);
                    }
                }
            }
            payload(
                ctx,
                &Value::Object(creds.clone()),
                language,
                &creds_location,
            )
        }
        None => None,
    };
    Some(TaskState {
        resource,
        parameters: compiled_template(ctx, obj, "Parameters", language, location),
        arguments: jsonata_template(ctx, obj, "Arguments", language, location),
        result_selector: compiled_template(ctx, obj, "ResultSelector", language, location),
        result_path: result_path(ctx, obj, language, location),
        retry: retry_catch::retriers(ctx, obj, location),
        catch: retry_catch::catchers(ctx, obj, language, location),
        timeout_seconds,
        heartbeat_seconds,
        credentials,
    })
}

fn wait(ctx: &mut Ctx, obj: &Obj, language: QueryLanguage, location: &str) -> Option<WaitState> {
    let present: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
        .into_iter()
        .filter(|k| obj.contains_key(*k))
        .collect();
    if present.len() != 1 {
        ctx.schema(
            "A Wait state must have exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath'",
            location,
        );
        return None;
    }
    let wait = if present[0].starts_with("Seconds") {
        WaitFor::Seconds(ctx.dynamic_uint(obj, "Seconds", 0, language, location)?)
    } else {
        let timestamp = ctx.dynamic_string(obj, "Timestamp", language, location)?;
        if let Dynamic::Literal(s) = &timestamp {
            if !is_rfc3339(s) {
                ctx.schema(
                    "String does not match RFC3339 timestamp",
                    &at(location, "Timestamp"),
                );
            }
        }
        WaitFor::Timestamp(timestamp)
    };
    Some(WaitState { wait })
}

fn parallel(
    ctx: &mut Ctx,
    obj: &Obj,
    language: QueryLanguage,
    location: &str,
) -> Option<ParallelState> {
    if !ctx.require(obj, &["Branches"], location) {
        return None;
    }
    let branches_location = at(location, "Branches");
    let Some(Value::Array(items)) = obj.get("Branches") else {
        ctx.wrong_type("Array", &branches_location);
        return None;
    };
    if items.is_empty() {
        ctx.schema("Value cannot be empty", &branches_location);
    }
    let mut branches = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let branch_location = indexed(location, "Branches", i);
        let Value::Object(branch) = item else {
            ctx.wrong_type("Object", &branch_location);
            continue;
        };
        if let Some(machine) = ctx.parse_nested(branch, &branch_location, language, &[]) {
            branches.push(machine);
        }
    }
    Some(ParallelState {
        branches,
        parameters: compiled_template(ctx, obj, "Parameters", language, location),
        arguments: jsonata_template(ctx, obj, "Arguments", language, location),
        result_selector: compiled_template(ctx, obj, "ResultSelector", language, location),
        result_path: result_path(ctx, obj, language, location),
        retry: retry_catch::retriers(ctx, obj, location),
        catch: retry_catch::catchers(ctx, obj, language, location),
    })
}

/// `Result` is copied as written: a path or a `.$` key in it is almost certainly a mistake.
fn pass_result(ctx: &mut Ctx, obj: &Obj, language: QueryLanguage, location: &str) -> Option<Value> {
    if language != QueryLanguage::JsonPath {
        return None;
    }
    let result = obj.get("Result")?;
    if result_looks_dynamic(result, 0) {
        ctx.warning(
            "PASS_RESULT_IS_STATIC",
            "The Result of a Pass state is static: paths and '.$' fields in it are not evaluated",
            &at(location, "Result"),
        );
    }
    Some(result.clone())
}

fn result_looks_dynamic(value: &Value, depth: usize) -> bool {
    // The JSON parser bounds nesting already; the depth guard keeps this cheap regardless.
    if depth > 64 {
        return false;
    }
    match value {
        Value::String(s) => looks_like_path(s),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.ends_with(".$") || result_looks_dynamic(v, depth + 1)),
        Value::Array(items) => items.iter().any(|v| result_looks_dynamic(v, depth + 1)),
        _ => false,
    }
}

fn fail(ctx: &mut Ctx, obj: &Obj, language: QueryLanguage, location: &str) -> FailState {
    let state = FailState {
        error: ctx.dynamic_string(obj, "Error", language, location),
        cause: ctx.dynamic_string(obj, "Cause", language, location),
    };
    if language == QueryLanguage::JsonPath {
        for (key, value) in [("Error", &state.error), ("Cause", &state.cause)] {
            if let Some(Dynamic::Literal(s)) = value {
                if looks_like_path(s) {
                    ctx.warning(
                        "NO_PATH",
                        format!("The value of the field '{key}' looks like a JSONPath, but the field name does not end with 'Path'"),
                        &at(location, key),
                    );
                }
            }
        }
    }
    state
}
