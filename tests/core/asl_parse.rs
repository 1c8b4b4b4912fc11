//! Conformance of the ASL parser/validator against the AWS-recorded corpus in
//! `../shared/conformance/sfn/cases` (see its README.md):
//! - `create_error`/`update_error` cases answered with `InvalidDefinition`: parsing fails with
//!   exactly the recorded message (the 89 Map-`Label` cases, recorded by LocalStack rather than
//!   AWS, only need to be refused);
//! - `validate_definition` cases: the diagnostics match;
//! - `execution`/`sync_execution` cases: AWS accepted the definition, so must we;
//! - `test_state` cases: the tested definition is accepted unless AWS answered
//!   `InvalidDefinition` with a definition message, which must then match.

use std::path::{Path, PathBuf};

use serde_json::Value;
use stepyard::asl::parse::{
    parse_definition_for, parse_state_definition, validate_definition_for, Diagnostic, MachineType,
    Severity,
};

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/conformance/sfn/cases"
);

/// Floors: what the parser reaches today; raise them, never lower them.
const CREATE_ERROR_FLOOR: usize = 15;
const LABEL_REFUSED_FLOOR: usize = 89;
const VALIDATE_FLOOR: usize = 12;
const EXECUTION_FLOOR: usize = 1199;
const TEST_STATE_FLOOR: usize = 151;

struct Case {
    id: String,
    body: Value,
}

fn load_cases() -> Option<Vec<Case>> {
    let dir = Path::new(CASES);
    if !dir.is_dir() {
        crate::common::conformance::absent("sfn/cases", dir);
        return None;
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut cases = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("corpus file is readable");
        let body: Value = serde_json::from_str(&text).expect("corpus file is JSON");
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        cases.push(Case { id, body });
    }
    Some(cases)
}

/// The definition as the test sent it, with `${FAKE:...}` harness placeholders replaced by
/// resources of the right shape.
fn definition_text(definition: &Value) -> String {
    let raw = match definition {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).expect("a Value serialises"),
    };
    let mut out = String::new();
    let mut rest = raw.as_str();
    while let Some(start) = rest.find("${FAKE:") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find('}') else {
            out.push_str(after);
            rest = "";
            break;
        };
        out.push_str(fake_resource(&after[..=end]));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn fake_resource(placeholder: &str) -> &'static str {
    if placeholder.contains("lambda") {
        "arn:aws:lambda:us-east-1:111111111111:function:fake"
    } else if placeholder.contains("activity") {
        "arn:aws:states:us-east-1:111111111111:activity:fake"
    } else if placeholder.contains("sns") {
        "arn:aws:sns:us-east-1:111111111111:fake"
    } else if placeholder.contains("state_machine") || placeholder.contains("stateMachine") {
        "arn:aws:states:us-east-1:111111111111:stateMachine:fake"
    } else if placeholder.contains("sqs") {
        "https://sqs.us-east-1.amazonaws.com/111111111111/fake"
    } else {
        "fake"
    }
}

fn machine_type(value: Option<&Value>) -> MachineType {
    match value.and_then(Value::as_str) {
        Some("EXPRESS") => MachineType::Express,
        _ => MachineType::Standard,
    }
}

/// Expected strings hold `<...>` normalisation placeholders (`arn:<partition>:...`): each
/// matches any non-empty text.
fn matches_normalised(expected: &str, actual: &str) -> bool {
    let mut pieces = Vec::new();
    let mut rest = expected;
    while let Some(open) = rest.find('<') {
        match rest[open..].find('>') {
            Some(close) => {
                pieces.push(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    pieces.push(rest);
    if pieces.len() == 1 {
        return expected == actual;
    }
    let Some(mut remaining) = actual.strip_prefix(pieces[0]) else {
        return false;
    };
    let last = pieces.len() - 1;
    for (i, piece) in pieces.iter().enumerate().skip(1) {
        if i == last {
            return remaining.len() > piece.len() && remaining.ends_with(piece);
        }
        match remaining.get(1..).and_then(|r| r.find(piece)) {
            Some(pos) => remaining = &remaining[1 + pos + piece.len()..],
            None => return false,
        }
    }
    true
}

/// `(code, message)` of an error response in either recorded shape.
fn expected_error(response: &Value) -> Option<(String, String)> {
    if let Some(error) = response.get("Error") {
        return Some((
            error.get("Code")?.as_str()?.to_string(),
            error.get("Message")?.as_str()?.to_string(),
        ));
    }
    let code = response.get("exception_typename")?.as_str()?.to_string();
    let value = response.get("exception_value")?.as_str()?;
    let message = value
        .split_once(" operation: ")
        .map(|(_, m)| m)
        .unwrap_or(value);
    Some((code, message.to_string()))
}

#[derive(Default)]
struct Group {
    passed: usize,
    failures: Vec<String>,
}

impl Group {
    fn record(&mut self, id: &str, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self.passed += 1,
            Err(reason) => self.failures.push(format!("{id}: {reason}")),
        }
    }

    fn report(&self, name: &str) {
        crate::common::conformance::checked(
            &format!("sfn parser: {name}"),
            self.passed + self.failures.len(),
        );
        println!(
            "{name}: {} passed, {} failed",
            self.passed,
            self.failures.len()
        );
        for failure in &self.failures {
            println!("  FAIL {failure}");
        }
    }
}

fn is_label_case(case: &Case) -> bool {
    case.id.contains("map_state_label") && case.body["last_validated_date"].is_null()
}

#[test]
fn create_and_update_errors_match_aws() {
    let Some(cases) = load_cases() else { return };
    let mut exact = Group::default();
    let mut label = Group::default();
    for case in &cases {
        let kind = case.body["kind"].as_str().unwrap_or("");
        if kind != "create_error" && kind != "update_error" {
            continue;
        }
        let Some((code, message)) = expected_error(&case.body["expected_response"]) else {
            continue;
        };
        if code != "InvalidDefinition" {
            continue;
        }
        let request = &case.body["request"];
        let text = definition_text(&request["definition"]);
        let result = parse_definition_for(&text, machine_type(request.get("type")));
        if is_label_case(case) {
            label.record(
                &case.id,
                match result {
                    Ok(_) => Err("accepted".to_string()),
                    Err(_) => Ok(()),
                },
            );
            continue;
        }
        exact.record(
            &case.id,
            match result {
                Ok(_) => Err("accepted".to_string()),
                Err(e) if matches_normalised(&message, &e.to_string()) => Ok(()),
                Err(e) => Err(format!(
                    "got {e:?}, expected {message:?}",
                    e = e.to_string()
                )),
            },
        );
    }
    exact.report("create/update InvalidDefinition (exact message)");
    label.report("Map Label cases (LocalStack-recorded; refused)");
    assert!(exact.passed >= CREATE_ERROR_FLOOR);
    assert!(label.passed >= LABEL_REFUSED_FLOOR);
}

fn diagnostic_json(d: &Diagnostic) -> Value {
    let mut v = serde_json::json!({
        "code": d.code,
        "message": d.message,
        "severity": match d.severity { Severity::Error => "ERROR", Severity::Warning => "WARNING" },
    });
    if let (Some(location), Some(map)) = (&d.location, v.as_object_mut()) {
        map.insert("location".into(), Value::String(location.clone()));
    }
    v
}

#[test]
fn validate_definition_diagnostics_match_aws() {
    let Some(cases) = load_cases() else { return };
    let mut group = Group::default();
    for case in &cases {
        if case.body["kind"].as_str() != Some("validate_definition") {
            continue;
        }
        let request = &case.body["request"];
        let text = definition_text(&request["definition"]);
        let diagnostics = validate_definition_for(&text, machine_type(request.get("type")));
        let actual: Vec<Value> = diagnostics.iter().map(diagnostic_json).collect();
        let expected = &case.body["expected_response"];
        let expected_diagnostics = expected["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let result = if diagnostics.iter().any(|d| d.severity == Severity::Error) {
            "FAIL"
        } else {
            "OK"
        };
        group.record(
            &case.id,
            if actual == expected_diagnostics && expected["result"] == result {
                Ok(())
            } else {
                Err(format!(
                    "got {}, expected {}",
                    Value::Array(actual),
                    Value::Array(expected_diagnostics)
                ))
            },
        );
    }
    group.report("validate_definition");
    assert!(group.passed >= VALIDATE_FLOOR);
}

#[test]
fn every_definition_aws_executed_is_accepted() {
    let Some(cases) = load_cases() else { return };
    let mut group = Group::default();
    for case in &cases {
        let kind = case.body["kind"].as_str().unwrap_or("");
        if kind != "execution" && kind != "sync_execution" {
            continue;
        }
        let definition = &case.body["definition"];
        if definition.is_null() {
            continue;
        }
        let text = definition_text(definition);
        let result = parse_definition_for(&text, machine_type(case.body.get("state_machine_type")));
        group.record(&case.id, result.map(|_| ()).map_err(|e| e.to_string()));
    }
    group.report("execution/sync_execution definitions accepted");
    assert!(group.passed >= EXECUTION_FLOOR);
}

#[test]
fn test_state_definitions_are_judged_like_aws() {
    let Some(cases) = load_cases() else { return };
    let mut group = Group::default();
    for case in &cases {
        if case.body["kind"].as_str() != Some("test_state") {
            continue;
        }
        let request = &case.body["request"];
        let response = &case.body["expected_response"];
        let expected = match expected_error(response) {
            Some((code, message)) if code == "InvalidDefinition" => {
                if !message.starts_with("Invalid State Machine Definition") {
                    continue; // an API rule of TestState, not of the definition
                }
                Some(message)
            }
            Some(_) => continue, // other API validation errors
            None => None,
        };
        let text = definition_text(&request["definition"]);
        let result = if request.get("stateName").is_some() {
            parse_definition_for(&text, MachineType::Standard).map(|_| ())
        } else {
            parse_state_definition(&text, MachineType::Standard).map(|_| ())
        };
        let outcome = match (result, expected) {
            (Ok(()), None) => Ok(()),
            (Err(e), None) => Err(e.to_string()),
            (Ok(()), Some(_)) => Err("accepted".to_string()),
            (Err(e), Some(m)) if matches_normalised(&m, &e.to_string()) => Ok(()),
            (Err(e), Some(m)) => Err(format!("got {:?}, expected {m:?}", e.to_string())),
        };
        group.record(&case.id, outcome);
    }
    group.report("test_state definitions");
    assert!(group.passed >= TEST_STATE_FLOOR);
}

/// Every node of every accepted definition replaced, in turn, by values of the other JSON
/// types, and every definition cut short: the parser answers (accepts or refuses) and never
/// panics.
#[test]
fn mutated_definitions_never_panic() {
    let Some(cases) = load_cases() else { return };
    let replacements = [
        Value::Null,
        Value::Bool(true),
        serde_json::json!(-1),
        serde_json::json!(1.5),
        Value::String("$$.x[".into()),
        Value::String("{% %}".into()),
        serde_json::json!([]),
        serde_json::json!({}),
    ];
    let mut definitions_tried = 0;
    let mut mutations = 0usize;
    for case in cases
        .iter()
        .filter(|c| c.body["definition"].is_object())
        .step_by(7)
    {
        let text = definition_text(&case.body["definition"]);
        let Ok(definition) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        definitions_tried += 1;
        let mut pointers = Vec::new();
        collect_pointers(&definition, String::new(), &mut pointers);
        for pointer in &pointers {
            for replacement in &replacements {
                let mut mutated = definition.clone();
                if let Some(node) = mutated.pointer_mut(pointer) {
                    *node = replacement.clone();
                }
                let text = mutated.to_string();
                let _ = parse_definition_for(&text, MachineType::Express);
                let _ = validate_definition_for(&text, MachineType::Standard);
                mutations += 1;
            }
        }
        for cut in (0..text.len()).step_by(13) {
            if text.is_char_boundary(cut) {
                let _ = validate_definition_for(&text[..cut], MachineType::Standard);
            }
        }
    }
    println!("{definitions_tried} definitions, {mutations} mutations parsed without a panic");
}

fn collect_pointers(value: &Value, pointer: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                collect_pointers(v, format!("{pointer}/{escaped}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_pointers(v, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
    if !pointer.is_empty() {
        out.push(pointer);
    }
}
