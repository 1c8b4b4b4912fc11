//! Dead-letter queues: RedrivePolicy's maxReceiveCount moves a message to the DLQ, and
//! ListDeadLetterSourceQueues lists the queues that point at a DLQ.

use crate::common::*;
use aws_sdk_sqs::types::MessageAttributeValue;
use std::collections::HashSet;

fn redrive(dlq_name: &str, max_receive_count: u32) -> String {
    serde_json::json!({
        "deadLetterTargetArn": queue_arn(dlq_name),
        "maxReceiveCount": max_receive_count,
    })
    .to_string()
}

async fn receive_zero(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    sqs.receive_message()
        .queue_url(url)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
}

#[tokio::test]
async fn a_message_received_more_than_max_receive_count_times_moves_to_the_dead_letter_queue() {
    let server = start().await;
    let sqs = sqs(&server);
    let dlq = create_queue(&sqs, "dlq").await;
    let src = create_queue_with(&sqs, "src", &[("RedrivePolicy", &redrive("dlq", 2))]).await;
    let sent = sqs
        .send_message()
        .queue_url(&src)
        .message_body("poison")
        .message_attributes(
            "MyAttribute",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("foobar")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    assert_eq!(receive_zero(&sqs, &src).await.len(), 1, "receive 1");
    assert_eq!(receive_zero(&sqs, &src).await.len(), 1, "receive 2");
    assert!(
        receive_zero(&sqs, &src).await.is_empty(),
        "the third receive moves it instead of returning it"
    );
    assert_eq!(counts(&sqs, &src).await, (0, 0, 0));

    let moved = sqs
        .receive_message()
        .queue_url(&dlq)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap()
        .messages
        .expect("the message is in the DLQ")
        .remove(0);
    assert_eq!(moved.message_id, sent.message_id, "the MessageId is kept");
    assert_eq!(moved.body.as_deref(), Some("poison"));
    assert_eq!(
        moved.md5_of_message_attributes,
        sent.md5_of_message_attributes
    );
    assert_eq!(
        moved.md5_of_message_attributes.as_deref(),
        Some("adb59cd4678ea5a855436b949cd07ab6")
    );
}

#[tokio::test]
async fn max_receive_count_one_moves_on_the_second_receive() {
    let server = start().await;
    let sqs = sqs(&server);
    let dlq = create_queue_with(&sqs, "dlq", &[("VisibilityTimeout", "0")]).await;
    let src = create_queue_with(
        &sqs,
        "src",
        &[
            ("RedrivePolicy", &redrive("dlq", 1)),
            ("VisibilityTimeout", "0"),
        ],
    )
    .await;
    let id = send(&sqs, &src, "test").await;
    let first = receive(&sqs, &src, 1).await;
    let second = receive(&sqs, &src, 1).await;
    assert_eq!(first.len(), 1);
    assert!(second.is_empty());
    assert_eq!(
        receive(&sqs, &dlq, 1).await[0].message_id.as_deref(),
        Some(id.as_str())
    );
}

#[tokio::test]
async fn fifo_dead_letter_queue_receives_fifo_messages() {
    let server = start().await;
    let sqs = sqs(&server);
    let dlq = create_fifo_queue(
        &sqs,
        "dlq.fifo",
        &[
            ("ContentBasedDeduplication", "true"),
            ("MessageRetentionPeriod", "1209600"),
        ],
    )
    .await;
    let src = create_fifo_queue(
        &sqs,
        "src.fifo",
        &[
            ("ContentBasedDeduplication", "true"),
            ("VisibilityTimeout", "60"),
            ("RedrivePolicy", &redrive("dlq.fifo", 2)),
        ],
    )
    .await;
    let id = sqs
        .send_message()
        .queue_url(&src)
        .message_body("foobar")
        .message_group_id("1")
        .send()
        .await
        .unwrap()
        .message_id;
    for _ in 0..3 {
        receive_zero(&sqs, &src).await;
    }
    let moved = receive(&sqs, &dlq, 10).await;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].message_id, id);
    assert_eq!(moved[0].body.as_deref(), Some("foobar"));
}

#[tokio::test]
async fn removing_the_redrive_policy_stops_dead_lettering() {
    let server = start().await;
    let sqs = sqs(&server);
    let dlq = create_queue(&sqs, "dlq").await;
    let src = create_queue_with(&sqs, "src", &[("RedrivePolicy", &redrive("dlq", 1))]).await;
    sqs.set_queue_attributes()
        .queue_url(&src)
        .attributes("RedrivePolicy".into(), "")
        .send()
        .await
        .unwrap();
    assert!(!queue_attributes(&sqs, &src)
        .await
        .contains_key("RedrivePolicy"));
    send(&sqs, &src, "x").await;
    for _ in 0..3 {
        assert_eq!(receive_zero(&sqs, &src).await.len(), 1);
    }
    assert!(receive(&sqs, &dlq, 10).await.is_empty());
}

#[tokio::test]
async fn list_dead_letter_source_queues_lists_every_queue_pointing_at_the_dlq() {
    let server = start().await;
    let sqs = sqs(&server);
    let dlq = create_queue(&sqs, "dlq").await;
    let policy = redrive("dlq", 50);
    let s1 = create_queue_with(&sqs, "src-1", &[("RedrivePolicy", &policy)]).await;
    let s2 = create_queue(&sqs, "src-2").await;
    sqs.set_queue_attributes()
        .queue_url(&s2)
        .attributes("RedrivePolicy".into(), &policy)
        .send()
        .await
        .unwrap();
    create_queue(&sqs, "unrelated").await;

    let out = sqs
        .list_dead_letter_source_queues()
        .queue_url(&dlq)
        .send()
        .await
        .unwrap();
    let got: HashSet<String> = out.queue_urls.into_iter().collect();
    assert_eq!(got, HashSet::from([s1.clone(), s2]));
    assert!(out.next_token.is_none());

    let none = sqs
        .list_dead_letter_source_queues()
        .queue_url(&s1)
        .send()
        .await
        .unwrap();
    assert!(none.queue_urls.is_empty());
}

#[tokio::test]
async fn list_dead_letter_source_queues_paginates() {
    let server = start().await;
    let sqs = sqs(&server);
    let dlq = create_queue(&sqs, "dlq").await;
    let policy = redrive("dlq", 5);
    let mut expected = HashSet::new();
    for i in 0..5 {
        expected.insert(
            create_queue_with(&sqs, &format!("src-{i}"), &[("RedrivePolicy", &policy)]).await,
        );
    }
    let mut seen = Vec::new();
    let mut token = None;
    for _ in 0..10 {
        let page = sqs
            .list_dead_letter_source_queues()
            .queue_url(&dlq)
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert!(page.queue_urls.len() <= 2);
        seen.extend(page.queue_urls);
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert!(token.is_none(), "pagination ends");
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), expected);
}

#[tokio::test]
async fn list_dead_letter_source_queues_of_a_missing_queue_is_non_existent_queue() {
    let server = start().await;
    let sqs = sqs(&server);
    let failure = expect_failure(
        sqs.list_dead_letter_source_queues()
            .queue_url(format!("{}/{ACCOUNT}/missing", server.endpoint()))
            .send()
            .await,
    );
    assert_eq!(failure.code, "AWS.SimpleQueueService.NonExistentQueue");
}
