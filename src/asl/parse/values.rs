//! Checks on field values: payload templates (`.$` keys), the shape of intrinsic function
//! calls, RFC 3339 timestamps, Map labels and Task resources.

use serde_json::Value;

use super::context::{is_path, Ctx};
use super::intrinsic_shape::is_intrinsic_call;
use super::MachineType;

/// A JSONPath payload template (`Parameters`, `ResultSelector`, `ItemSelector`, `Assign` ...):
/// every `key.$` must hold a path or an intrinsic function call. Errors point at the template
/// field itself, as AWS's do.
pub(crate) fn check_template(ctx: &mut Ctx, value: &Value, location: &str) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key.ends_with(".$") {
                    let valid = match v {
                        Value::String(s) => is_path(s) || is_intrinsic_call(s),
                        _ => false,
                    };
                    if !valid {
                        ctx.schema(
                            format!(
                                "The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"
                            ),
                            location,
                        );
                    }
                } else {
                    if let Value::String(s) = v {
                        if looks_dynamic(s) {
                            ctx.warning(
                                "NO_DOLLAR",
                                format!("The value of the field '{key}' looks like a JSONPath or an intrinsic function, but the field name does not end with '.$'"),
                                location,
                            );
                        }
                    }
                    check_template(ctx, v, location);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                check_template(ctx, item, location);
            }
        }
        _ => {}
    }
}

/// A string that was probably meant to be evaluated: a path into the input or the context
/// object, or an intrinsic function call.
pub(crate) fn looks_dynamic(s: &str) -> bool {
    looks_like_path(s) || (s.starts_with("States.") && s.ends_with(')'))
}

pub(crate) fn looks_like_path(s: &str) -> bool {
    s == "$" || s.starts_with("$.") || s.starts_with("$[") || s.starts_with("$$.")
}

/// RFC 3339 date-time with a mandatory offset, as Wait's `Timestamp` requires.
pub(crate) fn is_rfc3339(s: &str) -> bool {
    crate::time::parse_rfc3339_nanos(s).is_some()
}

/// Map `Label`: 1 to 40 characters, none of whitespace, brackets, wildcards, special or
/// control characters. Returns the problem, if any.
pub(crate) fn label_problem(label: &str) -> Option<String> {
    if label.is_empty() {
        return Some("Label cannot be empty".to_string());
    }
    if label.chars().count() > 40 {
        return Some("Label cannot exceed 40 characters".to_string());
    }
    let bad = label.chars().find(|&c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '<' | '>'
                    | '{'
                    | '}'
                    | '['
                    | ']'
                    | '?'
                    | '*'
                    | '"'
                    | '#'
                    | '%'
                    | '\\'
                    | '^'
                    | '|'
                    | '~'
                    | '`'
                    | '$'
                    | '&'
                    | ','
                    | ';'
                    | ':'
                    | '/'
            )
    })?;
    Some(format!("Label contains invalid character: '{bad}'"))
}

/// Optimised integrations whose complete action list is known; other services are accepted
/// as written.
const KNOWN_ACTIONS: [(&str, &[&str]); 6] = [
    ("lambda", &["invoke"]),
    ("sqs", &["sendMessage"]),
    ("sns", &["publish"]),
    (
        "dynamodb",
        &["getItem", "putItem", "deleteItem", "updateItem"],
    ),
    ("states", &["startExecution"]),
    ("events", &["putEvents"]),
];

/// Task `Resource`: an ARN; for Express machines no `.sync`, `.waitForTaskToken` or activity.
pub(crate) fn check_resource(ctx: &mut Ctx, resource: &str, location: &str) {
    if !resource.starts_with("arn:") {
        ctx.error(
            "INVALID_RESOURCE",
            format!("The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."),
            location,
        );
        return;
    }
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let is_states = parts.get(2) == Some(&"states");
    let service_integration = is_states && parts.get(3) == Some(&"") && parts.get(4) == Some(&"");
    if service_integration {
        // arn:aws:states:::service:action[.pattern]
        let rest = parts.get(5).copied().unwrap_or("");
        let (service, action) = rest.split_once(':').unwrap_or((rest, ""));
        let action_name = action.split('.').next().unwrap_or("");
        if let Some((_, actions)) = KNOWN_ACTIONS.iter().find(|(s, _)| *s == service) {
            if !actions.contains(&action_name) {
                ctx.schema(
                    format!("The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."),
                    location,
                );
                return;
            }
        }
    }
    if ctx.machine_type != MachineType::Express {
        return;
    }
    if service_integration {
        if resource.ends_with(".waitForTaskToken") {
            ctx.schema(
                "Express state machine does not support '.waitForTaskToken' service integration ",
                location,
            );
        } else if resource.ends_with(".sync") || resource.contains(".sync:") {
            ctx.schema(
                "Express state machine does not support '.sync' service integration",
                location,
            );
        }
    } else if is_states && resource.split(':').nth(5) == Some("activity") {
        ctx.schema(
            "Express state machine does not support Activity ARN",
            location,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intrinsic_shapes() {
        assert!(is_intrinsic_call("States.Format('a {}', $.x)"));
        assert!(is_intrinsic_call(
            "States.Array(1, 'x', true, null, $.a[0])"
        ));
        assert!(is_intrinsic_call(
            "States.JsonToString(States.StringToJson('{\\}'))"
        ));
        assert!(is_intrinsic_call("States.UUID()"));
        assert!(!is_intrinsic_call("States.Nope(1)"));
        assert!(!is_intrinsic_call("States.Format('a \\\" b')"));
        assert!(!is_intrinsic_call("States.Format('unterminated)"));
        assert!(!is_intrinsic_call("States.Format(1"));
    }

    #[test]
    fn timestamps() {
        assert!(is_rfc3339("2016-03-14T01:59:00Z"));
        assert!(is_rfc3339("2016-03-14T01:59:00.123+01:00"));
        assert!(!is_rfc3339("2016-13-05T21:29:29Z"));
        assert!(!is_rfc3339("2016-12-05T25:29:29Z"));
        assert!(!is_rfc3339("2016-12-05 21:29:29Z"));
        assert!(!is_rfc3339("2016-12-05T21:29:29"));
        assert!(!is_rfc3339("2016-02-30T21:29:29Z"));
        assert!(!is_rfc3339("05-12-2016T21:29:29Z"));
    }

    #[test]
    fn labels() {
        assert_eq!(label_problem("ok_label-1"), None);
        assert!(label_problem("").is_some());
        assert!(label_problem("a b").is_some());
        assert!(label_problem(&"x".repeat(41)).is_some());
        assert!(label_problem("a\u{85}").is_some());
    }
}
