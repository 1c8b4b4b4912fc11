//! SNS helpers: a client for a test server, failures as (code, message, status), topics and
//! queues wired together, and waiting for a delivery to show up in a queue.

use crate::common;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use std::time::Duration;

pub use crate::common::{sns, sns_in, Failure, ACCOUNT, REGION};

/// What the caller sees of a failed SNS call.
pub fn expect_err<T: std::fmt::Debug, E>(
    result: Result<T, SdkError<E, aws_sdk_sns::config::http::HttpResponse>>,
) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(output) => panic!("expected an error, got success: {output:?}"),
        Err(SdkError::ServiceError(service)) => Failure {
            code: service.err().code().unwrap_or("<none>").to_string(),
            message: service.err().message().unwrap_or("<none>").to_string(),
            status: service.raw().status().as_u16(),
        },
        Err(other) => Failure {
            code: "<transport>".into(),
            message: aws_sdk_sns::error::DisplayErrorContext(&other).to_string(),
            status: 0,
        },
    }
}

pub fn failure(code: &str, message: &str, status: u16) -> Failure {
    Failure {
        code: code.into(),
        message: message.into(),
        status,
    }
}

pub fn topic_arn(name: &str) -> String {
    format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}")
}

pub async fn create_topic(sns: &aws_sdk_sns::Client, name: &str) -> String {
    create_topic_with(sns, name, &[]).await
}

pub async fn create_topic_with(
    sns: &aws_sdk_sns::Client,
    name: &str,
    attributes: &[(&str, &str)],
) -> String {
    let mut request = sns.create_topic().name(name);
    for (k, v) in attributes {
        request = request.attributes(*k, *v);
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateTopic {name}: {}", common::describe(&e)))
        .topic_arn
        .expect("CreateTopic returns a TopicArn")
}

/// Subscribes an SQS queue (by ARN) with attributes; returns the subscription ARN.
pub async fn subscribe_queue(
    sns: &aws_sdk_sns::Client,
    topic: &str,
    queue_arn: &str,
    attributes: &[(&str, &str)],
) -> String {
    let mut request = sns
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(queue_arn);
    for (k, v) in attributes {
        request = request.attributes(*k, *v);
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("Subscribe {queue_arn}: {}", common::describe(&e)))
        .subscription_arn
        .expect("Subscribe returns a SubscriptionArn")
}

pub async fn publish(sns: &aws_sdk_sns::Client, topic: &str, message: &str) -> String {
    sns.publish()
        .topic_arn(topic)
        .message(message)
        .send()
        .await
        .unwrap_or_else(|e| panic!("Publish: {}", common::describe(&e)))
        .message_id
        .expect("Publish returns a MessageId")
}

/// Long-polls a queue until `n` messages arrived (or 5 s passed) and returns them.
pub async fn receive_n(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    n: usize,
) -> Vec<aws_sdk_sqs::types::Message> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while got.len() < n && tokio::time::Instant::now() < deadline {
        let batch = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap_or_else(|e| panic!("ReceiveMessage: {}", common::describe(&e)))
            .messages
            .unwrap_or_default();
        got.extend(batch);
    }
    got
}

/// Receives nothing for a moment: deliveries are immediate, so 300 ms of silence after the
/// publish call returned means none is coming.
pub async fn assert_empty(sqs: &aws_sdk_sqs::Client, queue_url: &str) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = common::receive(sqs, queue_url, 10).await;
    assert!(
        got.is_empty(),
        "expected no messages, got {:?}",
        common::bodies(&got)
    );
}

/// A queue and its ARN.
pub async fn queue(sqs: &aws_sdk_sqs::Client, name: &str) -> (String, String) {
    let url = if name.ends_with(".fifo") {
        common::create_fifo_queue(sqs, name, &[]).await
    } else {
        common::create_queue(sqs, name).await
    };
    (url, common::queue_arn(name))
}

pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}
