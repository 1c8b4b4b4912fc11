//! Filter policies on deliveries: attribute scope, body scope, set after subscribing, and
//! several queues with and without filters on one topic.

use crate::common::{self, start};
use crate::support::*;
use aws_sdk_sns::types::MessageAttributeValue;

fn string(v: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .unwrap()
}

fn number(v: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("Number")
        .string_value(v)
        .build()
        .unwrap()
}

#[tokio::test]
async fn half_of_the_queues_filter_on_attributes() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let mut open = Vec::new();
    let mut filtered = Vec::new();
    for i in 0..4 {
        let (url, arn) = queue(&sqs, &format!("q{i}")).await;
        if i % 2 == 0 {
            subscribe_queue(&sns, &topic, &arn, &[("RawMessageDelivery", "true")]).await;
            open.push(url);
        } else {
            let policy = r#"{"colour": ["red"], "size": [{"numeric": [">", 10]}]}"#;
            subscribe_queue(
                &sns,
                &topic,
                &arn,
                &[("RawMessageDelivery", "true"), ("FilterPolicy", policy)],
            )
            .await;
            filtered.push(url);
        }
    }
    for (body, colour, size) in [
        ("small red", "red", "5"),
        ("big blue", "blue", "50"),
        ("big red", "red", "50"),
    ] {
        sns.publish()
            .topic_arn(&topic)
            .message(body)
            .message_attributes("colour", string(colour))
            .message_attributes("size", number(size))
            .send()
            .await
            .unwrap();
    }
    for url in &open {
        let mut got = common::bodies(&receive_n(&sqs, url, 3).await);
        got.sort();
        assert_eq!(got, vec!["big blue", "big red", "small red"]);
    }
    for url in &filtered {
        assert_eq!(
            common::bodies(&receive_n(&sqs, url, 1).await),
            vec!["big red"]
        );
        assert_empty(&sqs, url).await;
    }
}

#[tokio::test]
async fn body_scope_filters_on_the_json_message() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (url, arn) = queue(&sqs, "q").await;
    subscribe_queue(
        &sns,
        &topic,
        &arn,
        &[
            ("RawMessageDelivery", "true"),
            ("FilterPolicyScope", "MessageBody"),
            (
                "FilterPolicy",
                r#"{"order": {"status": [{"prefix": "ship"}]}}"#,
            ),
        ],
    )
    .await;
    for body in [
        r#"{"order": {"status": "shipped"}}"#,
        r#"{"order": {"status": "pending"}}"#,
        "not json at all",
    ] {
        publish(&sns, &topic, body).await;
    }
    assert_eq!(
        common::bodies(&receive_n(&sqs, &url, 1).await),
        vec![r#"{"order": {"status": "shipped"}}"#]
    );
    assert_empty(&sqs, &url).await;
}

#[tokio::test]
async fn a_filter_set_later_applies_to_later_messages() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (url, arn) = queue(&sqs, "q").await;
    let sub = subscribe_queue(&sns, &topic, &arn, &[("RawMessageDelivery", "true")]).await;
    sns.set_subscription_attributes()
        .subscription_arn(&sub)
        .attribute_name("FilterPolicy")
        .attribute_value(r#"{"env": [{"anything-but": "test"}]}"#)
        .send()
        .await
        .unwrap();
    let attributes = sns
        .get_subscription_attributes()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes["FilterPolicyScope"], "MessageAttributes");
    for env in ["test", "prod"] {
        sns.publish()
            .topic_arn(&topic)
            .message(env)
            .message_attributes("env", string(env))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        common::bodies(&receive_n(&sqs, &url, 1).await),
        vec!["prod"]
    );
    assert_empty(&sqs, &url).await;
    let err = expect_err(
        sns.set_subscription_attributes()
            .subscription_arn(&sub)
            .attribute_name("FilterPolicy")
            .attribute_value(r#"{"a": {"b": ["c"]}}"#)
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
    );
}

#[tokio::test]
async fn numbers_compare_with_five_decimals_in_attributes_bodies_and_string_arrays() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (attr_url, attr_arn) = queue(&sqs, "by-attribute").await;
    let (body_url, body_arn) = queue(&sqs, "by-body").await;
    let raw = ("RawMessageDelivery", "true");
    subscribe_queue(
        &sns,
        &topic,
        &attr_arn,
        &[
            raw,
            (
                "FilterPolicy",
                r#"{"price": [{"numeric": ["=", 100.123456789]}]}"#,
            ),
        ],
    )
    .await;
    subscribe_queue(
        &sns,
        &topic,
        &body_arn,
        &[
            raw,
            ("FilterPolicyScope", "MessageBody"),
            ("FilterPolicy", r#"{"price": [100.123456789]}"#),
        ],
    )
    .await;
    let array = |v: &str| {
        MessageAttributeValue::builder()
            .data_type("String.Array")
            .string_value(v)
            .build()
            .unwrap()
    };
    sns.publish()
        .topic_arn(&topic)
        .message("attribute-close")
        .message_attributes("price", number("100.1234567"))
        .send()
        .await
        .unwrap();
    sns.publish()
        .topic_arn(&topic)
        .message("array-close")
        .message_attributes("price", array("[1, 100.1234567]"))
        .send()
        .await
        .unwrap();
    sns.publish()
        .topic_arn(&topic)
        .message("attribute-far")
        .message_attributes("price", number("100.12"))
        .send()
        .await
        .unwrap();
    publish(&sns, &topic, r#"{"price": 100.1234567}"#).await;
    publish(&sns, &topic, r#"{"price": 100.12}"#).await;

    let mut got = common::bodies(&receive_n(&sqs, &attr_url, 2).await);
    got.sort();
    assert_eq!(got, vec!["array-close", "attribute-close"]);
    assert_empty(&sqs, &attr_url).await;
    assert_eq!(
        common::bodies(&receive_n(&sqs, &body_url, 1).await),
        vec![r#"{"price": 100.1234567}"#]
    );
    assert_empty(&sqs, &body_url).await;
}
