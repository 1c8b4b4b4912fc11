//! StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask: redriving messages out
//! of a dead-letter queue, to a chosen queue or back to where they came from.

use crate::common::*;
use std::time::{Duration, Instant};

/// A source queue `src` dead-lettering into `dlq` after one receive, with `n` messages
/// already moved into the DLQ. Returns (src url, dlq url).
async fn dlq_with_messages(sqs: &aws_sdk_sqs::Client, n: usize) -> (String, String) {
    let dlq = create_queue(sqs, "dlq").await;
    let policy = serde_json::json!({"deadLetterTargetArn": queue_arn("dlq"), "maxReceiveCount": 1});
    let src = create_queue_with(sqs, "src", &[("RedrivePolicy", &policy.to_string())]).await;
    for i in 0..n {
        send(sqs, &src, &format!("message-{i}")).await;
    }
    for _ in 0..(n * 2) {
        sqs.receive_message()
            .queue_url(&src)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        counts(sqs, &dlq).await.0,
        n as u64,
        "messages reached the DLQ"
    );
    (src, dlq)
}

/// Long-polls `url` until `n` messages arrived (deleting them), or 10 s passed.
async fn collect(sqs: &aws_sdk_sqs::Client, url: &str, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while got.len() < n && Instant::now() < deadline {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for m in out.messages.unwrap_or_default() {
            delete(sqs, url, m.receipt_handle.as_deref().unwrap()).await;
            got.push(m.body.unwrap());
        }
    }
    got
}

async fn tasks(
    sqs: &aws_sdk_sqs::Client,
    source_arn: &str,
) -> Vec<aws_sdk_sqs::types::ListMessageMoveTasksResultEntry> {
    sqs.list_message_move_tasks()
        .source_arn(source_arn)
        .send()
        .await
        .unwrap()
        .results
        .unwrap_or_default()
}

/// Asks ListMessageMoveTasks until the newest task's status is `status` (the task runs in the
/// background), up to 5 s.
async fn wait_for_status(sqs: &aws_sdk_sqs::Client, source_arn: &str, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let list = tasks(sqs, source_arn).await;
        if list.first().and_then(|t| t.status.as_deref()) == Some(status) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "task never reached {status}: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_move_task_moves_dead_letters_to_the_destination_and_completes() {
    let server = start().await;
    let sqs = sqs(&server);
    let (_src, dlq) = dlq_with_messages(&sqs, 2).await;
    let dest = create_queue(&sqs, "dest").await;

    let handle = sqs
        .start_message_move_task()
        .source_arn(queue_arn("dlq"))
        .destination_arn(queue_arn("dest"))
        .send()
        .await
        .unwrap()
        .task_handle
        .expect("a TaskHandle");
    assert!(!handle.is_empty());

    let mut got = collect(&sqs, &dest, 2).await;
    got.sort();
    assert_eq!(got, vec!["message-0", "message-1"]);

    wait_for_status(&sqs, &queue_arn("dlq"), "COMPLETED").await;
    let list = tasks(&sqs, &queue_arn("dlq")).await;
    let task = &list[0];
    assert_eq!(task.source_arn.as_deref(), Some(queue_arn("dlq").as_str()));
    assert_eq!(
        task.destination_arn.as_deref(),
        Some(queue_arn("dest").as_str())
    );
    assert_eq!(task.approximate_number_of_messages_moved, 2);
    assert!(task.started_timestamp > 0);
    assert!(
        task.task_handle.is_none(),
        "only a running task has a TaskHandle"
    );
    assert_eq!(counts(&sqs, &dlq).await, (0, 0, 0));
}

#[tokio::test]
async fn a_move_task_without_destination_returns_messages_to_their_source_queue() {
    let server = start().await;
    let sqs = sqs(&server);
    let (src, _dlq) = dlq_with_messages(&sqs, 3).await;
    // Raise the source's maxReceiveCount so that receiving the returned messages below does
    // not dead-letter them again (whether a redrive resets the receive count is not what this
    // test is about).
    let lenient =
        serde_json::json!({"deadLetterTargetArn": queue_arn("dlq"), "maxReceiveCount": 100});
    sqs.set_queue_attributes()
        .queue_url(&src)
        .attributes("RedrivePolicy".into(), lenient.to_string())
        .send()
        .await
        .unwrap();
    sqs.start_message_move_task()
        .source_arn(queue_arn("dlq"))
        .send()
        .await
        .unwrap();
    let mut got = collect(&sqs, &src, 3).await;
    got.sort();
    assert_eq!(got, vec!["message-0", "message-1", "message-2"]);
    wait_for_status(&sqs, &queue_arn("dlq"), "COMPLETED").await;
}

#[tokio::test]
async fn a_move_task_source_must_be_a_dead_letter_queue() {
    let server = start().await;
    let sqs = sqs(&server);
    create_queue(&sqs, "plain").await;
    create_queue(&sqs, "dest").await;
    let failure = expect_failure(
        sqs.start_message_move_task()
            .source_arn(queue_arn("plain"))
            .destination_arn(queue_arn("dest"))
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
    assert_eq!(failure.status, 400);
}

#[tokio::test]
async fn a_move_task_destination_must_exist() {
    let server = start().await;
    let sqs = sqs(&server);
    dlq_with_messages(&sqs, 1).await;
    let failure = expect_failure(
        sqs.start_message_move_task()
            .source_arn(queue_arn("dlq"))
            .destination_arn(queue_arn("doesntexist"))
            .send()
            .await,
    );
    // The model gives ResourceNotFoundException HTTP 404.
    assert_eq!(failure.code, "ResourceNotFoundException");
    assert_eq!(failure.status, 404, "{failure:?}");
}

#[tokio::test]
async fn a_running_move_task_can_be_cancelled_and_leaves_the_rest_in_the_dlq() {
    let server = start().await;
    let sqs = sqs(&server);
    let (_src, dlq) = dlq_with_messages(&sqs, 10).await;
    create_queue(&sqs, "dest").await;
    // One message per second on the server clock, which the test does not move: the task is
    // still running when it is cancelled.
    let handle = sqs
        .start_message_move_task()
        .source_arn(queue_arn("dlq"))
        .destination_arn(queue_arn("dest"))
        .max_number_of_messages_per_second(1)
        .send()
        .await
        .unwrap()
        .task_handle
        .unwrap();

    let running = tasks(&sqs, &queue_arn("dlq")).await;
    assert_eq!(running[0].status.as_deref(), Some("RUNNING"));
    assert_eq!(running[0].task_handle.as_deref(), Some(handle.as_str()));
    assert_eq!(running[0].max_number_of_messages_per_second, Some(1));
    assert_eq!(running[0].approximate_number_of_messages_to_move, Some(10));

    // A second task on the same source is refused while one runs.
    assert!(sqs
        .start_message_move_task()
        .source_arn(queue_arn("dlq"))
        .send()
        .await
        .is_err());

    let cancelled = sqs
        .cancel_message_move_task()
        .task_handle(&handle)
        .send()
        .await
        .unwrap();
    assert!(cancelled.approximate_number_of_messages_moved < 10);
    wait_for_status(&sqs, &queue_arn("dlq"), "CANCELLED").await;
    assert!(
        counts(&sqs, &dlq).await.0 > 0,
        "unmoved messages stay in the DLQ"
    );
}

#[tokio::test]
async fn cancelling_with_an_invalid_task_handle_fails() {
    let server = start().await;
    let sqs = sqs(&server);
    let failure = expect_failure(
        sqs.cancel_message_move_task()
            .task_handle("foobared")
            .send()
            .await,
    );
    assert_eq!(failure.status, 400, "{failure:?}");
    assert_ne!(failure.code, "<transport>");
}

#[tokio::test]
async fn list_message_move_tasks_of_a_queue_without_tasks_is_empty() {
    let server = start().await;
    let sqs = sqs(&server);
    dlq_with_messages(&sqs, 1).await;
    assert!(tasks(&sqs, &queue_arn("dlq")).await.is_empty());
}
