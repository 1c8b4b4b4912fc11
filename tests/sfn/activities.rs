//! CreateActivity, DescribeActivity, ListActivities, DeleteActivity, GetActivityTask.

use crate::client::{failed, sfn};
use crate::common;
use std::time::Duration;

const ACTIVITY_ARN: &str = "arn:aws:states:us-east-1:000000000000:activity:work";

#[tokio::test]
async fn activities_are_created_idempotently_described_listed_and_deleted() {
    let server = common::start().await;
    let client = sfn(&server);
    let created = client
        .create_activity()
        .name("work")
        .send()
        .await
        .expect("create");
    assert_eq!(created.activity_arn, ACTIVITY_ARN);
    let again = client
        .create_activity()
        .name("work")
        .send()
        .await
        .expect("create again");
    assert_eq!(again.creation_date, created.creation_date);
    client
        .create_activity()
        .name("other")
        .send()
        .await
        .expect("create");

    let described = client
        .describe_activity()
        .activity_arn(ACTIVITY_ARN)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.name, "work");

    let first = client
        .list_activities()
        .max_results(1)
        .send()
        .await
        .expect("list");
    assert_eq!(first.activities.len(), 1);
    let rest = client
        .list_activities()
        .max_results(1)
        .set_next_token(first.next_token)
        .send()
        .await
        .expect("list");
    assert_eq!(rest.activities.len(), 1);
    assert_ne!(rest.activities[0].name, first.activities[0].name);

    client
        .delete_activity()
        .activity_arn(ACTIVITY_ARN)
        .send()
        .await
        .expect("delete");
    let gone = failed(
        client
            .describe_activity()
            .activity_arn(ACTIVITY_ARN)
            .send()
            .await,
    );
    assert_eq!(gone.code, "ActivityDoesNotExist");
    assert_eq!(
        gone.message,
        format!("Activity Does Not Exist: '{ACTIVITY_ARN}'")
    );
}

#[tokio::test]
async fn activity_names_follow_aws_rules() {
    let server = common::start().await;
    let client = sfn(&server);
    for name in [
        "activity name",
        "activity<name",
        "activity:name",
        "activity\u{7f}",
    ] {
        let refused = failed(client.create_activity().name(name).send().await);
        assert_eq!(refused.code, "InvalidName", "{name:?}");
        assert_eq!(refused.message, format!("Invalid Name: '{name}'"));
    }
    let malformed = failed(
        client
            .describe_activity()
            .activity_arn("no_an_activity_arn")
            .send()
            .await,
    );
    assert_eq!(
        malformed.message,
        "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'"
    );
}

#[tokio::test]
async fn get_activity_task_long_polls_and_returns_nothing_without_work() {
    let server = common::start().await;
    let client = sfn(&server);
    create_work_activity(&client).await;
    let poll = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .get_activity_task()
                .activity_arn(ACTIVITY_ARN)
                .worker_name("w1")
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!poll.is_finished(), "the poll waits for a task");
    server.clock().advance(Duration::from_secs(61));
    let answer = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("the poll ends once its minute has passed")
        .expect("task")
        .expect("GetActivityTask");
    assert!(answer.task_token.is_none());
    assert!(answer.input.is_none());

    let missing = failed(
        client
            .get_activity_task()
            .activity_arn("arn:aws:states:us-east-1:000000000000:activity:nope")
            .send()
            .await,
    );
    assert_eq!(missing.code, "ActivityDoesNotExist");
}

const ACTIVITY_MACHINE: &str = r#"{"StartAt": "Work", "States": {"Work": {"Type": "Task",
    "Resource": "arn:aws:states:us-east-1:000000000000:activity:work",
    "Parameters": {"job.$": "$.job", "token.$": "$$.Task.Token"},
    "ResultPath": "$.result", "TimeoutSeconds": 300, "HeartbeatSeconds": 60, "End": true}}}"#;

async fn history_types(client: &aws_sdk_sfn::Client, execution_arn: &str) -> Vec<String> {
    client
        .get_execution_history()
        .execution_arn(execution_arn)
        .send()
        .await
        .expect("history")
        .events
        .iter()
        .map(|e| e.r#type.as_str().to_string())
        .collect()
}

async fn create_work_activity(client: &aws_sdk_sfn::Client) {
    client
        .create_activity()
        .name("work")
        .send()
        .await
        .expect("create");
}

/// A task's input, as JSON.
fn input_of(
    task: aws_sdk_sfn::operation::get_activity_task::GetActivityTaskOutput,
) -> serde_json::Value {
    serde_json::from_str(&task.input.expect("input")).expect("JSON input")
}

/// Lets an attempt of a Task with `HeartbeatSeconds: 60` and a retrier of one second miss its
/// heartbeat, and the retry's interval pass (the clock's waiters seeing each step).
async fn miss_the_heartbeat_until_the_retry(server: &stepyard::RunningServer) {
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.clock().advance(Duration::from_secs(61));
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.clock().advance(Duration::from_secs(2));
}

async fn poll_task(
    client: &aws_sdk_sfn::Client,
) -> aws_sdk_sfn::operation::get_activity_task::GetActivityTaskOutput {
    client
        .get_activity_task()
        .activity_arn(ACTIVITY_ARN)
        .worker_name("worker-1")
        .send()
        .await
        .expect("GetActivityTask")
}

#[tokio::test]
async fn an_activity_task_is_handed_to_a_worker_and_its_result_ends_the_state() {
    let server = common::start().await;
    let client = sfn(&server);
    create_work_activity(&client).await;
    let machine = crate::client::create_machine(&client, "act", ACTIVITY_MACHINE).await;
    let execution = crate::client::start(&client, &machine, "e1", r#"{"job": 7}"#).await;
    let task = poll_task(&client).await;
    let token = task.task_token.expect("a task");
    let input: serde_json::Value = serde_json::from_str(&task.input.expect("input")).unwrap();
    assert_eq!(input["job"], 7);
    assert_eq!(
        input["token"],
        token.as_str(),
        "$$.Task.Token is the task's token"
    );
    client
        .send_task_heartbeat()
        .task_token(&token)
        .send()
        .await
        .expect("heartbeat");
    client
        .send_task_success()
        .task_token(&token)
        .output(r#"{"done": true}"#)
        .send()
        .await
        .expect("success");
    let done = crate::client::wait_until_done(&client, &execution).await;
    assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Succeeded);
    let output: serde_json::Value = serde_json::from_str(done.output.as_deref().unwrap()).unwrap();
    assert_eq!(
        output,
        serde_json::json!({"job": 7, "result": {"done": true}})
    );
    assert_eq!(
        history_types(&client, &execution).await,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    let events = client
        .get_execution_history()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap()
        .events;
    let scheduled = events[2].activity_scheduled_event_details.as_ref().unwrap();
    assert_eq!(scheduled.timeout_in_seconds, Some(300));
    assert_eq!(scheduled.heartbeat_in_seconds, Some(60));
    let started = events[3].activity_started_event_details.as_ref().unwrap();
    assert_eq!(started.worker_name.as_deref(), Some("worker-1"));

    // The token is spent: AWS calls that a timed-out task.
    let again = failed(
        client
            .send_task_success()
            .task_token(&token)
            .output("{}")
            .send()
            .await,
    );
    assert_eq!(again.code, "TaskTimedOut");
    let invalid = failed(
        client
            .send_task_failure()
            .task_token("not-a-token")
            .send()
            .await,
    );
    assert_eq!(invalid.code, "InvalidToken");
    assert_eq!(invalid.message, "Invalid Token: 'Invalid token'");
}

#[tokio::test]
async fn send_task_failure_fails_the_execution_with_the_workers_error() {
    let server = common::start().await;
    let client = sfn(&server);
    create_work_activity(&client).await;
    let machine = crate::client::create_machine(&client, "act", ACTIVITY_MACHINE).await;
    let execution = crate::client::start(&client, &machine, "e1", r#"{"job": 1}"#).await;
    let token = poll_task(&client).await.task_token.expect("a task");
    let bad_output = failed(
        client
            .send_task_success()
            .task_token(&token)
            .output("not json")
            .send()
            .await,
    );
    assert_eq!(bad_output.code, "InvalidOutput");
    client
        .send_task_failure()
        .task_token(&token)
        .error("Programmatic Error")
        .cause("it broke")
        .send()
        .await
        .expect("failure");
    let done = crate::client::wait_until_done(&client, &execution).await;
    assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("Programmatic Error"));
    assert_eq!(done.cause.as_deref(), Some("it broke"));
    let types = history_types(&client, &execution).await;
    assert_eq!(types[4..], ["ActivityFailed", "ExecutionFailed"]);
}

#[tokio::test]
async fn a_missed_heartbeat_times_the_activity_out_on_the_shared_clock() {
    let server = common::start().await;
    let client = sfn(&server);
    create_work_activity(&client).await;
    let machine = crate::client::create_machine(&client, "act", ACTIVITY_MACHINE).await;
    let execution = crate::client::start(&client, &machine, "e1", r#"{"job": 1}"#).await;
    let token = poll_task(&client).await.task_token.expect("a task");
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.clock().advance(Duration::from_secs(61));
    let done = crate::client::wait_until_done(&client, &execution).await;
    assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.Timeout"));
    let types = history_types(&client, &execution).await;
    assert_eq!(types[4..], ["ActivityTimedOut", "ExecutionFailed"]);
    let late = failed(client.send_task_heartbeat().task_token(&token).send().await);
    assert_eq!(late.code, "TaskTimedOut");
}

#[tokio::test]
async fn a_task_on_a_deleted_activity_fails_with_states_runtime() {
    let server = common::start().await;
    let client = sfn(&server);
    create_work_activity(&client).await;
    let machine = crate::client::create_machine(&client, "act", ACTIVITY_MACHINE).await;
    client
        .delete_activity()
        .activity_arn(ACTIVITY_ARN)
        .send()
        .await
        .expect("delete");
    let execution = crate::client::start(&client, &machine, "e1", r#"{"job": 1}"#).await;
    let done = crate::client::wait_until_done(&client, &execution).await;
    assert_eq!(done.error.as_deref(), Some("States.Runtime"));
    assert_eq!(
        done.cause.as_deref(),
        Some("An error occurred while executing the state 'Work' (entered at the event id #2). The activity arn:aws:states:us-east-1:000000000000:activity:work does not exist.")
    );
}

#[tokio::test]
async fn describe_activity_always_returns_its_encryption_configuration() {
    use aws_sdk_sfn::types::{EncryptionConfiguration, EncryptionType};
    let server = common::start().await;
    let client = sfn(&server);
    let plain = client
        .create_activity()
        .name("plain")
        .send()
        .await
        .expect("create")
        .activity_arn;
    let described = client
        .describe_activity()
        .activity_arn(&plain)
        .send()
        .await
        .expect("describe");
    assert_eq!(
        described.encryption_configuration().map(|e| e.r#type()),
        Some(&EncryptionType::AwsOwnedKey)
    );
    let configured = EncryptionConfiguration::builder()
        .r#type(EncryptionType::CustomerManagedKmsKey)
        .kms_key_id("alias/k")
        .kms_data_key_reuse_period_seconds(300)
        .build()
        .expect("configuration");
    let keyed = client
        .create_activity()
        .name("keyed")
        .encryption_configuration(configured.clone())
        .send()
        .await
        .expect("create")
        .activity_arn;
    let described = client
        .describe_activity()
        .activity_arn(&keyed)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.encryption_configuration(), Some(&configured));
}

/// A top-level activity Task parks its execution as data while it waits: each heartbeat,
/// each worker's poll wakes it and it parks again. What it had must come back every time:
/// its retry count (`$$.State.RetryCount`, and how many attempts its retrier has left), its
/// heartbeat clock (from the last beat, not from the wake), and the chain of its events.
#[tokio::test]
async fn a_parked_activity_keeps_its_retries_heartbeat_clock_and_event_chain_across_wakes() {
    let server = common::start().await;
    let client = sfn(&server);
    create_work_activity(&client).await;
    let definition = format!(
        r#"{{"StartAt": "Work", "States": {{"Work": {{"Type": "Task", "Resource": "{ACTIVITY_ARN}",
        "Parameters": {{"retry.$": "$$.State.RetryCount", "token.$": "$$.Task.Token"}},
        "HeartbeatSeconds": 60, "TimeoutSeconds": 600,
        "Retry": [{{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1, "IntervalSeconds": 1}}],
        "End": true}}}}}}"#
    );
    let machine = crate::client::create_machine(&client, "parked-act", &definition).await;
    let execution = crate::client::start(&client, &machine, "e1", "{}").await;
    let running = || async {
        client
            .describe_execution()
            .execution_arn(&execution)
            .send()
            .await
            .expect("describe")
            .status
            == aws_sdk_sfn::types::ExecutionStatus::Running
    };
    // The first attempt misses its heartbeat and is retried.
    let first = poll_task(&client).await;
    let input = input_of(first);
    assert_eq!(input["retry"], 0);
    miss_the_heartbeat_until_the_retry(&server).await;
    let second = poll_task(&client).await;
    let input = input_of(second.clone());
    assert_eq!(input["retry"], 1, "the retry's RetryCount");
    let token = second.task_token.expect("a task");
    // A beat 30 s in: the next is due 60 s after it, not 60 s after the run woke.
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.clock().advance(Duration::from_secs(30));
    client
        .send_task_heartbeat()
        .task_token(&token)
        .send()
        .await
        .expect("heartbeat");
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.clock().advance(Duration::from_secs(45));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(running().await, "45 s after the beat it still runs");
    // 61 s after the beat: timed out, and its one retry is spent, so the execution fails.
    server.clock().advance(Duration::from_secs(16));
    let done = crate::client::wait_until_done(&client, &execution).await;
    assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.Timeout"));
    let events = client
        .get_execution_history()
        .execution_arn(&execution)
        .send()
        .await
        .expect("history")
        .events;
    let types: Vec<&str> = events.iter().map(|e| e.r#type.as_str()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivityTimedOut",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivityTimedOut",
            "ExecutionFailed"
        ]
    );
    // Each of the Task's events chains to the one before it, across every park.
    for pair in events[1..8].windows(2) {
        assert_eq!(
            pair[1].previous_event_id, pair[0].id,
            "{:?}",
            pair[1].r#type
        );
    }
    let late = failed(client.send_task_heartbeat().task_token(&token).send().await);
    assert_eq!(late.code, "TaskTimedOut");
}

/// StopExecution on an execution parked in an activity Task ends its token, and a redrive of
/// the aborted execution starts again at that Task, with the input it had: the place a
/// redrive starts from is kept while the execution is parked.
#[tokio::test]
async fn a_stopped_parked_activity_ends_its_token_and_is_redriven_at_its_task() {
    let server = common::start().await;
    let client = sfn(&server);
    create_work_activity(&client).await;
    let machine = crate::client::create_machine(&client, "act", ACTIVITY_MACHINE).await;
    let execution = crate::client::start(&client, &machine, "e1", r#"{"job": 5}"#).await;
    let token = poll_task(&client).await.task_token.expect("a task");
    client
        .stop_execution()
        .execution_arn(&execution)
        .send()
        .await
        .expect("stop");
    let done = crate::client::wait_until_done(&client, &execution).await;
    assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Aborted);
    let late = failed(
        client
            .send_task_success()
            .task_token(&token)
            .output("{}")
            .send()
            .await,
    );
    assert_eq!(late.code, "TaskTimedOut");
    client
        .redrive_execution()
        .execution_arn(&execution)
        .send()
        .await
        .expect("redrive");
    let again = poll_task(&client).await;
    let input = input_of(again.clone());
    assert_eq!(input["job"], 5, "the Task runs again on the input it had");
    client
        .send_task_success()
        .task_token(again.task_token.expect("a task"))
        .output(r#"{"ok": 1}"#)
        .send()
        .await
        .expect("success");
    let done = crate::client::wait_until_done(&client, &execution).await;
    assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Succeeded);
    let types = history_types(&client, &execution).await;
    assert_eq!(
        types[4..],
        [
            "ExecutionAborted",
            "ExecutionRedriven",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

/// A retried activity Task woken from its park by a heartbeat still reads its retry count
/// where it builds its result (`$$.State.RetryCount` in ResultSelector).
#[tokio::test]
async fn a_parked_retried_activity_reads_its_retry_count_in_its_result() {
    let server = common::start().await;
    let client = sfn(&server);
    create_work_activity(&client).await;
    let definition = format!(
        r#"{{"StartAt": "Work", "States": {{"Work": {{"Type": "Task", "Resource": "{ACTIVITY_ARN}",
        "HeartbeatSeconds": 60,
        "ResultSelector": {{"retries.$": "$$.State.RetryCount", "v.$": "$.v"}},
        "Retry": [{{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2, "IntervalSeconds": 1}}],
        "End": true}}}}}}"#
    );
    let machine = crate::client::create_machine(&client, "parked-retry", &definition).await;
    let execution = crate::client::start(&client, &machine, "e1", "{}").await;
    poll_task(&client).await.task_token.expect("a task");
    miss_the_heartbeat_until_the_retry(&server).await;
    let token = poll_task(&client).await.task_token.expect("a task");
    client
        .send_task_heartbeat()
        .task_token(&token)
        .send()
        .await
        .expect("heartbeat");
    tokio::time::sleep(Duration::from_millis(50)).await;
    client
        .send_task_success()
        .task_token(&token)
        .output(r#"{"v": 3}"#)
        .send()
        .await
        .expect("success");
    let done = crate::client::wait_until_done(&client, &execution).await;
    assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Succeeded);
    let output: serde_json::Value = serde_json::from_str(done.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, serde_json::json!({"retries": 1, "v": 3}));
}
