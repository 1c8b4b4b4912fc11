//! SendMessage / ReceiveMessage / DeleteMessage and their batch forms, body rules, the maximum
//! message size and the system attributes a received message carries.

use crate::common::*;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName,
    SendMessageBatchRequestEntry,
};
use std::collections::HashSet;
use std::time::Duration;

fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn entry(id: &str, body: &str) -> SendMessageBatchRequestEntry {
    SendMessageBatchRequestEntry::builder()
        .id(id)
        .message_body(body)
        .build()
        .expect("id and body are set")
}

#[tokio::test]
async fn send_then_receive_returns_the_message_with_its_id_and_md5() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let sent = sqs
        .send_message()
        .queue_url(&url)
        .message_body("message")
        .send()
        .await
        .unwrap();
    let id = sent.message_id.clone().unwrap();
    assert_eq!(id.len(), 36, "MessageId is a UUID: {id}");
    assert_eq!(
        sent.md5_of_message_body.as_deref(),
        Some("78e731027d8fd50ed642340b7c9a63b3")
    );
    assert!(sent.md5_of_message_attributes.is_none());
    assert!(sent.sequence_number.is_none(), "standard queues have none");

    let messages = receive(&sqs, &url, 1).await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.message_id.as_deref(), Some(id.as_str()));
    assert_eq!(m.body.as_deref(), Some("message"));
    assert_eq!(m.md5_of_body, sent.md5_of_message_body);
    assert!(!m.receipt_handle.clone().unwrap_or_default().is_empty());
    assert!(m.attributes.is_none(), "no system attributes unless asked");
    assert!(m.message_attributes.is_none());
    assert!(m.md5_of_message_attributes.is_none());
}

#[tokio::test]
async fn receive_on_an_empty_queue_returns_no_messages() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let out = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert!(out.messages.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn a_message_goes_only_to_its_own_queue() {
    let server = start().await;
    let sqs = sqs(&server);
    let q0 = create_queue(&sqs, "q0").await;
    let q1 = create_queue(&sqs, "q1").await;
    send(&sqs, &q0, "message").await;
    assert!(receive(&sqs, &q1, 10).await.is_empty());
    assert_eq!(bodies(&receive(&sqs, &q0, 10).await), vec!["message"]);
}

#[tokio::test]
async fn bodies_survive_the_round_trip_byte_for_byte() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    for body in [
        "\"&quot;&quot;\r",
        "{\r\n\"machineID\" : \"d357006e26ff47439e1ef894225d4307\"}",
        "<xml>&amp;</xml>",
        "tab\tnewline\n",
        "emoji \u{1F600} and \u{E000}\u{FFFD}",
        " ",
    ] {
        let sent = sqs
            .send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            sent.md5_of_message_body.as_deref(),
            Some(md5_hex(body.as_bytes()).as_str())
        );
        let got = receive(&sqs, &url, 1).await;
        assert_eq!(got[0].body.as_deref(), Some(body));
        assert_eq!(got[0].md5_of_body, sent.md5_of_message_body);
        delete(&sqs, &url, got[0].receipt_handle.as_deref().unwrap()).await;
    }
}

#[tokio::test]
async fn bodies_with_characters_outside_the_allowed_set_are_invalid_message_contents() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    for body in [
        "nul \u{0}",
        "backspace \u{8}",
        "unit sep \u{1F}",
        "\u{FFFF}",
    ] {
        let failure = expect_failure(
            sqs.send_message()
                .queue_url(&url)
                .message_body(body)
                .send()
                .await,
        );
        assert_eq!(failure.code, "InvalidMessageContents", "body {body:?}");
        assert_eq!(failure.status, 400);
    }
    assert_eq!(counts(&sqs, &url).await, (0, 0, 0));
}

#[tokio::test]
async fn delete_message_removes_it_for_good() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "bye").await;
    let m = receive(&sqs, &url, 1).await.remove(0);
    delete(&sqs, &url, m.receipt_handle.as_deref().unwrap()).await;
    server.clock().advance(Duration::from_secs(31));
    assert!(receive(&sqs, &url, 10).await.is_empty());
    assert_eq!(counts(&sqs, &url).await, (0, 0, 0));
}

#[tokio::test]
async fn deleting_with_an_already_used_receipt_handle_succeeds() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "foo").await;
    let handle = receive(&sqs, &url, 1).await[0]
        .receipt_handle
        .clone()
        .unwrap();
    for _ in 0..3 {
        delete(&sqs, &url, &handle).await;
    }
}

#[tokio::test]
async fn deleting_with_an_old_receipt_handle_after_the_timeout_still_deletes_on_standard_queues() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "test").await;
    let handle = receive(&sqs, &url, 1).await[0]
        .receipt_handle
        .clone()
        .unwrap();
    server.clock().advance(Duration::from_secs(31));
    delete(&sqs, &url, &handle).await;
    assert_eq!(counts(&sqs, &url).await, (0, 0, 0));
}

#[tokio::test]
async fn a_garbage_receipt_handle_is_receipt_handle_is_invalid() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let failure = expect_failure(
        sqs.delete_message()
            .queue_url(&url)
            .receipt_handle("garbage")
            .send()
            .await,
    );
    assert_eq!(failure.code, "ReceiptHandleIsInvalid");
    assert_eq!(
        failure.message,
        "The input receipt handle \"garbage\" is not a valid receipt handle."
    );
    assert_eq!(failure.status, 400);
}

#[tokio::test]
async fn max_number_of_messages_caps_one_receive_and_draining_returns_each_once() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let mut sent = HashSet::new();
    for i in 0..15 {
        sent.insert(send(&sqs, &url, &format!("m{i}")).await);
    }
    let mut seen = HashSet::new();
    for _ in 0..15 {
        let batch = receive(&sqs, &url, 10).await;
        assert!(batch.len() <= 10, "at most MaxNumberOfMessages");
        for m in batch {
            assert!(seen.insert(m.message_id.unwrap()), "message received twice");
        }
        if seen.len() == 15 {
            break;
        }
    }
    assert_eq!(seen, sent);
    let one = {
        send(&sqs, &url, "x").await;
        send(&sqs, &url, "y").await;
        receive(&sqs, &url, 1).await
    };
    assert_eq!(one.len(), 1, "default and explicit MaxNumberOfMessages=1");
}

#[tokio::test]
async fn max_number_of_messages_must_be_1_to_10() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    for bad in [0, 11] {
        let failure = expect_failure(
            sqs.receive_message()
                .queue_url(&url)
                .max_number_of_messages(bad)
                .send()
                .await,
        );
        assert_eq!(failure.code, "InvalidParameterValue", "{bad}");
        assert_eq!(
            failure.message,
            format!("Value {bad} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
        );
    }
}

#[tokio::test]
async fn a_body_of_exactly_the_maximum_size_is_accepted() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let body = "a".repeat(1_048_576);
    sqs.send_message()
        .queue_url(&url)
        .message_body(&body)
        .send()
        .await
        .unwrap();
    let got = receive(&sqs, &url, 1).await;
    assert_eq!(got[0].body.as_deref().map(str::len), Some(1_048_576));
}

#[tokio::test]
async fn message_size_counts_the_body_and_the_attributes_against_the_queue_maximum() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue_with(&sqs, "q", &[("MaximumMessageSize", "1024")]).await;
    // "k" (1) + "String" (6) + "x" (1) = 8 bytes of attributes.
    let attribute = MessageAttributeValue::builder()
        .data_type("String")
        .string_value("x")
        .build()
        .unwrap();
    sqs.send_message()
        .queue_url(&url)
        .message_body("a".repeat(1024 - 8))
        .message_attributes("k", attribute.clone())
        .send()
        .await
        .expect("exactly the maximum is accepted");
    let failure = expect_failure(
        sqs.send_message()
            .queue_url(&url)
            .message_body("a".repeat(1024 - 8 + 1))
            .message_attributes("k", attribute)
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
    assert_eq!(
        failure.message,
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."
    );
}

#[tokio::test]
async fn send_message_batch_sends_every_entry_and_reports_each_result() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let out = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("1", "message-0"))
        .entries(entry("2", "message-1"))
        .send()
        .await
        .unwrap();
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(out.successful.len(), 2);
    let ids: HashSet<&str> = out.successful.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, HashSet::from(["1", "2"]));
    for e in &out.successful {
        let body = if e.id == "1" {
            "message-0"
        } else {
            "message-1"
        };
        assert_eq!(e.md5_of_message_body, md5_hex(body.as_bytes()));
        assert!(!e.message_id.is_empty());
    }
    let received = receive(&sqs, &url, 10).await;
    let mut got = bodies(&received);
    got.sort();
    assert_eq!(got, vec!["message-0", "message-1"]);
    let sent_ids: HashSet<String> = out
        .successful
        .iter()
        .map(|e| e.message_id.clone())
        .collect();
    let got_ids: HashSet<String> = received
        .iter()
        .filter_map(|m| m.message_id.clone())
        .collect();
    assert_eq!(sent_ids, got_ids);
}

#[tokio::test]
async fn send_message_batch_reports_a_bad_entry_as_failed_and_sends_the_rest() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let mut request = sqs.send_message_batch().queue_url(&url);
    for i in 0..9 {
        request = request.entries(entry(&i.to_string(), &i.to_string()));
    }
    request = request.entries(entry("9", "\u{1}"));
    let out = request.send().await.unwrap();
    assert_eq!(out.successful.len(), 9);
    assert_eq!(out.failed.len(), 1);
    let failed = &out.failed[0];
    assert_eq!(failed.id, "9");
    assert_eq!(failed.code, "InvalidMessageContents");
    assert!(failed.sender_fault);

    let mut got = Vec::new();
    for _ in 0..5 {
        got.extend(bodies(&receive(&sqs, &url, 10).await));
    }
    got.sort();
    assert_eq!(got, (0..9).map(|i| i.to_string()).collect::<Vec<_>>());
}

#[tokio::test]
async fn send_message_batch_rejects_an_empty_batch() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let failure = expect_failure(
        sqs.send_message_batch()
            .queue_url(&url)
            .set_entries(Some(vec![]))
            .send()
            .await,
    );
    assert_eq!(failure.code, "AWS.SimpleQueueService.EmptyBatchRequest");
    assert_eq!(failure.status, 400);
}

#[tokio::test]
async fn send_message_batch_rejects_repeated_entry_ids() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let failure = expect_failure(
        sqs.send_message_batch()
            .queue_url(&url)
            .entries(entry("same", "a"))
            .entries(entry("same", "b"))
            .send()
            .await,
    );
    assert_eq!(
        failure.code,
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    );
    assert_eq!(counts(&sqs, &url).await, (0, 0, 0));
}

#[tokio::test]
async fn send_message_batch_applies_per_entry_delay() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let delayed = SendMessageBatchRequestEntry::builder()
        .id("later")
        .message_body("later")
        .delay_seconds(10)
        .build()
        .unwrap();
    sqs.send_message_batch()
        .queue_url(&url)
        .entries(entry("now", "now"))
        .entries(delayed)
        .send()
        .await
        .unwrap();
    assert_eq!(bodies(&receive(&sqs, &url, 10).await), vec!["now"]);
    server.clock().advance(Duration::from_secs(11));
    assert_eq!(bodies(&receive(&sqs, &url, 10).await), vec!["later"]);
}

#[tokio::test]
async fn delete_message_batch_deletes_each_entry_and_reports_bad_handles() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    for i in 0..3 {
        send(&sqs, &url, &format!("m{i}")).await;
    }
    let mut received = Vec::new();
    for _ in 0..5 {
        received.extend(receive(&sqs, &url, 10).await);
    }
    assert_eq!(received.len(), 3);
    let mut request = sqs.delete_message_batch().queue_url(&url);
    for (i, m) in received.iter().enumerate() {
        request = request.entries(
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("ok{i}"))
                .receipt_handle(m.receipt_handle.clone().unwrap())
                .build()
                .unwrap(),
        );
    }
    request = request.entries(
        DeleteMessageBatchRequestEntry::builder()
            .id("bad")
            .receipt_handle("garbage")
            .build()
            .unwrap(),
    );
    let out = request.send().await.unwrap();
    let ok: HashSet<&str> = out.successful.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ok, HashSet::from(["ok0", "ok1", "ok2"]));
    assert_eq!(out.failed.len(), 1);
    assert_eq!(out.failed[0].id, "bad");
    assert_eq!(out.failed[0].code, "ReceiptHandleIsInvalid");
    assert!(out.failed[0].sender_fault);

    server.clock().advance(Duration::from_secs(31));
    assert!(receive(&sqs, &url, 10).await.is_empty());
}

#[tokio::test]
async fn receive_returns_requested_system_attributes() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let sent_at = server.clock().now_millis();
    send(&sqs, &url, "attrs").await;
    server.clock().advance(Duration::from_secs(5));

    let first = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    let a = first.attributes.expect("attributes requested");
    let get = |n: MessageSystemAttributeName| -> String {
        a.get(&n)
            .cloned()
            .unwrap_or_else(|| panic!("{n:?} missing from {a:?}"))
    };
    let sent_ts: u64 = get(MessageSystemAttributeName::SentTimestamp)
        .parse()
        .unwrap();
    let first_receive: u64 = get(MessageSystemAttributeName::ApproximateFirstReceiveTimestamp)
        .parse()
        .unwrap();
    assert!(
        sent_ts >= sent_at && sent_ts < sent_at + 1000,
        "SentTimestamp {sent_ts} is epoch millis near {sent_at}"
    );
    assert!(
        first_receive >= sent_ts + 5000,
        "first receive {first_receive} happened 5 s after sending {sent_ts}"
    );
    assert_eq!(
        get(MessageSystemAttributeName::ApproximateReceiveCount),
        "1"
    );
    assert!(!get(MessageSystemAttributeName::SenderId).is_empty());
    assert!(!a.contains_key(&MessageSystemAttributeName::SequenceNumber));
    assert!(!a.contains_key(&MessageSystemAttributeName::MessageGroupId));

    server.clock().advance(Duration::from_secs(5));
    let second = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    let b = second.attributes.unwrap();
    assert_eq!(b[&MessageSystemAttributeName::ApproximateReceiveCount], "2");
    assert_eq!(
        b[&MessageSystemAttributeName::ApproximateFirstReceiveTimestamp],
        first_receive.to_string(),
        "the first receive time does not change"
    );
}

#[tokio::test]
async fn receive_returns_only_the_system_attributes_named() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    send(&sqs, &url, "x").await;
    let m = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(MessageSystemAttributeName::SenderId)
        .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    let names: HashSet<MessageSystemAttributeName> = m.attributes.unwrap().into_keys().collect();
    assert_eq!(
        names,
        HashSet::from([
            MessageSystemAttributeName::SenderId,
            MessageSystemAttributeName::SentTimestamp
        ])
    );

    // The deprecated AttributeNames member is still honoured.
    #[allow(deprecated)]
    let legacy = sqs
        .receive_message()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    let legacy_attrs = legacy.attributes.unwrap();
    assert!(legacy_attrs.contains_key(&MessageSystemAttributeName::SentTimestamp));
    assert!(legacy_attrs.contains_key(&MessageSystemAttributeName::ApproximateReceiveCount));
}

#[tokio::test]
async fn aws_trace_header_is_a_system_attribute_with_its_own_md5() {
    use aws_sdk_sqs::types::{MessageSystemAttributeNameForSends, MessageSystemAttributeValue};
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let number = MessageAttributeValue::builder()
        .data_type("Number")
        .string_value("1493147359900")
        .build()
        .unwrap();
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let plain = sqs
        .send_message()
        .queue_url(&url)
        .message_body("test")
        .message_attributes("timestamp", number.clone())
        .send()
        .await
        .unwrap();
    let traced = sqs
        .send_message()
        .queue_url(&url)
        .message_body("test")
        .message_attributes("timestamp", number)
        .message_system_attributes(
            MessageSystemAttributeNameForSends::AwsTraceHeader,
            MessageSystemAttributeValue::builder()
                .data_type("String")
                .string_value(trace)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        plain.md5_of_message_attributes.as_deref(),
        Some("235c5c510d26fb653d073faed50ae77c")
    );
    assert_eq!(
        traced.md5_of_message_attributes, plain.md5_of_message_attributes,
        "system attributes do not change MD5OfMessageAttributes"
    );
    assert!(plain.md5_of_message_system_attributes.is_none());
    assert_eq!(
        traced.md5_of_message_system_attributes.as_deref(),
        Some("5ae4d5d7636402d80f4eb6d213245a88")
    );

    let mut with_trace = None;
    for _ in 0..3 {
        for m in sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::AwsTraceHeader)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
        {
            if m.message_id == traced.message_id {
                with_trace = Some(m);
            }
        }
    }
    let m = with_trace.expect("traced message received");
    assert_eq!(
        m.attributes.unwrap()[&MessageSystemAttributeName::AwsTraceHeader],
        trace
    );
}

async fn trace_header_of(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Option<String>> {
    let messages = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::AwsTraceHeader)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    messages
        .iter()
        .map(|m| {
            m.attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::AwsTraceHeader).cloned())
        })
        .collect()
}

#[tokio::test]
async fn the_x_ray_header_of_a_send_becomes_the_aws_trace_header_unless_the_message_sets_one() {
    use aws_sdk_sqs::types::{MessageSystemAttributeNameForSends, MessageSystemAttributeValue};
    let server = start().await;
    let sqs = sqs(&server);
    let header = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
    let own = "Root=1-00000000-000000000000000000000001;Sampled=0";

    let url = create_queue(&sqs, "from-header").await;
    let sent = sqs
        .send_message()
        .queue_url(&url)
        .message_body("traced")
        .customize()
        .mutate_request(move |r| {
            r.headers_mut().insert("X-Amzn-Trace-Id", header);
        })
        .send()
        .await
        .unwrap();
    assert!(
        sent.md5_of_message_system_attributes.is_none(),
        "the header is not a system attribute the sender set"
    );
    assert_eq!(
        trace_header_of(&sqs, &url).await,
        vec![Some(header.to_string())]
    );

    let url = create_queue(&sqs, "own-attribute").await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("traced")
        .message_system_attributes(
            MessageSystemAttributeNameForSends::AwsTraceHeader,
            MessageSystemAttributeValue::builder()
                .data_type("String")
                .string_value(own)
                .build()
                .unwrap(),
        )
        .customize()
        .mutate_request(move |r| {
            r.headers_mut().insert("X-Amzn-Trace-Id", header);
        })
        .send()
        .await
        .unwrap();
    assert_eq!(
        trace_header_of(&sqs, &url).await,
        vec![Some(own.to_string())]
    );

    let url = create_queue(&sqs, "batch").await;
    sqs.send_message_batch()
        .queue_url(&url)
        .entries(entry("a", "one"))
        .entries(entry("b", "two"))
        .customize()
        .mutate_request(move |r| {
            r.headers_mut().insert("X-Amzn-Trace-Id", header);
        })
        .send()
        .await
        .unwrap();
    assert_eq!(
        trace_header_of(&sqs, &url).await,
        vec![Some(header.to_string()), Some(header.to_string())]
    );
}
