//! Queue lifecycle, attributes, listing, tags, permissions, purge.

use super::Harness;
use crate::request::Protocol;
use serde_json::{json, Value};

#[tokio::test]
async fn create_is_idempotent_and_names_the_first_differing_attribute() {
    let h = Harness::new();
    let url = h.create("q1", json!({"DelaySeconds": "1"})).await;
    assert_eq!(url, "http://localhost:4566/000000000000/q1");
    assert_eq!(h.create("q1", json!({"DelaySeconds": "1"})).await, url);
    assert_eq!(h.create("q1", json!({})).await, url);
    let e = h
        .err(
            "CreateQueue",
            json!({"QueueName": "q1", "Attributes": {"DelaySeconds": "2"}}),
        )
        .await;
    assert_eq!(e.code, "QueueAlreadyExists");
    assert_eq!(e.json_type(), "QueueNameExists");
    assert_eq!(e.message, "A queue already exists with the same name and a different value for attribute DelaySeconds");
}

#[tokio::test]
async fn queue_names_and_fifo_suffix_are_checked() {
    let h = Harness::new();
    let e = h.err("CreateQueue", json!({"QueueName": "bad name"})).await;
    assert_eq!(e.code, "InvalidParameterValue");
    let e = h
        .err(
            "CreateQueue",
            json!({"QueueName": "q", "Attributes": {"FifoQueue": "true"}}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    assert!(h
        .call("CreateQueue", json!({"QueueName": "q.fifo"}))
        .await
        .is_err());
    h.create("q.fifo", json!({"FifoQueue": "true"})).await;
    let e = h
        .err(
            "CreateQueue",
            json!({"QueueName": "s", "Attributes": {"ContentBasedDeduplication": "true"}}),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "InvalidAttributeName",
            "Unknown Attribute ContentBasedDeduplication."
        )
    );
}

#[tokio::test]
async fn unknown_queue_urls_answer_non_existent_queue_in_any_url_form() {
    let h = Harness::new();
    h.create("q", json!({})).await;
    for url in [
        "http://localhost:4566/000000000000/q",
        "https://sqs.us-east-1.amazonaws.com/000000000000/q",
        "http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/q",
        "http://localhost:4566/queue/us-east-1/000000000000/q",
    ] {
        h.send(url, "x").await;
    }
    assert_eq!(
        h.attribute(
            "http://localhost:4566/000000000000/q",
            "ApproximateNumberOfMessages"
        )
        .await,
        "4"
    );
    let e = h.err("SendMessage", json!({"QueueUrl": "http://localhost:4566/queue/eu-west-1/000000000000/q", "MessageBody": "x"})).await;
    assert_eq!(e.code, "AWS.SimpleQueueService.NonExistentQueue");
    assert_eq!(e.message, "The specified queue does not exist.");
}

#[tokio::test]
async fn list_queues_filters_sorts_and_paginates() {
    let h = Harness::new();
    for name in ["b", "a", "c", "other"] {
        h.create(name, json!({})).await;
    }
    let all = h.ok("ListQueues", json!({})).await;
    assert_eq!(all["QueueUrls"].as_array().map(Vec::len), Some(4));
    assert!(all.get("NextToken").is_none());
    let page = h.ok("ListQueues", json!({"MaxResults": 2})).await;
    assert_eq!(
        page["QueueUrls"],
        json!([
            "http://localhost:4566/000000000000/a",
            "http://localhost:4566/000000000000/b"
        ])
    );
    let token = page["NextToken"].as_str().expect("token").to_string();
    let next = h
        .ok("ListQueues", json!({"MaxResults": 2, "NextToken": token}))
        .await;
    assert_eq!(next["QueueUrls"].as_array().map(Vec::len), Some(2));
    assert!(next.get("NextToken").is_none());
    let prefixed = h.ok("ListQueues", json!({"QueueNamePrefix": "o"})).await;
    assert_eq!(
        prefixed["QueueUrls"],
        json!(["http://localhost:4566/000000000000/other"])
    );
    assert_eq!(
        h.ok("ListQueues", json!({"QueueNamePrefix": "zzz"})).await,
        json!({})
    );
}

#[tokio::test]
async fn get_queue_attributes_all_differs_for_standard_and_fifo() {
    let h = Harness::new();
    let std_url = h.create("s", json!({})).await;
    let fifo_url = h.create("f.fifo", json!({"FifoQueue": "true"})).await;
    let std_all = h
        .ok(
            "GetQueueAttributes",
            json!({"QueueUrl": std_url, "AttributeNames": ["All"]}),
        )
        .await;
    let keys: Vec<&String> = std_all["Attributes"]
        .as_object()
        .expect("attributes")
        .keys()
        .collect();
    assert_eq!(
        keys,
        [
            "QueueArn",
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
            "CreatedTimestamp",
            "LastModifiedTimestamp",
            "VisibilityTimeout",
            "MaximumMessageSize",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
            "SqsManagedSseEnabled"
        ]
    );
    assert_eq!(std_all["Attributes"]["MaximumMessageSize"], "1048576");
    assert_eq!(
        std_all["Attributes"]["QueueArn"],
        "arn:aws:sqs:us-east-1:000000000000:s"
    );
    let fifo_all = h
        .ok(
            "GetQueueAttributes",
            json!({"QueueUrl": fifo_url, "AttributeNames": ["All"]}),
        )
        .await;
    assert_eq!(fifo_all["Attributes"]["FifoQueue"], "true");
    assert_eq!(fifo_all["Attributes"]["DeduplicationScope"], "queue");
    assert_eq!(fifo_all["Attributes"]["FifoThroughputLimit"], "perQueue");
    assert_eq!(fifo_all["Attributes"]["ContentBasedDeduplication"], "false");
    let e = h
        .err(
            "GetQueueAttributes",
            json!({"QueueUrl": std_url, "AttributeNames": ["Nope"]}),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        ("InvalidAttributeName", "Unknown Attribute Nope.")
    );
    assert_eq!(
        h.ok("GetQueueAttributes", json!({"QueueUrl": std_url}))
            .await,
        json!({})
    );
}

#[tokio::test]
async fn purge_empties_the_queue_once_a_minute() {
    let h = Harness::new();
    let url = h.create("q", json!({})).await;
    h.send(&url, "a").await;
    h.ok("PurgeQueue", json!({"QueueUrl": url})).await;
    assert_eq!(h.attribute(&url, "ApproximateNumberOfMessages").await, "0");
    let e = h.err("PurgeQueue", json!({"QueueUrl": url})).await;
    assert_eq!(
        (e.status, e.message.as_str()),
        (
            403,
            "Only one PurgeQueue operation on q is allowed every 60 seconds."
        )
    );
    h.advance(60);
    h.ok("PurgeQueue", json!({"QueueUrl": url})).await;
}

#[tokio::test]
async fn tags_and_permissions() {
    let h = Harness::new();
    let url = h
        .ok("CreateQueue", json!({"QueueName": "q", "tags": {"a": "1"}}))
        .await["QueueUrl"]
        .as_str()
        .expect("url")
        .to_string();
    h.ok("TagQueue", json!({"QueueUrl": url, "Tags": {"b": "2"}}))
        .await;
    h.ok("UntagQueue", json!({"QueueUrl": url, "TagKeys": ["a"]}))
        .await;
    assert_eq!(
        h.ok("ListQueueTags", json!({"QueueUrl": url})).await,
        json!({"Tags": {"b": "2"}})
    );
    let many: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    let e = h
        .err("TagQueue", json!({"QueueUrl": url, "Tags": many}))
        .await;
    assert_eq!(e.message, "Too many tags added for queue q.");

    h.ok("AddPermission", json!({"QueueUrl": url, "Label": "l1", "AWSAccountIds": ["111111111111"], "Actions": ["ReceiveMessage"]})).await;
    let policy: Value =
        serde_json::from_str(&h.attribute(&url, "Policy").await).expect("policy json");
    assert_eq!(
        policy["Id"],
        "arn:aws:sqs:us-east-1:000000000000:q/SQSDefaultPolicy"
    );
    assert_eq!(
        policy["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::111111111111:root"
    );
    assert_eq!(policy["Statement"][0]["Action"], "SQS:ReceiveMessage");
    let e = h.err("AddPermission", json!({"QueueUrl": url, "Label": "l1", "AWSAccountIds": ["1"], "Actions": ["SendMessage"]})).await;
    assert_eq!(
        e.message,
        "Value l1 for parameter Label is invalid. Reason: Already exists."
    );
    h.ok("RemovePermission", json!({"QueueUrl": url, "Label": "l1"}))
        .await;
    assert_eq!(h.attribute(&url, "Policy").await, "");
    let e = h
        .err("RemovePermission", json!({"QueueUrl": url, "Label": "l1"}))
        .await;
    assert_eq!(
        e.message,
        "Value l1 for parameter Label is invalid. Reason: can't find label."
    );
}

#[tokio::test]
async fn queues_are_isolated_per_region_and_deleted_queues_are_gone() {
    let h = Harness::new();
    let url = h.create("q", json!({})).await;
    let mut ctx = h.ctx.clone();
    ctx.region = "eu-west-1".into();
    let e = h
        .sqs
        .call(&ctx, "GetQueueUrl", json!({"QueueName": "q"}))
        .await
        .expect_err("isolated");
    assert_eq!(e.code, "AWS.SimpleQueueService.NonExistentQueue");
    h.ok("DeleteQueue", json!({"QueueUrl": url})).await;
    let e = h.err("GetQueueUrl", json!({"QueueName": "q"})).await;
    assert_eq!(e.json_type(), "QueueDoesNotExist");
    let mut query = h.ctx.clone();
    query.protocol = Protocol::AwsQuery;
    let e = h
        .sqs
        .call(&query, "GetQueueUrl", json!({"QueueName": "q"}))
        .await
        .expect_err("gone");
    assert_eq!(
        e.message,
        "The specified queue does not exist for this wsdl version."
    );
}

#[tokio::test]
async fn reset_wipes_everything() {
    let h = Harness::new();
    h.create("q", json!({})).await;
    h.sqs.reset();
    assert_eq!(h.ok("ListQueues", json!({})).await, json!({}));
}
