//! FIFO queues: ordering within a message group, a group blocked while one of its messages is
//! in flight, deduplication (by id, by content, per queue or per group, 5-minute window),
//! SequenceNumber, ReceiveRequestAttemptId and the FIFO-specific parameter rules.

use crate::common::*;
use aws_sdk_sqs::types::{MessageSystemAttributeName, SendMessageBatchRequestEntry};
use std::time::Duration;

async fn send_grouped(sqs: &aws_sdk_sqs::Client, url: &str, body: &str, group: &str) -> String {
    sqs.send_message()
        .queue_url(url)
        .message_body(body)
        .message_group_id(group)
        .send()
        .await
        .unwrap_or_else(|e| panic!("SendMessage {body}: {}", describe(&e)))
        .message_id
        .unwrap()
}

async fn content_dedup_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    create_fifo_queue(sqs, name, &[("ContentBasedDeduplication", "true")]).await
}

#[tokio::test]
async fn fifo_delivers_a_group_in_send_order_before_moving_to_the_next_group() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = content_dedup_queue(&sqs, "q.fifo").await;
    send_grouped(&sqs, &url, "g1-m1", "group-1").await;
    send_grouped(&sqs, &url, "g2-m1", "group-2").await;
    send_grouped(&sqs, &url, "g1-m2", "group-1").await;
    send_grouped(&sqs, &url, "g1-m3", "group-1").await;
    let got = receive(&sqs, &url, 10).await;
    assert_eq!(bodies(&got), vec!["g1-m1", "g1-m2", "g1-m3", "g2-m1"]);
}

#[tokio::test]
async fn fifo_keeps_order_across_single_receives_and_deletes() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
    let mut sent = Vec::new();
    for i in 0..4 {
        sent.push(send_fifo(&sqs, &url, &format!("message{i}"), "g", &format!("d{i}")).await);
    }
    for (i, s) in sent.iter().enumerate() {
        let m = receive(&sqs, &url, 1).await.remove(0);
        assert_eq!(m.body.as_deref(), Some(format!("message{i}").as_str()));
        assert_eq!(m.message_id, s.message_id);
        assert_eq!(m.md5_of_body, s.md5_of_message_body);
        delete(&sqs, &url, m.receipt_handle.as_deref().unwrap()).await;
    }
}

#[tokio::test]
async fn fifo_group_is_blocked_while_a_message_is_in_flight() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = content_dedup_queue(&sqs, "q.fifo").await;
    send_grouped(&sqs, &url, "g1-m1", "g1").await;
    send_grouped(&sqs, &url, "g1-m2", "g1").await;

    let first = receive(&sqs, &url, 1).await;
    assert_eq!(bodies(&first), vec!["g1-m1"]);
    assert!(
        receive(&sqs, &url, 10).await.is_empty(),
        "g1-m2 must wait while g1-m1 is in flight"
    );
    delete(&sqs, &url, first[0].receipt_handle.as_deref().unwrap()).await;
    assert_eq!(bodies(&receive(&sqs, &url, 10).await), vec!["g1-m2"]);
}

#[tokio::test]
async fn fifo_a_blocked_group_does_not_block_other_groups() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(
        &sqs,
        "q.fifo",
        &[
            ("ContentBasedDeduplication", "true"),
            ("VisibilityTimeout", "1"),
        ],
    )
    .await;
    for (body, group) in [
        ("g1-m1", "group-1"),
        ("g1-m2", "group-1"),
        ("g1-m3", "group-1"),
        ("g1-m4", "group-1"),
        ("g2-m1", "group-2"),
        ("g3-m1", "group-3"),
    ] {
        send_grouped(&sqs, &url, body, group).await;
    }
    assert_eq!(
        bodies(&receive(&sqs, &url, 2).await),
        vec!["g1-m1", "g1-m2"]
    );
    assert_eq!(bodies(&receive(&sqs, &url, 1).await), vec!["g2-m1"]);

    server.clock().advance(Duration::from_secs(2));
    let all = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    let order = bodies(&all);
    // Group order is not guaranteed; order within each group is.
    assert_eq!(order.len(), 6, "{order:?}");
    let g1: Vec<&String> = order.iter().filter(|b| b.starts_with("g1")).collect();
    assert_eq!(g1, vec!["g1-m1", "g1-m2", "g1-m3", "g1-m4"]);
}

#[tokio::test]
async fn fifo_an_expired_visibility_timeout_redelivers_the_group_in_order() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[("VisibilityTimeout", "1")]).await;
    for i in 0..3 {
        send_fifo(&sqs, &url, &format!("message-{i}"), "1", &i.to_string()).await;
    }
    let expected = vec!["message-0", "message-1", "message-2"];
    assert_eq!(bodies(&receive(&sqs, &url, 10).await), expected);
    server.clock().advance(Duration::from_secs(2));
    assert_eq!(bodies(&receive(&sqs, &url, 10).await), expected);
}

#[tokio::test]
async fn fifo_a_visible_message_stays_blocked_while_another_of_its_group_is_in_flight() {
    // AWS: "Inflight messages block delivery of available messages within the same message
    // group" (knowledge-center article sqs-fifo-messages-not-returned).
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(
        &sqs,
        "q.fifo",
        &[
            ("ContentBasedDeduplication", "true"),
            ("VisibilityTimeout", "30"),
        ],
    )
    .await;
    send_grouped(&sqs, &url, "g1-m1", "group-1").await;
    send_grouped(&sqs, &url, "g1-m2", "group-1").await;
    send_grouped(&sqs, &url, "g2-m1", "group-2").await;
    let got = receive(&sqs, &url, 2).await;
    assert_eq!(bodies(&got), vec!["g1-m1", "g1-m2"]);

    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(got[0].receipt_handle.as_deref().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let next = receive(&sqs, &url, 3).await;
    assert_eq!(
        bodies(&next),
        vec!["g2-m1"],
        "g1-m2 in flight still blocks group-1"
    );

    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(got[1].receipt_handle.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    let last = receive(&sqs, &url, 3).await;
    assert_eq!(bodies(&last), vec!["g1-m1"]);
}

#[tokio::test]
async fn fifo_deleting_part_of_an_in_flight_group_keeps_the_group_blocked() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = content_dedup_queue(&sqs, "q.fifo").await;
    for (body, group) in [
        ("g1-m1", "group-1"),
        ("g2-m1", "group-2"),
        ("g1-m2", "group-1"),
        ("g2-m2", "group-2"),
        ("g1-m3", "group-1"),
        ("g1-m4", "group-1"),
        ("g3-m1", "group-3"),
    ] {
        send_grouped(&sqs, &url, body, group).await;
    }
    let got = receive(&sqs, &url, 2).await;
    assert_eq!(bodies(&got), vec!["g1-m1", "g1-m2"]);
    delete(&sqs, &url, got[0].receipt_handle.as_deref().unwrap()).await;
    assert_eq!(
        bodies(&receive(&sqs, &url, 10).await),
        vec!["g2-m1", "g2-m2", "g3-m1"]
    );
}

#[tokio::test]
async fn fifo_receive_with_zero_visibility_timeout_returns_groups_in_order() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = content_dedup_queue(&sqs, "q.fifo").await;
    for (body, group) in [
        ("g1-m1", "group-1"),
        ("g2-m1", "group-2"),
        ("g2-m2", "group-2"),
        ("g3-m1", "group-3"),
        ("g1-m2", "group-1"),
    ] {
        send_grouped(&sqs, &url, body, group).await;
    }
    let first = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(3)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(bodies(&first), vec!["g1-m1", "g1-m2", "g2-m1"]);
}

#[tokio::test]
async fn fifo_deduplicates_by_message_deduplication_id_within_five_minutes() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
    send_fifo(&sqs, &url, "first", "g", "dedup-1").await;
    server.clock().advance(Duration::from_secs(4 * 60));
    send_fifo(&sqs, &url, "duplicate", "g", "dedup-1").await;
    let got = receive(&sqs, &url, 10).await;
    assert_eq!(bodies(&got), vec!["first"]);
    delete(&sqs, &url, got[0].receipt_handle.as_deref().unwrap()).await;
    // Still within 5 minutes of the first send, and after the delete: still a duplicate.
    send_fifo(&sqs, &url, "after delete", "g", "dedup-1").await;
    assert!(receive(&sqs, &url, 10).await.is_empty());
}

#[tokio::test]
async fn fifo_deduplication_window_ends_after_five_minutes() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
    send_fifo(&sqs, &url, "first", "g", "dedup-1").await;
    let got = receive(&sqs, &url, 10).await;
    delete(&sqs, &url, got[0].receipt_handle.as_deref().unwrap()).await;
    server.clock().advance(Duration::from_secs(5 * 60 + 1));
    send_fifo(&sqs, &url, "second", "g", "dedup-1").await;
    assert_eq!(bodies(&receive(&sqs, &url, 10).await), vec!["second"]);
}

#[tokio::test]
async fn fifo_content_based_deduplication_uses_the_body() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = content_dedup_queue(&sqs, "q.fifo").await;
    let item = r#"{"foo": "bar"}"#;
    send_grouped(&sqs, &url, item, "group-1").await;
    send_grouped(&sqs, &url, item, "group-1").await;
    send_grouped(&sqs, &url, "different", "group-1").await;
    let got = receive(&sqs, &url, 10).await;
    assert_eq!(bodies(&got), vec![item, "different"]);
    // An explicit id wins over the content hash.
    send_fifo(&sqs, &url, item, "group-2", "explicit").await;
    assert_eq!(bodies(&receive(&sqs, &url, 10).await), vec![item]);
}

#[tokio::test]
async fn fifo_deduplication_is_queue_wide_by_default() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
    send_fifo(&sqs, &url, "one", "group-1", "dedup1").await;
    send_fifo(&sqs, &url, "one", "group-2", "dedup1").await;
    assert_eq!(receive(&sqs, &url, 10).await.len(), 1);
    assert!(receive(&sqs, &url, 10).await.is_empty());
}

#[tokio::test]
async fn fifo_deduplication_scope_message_group_deduplicates_per_group() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(
        &sqs,
        "q.fifo",
        &[
            ("DeduplicationScope", "messageGroup"),
            ("FifoThroughputLimit", "perMessageGroupId"),
        ],
    )
    .await;
    send_fifo(&sqs, &url, "g1", "group-1", "dedup1").await;
    send_fifo(&sqs, &url, "g2", "group-2", "dedup1").await;
    send_fifo(&sqs, &url, "g1 again", "group-1", "dedup1").await;
    let mut got = bodies(&receive(&sqs, &url, 10).await);
    got.sort();
    assert_eq!(got, vec!["g1", "g2"]);
}

#[tokio::test]
async fn fifo_sequence_numbers_increase_and_standard_queues_have_none() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
    let mut previous: u128 = 0;
    let mut sent = Vec::new();
    for i in 0..3 {
        let out = send_fifo(&sqs, &url, &format!("m{i}"), "group", &format!("m{i}")).await;
        let seq = out
            .sequence_number
            .clone()
            .expect("FIFO sends return a SequenceNumber");
        assert!(seq.chars().all(|c| c.is_ascii_digit()), "{seq}");
        let n: u128 = seq.parse().unwrap();
        assert!(n > previous, "{n} after {previous}");
        previous = n;
        sent.push(out);
    }
    // A different group shares the queue's sequence.
    let other = send_fifo(&sqs, &url, "x", "other", "x").await;
    assert!(other.sequence_number.unwrap().parse::<u128>().unwrap() > previous);

    let m = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    let a = m.attributes.unwrap();
    assert_eq!(
        a.get(&MessageSystemAttributeName::SequenceNumber),
        sent[0].sequence_number.as_ref()
    );
    assert_eq!(a[&MessageSystemAttributeName::MessageGroupId], "group");
    assert_eq!(a[&MessageSystemAttributeName::MessageDeduplicationId], "m0");
    assert_eq!(a[&MessageSystemAttributeName::ApproximateReceiveCount], "1");

    let standard = create_queue(&sqs, "standard").await;
    let out = sqs
        .send_message()
        .queue_url(&standard)
        .message_body("x")
        .send()
        .await
        .unwrap();
    assert!(out.sequence_number.is_none());
}

#[tokio::test]
async fn fifo_receive_request_attempt_id_returns_the_same_messages_on_retry() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = content_dedup_queue(&sqs, "q.fifo").await;
    send_grouped(&sqs, &url, "a", "g").await;
    send_grouped(&sqs, &url, "b", "g").await;
    let attempt = |id: &str| {
        sqs.receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .receive_request_attempt_id(id)
            .send()
    };
    let first = attempt("attempt-1").await.unwrap().messages.unwrap();
    assert_eq!(bodies(&first), vec!["a", "b"]);
    let retry = attempt("attempt-1")
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(
        retry.iter().map(|m| &m.message_id).collect::<Vec<_>>(),
        first.iter().map(|m| &m.message_id).collect::<Vec<_>>(),
        "a retried attempt returns the same messages"
    );
    assert_eq!(
        retry.iter().map(|m| &m.receipt_handle).collect::<Vec<_>>(),
        first.iter().map(|m| &m.receipt_handle).collect::<Vec<_>>(),
        "and the same receipt handles"
    );
    let other = attempt("attempt-2")
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert!(other.is_empty(), "a new attempt sees the group in flight");
}

#[tokio::test]
async fn fifo_requires_a_message_group_id() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
    let failure = expect_failure(
        sqs.send_message()
            .queue_url(&url)
            .message_body("x")
            .message_deduplication_id("d")
            .send()
            .await,
    );
    assert_eq!(failure.code, "MissingParameter");
    assert_eq!(
        failure.message,
        "The request must contain the parameter MessageGroupId."
    );
}

#[tokio::test]
async fn fifo_without_content_deduplication_requires_a_deduplication_id() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
    let failure = expect_failure(
        sqs.send_message()
            .queue_url(&url)
            .message_body("x")
            .message_group_id("g")
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
    assert_eq!(
        failure.message,
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    );
}

#[tokio::test]
async fn fifo_rejects_a_per_message_delay_but_honours_the_queue_delay() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(
        &sqs,
        "q.fifo",
        &[("ContentBasedDeduplication", "true"), ("DelaySeconds", "2")],
    )
    .await;
    let failure = expect_failure(
        sqs.send_message()
            .queue_url(&url)
            .message_body("message-1")
            .message_group_id("1")
            .delay_seconds(2)
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
    for i in 1..=3 {
        send_grouped(&sqs, &url, &format!("message-{i}"), "1").await;
    }
    assert!(receive(&sqs, &url, 10).await.is_empty());
    server.clock().advance(Duration::from_secs(3));
    let got = receive(&sqs, &url, 3).await;
    assert_eq!(bodies(&got), vec!["message-1", "message-2", "message-3"]);
}

#[tokio::test]
async fn fifo_accepts_an_explicit_zero_delay() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
    let sent = sqs
        .send_message()
        .queue_url(&url)
        .message_body("Hello World!")
        .message_group_id("test")
        .message_deduplication_id("42")
        .delay_seconds(0)
        .send()
        .await
        .unwrap();
    let got = receive(&sqs, &url, 1).await;
    assert_eq!(got[0].md5_of_body, sent.md5_of_message_body);
}

#[tokio::test]
async fn fifo_batch_keeps_entry_order_within_a_group() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = content_dedup_queue(&sqs, "q.fifo").await;
    let mut request = sqs.send_message_batch().queue_url(&url);
    for i in 0..5 {
        request = request.entries(
            SendMessageBatchRequestEntry::builder()
                .id(format!("e{i}"))
                .message_body(format!("m{i}"))
                .message_group_id("g")
                .build()
                .unwrap(),
        );
    }
    let out = request.send().await.unwrap();
    assert!(out.failed.is_empty());
    assert!(out.successful.iter().all(|e| e.sequence_number.is_some()));
    assert_eq!(
        bodies(&receive(&sqs, &url, 10).await),
        vec!["m0", "m1", "m2", "m3", "m4"]
    );
}

#[tokio::test]
async fn fifo_deleting_with_an_expired_receipt_handle_fails() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(
        &sqs,
        "q.fifo",
        &[
            ("ContentBasedDeduplication", "true"),
            ("VisibilityTimeout", "1"),
        ],
    )
    .await;
    send_grouped(&sqs, &url, "g1-m1", "1").await;
    let handle = receive(&sqs, &url, 1).await[0]
        .receipt_handle
        .clone()
        .unwrap();
    server.clock().advance(Duration::from_secs(2));
    let failure = expect_failure(
        sqs.delete_message()
            .queue_url(&url)
            .receipt_handle(&handle)
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
    assert_eq!(
        failure.message,
        format!("Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")
    );
    assert_eq!(counts(&sqs, &url).await.0, 1, "the message was not deleted");
}

#[tokio::test]
async fn standard_queues_accept_a_message_group_id() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "fair").await;
    send_grouped(&sqs, &url, "tenant message", "tenant-1").await;
    let m = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    assert_eq!(
        m.attributes.unwrap()[&MessageSystemAttributeName::MessageGroupId],
        "tenant-1"
    );
}

#[tokio::test]
async fn a_deduplication_id_on_a_standard_queue_is_refused_in_aws_words() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "standard").await;
    let failure = expect_failure(
        sqs.send_message()
            .queue_url(&url)
            .message_body("x")
            .message_deduplication_id("d1")
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
    assert_eq!(
        failure.message,
        "Value d1 for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type."
    );
}

#[tokio::test]
async fn fifo_change_visibility_moves_the_group_lock_with_the_message() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = content_dedup_queue(&sqs, "q.fifo").await;
    send_grouped(&sqs, &url, "a1", "a").await;
    send_grouped(&sqs, &url, "a2", "a").await;
    let first = receive(&sqs, &url, 1).await;
    assert_eq!(bodies(&first), vec!["a1"]);
    let handle = first[0].receipt_handle.clone().unwrap();

    // Extending the timeout keeps the group locked past the queue's 30 s.
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle)
        .visibility_timeout(60)
        .send()
        .await
        .unwrap();
    server.clock().advance(Duration::from_secs(31));
    assert!(
        receive(&sqs, &url, 10).await.is_empty(),
        "a is still locked"
    );

    // 0 releases the group at once, in order: a1 comes first again, with a2 behind it.
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let again = receive(&sqs, &url, 1).await;
    assert_eq!(bodies(&again), vec!["a1"]);
    assert!(
        receive(&sqs, &url, 10).await.is_empty(),
        "a is locked again"
    );

    // Expiry releases it the same way.
    server.clock().advance(Duration::from_secs(31));
    assert_eq!(bodies(&receive(&sqs, &url, 10).await), vec!["a1", "a2"]);
}

#[tokio::test]
async fn fifo_switching_to_high_throughput_takes_effect_at_once() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
    let send = |group: &'static str| {
        let sqs = sqs.clone();
        let url = url.clone();
        async move {
            sqs.send_message()
                .queue_url(&url)
                .message_body(group)
                .message_group_id(group)
                .message_deduplication_id("same-id")
                .send()
                .await
                .unwrap()
                .message_id
                .unwrap()
        }
    };
    let first = send("a").await;
    assert_eq!(send("b").await, first, "queue-wide deduplication before");

    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes("DeduplicationScope".into(), "messageGroup")
        .attributes("FifoThroughputLimit".into(), "perMessageGroupId")
        .send()
        .await
        .unwrap();
    let a =
        named_queue_attributes(&sqs, &url, &["DeduplicationScope", "FifoThroughputLimit"]).await;
    assert_eq!(a["DeduplicationScope"], "messageGroup");
    assert_eq!(a["FifoThroughputLimit"], "perMessageGroupId");
    assert_ne!(
        send("c").await,
        first,
        "per-group deduplication right after"
    );
    let c_again = send("c").await;
    assert_eq!(send("c").await, c_again);
}
