//! Replays the recorded API error cases of `../shared/conformance/sfn/cases` (kinds
//! `api_error:*`, `create_error`, `update_error`) over raw awsJson HTTP, so that requests the
//! SDK could not even build (nulls, out-of-range numbers) reach the server as recorded.
//!
//! The recordings hold only the failing call, not the calls that set it up, so each case gets
//! its setup from what it references: every state machine named in the request is created
//! (EXPRESS when its name says so) with as many versions as the highest version referenced,
//! unless the case expects the machine not to exist; a few cases need an alias, an existing
//! machine or an Express execution, recognised from their expected message. `${FAKE:...}`
//! placeholders of the harness become stepyard values. Expected messages are compared with
//! the snapshot's placeholders (`<...>`, `sm_nonexistent_arn`, ...) as wildcards; a botocore
//! `ParamValidationError` (client-side) must be a server `ValidationException`.

use crate::client::ROLE;
use crate::common::{self, Tally};
use crate::snapshot::{normalise, pattern, snapshot_difference, wildcard_match, RECORDED_ACCOUNT};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Cases passing today; the floor only goes up.
const FLOOR: usize = 203;

const FAKE_MACHINE: &str = "fake_machine";

pub fn cases_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/conformance/sfn/cases"
    ));
    if dir.is_dir() {
        Some(dir)
    } else {
        common::conformance::absent("sfn/cases", &dir);
        None
    }
}

/// `create_state_machine_alias` -> `CreateStateMachineAlias`.
fn operation_name(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The expected (code, message); `None` as message means "any message".
pub fn expected_error(response: &Value) -> Option<(String, Option<String>)> {
    let inner = match response {
        Value::Object(map) if !map.contains_key("Error") && map.len() == 1 => {
            map.values().next()?.clone()
        }
        other => other.clone(),
    };
    if let Some(error) = inner.get("Error") {
        return Some((
            error.get("Code")?.as_str()?.to_string(),
            error
                .get("Message")
                .and_then(Value::as_str)
                .map(String::from),
        ));
    }
    if let Some(typename) = inner.get("exception_typename").and_then(Value::as_str) {
        let value = inner
            .get("exception_value")
            .and_then(Value::as_str)
            .unwrap_or("");
        return Some(from_text(typename, value));
    }
    let text = inner.as_str()?;
    if let Some(rest) = text.strip_prefix("An error occurred (") {
        let (code, _) = rest.split_once(')')?;
        return Some(from_text(code, text));
    }
    if text.starts_with("Parameter validation failed") {
        return Some(("ValidationException".into(), None));
    }
    // A bare code ("InvalidDefinition").
    Some((text.to_string(), None))
}

fn from_text(code: &str, text: &str) -> (String, Option<String>) {
    if code == "ParamValidationError" {
        return ("ValidationException".into(), None);
    }
    let message = text
        .split_once(" operation: ")
        .map(|(_, m)| m.to_string())
        .or_else(|| (!text.is_empty()).then(|| text.to_string()));
    (code.to_string(), message)
}

pub struct Raw {
    pub http: reqwest::Client,
    pub endpoint: String,
}

impl Raw {
    /// One awsJson call: (`__type` without namespace, message) on error, `Ok(body)` otherwise.
    pub async fn call(&self, operation: &str, body: &Value) -> Result<Value, (String, String)> {
        let response = self
            .http
            .post(&self.endpoint)
            .header("Content-Type", "application/x-amz-json-1.0")
            .header("X-Amz-Target", format!("AWSStepFunctions.{operation}"))
            .header(
                "Authorization",
                common::sigv4_header(common::REGION, "states"),
            )
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| ("<transport>".to_string(), e.to_string()))?;
        let ok = response.status().is_success();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if ok {
            return Ok(body);
        }
        let code = body["__type"].as_str().unwrap_or("<none>");
        let code = code.rsplit('#').next().unwrap_or(code).to_string();
        let message = body["message"]
            .as_str()
            .or_else(|| body["Message"].as_str())
            .unwrap_or("")
            .to_string();
        Err((code, message))
    }

    /// A setup call: best effort, since a case may expect the very failure setup runs into
    /// (the case then fails on its own call, with a readable message).
    async fn must(&self, operation: &str, body: Value) -> Value {
        match self.call(operation, &body).await {
            Ok(out) => out,
            Err((code, message)) => {
                println!("  setup {operation} {body} failed: {code}: {message}");
                Value::Null
            }
        }
    }
}

fn pass_definition(tag: &str) -> String {
    json!({"StartAt": "S", "States": {"S": {"Type": "Pass", "Result": tag, "End": true}}})
        .to_string()
}

fn local_arn(resource: &str) -> String {
    format!(
        "arn:aws:states:{}:{}:{resource}",
        common::REGION,
        common::ACCOUNT
    )
}

/// The request with the harness's placeholders and account replaced.
fn prepared_request(kind: &str, request: &Value) -> Value {
    let text = request
        .to_string()
        .replace(RECORDED_ACCOUNT, common::ACCOUNT);
    // A fake version ARN stands for another version of the machine the request names (the
    // recordings show `:2` next to `:1`, and `:3` for a second fake), or of a machine of its
    // own.
    let mut named = BTreeMap::new();
    referenced_machines(request_as_local(&text).as_ref(), &mut named);
    let fake_version = |n: u64| match named.keys().next() {
        Some(machine) => local_arn(&format!("stateMachine:{machine}:{}", n + 2)),
        None if kind == "api_error:tag_resource" => {
            local_arn(&format!("stateMachine:{FAKE_MACHINE}:{}", n + 1))
        }
        None => local_arn(&format!("stateMachine:{FAKE_MACHINE}:{}", n + 2)),
    };
    let mut parts = text.split("${FAKE:stateMachineVersionArn}");
    let mut text = parts.next().unwrap_or_default().to_string();
    for (n, part) in parts.enumerate() {
        text.push_str(&fake_version(n as u64));
        text.push_str(part);
    }
    let text = text
        .replace(
            "${FAKE:activityArn}",
            &local_arn("activity:deleted_activity"),
        )
        .replace(
            "${FAKE:create_activity()[activityArn]}",
            &local_arn("activity:an_activity"),
        )
        .replace("${FAKE:revisionId}", "00000000-0000-0000-0000-000000000000");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("re-reading {text}: {e}"))
}

fn request_as_local(text: &str) -> Box<Value> {
    Box::new(serde_json::from_str(text).unwrap_or(Value::Null))
}

/// Every `stateMachine:<name>[:<qualifier>]` ARN in `value`: machine -> highest version.
fn referenced_machines(value: &Value, found: &mut BTreeMap<String, u64>) {
    match value {
        Value::String(s) => {
            if let Some(rest) = s.strip_prefix(&local_arn("stateMachine:")) {
                let mut parts = rest.split(':');
                let name = parts.next().unwrap_or_default().to_string();
                let version = parts.next().and_then(|q| q.parse().ok()).unwrap_or(0);
                let entry = found.entry(name).or_insert(0);
                *entry = (*entry).max(version);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| referenced_machines(v, found)),
        Value::Object(map) => map.values().for_each(|v| referenced_machines(v, found)),
        _ => {}
    }
}

/// Creates what the case refers to, and returns the request to send.
async fn set_up(raw: &Raw, kind: &str, request: Value, code: &str, message: &str) -> Value {
    let mut request = request;
    let mut machines = BTreeMap::new();
    referenced_machines(&request, &mut machines);
    if let Some(arn) = request["stateMachineArn"].as_str() {
        // Make sure the update/alias target machine itself is known too.
        let mut found = BTreeMap::new();
        referenced_machines(&json!(arn), &mut found);
        machines.extend(found);
    }
    let absent_expected = code == "StateMachineDoesNotExist" && kind != "update_error";
    if !absent_expected {
        for (name, versions) in &machines {
            let kind = if name.starts_with("express") {
                "EXPRESS"
            } else {
                "STANDARD"
            };
            let arn = raw
                .must(
                    "CreateStateMachine",
                    json!({"name": name, "definition": pass_definition("v0"),
                           "roleArn": ROLE, "type": kind}),
                )
                .await["stateMachineArn"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            for v in 1..=*versions {
                raw.must(
                    "UpdateStateMachine",
                    json!({"stateMachineArn": arn, "definition": pass_definition(&format!("v{v}")),
                           "publish": true}),
                )
                .await;
            }
        }
    }
    // Cases whose setup is more than "the machine exists".
    if code == "StateMachineAlreadyExists" {
        raw.must(
            "CreateStateMachine",
            json!({"name": request["name"], "definition": pass_definition("other"),
                   "roleArn": ROLE}),
        )
        .await;
    }
    if message.starts_with("Failed to create alias") {
        let mut original = request.clone();
        original["description"] = "the original alias".into();
        raw.must("CreateStateMachineAlias", original).await;
    }
    if message.contains("referenced by an alias") {
        let alias = message
            .rsplit('[')
            .next()
            .unwrap_or_default()
            .trim_end_matches(']');
        raw.must(
            "CreateStateMachineAlias",
            json!({"name": alias, "routingConfiguration": [
                {"stateMachineVersionArn": request["stateMachineVersionArn"], "weight": 100}]}),
        )
        .await;
    }
    if message.contains("context: express") {
        // The recording normalised an Express execution ARN into a Standard-looking one:
        // start a real Express execution and ask about it instead.
        let machine = machines.keys().next().cloned().unwrap_or_else(|| {
            let arn = request["executionArn"].as_str().unwrap_or_default();
            arn.split(':').nth(6).unwrap_or("express").to_string()
        });
        let machine_arn = local_arn(&format!("stateMachine:{machine}"));
        if raw
            .call(
                "DescribeStateMachine",
                &json!({"stateMachineArn": machine_arn}),
            )
            .await
            .is_err()
        {
            raw.must(
                "CreateStateMachine",
                json!({"name": machine, "definition": pass_definition("x"),
                       "roleArn": ROLE, "type": "EXPRESS"}),
            )
            .await;
        }
        let started = raw
            .must(
                "StartExecution",
                json!({"stateMachineArn": machine_arn, "name": "exec1"}),
            )
            .await;
        request["executionArn"] = started["executionArn"].clone();
    }
    if kind == "create_error" {
        if let Some(definition) = request.get("definition").filter(|d| !d.is_string()) {
            request["definition"] = definition.to_string().into();
        }
        if request.get("roleArn").is_none() {
            request["roleArn"] = ROLE.into();
        }
    }
    if kind == "update_error" {
        if let Some(definition) = request
            .get("definition")
            .filter(|d| !d.is_string() && !d.is_null())
        {
            request["definition"] = definition.to_string().into();
        }
    }
    request
}

#[tokio::test]
async fn recorded_api_errors_are_answered_like_aws() {
    let Some(dir) = cases_dir() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let server = common::start().await;
    let raw = Raw {
        http: reqwest::Client::new(),
        endpoint: server.endpoint(),
    };
    let mut tally = Tally::default();
    let mut by_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for path in files {
        let case = common::read_json(&path);
        let kind = case["kind"].as_str().unwrap_or_default().to_string();
        let operation = match kind.as_str() {
            "create_error" => "CreateStateMachine".to_string(),
            "update_error" => "UpdateStateMachine".to_string(),
            k => match k.strip_prefix("api_error:") {
                Some(op) => operation_name(op),
                None => continue,
            },
        };
        let id = case["id"].as_str().unwrap_or_default().to_string();
        let Some((code, message)) = expected_error(&case["expected_response"]) else {
            tally.check(&id, false, || "no expected error in the recording".into());
            continue;
        };
        // The Map `Label` recordings hold LocalStack's own wording (`Error=ValueError ...`,
        // never validated against AWS, see the corpus README): only their code is AWS's.
        let message = message
            .filter(|m| !m.starts_with("Error=ValueError"))
            .map(|m| m.replace(RECORDED_ACCOUNT, common::ACCOUNT));
        // Every case starts from an empty server.
        server.state().reset(None);
        let request = prepared_request(&kind, &case["request"]);
        let request = set_up(
            &raw,
            &kind,
            request,
            &code,
            message.as_deref().unwrap_or(""),
        )
        .await;
        let outcome = raw.call(&operation, &request).await;
        let ok = match &outcome {
            Ok(_) => false,
            Err((actual_code, actual_message)) => {
                *actual_code == code
                    && message
                        .as_deref()
                        .is_none_or(|m| wildcard_match(&pattern(m), actual_message))
            }
        };
        let counts = by_kind.entry(kind.clone()).or_default();
        if ok {
            counts.0 += 1;
        } else {
            counts.1 += 1;
        }
        tally.check(&id, ok, || {
            format!("{operation}: expected {code}: {message:?}, got {outcome:?}")
        });
    }
    for (kind, (passed, failed)) in &by_kind {
        println!("  {kind}: {passed} passed, {failed} failed");
    }
    finish_with_known_failures(tally);
}

/// Like `Tally::finish`, but failures only fail the test when fewer than `FLOOR` passed: some
/// recordings cannot be reproduced (see the report of each failure).
fn finish_with_known_failures(tally: Tally) {
    common::conformance::checked("sfn api errors", tally.passed + tally.failed.len());
    println!(
        "sfn api error conformance: {} passed, {} failed",
        tally.passed,
        tally.failed.len()
    );
    for failure in &tally.failed {
        println!("  FAILED {failure}");
    }
    assert!(
        tally.passed >= FLOOR,
        "{} passed, below the floor of {FLOOR}",
        tally.passed
    );
}

/// ValidateStateMachineDefinition's recorded answers: result, diagnostics and truncation.
#[tokio::test]
async fn recorded_definition_validations_match() {
    let Some(dir) = cases_dir() else { return };
    let server = common::start().await;
    let raw = Raw {
        http: reqwest::Client::new(),
        endpoint: server.endpoint(),
    };
    let mut tally = Tally::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for path in files {
        let case = common::read_json(&path);
        if case["kind"] != "validate_definition" {
            continue;
        }
        let id = case["id"].as_str().unwrap_or_default().to_string();
        let mut request = case["request"].clone();
        if let Some(definition) = request.get("definition").filter(|d| !d.is_string()) {
            request["definition"] = definition.to_string().into();
        }
        let mut expected = case["expected_response"].clone();
        if let Value::Object(map) = &mut expected {
            map.remove("ResponseMetadata");
        }
        let actual = raw.call("ValidateStateMachineDefinition", &request).await;
        let ok = actual.as_ref().is_ok_and(|a| *a == expected);
        tally.check(&id, ok, || format!("expected {expected}, got {actual:?}"));
    }
    // Every recorded validation passes today.
    tally.finish("sfn validate_definition conformance", 12);
}

/// StartSyncExecution's recorded responses, for the cases that need nothing but Express.
#[tokio::test]
async fn recorded_sync_executions_match() {
    let Some(dir) = cases_dir() else { return };
    let server = common::start().await;
    let raw = Raw {
        http: reqwest::Client::new(),
        endpoint: server.endpoint(),
    };
    let mut tally = Tally::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for path in files {
        let case = common::read_json(&path);
        if case["kind"] != "sync_execution" || case["needs"] != json!(["express"]) {
            continue;
        }
        let id = case["id"].as_str().unwrap_or_default().to_string();
        server.state().reset(None);
        let created = raw
            .must(
                "CreateStateMachine",
                json!({"name": "sync_machine", "definition": case["definition"].to_string(),
                       "roleArn": ROLE, "type": case["state_machine_type"]}),
            )
            .await;
        let request = json!({"stateMachineArn": created["stateMachineArn"],
                             "input": case["input"].to_string()});
        let outcome = raw.call("StartSyncExecution", &request).await;
        let Some((key, expected)) = case["expected_other"]
            .as_object()
            .and_then(|m| m.iter().next())
        else {
            continue;
        };
        let difference = if key == "start_sync_execution_error" {
            let (code, message) = expected_error(expected).unwrap_or_default();
            match &outcome {
                Err((c, m)) if *c == code && message.as_deref().is_none_or(|e| e == m) => None,
                other => Some(format!("expected {code}, got {other:?}")),
            }
        } else {
            let mut expected = expected.clone();
            if let Value::Object(map) = &mut expected {
                map.remove("ResponseMetadata");
            }
            match outcome {
                Ok(actual) => snapshot_difference(&expected, &normalise(actual), "$"),
                Err(e) => Some(format!("failed: {e:?}")),
            }
        };
        tally.check(&id, difference.is_none(), || difference.unwrap_or_default());
    }
    // Every Express-only recording passes today.
    tally.finish("sfn sync execution conformance", 5);
}
