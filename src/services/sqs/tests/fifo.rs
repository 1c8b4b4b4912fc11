//! FIFO ordering, group blocking, deduplication, receive attempts.

use super::{bodies, Harness};
use serde_json::json;

#[tokio::test]
async fn fifo_orders_within_a_group_and_blocks_the_group_while_in_flight() {
    let h = Harness::new();
    let url = h
        .create(
            "f.fifo",
            json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
        )
        .await;
    for (body, group) in [("a1", "a"), ("b1", "b"), ("a2", "a"), ("a3", "a")] {
        h.ok(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": body, "MessageGroupId": group}),
        )
        .await;
    }
    let first = h.receive(&url, json!({"MaxNumberOfMessages": 2})).await;
    assert_eq!(bodies(&first), ["a1", "a2"]);
    let second = h.receive(&url, json!({"MaxNumberOfMessages": 10})).await;
    assert_eq!(bodies(&second), ["b1"]);
    assert!(h
        .receive(&url, json!({"MaxNumberOfMessages": 10}))
        .await
        .is_empty());
    for m in &first {
        h.ok(
            "DeleteMessage",
            json!({"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"]}),
        )
        .await;
    }
    assert_eq!(
        bodies(&h.receive(&url, json!({"MaxNumberOfMessages": 10})).await),
        ["a3"]
    );
}

#[tokio::test]
async fn fifo_deduplicates_within_five_minutes_and_returns_the_original_id() {
    let h = Harness::new();
    let url = h.create("f.fifo", json!({"FifoQueue": "true"})).await;
    let send = |dedup: &str| json!({"QueueUrl": url, "MessageBody": "same", "MessageGroupId": "g", "MessageDeduplicationId": dedup});
    let first = h.ok("SendMessage", send("d1")).await;
    let dup = h.ok("SendMessage", send("d1")).await;
    assert_eq!(first["MessageId"], dup["MessageId"]);
    assert_eq!(first["SequenceNumber"], dup["SequenceNumber"]);
    assert_eq!(first["SequenceNumber"].as_str().map(str::len), Some(20));
    let got = h.receive(&url, json!({})).await;
    h.ok(
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"]}),
    )
    .await;
    // Still deduplicated after the delete.
    h.ok("SendMessage", send("d1")).await;
    assert!(h.receive(&url, json!({})).await.is_empty());
    h.advance(301);
    let later = h.ok("SendMessage", send("d1")).await;
    assert_ne!(later["MessageId"], first["MessageId"]);
    assert_eq!(bodies(&h.receive(&url, json!({})).await), ["same"]);
}

#[tokio::test]
async fn fifo_send_errors_match_aws() {
    let h = Harness::new();
    let url = h.create("f.fifo", json!({"FifoQueue": "true"})).await;
    let e = h
        .err("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}))
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "MissingParameter",
            "The request must contain the parameter MessageGroupId."
        )
    );
    let e = h
        .err(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g"}),
        )
        .await;
    assert_eq!(
        e.message,
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    );
    let e = h
        .err("SendMessage", json!({"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d", "DelaySeconds": 2}))
        .await;
    assert_eq!(
        e.message,
        "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."
    );
    let e = h
        .err(
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": [{"Id": "1", "MessageBody": "x"}]}),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "InvalidParameterValue",
            "The request must contain the parameter MessageGroupId."
        )
    );
}

#[tokio::test]
async fn fifo_expired_receipt_handle_cannot_delete() {
    let h = Harness::new();
    let url = h.create("f.fifo", json!({"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "1"})).await;
    h.ok(
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "g1-m1", "MessageGroupId": "g1"}),
    )
    .await;
    let got = h.receive(&url, json!({})).await;
    h.advance(2);
    let handle = got[0]["ReceiptHandle"].as_str().expect("handle");
    let e = h
        .err(
            "DeleteMessage",
            json!({"QueueUrl": url, "ReceiptHandle": handle}),
        )
        .await;
    assert_eq!(e.message, format!("Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."));
}

#[tokio::test]
async fn fifo_receive_request_attempt_id_replays_the_same_receive() {
    let h = Harness::new();
    let url = h
        .create(
            "f.fifo",
            json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
        )
        .await;
    for body in ["1", "2"] {
        h.ok(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": body, "MessageGroupId": "g"}),
        )
        .await;
    }
    let first = h
        .receive(&url, json!({"ReceiveRequestAttemptId": "att"}))
        .await;
    let retry = h
        .receive(&url, json!({"ReceiveRequestAttemptId": "att"}))
        .await;
    assert_eq!(first, retry);
    assert!(h
        .receive(&url, json!({"ReceiveRequestAttemptId": "other"}))
        .await
        .is_empty());
}
