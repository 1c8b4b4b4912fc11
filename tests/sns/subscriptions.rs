//! Subscriptions: Subscribe (per protocol, idempotent, attributes), confirmation,
//! List*, Get/SetSubscriptionAttributes, Unsubscribe, and AWS's errors.

use crate::common::{self, start};
use crate::support::*;

#[tokio::test]
async fn an_sqs_subscription_is_confirmed_at_once_and_listed() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let queue_arn = common::queue_arn("q");
    let sub = subscribe_queue(&sns, &topic, &queue_arn, &[]).await;
    assert!(sub.starts_with(&format!("{topic}:")), "{sub}");
    // Subscribing again gives the same subscription.
    assert_eq!(subscribe_queue(&sns, &topic, &queue_arn, &[]).await, sub);

    let attributes = sns
        .get_subscription_attributes()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes["SubscriptionArn"], sub);
    assert_eq!(attributes["TopicArn"], topic);
    assert_eq!(attributes["Protocol"], "sqs");
    assert_eq!(attributes["Endpoint"], queue_arn);
    assert_eq!(attributes["Owner"], ACCOUNT);
    assert_eq!(attributes["PendingConfirmation"], "false");
    assert_eq!(attributes["ConfirmationWasAuthenticated"], "true");
    assert_eq!(attributes["RawMessageDelivery"], "false");
    assert!(!attributes.contains_key("FilterPolicy"));

    let listed = sns
        .list_subscriptions()
        .send()
        .await
        .unwrap()
        .subscriptions
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].subscription_arn.as_deref(), Some(sub.as_str()));
    assert_eq!(listed[0].protocol.as_deref(), Some("sqs"));
    let by_topic = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap()
        .subscriptions
        .unwrap();
    assert_eq!(by_topic.len(), 1);
    let topic_attributes = sns
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(topic_attributes["SubscriptionsConfirmed"], "1");

    sns.unsubscribe()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap();
    let err = expect_err(
        sns.get_subscription_attributes()
            .subscription_arn(&sub)
            .send()
            .await,
    );
    assert_eq!(err, failure("NotFound", "Subscription does not exist", 404));
    // Unsubscribe is idempotent.
    sns.unsubscribe()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap();
    let topic_attributes = sns
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(topic_attributes["SubscriptionsConfirmed"], "0");
    assert_eq!(topic_attributes["SubscriptionsDeleted"], "1");
}

#[tokio::test]
async fn subscribe_checks_protocol_endpoint_and_topic() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let cases = [
        ("carrier-pigeon", "x", "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"),
        ("sqs", "not-an-arn", "Invalid parameter: SQS endpoint ARN"),
        ("http", "https://example.com", "Invalid parameter: Endpoint must match the specified protocol"),
        ("sqs", "arn:aws:sqs:us-east-1:000000000000:q.fifo", "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"),
    ];
    for (protocol, endpoint, message) in cases {
        let err = expect_err(
            sns.subscribe()
                .topic_arn(&topic)
                .protocol(protocol)
                .endpoint(endpoint)
                .send()
                .await,
        );
        assert_eq!(
            err,
            failure("InvalidParameter", message, 400),
            "{protocol} {endpoint}"
        );
    }
    let err = expect_err(
        sns.subscribe()
            .topic_arn(topic_arn("missing"))
            .protocol("sqs")
            .endpoint(common::queue_arn("q"))
            .send()
            .await,
    );
    assert_eq!(err, failure("NotFound", "Topic does not exist", 404));
    let err = expect_err(
        sns.subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(common::queue_arn("q"))
            .attributes("Colour", "blue")
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Invalid parameter: Attributes Reason: AttributeName"
    );
}

#[tokio::test]
async fn subscription_attributes_can_be_set() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let sub = subscribe_queue(&sns, &topic, &common::queue_arn("q"), &[]).await;
    let dlq = common::queue_arn("dlq");
    let redrive = format!(r#"{{"deadLetterTargetArn":"{dlq}"}}"#);
    for (name, value) in [
        ("RawMessageDelivery", "TRUE"),
        ("RedrivePolicy", redrive.as_str()),
    ] {
        sns.set_subscription_attributes()
            .subscription_arn(&sub)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .unwrap();
    }
    let attributes = sns
        .get_subscription_attributes()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes["RawMessageDelivery"], "true");
    assert_eq!(attributes["RedrivePolicy"], redrive);

    let err = expect_err(
        sns.set_subscription_attributes()
            .subscription_arn(&sub)
            .attribute_name("RawMessageDelivery")
            .attribute_value("maybe")
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Invalid parameter: RawMessageDelivery: Invalid value [maybe]. Must be true or false."
    );
    let err = expect_err(
        sns.set_subscription_attributes()
            .subscription_arn(&sub)
            .attribute_name("RedrivePolicy")
            .attribute_value(r#"{"deadLetterTargetArn":"nope"}"#)
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn"
    );
    let err = expect_err(
        sns.set_subscription_attributes()
            .subscription_arn(format!("{topic}:00000000-0000-0000-0000-000000000000"))
            .attribute_name("RawMessageDelivery")
            .attribute_value("true")
            .send()
            .await,
    );
    assert_eq!(err, failure("NotFound", "Subscription does not exist", 404));
}

#[tokio::test]
async fn resubscribing_with_other_attributes_fails() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let q = common::queue_arn("q");
    subscribe_queue(&sns, &topic, &q, &[("RawMessageDelivery", "true")]).await;
    let err = expect_err(
        sns.subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(&q)
            .attributes("RawMessageDelivery", "false")
            .send()
            .await,
    );
    assert_eq!(
        err.message,
        "Invalid parameter: Attributes Reason: Subscription already exists with different attributes"
    );
}

#[tokio::test]
async fn email_subscriptions_wait_for_confirmation_with_the_sent_token() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let out = sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("email")
        .endpoint("someone@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.subscription_arn.as_deref(),
        Some("pending confirmation")
    );
    let listed = sns
        .list_subscriptions()
        .send()
        .await
        .unwrap()
        .subscriptions
        .unwrap();
    assert_eq!(
        listed[0].subscription_arn.as_deref(),
        Some("PendingConfirmation")
    );

    let deliveries = server.state().sns.deliveries();
    let confirmation = deliveries
        .iter()
        .find(|d| d.kind == "SubscriptionConfirmation")
        .expect("a confirmation was recorded");
    assert_eq!(confirmation.endpoint, "someone@example.com");
    let body = json(&confirmation.body);
    assert_eq!(body["Type"], "SubscriptionConfirmation");
    let token = body["Token"].as_str().unwrap().to_string();
    assert!(body["SubscribeURL"].as_str().unwrap().contains(&token));

    let err = expect_err(
        sns.confirm_subscription()
            .topic_arn(&topic)
            .token("wrong")
            .send()
            .await,
    );
    assert_eq!(
        err,
        failure("InvalidParameter", "Invalid parameter: Token", 400)
    );
    let confirmed = sns
        .confirm_subscription()
        .topic_arn(&topic)
        .token(&token)
        .send()
        .await
        .unwrap()
        .subscription_arn
        .unwrap();
    assert!(confirmed.starts_with(&topic));
    let attributes = sns
        .get_subscription_attributes()
        .subscription_arn(&confirmed)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes["PendingConfirmation"], "false");

    publish(&sns, &topic, "hello by mail").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mails: Vec<_> = server
        .state()
        .sns
        .deliveries()
        .into_iter()
        .filter(|d| d.kind == "Notification")
        .collect();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].body, "hello by mail");
}

#[tokio::test]
async fn return_subscription_arn_gives_the_arn_of_a_pending_subscription() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let arn = sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("email-json")
        .endpoint("a@example.com")
        .return_subscription_arn(true)
        .send()
        .await
        .unwrap()
        .subscription_arn
        .unwrap();
    assert!(arn.starts_with(&topic), "{arn}");
    let attributes = sns
        .get_subscription_attributes()
        .subscription_arn(&arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes["PendingConfirmation"], "true");
}

#[tokio::test]
async fn unsubscribe_checks_the_arn() {
    let server = start().await;
    let sns = sns(&server);
    let err = expect_err(sns.unsubscribe().subscription_arn("garbage").send().await);
    assert_eq!(
        err.message,
        "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1"
    );
    let err = expect_err(
        sns.unsubscribe()
            .subscription_arn(topic_arn("t"))
            .send()
            .await,
    );
    assert_eq!(err.message, "Invalid parameter: SubscriptionId");
}

#[tokio::test]
async fn deleting_a_topic_removes_its_subscriptions() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let sub = subscribe_queue(&sns, &topic, &common::queue_arn("q"), &[]).await;
    sns.delete_topic().topic_arn(&topic).send().await.unwrap();
    assert!(sns
        .list_subscriptions()
        .send()
        .await
        .unwrap()
        .subscriptions()
        .is_empty());
    let err = expect_err(
        sns.get_subscription_attributes()
            .subscription_arn(&sub)
            .send()
            .await,
    );
    assert_eq!(err.code, "NotFound");
}

#[tokio::test]
async fn lambda_and_sms_subscriptions_record_what_they_would_receive() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    for (protocol, endpoint) in [
        ("lambda", "arn:aws:lambda:us-east-1:000000000000:function:f"),
        ("sms", "+15555550100"),
    ] {
        sns.subscribe()
            .topic_arn(&topic)
            .protocol(protocol)
            .endpoint(endpoint)
            .send()
            .await
            .unwrap();
    }
    let id = publish(&sns, &topic, "ping").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let deliveries = server.state().sns.deliveries();
    let lambda = deliveries.iter().find(|d| d.protocol == "lambda").unwrap();
    let envelope = json(&lambda.body);
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["MessageId"], id.as_str());
    let sms = deliveries.iter().find(|d| d.protocol == "sms").unwrap();
    assert_eq!(sms.body, "ping");
    assert_eq!(sms.endpoint, "+15555550100");
}

#[tokio::test]
async fn resubscribing_with_equivalent_attributes_returns_the_same_subscription() {
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let q = common::queue_arn("q");
    let first = subscribe_queue(&sns, &topic, &q, &[]).await;
    // Defaults count as set; booleans compare case-insensitively; no Attributes is the same.
    for attributes in [
        vec![("RawMessageDelivery", "false")],
        vec![("RawMessageDelivery", "FALSE")],
        vec![],
    ] {
        assert_eq!(subscribe_queue(&sns, &topic, &q, &attributes).await, first);
    }
    let raw = common::queue_arn("raw");
    let second = subscribe_queue(
        &sns,
        &topic,
        &raw,
        &[
            ("RawMessageDelivery", "true"),
            ("FilterPolicy", r#"{"a": ["x"]}"#),
        ],
    )
    .await;
    for attributes in [
        vec![("RawMessageDelivery", "True")],
        vec![("FilterPolicy", r#"{"a":["x"]}"#)],
        vec![("FilterPolicyScope", "MessageAttributes")],
        vec![],
    ] {
        assert_eq!(
            subscribe_queue(&sns, &topic, &raw, &attributes).await,
            second,
            "{attributes:?}"
        );
    }
}
