//! Time control over HTTP (`/_stepyard/clock*`, `/_stepyard/settle`) with the real SDKs: slow
//! workflows tested in milliseconds. No test sleeps in real time for more than a few ms; the
//! clock is advanced, and `advance`/`settle` answer once the work they caused is done.

use crate::common::*;
use crate::raw::*;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent, HistoryEventType};
use aws_sdk_sqs::types::MessageSystemAttributeName;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use stepyard::clock::ClockStart;
use stepyard::{Config, RunningServer, Server};

const START: &str = "2030-01-01T00:00:00Z";
const START_MS: u64 = 1_893_456_000_000;
const ROLE: &str = "arn:aws:iam::000000000000:role/stepyard-tests";

/// A server whose clock is frozen at 2030-01-01T00:00:00Z.
async fn frozen_in_2030() -> RunningServer {
    Server::start(Config {
        clock: ClockStart {
            frozen: true,
            start_ms: Some(START_MS),
        },
        ..Config::ephemeral()
    })
    .await
    .expect("server")
}

async fn advance(server: &RunningServer, seconds: f64) -> Value {
    let a = post_json(
        &format!("{}/_stepyard/clock/advance", server.endpoint()),
        &json!({ "seconds": seconds }),
    )
    .await;
    assert_eq!(a.status, 200, "advance {seconds}: {}", a.body);
    a.json()
}

async fn settle(server: &RunningServer) {
    let a = post_json(
        &format!("{}/_stepyard/settle", server.endpoint()),
        &json!({"timeoutSeconds": 10}),
    )
    .await;
    assert_eq!(a.status, 200, "settle: {}", a.body);
    assert_eq!(a.json(), json!({"settled": true}));
}

fn sfn(server: &RunningServer) -> aws_sdk_sfn::Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
        .region(aws_sdk_sfn::config::Region::new(REGION))
        .endpoint_url(server.endpoint())
        .credentials_provider(aws_sdk_sfn::config::Credentials::new(
            "test", "test", None, None, "stepyard",
        ))
        .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sfn::Client::from_conf(config)
}

/// Creates `definition` as a Standard machine and starts one execution of it.
async fn run_machine(sfn: &aws_sdk_sfn::Client, name: &str, definition: &Value) -> String {
    let machine = sfn
        .create_state_machine()
        .name(name)
        .definition(definition.to_string())
        .role_arn(ROLE)
        .send()
        .await
        .expect("CreateStateMachine")
        .state_machine_arn;
    sfn.start_execution()
        .state_machine_arn(machine)
        .input("{}")
        .send()
        .await
        .expect("StartExecution")
        .execution_arn
}

async fn describe(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    sfn.describe_execution()
        .execution_arn(arn)
        .send()
        .await
        .expect("DescribeExecution")
}

async fn history(sfn: &aws_sdk_sfn::Client, arn: &str) -> Vec<HistoryEvent> {
    sfn.get_execution_history()
        .execution_arn(arn)
        .send()
        .await
        .expect("GetExecutionHistory")
        .events
}

fn millis(t: &aws_sdk_sfn::primitives::DateTime) -> u64 {
    t.to_millis().expect("a timestamp after 1970") as u64
}

async fn receive_all(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(0)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .expect("ReceiveMessage")
        .messages
        .unwrap_or_default()
}

#[tokio::test]
async fn the_clock_reads_as_iso_millis_epoch_offset_and_frozen() {
    let server = frozen_in_2030().await;
    let a = get(&format!("{}/_stepyard/clock", server.endpoint())).await;
    assert_eq!(a.status, 200);
    let j = a.json();
    assert_eq!(j["now"], "2030-01-01T00:00:00.000Z");
    assert_eq!(j["epochMillis"], START_MS);
    assert_eq!(j["frozen"], true);
    assert!(j["offsetMillis"].as_i64().expect("offset") > 0, "{j}");
    let j = advance(&server, 1.5).await;
    assert_eq!(j["now"], "2030-01-01T00:00:01.500Z");
    assert_eq!(j["epochMillis"], START_MS + 1500);
}

#[tokio::test]
async fn a_frozen_clock_does_not_follow_real_time_until_unfrozen() {
    let server = start().await;
    let url = server.endpoint();
    let frozen = post_empty(&format!("{url}/_stepyard/clock/freeze"))
        .await
        .json();
    assert_eq!(frozen["frozen"], true);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let later = get(&format!("{url}/_stepyard/clock")).await.json();
    assert_eq!(later["epochMillis"], frozen["epochMillis"]);
    let unfrozen = post_empty(&format!("{url}/_stepyard/clock/unfreeze"))
        .await
        .json();
    assert_eq!(unfrozen["frozen"], false);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let moving = get(&format!("{url}/_stepyard/clock")).await.json();
    assert!(moving["epochMillis"].as_u64() > frozen["epochMillis"].as_u64());
}

#[tokio::test]
async fn advancing_backwards_or_with_a_body_of_neither_form_is_a_400_saying_why() {
    let server = frozen_in_2030().await;
    let url = format!("{}/_stepyard/clock/advance", server.endpoint());
    let back = post_json(&url, &json!({"to": "2029-12-31T23:59:59Z"})).await;
    assert_eq!(back.status, 400, "{}", back.body);
    assert!(back.json()["message"]
        .as_str()
        .is_some_and(|m| m.contains("only moves forward") && m.contains("2029-12-31")));
    let negative = post_json(&url, &json!({"seconds": -5})).await;
    assert_eq!(negative.status, 400);
    assert!(negative.body.contains("only moves forward"));
    for body in [
        json!({}),
        json!({"minutes": 3}),
        json!({"seconds": "ten"}),
        json!({"to": "tomorrow"}),
        json!({"seconds": 1, "to": START}),
    ] {
        let a = post_json(&url, &body).await;
        assert_eq!(a.status, 400, "{body}: {}", a.body);
        assert!(a.json()["message"].is_string());
    }
    let garbage = answer_of(
        http()
            .post(&url)
            .body("{not json")
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(garbage.0, 400);
    let still = get(&format!("{}/_stepyard/clock", server.endpoint()))
        .await
        .json();
    assert_eq!(still["epochMillis"], START_MS, "nothing moved");
}

async fn answer_of(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn advancing_to_a_timestamp_moves_the_clock_there() {
    let server = frozen_in_2030().await;
    let a = post_json(
        &format!("{}/_stepyard/clock/advance", server.endpoint()),
        &json!({"to": "2030-01-02T03:04:05.678Z"}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["now"], "2030-01-02T03:04:05.678Z");
}

#[tokio::test]
async fn a_one_day_wait_succeeds_right_after_advancing_a_day() {
    let server = start().await;
    let sfn = sfn(&server);
    let wait = json!({"StartAt": "Day", "States": {"Day": {"Type": "Wait", "Seconds": 86400, "End": true}}});
    let arn = run_machine(&sfn, "one-day", &wait).await;
    settle(&server).await;
    assert_eq!(describe(&sfn, &arn).await.status, ExecutionStatus::Running);
    advance(&server, 86_399.0).await;
    assert_eq!(describe(&sfn, &arn).await.status, ExecutionStatus::Running);
    advance(&server, 1.0).await;
    let done = describe(&sfn, &arn).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    let took = millis(&done.stop_date.expect("stopDate")) - millis(&done.start_date);
    assert!((86_400_000..86_400_000 + 1000).contains(&took), "{took}");
}

#[tokio::test]
async fn a_message_delayed_15_minutes_arrives_after_advancing_15_minutes() {
    let server = frozen_in_2030().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "delayed").await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("later")
        .delay_seconds(900)
        .send()
        .await
        .expect("SendMessage");
    assert!(receive_all(&sqs, &url).await.is_empty());
    advance(&server, 899.0).await;
    assert!(receive_all(&sqs, &url).await.is_empty());
    advance(&server, 1.0).await;
    let got = receive_all(&sqs, &url).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body.as_deref(), Some("later"));
}

#[tokio::test]
async fn a_message_reappears_after_its_12_hour_visibility_timeout_with_receive_count_2() {
    let server = frozen_in_2030().await;
    let sqs = sqs(&server);
    let url = create_queue_with(&sqs, "hidden", &[("VisibilityTimeout", "43200")]).await;
    send(&sqs, &url, "x").await;
    assert_eq!(receive_all(&sqs, &url).await.len(), 1);
    advance(&server, 43_199.0).await;
    assert!(receive_all(&sqs, &url).await.is_empty());
    advance(&server, 1.0).await;
    let again = receive_all(&sqs, &url).await;
    assert_eq!(again.len(), 1);
    let count = again[0]
        .attributes
        .as_ref()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .cloned();
    assert_eq!(count.as_deref(), Some("2"));
}

#[tokio::test]
async fn a_message_is_gone_after_its_retention_period() {
    let server = frozen_in_2030().await;
    let sqs = sqs(&server);
    let url = create_queue_with(&sqs, "short-lived", &[("MessageRetentionPeriod", "60")]).await;
    send(&sqs, &url, "x").await;
    advance(&server, 60.0).await;
    assert!(receive_all(&sqs, &url).await.is_empty());
    let left = queue_attribute(&sqs, &url, "ApproximateNumberOfMessages").await;
    assert_eq!(left, "0");
}

#[tokio::test]
async fn a_long_poll_ends_when_the_clock_passes_its_deadline() {
    let server = frozen_in_2030().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "poll").await;
    let poll = tokio::spawn({
        let (sqs, url) = (sqs.clone(), url.clone());
        async move {
            sqs.receive_message()
                .queue_url(url)
                .wait_time_seconds(20)
                .send()
                .await
        }
    });
    // The poll registers its timer as it starts waiting; settle cannot see a client's
    // request, so give it a moment to arrive.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let started = Instant::now();
    advance(&server, 20.0).await;
    let got = tokio::time::timeout(Duration::from_secs(3), poll)
        .await
        .expect("the poll ends once the clock passes its 20 s")
        .expect("task")
        .expect("ReceiveMessage");
    assert!(got.messages.unwrap_or_default().is_empty());
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_long_poll_on_a_frozen_clock_still_returns_after_its_real_duration() {
    let server = frozen_in_2030().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "frozen-poll").await;
    let started = Instant::now();
    let got = sqs
        .receive_message()
        .queue_url(url)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("ReceiveMessage");
    assert!(got.messages.unwrap_or_default().is_empty());
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_rate_rule_fires_three_events_an_hour_apart_after_advancing_three_hours() {
    let server = frozen_in_2030().await;
    let eb = eb(&server);
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "hourly").await;
    eb.put_rule()
        .name("hourly")
        .schedule_expression("rate(1 hour)")
        .send()
        .await
        .expect("PutRule");
    eb.put_targets()
        .rule("hourly")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(queue_arn("hourly"))
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("PutTargets");
    advance(&server, 3.0 * 3600.0).await;
    let got = receive_all(&sqs, &url).await;
    let mut times: Vec<String> = got
        .iter()
        .map(|m| {
            let event: Value = serde_json::from_str(m.body.as_deref().unwrap_or("")).expect("JSON");
            event["time"].as_str().expect("time").to_string()
        })
        .collect();
    times.sort();
    assert_eq!(
        times,
        [
            "2030-01-01T01:00:00Z",
            "2030-01-01T02:00:00Z",
            "2030-01-01T03:00:00Z"
        ]
    );
}

#[tokio::test]
async fn a_retry_every_600_s_with_backoff_2_fails_after_30_minutes_with_the_right_history_times() {
    let server = frozen_in_2030().await;
    let sfn = sfn(&server);
    let retrying = json!({"StartAt": "Send", "States": {"Send": {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": "http://localhost:4566/000000000000/missing", "MessageBody": "x"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 600, "BackoffRate": 2, "MaxAttempts": 2}],
        "End": true
    }}});
    let arn = run_machine(&sfn, "retrying", &retrying).await;
    advance(&server, 1799.0).await;
    assert_eq!(describe(&sfn, &arn).await.status, ExecutionStatus::Running);
    advance(&server, 1.0).await;
    let done = describe(&sfn, &arn).await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    let events = history(&sfn, &arn).await;
    let scheduled: Vec<u64> = events
        .iter()
        .filter(|e| e.r#type == HistoryEventType::TaskScheduled)
        .map(|e| millis(&e.timestamp) - START_MS)
        .collect();
    assert_eq!(scheduled, [0, 600_000, 1_800_000]);
    let failed = events
        .iter()
        .find(|e| e.r#type == HistoryEventType::ExecutionFailed)
        .expect("ExecutionFailed");
    assert_eq!(millis(&failed.timestamp) - START_MS, 1_800_000);
}

#[tokio::test]
async fn a_task_without_a_heartbeat_for_an_hour_times_out() {
    let server = frozen_in_2030().await;
    let sfn = sfn(&server);
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "work").await;
    let waiting = json!({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Task.Token"},
        "HeartbeatSeconds": 3600,
        "End": true
    }}});
    let arn = run_machine(&sfn, "heartbeat", &waiting).await;
    settle(&server).await;
    assert_eq!(receive_all(&sqs, &url).await.len(), 1, "the token was sent");
    advance(&server, 3599.0).await;
    assert_eq!(describe(&sfn, &arn).await.status, ExecutionStatus::Running);
    advance(&server, 1.0).await;
    let done = describe(&sfn, &arn).await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.Timeout"));
    let events = history(&sfn, &arn).await;
    let timed_out = events
        .iter()
        .find(|e| e.r#type == HistoryEventType::TaskTimedOut)
        .expect("TaskTimedOut");
    assert_eq!(millis(&timed_out.timestamp) - START_MS, 3_600_000);
}

#[tokio::test]
async fn a_frozen_clock_started_in_2030_stamps_messages_executions_and_jsonata_now_in_2030() {
    let server = frozen_in_2030().await;
    let sqs = sqs(&server);
    let sfn = sfn(&server);
    let url = create_queue(&sqs, "stamps").await;
    send(&sqs, &url, "x").await;
    let got = receive_all(&sqs, &url).await;
    let sent = got[0]
        .attributes
        .as_ref()
        .and_then(|a| a.get(&MessageSystemAttributeName::SentTimestamp))
        .cloned();
    assert_eq!(sent, Some(START_MS.to_string()));
    let now = json!({"QueryLanguage": "JSONata", "StartAt": "Now", "States": {"Now": {
        "Type": "Pass",
        "Output": {"now": "{% $now() %}", "millis": "{% $millis() %}",
                   "started": "{% $states.context.Execution.StartTime %}"},
        "End": true
    }}});
    let arn = run_machine(&sfn, "now", &now).await;
    settle(&server).await;
    let done = describe(&sfn, &arn).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(millis(&done.start_date), START_MS);
    let output: Value = serde_json::from_str(done.output.as_deref().expect("output")).unwrap();
    assert_eq!(output["now"], "2030-01-01T00:00:00.000Z");
    assert_eq!(output["millis"], START_MS);
    assert_eq!(output["started"], "2030-01-01T00:00:00.000Z");
    let created = queue_attribute(&sqs, &url, "CreatedTimestamp").await;
    assert_eq!(created, (START_MS / 1000).to_string());
}

#[tokio::test]
async fn settle_returns_once_put_events_has_run_the_rule_the_execution_and_its_send_message() {
    let server = start().await;
    let eb = eb(&server);
    let sqs = sqs(&server);
    let sfn = sfn(&server);
    let url = create_queue(&sqs, "out").await;
    let forward = json!({"StartAt": "Send", "States": {"Send": {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": url, "MessageBody.$": "$.detail"},
        "End": true
    }}});
    let machine = sfn
        .create_state_machine()
        .name("forward")
        .definition(forward.to_string())
        .role_arn(ROLE)
        .send()
        .await
        .expect("CreateStateMachine")
        .state_machine_arn;
    eb.put_rule()
        .name("orders")
        .event_pattern(r#"{"source": ["shop"]}"#)
        .send()
        .await
        .expect("PutRule");
    eb.put_targets()
        .rule("orders")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("sfn")
                .arn(machine)
                .role_arn(ROLE)
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("PutTargets");
    for i in 0..5 {
        eb.put_events()
            .entries(
                aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                    .source("shop")
                    .detail_type("Order")
                    .detail(json!({"order": i}).to_string())
                    .build(),
            )
            .send()
            .await
            .expect("PutEvents");
        settle(&server).await;
        let got = receive_all(&sqs, &url).await;
        assert_eq!(
            got.len(),
            1,
            "order {i} is in the queue as soon as settle answers"
        );
        let body: Value = serde_json::from_str(got[0].body.as_deref().unwrap_or("")).unwrap();
        assert_eq!(body, json!({"order": i}));
        sqs.delete_message()
            .queue_url(&url)
            .receipt_handle(got[0].receipt_handle.as_deref().unwrap_or(""))
            .send()
            .await
            .expect("DeleteMessage");
    }
}

#[tokio::test]
async fn settle_times_out_with_a_503_naming_what_is_still_busy() {
    // An HTTP endpoint that accepts connections and never answers: SNS's confirmation POST
    // to it stays in flight.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let server = start().await;
    let sns = sns(&server);
    let topic = sns
        .create_topic()
        .name("silent")
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn
        .expect("arn");
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(format!("http://127.0.0.1:{port}/hook"))
        .send()
        .await
        .expect("Subscribe");
    let a = post_json(
        &format!("{}/_stepyard/settle", server.endpoint()),
        &json!({"timeoutSeconds": 0.05}),
    )
    .await;
    assert_eq!(a.status, 503, "{}", a.body);
    let j = a.json();
    assert_eq!(j["settled"], false);
    let busy = j["busy"].as_array().expect("busy");
    assert!(
        busy.iter().any(|b| b["kind"] == "sns-delivery"
            && b["arn"].as_str().is_some_and(|a| a.starts_with(&topic))),
        "{j}"
    );
    let bad = post_json(
        &format!("{}/_stepyard/settle", server.endpoint()),
        &json!({"timeoutSeconds": -1}),
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn settle_counts_an_execution_parked_on_a_task_token_as_idle_and_wakes_on_success() {
    let server = frozen_in_2030().await;
    let sfn = sfn(&server);
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "tokens").await;
    let out = create_queue(&sqs, "after").await;
    let waiting = json!({"StartAt": "Ask", "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Task.Token"},
            "Next": "Tell"
        },
        "Tell": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": out, "MessageBody": "done"},
            "End": true
        }
    }});
    let arn = run_machine(&sfn, "token", &waiting).await;
    settle(&server).await;
    let token = receive_all(&sqs, &url).await[0]
        .body
        .clone()
        .expect("token");
    assert_eq!(describe(&sfn, &arn).await.status, ExecutionStatus::Running);
    sfn.send_task_success()
        .task_token(token)
        .output("{}")
        .send()
        .await
        .expect("SendTaskSuccess");
    settle(&server).await;
    assert_eq!(receive_all(&sqs, &out).await.len(), 1);
    assert_eq!(
        describe(&sfn, &arn).await.status,
        ExecutionStatus::Succeeded
    );
}

#[tokio::test]
async fn parallel_branches_waiting_on_the_clock_leave_the_emulator_settled() {
    let server = frozen_in_2030().await;
    let sfn = sfn(&server);
    let both = json!({"StartAt": "Both", "States": {"Both": {
        "Type": "Parallel",
        "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 60, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 120, "End": true}}}
        ],
        "End": true
    }}});
    let arn = run_machine(&sfn, "both", &both).await;
    settle(&server).await;
    advance(&server, 60.0).await;
    assert_eq!(describe(&sfn, &arn).await.status, ExecutionStatus::Running);
    advance(&server, 60.0).await;
    let done = describe(&sfn, &arn).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(
        millis(&done.stop_date.expect("stopDate")) - START_MS,
        120_000
    );
}

#[tokio::test]
async fn a_sync_child_parked_on_a_wait_leaves_its_parent_parked_until_advanced() {
    let server = frozen_in_2030().await;
    let sfn = sfn(&server);
    let child = json!({"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let child_arn = sfn
        .create_state_machine()
        .name("child")
        .definition(child.to_string())
        .role_arn(ROLE)
        .send()
        .await
        .expect("child machine")
        .state_machine_arn;
    let parent = json!({"StartAt": "Run", "States": {"Run": {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": child_arn, "Input": {}},
        "End": true
    }}});
    let arn = run_machine(&sfn, "parent", &parent).await;
    settle(&server).await;
    assert_eq!(describe(&sfn, &arn).await.status, ExecutionStatus::Running);
    advance(&server, 3600.0).await;
    assert_eq!(
        describe(&sfn, &arn).await.status,
        ExecutionStatus::Succeeded
    );
}

#[tokio::test]
async fn an_execution_timeout_fires_when_the_clock_passes_it_while_a_wait_runs() {
    let server = frozen_in_2030().await;
    let sfn = sfn(&server);
    let slow = json!({"TimeoutSeconds": 60, "StartAt": "Long", "States": {
        "Long": {"Type": "Wait", "Seconds": 3600, "End": true}
    }});
    let arn = run_machine(&sfn, "slow", &slow).await;
    advance(&server, 59.0).await;
    assert_eq!(describe(&sfn, &arn).await.status, ExecutionStatus::Running);
    advance(&server, 1.0).await;
    let done = describe(&sfn, &arn).await;
    assert_eq!(done.status, ExecutionStatus::TimedOut);
    assert_eq!(
        millis(&done.stop_date.expect("stopDate")) - START_MS,
        60_000
    );
}

#[tokio::test]
async fn settle_waits_for_a_task_guarded_by_a_timeout_to_finish() {
    // The execution's and the task's TimeoutSeconds timers must not make the running
    // execution (500 Map iterations, then a task) look parked.
    let server = frozen_in_2030().await;
    let sfn = sfn(&server);
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "guarded").await;
    let guarded = json!({"TimeoutSeconds": 3600, "StartAt": "Items", "States": {
    "Items": {"Type": "Pass", "Parameters": {"items.$": "States.ArrayRange(1, 500, 1)"}, "Next": "Many"},
    "Many": {
        "Type": "Map", "ItemsPath": "$.items", "ResultPath": null, "Next": "Send",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}
    },
    "Send": {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": url, "MessageBody": "sent"},
        "TimeoutSeconds": 60,
        "End": true
    }}});
    for i in 0..10 {
        let arn = run_machine(&sfn, &format!("guarded-{i}"), &guarded).await;
        settle(&server).await;
        assert_eq!(
            describe(&sfn, &arn).await.status,
            ExecutionStatus::Succeeded
        );
    }
    assert_eq!(receive_all(&sqs, &url).await.len(), 10);
}

#[tokio::test]
async fn an_activity_poll_ends_when_the_clock_passes_its_60_seconds() {
    let server = frozen_in_2030().await;
    let sfn = sfn(&server);
    let activity = sfn
        .create_activity()
        .name("idle")
        .send()
        .await
        .expect("CreateActivity")
        .activity_arn;
    let poll = tokio::spawn({
        let sfn = sfn.clone();
        async move { sfn.get_activity_task().activity_arn(activity).send().await }
    });
    tokio::time::sleep(Duration::from_millis(5)).await;
    advance(&server, 60.0).await;
    let got = tokio::time::timeout(Duration::from_secs(3), poll)
        .await
        .expect("the poll ends once the clock passes its 60 s")
        .expect("task")
        .expect("GetActivityTask");
    assert!(got.task_token.is_none());
}
