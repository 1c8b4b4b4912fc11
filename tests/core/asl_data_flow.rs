//! Conformance of the JSONPath data flow (paths, payload templates, intrinsic functions,
//! ResultPath) against executions recorded on AWS: every pure execution case in
//! `../shared/conformance/sfn/cases/` whose definition is a chain of Pass states without
//! JSONata or variables, run by the interpreter (`run_to_end`), and the TestState cases of a
//! JSONPath Pass state, run by TestState's entry (`test_state::run`): both drive the
//! interpreter's one per-state pipeline.

use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use stepyard::asl::errors::StatesError;
use stepyard::asl::interp::callbacks::TaskBoard;
use stepyard::asl::interp::map_runs::MapRuns;
use stepyard::asl::interp::test_state::{self, InspectionLevel, TestRun};
use stepyard::asl::interp::{self, ExecutionRecord, ExecutionSpec, SharedRecord, Status};
use stepyard::asl::jsonpath::JsonPath;
use stepyard::asl::parse::{parse_definition, parse_state_definition, MachineType};
use stepyard::asl::payload::Template;
use stepyard::clock::Clock;

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/conformance/sfn/cases"
);

/// Cases known to pass; raise it when more pass, never lower it.
const FLOOR: usize = 182;
/// TestState cases known to pass.
const TEST_STATE_FLOOR: usize = 12;

const STATE_MACHINE: &str = "sm-conformance";
const EXECUTION: &str = "exec-conformance";

#[tokio::test]
async fn pass_state_cases_match_aws() {
    let dir = Path::new(CASES);
    if !dir.is_dir() {
        crate::common::conformance::absent("sfn/cases", dir);
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();

    let (mut passed, mut failed, mut skipped) = (0usize, Vec::new(), 0usize);
    for file in files {
        let Some(case) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        else {
            continue;
        };
        if !is_pass_chain_case(&case) {
            continue;
        }
        if case["expected_status"].is_null() {
            skipped += 1; // the execution never started (API error cases)
            continue;
        }
        let id = case["id"].as_str().unwrap_or("?").to_string();
        match check(&case).await {
            Ok(()) => passed += 1,
            Err(why) => failed.push(format!("{id}: {why}")),
        }
    }
    for f in &failed {
        eprintln!("FAIL {f}");
    }
    eprintln!(
        "{passed} passed, {} failed ({skipped} without a terminal status skipped)",
        failed.len()
    );
    crate::common::conformance::checked("sfn Pass data flow", passed + failed.len());
    assert!(
        passed >= FLOOR,
        "{passed} passed, below the floor of {FLOOR}"
    );
}

fn is_pass_chain_case(case: &Value) -> bool {
    if case["kind"] != "execution" {
        return false;
    }
    let needs_ok = case["needs"]
        .as_array()
        .is_none_or(|n| n.iter().all(|x| x == "express"));
    let def = &case["definition"];
    let Some(states) = def["States"].as_object() else {
        return false;
    };
    let text = def.to_string();
    needs_ok
        && !states.is_empty()
        && states.values().all(|s| s["Type"] == "Pass")
        && !text.contains("\"QueryLanguage\"")
        && !text.contains("\"Assign\"")
}

async fn check(case: &Value) -> Result<(), String> {
    let def = &case["definition"];
    let input = case.get("input").cloned().unwrap_or(json!({}));
    let express = case["state_machine_type"] == "EXPRESS";
    let outcome = run_chain(def, &input, express).await?;
    let status = case["expected_status"].as_str().unwrap_or("");
    match (status, outcome) {
        ("SUCCEEDED", Ok(output)) => {
            let mut expected = case["expected_output"].clone();
            if case["expected_output_encoding"] == "json-text" {
                if let Some(text) = expected.as_str() {
                    expected = serde_json::from_str(text).map_err(|e| e.to_string())?;
                }
            }
            if matches(&expected, &output) {
                Ok(())
            } else {
                Err(format!("output {output} != expected {expected}"))
            }
        }
        ("FAILED", Err(err)) => {
            let want_error = case["expected_error"].as_str().unwrap_or("");
            let want_cause = case["expected_cause"].as_str().unwrap_or("");
            if err.error == want_error && matches(&json!(want_cause), &json!(err.cause)) {
                Ok(())
            } else {
                Err(format!(
                    "failed with {} / {:?}, expected {want_error} / {want_cause:?}",
                    err.error, err.cause
                ))
            }
        }
        (s, Ok(output)) => Err(format!("succeeded with {output}, expected {s}")),
        (s, Err(err)) => Err(format!("failed with {err}, expected {s}")),
    }
}

fn context(input: &Value, express: bool) -> Value {
    // EXPRESS executions have ids of their own shape: `express:<machine>:<name>:<uuid>`.
    let id = if express {
        format!("arn:aws:states:us-east-1:111111111111:express:{STATE_MACHINE}:{EXECUTION}:6f9c1f1e-8a43-4b1e-9a55-0d5b1f0e2c3d")
    } else {
        format!("arn:aws:states:us-east-1:111111111111:execution:{STATE_MACHINE}:{EXECUTION}")
    };
    json!({
        "Execution": {
            "Id": id,
            "Input": input,
            "StartTime": "2026-01-01T00:00:00.000Z",
            "Name": EXECUTION,
            "RoleArn": "arn:aws:iam::111111111111:role/sfn",
            "RedriveCount": 0,
        },
        "StateMachine": {
            "Id": format!("arn:aws:states:us-east-1:111111111111:stateMachine:{STATE_MACHINE}"),
            "Name": STATE_MACHINE,
        },
    })
}

/// Runs the chain as an execution; `Err` of the outer result when it could not run.
async fn run_chain(
    def: &Value,
    input: &Value,
    express: bool,
) -> Result<Result<Value, StatesError>, String> {
    let machine = parse_definition(&def.to_string()).map_err(|e| format!("parse: {e}"))?;
    let spec = ExecutionSpec {
        machine: Arc::new(machine),
        input: input.clone(),
        input_text: None,
        context: context(input, express),
        clock: Clock::new(),
        board: TaskBoard::new(),
        map_runs: MapRuns::new(),
        redrivable: false,
        tasks: None,
    };
    let record: SharedRecord = Arc::new(Mutex::new(ExecutionRecord::default()));
    interp::run_to_end(spec, record.clone()).await;
    let rec = record.lock();
    match rec.status {
        Status::Succeeded => Ok(Ok(rec.output_value().unwrap_or(Value::Null))),
        Status::Failed => Ok(Err(StatesError::new(
            rec.error.clone().unwrap_or_default(),
            rec.cause.clone().unwrap_or_default(),
        ))),
        other => Err(format!("ended {}", other.as_str())),
    }
}

/// TestState of one state, as the service runs it (DEBUG level, no mock).
async fn test_state_of(def: &Value, input: Value) -> Result<Map<String, Value>, String> {
    let state = parse_state_definition(&def.to_string(), MachineType::Standard)
        .map_err(|e| format!("parse: {e}"))?;
    let answer = test_state::run(TestRun {
        state,
        context: context(&input, false),
        input,
        level: InspectionLevel::Debug,
        mock: None,
        retry_count: 0,
        map_iteration_failure_count: None,
        variables: Map::new(),
        clock: Clock::new(),
        board: TaskBoard::new(),
        tasks: None,
    })
    .await?;
    match serde_json::to_value(&answer) {
        Ok(Value::Object(o)) => Ok(o),
        other => Err(format!("answer {other:?}")),
    }
}

/// A member of TestState's answer that holds JSON text, as the JSON.
fn json_member(answer: &Map<String, Value>, key: &str) -> Value {
    answer
        .get(key)
        .and_then(Value::as_str)
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null)
}

/// TestState cases on a JSONPath Pass state: the output and the inspection data.
#[tokio::test]
async fn test_state_pass_cases_match_aws() {
    let dir = Path::new(CASES);
    if !dir.is_dir() {
        crate::common::conformance::absent("sfn/cases", dir);
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let (mut passed, mut failed) = (0usize, Vec::new());
    for file in files {
        let Some(case) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        else {
            continue;
        };
        let req = &case["request"];
        let def = &req["definition"];
        let text = def.to_string();
        if case["kind"] != "test_state"
            || def["Type"] != "Pass"
            || text.contains("JSONata")
            || text.contains("\"Assign\"")
            || case["expected_response"]["status"] != "SUCCEEDED"
        {
            continue;
        }
        let id = case["id"].as_str().unwrap_or("?").to_string();
        let expected = &case["expected_response"];
        let input = req["input"].clone();
        let verdict = match test_state_of(def, input).await {
            Err(e) => Err(format!("failed with {e}")),
            Ok(answer) => {
                let empty = Map::new();
                let data = answer
                    .get("inspectionData")
                    .and_then(Value::as_object)
                    .unwrap_or(&empty);
                let inspection = &expected["inspectionData"];
                let checks = [
                    (
                        "output",
                        &expected["output"],
                        json_member(&answer, "output"),
                    ),
                    (
                        "afterInputPath",
                        &inspection["afterInputPath"],
                        json_member(data, "afterInputPath"),
                    ),
                    (
                        "afterParameters",
                        &inspection["afterParameters"],
                        json_member(data, "afterParameters"),
                    ),
                    (
                        "afterResultPath",
                        &inspection["afterResultPath"],
                        json_member(data, "afterResultPath"),
                    ),
                ];
                checks
                    .iter()
                    .filter(|(_, want, _)| !want.is_null())
                    .find(|(_, want, got)| !matches(want, got))
                    .map_or(Ok(()), |(what, want, got)| {
                        Err(format!("{what}: {got} != {want}"))
                    })
            }
        };
        match verdict {
            Ok(()) => passed += 1,
            Err(why) => failed.push(format!("{id}: {why}")),
        }
    }
    for f in &failed {
        eprintln!("FAIL {f}");
    }
    eprintln!("test_state: {passed} passed, {} failed", failed.len());
    crate::common::conformance::checked("sfn TestState on Pass", passed + failed.len());
    assert!(
        passed >= TEST_STATE_FLOOR,
        "{passed} passed, below the floor of {TEST_STATE_FLOOR}"
    );
}

/// Snapshot placeholders that stand for any value: the README's normalised values plus the
/// test-specific replacements these cases use.
const WILDCARDS: &[&str] = &[
    "date",
    "timestamp",
    "datetime",
    "snf_role_arn",
    "sfn_role_arn",
    "start-time",
    "entered-time",
    "RandomNumberGenerated",
    "generated-uuid",
];

fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(e), _) if WILDCARDS.contains(&e.as_str()) => true,
        (Value::String(e), Value::String(a)) => glob(e, a),
        (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| matches(x, y))
        }
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|av| matches(v, av)))
        }
        _ => expected == actual,
    }
}

/// `<anything>` in the expected text matches one or more characters.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts: Vec<&str> = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('<') {
        match rest[open..].find('>') {
            Some(close) => {
                parts.push(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    if parts.is_empty() {
        return pattern == text;
    }
    parts.push(rest);
    glob_parts(&parts, text)
}

fn glob_parts(parts: &[&str], text: &str) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return text.is_empty();
    };
    let Some(after) = text.strip_prefix(first) else {
        return false;
    };
    if rest.is_empty() {
        return after.is_empty();
    }
    // A wildcard follows `first`: try every non-empty span for it.
    after
        .char_indices()
        .skip(1)
        .map(|(i, _)| i)
        .chain(std::iter::once(after.len()))
        .filter(|&i| i > 0)
        .any(|i| glob_parts(rest, &after[i..]))
}

#[test]
fn glob_placeholders() {
    assert!(glob("a <x> b", "a 123 b"));
    assert!(glob("<x>", "anything"));
    assert!(!glob("<x>", ""));
    assert!(glob("arn:<p>:states:<r>:1", "arn:aws:states:us-east-1:1"));
    assert!(!glob("arn:<p>:x", "arn:aws:y"));
    assert!(glob("plain", "plain"));
}

/// Every path, payload template and intrinsic call in the definitions of the executions AWS
/// ran (JSONPath states only) compiles.
#[test]
fn every_path_and_template_in_recorded_executions_compiles() {
    let dir = Path::new(CASES);
    if !dir.is_dir() {
        eprintln!("skipping: no conformance data at {CASES}");
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let (mut checked, mut failures) = (0usize, Vec::new());
    for file in files {
        let Some(case) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        else {
            continue;
        };
        let ran = case["kind"] == "execution"
            && matches!(
                case["expected_status"].as_str(),
                Some("SUCCEEDED" | "FAILED")
            );
        if !ran || case["definition"].to_string().contains("JSONata") {
            continue;
        }
        let id = case["id"].as_str().unwrap_or("?");
        compile_all(&case["definition"], id, &mut checked, &mut failures);
    }
    for f in &failures {
        eprintln!("DOES NOT COMPILE {f}");
    }
    eprintln!(
        "{checked} paths/templates compiled, {} failed",
        failures.len()
    );
    assert!(failures.is_empty());
}

fn compile_all(v: &Value, id: &str, checked: &mut usize, failures: &mut Vec<String>) {
    let Value::Object(o) = v else {
        if let Value::Array(a) = v {
            a.iter().for_each(|x| compile_all(x, id, checked, failures));
        }
        return;
    };
    for (key, value) in o {
        let is_template = matches!(
            key.as_str(),
            "Parameters" | "ResultSelector" | "ItemSelector"
        );
        let is_path = matches!(
            key.as_str(),
            "InputPath" | "OutputPath" | "ResultPath" | "ItemsPath" | "Variable"
        ) || (key.ends_with("Path") && key != "CausePath" && key != "ErrorPath");
        match value {
            _ if is_template => {
                *checked += 1;
                if let Err(e) = Template::compile(value) {
                    failures.push(format!("{id}: {key}: {e}"));
                }
            }
            Value::String(p) if is_path => {
                *checked += 1;
                if let Err(e) = JsonPath::parse(p) {
                    failures.push(format!("{id}: {key}: {e}"));
                }
            }
            Value::String(p) if key == "CausePath" || key == "ErrorPath" => {
                *checked += 1;
                let ok = if stepyard::asl::intrinsics::is_intrinsic(p) {
                    stepyard::asl::intrinsics::parse(p)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                } else {
                    JsonPath::parse(p).map(|_| ()).map_err(|e| e.to_string())
                };
                if let Err(e) = ok {
                    failures.push(format!("{id}: {key}: {e}"));
                }
            }
            _ => compile_all(value, id, checked, failures),
        }
    }
}
