//! Comparing against the conformance snapshots: their placeholders (`<...>`, `date`,
//! `sm_nonexistent_arn`, ...) match any value, and JSON object text compares as the object
//! (the corpus README's normalisation rules).

use crate::common;
use serde_json::Value;

/// The account the recordings were made in; tests run in `common::ACCOUNT`.
pub const RECORDED_ACCOUNT: &str = "111111111111";

/// Snapshot placeholders that stand for a value we cannot know.
const PLACEHOLDER_WORDS: [&str; 4] = [
    "ssm_nonexistent_arn",
    "sm_nonexistent_arn",
    "invalid_execution_arn",
    "activity_arn",
];

/// Literal pieces and wildcards of an expected message.
pub fn pattern(expected: &str) -> Vec<Option<String>> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = expected;
    'outer: while !rest.is_empty() {
        if rest.starts_with('<') {
            if let Some(end) = rest.find('>') {
                if !rest[1..end].contains('<') {
                    parts.push(Some(std::mem::take(&mut literal)));
                    parts.push(None);
                    rest = &rest[end + 1..];
                    continue;
                }
            }
        }
        for word in PLACEHOLDER_WORDS {
            if let Some(after) = rest.strip_prefix(word) {
                parts.push(Some(std::mem::take(&mut literal)));
                parts.push(None);
                rest = after;
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            literal.push(c);
        }
        rest = chars.as_str();
    }
    parts.push(Some(literal));
    parts
}

pub fn wildcard_match(parts: &[Option<String>], actual: &str) -> bool {
    match parts.split_first() {
        None => actual.is_empty(),
        Some((Some(literal), rest)) => actual
            .strip_prefix(literal.as_str())
            .is_some_and(|after| wildcard_match(rest, after)),
        Some((None, rest)) => (1..=actual.len())
            .filter(|i| actual.is_char_boundary(*i))
            .any(|i| wildcard_match(rest, &actual[i..])),
    }
}

/// Snapshot values that stand for any value (dates, role ARNs, times in the context object).
const ANY_VALUE: [&str; 7] = [
    "date",
    "timestamp",
    "datetime",
    "snf_role_arn",
    "sfn_role_arn",
    "start-time",
    "entered-time",
];

/// The corpus README's normalisation (1): JSON object text becomes the object.
pub fn normalise(value: Value) -> Value {
    match value {
        Value::String(s) if s.starts_with('{') => {
            serde_json::from_str(&s).unwrap_or(Value::String(s))
        }
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, normalise(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(normalise).collect()),
        other => other,
    }
}

/// `expected` (a snapshot, with placeholders) against `actual`; the first difference.
pub fn snapshot_difference(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::String(e), _) if ANY_VALUE.contains(&e.as_str()) => None,
        (Value::String(e), Value::String(a)) => {
            (!wildcard_match(&pattern(&e.replace(RECORDED_ACCOUNT, common::ACCOUNT)), a))
                .then(|| format!("{path}: expected {e:?}, got {a:?}"))
        }
        (Value::Object(e), Value::Object(a)) => {
            let keys = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
            if keys(e) != keys(a) {
                let (mut ek, mut ak) = (keys(e), keys(a));
                ek.sort();
                ak.sort();
                if ek != ak {
                    return Some(format!("{path}: keys {ek:?} vs {ak:?}"));
                }
            }
            e.iter()
                .find_map(|(k, v)| snapshot_difference(v, &a[k], &format!("{path}.{k}")))
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (e, a))| snapshot_difference(e, a, &format!("{path}[{i}]"))),
        (e, a) => (e != a).then(|| format!("{path}: expected {e}, got {a}")),
    }
}

#[test]
fn wildcards_match_snapshot_placeholders() {
    let p = pattern("State Machine Does Not Exist: 'sm_nonexistent_arn'");
    assert!(wildcard_match(
        &p,
        "State Machine Does Not Exist: 'arn:aws:x'"
    ));
    let p = pattern("Received: [arn:<partition>:states:<region>:1:stateMachine:<ArnPart_0idx>:2]");
    assert!(wildcard_match(
        &p,
        "Received: [arn:aws:states:us-east-1:1:stateMachine:m:2]"
    ));
    assert!(!wildcard_match(
        &p,
        "Received: [arn:aws:states:us-east-1:1:stateMachine:m:1]"
    ));
}
