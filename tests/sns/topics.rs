//! Topics: create (standard, FIFO, idempotent), list with paging, attributes, tags,
//! permissions, data protection policies, delete, and AWS's errors.

use crate::common::start;
use crate::support::*;

#[tokio::test]
async fn create_get_list_and_delete_a_topic() {
    let server = start().await;
    let sns = sns(&server);
    let arn = create_topic(&sns, "orders").await;
    assert_eq!(arn, topic_arn("orders"));
    // CreateTopic is idempotent.
    assert_eq!(create_topic(&sns, "orders").await, arn);

    let attributes = sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes["TopicArn"], arn);
    assert_eq!(attributes["Owner"], ACCOUNT);
    assert_eq!(attributes["SubscriptionsConfirmed"], "0");
    assert_eq!(attributes["SubscriptionsPending"], "0");
    assert_eq!(attributes["DisplayName"], "");
    let policy = json(&attributes["Policy"]);
    assert_eq!(policy["Statement"][0]["Resource"], arn.as_str());
    let effective = json(&attributes["EffectiveDeliveryPolicy"]);
    assert_eq!(
        effective["http"]["defaultHealthyRetryPolicy"]["numRetries"],
        3
    );
    assert!(!attributes.contains_key("FifoTopic"));

    let topics = sns.list_topics().send().await.unwrap().topics.unwrap();
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].topic_arn.as_deref(), Some(arn.as_str()));

    sns.delete_topic().topic_arn(&arn).send().await.unwrap();
    let err = expect_err(sns.get_topic_attributes().topic_arn(&arn).send().await);
    assert_eq!(err, failure("NotFound", "Topic does not exist", 404));
    // Deleting a topic that is gone succeeds.
    sns.delete_topic().topic_arn(&arn).send().await.unwrap();
}

#[tokio::test]
async fn topic_names_are_checked() {
    let server = start().await;
    let sns = sns(&server);
    for bad in ["has space", "a.fifo", &"x".repeat(257)] {
        let err = expect_err(sns.create_topic().name(bad).send().await);
        assert_eq!(
            err,
            failure("InvalidParameter", "Invalid parameter: Topic Name", 400),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_fifo_topic_without_the_fifo_suffix_or_with_a_bad_name_is_invalid_topic_name() {
    let server = start().await;
    let sns = sns(&server);
    for bad in [
        "no-suffix",
        "has space.fifo",
        ".fifo",
        &format!("{}.fifo", "x".repeat(252)),
    ] {
        let err = expect_err(
            sns.create_topic()
                .name(bad)
                .attributes("FifoTopic", "true")
                .send()
                .await,
        );
        assert_eq!(
            err,
            failure("InvalidParameter", "Invalid parameter: Topic Name", 400),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn fifo_topic_attributes() {
    let server = start().await;
    let sns = sns(&server);
    let arn = create_topic_with(
        &sns,
        "t.fifo",
        &[("FifoTopic", "true"), ("ContentBasedDeduplication", "true")],
    )
    .await;
    let attributes = sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes["FifoTopic"], "true");
    assert_eq!(attributes["ContentBasedDeduplication"], "true");
    assert_eq!(attributes["FifoThroughputScope"], "Topic");
    sns.set_topic_attributes()
        .topic_arn(&arn)
        .attribute_name("FifoThroughputScope")
        .attribute_value("MessageGroup")
        .send()
        .await
        .unwrap();
    let err = expect_err(
        sns.set_topic_attributes()
            .topic_arn(&arn)
            .attribute_name("FifoTopic")
            .attribute_value("false")
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure("InvalidParameter", "Invalid parameter: AttributeName", 400)
    );
}

#[tokio::test]
async fn set_topic_attributes_stores_values_and_rejects_unknown_names() {
    let server = start().await;
    let sns = sns(&server);
    let arn = create_topic(&sns, "t").await;
    for (name, value) in [
        ("DisplayName", "My Topic"),
        ("KmsMasterKeyId", "alias/aws/sns"),
        ("TracingConfig", "Active"),
        ("SignatureVersion", "2"),
        (
            "DeliveryPolicy",
            r#"{"http":{"defaultHealthyRetryPolicy":{"numRetries":5}}}"#,
        ),
    ] {
        sns.set_topic_attributes()
            .topic_arn(&arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .unwrap();
    }
    let attributes = sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes["DisplayName"], "My Topic");
    assert_eq!(attributes["KmsMasterKeyId"], "alias/aws/sns");
    assert_eq!(attributes["TracingConfig"], "Active");
    assert_eq!(attributes["SignatureVersion"], "2");
    assert_eq!(
        json(&attributes["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]
            ["numRetries"],
        5
    );
    let err = expect_err(
        sns.set_topic_attributes()
            .topic_arn(&arn)
            .attribute_name("Bogus")
            .attribute_value("1")
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure("InvalidParameter", "Invalid parameter: AttributeName", 400)
    );
    let err = expect_err(
        sns.set_topic_attributes()
            .topic_arn(&arn)
            .attribute_name("ContentBasedDeduplication")
            .attribute_value("true")
            .send()
            .await,
    );
    assert_eq!(err.code, "InvalidParameter");
}

#[tokio::test]
async fn recreating_with_different_attributes_or_tags_fails() {
    let server = start().await;
    let sns = sns(&server);
    create_topic_with(&sns, "t", &[("DisplayName", "a")]).await;
    let err = expect_err(
        sns.create_topic()
            .name("t")
            .attributes("DisplayName", "b")
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure(
            "InvalidParameter",
            "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
            400
        )
    );
    let tag = aws_sdk_sns::types::Tag::builder()
        .key("k")
        .value("v")
        .build()
        .unwrap();
    let err = expect_err(sns.create_topic().name("t").tags(tag).send().await);
    assert_eq!(
        err.message,
        "Invalid parameter: Tags Reason: Topic already exists with different tags"
    );
}

#[tokio::test]
async fn topic_arns_are_validated() {
    let server = start().await;
    let sns = sns(&server);
    let err = expect_err(sns.get_topic_attributes().topic_arn("nope").send().await);
    assert_eq!(
        err,
        failure("InvalidParameter", "Invalid parameter: TopicArn", 400)
    );
    let other_region = "arn:aws:sns:eu-west-1:000000000000:t";
    let err = expect_err(
        sns.get_topic_attributes()
            .topic_arn(other_region)
            .send()
            .await,
    );
    assert_eq!(err.message, "Invalid parameter: TopicArn");
    let err = expect_err(sns.get_topic_attributes().send().await);
    assert_eq!(err.code, "ValidationError");
    assert_eq!(
        err.message,
        "1 validation error detected: Value null at 'topicArn' failed to satisfy constraint: Member must not be null"
    );
}

#[tokio::test]
async fn list_topics_pages_by_one_hundred_with_base64_next_tokens_and_is_per_region() {
    let server = start().await;
    let sns = sns(&server);
    for i in 0..105 {
        create_topic(&sns, &format!("t{i:03}")).await;
    }
    sns_in(&server, "eu-west-1")
        .create_topic()
        .name("elsewhere")
        .send()
        .await
        .unwrap();
    let first = sns.list_topics().send().await.unwrap();
    assert_eq!(first.topics().len(), 100);
    let token = first.next_token.expect("a second page");
    {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(&token)
            .unwrap_or_else(|e| panic!("NextToken {token} is not standard base64: {e}"));
    }
    let second = sns.list_topics().next_token(token).send().await.unwrap();
    assert_eq!(second.topics().len(), 5);
    assert!(second.next_token.is_none());
    let all: Vec<_> = sns
        .list_topics()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 105);
}

#[tokio::test]
async fn tags_on_topics() {
    let server = start().await;
    let sns = sns(&server);
    let tag = |k: &str, v: &str| {
        aws_sdk_sns::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };
    let arn = sns
        .create_topic()
        .name("t")
        .tags(tag("team", "a"))
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    sns.tag_resource()
        .resource_arn(&arn)
        .tags(tag("env", "dev"))
        .tags(tag("team", "b"))
        .send()
        .await
        .unwrap();
    let listed = |tags: Vec<aws_sdk_sns::types::Tag>| {
        tags.into_iter()
            .map(|t| (t.key, t.value))
            .collect::<Vec<_>>()
    };
    let tags = sns
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed(tags.tags.unwrap()),
        vec![("env".into(), "dev".into()), ("team".into(), "b".into())]
    );
    sns.untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = sns
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed(tags.tags.unwrap()),
        vec![("env".into(), "dev".into())]
    );

    let err = expect_err(
        sns.tag_resource()
            .resource_arn(&arn)
            .tags(tag("k", "1"))
            .tags(tag("k", "2"))
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Invalid parameter: Duplicated keys are not allowed."
    );
    let err = expect_err(
        sns.list_tags_for_resource()
            .resource_arn(topic_arn("missing"))
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure("ResourceNotFound", "Resource does not exist", 404)
    );
    let mut request = sns.tag_resource().resource_arn(&arn);
    for i in 0..50 {
        request = request.tags(tag(&format!("k{i}"), "v"));
    }
    let err = expect_err(request.send().await);
    assert_eq!(err.code, "TagLimitExceeded");
}

#[tokio::test]
async fn add_and_remove_permission_edit_the_policy() {
    let server = start().await;
    let sns = sns(&server);
    let arn = create_topic(&sns, "t").await;
    sns.add_permission()
        .topic_arn(&arn)
        .label("allow-publish")
        .aws_account_id("111111111111")
        .action_name("Publish")
        .send()
        .await
        .unwrap();
    let policy =
        |attributes: std::collections::HashMap<String, String>| json(&attributes["Policy"]);
    let attributes = sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap();
    let p = policy(attributes.attributes.unwrap());
    let statement = &p["Statement"][1];
    assert_eq!(statement["Sid"], "allow-publish");
    assert_eq!(
        statement["Principal"]["AWS"],
        "arn:aws:iam::111111111111:root"
    );
    assert_eq!(statement["Action"], "SNS:Publish");

    let err = expect_err(
        sns.add_permission()
            .topic_arn(&arn)
            .label("allow-publish")
            .aws_account_id("111111111111")
            .action_name("Publish")
            .send()
            .await,
    );
    assert_eq!(err.message, "Invalid parameter: Statement already exists");
    let err = expect_err(
        sns.add_permission()
            .topic_arn(&arn)
            .label("x")
            .aws_account_id("111111111111")
            .action_name("Fly")
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Invalid parameter: Policy statement action out of service scope!"
    );
    sns.remove_permission()
        .topic_arn(&arn)
        .label("allow-publish")
        .send()
        .await
        .unwrap();
    let attributes = sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap();
    let p = policy(attributes.attributes.unwrap());
    assert_eq!(p["Statement"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn data_protection_policy_is_stored() {
    let server = start().await;
    let sns = sns(&server);
    let arn = create_topic(&sns, "t").await;
    let got = sns
        .get_data_protection_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.data_protection_policy.unwrap_or_default(), "");
    let policy = r#"{"Name":"p","Version":"2021-06-01","Statement":[]}"#;
    sns.put_data_protection_policy()
        .resource_arn(&arn)
        .data_protection_policy(policy)
        .send()
        .await
        .unwrap();
    let got = sns
        .get_data_protection_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.data_protection_policy.as_deref(), Some(policy));
    let err = expect_err(
        sns.put_data_protection_policy()
            .resource_arn(topic_arn("missing"))
            .data_protection_policy(policy)
            .send()
            .await,
    );
    assert_eq!(err, failure("NotFound", "Topic does not exist", 404));
}

#[tokio::test]
async fn sns_errors_are_error_responses_without_a_detail_element() {
    let server = start().await;
    let sns = sns(&server);
    let result = sns
        .get_topic_attributes()
        .topic_arn(topic_arn("missing"))
        .send()
        .await;
    let Err(aws_sdk_sns::error::SdkError::ServiceError(service)) = result else {
        panic!("expected a service error, got {result:?}");
    };
    assert_eq!(service.err().meta().code(), Some("NotFound"));
    let body = std::str::from_utf8(service.raw().body().bytes().expect("a buffered body"))
        .expect("UTF-8 XML")
        .to_string();
    assert!(
        body.contains("<Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>"),
        "{body}"
    );
    assert!(!body.contains("Detail"), "{body}");
}

#[tokio::test]
async fn topics_queues_and_subscriptions_made_in_a_china_region_have_aws_cn_arns() {
    let server = start().await;
    let region = "cn-north-1";
    let sns = sns_in(&server, region);
    let sqs = crate::common::sqs_in(&server, region);
    let topic = create_topic(&sns, "orders").await;
    assert_eq!(topic, format!("arn:aws-cn:sns:{region}:{ACCOUNT}:orders"));
    let url = crate::common::create_queue(&sqs, "q").await;
    let queue_arn = crate::common::queue_attribute(&sqs, &url, "QueueArn").await;
    assert_eq!(queue_arn, format!("arn:aws-cn:sqs:{region}:{ACCOUNT}:q"));
    let subscription =
        subscribe_queue(&sns, &topic, &queue_arn, &[("RawMessageDelivery", "true")]).await;
    assert!(
        subscription.starts_with(&format!("{topic}:")),
        "{subscription}"
    );
    let principal = sns
        .get_subscription_attributes()
        .subscription_arn(&subscription)
        .send()
        .await
        .expect("subscription attributes")
        .attributes
        .expect("attributes")
        .remove("SubscriptionPrincipal");
    assert_eq!(
        principal.as_deref(),
        Some(format!("arn:aws-cn:iam::{ACCOUNT}:root").as_str())
    );
    // The fan-out finds the queue by its aws-cn ARN.
    publish(&sns, &topic, "hello").await;
    let got = receive_n(&sqs, &url, 1).await;
    assert_eq!(crate::common::bodies(&got), ["hello"]);
}
