//! SNS subscription filter policies: the event-pattern language with SNS's operator set, its
//! limits (five keys, 150 combinations, no nesting on message attributes) and its way of
//! reading message attributes.

use serde_json::{Map, Number, Value};

use super::compile::{self, Dialect};
use super::json::{Lexer, Tok};
use super::rule::Rule;
use super::PatternError;

const MAX_KEYS: usize = 5;
const MAX_COMBINATIONS: u64 = 150;

/// Which part of a message a policy filters on (`FilterPolicyScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterScope {
    MessageAttributes,
    MessageBody,
}

/// One SNS message attribute as published.
#[derive(Debug, Clone, Copy)]
pub struct AttributeRef<'a> {
    pub name: &'a str,
    /// `String`, `String.<custom>`, `Number`, `Number.<custom>`, `String.Array` or `Binary`.
    pub data_type: &'a str,
    /// The string value; for `String.Array` the JSON array text.
    pub value: &'a str,
}

/// A compiled SNS filter policy.
#[derive(Debug, Clone)]
pub struct FilterPolicy {
    scope: FilterScope,
    /// Alternatives; empty means the policy is `{}` and lets everything through.
    rules: Vec<Rule>,
}

impl FilterPolicy {
    /// Compiles a filter policy. The error message is the part of SNS's `InvalidParameter`
    /// message after `FilterPolicy: ` (see [`PatternError::sns_message`]).
    pub fn compile(policy_json: &str, scope: FilterScope) -> Result<FilterPolicy, PatternError> {
        let policy: Value = serde_json::from_str(policy_json).map_err(|_| {
            let detail = syntax_error(policy_json)
                .map(|m| format!(" {m}"))
                .unwrap_or_default();
            PatternError::new(format!("failed to parse JSON.{detail}"))
        })?;
        if policy.as_object().is_some_and(|o| o.is_empty()) {
            return Ok(FilterPolicy {
                scope,
                rules: Vec::new(),
            });
        }
        if let Some(obj) = policy.as_object() {
            if obj.len() > MAX_KEYS {
                return Err(PatternError::new(
                    "Filter policy can not have more than 5 keys",
                ));
            }
        }
        // SNS reads the policy into a tree and compiles its compact rendering, which is the
        // text its error traces quote.
        let canonical = serde_json::to_string(&policy).unwrap_or_default();
        let subs = compile::compile(&canonical, Dialect::Sns).map_err(PatternError::new)?;
        if scope == FilterScope::MessageAttributes && has_nesting(&policy) {
            return Err(PatternError::bare(
                "Filter policy scope MessageAttributes does not support nested filter policy",
            ));
        }
        if let Some(obj) = policy.as_object() {
            if combinations(obj, 1, 1) > MAX_COMBINATIONS {
                return Err(PatternError::new("Filter policy is too complex"));
            }
        }
        Ok(FilterPolicy {
            scope,
            rules: subs.into_iter().map(Rule::from_sub_rule).collect(),
        })
    }

    pub fn scope(&self) -> FilterScope {
        self.scope
    }

    /// MessageAttributes scope. `Binary` attributes are ignored, as SNS does; `Number` values
    /// compare as numbers; a `String.Array` matches when any of its members does.
    pub fn matches_attributes(&self, attributes: &[AttributeRef<'_>]) -> bool {
        if self.rules.is_empty() {
            return true;
        }
        let event = attributes_as_event(attributes);
        self.rules.iter().any(|r| r.matches(&event))
    }

    /// MessageBody scope: the message body parsed as JSON. A body that is not a JSON object
    /// matches only the empty policy.
    pub fn matches_body(&self, body: &Value) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|r| r.matches(body))
    }

    /// Why the message attributes do not pass: the first attribute (policy key) that fails and
    /// why, as [`Pattern::explain`](super::Pattern::explain) says it for events; `None` when
    /// they pass. A separate walk, for traces, so that matching pays nothing for it.
    pub fn explain_attributes(&self, attributes: &[AttributeRef<'_>]) -> Option<super::Mismatch> {
        if self.matches_attributes(attributes) {
            return None;
        }
        super::explain_alternatives(&self.rules, &attributes_as_event(attributes))
    }

    /// As [`FilterPolicy::explain_attributes`], for the MessageBody scope.
    pub fn explain_body(&self, body: &Value) -> Option<super::Mismatch> {
        if self.matches_body(body) {
            return None;
        }
        super::explain_alternatives(&self.rules, body)
    }
}

/// The message attributes as the object a policy's rules match on.
fn attributes_as_event(attributes: &[AttributeRef<'_>]) -> Value {
    let mut event = Map::new();
    for a in attributes {
        if let Some(v) = attribute_value(a) {
            event.insert(a.name.to_string(), v);
        }
    }
    Value::Object(event)
}

fn attribute_value(a: &AttributeRef<'_>) -> Option<Value> {
    let base = a.data_type.split('.').next().unwrap_or("");
    match base {
        "Binary" => None,
        "Number" => Some(match a.value.trim().parse::<Number>() {
            Ok(n) => Value::Number(n),
            Err(_) => Value::String(a.value.to_string()),
        }),
        _ if a.data_type == "String.Array" => Some(match serde_json::from_str::<Value>(a.value) {
            Ok(v @ Value::Array(_)) => v,
            // Not a JSON array: present, but equal to nothing a policy can name.
            _ => Value::String(a.value.to_string()),
        }),
        _ => Some(Value::String(a.value.to_string())),
    }
}

/// Any object value below the top level (including inside `$or` branches) is nesting.
fn has_nesting(policy: &Value) -> bool {
    let Some(obj) = policy.as_object() else {
        return false;
    };
    obj.iter().any(|(k, v)| match v {
        Value::Object(_) => true,
        Value::Array(items) if k == "$or" => items.iter().any(has_nesting),
        _ => false,
    })
}

/// SNS's combination count: the product over fields of (number of values x nesting depth);
/// a `$or` replaces the running product with the sum of its branches' products.
fn combinations(obj: &Map<String, Value>, depth: u64, running: u64) -> u64 {
    let mut acc = running;
    for (key, value) in obj {
        match value {
            Value::Object(inner) => acc = combinations(inner, depth + 1, acc),
            Value::Array(items) if key == "$or" => {
                acc = items
                    .iter()
                    .filter_map(|b| b.as_object())
                    .map(|b| combinations(b, depth, acc))
                    .fold(0u64, |s, c| s.saturating_add(c));
            }
            Value::Array(items) => {
                acc = acc.saturating_mul(items.len() as u64).saturating_mul(depth);
            }
            _ => {}
        }
    }
    acc
}

/// Jackson's description of the first syntax error in `src`, if it has one.
fn syntax_error(src: &str) -> Option<String> {
    let mut lx = Lexer::new(src);
    let mut depth = 0usize;
    loop {
        match lx.next() {
            Err(e) => return Some(e.message),
            Ok(Tok::Eof) => return None,
            Ok(Tok::Str) => {
                if let Err(e) = lx.text() {
                    return Some(e.message);
                }
                if depth == 0 {
                    return None;
                }
            }
            Ok(Tok::StartObject) | Ok(Tok::StartArray) => depth += 1,
            Ok(Tok::EndObject) | Ok(Tok::EndArray) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return None;
                }
            }
            Ok(_) if depth == 0 => return None,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs<'a>(list: &'a [(&'a str, &'a str, &'a str)]) -> Vec<AttributeRef<'a>> {
        list.iter()
            .map(|(n, t, v)| AttributeRef {
                name: n,
                data_type: t,
                value: v,
            })
            .collect()
    }

    fn policy(p: &str) -> FilterPolicy {
        FilterPolicy::compile(p, FilterScope::MessageAttributes).unwrap()
    }

    #[test]
    fn string_arrays_match_on_any_member() {
        let p = policy(r#"{"sport": ["rugby"]}"#);
        assert!(p.matches_attributes(&attrs(&[(
            "sport",
            "String.Array",
            r#"["soccer","rugby"]"#
        )])));
        assert!(!p.matches_attributes(&attrs(&[("sport", "String.Array", "['rugby']")])));
    }

    #[test]
    fn numbers_compare_numerically_and_binary_is_ignored() {
        let p = policy(r#"{"price": [{"numeric": [">", 10]}]}"#);
        assert!(p.matches_attributes(&attrs(&[("price", "Number", "10.5")])));
        assert!(!p.matches_attributes(&attrs(&[("price", "String", "10.5")])));
        let e = policy(r#"{"blob": [{"exists": false}]}"#);
        assert!(e.matches_attributes(&attrs(&[("blob", "Binary", "AAEC")])));
    }

    #[test]
    fn empty_policy_lets_everything_through() {
        assert!(policy("{}").matches_attributes(&[]));
        let b = FilterPolicy::compile("{}", FilterScope::MessageBody).unwrap();
        assert!(b.matches_body(&Value::Null));
    }

    #[test]
    fn limits_are_snss() {
        let six = r#"{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}"#;
        let e = FilterPolicy::compile(six, FilterScope::MessageBody).unwrap_err();
        assert_eq!(e.message, "Filter policy can not have more than 5 keys");
        let nested = r#"{"a": {"b": ["c"]}}"#;
        let e = FilterPolicy::compile(nested, FilterScope::MessageAttributes).unwrap_err();
        assert!(e.bare);
        assert_eq!(
            e.sns_message(false),
            "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
        );
        assert!(FilterPolicy::compile(nested, FilterScope::MessageBody).is_ok());
        let e = FilterPolicy::compile(
            r#"{"a": [{"anything-but": {"suffix": "x"}}]}"#,
            FilterScope::MessageBody,
        )
        .unwrap_err();
        assert!(e.message.starts_with(
            "Unsupported anything-but pattern: suffix\n at [Source: (String)\"{\"a\":"
        ));
        let e = FilterPolicy::compile(
            r#"{"a": [{"anything-but": {"prefix": ["x"]}}]}"#,
            FilterScope::MessageBody,
        )
        .unwrap_err();
        assert!(
            e.message
                .starts_with("prefix match pattern must be a string\n"),
            "{}",
            e.message
        );
        assert!(FilterPolicy::compile("{not json", FilterScope::MessageBody)
            .unwrap_err()
            .message
            .starts_with("failed to parse JSON."));
    }
}
