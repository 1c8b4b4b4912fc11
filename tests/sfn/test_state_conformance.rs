//! Replays the recorded TestState calls of `../shared/conformance/sfn/cases` (kind
//! `test_state`) over raw awsJson HTTP and compares status, output, error, cause, nextState
//! and inspectionData with the recording (placeholders as wildcards, JSON text compared as
//! JSON). Cases that need a real service (Lambda, API Gateway, created resources) are
//! counted as skipped; JSONata or variables cases are counted apart, each group with its floor.

use crate::common;
use crate::conformance::{cases_dir, expected_error, Raw};
use crate::snapshot::{pattern, snapshot_difference, wildcard_match, RECORDED_ACCOUNT};
use serde_json::{Map, Value};

/// Passing today, per kind; the floors only go up.
const JSONPATH_FLOOR: usize = 98;
const JSONATA_FLOOR: usize = 92;

/// Strings that hold JSON become the JSON, on both sides, so that spacing does not matter.
fn deep_parse(v: &Value) -> Value {
    match v {
        Value::String(s) => {
            let t = s.trim_start();
            let looks_json = t.starts_with('{')
                || t.starts_with('[')
                || t.starts_with('"')
                || t.parse::<f64>().is_ok();
            match serde_json::from_str::<Value>(s) {
                Ok(parsed) if looks_json => deep_parse(&parsed),
                _ => v.clone(),
            }
        }
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), deep_parse(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(deep_parse).collect()),
        other => other.clone(),
    }
}

/// The recorded request as the wire wants it: JSON members that are strings in the API.
fn wire_request(request: &Value) -> Value {
    let mut out = request.as_object().cloned().unwrap_or_default();
    for key in ["definition", "input", "context", "variables"] {
        if let Some(v) = out.get(key) {
            if !v.is_string() {
                let text = v.to_string();
                out.insert(key.into(), Value::String(text));
            }
        }
    }
    // Resources of the recording's account are the test account's here.
    let text = Value::Object(out)
        .to_string()
        .replace(RECORDED_ACCOUNT, common::ACCOUNT);
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn run_case(raw: &Raw, case: &Value) -> Result<(), String> {
    let request = wire_request(&case["request"]);
    let expected = &case["expected_response"];
    let answer = raw.call("TestState", &request).await;
    if let Some((code, message)) = expected
        .get("status")
        .is_none()
        .then(|| expected_error(expected))
        .flatten()
    {
        return match answer {
            Ok(body) => Err(format!("expected {code}, got success {body}")),
            Err((got_code, got_message)) => {
                if got_code != code {
                    return Err(format!("expected {code}, got {got_code}: {got_message}"));
                }
                match message {
                    Some(m)
                        if !wildcard_match(
                            &pattern(&m.replace(RECORDED_ACCOUNT, common::ACCOUNT)),
                            &got_message,
                        ) =>
                    {
                        Err(format!("message {got_message:?}, expected {m:?}"))
                    }
                    _ => Ok(()),
                }
            }
        };
    }
    let body = answer.map_err(|(c, m)| format!("failed with {c}: {m}"))?;
    let mut want: Map<String, Value> = expected.as_object().cloned().unwrap_or_default();
    want.remove("ResponseMetadata");
    let want = deep_parse(&Value::Object(want));
    let got = deep_parse(&body);
    match snapshot_difference(&want, &got, "") {
        None => Ok(()),
        Some(d) => Err(d),
    }
}

#[tokio::test]
async fn recorded_test_state_calls_are_answered_like_aws() {
    let Some(dir) = cases_dir() else { return };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let server = common::start().await;
    let raw = Raw {
        http: reqwest::Client::new(),
        endpoint: server.endpoint(),
    };
    let (mut path_pass, mut path_fail, mut ata_pass, mut ata_fail, mut skipped) = (0, 0, 0, 0, 0);
    for file in files {
        let Some(case) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        else {
            continue;
        };
        if case["kind"] != "test_state" {
            continue;
        }
        let needs: Vec<&str> = case["needs"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if needs.iter().any(|n| *n != "teststate-mock") {
            skipped += 1;
            continue;
        }
        let text = case["request"].to_string();
        let jsonata = text.contains("JSONata")
            || text.contains("\\\"Assign\\\"")
            || text.contains("\"Assign\"")
            || case["request"].get("variables").is_some();
        let id = case["id"].as_str().unwrap_or("?");
        let verdict = run_case(&raw, &case).await;
        match (jsonata, verdict) {
            (false, Ok(())) => path_pass += 1,
            (true, Ok(())) => ata_pass += 1,
            (false, Err(why)) => {
                path_fail += 1;
                println!("FAIL {id}: {why}");
            }
            (true, Err(why)) => {
                ata_fail += 1;
                println!("FAIL (JSONata/variables) {id}: {why}");
            }
        }
    }
    crate::common::conformance::checked(
        "sfn test_state",
        path_pass + path_fail + ata_pass + ata_fail,
    );
    println!("test_state (JSONPath): {path_pass} passed, {path_fail} failed");
    println!("test_state (JSONata/variables): {ata_pass} passed, {ata_fail} failed");
    println!("test_state: {skipped} skipped (need Lambda, API Gateway or created resources)");
    assert!(
        path_pass >= JSONPATH_FLOOR,
        "{path_pass} below the floor {JSONPATH_FLOOR}"
    );
    assert!(ata_pass >= JSONATA_FLOOR);
}
