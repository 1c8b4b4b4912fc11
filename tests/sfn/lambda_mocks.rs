//! Lambda tasks against a test endpoint that speaks the Lambda Invoke API on 127.0.0.1, and
//! Step Functions Local's mock configuration (`#TestCase` executions), over HTTP with the SDK.

use crate::client::{create_machine, sfn, start, wait_until_done};
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use serde_json::{json, Value};
use std::sync::Arc;
use stepyard::services::sfn::integrations::mock::MockConfig;
use stepyard::{Config, RunningServer, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A Lambda Invoke endpoint: `echo` returns its payload, `boom` fails as a function error
/// with `errorType: PaymentError`. Returns its `http://127.0.0.1:PORT`.
async fn lambda_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                // Headers, then as much body as Content-Length says.
                let (head, body) = loop {
                    let n = stream.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buffer).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            break (head.to_string(), body.to_string());
                        }
                    }
                };
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let (extra, reply) = if path.contains("/functions/boom/") {
                    (
                        "X-Amz-Function-Error: Unhandled\r\n",
                        json!({"errorType": "PaymentError", "errorMessage": "no"}).to_string(),
                    )
                } else {
                    ("", if body.is_empty() { "null".into() } else { body })
                };
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Amz-Executed-Version: $LATEST\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{address}")
}

async fn server_with(config: Config) -> RunningServer {
    Server::start(config).await.expect("server starts")
}

async fn run_to_end(
    client: &aws_sdk_sfn::Client,
    machine: &str,
    name: &str,
    input: Value,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    let exec = start(client, machine, name, &input.to_string()).await;
    wait_until_done(client, &exec).await
}

fn output(d: &aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput) -> Value {
    d.output()
        .map(|o| serde_json::from_str(o).unwrap())
        .unwrap_or(Value::Null)
}

const FUNCTION: &str = "arn:aws:lambda:us-east-1:000000000000:function";

#[tokio::test]
async fn lambda_tasks_call_the_configured_endpoint() {
    let endpoint = lambda_endpoint().await;
    let server = server_with(Config {
        lambda_endpoint: Some(endpoint),
        ..Config::ephemeral()
    })
    .await;
    let client = sfn(&server);
    let invoke = create_machine(
        &client,
        "invoke",
        &json!({"StartAt": "L", "States": {"L": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "echo", "Payload": {"n.$": "$.n"}}, "End": true}}})
        .to_string(),
    )
    .await;
    let d = run_to_end(&client, &invoke, "i1", json!({"n": 5})).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    let out = output(&d);
    assert_eq!(out["Payload"], json!({"n": 5}));
    assert_eq!(out["StatusCode"], 200);
    assert_eq!(out["ExecutedVersion"], "$LATEST");
    assert_eq!(out["SdkHttpMetadata"]["HttpStatusCode"], 200);

    let plain = create_machine(
        &client,
        "plain",
        &json!({"StartAt": "L", "States": {"L": {"Type": "Task",
            "Resource": format!("{FUNCTION}:echo"), "End": true}}})
        .to_string(),
    )
    .await;
    let exec = start(&client, &plain, "p1", r#"{"a": 1}"#).await;
    let d = wait_until_done(&client, &exec).await;
    assert_eq!(output(&d), json!({"a": 1}));
    let types: Vec<_> = client
        .get_execution_history()
        .execution_arn(&exec)
        .send()
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.r#type)
        .collect();
    assert!(types.contains(&HistoryEventType::LambdaFunctionScheduled));
    assert!(types.contains(&HistoryEventType::LambdaFunctionSucceeded));

    let failing = create_machine(
        &client,
        "failing",
        &json!({"StartAt": "L", "States": {"L": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": format!("{FUNCTION}:boom")},
            "Catch": [{"ErrorEquals": ["PaymentError"], "Next": "Caught"}], "End": true},
            "Caught": {"Type": "Pass", "End": true}}})
        .to_string(),
    )
    .await;
    let d = run_to_end(&client, &failing, "f1", json!({})).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    let out = output(&d);
    assert_eq!(out["Error"], "PaymentError");
    let cause: Value = serde_json::from_str(out["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["errorMessage"], "no");
}

#[tokio::test]
async fn without_an_endpoint_a_lambda_task_fails_saying_how_to_configure_one() {
    let server = server_with(Config::ephemeral()).await;
    let client = sfn(&server);
    let machine = create_machine(
        &client,
        "no-endpoint",
        &json!({"StartAt": "L", "States": {"L": {"Type": "Task",
            "Resource": format!("{FUNCTION}:f"), "End": true}}})
        .to_string(),
    )
    .await;
    let d = run_to_end(&client, &machine, "n1", json!({})).await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error(), Some("States.Runtime"));
    assert!(
        d.cause().unwrap().contains("--lambda-endpoint"),
        "{:?}",
        d.cause()
    );
}

#[tokio::test]
async fn a_mock_test_case_answers_per_invocation_and_retries_use_the_next_answer() {
    let mocks = MockConfig::parse(
        &json!({
            "StateMachines": {"orders": {"TestCases": {
                "HappyPath": {"Charge": "ChargeRetried", "Save": "Saved"},
                "Declined": {"Charge": "ChargeDeclined"}}}},
            "MockedResponses": {
                "ChargeRetried": {
                    "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "busy"}},
                    "2": {"Return": {"StatusCode": 200, "Payload": {"charged": true}}}},
                "ChargeDeclined": {"0": {"Throw": {"Error": "Card.Declined", "Cause": "expired"}}},
                "Saved": {"0": {"Return": {"SdkHttpMetadata": {"HttpStatusCode": 200}}}}}
        })
        .to_string(),
    )
    .unwrap();
    let server = server_with(Config {
        mock_config: Some(Arc::new(mocks)),
        ..Config::ephemeral()
    })
    .await;
    let client = sfn(&server);
    let machine = create_machine(
        &client,
        "orders",
        &json!({"StartAt": "Charge", "States": {
            "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
                "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"],
                           "IntervalSeconds": 1, "BackoffRate": 1, "MaxAttempts": 3}],
                "ResultSelector": {"charged.$": "$.Payload.charged"}, "ResultPath": "$.charge",
                "Next": "Save"},
            "Save": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "orders", "Item": {}}, "ResultPath": "$.save", "End": true}}})
        .to_string(),
    )
    .await;
    let exec = start(&client, &format!("{machine}#HappyPath"), "happy", "{}").await;
    // Two retries of one second each, on the server's clock.
    for _ in 0..2 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        server.clock().advance(std::time::Duration::from_secs(1));
    }
    let d = wait_until_done(&client, &exec).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded, "{:?}", d.cause());
    let out = output(&d);
    assert_eq!(out["charge"], json!({"charged": true}));
    assert_eq!(out["save"]["SdkHttpMetadata"]["HttpStatusCode"], 200);

    let d = run_to_end(
        &client,
        &format!("{machine}#Declined"),
        "declined",
        json!({}),
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error(), Some("Card.Declined"));
    assert_eq!(d.cause(), Some("expired"));

    let unknown = crate::client::failed(
        client
            .start_execution()
            .state_machine_arn(format!("{machine}#NoSuchCase"))
            .send()
            .await,
    );
    assert_eq!(unknown.code, "InvalidArn");
}
