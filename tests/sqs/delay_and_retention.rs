//! Delivery delay (queue DelaySeconds and per-message DelaySeconds) and message retention
//! (MessageRetentionPeriod), with the server's clock moved forward instead of sleeping.

use crate::common::*;
use std::time::Duration;

/// Receives what is visible now and deletes it, so it cannot come back after its visibility
/// timeout while the test moves the clock.
async fn take(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let messages = receive(sqs, url, 10).await;
    for m in &messages {
        delete(sqs, url, m.receipt_handle.as_deref().unwrap()).await;
    }
    bodies(&messages)
}

#[tokio::test]
async fn a_queue_delay_hides_new_messages_until_it_passes() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue_with(&sqs, "q", &[("DelaySeconds", "10")]).await;
    send(&sqs, &url, "delayed").await;
    assert!(receive(&sqs, &url, 10).await.is_empty());
    assert_eq!(counts(&sqs, &url).await, (0, 0, 1));
    server.clock().advance(Duration::from_secs(9));
    assert!(receive(&sqs, &url, 10).await.is_empty());
    server.clock().advance(Duration::from_secs(2));
    assert_eq!(counts(&sqs, &url).await, (1, 0, 0));
    assert_eq!(bodies(&receive(&sqs, &url, 10).await), vec!["delayed"]);
}

#[tokio::test]
async fn a_per_message_delay_overrides_the_queue_delay() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue_with(&sqs, "q", &[("DelaySeconds", "60")]).await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("now")
        .delay_seconds(0)
        .send()
        .await
        .unwrap();
    sqs.send_message()
        .queue_url(&url)
        .message_body("in 5")
        .delay_seconds(5)
        .send()
        .await
        .unwrap();
    send(&sqs, &url, "queue default").await;
    assert_eq!(take(&sqs, &url).await, vec!["now"]);
    server.clock().advance(Duration::from_secs(6));
    assert_eq!(take(&sqs, &url).await, vec!["in 5"]);
    server.clock().advance(Duration::from_secs(55));
    assert_eq!(take(&sqs, &url).await, vec!["queue default"]);
}

#[tokio::test]
async fn a_changed_queue_delay_applies_to_later_messages_only() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "before").await;
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes("DelaySeconds".into(), "30")
        .send()
        .await
        .unwrap();
    send(&sqs, &url, "after").await;
    assert_eq!(take(&sqs, &url).await, vec!["before"]);
    server.clock().advance(Duration::from_secs(31));
    assert_eq!(take(&sqs, &url).await, vec!["after"]);
}

#[tokio::test]
async fn message_delay_must_be_at_most_900_seconds() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("max")
        .delay_seconds(900)
        .send()
        .await
        .unwrap();
    for bad in [901, -1] {
        let failure = expect_failure(
            sqs.send_message()
                .queue_url(&url)
                .message_body("x")
                .delay_seconds(bad)
                .send()
                .await,
        );
        assert_eq!(failure.code, "InvalidParameterValue", "DelaySeconds {bad}");
    }
}

#[tokio::test]
async fn messages_older_than_the_retention_period_are_gone() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue_with(&sqs, "q", &[("MessageRetentionPeriod", "60")]).await;
    send(&sqs, &url, "old").await;
    server.clock().advance(Duration::from_secs(30));
    send(&sqs, &url, "young").await;
    server.clock().advance(Duration::from_secs(31));
    assert_eq!(counts(&sqs, &url).await, (1, 0, 0));
    assert_eq!(bodies(&receive(&sqs, &url, 10).await), vec!["young"]);
}

#[tokio::test]
async fn an_in_flight_message_also_expires_with_retention() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue_with(
        &sqs,
        "q",
        &[
            ("MessageRetentionPeriod", "60"),
            ("VisibilityTimeout", "300"),
        ],
    )
    .await;
    send(&sqs, &url, "x").await;
    assert_eq!(receive(&sqs, &url, 1).await.len(), 1);
    assert_eq!(counts(&sqs, &url).await, (0, 1, 0));
    server.clock().advance(Duration::from_secs(301));
    assert!(receive(&sqs, &url, 10).await.is_empty());
    assert_eq!(counts(&sqs, &url).await, (0, 0, 0));
}

#[tokio::test]
async fn the_default_retention_is_four_days() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "x").await;
    server.clock().advance(Duration::from_secs(345_600 - 60));
    assert_eq!(counts(&sqs, &url).await, (1, 0, 0));
    server.clock().advance(Duration::from_secs(61));
    assert_eq!(counts(&sqs, &url).await, (0, 0, 0));
    assert!(receive(&sqs, &url, 10).await.is_empty());
}
