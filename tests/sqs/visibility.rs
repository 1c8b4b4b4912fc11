//! Visibility timeout: a received message is hidden for the queue's (or the receive's)
//! timeout and comes back after it; ChangeMessageVisibility(Batch) moves the deadline.
//! Time moves with `server.clock().advance`, never by sleeping.

use crate::common::*;
use aws_sdk_sqs::types::{ChangeMessageVisibilityBatchRequestEntry, MessageSystemAttributeName};
use std::time::Duration;

async fn receive_with_timeout(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    timeout: i32,
) -> Vec<aws_sdk_sqs::types::Message> {
    sqs.receive_message()
        .queue_url(url)
        .visibility_timeout(timeout)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
}

#[tokio::test]
async fn a_received_message_is_invisible_until_the_default_30_s_timeout_passes() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "foobar").await;
    let first = receive(&sqs, &url, 1).await.remove(0);

    assert!(receive(&sqs, &url, 10).await.is_empty());
    server.clock().advance(Duration::from_secs(29));
    assert!(
        receive(&sqs, &url, 10).await.is_empty(),
        "still hidden at 29 s"
    );
    server.clock().advance(Duration::from_secs(2));
    let again = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .unwrap()
        .messages
        .expect("visible again after 31 s")
        .remove(0);
    assert_eq!(again.message_id, first.message_id);
    assert_ne!(
        again.receipt_handle, first.receipt_handle,
        "each receive gets a new receipt handle"
    );
    assert_eq!(
        again.attributes.unwrap()[&MessageSystemAttributeName::ApproximateReceiveCount],
        "2"
    );
}

#[tokio::test]
async fn the_queue_visibility_timeout_attribute_sets_the_hidden_period() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue_with(&sqs, "q", &[("VisibilityTimeout", "5")]).await;
    send(&sqs, &url, "x").await;
    receive(&sqs, &url, 1).await;
    server.clock().advance(Duration::from_secs(4));
    assert!(receive(&sqs, &url, 1).await.is_empty());
    server.clock().advance(Duration::from_secs(2));
    assert_eq!(receive(&sqs, &url, 1).await.len(), 1);
}

#[tokio::test]
async fn a_visibility_timeout_on_receive_overrides_the_queue_default() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "x").await;
    assert_eq!(receive_with_timeout(&sqs, &url, 100).await.len(), 1);
    server.clock().advance(Duration::from_secs(60));
    assert!(
        receive(&sqs, &url, 1).await.is_empty(),
        "hidden for 100 s, not 30"
    );
    server.clock().advance(Duration::from_secs(41));
    assert_eq!(receive(&sqs, &url, 1).await.len(), 1);
}

#[tokio::test]
async fn receiving_with_visibility_timeout_zero_leaves_the_message_visible() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "foobar").await;
    let r0 = receive_with_timeout(&sqs, &url, 0).await;
    let r1 = receive(&sqs, &url, 1).await;
    assert_eq!(r0.len(), 1);
    assert_eq!(r1.len(), 1);
    assert_ne!(r0[0].receipt_handle, r1[0].receipt_handle);
    assert!(
        receive(&sqs, &url, 1).await.is_empty(),
        "the second receive used the 30 s default"
    );
}

#[tokio::test]
async fn change_message_visibility_extends_the_hidden_period() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "test").await;
    let handle = receive(&sqs, &url, 1).await[0]
        .receipt_handle
        .clone()
        .unwrap();
    server.clock().advance(Duration::from_secs(20));
    // The new timeout counts from now, not from the receive.
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle)
        .visibility_timeout(100)
        .send()
        .await
        .unwrap();
    server.clock().advance(Duration::from_secs(99));
    assert!(receive(&sqs, &url, 1).await.is_empty());
    server.clock().advance(Duration::from_secs(2));
    assert_eq!(bodies(&receive(&sqs, &url, 1).await), vec!["test"]);
}

#[tokio::test]
async fn change_message_visibility_to_zero_makes_it_visible_at_once() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let id = send(&sqs, &url, "test").await;
    let handle = receive(&sqs, &url, 1).await[0]
        .receipt_handle
        .clone()
        .unwrap();
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let again = receive(&sqs, &url, 1).await;
    assert_eq!(again[0].message_id.as_deref(), Some(id.as_str()));
    // That receive used the default timeout again: the change was not permanent.
    assert!(receive(&sqs, &url, 1).await.is_empty());
}

#[tokio::test]
async fn change_message_visibility_with_a_deleted_message_is_invalid_parameter_value() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "foo").await;
    let handle = receive(&sqs, &url, 1).await[0]
        .receipt_handle
        .clone()
        .unwrap();
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle)
        .visibility_timeout(42)
        .send()
        .await
        .unwrap();
    delete(&sqs, &url, &handle).await;
    let failure = expect_failure(
        sqs.change_message_visibility()
            .queue_url(&url)
            .receipt_handle(&handle)
            .visibility_timeout(42)
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
    assert_eq!(
        failure.message,
        format!("Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.")
    );
}

#[tokio::test]
async fn change_message_visibility_with_a_garbage_handle_is_receipt_handle_is_invalid() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let failure = expect_failure(
        sqs.change_message_visibility()
            .queue_url(&url)
            .receipt_handle("INVALID")
            .visibility_timeout(60)
            .send()
            .await,
    );
    assert_eq!(failure.code, "ReceiptHandleIsInvalid");
}

#[tokio::test]
async fn visibility_timeout_above_12_hours_is_rejected() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "x").await;
    let handle = receive(&sqs, &url, 1).await[0]
        .receipt_handle
        .clone()
        .unwrap();
    let failure = expect_failure(
        sqs.change_message_visibility()
            .queue_url(&url)
            .receipt_handle(&handle)
            .visibility_timeout(43_201)
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
    let failure = expect_failure(
        sqs.receive_message()
            .queue_url(&url)
            .visibility_timeout(43_201)
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
}

#[tokio::test]
async fn change_message_visibility_batch_changes_each_entry_and_reports_bad_ones() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "a").await;
    send(&sqs, &url, "b").await;
    let mut received = Vec::new();
    for _ in 0..3 {
        received.extend(receive(&sqs, &url, 10).await);
    }
    assert_eq!(received.len(), 2);
    let entry = |id: &str, handle: &str, timeout: i32| {
        ChangeMessageVisibilityBatchRequestEntry::builder()
            .id(id)
            .receipt_handle(handle)
            .visibility_timeout(timeout)
            .build()
            .unwrap()
    };
    let out = sqs
        .change_message_visibility_batch()
        .queue_url(&url)
        .entries(entry(
            "zero",
            received[0].receipt_handle.as_deref().unwrap(),
            0,
        ))
        .entries(entry(
            "long",
            received[1].receipt_handle.as_deref().unwrap(),
            600,
        ))
        .entries(entry("bad", "garbage", 10))
        .send()
        .await
        .unwrap();
    let mut ok: Vec<&str> = out.successful.iter().map(|e| e.id.as_str()).collect();
    ok.sort();
    assert_eq!(ok, vec!["long", "zero"]);
    assert_eq!(out.failed.len(), 1);
    assert_eq!(out.failed[0].id, "bad");
    assert_eq!(out.failed[0].code, "ReceiptHandleIsInvalid");
    assert!(out.failed[0].sender_fault);

    assert_eq!(
        bodies(&receive(&sqs, &url, 10).await),
        vec![received[0].body.clone().unwrap()],
        "only the message set to 0 is visible"
    );
    server.clock().advance(Duration::from_secs(601));
    assert_eq!(receive(&sqs, &url, 10).await.len(), 2);
}

#[tokio::test]
async fn change_message_visibility_batch_rejects_more_than_ten_entries() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let mut request = sqs.change_message_visibility_batch().queue_url(&url);
    for i in 0..11 {
        request = request.entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id(format!("e{i}"))
                .receipt_handle("h")
                .visibility_timeout(1)
                .build()
                .unwrap(),
        );
    }
    let failure = expect_failure(request.send().await);
    assert_eq!(
        failure.code,
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
    );
    assert_eq!(
        failure.message,
        "Maximum number of entries per request are 10. You have sent 11."
    );
}

/// Receives the one message twice: the first receive's visibility timeout (1 s) runs out
/// before the second. Returns (older handle, current handle).
async fn two_handles(
    server: &stepyard::RunningServer,
    sqs: &aws_sdk_sqs::Client,
    url: &str,
) -> (String, String) {
    send(sqs, url, "m").await;
    let old = receive_with_timeout(sqs, url, 1).await[0]
        .receipt_handle
        .clone()
        .unwrap();
    server.clock().advance(Duration::from_secs(2));
    let current = receive(sqs, url, 1).await[0]
        .receipt_handle
        .clone()
        .unwrap();
    assert_ne!(old, current);
    (old, current)
}

#[tokio::test]
async fn an_older_receipt_handle_changes_the_visibility_of_the_in_flight_standard_message() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let (old, _current) = two_handles(&server, &sqs, &url).await;
    assert!(receive(&sqs, &url, 1).await.is_empty(), "in flight");
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&old)
        .visibility_timeout(0)
        .send()
        .await
        .expect("an older handle of a standard message is accepted");
    assert_eq!(bodies(&receive(&sqs, &url, 1).await), vec!["m"]);

    // The batch form too.
    let url = create_queue(&sqs, "batch").await;
    let (old, _current) = two_handles(&server, &sqs, &url).await;
    let out = sqs
        .change_message_visibility_batch()
        .queue_url(&url)
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("e")
                .receipt_handle(&old)
                .visibility_timeout(0)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.successful().len(), 1, "{out:?}");
    assert!(out.failed().is_empty(), "{out:?}");
    assert_eq!(bodies(&receive(&sqs, &url, 1).await), vec!["m"]);
}

#[tokio::test]
async fn an_older_receipt_handle_deletes_the_standard_message() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let (old, _current) = two_handles(&server, &sqs, &url).await;
    delete(&sqs, &url, &old).await;
    assert_eq!(counts(&sqs, &url).await, (0, 0, 0));
}

#[tokio::test]
async fn changing_visibility_with_the_latest_handle_after_it_expired_succeeds_and_changes_nothing()
{
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "m").await;
    let handle = receive_with_timeout(&sqs, &url, 1).await[0]
        .receipt_handle
        .clone()
        .unwrap();
    server.clock().advance(Duration::from_secs(2));
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle)
        .visibility_timeout(60)
        .send()
        .await
        .expect("AWS answers OK for the latest handle after its timeout expired");
    assert_eq!(
        bodies(&receive_with_timeout(&sqs, &url, 1).await),
        vec!["m"],
        "the message stayed visible"
    );

    // Received again since and visible again: the first handle no longer applies.
    server.clock().advance(Duration::from_secs(2));
    let failure = expect_failure(
        sqs.change_message_visibility()
            .queue_url(&url)
            .receipt_handle(&handle)
            .visibility_timeout(60)
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
}
