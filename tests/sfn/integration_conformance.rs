//! Replays the recorded executions of `../shared/conformance/sfn/cases` that call our own
//! services (needs within sqs, sns, events, states, callback, activity) and the `local_mock`
//! cases (Step Functions Local mock configurations), over HTTP with the SDK, each on a fresh
//! server.
//!
//! Binding: `${FAKE:...}` placeholders become resources the test creates (a queue per
//! `sqs_create_queue()` / `events_to_sqs_queue()`, a topic per `sns_create_topic()`, an
//! activity per `create_activity()`, a function ARN per `create_lambda_function()`), the
//! recorded account becomes ours, and every state machine ARN named in the input is created
//! as a Pass machine. The upstream harness's worker is reproduced for callbacks: a message
//! carrying a `TaskToken` is answered with SendTaskSuccess whose output is the message's
//! `Message` member, and an activity worker (`BASE_ID_ACTIVITY_CONSUMER`) answers each task
//! with its input. The server's clock is moved forward while an execution waits, so that
//! TimeoutSeconds of minutes take milliseconds.
//!
//! Compared: status, error, cause, output (snapshot placeholders as wildcards;
//! `SdkHttpMetadata`/`SdkResponseMetadata`, whose header values are the wire's, only for
//! presence) and the history's event types in order. A mocked run answers what the mock
//! says, so its output is compared member by member for the members the mock returns (the
//! recording's other members came from the real service).

use crate::client::{create_machine, sfn};
use crate::common;
use crate::conformance::cases_dir;
use crate::snapshot::{normalise, pattern, snapshot_difference, wildcard_match, RECORDED_ACCOUNT};
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use stepyard::services::sfn::integrations::mock::MockConfig;
use stepyard::{Config, RunningServer, Server};

/// Cases passing today; the floor only goes up.
const FLOOR: usize = 41;

const OURS: [&str; 6] = ["sqs", "sns", "events", "states", "callback", "activity"];
const NEUTRAL: [&str; 3] = ["placeholder-resources", "express", "sync"];

fn selected(case: &Value) -> bool {
    let kind = case["kind"].as_str().unwrap_or_default();
    if kind != "execution" && kind != "sync_execution" {
        return false;
    }
    if case["local_mock"].is_object() {
        return true;
    }
    let needs: Vec<&str> = case["needs"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    needs.iter().any(|n| OURS.contains(n))
        && needs
            .iter()
            .all(|n| OURS.contains(n) || NEUTRAL.contains(n))
}

struct Bound {
    queues: Vec<String>,
    activities: Vec<String>,
}

/// Replaces the harness's placeholders with resources created on `server`.
async fn bind(server: &RunningServer, text: &str, bound: &mut Bound) -> String {
    let sqs = common::sqs(server);
    let sns = common::sns(server);
    let sfn = sfn(server);
    let mut out = String::new();
    let mut rest = text;
    let mut n = 0;
    while let Some(start) = rest.find("${FAKE:") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let token = &rest[start + 7..start + end];
        n += 1;
        let value =
            if token.starts_with("sqs_create_queue") || token.starts_with("events_to_sqs_queue") {
                let url = common::create_queue(&sqs, &format!("queue-{n}")).await;
                bound.queues.push(url.clone());
                url
            } else if token.starts_with("sns_create_topic") {
                sns.create_topic()
                    .name(format!("topic-{n}"))
                    .send()
                    .await
                    .ok()
                    .and_then(|t| t.topic_arn)
                    .unwrap_or_default()
            } else if token.starts_with("create_activity") {
                let arn = sfn
                    .create_activity()
                    .name(format!("activity-{n}"))
                    .send()
                    .await
                    .map(|a| a.activity_arn)
                    .unwrap_or_default();
                bound.activities.push(arn.clone());
                arn
            } else if token.starts_with("create_lambda_function") {
                format!(
                    "arn:aws:lambda:{}:{}:function:function-{n}",
                    common::REGION,
                    common::ACCOUNT
                )
            } else {
                format!("${{FAKE:{token}}}")
            };
        out.push_str(&value);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out.replace(RECORDED_ACCOUNT, common::ACCOUNT)
}

/// Every state machine ARN in `value` (the input names the targets of startExecution).
fn machine_names(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some((_, name)) = s.split_once(":stateMachine:") {
                let name = name.split(':').next().unwrap_or(name).to_string();
                if !found.contains(&name) {
                    found.push(name);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| machine_names(v, found)),
        Value::Object(o) => o.values().for_each(|v| machine_names(v, found)),
        _ => {}
    }
}

fn strip_sdk_metadata(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.remove("SdkHttpMetadata");
            o.remove("SdkResponseMetadata");
            o.values_mut().for_each(strip_sdk_metadata);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_sdk_metadata),
        _ => {}
    }
}

/// The recorder's bare placeholders for dates, ARNs and the queue URL, which stand for any
/// value too.
fn widen_placeholders(v: &mut Value) {
    match v {
        Value::String(s)
            if [
                "start-date",
                "stop-date",
                "execution-arn",
                "state-machine-arn",
                "sqs_queue_url",
            ]
            .contains(&s.as_str()) =>
        {
            *s = "date".into();
        }
        Value::Object(o) => o.values_mut().for_each(widen_placeholders),
        Value::Array(a) => a.iter_mut().for_each(widen_placeholders),
        _ => {}
    }
}

/// The mocked members only: each member the actual output has must match the recording's.
fn subset_difference(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => a.iter().find_map(|(k, av)| match e.get(k) {
            Some(ev) => subset_difference(ev, av, &format!("{path}.{k}")),
            None => Some(format!("{path}.{k}: not in the recording")),
        }),
        (e, a) => snapshot_difference(e, a, path),
    }
}

/// Answers waiting callbacks as the upstream harness does.
async fn work_queues(server: &RunningServer, queues: &[String]) {
    let sqs = common::sqs(server);
    let sfn = sfn(server);
    for url in queues {
        for m in common::receive(&sqs, url, 10).await {
            let Ok(body) = serde_json::from_str::<Value>(m.body().unwrap_or("")) else {
                continue;
            };
            let Some(token) = body["TaskToken"].as_str() else {
                continue;
            };
            let output = body.get("Message").cloned().unwrap_or(Value::Null);
            let _ = sfn
                .send_task_success()
                .task_token(token)
                .output(output.to_string())
                .send()
                .await;
        }
    }
}

async fn run_case(case: &Value) -> Result<(), String> {
    let mock = &case["local_mock"];
    let mut config = Config::ephemeral();
    if let Some(mock_config) = mock.get("mock_config") {
        let parsed =
            MockConfig::parse(&mock_config.to_string()).map_err(|e| format!("mock: {e}"))?;
        config.mock_config = Some(Arc::new(parsed));
    }
    let server = Server::start(config).await.map_err(|e| e.to_string())?;
    let client = sfn(&server);
    let mut bound = Bound {
        queues: Vec::new(),
        activities: Vec::new(),
    };
    let definition = bind(&server, &case["definition"].to_string(), &mut bound).await;
    let input = bind(&server, &case["input"].to_string(), &mut bound).await;
    let input_value: Value = serde_json::from_str(&input).unwrap_or(Value::Null);
    let mut targets = Vec::new();
    machine_names(&input_value, &mut targets);
    machine_names(
        &serde_json::from_str(&definition).unwrap_or(Value::Null),
        &mut targets,
    );
    for name in targets {
        create_machine(&client, &name, crate::client::PASS).await;
    }
    let name = mock["state_machine_name"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| "conformance".into());
    let express = case["state_machine_type"] == "EXPRESS" || case["kind"] == "sync_execution";
    let kind = if express {
        aws_sdk_sfn::types::StateMachineType::Express
    } else {
        aws_sdk_sfn::types::StateMachineType::Standard
    };
    let created = client
        .create_state_machine()
        .name(&name)
        .definition(&definition)
        .role_arn(crate::client::ROLE)
        .r#type(kind)
        .send()
        .await
        .map_err(|e| format!("create: {}", common::describe(&e)))?;
    let mut arn = created.state_machine_arn;
    if let Some(test_case) = mock["test_case"].as_str() {
        arn = format!("{arn}#{test_case}");
    }
    // The harness's activity worker: takes each task under its worker name and answers with
    // the task's input.
    let mut workers = Vec::new();
    for activity in bound.activities.clone() {
        let worker = sfn(&server);
        workers.push(tokio::spawn(async move {
            loop {
                let task = match worker
                    .get_activity_task()
                    .activity_arn(&activity)
                    .worker_name("BASE_ID_ACTIVITY_CONSUMER")
                    .send()
                    .await
                {
                    Ok(t) => t,
                    Err(_) => return,
                };
                if let (Some(token), Some(input)) = (task.task_token(), task.input()) {
                    let _ = worker
                        .send_task_success()
                        .task_token(token)
                        .output(input)
                        .send()
                        .await;
                }
            }
        }));
    }
    let text_input = if input_value.is_null() {
        "{}".to_string()
    } else {
        input
    };
    let (status, output, error, cause, types) = if express {
        let out = client
            .start_sync_execution()
            .state_machine_arn(&arn)
            .input(&text_input)
            .send()
            .await
            .map_err(|e| format!("start sync: {}", common::describe(&e)))?;
        (
            out.status.as_str().to_string(),
            out.output,
            out.error,
            out.cause,
            None,
        )
    } else {
        let exec = client
            .start_execution()
            .state_machine_arn(&arn)
            .input(&text_input)
            .send()
            .await
            .map_err(|e| format!("start: {}", common::describe(&e)))?
            .execution_arn;
        let mut described = None;
        for _ in 0..300 {
            let d = client
                .describe_execution()
                .execution_arn(&exec)
                .send()
                .await
                .map_err(|e| common::describe(&e))?;
            if d.status != ExecutionStatus::Running {
                described = Some(d);
                break;
            }
            work_queues(&server, &bound.queues).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
            server.clock().advance(Duration::from_secs(5));
        }
        let d = described.ok_or("still RUNNING")?;
        let history = client
            .get_execution_history()
            .execution_arn(&exec)
            .send()
            .await
            .map_err(|e| common::describe(&e))?;
        let types: Vec<String> = history
            .events
            .iter()
            .map(|e| e.r#type.as_str().to_string())
            .collect();
        (
            d.status.as_str().to_string(),
            d.output,
            d.error,
            d.cause,
            Some(types),
        )
    };
    // A recording without a terminal status (idempotency checks) says nothing about the end.
    let expected_status = case["expected_status"].as_str().unwrap_or(&status);
    if status != expected_status {
        return Err(format!(
            "status {status}, expected {expected_status} ({error:?}: {cause:?})"
        ));
    }
    if let Some(e) = case["expected_error"].as_str() {
        let actual = error.clone().unwrap_or_default();
        if !wildcard_match(&pattern(e), &actual) {
            return Err(format!("error {actual:?}, expected {e:?}"));
        }
    }
    if !case["expected_cause"].is_null() {
        let actual = normalise(Value::String(cause.clone().unwrap_or_default()));
        if let Some(d) = snapshot_difference(&case["expected_cause"], &actual, "cause") {
            return Err(d);
        }
    }
    if !case["expected_output"].is_null() {
        let mut expected = case["expected_output"].clone();
        widen_placeholders(&mut expected);
        let mut actual = normalise(
            output
                .as_deref()
                .map(|o| serde_json::from_str(o).unwrap_or(Value::String(o.to_string())))
                .unwrap_or(Value::Null),
        );
        if case["expected_output_encoding"] == "json-text" {
            actual = Value::String(actual.to_string());
        }
        let difference = if mock.is_object() {
            subset_difference(&expected, &actual, "output")
        } else {
            strip_sdk_metadata(&mut expected);
            strip_sdk_metadata(&mut actual);
            snapshot_difference(&expected, &actual, "output")
        };
        if let Some(d) = difference {
            return Err(d);
        }
    }
    if let (Some(types), Some(expected)) = (types, case["expected_history_event_types"].as_array())
    {
        let expected: Vec<&str> = expected.iter().filter_map(Value::as_str).collect();
        if types != expected {
            return Err(format!("history {types:?}, expected {expected:?}"));
        }
    }
    // A worker's open long poll would hold the shutdown for its grace period.
    workers.iter().for_each(|w| w.abort());
    server.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_integration_executions_replay() {
    let Some(dir) = cases_dir() else { return };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let only = std::env::var("SFN_CASE").ok();
    // (passed, failures) for the mocked cases and for the ones calling our services.
    let mut mocked = (0usize, Vec::new());
    let mut services = (0usize, Vec::new());
    for file in files {
        let case = common::read_json(&file);
        if !selected(&case) {
            continue;
        }
        let id = case["id"].as_str().unwrap_or_default().to_string();
        if only.as_ref().is_some_and(|o| !id.contains(o.as_str())) {
            continue;
        }
        let outcome = tokio::time::timeout(Duration::from_secs(20), run_case(&case))
            .await
            .unwrap_or_else(|_| Err("timed out after 20 s".into()));
        let tally = if case["local_mock"].is_object() {
            &mut mocked
        } else {
            &mut services
        };
        match outcome {
            Ok(()) => tally.0 += 1,
            Err(why) => tally.1.push(format!("{id}: {why}")),
        }
    }
    for (what, (passed, failures)) in [
        ("local_mock executions", &mocked),
        (
            "executions calling sqs/sns/events/states, callbacks, activities",
            &services,
        ),
    ] {
        println!("{what}: {passed} passed, {} failed", failures.len());
        for f in failures {
            println!("  FAILED {f}");
        }
    }
    let passed = mocked.0 + services.0;
    crate::common::conformance::checked(
        "sfn integrations",
        passed + mocked.1.len() + services.1.len(),
    );
    assert!(passed >= FLOOR, "{passed} passed, floor {FLOOR}");
}
