//! The query-protocol rows of `../shared/conformance/sqs/error_codes_aws_recorded.json` (and
//! the unspecified rows recorded without a JSON `QueryErrorCode`), reproduced by raw form
//! POSTs: `<Code>`, `<Message>` and the HTTP status must match.

use crate::common::*;
use crate::raw::*;
use serde_json::Value;
use std::time::Duration;
use stepyard::RunningServer;

struct Reproduced {
    answer: Answer,
    placeholders: Vec<(&'static str, String)>,
}

impl From<Answer> for Reproduced {
    fn from(answer: Answer) -> Self {
        Reproduced {
            answer,
            placeholders: Vec::new(),
        }
    }
}

/// Creates a queue over the query protocol with `attributes`; returns its URL.
async fn create(server: &RunningServer, name: &str, attributes: &[(&str, &str)]) -> String {
    let a = form(
        server,
        &create_pairs(name, attributes)
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(a.status, 200, "CreateQueue {name}: {}", a.body);
    a.xml("QueueUrl").expect("QueueUrl")
}

fn create_pairs(name: &str, attributes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs = vec![
        ("Action".to_string(), "CreateQueue".to_string()),
        ("QueueName".to_string(), name.to_string()),
    ];
    for (i, (k, v)) in attributes.iter().enumerate() {
        pairs.push((format!("Attribute.{}.Name", i + 1), k.to_string()));
        pairs.push((format!("Attribute.{}.Value", i + 1), v.to_string()));
    }
    pairs
}

async fn send_pairs(server: &RunningServer, pairs: &[(String, String)]) -> Answer {
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form(server, &refs).await
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn reproduce(test: &str, message: &str) -> Option<Reproduced> {
    let server = start().await;
    let s = &server;
    let fifo = |cbd: &'static str| [("FifoQueue", "true"), ("ContentBasedDeduplication", cbd)];
    let attr_x = [
        ("MessageAttribute.1.Name", "k"),
        ("MessageAttribute.1.Value.DataType", "String"),
        ("MessageAttribute.1.Value.StringValue", "x"),
    ];
    let r: Reproduced = match test {
        "test_send_receive_max_number_of_messages" => {
            let url = create(s, "q", &[]).await;
            form(
                s,
                &[
                    ("Action", "SendMessage"),
                    ("QueueUrl", &url),
                    ("MessageBody", "message"),
                ],
            )
            .await;
            form(
                s,
                &[
                    ("Action", "ReceiveMessage"),
                    ("QueueUrl", &url),
                    ("MaxNumberOfMessages", "11"),
                ],
            )
            .await
            .into()
        }
        "test_send_oversized_message" | "test_send_message_with_updated_maximum_message_size" => {
            let (attrs, max): (&[(&str, &str)], usize) = if test == "test_send_oversized_message" {
                (&[], 1_048_576)
            } else {
                (&[("MaximumMessageSize", "1024")], 1024)
            };
            let url = create(s, "q", attrs).await;
            let body = "a".repeat(max - 8 + 1);
            let mut pairs = owned(&[
                ("Action", "SendMessage"),
                ("QueueUrl", &url),
                ("MessageBody", &body),
            ]);
            pairs.extend(owned(&attr_x));
            send_pairs(s, &pairs).await.into()
        }
        "test_send_message_batch_with_oversized_contents" => {
            let url = create(s, "q", &[]).await;
            let body = "a".repeat(1_048_576 - 8);
            send_pairs(
                s,
                &owned(&[
                    ("Action", "SendMessageBatch"),
                    ("QueueUrl", &url),
                    ("SendMessageBatchRequestEntry.1.Id", "1"),
                    ("SendMessageBatchRequestEntry.1.MessageBody", &body),
                    (
                        "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name",
                        "k",
                    ),
                    (
                        "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType",
                        "String",
                    ),
                    (
                        "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue",
                        "x",
                    ),
                    ("SendMessageBatchRequestEntry.2.Id", "2"),
                    ("SendMessageBatchRequestEntry.2.MessageBody", "a"),
                ]),
            )
            .await
            .into()
        }
        "test_create_fifo_queue_with_different_attributes_raises_error" => {
            create(s, "queue.fifo", &fifo("true")).await;
            send_pairs(s, &create_pairs("queue.fifo", &fifo("false")))
                .await
                .into()
        }
        "test_create_queue_with_different_attributes_raises_exception" => {
            create(
                s,
                "q",
                &[
                    ("ReceiveMessageWaitTimeSeconds", "1"),
                    ("DelaySeconds", "1"),
                ],
            )
            .await;
            send_pairs(
                s,
                &create_pairs(
                    "q",
                    &[
                        ("ReceiveMessageWaitTimeSeconds", "1"),
                        ("DelaySeconds", "2"),
                    ],
                ),
            )
            .await
            .into()
        }
        "test_fifo_queue_send_message_with_delay_seconds_fails" => {
            let url = create(s, "q.fifo", &fifo("true")).await;
            form(
                s,
                &[
                    ("Action", "SendMessage"),
                    ("QueueUrl", &url),
                    ("MessageBody", "message-1"),
                    ("MessageGroupId", "1"),
                    ("DelaySeconds", "2"),
                ],
            )
            .await
            .into()
        }
        "test_too_many_entries_in_batch_request" => {
            let url = create(s, "q", &[]).await;
            let mut pairs = owned(&[("Action", "SendMessageBatch"), ("QueueUrl", &url)]);
            for i in 1..=20 {
                pairs.push((
                    format!("SendMessageBatchRequestEntry.{i}.Id"),
                    format!("message-{i}"),
                ));
                pairs.push((
                    format!("SendMessageBatchRequestEntry.{i}.MessageBody"),
                    format!("messageBody-{i}"),
                ));
            }
            send_pairs(s, &pairs).await.into()
        }
        "test_invalid_batch_id" => {
            let url = create(s, "q", &[]).await;
            form(
                s,
                &[
                    ("Action", "SendMessageBatch"),
                    ("QueueUrl", &url),
                    ("SendMessageBatchRequestEntry.1.Id", "message:abc123"),
                    (
                        "SendMessageBatchRequestEntry.1.MessageBody",
                        "messageBody-abc123",
                    ),
                ],
            )
            .await
            .into()
        }
        "test_send_batch_missing_deduplication_id_for_fifo_queue"
        | "test_send_batch_missing_message_group_id_for_fifo_queue" => {
            let url = create(s, "q.fifo", &fifo("false")).await;
            let mut pairs = owned(&[
                ("Action", "SendMessageBatch"),
                ("QueueUrl", &url),
                ("SendMessageBatchRequestEntry.1.Id", "message-1"),
                ("SendMessageBatchRequestEntry.1.MessageBody", "messageBody"),
                (
                    "SendMessageBatchRequestEntry.1.MessageGroupId",
                    "test-group",
                ),
                (
                    "SendMessageBatchRequestEntry.1.MessageDeduplicationId",
                    "dedup-1",
                ),
                ("SendMessageBatchRequestEntry.2.Id", "message-2"),
                ("SendMessageBatchRequestEntry.2.MessageBody", "messageBody"),
            ]);
            if test == "test_send_batch_missing_deduplication_id_for_fifo_queue" {
                pairs.push((
                    "SendMessageBatchRequestEntry.2.MessageGroupId".into(),
                    "test-group".into(),
                ));
            } else {
                pairs.push((
                    "SendMessageBatchRequestEntry.2.MessageDeduplicationId".into(),
                    "dedup-2".into(),
                ));
            }
            send_pairs(s, &pairs).await.into()
        }
        "test_send_message_with_empty_string_attribute" => {
            let url = create(s, "q", &[]).await;
            form(
                s,
                &[
                    ("Action", "SendMessage"),
                    ("QueueUrl", &url),
                    ("MessageBody", "test"),
                    ("MessageAttribute.1.Name", "ErrorDetails"),
                    ("MessageAttribute.1.Value.DataType", "String"),
                    ("MessageAttribute.1.Value.StringValue", ""),
                ],
            )
            .await
            .into()
        }
        "test_set_unsupported_attribute_fifo" => {
            let (name, attrs, value): (&str, &[(&str, &str)], &str) =
                if message.starts_with("Unknown Attribute") {
                    ("q", &[], "true")
                } else {
                    ("q.fifo", &[("FifoQueue", "true")], "false")
                };
            let url = create(s, name, attrs).await;
            form(
                s,
                &[
                    ("Action", "SetQueueAttributes"),
                    ("QueueUrl", &url),
                    ("Attribute.1.Name", "FifoQueue"),
                    ("Attribute.1.Value", value),
                ],
            )
            .await
            .into()
        }
        "test_posting_to_fifo_requires_deduplicationid_group_id" => {
            let url = create(s, "q.fifo", &[("FifoQueue", "true")]).await;
            let missing_group = message.contains("MessageGroupId");
            let mut pairs = owned(&[
                ("Action", "SendMessage"),
                ("QueueUrl", &url),
                ("MessageBody", "test"),
            ]);
            if missing_group {
                pairs.push(("MessageDeduplicationId".into(), "fifo_dedup-1".into()));
            } else {
                pairs.push(("MessageGroupId".into(), "fifo_group-1".into()));
            }
            send_pairs(s, &pairs).await.into()
        }
        "test_successive_purge_calls_fail" => {
            let url = create(s, "test-queue-purge", &[]).await;
            form(s, &[("Action", "PurgeQueue"), ("QueueUrl", &url)]).await;
            Reproduced {
                answer: form(s, &[("Action", "PurgeQueue"), ("QueueUrl", &url)]).await,
                placeholders: vec![("<queue-name>", "test-queue-purge".into())],
            }
        }
        "test_sqs_permission_lifecycle" => {
            let url = create(s, "q", &[]).await;
            let add = |label: &'static str, account: &'static str| {
                let url = url.clone();
                async move {
                    form(
                        s,
                        &[
                            ("Action", "AddPermission"),
                            ("QueueUrl", &url),
                            ("Label", label),
                            ("AWSAccountId.1", account),
                            ("ActionName.1", "ReceiveMessage"),
                        ],
                    )
                    .await
                }
            };
            if message.contains("Already exists") {
                add("crossaccountpermission", ACCOUNT).await;
                add("crossaccountpermission", "668614515564").await.into()
            } else {
                form(
                    s,
                    &[
                        ("Action", "RemovePermission"),
                        ("QueueUrl", &url),
                        ("Label", "crossaccountpermission2"),
                    ],
                )
                .await
                .into()
            }
        }
        "test_non_existent_queue" => {
            let url = format!("{}/{ACCOUNT}/does-not-exist", s.endpoint());
            form(
                s,
                &[
                    ("Action", "GetQueueAttributes"),
                    ("QueueUrl", &url),
                    ("AttributeName.1", "QueueArn"),
                ],
            )
            .await
            .into()
        }
        "test_create_standard_queue_with_fifo_attribute_raises_error" => {
            // The recording does not say which value each attempt used; these are the values
            // that make each attribute meaningless on a standard queue.
            let attribute = if message.starts_with("Unknown Attribute FifoQueue") {
                ("FifoQueue", "false")
            } else if message.contains("ContentBasedDeduplication") {
                ("ContentBasedDeduplication", "true")
            } else if message.contains("DeduplicationScope") {
                ("DeduplicationScope", "messageGroup")
            } else if message.contains("FifoThroughputLimit") {
                ("FifoThroughputLimit", "perMessageGroupId")
            } else {
                return None;
            };
            send_pairs(s, &create_pairs("standard", &[attribute]))
                .await
                .into()
        }
        "test_send_receive_wait_time_seconds" => {
            let wait = if message.starts_with("Value 21") {
                "21"
            } else {
                "-1"
            };
            let url = create(s, "q", &[]).await;
            form(
                s,
                &[
                    ("Action", "ReceiveMessage"),
                    ("QueueUrl", &url),
                    ("WaitTimeSeconds", wait),
                ],
            )
            .await
            .into()
        }
        "test_send_empty_message" => {
            let url = create(s, "q", &[]).await;
            form(
                s,
                &[
                    ("Action", "SendMessage"),
                    ("QueueUrl", &url),
                    ("MessageBody", ""),
                ],
            )
            .await
            .into()
        }
        "test_fifo_delete_after_visibility_timeout" => {
            let url = create(
                s,
                "q.fifo",
                &[
                    ("FifoQueue", "true"),
                    ("ContentBasedDeduplication", "true"),
                    ("VisibilityTimeout", "1"),
                ],
            )
            .await;
            form(
                s,
                &[
                    ("Action", "SendMessage"),
                    ("QueueUrl", &url),
                    ("MessageBody", "g1-m1"),
                    ("MessageGroupId", "1"),
                ],
            )
            .await;
            let got = form(s, &[("Action", "ReceiveMessage"), ("QueueUrl", &url)]).await;
            let handle = got.xml("ReceiptHandle")?;
            s.clock().advance(Duration::from_secs(2));
            Reproduced {
                answer: form(
                    s,
                    &[
                        ("Action", "DeleteMessage"),
                        ("QueueUrl", &url),
                        ("ReceiptHandle", &handle),
                    ],
                )
                .await,
                placeholders: vec![("<receipt-handle:1>", handle)],
            }
        }
        _ => return None,
    };
    Some(r)
}

fn test_name(recorded: &str) -> &str {
    let name = recorded.rsplit("::").next().unwrap_or(recorded);
    name.split('[').next().unwrap_or(name)
}

fn query_rows(data: &Value) -> Vec<Value> {
    data["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|row| {
            let protocol = row["protocol"].as_str().unwrap_or_default();
            protocol == "query"
                || (protocol.starts_with("unknown")
                    && row["botocore_parsed_Error"]["QueryErrorCode"].is_null())
        })
        .collect()
}

#[tokio::test]
async fn every_recorded_query_protocol_error_is_reproduced_exactly() {
    let Some(path) = conformance_file("error_codes_aws_recorded.json") else {
        return;
    };
    let data = read_json(&path);
    let rows = query_rows(&data);
    assert!(!rows.is_empty());
    let mut tally = Tally::default();
    for row in &rows {
        let test = test_name(row["test"].as_str().unwrap_or_default());
        let expected = &row["botocore_parsed_Error"];
        let code = expected["Code"].as_str().unwrap_or_default();
        let recorded_message = expected["Message"].as_str().unwrap_or_default();
        let status = row["HTTPStatusCode"].as_u64().unwrap_or(0) as u16;
        let case = format!("{test} ({code}: {recorded_message})");
        let Some(r) = reproduce(test, recorded_message).await else {
            tally.check(&case, false, || "no reproduction for this row".into());
            continue;
        };
        let mut message = recorded_message.to_string();
        for (placeholder, value) in &r.placeholders {
            message = message.replace(placeholder, value);
        }
        let a = &r.answer;
        let got = (a.status, a.xml("Code"), a.xml("Message"), a.xml("Type"));
        let want = (
            status,
            Some(code.to_string()),
            Some(message),
            Some("Sender".to_string()),
        );
        let is_error_response = a.body.contains("<ErrorResponse");
        tally.check(&case, got == want && is_error_response, || {
            format!("\n      got  {got:?}\n      want {want:?}")
        });
    }
    tally.finish("recorded SQS query-protocol errors", rows.len());
}
