//! Send, receive, delete, visibility, delays, retention, batches.

use super::{bodies, Harness};
use serde_json::{json, Value};

#[tokio::test]
async fn send_receive_delete_with_digests_and_system_attributes() {
    let h = Harness::new();
    let url = h.create("q", json!({})).await;
    let sent = h
        .ok(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "msg", "MessageAttributes": {
                "General": {"DataType": "String", "StringValue": "Kenobi"},
                "Hello": {"DataType": "String", "StringValue": "There"},
                "Help.Me": {"DataType": "String", "StringValue": "Me"}},
                "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}}}),
        )
        .await;
    assert_eq!(sent["MD5OfMessageBody"], "6e2baaf3b97dbeef01c0043275f9a0e7");
    assert_eq!(
        sent["MD5OfMessageAttributes"],
        "4c360f3fdafd970e05fae2f149d997f5"
    );
    assert!(sent["MD5OfMessageSystemAttributes"].is_string());
    assert!(sent.get("SequenceNumber").is_none());

    let got = h
        .receive(&url, json!({"MessageAttributeNames": ["Hel.*"], "MessageSystemAttributeNames": ["All"], "VisibilityTimeout": 0}))
        .await;
    assert_eq!(
        got[0]["MD5OfMessageAttributes"],
        "83fee93c1bcd8b9a5a923ffacdc636c7"
    );
    assert_eq!(got[0]["MessageId"], sent["MessageId"]);
    let attrs = &got[0]["Attributes"];
    assert_eq!(attrs["SenderId"], "000000000000");
    assert_eq!(attrs["ApproximateReceiveCount"], "1");
    assert_eq!(attrs["AWSTraceHeader"], "Root=1-abc");
    assert!(attrs["SentTimestamp"]
        .as_str()
        .is_some_and(|t| t.len() == 13));

    let plain = h
        .receive(&url, json!({"MessageAttributeNames": ["Foo"]}))
        .await;
    assert!(plain[0].get("MD5OfMessageAttributes").is_none());
    assert!(plain[0].get("MessageAttributes").is_none());
    assert!(plain[0].get("Attributes").is_none());
    h.ok(
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": plain[0]["ReceiptHandle"]}),
    )
    .await;
    // Deleting twice is fine on a standard queue.
    h.ok(
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": plain[0]["ReceiptHandle"]}),
    )
    .await;
    assert_eq!(h.attribute(&url, "ApproximateNumberOfMessages").await, "0");
    assert_eq!(
        h.attribute(&url, "ApproximateNumberOfMessagesNotVisible")
            .await,
        "0"
    );
    let e = h
        .err(
            "DeleteMessage",
            json!({"QueueUrl": url, "ReceiptHandle": "garbage"}),
        )
        .await;
    assert_eq!(e.code, "ReceiptHandleIsInvalid");
    assert_eq!(
        e.message,
        "The input receipt handle \"garbage\" is not a valid receipt handle."
    );
}

#[tokio::test]
async fn message_validation_uses_the_recorded_messages() {
    let h = Harness::new();
    let url = h.create("q", json!({"MaximumMessageSize": "1024"})).await;
    let e = h
        .err("SendMessage", json!({"QueueUrl": url, "MessageBody": ""}))
        .await;
    assert_eq!(
        (e.code.as_ref(), e.json_type()),
        ("MissingParameter", "MissingRequiredParameterException")
    );
    assert_eq!(
        e.message,
        "The request must contain the parameter MessageBody."
    );
    let e = h
        .err(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "x".repeat(1025)}),
        )
        .await;
    assert_eq!(
        e.message,
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."
    );
    let e = h
        .err(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "a\u{1}b"}),
        )
        .await;
    assert_eq!(e.code, "InvalidMessageContents");
    let e = h
        .err(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "group 123"}),
        )
        .await;
    assert_eq!(
        e.message,
        "Value group 123 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length."
    );
    h.ok(
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "fair-1"}),
    )
    .await;
    let e = h
        .err(
            "ReceiveMessage",
            json!({"QueueUrl": url, "MaxNumberOfMessages": 11}),
        )
        .await;
    assert_eq!(e.message, "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.");
    let e = h
        .err(
            "ReceiveMessage",
            json!({"QueueUrl": url, "WaitTimeSeconds": 21}),
        )
        .await;
    assert_eq!(e.message, "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.");
}

#[tokio::test]
async fn visibility_timeout_hides_and_returns_messages() {
    let h = Harness::new();
    let url = h.create("q", json!({"VisibilityTimeout": "10"})).await;
    h.send(&url, "a").await;
    let first = h.receive(&url, json!({})).await;
    assert_eq!(bodies(&first), ["a"]);
    assert!(h.receive(&url, json!({})).await.is_empty());
    assert_eq!(
        h.attribute(&url, "ApproximateNumberOfMessagesNotVisible")
            .await,
        "1"
    );
    h.advance(10);
    let again = h
        .receive(&url, json!({"AttributeNames": ["ApproximateReceiveCount"]}))
        .await;
    assert_eq!(again[0]["Attributes"]["ApproximateReceiveCount"], "2");
    h.ok("ChangeMessageVisibility", json!({"QueueUrl": url, "ReceiptHandle": again[0]["ReceiptHandle"], "VisibilityTimeout": 0})).await;
    let third = h.receive(&url, json!({})).await;
    assert_eq!(bodies(&third), ["a"]);
    // Standard queues: an older receipt still reaches the message while it exists.
    h.ok("ChangeMessageVisibility", json!({"QueueUrl": url, "ReceiptHandle": first[0]["ReceiptHandle"], "VisibilityTimeout": 0})).await;
    assert_eq!(h.attribute(&url, "ApproximateNumberOfMessages").await, "1");
    h.ok(
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": first[0]["ReceiptHandle"]}),
    )
    .await;
    assert_eq!(h.attribute(&url, "ApproximateNumberOfMessages").await, "0");
    let e = h
        .err("ChangeMessageVisibility", json!({"QueueUrl": url, "ReceiptHandle": again[0]["ReceiptHandle"], "VisibilityTimeout": 5}))
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    assert!(e.message.ends_with(
        "Reason: Message does not exist or is not available for visibility timeout change."
    ));
}

#[tokio::test]
async fn delays_from_the_queue_and_the_message() {
    let h = Harness::new();
    let url = h.create("q", json!({"DelaySeconds": "5"})).await;
    h.send(&url, "queue-delay").await;
    h.ok(
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "no-delay", "DelaySeconds": 0}),
    )
    .await;
    assert_eq!(
        h.attribute(&url, "ApproximateNumberOfMessagesDelayed")
            .await,
        "1"
    );
    assert_eq!(
        bodies(&h.receive(&url, json!({"MaxNumberOfMessages": 10})).await),
        ["no-delay"]
    );
    h.advance(5);
    assert_eq!(
        bodies(&h.receive(&url, json!({"MaxNumberOfMessages": 10})).await),
        ["queue-delay"]
    );
    let e = h
        .err(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "x", "DelaySeconds": 901}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
}

#[tokio::test]
async fn retention_expires_messages() {
    let h = Harness::new();
    let url = h.create("q", json!({"MessageRetentionPeriod": "60"})).await;
    h.send(&url, "old").await;
    h.advance(61);
    assert!(h.receive(&url, json!({})).await.is_empty());
    assert_eq!(h.attribute(&url, "ApproximateNumberOfMessages").await, "0");
}

#[tokio::test]
async fn batch_operations_report_per_entry_failures_and_request_errors() {
    let h = Harness::new();
    let url = h.create("q", json!({})).await;
    let out = h
        .ok(
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": [
                {"Id": "ok", "MessageBody": "a"},
                {"Id": "bad", "MessageBody": "b", "DelaySeconds": 1000}]}),
        )
        .await;
    assert_eq!(out["Successful"][0]["Id"], "ok");
    assert_eq!(out["Failed"][0]["Id"], "bad");
    assert_eq!(out["Failed"][0]["SenderFault"], true);
    assert_eq!(out["Failed"][0]["Code"], "InvalidParameterValue");

    let entries: Vec<Value> = (0..20)
        .map(|i| json!({"Id": i.to_string(), "MessageBody": "x"}))
        .collect();
    let e = h
        .err(
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": entries}),
        )
        .await;
    assert_eq!(
        e.message,
        "Maximum number of entries per request are 10. You have sent 20."
    );
    let e = h.err("SendMessageBatch", json!({"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "x".repeat(1_048_576)}, {"Id": "b", "MessageBody": "y"}]})).await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "AWS.SimpleQueueService.BatchRequestTooLong",
            "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes."
        )
    );
    let e = h.err("DeleteMessageBatch", json!({"QueueUrl": url, "Entries": [{"Id": "a", "ReceiptHandle": "x"}, {"Id": "a", "ReceiptHandle": "y"}]})).await;
    assert_eq!(e.code, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct");
    let e = h
        .err(
            "DeleteMessageBatch",
            json!({"QueueUrl": url, "Entries": []}),
        )
        .await;
    assert_eq!(e.code, "AWS.SimpleQueueService.EmptyBatchRequest");
    let e = h.err("ChangeMessageVisibilityBatch", json!({"QueueUrl": url, "Entries": [{"Id": "a:b", "ReceiptHandle": "x", "VisibilityTimeout": 1}]})).await;
    assert_eq!(e.code, "AWS.SimpleQueueService.InvalidBatchEntryId");

    let got = h.receive(&url, json!({})).await;
    let out = h
        .ok(
            "DeleteMessageBatch",
            json!({"QueueUrl": url, "Entries": [{"Id": "1", "ReceiptHandle": got[0]["ReceiptHandle"]}, {"Id": "2", "ReceiptHandle": "junk"}]}),
        )
        .await;
    assert_eq!(out["Successful"], json!([{"Id": "1"}]));
    assert_eq!(out["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
}
