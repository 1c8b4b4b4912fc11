//! The approximate counts: ApproximateNumberOfMessages (visible), ...NotVisible (in flight)
//! and ...Delayed, which stepyard keeps exact.

use crate::common::*;
use std::time::Duration;

#[tokio::test]
async fn counts_follow_messages_through_send_receive_and_delete() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    assert_eq!(counts(&sqs, &url).await, (0, 0, 0));
    send(&sqs, &url, "ed").await;
    for body in ["foo", "bar"] {
        sqs.send_message()
            .queue_url(&url)
            .message_body(body)
            .delay_seconds(2)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(counts(&sqs, &url).await, (1, 0, 2));

    server.clock().advance(Duration::from_secs(3));
    assert_eq!(counts(&sqs, &url).await, (3, 0, 0));

    let got = receive(&sqs, &url, 2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(counts(&sqs, &url).await, (1, 2, 0));

    delete(&sqs, &url, got[0].receipt_handle.as_deref().unwrap()).await;
    assert_eq!(counts(&sqs, &url).await, (1, 1, 0));

    server.clock().advance(Duration::from_secs(31));
    assert_eq!(counts(&sqs, &url).await, (2, 0, 0));
}

#[tokio::test]
async fn fifo_counts_include_messages_of_blocked_groups_as_visible() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[("ContentBasedDeduplication", "true")]).await;
    for (body, group) in [
        ("g1-m1", "1"),
        ("g1-m2", "1"),
        ("g1-m3", "1"),
        ("g2-m1", "2"),
        ("g3-m1", "3"),
    ] {
        sqs.send_message()
            .queue_url(&url)
            .message_body(body)
            .message_group_id(group)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(counts(&sqs, &url).await, (5, 0, 0));
    let got = receive(&sqs, &url, 4).await;
    assert_eq!(got.len(), 4);
    assert_eq!(counts(&sqs, &url).await.0, 1);
    for m in &got {
        delete(&sqs, &url, m.receipt_handle.as_deref().unwrap()).await;
    }
    assert_eq!(counts(&sqs, &url).await, (1, 0, 0));
}
