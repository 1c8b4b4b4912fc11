//! `variableReferences` of DescribeStateMachine: for each state (nested ones included, by
//! name), the sorted names of the workflow variables its fields read. A reference is a
//! `$name` at the start of a JSONPath field (`InputPath`, `...Path`, a Choice `Variable`, a
//! `.$` template value), a `$name` argument of an intrinsic call, or a `$name` read in a
//! JSONata `{% %}` expression (not a function call, not `$states`, not a name the
//! expression binds itself with `:=`).

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The references of a definition (JSON text); empty when it does not parse.
pub fn variable_references(definition: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    if let Ok(Value::Object(root)) = serde_json::from_str::<Value>(definition) {
        machine(&root, &mut out);
    }
    out
}

fn machine(m: &Map<String, Value>, out: &mut BTreeMap<String, Vec<String>>) {
    let Some(Value::Object(states)) = m.get("States") else {
        return;
    };
    for (name, state) in states {
        let Value::Object(state) = state else {
            continue;
        };
        let mut names = BTreeSet::new();
        fields(state, &mut names);
        if !names.is_empty() {
            out.insert(name.clone(), names.into_iter().collect());
        }
        if let Some(Value::Array(branches)) = state.get("Branches") {
            for b in branches.iter().filter_map(Value::as_object) {
                machine(b, out);
            }
        }
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(Value::Object(p)) = state.get(key) {
                machine(p, out);
            }
        }
    }
}

/// The references in one object's fields; nested machines are left to `machine`.
fn fields(o: &Map<String, Value>, names: &mut BTreeSet<String>) {
    for (key, value) in o {
        if matches!(key.as_str(), "Branches" | "ItemProcessor" | "Iterator") {
            continue;
        }
        match value {
            Value::String(s) => {
                let dynamic = key.ends_with(".$")
                    || key.ends_with("Path")
                    || key == "Variable"
                    || key == "ItemsPath";
                if let Some(expr) = s.strip_prefix("{%").and_then(|r| r.strip_suffix("%}")) {
                    jsonata_refs(expr, names);
                } else if dynamic {
                    path_refs(s, names);
                }
            }
            Value::Object(inner) => fields(inner, names),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Object(inner) => fields(inner, names),
                        Value::String(s) => {
                            if let Some(expr) =
                                s.strip_prefix("{%").and_then(|r| r.strip_suffix("%}"))
                            {
                                jsonata_refs(expr, names);
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `$name` tokens outside quoted strings, with whether a `(` follows each.
fn tokens(text: &str, quotes: &[char]) -> Vec<(String, bool, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            if c == '\\' {
                i += 2;
                continue;
            }
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if quotes.contains(&c) {
            quote = Some(c);
            i += 1;
            continue;
        }
        if c == '$' && chars.get(i + 1).is_some_and(|n| is_ident(*n)) {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && is_ident(chars[end]) {
                end += 1;
            }
            let name: String = chars[start..end].iter().collect();
            let mut j = end;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            let called = chars.get(j) == Some(&'(');
            found.push((name, called, j));
            i = end;
            continue;
        }
        i += 1;
    }
    found
}

/// A JSONPath (`$name...`) or an intrinsic call whose arguments may be `$name...`.
fn path_refs(text: &str, names: &mut BTreeSet<String>) {
    for (name, _, _) in tokens(text, &['\'']) {
        names.insert(name);
    }
}

fn jsonata_refs(expr: &str, names: &mut BTreeSet<String>) {
    let toks = tokens(expr, &['\'', '"']);
    let chars: Vec<char> = expr.chars().collect();
    // Names the expression binds itself (`$x := ...`, lambda parameters) are its own.
    let mut own = BTreeSet::new();
    for (name, _, after) in &toks {
        if chars.get(*after) == Some(&':') && chars.get(*after + 1) == Some(&'=') {
            own.insert(name.clone());
        }
    }
    let mut rest = expr;
    while let Some(pos) = rest.find("function") {
        let after = rest[pos + "function".len()..].trim_start();
        if let Some(params) = after.strip_prefix('(') {
            let params = params.split(')').next().unwrap_or_default();
            for (name, _, _) in tokens(params, &[]) {
                own.insert(name);
            }
        }
        rest = &rest[pos + "function".len()..];
    }
    for (name, called, _) in toks {
        if called || name == "states" || own.contains(&name) {
            continue;
        }
        names.insert(name);
    }
}

#[cfg(test)]
mod tests {
    use super::variable_references;

    #[test]
    fn references_in_paths_templates_intrinsics_and_jsonata() {
        let def = r#"{"StartAt": "A", "States": {
            "A": {"Type": "Pass", "InputPath": "$x", "Parameters": {"a.$": "States.Format('{} $no', $y.z)", "b": "$lit"}, "Next": "M"},
            "M": {"Type": "Map", "ItemsPath": "$list", "ItemProcessor": {"StartAt": "I", "States": {
                "I": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $f := function($v){$v}; $f($outer) & $states.input & $string($n) %}", "End": true}}},
                "End": true}}}"#;
        let refs = variable_references(def);
        assert_eq!(refs["A"], vec!["x", "y"]);
        assert_eq!(refs["M"], vec!["list"]);
        assert_eq!(refs["I"], vec!["n", "outer"]);
    }
}
