//! Queue attributes: every attribute's default, its limits, Get/SetQueueAttributes semantics,
//! the FIFO-only attributes, Policy and RedrivePolicy round trips.

use crate::common::*;
use std::collections::HashSet;
use std::time::Duration;

fn keys(attrs: &std::collections::HashMap<String, String>) -> HashSet<&str> {
    attrs.keys().map(String::as_str).collect()
}

#[tokio::test]
async fn standard_queue_has_aws_default_attributes() {
    let server = start().await;
    let sqs = sqs(&server);
    let before_secs = server.clock().now_millis() / 1000;
    let url = create_queue(&sqs, "defaults").await;
    let a = queue_attributes(&sqs, &url).await;

    assert_eq!(
        keys(&a),
        HashSet::from([
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesDelayed",
            "ApproximateNumberOfMessagesNotVisible",
            "CreatedTimestamp",
            "DelaySeconds",
            "LastModifiedTimestamp",
            "MaximumMessageSize",
            "MessageRetentionPeriod",
            "QueueArn",
            "ReceiveMessageWaitTimeSeconds",
            "SqsManagedSseEnabled",
            "VisibilityTimeout",
        ]),
        "attributes of a new standard queue: {a:?}"
    );
    assert_eq!(a["ApproximateNumberOfMessages"], "0");
    assert_eq!(a["ApproximateNumberOfMessagesDelayed"], "0");
    assert_eq!(a["ApproximateNumberOfMessagesNotVisible"], "0");
    assert_eq!(a["DelaySeconds"], "0");
    assert_eq!(a["MaximumMessageSize"], "1048576");
    assert_eq!(a["MessageRetentionPeriod"], "345600");
    assert_eq!(a["ReceiveMessageWaitTimeSeconds"], "0");
    assert_eq!(a["VisibilityTimeout"], "30");
    assert_eq!(a["SqsManagedSseEnabled"], "true");
    assert_eq!(a["QueueArn"], queue_arn("defaults"));

    // Timestamps are whole epoch seconds from the server's clock.
    let created: u64 = a["CreatedTimestamp"].parse().expect("integer seconds");
    let modified: u64 = a["LastModifiedTimestamp"].parse().expect("integer seconds");
    let after_secs = server.clock().now_millis() / 1000;
    assert!(
        (before_secs..=after_secs).contains(&created),
        "created {created} not in [{before_secs}, {after_secs}]"
    );
    assert_eq!(created, modified);
}

#[tokio::test]
async fn fifo_queue_adds_fifo_attributes_with_defaults() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "defaults.fifo", &[]).await;
    let a = queue_attributes(&sqs, &url).await;
    assert_eq!(a["FifoQueue"], "true");
    assert_eq!(a["ContentBasedDeduplication"], "false");
    assert_eq!(a["DeduplicationScope"], "queue");
    assert_eq!(a["FifoThroughputLimit"], "perQueue");
    assert_eq!(a["QueueArn"], queue_arn("defaults.fifo"));
    assert_eq!(a["VisibilityTimeout"], "30");
    assert_eq!(a["MaximumMessageSize"], "1048576");
}

#[tokio::test]
async fn standard_queue_does_not_report_fifo_attributes() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "std").await;
    let a = queue_attributes(&sqs, &url).await;
    for fifo_only in [
        "FifoQueue",
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "FifoThroughputLimit",
    ] {
        assert!(!a.contains_key(fifo_only), "{fifo_only} in {a:?}");
    }
}

#[tokio::test]
async fn get_queue_attributes_returns_only_the_names_asked_for() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let a = named_queue_attributes(&sqs, &url, &["QueueArn", "VisibilityTimeout"]).await;
    assert_eq!(keys(&a), HashSet::from(["QueueArn", "VisibilityTimeout"]));

    let none = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert!(
        none.attributes.unwrap_or_default().is_empty(),
        "no AttributeNames means no attributes"
    );
}

#[tokio::test]
async fn get_queue_attributes_rejects_an_unknown_name() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let failure = expect_failure(
        sqs.get_queue_attributes()
            .queue_url(&url)
            .attribute_names("Foobar".into())
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidAttributeName");
    assert_eq!(failure.message, "Unknown Attribute Foobar.");
    assert_eq!(failure.status, 400);
}

#[tokio::test]
async fn create_queue_stores_given_attributes() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue_with(
        &sqs,
        "q",
        &[
            ("DelaySeconds", "5"),
            ("MaximumMessageSize", "2048"),
            ("MessageRetentionPeriod", "604800"),
            ("ReceiveMessageWaitTimeSeconds", "10"),
            ("VisibilityTimeout", "20"),
        ],
    )
    .await;
    let a = queue_attributes(&sqs, &url).await;
    assert_eq!(a["DelaySeconds"], "5");
    assert_eq!(a["MaximumMessageSize"], "2048");
    assert_eq!(a["MessageRetentionPeriod"], "604800");
    assert_eq!(a["ReceiveMessageWaitTimeSeconds"], "10");
    assert_eq!(a["VisibilityTimeout"], "20");
}

#[tokio::test]
async fn set_queue_attributes_updates_values_and_last_modified() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let created: u64 = queue_attribute(&sqs, &url, "CreatedTimestamp")
        .await
        .parse()
        .unwrap();
    server.clock().advance(Duration::from_secs(100));
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes("MaximumMessageSize".into(), "2048")
        .attributes("VisibilityTimeout".into(), "69")
        .attributes("DelaySeconds".into(), "420")
        .send()
        .await
        .unwrap();
    let a = queue_attributes(&sqs, &url).await;
    assert_eq!(a["MaximumMessageSize"], "2048");
    assert_eq!(a["VisibilityTimeout"], "69");
    assert_eq!(a["DelaySeconds"], "420");
    assert_eq!(a["CreatedTimestamp"], created.to_string());
    let modified: u64 = a["LastModifiedTimestamp"].parse().unwrap();
    assert!(
        modified >= created + 100,
        "LastModifiedTimestamp {modified} not moved past created {created} + 100 s"
    );
}

/// (attribute, lowest valid, highest valid)
const LIMITS: &[(&str, i64, i64)] = &[
    ("DelaySeconds", 0, 900),
    ("MaximumMessageSize", 1024, 1_048_576),
    ("MessageRetentionPeriod", 60, 1_209_600),
    ("ReceiveMessageWaitTimeSeconds", 0, 20),
    ("VisibilityTimeout", 0, 43_200),
    ("KmsDataKeyReusePeriodSeconds", 60, 86_400),
];

#[tokio::test]
async fn every_numeric_attribute_accepts_its_bounds() {
    let server = start().await;
    let sqs = sqs(&server);
    // KmsDataKeyReusePeriodSeconds only means something with a KMS key.
    let url = create_queue_with(
        &sqs,
        "q",
        &[
            ("KmsMasterKeyId", "alias/aws/sqs"),
            ("SqsManagedSseEnabled", "false"),
        ],
    )
    .await;
    for (name, low, high) in LIMITS {
        for value in [low, high] {
            sqs.set_queue_attributes()
                .queue_url(&url)
                .attributes((*name).into(), value.to_string())
                .send()
                .await
                .unwrap_or_else(|e| panic!("{name}={value}: {}", describe(&e)));
            assert_eq!(
                queue_attribute(&sqs, &url, name).await,
                value.to_string(),
                "{name}"
            );
        }
    }
}

#[tokio::test]
async fn every_numeric_attribute_rejects_values_outside_its_bounds() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    for (name, low, high) in LIMITS {
        for value in [(low - 1).to_string(), (high + 1).to_string(), "abc".into()] {
            let failure = expect_failure(
                sqs.set_queue_attributes()
                    .queue_url(&url)
                    .attributes((*name).into(), &value)
                    .send()
                    .await,
            );
            assert_eq!(failure.code, "InvalidAttributeValue", "{name}={value}");
            assert!(
                failure.message.contains(name),
                "{name}={value}: message {:?} names the attribute",
                failure.message
            );
            assert_eq!(failure.status, 400);
        }
    }
    // Nothing was changed by the rejected calls.
    assert_eq!(queue_attribute(&sqs, &url, "VisibilityTimeout").await, "30");
}

#[tokio::test]
async fn create_queue_rejects_out_of_range_attributes() {
    let server = start().await;
    let sqs = sqs(&server);
    let failure = expect_failure(
        sqs.create_queue()
            .queue_name("q")
            .attributes("VisibilityTimeout".into(), "43201")
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidAttributeValue");
    assert!(sqs
        .list_queues()
        .send()
        .await
        .unwrap()
        .queue_urls
        .unwrap_or_default()
        .is_empty());
}

#[tokio::test]
async fn set_queue_attributes_rejects_unknown_and_read_only_names() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    for name in [
        "Foobar",
        "QueueArn",
        "ApproximateNumberOfMessages",
        "CreatedTimestamp",
    ] {
        let failure = expect_failure(
            sqs.set_queue_attributes()
                .queue_url(&url)
                .attributes(name.into(), "1")
                .send()
                .await,
        );
        assert_eq!(failure.code, "InvalidAttributeName", "{name}");
        if name == "Foobar" {
            assert_eq!(failure.message, "Unknown Attribute Foobar.");
        }
    }
}

#[tokio::test]
async fn fifo_attributes_on_a_standard_queue_are_rejected() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let failure = expect_failure(
        sqs.set_queue_attributes()
            .queue_url(&url)
            .attributes("ContentBasedDeduplication".into(), "true")
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidAttributeName");
    assert_eq!(
        failure.message,
        "Unknown Attribute ContentBasedDeduplication."
    );
}

#[tokio::test]
async fn fifo_queue_attributes_can_be_changed_except_the_queue_type() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[("ContentBasedDeduplication", "true")]).await;
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes("ContentBasedDeduplication".into(), "false")
        .attributes("DeduplicationScope".into(), "messageGroup")
        .attributes("FifoThroughputLimit".into(), "perMessageGroupId")
        .send()
        .await
        .unwrap();
    let a = queue_attributes(&sqs, &url).await;
    assert_eq!(a["ContentBasedDeduplication"], "false");
    assert_eq!(a["DeduplicationScope"], "messageGroup");
    assert_eq!(a["FifoThroughputLimit"], "perMessageGroupId");
    // Setting the type it already has is allowed.
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes("FifoQueue".into(), "true")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn policy_round_trips_and_an_empty_policy_removes_it() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn("q"),
        }]
    });
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes("Policy".into(), policy.to_string())
        .send()
        .await
        .unwrap();
    let stored: serde_json::Value =
        serde_json::from_str(&queue_attribute(&sqs, &url, "Policy").await).unwrap();
    assert_eq!(stored, policy);
    assert!(queue_attributes(&sqs, &url).await.contains_key("Policy"));

    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes("Policy".into(), "")
        .send()
        .await
        .unwrap();
    assert!(!queue_attributes(&sqs, &url).await.contains_key("Policy"));
}

#[tokio::test]
async fn redrive_policy_round_trips_with_max_receive_count_as_a_number() {
    let server = start().await;
    let sqs = sqs(&server);
    create_queue(&sqs, "dlq").await;
    let policy =
        serde_json::json!({"deadLetterTargetArn": queue_arn("dlq"), "maxReceiveCount": 10});
    let url = create_queue_with(
        &sqs,
        "src",
        &[
            ("RedrivePolicy", &policy.to_string()),
            ("MessageRetentionPeriod", "604800"),
        ],
    )
    .await;
    let a = named_queue_attributes(&sqs, &url, &["RedrivePolicy", "MessageRetentionPeriod"]).await;
    let stored: serde_json::Value = serde_json::from_str(&a["RedrivePolicy"]).unwrap();
    assert_eq!(stored["deadLetterTargetArn"], queue_arn("dlq"));
    assert_eq!(stored["maxReceiveCount"], 10);
    assert_eq!(a["MessageRetentionPeriod"], "604800");
}

#[tokio::test]
async fn redrive_policy_must_name_an_existing_queue_and_a_max_receive_count() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "src").await;
    create_queue(&sqs, "dlq").await;
    for bad in [
        serde_json::json!({"deadLetterTargetArn": queue_arn("missing"), "maxReceiveCount": 3}),
        serde_json::json!({"deadLetterTargetArn": queue_arn("dlq")}),
        serde_json::json!({"maxReceiveCount": 3}),
        serde_json::json!({"deadLetterTargetArn": queue_arn("dlq"), "maxReceiveCount": 0}),
    ] {
        let failure = expect_failure(
            sqs.set_queue_attributes()
                .queue_url(&url)
                .attributes("RedrivePolicy".into(), bad.to_string())
                .send()
                .await,
        );
        assert_eq!(failure.code, "InvalidParameterValue", "RedrivePolicy {bad}");
    }
    let failure = expect_failure(
        sqs.set_queue_attributes()
            .queue_url(&url)
            .attributes("RedrivePolicy".into(), "not json")
            .send()
            .await,
    );
    assert!(
        failure.code == "InvalidParameterValue" || failure.code == "InvalidAttributeValue",
        "malformed RedrivePolicy: {failure:?}"
    );
}

#[tokio::test]
async fn redrive_allow_policy_round_trips() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "dlq").await;
    let policy = serde_json::json!({
        "redrivePermission": "byQueue",
        "sourceQueueArns": [queue_arn("src")],
    });
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes("RedriveAllowPolicy".into(), policy.to_string())
        .send()
        .await
        .unwrap();
    let stored: serde_json::Value =
        serde_json::from_str(&queue_attribute(&sqs, &url, "RedriveAllowPolicy").await).unwrap();
    assert_eq!(stored, policy);
}

#[tokio::test]
async fn encryption_attributes_round_trip() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "kms").await;
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes("KmsMasterKeyId".into(), "testKeyId")
        .attributes("KmsDataKeyReusePeriodSeconds".into(), "6000")
        .attributes("SqsManagedSseEnabled".into(), "false")
        .send()
        .await
        .unwrap();
    let a = named_queue_attributes(
        &sqs,
        &url,
        &[
            "KmsMasterKeyId",
            "KmsDataKeyReusePeriodSeconds",
            "SqsManagedSseEnabled",
        ],
    )
    .await;
    assert_eq!(a["KmsMasterKeyId"], "testKeyId");
    assert_eq!(a["KmsDataKeyReusePeriodSeconds"], "6000");
    assert_eq!(a["SqsManagedSseEnabled"], "false");
}
