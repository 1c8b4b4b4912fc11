//! Redrive policies, dead-letter moves, message move tasks.

use super::Harness;
use serde_json::{json, Value};

#[tokio::test]
async fn messages_past_max_receive_count_move_to_the_dead_letter_queue() {
    let h = Harness::new();
    let dlq = h.create("dlq", json!({})).await;
    let policy = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq", "maxReceiveCount": 2}).to_string();
    let src = h
        .create(
            "src",
            json!({"RedrivePolicy": policy, "VisibilityTimeout": "0"}),
        )
        .await;
    let sent = h
        .ok("SendMessage", json!({"QueueUrl": src, "MessageBody": "m", "MessageAttributes": {"MyAttribute": {"DataType": "String", "StringValue": "foobar"}}}))
        .await;
    assert_eq!(h.receive(&src, json!({})).await.len(), 1);
    assert_eq!(h.receive(&src, json!({})).await.len(), 1);
    assert!(h.receive(&src, json!({})).await.is_empty());
    let moved = h
        .receive(
            &dlq,
            json!({"MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]}),
        )
        .await;
    assert_eq!(moved[0]["MessageId"], sent["MessageId"]);
    assert_eq!(
        moved[0]["Attributes"]["DeadLetterQueueSourceArn"],
        "arn:aws:sqs:us-east-1:000000000000:src"
    );
    assert_eq!(
        moved[0]["MD5OfMessageAttributes"],
        "adb59cd4678ea5a855436b949cd07ab6"
    );
    let sources = h
        .ok("ListDeadLetterSourceQueues", json!({"QueueUrl": dlq}))
        .await;
    assert_eq!(sources["queueUrls"], json!([src]));
    let rendered = h.attribute(&src, "RedrivePolicy").await;
    assert_eq!(
        rendered,
        r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":2}"#
    );
}

#[tokio::test]
async fn redrive_policy_targets_are_checked() {
    let h = Harness::new();
    h.create("f.fifo", json!({"FifoQueue": "true"})).await;
    let raw = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:f.fifo", "maxReceiveCount": 1}).to_string();
    let e = h
        .err(
            "CreateQueue",
            json!({"QueueName": "s", "Attributes": {"RedrivePolicy": raw}}),
        )
        .await;
    assert!(e
        .message
        .ends_with("Reason: Dead-letter queue must be same type of queue as the source.."));
    let raw = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:none", "maxReceiveCount": 1}).to_string();
    let e = h
        .err(
            "CreateQueue",
            json!({"QueueName": "s", "Attributes": {"RedrivePolicy": raw}}),
        )
        .await;
    assert!(e
        .message
        .ends_with("Reason: Dead letter target does not exist."));
}

#[tokio::test]
async fn move_task_redrives_messages_back_to_their_source() {
    let h = Harness::new();
    let dlq = h.create("dlq", json!({})).await;
    let policy = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq", "maxReceiveCount": 1}).to_string();
    let src = h
        .create(
            "src",
            json!({"RedrivePolicy": policy, "VisibilityTimeout": "0"}),
        )
        .await;
    h.send(&src, "m1").await;
    h.send(&src, "m2").await;
    h.receive(&src, json!({"MaxNumberOfMessages": 10})).await;
    assert!(h
        .receive(&src, json!({"MaxNumberOfMessages": 10}))
        .await
        .is_empty());
    assert_eq!(h.attribute(&dlq, "ApproximateNumberOfMessages").await, "2");

    let e = h
        .err(
            "StartMessageMoveTask",
            json!({"SourceArn": "arn:aws:sqs:us-east-1:000000000000:src"}),
        )
        .await;
    assert_eq!(
        e.message,
        "Source queue must be configured as a Dead Letter Queue."
    );
    let e = h
        .err(
            "StartMessageMoveTask",
            json!({"SourceArn": "arn:aws:sqs:us-east-1:000000000000:nope"}),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.status),
        ("ResourceNotFoundException", 404)
    );

    let started = h
        .ok(
            "StartMessageMoveTask",
            json!({"SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq"}),
        )
        .await;
    assert!(started["TaskHandle"].is_string());
    let mut listed = Value::Null;
    for _ in 0..100 {
        listed = h
            .ok(
                "ListMessageMoveTasks",
                json!({"SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq"}),
            )
            .await;
        if listed["Results"][0]["Status"] == "COMPLETED" {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(listed["Results"][0]["Status"], "COMPLETED");
    assert_eq!(listed["Results"][0]["ApproximateNumberOfMessagesMoved"], 2);
    assert_eq!(listed["Results"][0]["ApproximateNumberOfMessagesToMove"], 2);
    assert_eq!(h.attribute(&src, "ApproximateNumberOfMessages").await, "2");
    let e = h
        .err("CancelMessageMoveTask", json!({"TaskHandle": "bad"}))
        .await;
    assert_eq!(e.message, "Value for parameter TaskHandle is invalid.");
}
