//! Response headers: `x-amzn-RequestId` on every service response, `x-amzn-query-error` on
//! SQS JSON errors, and the JSON error body's `__type`.

use crate::common::*;
use crate::raw::*;

fn request_id(a: &Answer) -> String {
    let id = a
        .header("x-amzn-requestid")
        .unwrap_or_else(|| panic!("no x-amzn-RequestId on {a:?}"))
        .to_string();
    assert!(!id.is_empty());
    id
}

#[tokio::test]
async fn every_service_response_carries_a_request_id() {
    let server = start().await;
    let ok = sqs_json(&server, "CreateQueue", r#"{"QueueName": "q"}"#).await;
    assert_eq!(ok.status, 200);
    let error = sqs_json(&server, "GetQueueUrl", r#"{"QueueName": "missing"}"#).await;
    assert_eq!(error.status, 400);
    let unknown = sqs_json(&server, "Nope", "{}").await;
    let malformed = sqs_json(&server, "ListQueues", "{").await;
    let query_ok = form(&server, &[("Action", "ListQueues")]).await;
    assert_eq!(query_ok.status, 200);
    let query_error = form(
        &server,
        &[("Action", "GetQueueUrl"), ("QueueName", "missing")],
    )
    .await;
    assert_eq!(query_error.status, 400);
    let too_big = sqs_json(&server, "ListQueues", vec![b' '; 9 * 1024 * 1024]).await;
    assert_eq!(too_big.status, 413);

    let ids: Vec<String> = [
        &ok,
        &error,
        &unknown,
        &malformed,
        &query_ok,
        &query_error,
        &too_big,
    ]
    .iter()
    .map(|a| request_id(a))
    .collect();
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "request ids are unique: {ids:?}");

    // The query protocol also puts it in the body.
    assert_eq!(query_ok.xml("RequestId"), Some(ids[4].clone()));
    assert_eq!(query_error.xml("RequestId"), Some(ids[5].clone()));
}

#[tokio::test]
async fn sdk_sees_the_request_id() {
    use aws_sdk_sqs::operation::RequestId;
    let server = start().await;
    let sqs = sqs(&server);
    let out = sqs.list_queues().send().await.unwrap();
    assert!(out.request_id().is_some_and(|id| !id.is_empty()));
}

#[tokio::test]
async fn sqs_json_errors_carry_the_query_error_header_and_the_shape_name() {
    let server = start().await;
    let a = sqs_json(&server, "GetQueueUrl", r#"{"QueueName": "missing"}"#).await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.header("x-amzn-query-error"),
        Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
    );
    assert!(a
        .header("content-type")
        .unwrap_or_default()
        .starts_with("application/x-amz-json-1.0"));
    let j = a.json();
    let kind = j["__type"].as_str().unwrap();
    assert_eq!(
        kind.rsplit('#').next(),
        Some("QueueDoesNotExist"),
        "__type {kind}"
    );
    assert_eq!(j["message"], "The specified queue does not exist.");
}

#[tokio::test]
async fn json_error_shape_names_match_the_recording() {
    // (operation, body, recorded QueryErrorCode, recorded header code)
    let server = start().await;
    let url = create_queue(&sqs(&server), "q").await;
    let cases = [
        (
            "ReceiveMessage",
            serde_json::json!({"QueueUrl": url, "MaxNumberOfMessages": 11}),
            "InvalidParameterValueException",
            "InvalidParameterValue",
        ),
        (
            "SendMessage",
            serde_json::json!({"QueueUrl": url, "MessageBody": ""}),
            "MissingRequiredParameterException",
            "MissingParameter",
        ),
        (
            "SetQueueAttributes",
            serde_json::json!({"QueueUrl": url, "Attributes": {"FifoQueue": "true"}}),
            "InvalidAttributeName",
            "InvalidAttributeName",
        ),
        (
            "SendMessageBatch",
            serde_json::json!({"QueueUrl": url, "Entries": [{"Id": "a:b", "MessageBody": "x"}]}),
            "InvalidBatchEntryId",
            "AWS.SimpleQueueService.InvalidBatchEntryId",
        ),
    ];
    for (op, body, shape, code) in cases {
        let a = sqs_json(&server, op, body.to_string()).await;
        let j = a.json();
        assert_eq!(
            j["__type"].as_str().and_then(|t| t.rsplit('#').next()),
            Some(shape),
            "{op}: {j}"
        );
        assert_eq!(
            a.header("x-amzn-query-error"),
            Some(format!("{code};Sender").as_str()),
            "{op}"
        );
    }
}

#[tokio::test]
async fn successful_json_responses_are_amz_json_1_0() {
    let server = start().await;
    let a = sqs_json(&server, "ListQueues", "{}").await;
    assert_eq!(a.status, 200);
    assert!(a
        .header("content-type")
        .unwrap_or_default()
        .starts_with("application/x-amz-json-1.0"));
    assert!(a.json().is_object());
}
