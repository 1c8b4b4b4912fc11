//! Long polling wakes on arrival, on deadlines, and times out empty.

use super::{bodies, Harness};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn long_poll_returns_as_soon_as_a_message_arrives() {
    let h = std::sync::Arc::new(Harness::new());
    let url = h.create("q", json!({})).await;
    let poller = tokio::spawn({
        let h = h.clone();
        let url = url.clone();
        async move { h.receive(&url, json!({"WaitTimeSeconds": 20})).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    h.send(&url, "wake").await;
    let got = tokio::time::timeout(Duration::from_secs(2), poller)
        .await
        .expect("long poll woke up")
        .expect("poll task");
    assert_eq!(bodies(&got), ["wake"]);
}

#[tokio::test]
async fn long_poll_wakes_when_a_delay_or_visibility_timeout_ends_and_times_out_empty() {
    let h = std::sync::Arc::new(Harness::new());
    let url = h.create("q", json!({})).await;
    h.ok(
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "later", "DelaySeconds": 3}),
    )
    .await;
    let poller = tokio::spawn({
        let h = h.clone();
        let url = url.clone();
        async move { h.receive(&url, json!({"WaitTimeSeconds": 20})).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    h.advance(3);
    let got = tokio::time::timeout(Duration::from_secs(2), poller)
        .await
        .expect("woke")
        .expect("task");
    assert_eq!(bodies(&got), ["later"]);

    let empty = tokio::spawn({
        let h = h.clone();
        let url = url.clone();
        async move { h.receive(&url, json!({"WaitTimeSeconds": 5})).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    h.advance(5);
    let got = tokio::time::timeout(Duration::from_secs(2), empty)
        .await
        .expect("deadline")
        .expect("task");
    assert!(got.is_empty());
}
