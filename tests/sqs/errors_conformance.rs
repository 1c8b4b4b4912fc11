//! Every JSON-protocol error AWS recorded in `../shared/conformance/sqs/error_codes_aws_recorded.json`
//! (rows with protocol `json`, and the unspecified rows that carry a JSON `QueryErrorCode`),
//! reproduced through `aws-sdk-sqs`: the SDK-visible code, the message and the HTTP status
//! must match. Placeholders in recorded messages (`<queue-name>`, `<receipt-handle:1>`) stand
//! for the values of the reproduction. The query-protocol rows are checked by `tests/server`.

use crate::common::*;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use serde_json::Value;
use std::time::Duration;

/// What a reproduction produced, and what its placeholders stand for.
struct Reproduced {
    failure: Failure,
    placeholders: Vec<(&'static str, String)>,
}

impl From<Failure> for Reproduced {
    fn from(failure: Failure) -> Self {
        Reproduced {
            failure,
            placeholders: Vec::new(),
        }
    }
}

fn attr_x() -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value("x")
        .build()
        .unwrap()
}

fn batch_entry(
    id: &str,
    body: &str,
) -> aws_sdk_sqs::types::builders::SendMessageBatchRequestEntryBuilder {
    SendMessageBatchRequestEntry::builder()
        .id(id)
        .message_body(body)
}

/// Reproduces the recorded error of LocalStack test `test` with recorded `message` (the
/// message tells apart several errors recorded by one test). `None`: no reproduction known.
async fn reproduce(test: &str, message: &str) -> Option<Reproduced> {
    let server = start().await;
    let sqs = sqs(&server);
    let fifo_attrs =
        |cbd: &'static str| [("FifoQueue", "true"), ("ContentBasedDeduplication", cbd)];
    let r: Reproduced = match test {
        "test_send_receive_max_number_of_messages" => {
            let url = create_queue(&sqs, "q").await;
            send(&sqs, &url, "message").await;
            outcome(
                sqs.receive_message()
                    .queue_url(&url)
                    .max_number_of_messages(11)
                    .send()
                    .await,
            )
            .into()
        }
        "test_send_oversized_message" => {
            let url = create_queue(&sqs, "q").await;
            outcome(
                sqs.send_message()
                    .queue_url(&url)
                    .message_body("a".repeat(1_048_576 - 8 + 1))
                    .message_attributes("k", attr_x())
                    .send()
                    .await,
            )
            .into()
        }
        "test_send_message_with_updated_maximum_message_size" => {
            let url = create_queue_with(&sqs, "q", &[("MaximumMessageSize", "1024")]).await;
            send(&sqs, &url, &"a".repeat(1024)).await;
            outcome(
                sqs.send_message()
                    .queue_url(&url)
                    .message_body("a".repeat(1024 - 8 + 1))
                    .message_attributes("k", attr_x())
                    .send()
                    .await,
            )
            .into()
        }
        "test_send_message_batch_with_oversized_contents" => {
            let url = create_queue(&sqs, "q").await;
            outcome(
                sqs.send_message_batch()
                    .queue_url(&url)
                    .entries(
                        batch_entry("1", &"a".repeat(1_048_576 - 8))
                            .message_attributes("k", attr_x())
                            .build()
                            .unwrap(),
                    )
                    .entries(batch_entry("2", "a").build().unwrap())
                    .send()
                    .await,
            )
            .into()
        }
        "test_create_fifo_queue_with_different_attributes_raises_error" => {
            create_queue_with(&sqs, "queue.fifo", &fifo_attrs("true")).await;
            let mut request = sqs.create_queue().queue_name("queue.fifo");
            for (k, v) in fifo_attrs("false") {
                request = request.attributes(k.into(), v);
            }
            outcome(request.send().await).into()
        }
        "test_create_queue_with_different_attributes_raises_exception" => {
            create_queue_with(
                &sqs,
                "q",
                &[
                    ("ReceiveMessageWaitTimeSeconds", "1"),
                    ("DelaySeconds", "1"),
                ],
            )
            .await;
            outcome(
                sqs.create_queue()
                    .queue_name("q")
                    .attributes("ReceiveMessageWaitTimeSeconds".into(), "1")
                    .attributes("DelaySeconds".into(), "2")
                    .send()
                    .await,
            )
            .into()
        }
        "test_fifo_queue_send_message_with_delay_seconds_fails" => {
            let url = create_queue_with(&sqs, "q.fifo", &fifo_attrs("true")).await;
            outcome(
                sqs.send_message()
                    .queue_url(&url)
                    .message_body("message-1")
                    .message_group_id("1")
                    .delay_seconds(2)
                    .send()
                    .await,
            )
            .into()
        }
        "test_too_many_entries_in_batch_request" => {
            let url = create_queue(&sqs, "q").await;
            let mut request = sqs.send_message_batch().queue_url(&url);
            for i in 0..20 {
                request = request.entries(
                    batch_entry(&format!("message-{i}"), &format!("messageBody-{i}"))
                        .build()
                        .unwrap(),
                );
            }
            outcome(request.send().await).into()
        }
        "test_invalid_batch_id" => {
            let url = create_queue(&sqs, "q").await;
            outcome(
                sqs.send_message_batch()
                    .queue_url(&url)
                    .entries(
                        batch_entry("message:abc123", "messageBody-abc123")
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await,
            )
            .into()
        }
        "test_send_batch_missing_deduplication_id_for_fifo_queue" => {
            let url = create_queue_with(&sqs, "q.fifo", &fifo_attrs("false")).await;
            outcome(
                sqs.send_message_batch()
                    .queue_url(&url)
                    .entries(
                        batch_entry("message-1", "messageBody")
                            .message_group_id("test-group")
                            .message_deduplication_id("dedup-1")
                            .build()
                            .unwrap(),
                    )
                    .entries(
                        batch_entry("message-2", "messageBody")
                            .message_group_id("test-group")
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await,
            )
            .into()
        }
        "test_send_batch_missing_message_group_id_for_fifo_queue" => {
            let url = create_queue_with(&sqs, "q.fifo", &fifo_attrs("false")).await;
            outcome(
                sqs.send_message_batch()
                    .queue_url(&url)
                    .entries(
                        batch_entry("message-1", "messageBody")
                            .message_group_id("test-group")
                            .message_deduplication_id("dedup-1")
                            .build()
                            .unwrap(),
                    )
                    .entries(
                        batch_entry("message-2", "messageBody")
                            .message_deduplication_id("dedup-2")
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await,
            )
            .into()
        }
        "test_send_message_with_empty_string_attribute" => {
            let url = create_queue(&sqs, "q").await;
            outcome(
                sqs.send_message()
                    .queue_url(&url)
                    .message_body("test")
                    .message_attributes(
                        "ErrorDetails",
                        MessageAttributeValue::builder()
                            .data_type("String")
                            .string_value("")
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await,
            )
            .into()
        }
        "test_set_unsupported_attribute_fifo" if message.starts_with("Unknown Attribute") => {
            let url = create_queue(&sqs, "q").await;
            outcome(
                sqs.set_queue_attributes()
                    .queue_url(&url)
                    .attributes("FifoQueue".into(), "true")
                    .send()
                    .await,
            )
            .into()
        }
        "test_set_unsupported_attribute_fifo" => {
            let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
            sqs.set_queue_attributes()
                .queue_url(&url)
                .attributes("FifoQueue".into(), "true")
                .send()
                .await
                .ok()?;
            outcome(
                sqs.set_queue_attributes()
                    .queue_url(&url)
                    .attributes("FifoQueue".into(), "false")
                    .send()
                    .await,
            )
            .into()
        }
        "test_posting_to_fifo_requires_deduplicationid_group_id"
            if message.contains("MessageGroupId") =>
        {
            let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
            outcome(
                sqs.send_message()
                    .queue_url(&url)
                    .message_body("test")
                    .message_deduplication_id("fifo_dedup-1")
                    .send()
                    .await,
            )
            .into()
        }
        "test_posting_to_fifo_requires_deduplicationid_group_id" => {
            let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
            outcome(
                sqs.send_message()
                    .queue_url(&url)
                    .message_body("test")
                    .message_group_id("fifo_group-1")
                    .send()
                    .await,
            )
            .into()
        }
        "test_successive_purge_calls_fail" => {
            let url = create_queue(&sqs, "test-queue-purge").await;
            sqs.purge_queue().queue_url(&url).send().await.ok()?;
            Reproduced {
                failure: outcome(sqs.purge_queue().queue_url(&url).send().await),
                placeholders: vec![("<queue-name>", "test-queue-purge".into())],
            }
        }
        "test_sqs_permission_lifecycle" if message.contains("Already exists") => {
            let url = create_queue(&sqs, "q").await;
            sqs.add_permission()
                .queue_url(&url)
                .aws_account_ids(ACCOUNT)
                .actions("ReceiveMessage")
                .label("crossaccountpermission")
                .send()
                .await
                .ok()?;
            outcome(
                sqs.add_permission()
                    .queue_url(&url)
                    .aws_account_ids("668614515564")
                    .actions("ReceiveMessage")
                    .label("crossaccountpermission")
                    .send()
                    .await,
            )
            .into()
        }
        "test_sqs_permission_lifecycle" => {
            let url = create_queue(&sqs, "q").await;
            for label in ["crossaccountpermission2"] {
                sqs.add_permission()
                    .queue_url(&url)
                    .aws_account_ids(ACCOUNT)
                    .actions("ReceiveMessage")
                    .label(label)
                    .send()
                    .await
                    .ok()?;
                sqs.remove_permission()
                    .queue_url(&url)
                    .label(label)
                    .send()
                    .await
                    .ok()?;
            }
            outcome(
                sqs.remove_permission()
                    .queue_url(&url)
                    .label("crossaccountpermission2")
                    .send()
                    .await,
            )
            .into()
        }
        "test_non_existent_queue" => outcome(
            sqs.get_queue_url()
                .queue_name("does-not-exist")
                .send()
                .await,
        )
        .into(),
        "test_create_standard_queue_with_fifo_attribute_raises_error" => {
            let (name, value) = if message.contains("ContentBasedDeduplication") {
                ("ContentBasedDeduplication", "true")
            } else if message.contains("DeduplicationScope") {
                ("DeduplicationScope", "messageGroup")
            } else if message.contains("FifoThroughputLimit") {
                ("FifoThroughputLimit", "perMessageGroupId")
            } else {
                return None;
            };
            outcome(
                sqs.create_queue()
                    .queue_name("standard")
                    .attributes(name.into(), value)
                    .send()
                    .await,
            )
            .into()
        }
        "test_send_receive_wait_time_seconds" => {
            let wait = if message.starts_with("Value 21") {
                21
            } else if message.starts_with("Value -1") {
                -1
            } else {
                return None;
            };
            let url = create_queue(&sqs, "q").await;
            outcome(
                sqs.receive_message()
                    .queue_url(&url)
                    .wait_time_seconds(wait)
                    .send()
                    .await,
            )
            .into()
        }
        "test_send_empty_message" => {
            let url = create_queue(&sqs, "q").await;
            outcome(
                sqs.send_message()
                    .queue_url(&url)
                    .message_body("")
                    .send()
                    .await,
            )
            .into()
        }
        "test_fifo_delete_after_visibility_timeout" => {
            let url = create_fifo_queue(
                &sqs,
                "q.fifo",
                &[
                    ("ContentBasedDeduplication", "true"),
                    ("VisibilityTimeout", "1"),
                ],
            )
            .await;
            sqs.send_message()
                .queue_url(&url)
                .message_body("g1-m1")
                .message_group_id("1")
                .send()
                .await
                .ok()?;
            let handle = receive(&sqs, &url, 1)
                .await
                .first()?
                .receipt_handle
                .clone()?;
            server.clock().advance(Duration::from_secs(2));
            Reproduced {
                failure: outcome(
                    sqs.delete_message()
                        .queue_url(&url)
                        .receipt_handle(&handle)
                        .send()
                        .await,
                ),
                placeholders: vec![("<receipt-handle:1>", handle)],
            }
        }
        "test_send_message_to_standard_queue_with_invalid_message_group_id" => {
            let url = create_queue(&sqs, "q").await;
            let group = invalid_id_value(message)?;
            outcome(
                sqs.send_message()
                    .queue_url(&url)
                    .message_body("test")
                    .message_group_id(group)
                    .send()
                    .await,
            )
            .into()
        }
        "test_message_deduplication_id_invalid" => {
            let url = create_fifo_queue(&sqs, "q.fifo", &[]).await;
            let dedup = invalid_id_value(message)?;
            outcome(
                sqs.send_message()
                    .queue_url(&url)
                    .message_body("test")
                    .message_group_id("group")
                    .message_deduplication_id(dedup)
                    .send()
                    .await,
            )
            .into()
        }
        _ => return None,
    };
    Some(r)
}

/// The invalid MessageGroupId / MessageDeduplicationId a recorded message quotes
/// (`Value <v> for parameter ...`).
fn invalid_id_value(message: &str) -> Option<String> {
    let rest = message.strip_prefix("Value ")?;
    let end = rest.find(" for parameter ")?;
    Some(rest[..end].to_string())
}

/// `TestSqsProvider::test_x[sqs]` -> `test_x`; `test_x[empty]` -> `test_x`.
fn test_name(recorded: &str) -> &str {
    let name = recorded.rsplit("::").next().unwrap_or(recorded);
    name.split('[').next().unwrap_or(name)
}

/// The rows this target checks: the JSON protocol, and unspecified rows recorded with a JSON
/// `__type` (QueryErrorCode). Unspecified rows without one are query-protocol answers.
fn json_rows(data: &Value) -> Vec<Value> {
    data["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|row| {
            let protocol = row["protocol"].as_str().unwrap_or_default();
            protocol == "json"
                || (protocol.starts_with("unknown")
                    && !row["botocore_parsed_Error"]["QueryErrorCode"].is_null())
        })
        .collect()
}

#[tokio::test]
async fn every_recorded_json_protocol_error_is_reproduced_exactly() {
    let Some(path) = conformance_file("error_codes_aws_recorded.json") else {
        return;
    };
    let data = read_json(&path);
    let rows = json_rows(&data);
    assert!(!rows.is_empty(), "no JSON rows in {}", path.display());
    let mut tally = Tally::default();
    for row in &rows {
        let test = test_name(row["test"].as_str().unwrap_or_default());
        let expected = &row["botocore_parsed_Error"];
        let code = expected["Code"].as_str().unwrap_or_default();
        let message = expected["Message"].as_str().unwrap_or_default();
        let status = row["HTTPStatusCode"].as_u64().unwrap_or(0) as u16;
        let case = format!("{test} ({code})");
        let Some(reproduced) = reproduce(test, message).await else {
            tally.check(&case, false, || "no reproduction for this row".into());
            continue;
        };
        let mut message = message.to_string();
        for (placeholder, value) in &reproduced.placeholders {
            message = message.replace(placeholder, value);
        }
        let got = reproduced.failure;
        let want = Failure {
            code: code.to_string(),
            message,
            status,
        };
        tally.check(&case, got == want, || {
            format!("\n      got  {got:?}\n      want {want:?}")
        });
    }
    let floor = rows.len();
    tally.finish("recorded SQS JSON-protocol errors", floor);
}
