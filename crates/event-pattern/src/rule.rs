//! Matching one compiled sub-rule against an event, with event-ruler's array-consistent
//! semantics: the values chosen for the different fields of a rule must come from the same
//! element of every array they share.
//!
//! The event is not flattened up front: for each field the walk follows the field's path
//! through the event. Keys join with `.`, so the path `a.b` reaches both `{"a": {"b": ..}}`
//! and `{"a.b": ..}`; arrays are walked through transparently, remembering which element of
//! which array each value came from.

use serde_json::{Map, Value};

use super::compile::SubRule;
use super::matcher::Matcher;

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub path: String,
    pub matchers: Vec<Matcher>,
    /// Has `{"exists": false}`: an event without the field satisfies it.
    pub absent_ok: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub fields: Vec<Field>,
}

impl Rule {
    pub(crate) fn from_sub_rule(sub: SubRule) -> Rule {
        let fields = sub
            .into_iter()
            .map(|(path, matchers)| Field {
                absent_ok: matchers.contains(&Matcher::Absent),
                path,
                matchers,
            })
            .collect();
        Rule { fields }
    }

    pub(crate) fn matches(&self, event: &Value) -> bool {
        let Some(root) = event.as_object() else {
            return false;
        };
        // Candidates per field; fields satisfied by absence impose no constraint.
        let mut constrained: Vec<Vec<Leaf<'_>>> = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            let mut leaves = Vec::new();
            collect_in_object(root, &field.path, &mut Vec::new(), &mut leaves);
            if leaves.is_empty() {
                if field.absent_ok {
                    continue;
                }
                return false;
            }
            leaves.retain(|l| field.matchers.iter().any(|m| m.matches(l.value)));
            if leaves.is_empty() {
                return false;
            }
            constrained.push(leaves);
        }
        if constrained
            .iter()
            .all(|c| c.iter().all(|l| l.trail.is_empty()))
        {
            return true;
        }
        constrained.sort_by_key(|c| c.len());
        let mut chosen: Vec<&Leaf<'_>> = Vec::with_capacity(constrained.len());
        choose(&constrained, &mut chosen)
    }
}

impl Rule {
    /// The first field that rules the event out, and why (see `Pattern::explain`).
    pub(crate) fn explain(&self, event: &Value) -> Option<super::Mismatch> {
        let mismatch = |field: &Field, reason: String| {
            Some(super::Mismatch {
                field: field.path.clone(),
                reason,
            })
        };
        let Some(root) = event.as_object() else {
            return Some(super::Mismatch {
                field: String::new(),
                reason: "the event is not a JSON object".into(),
            });
        };
        for field in &self.fields {
            let mut leaves = Vec::new();
            collect_in_object(root, &field.path, &mut Vec::new(), &mut leaves);
            if leaves.is_empty() {
                if field.absent_ok {
                    continue;
                }
                return mismatch(
                    field,
                    format!(
                        "the event has no value at {} (the pattern wants {})",
                        field.path,
                        describe(&field.matchers)
                    ),
                );
            }
            if field.matchers == [Matcher::Absent] {
                return mismatch(
                    field,
                    format!(
                        "the event has {} but the pattern wants it absent",
                        field.path
                    ),
                );
            }
            if !leaves
                .iter()
                .any(|l| field.matchers.iter().any(|m| m.matches(l.value)))
            {
                let values: Vec<String> = leaves.iter().map(|l| l.value.to_string()).collect();
                return mismatch(
                    field,
                    format!(
                        "the event's value {} does not satisfy {}",
                        values.join(", "),
                        describe(&field.matchers)
                    ),
                );
            }
        }
        if self.matches(event) {
            return None;
        }
        Some(super::Mismatch {
            field: self
                .fields
                .iter()
                .map(|f| f.path.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            reason: "each field matches on its own, but not in the same element of an array".into(),
        })
    }
}

/// A pattern field's conditions in words, close to how the pattern spells them.
fn describe(matchers: &[Matcher]) -> String {
    let words: Vec<String> = matchers
        .iter()
        .filter(|m| **m != Matcher::Absent)
        .map(|m| match m {
            Matcher::Exact(s) => serde_json::to_string(s).unwrap_or_default(),
            Matcher::ExactNumber { text, .. } => text.clone(),
            Matcher::Bool(b) => b.to_string(),
            Matcher::Null => "null".into(),
            Matcher::Exists => "{\"exists\": true}".into(),
            Matcher::Prefix(p) => format!("{{\"prefix\": {p:?}}}"),
            Matcher::Suffix(p) => format!("{{\"suffix\": {p:?}}}"),
            Matcher::EqualsIgnoreCase(p) => format!("{{\"equals-ignore-case\": {p:?}}}"),
            Matcher::Numeric(range) => {
                let scale = if range.precision == super::number::Precision::Sns {
                    100_000.0
                } else {
                    1_000_000.0
                };
                let mut parts = Vec::new();
                if let Some((v, open)) = range.low {
                    parts.push(format!(
                        "\"{}\", {}",
                        if open { ">" } else { ">=" },
                        v as f64 / scale
                    ));
                }
                if let Some((v, open)) = range.high {
                    parts.push(format!(
                        "\"{}\", {}",
                        if open { "<" } else { "<=" },
                        v as f64 / scale
                    ));
                }
                format!("{{\"numeric\": [{}]}}", parts.join(", "))
            }
            other => format!("{other:?}"),
        })
        .collect();
    match words.len() {
        0 => "the field absent".into(),
        1 => words[0].clone(),
        _ => format!("one of [{}]", words.join(", ")),
    }
}

/// One primitive value found at a field's path, and the (array, index) steps leading to it.
#[derive(Debug)]
struct Leaf<'e> {
    value: &'e Value,
    trail: Vec<(usize, usize)>,
}

fn consistent(a: &Leaf<'_>, b: &Leaf<'_>) -> bool {
    a.trail
        .iter()
        .all(|(array, i)| b.trail.iter().all(|(other, j)| other != array || i == j))
}

/// Backtracking over the fields, fewest candidates first.
fn choose<'l, 'e>(fields: &'l [Vec<Leaf<'e>>], chosen: &mut Vec<&'l Leaf<'e>>) -> bool {
    let Some((first, rest)) = fields.split_first() else {
        return true;
    };
    for leaf in first {
        if chosen.iter().all(|c| consistent(c, leaf)) {
            chosen.push(leaf);
            if choose(rest, chosen) {
                return true;
            }
            chosen.pop();
        }
    }
    false
}

fn array_id(v: &Value) -> usize {
    v as *const Value as usize
}

fn collect_in_object<'e>(
    obj: &'e Map<String, Value>,
    path: &str,
    trail: &mut Vec<(usize, usize)>,
    out: &mut Vec<Leaf<'e>>,
) {
    for (key, child) in obj {
        if key == path {
            leaves_of(child, trail, out);
        } else if let Some(rest) = path
            .strip_prefix(key.as_str())
            .and_then(|r| r.strip_prefix('.'))
        {
            descend(child, rest, trail, out);
        }
    }
}

fn descend<'e>(v: &'e Value, path: &str, trail: &mut Vec<(usize, usize)>, out: &mut Vec<Leaf<'e>>) {
    match v {
        Value::Object(m) => collect_in_object(m, path, trail, out),
        Value::Array(items) => {
            let id = array_id(v);
            for (i, item) in items.iter().enumerate() {
                trail.push((id, i));
                descend(item, path, trail, out);
                trail.pop();
            }
        }
        _ => {}
    }
}

/// The primitive values at the end of a path: the value itself, or the primitives inside it
/// when it is an array (at any depth). Objects hold no value of their own.
fn leaves_of<'e>(v: &'e Value, trail: &mut Vec<(usize, usize)>, out: &mut Vec<Leaf<'e>>) {
    match v {
        Value::Object(_) => {}
        Value::Array(items) => {
            let id = array_id(v);
            for (i, item) in items.iter().enumerate() {
                trail.push((id, i));
                leaves_of(item, trail, out);
                trail.pop();
            }
        }
        _ => out.push(Leaf {
            value: v,
            trail: trail.clone(),
        }),
    }
}
