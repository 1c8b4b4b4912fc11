//! Bad input never yields a panic, a 500 or a hang: each gets an AWS-shaped 4xx, and the
//! server keeps answering afterwards.

use crate::common::*;
use crate::raw::*;
use stepyard::RunningServer;

/// A JSON-protocol error: 4xx, a JSON body with `__type` and a message, and (SQS being
/// query-compatible) the `x-amzn-query-error` header.
fn assert_json_error(a: &Answer, status: u16) {
    assert_eq!(a.status, status, "{a:?}");
    let j = a.json();
    assert!(j["__type"].is_string(), "__type in {j}");
    assert!(
        j["message"].is_string() || j["Message"].is_string(),
        "message in {j}"
    );
}

/// The server still answers a well-formed request.
async fn still_serving(server: &RunningServer) {
    let a = sqs_json(server, "ListQueues", "{}").await;
    assert_eq!(a.status, 200, "server stopped answering: {a:?}");
}

async fn queue_url(server: &RunningServer) -> String {
    create_queue(&sqs(server), "q").await
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let server = start().await;
    let a = sqs_json(&server, "CreateQueue", r#"{"QueueName": "#).await;
    assert_json_error(&a, 400);
    still_serving(&server).await;
}

#[tokio::test]
async fn a_json_array_body_is_a_400() {
    let server = start().await;
    let a = sqs_json(&server, "CreateQueue", r#"[{"QueueName": "q"}]"#).await;
    assert_json_error(&a, 400);
    let a = sqs_json(&server, "ListQueues", "42").await;
    assert_json_error(&a, 400);
    still_serving(&server).await;
}

#[tokio::test]
async fn wrong_member_types_are_a_400() {
    let server = start().await;
    let url = queue_url(&server).await;
    let bodies = [
        serde_json::json!({"QueueUrl": url, "MaxNumberOfMessages": "x"}),
        serde_json::json!({"QueueUrl": url, "WaitTimeSeconds": 1.5}),
        serde_json::json!({"QueueUrl": 7}),
        serde_json::json!({"QueueUrl": url, "MessageAttributeNames": "All"}),
        serde_json::json!({"QueueUrl": url, "VisibilityTimeout": {"a": 1}}),
    ];
    for body in bodies {
        let a = sqs_json(&server, "ReceiveMessage", body.to_string()).await;
        assert_json_error(&a, 400);
    }
    let a = sqs_json(
        &server,
        "SendMessage",
        serde_json::json!({"QueueUrl": url, "MessageBody": "x", "MessageAttributes": {"a": "not a structure"}})
            .to_string(),
    )
    .await;
    assert_json_error(&a, 400);
    let a = sqs_json(
        &server,
        "CreateQueue",
        serde_json::json!({"QueueName": "t", "Attributes": ["VisibilityTimeout"]}).to_string(),
    )
    .await;
    assert_json_error(&a, 400);
    still_serving(&server).await;
}

#[tokio::test]
async fn missing_required_members_are_a_400() {
    let server = start().await;
    for op in [
        "CreateQueue",
        "SendMessage",
        "ReceiveMessage",
        "DeleteMessage",
        "GetQueueUrl",
    ] {
        let a = sqs_json(&server, op, "{}").await;
        assert_json_error(&a, 400);
    }
    still_serving(&server).await;
}

#[tokio::test]
async fn an_empty_body_is_a_400_not_a_crash() {
    let server = start().await;
    let a = sqs_json(&server, "CreateQueue", "").await;
    assert!(a.status == 400, "{a:?}");
    still_serving(&server).await;
}

#[tokio::test]
async fn an_unknown_operation_is_unknown_operation_exception() {
    let server = start().await;
    let a = sqs_json(&server, "Nope", "{}").await;
    assert_json_error(&a, 400);
    let j = a.json();
    let kind = j["__type"].as_str().unwrap();
    assert!(kind.ends_with("UnknownOperationException"), "__type {kind}");
    still_serving(&server).await;
}

#[tokio::test]
async fn an_unknown_target_prefix_is_a_400() {
    let server = start().await;
    for target in ["Foo.Bar", "AmazonSQSX.ListQueues", "NoDot", ""] {
        let a = json_with_target(&server, target, "{}").await;
        assert!((400..500).contains(&a.status), "target {target:?}: {a:?}");
    }
    still_serving(&server).await;
}

#[tokio::test]
async fn a_missing_queue_is_non_existent_queue() {
    let server = start().await;
    let url = format!("{}/{ACCOUNT}/missing", server.endpoint());
    let a = sqs_json(
        &server,
        "ReceiveMessage",
        serde_json::json!({"QueueUrl": url}).to_string(),
    )
    .await;
    assert_json_error(&a, 400);
    assert_eq!(
        a.header("x-amzn-query-error"),
        Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
    );
    let a = sqs_json(
        &server,
        "SendMessage",
        serde_json::json!({"QueueUrl": "not a url at all", "MessageBody": "x"}).to_string(),
    )
    .await;
    assert!((400..500).contains(&a.status), "{a:?}");
}

#[tokio::test]
async fn a_body_over_8_mib_is_413() {
    let server = start().await;
    let url = queue_url(&server).await;
    let big = "a".repeat(8 * 1024 * 1024 + 1);
    let body = format!(r#"{{"QueueUrl": "{url}", "MessageBody": "{big}"}}"#);
    let a = sqs_json(&server, "SendMessage", body).await;
    assert_eq!(a.status, 413, "{}", &a.body[..a.body.len().min(300)]);
    // A form body too.
    let form_body = format!("Action=SendMessage&QueueUrl={url}&MessageBody={big}");
    let a = raw_form_to(&server.endpoint(), form_body.into_bytes()).await;
    assert_eq!(a.status, 413);
    still_serving(&server).await;
}

#[tokio::test]
async fn a_body_just_under_the_limit_reaches_sqs_validation() {
    let server = start().await;
    let url = queue_url(&server).await;
    // 2 MiB: under the gateway limit, over SQS's 1 MiB message limit.
    let big = "a".repeat(2 * 1024 * 1024);
    let body = format!(r#"{{"QueueUrl": "{url}", "MessageBody": "{big}"}}"#);
    let a = sqs_json(&server, "SendMessage", body).await;
    assert_json_error(&a, 400);
    assert_eq!(
        a.header("x-amzn-query-error"),
        Some("InvalidParameterValue;Sender")
    );
}

#[tokio::test]
async fn invalid_utf8_in_json_is_a_400() {
    let server = start().await;
    let mut body = br#"{"QueueName": ""#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0x80]);
    body.extend_from_slice(br#""}"#);
    let a = sqs_json(&server, "CreateQueue", body).await;
    assert_json_error(&a, 400);
    still_serving(&server).await;
}

#[tokio::test]
async fn invalid_utf8_in_a_form_body_is_a_400() {
    let server = start().await;
    // Percent-encoded and raw invalid bytes.
    for body in [
        b"Action=CreateQueue&QueueName=%FF%FE".to_vec(),
        [b"Action=CreateQueue&QueueName=".as_slice(), &[0xff, 0xc3]].concat(),
    ] {
        let a = raw_form_to(&server.endpoint(), body).await;
        assert_eq!(a.status, 400, "{a:?}");
        assert!(a.body.contains("<ErrorResponse"), "{}", a.body);
    }
    still_serving(&server).await;
}

#[tokio::test]
async fn a_form_post_without_action_is_a_400_error_response() {
    let server = start().await;
    let a = form(&server, &[("QueueName", "q")]).await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("<ErrorResponse"), "{}", a.body);
    assert!(a.xml("Code").is_some());
    let a = post_empty(&server.endpoint()).await;
    assert!((400..500).contains(&a.status), "empty POST: {a:?}");
    still_serving(&server).await;
}

#[tokio::test]
async fn many_bad_requests_in_a_row_leave_the_server_healthy() {
    let server = start().await;
    for i in 0..50 {
        let body = match i % 5 {
            0 => "{".to_string(),
            1 => "[]".to_string(),
            2 => r#"{"QueueName": 1}"#.to_string(),
            3 => "null".to_string(),
            _ => "\u{0}".to_string(),
        };
        let a = sqs_json(&server, "CreateQueue", body).await;
        assert!((400..500).contains(&a.status), "{a:?}");
    }
    still_serving(&server).await;
}

#[tokio::test]
async fn a_malformed_chunked_body_is_a_400_not_a_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = start().await;
    let mut stream = tokio::net::TcpStream::connect(server.local_addr)
        .await
        .expect("connect");
    // A chunk size that is not hexadecimal.
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.ListQueues\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n",
        server.local_addr
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut answer),
    )
    .await;
    assert!(
        read.is_ok(),
        "the server answers and closes instead of hanging"
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    still_serving(&server).await;
}
