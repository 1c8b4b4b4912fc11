//! Task states that call the other services, over HTTP with the real SDKs: the optimized
//! integrations (sqs, sns, events, states with `.sync` / `.sync:2`), `.waitForTaskToken`
//! callbacks answered by a worker through SendTaskSuccess/Failure/Heartbeat, AWS SDK
//! integrations, and the status-change events a Standard execution puts on the default bus.

use crate::client::{create_machine, sfn, start, wait_until_done};
use crate::common;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use serde_json::{json, Value};
use std::time::Duration;
use stepyard::RunningServer;

async fn output_of(client: &aws_sdk_sfn::Client, arn: &str) -> (ExecutionStatus, Value, String) {
    let d = wait_until_done(client, arn).await;
    let output = d
        .output()
        .map(|o| serde_json::from_str(o).expect("output is JSON"))
        .unwrap_or(Value::Null);
    let error = format!("{} | {}", d.error().unwrap_or(""), d.cause().unwrap_or(""));
    (d.status, output, error)
}

async fn event_types(client: &aws_sdk_sfn::Client, arn: &str) -> Vec<HistoryEventType> {
    client
        .get_execution_history()
        .execution_arn(arn)
        .send()
        .await
        .expect("GetExecutionHistory")
        .events
        .into_iter()
        .map(|e| e.r#type)
        .collect()
}

async fn run(server: &RunningServer, name: &str, definition: Value, input: Value) -> String {
    let client = sfn(server);
    let machine = create_machine(&client, name, &definition.to_string()).await;
    start(&client, &machine, "run-1", &input.to_string()).await
}

fn task(resource: &str, parameters: Value) -> Value {
    json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": resource, "Parameters": parameters, "End": true}}})
}

/// A rule on the default bus with `pattern`, whose one target is the queue `queue`.
async fn route_to_queue(eb: &aws_sdk_eventbridge::Client, rule: &str, pattern: &str, queue: &str) {
    eb.put_rule()
        .name(rule)
        .event_pattern(pattern)
        .send()
        .await
        .unwrap();
    eb.put_targets()
        .rule(rule)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id(queue)
                .arn(common::queue_arn(queue))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Receives one message, waiting up to 5 s.
async fn receive_one(sqs: &aws_sdk_sqs::Client, url: &str) -> aws_sdk_sqs::types::Message {
    for _ in 0..50 {
        if let Some(m) = common::receive(sqs, url, 1).await.into_iter().next() {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no message arrived on {url}");
}

#[tokio::test]
async fn sqs_send_message_returns_awss_result_and_the_message_arrives() {
    let server = common::start().await;
    let sqs = common::sqs(&server);
    let url = common::create_queue(&sqs, "orders").await;
    let exec = run(
        &server,
        "send",
        task(
            "arn:aws:states:::sqs:sendMessage",
            json!({"QueueUrl": url, "MessageBody": {"order.$": "$.id"}}),
        ),
        json!({"id": 7}),
    )
    .await;
    let client = sfn(&server);
    let (status, output, _) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert!(output["MessageId"].is_string(), "{output}");
    // The digest of the body as sent: the object serialised to JSON text.
    {
        use md5::Digest;
        let digest = md5::Md5::digest(br#"{"order":7}"#);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(output["MD5OfMessageBody"], json!(hex));
    }
    assert_eq!(output["SdkHttpMetadata"]["HttpStatusCode"], 200);
    let message = receive_one(&sqs, &url).await;
    assert_eq!(message.body(), Some(r#"{"order":7}"#));
    assert_eq!(
        event_types(&client, &exec).await,
        vec![
            HistoryEventType::ExecutionStarted,
            HistoryEventType::TaskStateEntered,
            HistoryEventType::TaskScheduled,
            HistoryEventType::TaskStarted,
            HistoryEventType::TaskSucceeded,
            HistoryEventType::TaskStateExited,
            HistoryEventType::ExecutionSucceeded,
        ]
    );
    let history = client
        .get_execution_history()
        .execution_arn(&exec)
        .send()
        .await
        .unwrap();
    let scheduled = history.events[2]
        .task_scheduled_event_details()
        .expect("TaskScheduled details");
    assert_eq!(scheduled.resource_type(), "sqs");
    assert_eq!(scheduled.resource(), "sendMessage");
    assert_eq!(scheduled.region(), common::REGION);
}

#[tokio::test]
async fn service_errors_are_named_as_aws_names_them_and_can_be_caught() {
    let server = common::start().await;
    let missing_queue = format!("{}/{}/no-such-queue", server.endpoint(), common::ACCOUNT);
    let definition = json!({"StartAt": "Send", "States": {
        "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                 "Parameters": {"QueueUrl": missing_queue, "MessageBody": "x"},
                 "Catch": [{"ErrorEquals": ["SQS.QueueDoesNotExistException"], "Next": "Caught"}],
                 "End": true},
        "Caught": {"Type": "Pass", "End": true}}});
    let exec = run(&server, "catch", definition, json!({})).await;
    let (status, output, _) = output_of(&sfn(&server), &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(output["Error"], "SQS.QueueDoesNotExistException");
    let cause = output["Cause"].as_str().unwrap();
    assert!(
        cause.contains("(Service: AmazonSQS; Status Code: 400; Error Code: "),
        "{cause}"
    );

    let topic = format!("arn:aws:sns:{}:{}:nope", common::REGION, common::ACCOUNT);
    let exec = run(
        &server,
        "publish-missing",
        task(
            "arn:aws:states:::sns:publish",
            json!({"TopicArn": topic, "Message": "m"}),
        ),
        json!({}),
    )
    .await;
    let (status, _, error) = output_of(&sfn(&server), &exec).await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert!(
        error.starts_with("SNS.NotFoundException | Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound;"),
        "{error}"
    );
}

#[tokio::test]
async fn sns_publish_fans_out_to_the_topics_queues() {
    let server = common::start().await;
    let sqs = common::sqs(&server);
    let sns = common::sns(&server);
    let url = common::create_queue(&sqs, "fan").await;
    let topic = sns
        .create_topic()
        .name("orders")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(common::queue_arn("fan"))
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap();
    let exec = run(
        &server,
        "publish",
        task(
            "arn:aws:states:::sns:publish",
            json!({"TopicArn": topic, "Message": {"hello.$": "$.who"}}),
        ),
        json!({"who": "world"}),
    )
    .await;
    let (status, output, _) = output_of(&sfn(&server), &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert!(output["MessageId"].is_string());
    assert_eq!(
        receive_one(&sqs, &url).await.body(),
        Some(r#"{"hello":"world"}"#)
    );
}

#[tokio::test]
async fn events_put_events_reaches_a_rule_and_failed_entries_fail_the_task() {
    let server = common::start().await;
    let sqs = common::sqs(&server);
    let eb = common::eb(&server);
    let url = common::create_queue(&sqs, "bus-out").await;
    route_to_queue(&eb, "from-sfn", r#"{"source": ["my.app"]}"#, "bus-out").await;
    let exec = run(
        &server,
        "put",
        task(
            "arn:aws:states:::events:putEvents",
            json!({"Entries": [{"Source": "my.app", "DetailType": "Order", "Detail": {"id": 1}}]}),
        ),
        json!({}),
    )
    .await;
    let (status, output, _) = output_of(&sfn(&server), &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert_eq!(output["FailedEntryCount"], 0);
    assert!(output.get("SdkHttpMetadata").is_none());
    let event: Value = serde_json::from_str(receive_one(&sqs, &url).await.body().unwrap()).unwrap();
    assert_eq!(event["detail"], json!({"id": 1}));

    let exec = run(
        &server,
        "put-bad",
        task(
            "arn:aws:states:::events:putEvents",
            json!({"Entries": [{"DetailType": "Order", "Detail": {"id": 1}}]}),
        ),
        json!({}),
    )
    .await;
    let (status, _, error) = output_of(&sfn(&server), &exec).await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert!(error.starts_with("EventBridge.FailedEntry | {"), "{error}");
    assert!(error.contains("\"FailedEntryCount\":1"), "{error}");
}

/// The worker side of `.waitForTaskToken`: the token travels in the message body.
async fn token_from_queue(sqs: &aws_sdk_sqs::Client, url: &str) -> (String, Value) {
    let message = receive_one(sqs, url).await;
    let body: Value = serde_json::from_str(message.body().unwrap()).unwrap();
    (body["token"].as_str().unwrap().to_string(), body)
}

fn callback_machine(url: &str, extra: Value) -> Value {
    let mut state = json!({
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token", "n.$": "$.n"}},
        "End": true});
    if let (Value::Object(s), Value::Object(e)) = (&mut state, extra) {
        s.extend(e);
    }
    json!({"StartAt": "Wait", "States": {"Wait": state}})
}

#[tokio::test]
async fn wait_for_task_token_resumes_on_success_and_fails_on_failure() {
    let server = common::start().await;
    let sqs = common::sqs(&server);
    let client = sfn(&server);
    let url = common::create_queue(&sqs, "work").await;
    let machine = create_machine(
        &client,
        "cb",
        &callback_machine(&url, json!({})).to_string(),
    )
    .await;

    let exec = start(&client, &machine, "ok", r#"{"n": 1}"#).await;
    let (token, body) = token_from_queue(&sqs, &url).await;
    assert_eq!(body["n"], 1);
    client
        .send_task_success()
        .task_token(&token)
        .output(r#"{"paid": true}"#)
        .send()
        .await
        .unwrap();
    let (status, output, _) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(output, json!({"paid": true}));
    assert!(event_types(&client, &exec)
        .await
        .contains(&HistoryEventType::TaskSubmitted));
    // A used token belongs to a task that is over.
    let again = crate::client::failed(
        client
            .send_task_success()
            .task_token(&token)
            .output("{}")
            .send()
            .await,
    );
    assert_eq!(again.code, "TaskTimedOut");
    let invalid = crate::client::failed(
        client
            .send_task_success()
            .task_token("not-a-token")
            .output("{}")
            .send()
            .await,
    );
    assert_eq!(invalid.code, "InvalidToken");

    let exec = start(&client, &machine, "ko", r#"{"n": 2}"#).await;
    let (token, _) = token_from_queue(&sqs, &url).await;
    client
        .send_task_failure()
        .task_token(&token)
        .error("Payment.Declined")
        .cause("card expired")
        .send()
        .await
        .unwrap();
    let (status, _, error) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert_eq!(error, "Payment.Declined | card expired");
}

#[tokio::test]
async fn heartbeats_keep_a_callback_alive_and_a_missed_one_times_it_out() {
    let server = common::start().await;
    let sqs = common::sqs(&server);
    let client = sfn(&server);
    let url = common::create_queue(&sqs, "beats").await;
    let definition = callback_machine(&url, json!({"HeartbeatSeconds": 60, "TimeoutSeconds": 600}));
    let machine = create_machine(&client, "beat", &definition.to_string()).await;
    let exec = start(&client, &machine, "b", r#"{"n": 1}"#).await;
    let (token, _) = token_from_queue(&sqs, &url).await;
    server.clock().advance(Duration::from_secs(50));
    client
        .send_task_heartbeat()
        .task_token(&token)
        .send()
        .await
        .unwrap();
    server.clock().advance(Duration::from_secs(50));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let d = client
        .describe_execution()
        .execution_arn(&exec)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.status,
        ExecutionStatus::Running,
        "the heartbeat restarted the clock"
    );
    server.clock().advance(Duration::from_secs(61));
    let (status, _, error) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert_eq!(error, "States.Timeout | ");
    assert!(event_types(&client, &exec)
        .await
        .contains(&HistoryEventType::TaskTimedOut));
}

#[tokio::test]
async fn many_executions_wait_on_their_own_tokens() {
    let server = common::start().await;
    let sqs = common::sqs(&server);
    let client = sfn(&server);
    let url = common::create_queue(&sqs, "many").await;
    let definition = json!({"StartAt": "Wait", "States": {"Wait": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token", "n.$": "$.n"}},
        "ResultPath": "$.answer", "End": true}}});
    let machine = create_machine(&client, "many", &definition.to_string()).await;
    let mut executions = Vec::new();
    for n in 0..40 {
        executions.push(
            start(
                &client,
                &machine,
                &format!("e{n}"),
                &json!({"n": n}).to_string(),
            )
            .await,
        );
    }
    let mut answered = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while answered < 40 {
        assert!(
            std::time::Instant::now() < deadline,
            "only {answered} of 40 tokens arrived"
        );
        for m in common::receive(&sqs, &url, 10).await {
            let body: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            client
                .send_task_success()
                .task_token(body["token"].as_str().unwrap())
                .output(json!({"doubled": body["n"].as_i64().unwrap() * 2}).to_string())
                .send()
                .await
                .unwrap();
            answered += 1;
        }
    }
    for (n, exec) in executions.iter().enumerate() {
        let (status, output, _) = output_of(&client, exec).await;
        assert_eq!(status, ExecutionStatus::Succeeded);
        assert_eq!(output["answer"]["doubled"], json!(n * 2));
    }
}

#[tokio::test]
async fn start_execution_runs_a_child_and_sync_waits_for_its_output() {
    let server = common::start().await;
    let client = sfn(&server);
    let child = create_machine(
        &client,
        "child",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
            "Parameters": {"got.$": "$.x"}, "End": true}}})
        .to_string(),
    )
    .await;
    let start_child = |suffix: &str| {
        task(
            &format!("arn:aws:states:::states:startExecution{suffix}"),
            json!({"StateMachineArn": child, "Input": {"x.$": "$.x"}}),
        )
    };

    let exec = run(&server, "parent-rr", start_child(""), json!({"x": 1})).await;
    let (status, output, _) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    let child_arn = output["ExecutionArn"].as_str().unwrap();
    assert!(output["StartDate"].is_i64(), "{output}");
    let (_, child_output, _) = output_of(&client, child_arn).await;
    assert_eq!(child_output, json!({"got": 1}));

    let exec = run(
        &server,
        "parent-sync",
        start_child(".sync"),
        json!({"x": 2}),
    )
    .await;
    let (status, output, _) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert_eq!(output["Status"], "SUCCEEDED");
    assert_eq!(output["Output"], json!(r#"{"got":2}"#));

    let exec = run(
        &server,
        "parent-sync2",
        start_child(".sync:2"),
        json!({"x": 3}),
    )
    .await;
    let (_, output, _) = output_of(&client, &exec).await;
    assert_eq!(output["Output"], json!({"got": 3}));
    assert!(event_types(&client, &exec)
        .await
        .contains(&HistoryEventType::TaskSubmitted));

    let failing = create_machine(
        &client,
        "failing-child",
        &json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}})
            .to_string(),
    )
    .await;
    let exec = run(
        &server,
        "parent-fail",
        task(
            "arn:aws:states:::states:startExecution.sync:2",
            json!({"StateMachineArn": failing}),
        ),
        json!({}),
    )
    .await;
    let (status, _, error) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert!(error.starts_with("States.TaskFailed | {"), "{error}");
    assert!(error.contains("\"Status\":\"FAILED\""), "{error}");
}

#[tokio::test]
async fn stopping_a_parent_stops_its_sync_child() {
    let server = common::start().await;
    let client = sfn(&server);
    let child = create_machine(&client, "slow", crate::client::WAIT).await;
    let exec = run(
        &server,
        "parent",
        task(
            "arn:aws:states:::states:startExecution.sync",
            json!({"StateMachineArn": child, "Name": "the-child"}),
        ),
        json!({}),
    )
    .await;
    let child_arn = exec
        .replace(":execution:parent:", ":execution:slow:")
        .replace(":run-1", ":the-child");
    for _ in 0..100 {
        if client
            .describe_execution()
            .execution_arn(&child_arn)
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    client
        .stop_execution()
        .execution_arn(&exec)
        .send()
        .await
        .unwrap();
    let d = wait_until_done(&client, &child_arn).await;
    assert_eq!(d.status, ExecutionStatus::Aborted);
}

#[tokio::test]
async fn aws_sdk_integrations_convert_names_and_errors() {
    let server = common::start().await;
    let client = sfn(&server);
    let sqs = common::sqs(&server);
    common::create_queue(&sqs, "sdk-q").await;
    let exec = run(
        &server,
        "sdk-ok",
        task(
            "arn:aws:states:::aws-sdk:sqs:getQueueUrl",
            json!({"QueueName": "sdk-q"}),
        ),
        json!({}),
    )
    .await;
    let (status, output, _) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert!(output["QueueUrl"].as_str().unwrap().ends_with("/sdk-q"));

    let target = create_machine(&client, "sdk-target", crate::client::PASS).await;
    let exec = run(
        &server,
        "sdk-sfn",
        task(
            "arn:aws:states:::aws-sdk:sfn:startExecution",
            json!({"StateMachineArn": target, "Input": {"a": 1}}),
        ),
        json!({}),
    )
    .await;
    let (status, output, _) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert!(output["ExecutionArn"].is_string());
    assert!(
        output["StartDate"].as_str().unwrap().ends_with('Z'),
        "{output}"
    );

    let exec = run(
        &server,
        "sdk-missing",
        task(
            "arn:aws:states:::aws-sdk:sqs:getQueueUrl",
            json!({"QueueName": "nope"}),
        ),
        json!({}),
    )
    .await;
    let (status, _, error) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert!(
        error.starts_with("Sqs.QueueDoesNotExistException | "),
        "{error}"
    );
    assert!(
        error.contains("(Service: Sqs, Status Code: 400, Request ID: "),
        "{error}"
    );

    let exec = run(
        &server,
        "sdk-token",
        task(
            "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
            json!({"TaskToken": "NoSuchTaskToken", "Output": "{}"}),
        ),
        json!({}),
    )
    .await;
    let (_, _, error) = output_of(&client, &exec).await;
    assert!(error.starts_with("Sfn.InvalidTokenException | "), "{error}");

    let exec = run(
        &server,
        "sdk-other",
        task("arn:aws:states:::aws-sdk:dynamodb:getItem", json!({})),
        json!({}),
    )
    .await;
    let (_, _, error) = output_of(&client, &exec).await;
    assert!(error.starts_with("States.Runtime | "), "{error}");
    assert!(error.contains("SFN_MOCK_CONFIG"), "{error}");
}

#[tokio::test]
async fn standard_executions_put_status_change_events_on_the_default_bus() {
    let server = common::start().await;
    let sqs = common::sqs(&server);
    let eb = common::eb(&server);
    let url = common::create_queue(&sqs, "audit").await;
    route_to_queue(
        &eb,
        "sfn-status",
        r#"{"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"]}"#,
        "audit",
    )
    .await;
    let client = sfn(&server);
    let machine = create_machine(&client, "audited", crate::client::PASS).await;
    let exec = start(&client, &machine, "a1", r#"{"k": 1}"#).await;
    wait_until_done(&client, &exec).await;
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let event: Value =
            serde_json::from_str(receive_one(&sqs, &url).await.body().unwrap()).unwrap();
        assert_eq!(event["source"], "aws.states");
        assert_eq!(event["resources"], json!([exec]));
        assert_eq!(event["detail"]["executionArn"], json!(exec));
        assert_eq!(event["detail"]["stateMachineArn"], json!(machine));
        assert_eq!(event["detail"]["input"], r#"{"k":1}"#);
        statuses.push(event["detail"]["status"].as_str().unwrap().to_string());
        if statuses.last().map(String::as_str) == Some("SUCCEEDED") {
            assert_eq!(event["detail"]["output"], r#"{"k":1,"result":"hello"}"#);
            assert!(event["detail"]["stopDate"].is_u64());
        }
    }
    assert_eq!(statuses, ["RUNNING", "SUCCEEDED"]);

    let failing = create_machine(&client, "audited-fail", crate::client::FAIL).await;
    let exec = start(&client, &failing, "f1", "{}").await;
    wait_until_done(&client, &exec).await;
    let mut last = Value::Null;
    for _ in 0..2 {
        last = serde_json::from_str(receive_one(&sqs, &url).await.body().unwrap()).unwrap();
    }
    assert_eq!(last["detail"]["status"], "FAILED");
    assert_eq!(last["detail"]["error"], "Custom.Error");
    assert_eq!(last["detail"]["cause"], "it broke");

    let waiting = create_machine(&client, "audited-stop", crate::client::WAIT).await;
    let exec = start(&client, &waiting, "s1", "{}").await;
    let running: Value =
        serde_json::from_str(receive_one(&sqs, &url).await.body().unwrap()).unwrap();
    assert_eq!(running["detail"]["status"], "RUNNING");
    client
        .stop_execution()
        .execution_arn(&exec)
        .send()
        .await
        .unwrap();
    let aborted: Value =
        serde_json::from_str(receive_one(&sqs, &url).await.body().unwrap()).unwrap();
    assert_eq!(aborted["detail"]["status"], "ABORTED");
}

#[tokio::test]
async fn test_state_calls_the_service_and_refuses_an_unmocked_callback() {
    let server = common::start().await;
    let sqs = common::sqs(&server);
    let client = crate::client::sfn(&server);
    let url = common::create_queue(&sqs, "tested").await;
    let state = |resource: &str| {
        json!({"Type": "Task", "Resource": resource,
               "Parameters": {"QueueUrl": url, "MessageBody": "hi"}, "End": true})
        .to_string()
    };
    let out = client
        .test_state()
        .definition(state("arn:aws:states:::sqs:sendMessage"))
        .role_arn(crate::client::ROLE)
        .input("{}")
        .send()
        .await
        .expect("TestState");
    let output: Value = serde_json::from_str(out.output().unwrap()).unwrap();
    assert!(output["MessageId"].is_string(), "{output}");
    assert_eq!(receive_one(&sqs, &url).await.body(), Some("hi"));
    let refused = crate::client::failed(
        client
            .test_state()
            .definition(state("arn:aws:states:::sqs:sendMessage.waitForTaskToken"))
            .role_arn(crate::client::ROLE)
            .send()
            .await,
    );
    assert_eq!(refused.code, "ValidationException");
}

#[tokio::test]
async fn a_sync_child_holding_the_parents_token_can_answer_for_it() {
    let server = common::start().await;
    let client = sfn(&server);
    let child = create_machine(&client, "holder", crate::client::WAIT).await;
    let exec = run(
        &server,
        "parent-token",
        task(
            "arn:aws:states:::states:startExecution.sync",
            json!({"StateMachineArn": child, "Name": "held",
                   "Input": {"token.$": "$$.Task.Token"}}),
        ),
        json!({}),
    )
    .await;
    let child_arn = exec
        .replace(":execution:parent-token:", ":execution:holder:")
        .replace(":run-1", ":held");
    let mut token = None;
    for _ in 0..100 {
        if let Ok(d) = client
            .describe_execution()
            .execution_arn(&child_arn)
            .send()
            .await
        {
            let input: Value = serde_json::from_str(d.input().unwrap()).unwrap();
            token = input["token"].as_str().map(str::to_string);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    client
        .send_task_success()
        .task_token(token.expect("the child got the token"))
        .output(r#""answered""#)
        .send()
        .await
        .unwrap();
    let (status, output, _) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(output, json!("answered"));
    // The child was not stopped by its parent's task ending.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let d = client
        .describe_execution()
        .execution_arn(&child_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status, ExecutionStatus::Running);
}

#[tokio::test]
async fn status_change_events_name_the_version_and_alias_or_null() {
    use aws_sdk_sfn::types::RoutingConfigurationListItem;
    let server = common::start().await;
    let sqs = common::sqs(&server);
    let eb = common::eb(&server);
    let url = common::create_queue(&sqs, "audit").await;
    route_to_queue(
        &eb,
        "sfn-status",
        r#"{"source": ["aws.states"], "detail": {"status": ["SUCCEEDED"]}}"#,
        "audit",
    )
    .await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", crate::client::PASS).await;
    let version = client
        .publish_state_machine_version()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("publish")
        .state_machine_version_arn;
    let alias = client
        .create_state_machine_alias()
        .name("live")
        .routing_configuration(
            RoutingConfigurationListItem::builder()
                .state_machine_version_arn(&version)
                .weight(100)
                .build()
                .expect("route"),
        )
        .send()
        .await
        .expect("alias")
        .state_machine_alias_arn;
    for (through, expected_version, expected_alias) in [
        (machine.clone(), Value::Null, Value::Null),
        (version.clone(), json!(version), Value::Null),
        (alias.clone(), json!(version), json!(alias)),
    ] {
        let exec = client
            .start_execution()
            .state_machine_arn(&through)
            .send()
            .await
            .expect("start")
            .execution_arn;
        wait_until_done(&client, &exec).await;
        let event: Value =
            serde_json::from_str(receive_one(&sqs, &url).await.body().unwrap()).unwrap();
        let detail = &event["detail"];
        assert_eq!(detail["executionArn"], json!(exec));
        for key in ["stateMachineVersionArn", "stateMachineAliasArn"] {
            assert!(
                detail.get(key).is_some(),
                "{key} is always present: {detail}"
            );
        }
        assert_eq!(
            detail["stateMachineVersionArn"], expected_version,
            "{through}"
        );
        assert_eq!(detail["stateMachineAliasArn"], expected_alias, "{through}");
    }
}

#[tokio::test]
async fn start_execution_sync2_returns_the_childs_input_and_output_as_json() {
    let server = common::start().await;
    let client = sfn(&server);
    let child = create_machine(
        &client,
        "child",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string(),
    )
    .await;
    let exec = run(
        &server,
        "parent",
        task(
            "arn:aws:states:::states:startExecution.sync:2",
            json!({"StateMachineArn": child, "Input": {"x": [1, 2]}}),
        ),
        json!({}),
    )
    .await;
    let (status, output, _) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{output}");
    assert_eq!(output["Input"], json!({"x": [1, 2]}), "{output}");
    assert_eq!(output["Output"], json!({"x": [1, 2]}), "{output}");
}

#[tokio::test]
async fn put_events_tasks_add_the_machine_and_execution_to_each_entrys_resources() {
    let server = common::start().await;
    let sqs = common::sqs(&server);
    let eb = common::eb(&server);
    let url = common::create_queue(&sqs, "bus-out").await;
    route_to_queue(&eb, "from-sfn", r#"{"source": ["my.app"]}"#, "bus-out").await;
    let client = sfn(&server);
    let machine = create_machine(
        &client,
        "put",
        &task(
            "arn:aws:states:::events:putEvents",
            json!({"Entries": [
                {"Source": "my.app", "DetailType": "A", "Detail": {"n": 1}},
                {"Source": "my.app", "DetailType": "B", "Detail": {"n": 2},
                 "Resources": ["arn:aws:sqs:us-east-1:000000000000:mine"]}
            ]}),
        )
        .to_string(),
    )
    .await;
    let exec = start(&client, &machine, "e", "{}").await;
    let (status, _, _) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    let mut by_type = std::collections::BTreeMap::new();
    for _ in 0..2 {
        let event: Value =
            serde_json::from_str(receive_one(&sqs, &url).await.body().unwrap()).unwrap();
        by_type.insert(
            event["detail-type"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            event["resources"].clone(),
        );
    }
    assert_eq!(by_type["A"], json!([machine, exec]));
    assert_eq!(
        by_type["B"],
        json!(["arn:aws:sqs:us-east-1:000000000000:mine", machine, exec])
    );
}

#[tokio::test]
async fn a_task_with_credentials_records_its_role_in_task_scheduled() {
    let server = common::start().await;
    let sqs = common::sqs(&server);
    let url = common::create_queue(&sqs, "q").await;
    let client = sfn(&server);
    let definition = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
        "Credentials": {"RoleArn.$": "$.role"},
        "Parameters": {"QueueUrl": url, "MessageBody": "hi"}, "End": true}}});
    let machine = create_machine(&client, "creds", &definition.to_string()).await;
    let role = "arn:aws:iam::111122223333:role/trusted";
    let exec = start(&client, &machine, "e", &json!({"role": role}).to_string()).await;
    let (status, _, error) = output_of(&client, &exec).await;
    assert_eq!(status, ExecutionStatus::Succeeded, "{error}");
    let history = client
        .get_execution_history()
        .execution_arn(&exec)
        .send()
        .await
        .expect("history");
    let scheduled = history
        .events()
        .iter()
        .find(|e| e.r#type == HistoryEventType::TaskScheduled)
        .and_then(|e| e.task_scheduled_event_details())
        .expect("TaskScheduled");
    assert_eq!(
        scheduled.task_credentials().and_then(|c| c.role_arn()),
        Some(role)
    );
}
