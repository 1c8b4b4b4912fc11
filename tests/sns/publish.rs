//! Publish and PublishBatch: what they return and the errors AWS answers with.

use crate::common::start;
use crate::support::*;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};

fn entry(id: &str, message: &str) -> PublishBatchRequestEntry {
    PublishBatchRequestEntry::builder()
        .id(id)
        .message(message)
        .build()
        .unwrap()
}

fn string_attribute(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .unwrap()
}

#[tokio::test]
async fn publish_returns_a_message_id() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let id = publish(&sns, &topic, "hello").await;
    assert_eq!(id.len(), 36, "{id}");
    // TargetArn works for a topic too.
    let out = sns
        .publish()
        .target_arn(&topic)
        .message("x")
        .send()
        .await
        .unwrap();
    assert!(out.message_id.is_some());
    assert!(out.sequence_number.is_none());
}

#[tokio::test]
async fn publish_errors() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let err = expect_err(
        sns.publish()
            .topic_arn(topic_arn("missing"))
            .message("x")
            .send()
            .await,
    );
    assert_eq!(err, failure("NotFound", "Topic does not exist", 404));
    let err = expect_err(sns.publish().topic_arn(&topic).message("").send().await);
    assert_eq!(
        err,
        failure("InvalidParameter", "Invalid parameter: Empty message", 400)
    );
    let err = expect_err(sns.publish().topic_arn(&topic).send().await);
    assert_eq!(err.code, "ValidationError");
    assert_eq!(
        err.message,
        "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null"
    );
    let err = expect_err(sns.publish().message("x").send().await);
    assert_eq!(
        err.message,
        "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"
    );
    let err = expect_err(
        sns.publish()
            .topic_arn(&topic)
            .message("x")
            .subject("")
            .send()
            .await,
    );
    assert_eq!(err.message, "Invalid parameter: Subject");
    let big = "x".repeat(262_145);
    let err = expect_err(sns.publish().topic_arn(&topic).message(big).send().await);
    assert_eq!(err.message, "Invalid parameter: Message too long");
    let err = expect_err(
        sns.publish()
            .topic_arn(&topic)
            .message("x")
            .message_deduplication_id("d")
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type"
    );
    let err = expect_err(
        sns.publish()
            .topic_arn(&topic)
            .message(r#"{"sqs":"only"}"#)
            .message_structure("json")
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Invalid parameter: Message Structure - No default entry in JSON message body"
    );
    let err = expect_err(
        sns.publish()
            .topic_arn(&topic)
            .message("{nope")
            .message_structure("json")
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Invalid parameter: Message Structure - JSON message body failed to parse"
    );
}

#[tokio::test]
async fn message_attributes_are_validated() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let attribute = |t: &str, v: &str| {
        MessageAttributeValue::builder()
            .data_type(t)
            .string_value(v)
            .build()
            .unwrap()
    };
    let err = expect_err(
        sns.publish()
            .topic_arn(&topic)
            .message("x")
            .message_attributes("n", attribute("Number", "abc"))
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure(
            "ParameterValueInvalid",
            "Could not cast message attribute 'n' value to number.",
            400
        )
    );
    let err = expect_err(
        sns.publish()
            .topic_arn(&topic)
            .message("x")
            .message_attributes("a", attribute("Integer", "1"))
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
    );
    let err = expect_err(
        sns.publish()
            .topic_arn(&topic)
            .message("x")
            .message_attributes("a..b", attribute("String", "1"))
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Message attribute name can not have successive '.' character."
    );
    sns.publish()
        .topic_arn(&topic)
        .message("x")
        .message_attributes("ok", string_attribute("fine"))
        .message_attributes("n", attribute("Number.float", "1.5"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn fifo_topics_need_a_group_and_a_deduplication_id() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic_with(&sns, "t.fifo", &[("FifoTopic", "true")]).await;
    let err = expect_err(sns.publish().topic_arn(&topic).message("x").send().await);
    assert_eq!(
        err.message,
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    );
    let err = expect_err(
        sns.publish()
            .topic_arn(&topic)
            .message("x")
            .message_group_id("g")
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    );
    let first = sns
        .publish()
        .topic_arn(&topic)
        .message("x")
        .message_group_id("g")
        .message_deduplication_id("d1")
        .send()
        .await
        .unwrap();
    let second = sns
        .publish()
        .topic_arn(&topic)
        .message("y")
        .message_group_id("g")
        .message_deduplication_id("d2")
        .send()
        .await
        .unwrap();
    let (a, b) = (
        first.sequence_number.unwrap(),
        second.sequence_number.unwrap(),
    );
    assert_eq!(a.len(), 20);
    assert!(b > a, "{a} then {b}");
}

#[tokio::test]
async fn publish_batch_reports_each_entry() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let out = sns
        .publish_batch()
        .topic_arn(&topic)
        .publish_batch_request_entries(entry("a", "one"))
        .publish_batch_request_entries(entry("b", ""))
        .publish_batch_request_entries(entry("c", "three"))
        .send()
        .await
        .unwrap();
    let ok: Vec<_> = out
        .successful()
        .iter()
        .map(|e| e.id.clone().unwrap())
        .collect();
    assert_eq!(ok, vec!["a", "c"]);
    assert!(out.successful().iter().all(|e| e.message_id.is_some()));
    let failed = out.failed();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id, "b");
    assert_eq!(failed[0].code, "InvalidParameter");
    assert_eq!(
        failed[0].message.as_deref(),
        Some("Invalid parameter: Empty message")
    );
    assert!(failed[0].sender_fault);
}

#[tokio::test]
async fn publish_batch_request_errors() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let mut request = sns.publish_batch().topic_arn(&topic);
    for i in 0..11 {
        request = request.publish_batch_request_entries(entry(&format!("e{i}"), "x"));
    }
    let err = expect_err(request.send().await);
    assert_eq!(
        err,
        failure(
            "TooManyEntriesInBatchRequest",
            "The batch request contains more entries than permissible.",
            400
        )
    );
    let err = expect_err(
        sns.publish_batch()
            .topic_arn(&topic)
            .publish_batch_request_entries(entry("same", "x"))
            .publish_batch_request_entries(entry("same", "y"))
            .send()
            .await,
    );
    assert_eq!(err.code, "BatchEntryIdsNotDistinct");
    let err = expect_err(
        sns.publish_batch()
            .topic_arn(&topic)
            .publish_batch_request_entries(entry("bad id!", "x"))
            .send()
            .await,
    );
    assert_eq!(err.code, "InvalidBatchEntryId");
    let err = expect_err(sns.publish_batch().topic_arn(&topic).send().await);
    assert_eq!(err.code, "EmptyBatchRequest");
    let big = "x".repeat(140_000);
    let err = expect_err(
        sns.publish_batch()
            .topic_arn(&topic)
            .publish_batch_request_entries(entry("a", &big))
            .publish_batch_request_entries(entry("b", &big))
            .send()
            .await,
    );
    assert_eq!(err.code, "BatchRequestTooLong");
    let err = expect_err(
        sns.publish_batch()
            .topic_arn(topic_arn("missing"))
            .publish_batch_request_entries(entry("a", "x"))
            .send()
            .await,
    );
    assert_eq!(err, failure("NotFound", "Topic does not exist", 404));
}

#[tokio::test]
async fn a_batch_entry_id_that_is_too_long_or_has_a_bad_character_is_named_in_the_error() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let long = "x".repeat(81);
    for (id, message) in [
        (
            "bad id!",
            "The Id of a batch entry in the batch request contains an impermissible character: bad id!".to_string(),
        ),
        (
            long.as_str(),
            format!("The Id of a batch entry in the batch request is too long: {long}"),
        ),
    ] {
        let err = expect_err(
            sns.publish_batch()
                .topic_arn(&topic)
                .publish_batch_request_entries(entry(id, "x"))
                .send()
                .await,
        );
        assert_eq!(err, failure("InvalidBatchEntryId", &message, 400));
    }
}

#[tokio::test]
async fn a_fifo_batch_with_an_entry_without_a_group_id_fails_as_a_whole() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic_with(
        &sns,
        "t.fifo",
        &[("FifoTopic", "true"), ("ContentBasedDeduplication", "true")],
    )
    .await;
    let grouped = PublishBatchRequestEntry::builder()
        .id("a")
        .message("x")
        .message_group_id("g")
        .build()
        .unwrap();
    let err = expect_err(
        sns.publish_batch()
            .topic_arn(&topic)
            .publish_batch_request_entries(grouped.clone())
            .publish_batch_request_entries(entry("b", "y"))
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure(
            "InvalidParameter",
            "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
            400
        )
    );

    let plain = create_topic_with(&sns, "p.fifo", &[("FifoTopic", "true")]).await;
    let with_dedup = PublishBatchRequestEntry::builder()
        .id("c")
        .message("x")
        .message_group_id("g")
        .message_deduplication_id("d")
        .build()
        .unwrap();
    let err = expect_err(
        sns.publish_batch()
            .topic_arn(&plain)
            .publish_batch_request_entries(with_dedup)
            .publish_batch_request_entries(grouped)
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure(
            "InvalidParameter",
            "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            400
        )
    );
}

#[tokio::test]
async fn an_attribute_data_type_is_a_base_type_optionally_followed_by_a_dot_and_a_label() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let attribute = |t: &str| {
        MessageAttributeValue::builder()
            .data_type(t)
            .string_value("1")
            .build()
            .unwrap()
    };
    for bad in ["String.", "Stringprefixed", "Number.", "string"] {
        let err = expect_err(
            sns.publish()
                .topic_arn(&topic)
                .message("x")
                .message_attributes("a", attribute(bad))
                .send()
                .await,
        );
        assert_eq!(
            err,
            failure(
                "ParameterValueInvalid",
                "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
                400
            ),
            "{bad}"
        );
    }
    for good in ["String", "String.Array", "Number.int", "String.x.y"] {
        let value = if good == "String.Array" {
            "[\"a\"]"
        } else {
            "1"
        };
        sns.publish()
            .topic_arn(&topic)
            .message("x")
            .message_attributes(
                "a",
                MessageAttributeValue::builder()
                    .data_type(good)
                    .string_value(value)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("{good}: {e:?}"));
    }
}
