//! PurgeQueue: deletes every message (visible, in flight, delayed), clears FIFO deduplication,
//! and may run once per 60 seconds per queue.

use crate::common::*;
use std::time::Duration;

#[tokio::test]
async fn purge_deletes_visible_in_flight_and_delayed_messages() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    for i in 0..5 {
        send(&sqs, &url, &format!("visible-{i}")).await;
    }
    for i in 0..3 {
        sqs.send_message()
            .queue_url(&url)
            .message_body(format!("delayed-{i}"))
            .delay_seconds(2)
            .send()
            .await
            .unwrap();
    }
    let in_flight = receive(&sqs, &url, 2).await;
    assert_eq!(in_flight.len(), 2);
    sqs.purge_queue().queue_url(&url).send().await.unwrap();

    assert_eq!(counts(&sqs, &url).await, (0, 0, 0));
    server.clock().advance(Duration::from_secs(31));
    assert!(receive(&sqs, &url, 10).await.is_empty());
    assert_eq!(counts(&sqs, &url).await, (0, 0, 0));
}

#[tokio::test]
async fn messages_sent_after_a_purge_are_kept() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    for i in 0..3 {
        send(&sqs, &url, &format!("test-0-{i}")).await;
    }
    sqs.purge_queue().queue_url(&url).send().await.unwrap();
    assert!(receive(&sqs, &url, 10).await.is_empty());
    for i in 0..3 {
        send(&sqs, &url, &format!("test-1-{i}")).await;
    }
    let mut got = Vec::new();
    for _ in 0..5 {
        got.extend(bodies(&receive(&sqs, &url, 10).await));
    }
    got.sort();
    assert_eq!(got, vec!["test-1-0", "test-1-1", "test-1-2"]);
}

#[tokio::test]
async fn purge_clears_the_fifo_deduplication_cache() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
    send_fifo(&sqs, &url, "message-1", "group", "dedup").await;
    sqs.purge_queue().queue_url(&url).send().await.unwrap();
    send_fifo(&sqs, &url, "message-2", "group", "dedup").await;
    assert_eq!(bodies(&receive(&sqs, &url, 10).await), vec!["message-2"]);
}

#[tokio::test]
async fn a_second_purge_within_60_seconds_is_purge_queue_in_progress() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "purged").await;
    sqs.purge_queue().queue_url(&url).send().await.unwrap();
    server.clock().advance(Duration::from_secs(59));
    let failure = expect_failure(sqs.purge_queue().queue_url(&url).send().await);
    assert_eq!(failure.code, "AWS.SimpleQueueService.PurgeQueueInProgress");
    assert_eq!(
        failure.message,
        "Only one PurgeQueue operation on purged is allowed every 60 seconds."
    );
    assert_eq!(failure.status, 403);

    server.clock().advance(Duration::from_secs(2));
    sqs.purge_queue()
        .queue_url(&url)
        .send()
        .await
        .expect("allowed again after 60 s");
}

#[tokio::test]
async fn purging_one_queue_does_not_limit_another() {
    let server = start().await;
    let sqs = sqs(&server);
    let a = create_queue(&sqs, "a").await;
    let b = create_queue(&sqs, "b").await;
    sqs.purge_queue().queue_url(&a).send().await.unwrap();
    sqs.purge_queue().queue_url(&b).send().await.unwrap();
}

#[tokio::test]
async fn purging_a_missing_queue_is_non_existent_queue() {
    let server = start().await;
    let sqs = sqs(&server);
    let failure = expect_failure(
        sqs.purge_queue()
            .queue_url(format!("{}/{ACCOUNT}/missing", server.endpoint()))
            .send()
            .await,
    );
    assert_eq!(failure.code, "AWS.SimpleQueueService.NonExistentQueue");
}
