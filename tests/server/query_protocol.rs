//! The legacy query protocol end to end: form POSTs in, XML out, with list and map members
//! flattened the way the AWS query serializers write them.

use crate::common::*;
use crate::raw::*;
use base64::Engine;

fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn create(server: &stepyard::RunningServer, name: &str) -> String {
    let a = form(
        server,
        &[
            ("Action", "CreateQueue"),
            ("Version", "2012-11-05"),
            ("QueueName", name),
            ("Attribute.1.Name", "VisibilityTimeout"),
            ("Attribute.1.Value", "40"),
            ("Tag.1.Key", "team"),
            ("Tag.1.Value", "core"),
        ],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.xml("QueueUrl").expect("QueueUrl in CreateQueueResponse")
}

#[tokio::test]
async fn create_queue_answers_xml_with_the_queue_url() {
    let server = start().await;
    let a = form(&server, &[("Action", "CreateQueue"), ("QueueName", "q")]).await;
    assert_eq!(a.status, 200);
    assert!(a.header("content-type").unwrap_or_default().contains("xml"));
    assert!(a.body.contains("<CreateQueueResponse"), "{}", a.body);
    assert!(a.body.contains("<CreateQueueResult>"), "{}", a.body);
    assert_eq!(
        a.xml("QueueUrl"),
        Some(format!("{}/{ACCOUNT}/q", server.endpoint()))
    );
    assert!(a.xml("RequestId").is_some());
}

#[tokio::test]
async fn query_attributes_and_tags_reach_the_queue() {
    let server = start().await;
    let url = create(&server, "q").await;
    let sqs = sqs(&server);
    assert_eq!(queue_attribute(&sqs, &url, "VisibilityTimeout").await, "40");
    let tags = sqs
        .list_queue_tags()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default();
    assert_eq!(tags.get("team").map(String::as_str), Some("core"));
}

#[tokio::test]
async fn send_receive_and_delete_over_the_query_protocol() {
    let server = start().await;
    let url = create(&server, "q").await;
    let binary = base64::engine::general_purpose::STANDARD.encode([0u8, 1, 2, 255]);
    let sent = form(
        &server,
        &[
            ("Action", "SendMessage"),
            ("QueueUrl", &url),
            ("MessageBody", "hello & <world>"),
            ("MessageAttribute.1.Name", "color"),
            ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.1.Value.StringValue", "blue"),
            ("MessageAttribute.2.Name", "blob"),
            ("MessageAttribute.2.Value.DataType", "Binary"),
            ("MessageAttribute.2.Value.BinaryValue", &binary),
            ("MessageAttribute.3.Name", "n"),
            ("MessageAttribute.3.Value.DataType", "Number.int"),
            ("MessageAttribute.3.Value.StringValue", "42"),
        ],
    )
    .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("<SendMessageResponse"), "{}", sent.body);
    assert_eq!(
        sent.xml("MD5OfMessageBody"),
        Some(md5_hex("hello & <world>".as_bytes()))
    );
    let message_id = sent.xml("MessageId").expect("MessageId");
    let attributes_md5 = sent
        .xml("MD5OfMessageAttributes")
        .expect("MD5OfMessageAttributes");

    let got = form(
        &server,
        &[
            ("Action", "ReceiveMessage"),
            ("QueueUrl", &url),
            ("AttributeName.1", "All"),
            ("MessageAttributeName.1", "All"),
            ("MaxNumberOfMessages", "10"),
        ],
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert!(got.body.contains("<ReceiveMessageResult>"), "{}", got.body);
    let messages = xml_values(&got.body, "Message");
    assert_eq!(messages.len(), 1, "{}", got.body);
    let m = &messages[0];
    assert_eq!(xml_values(m, "MessageId"), vec![message_id.clone()]);
    assert_eq!(xml_values(m, "Body"), vec!["hello & <world>".to_string()]);
    assert_eq!(
        xml_values(m, "MD5OfBody"),
        vec![md5_hex("hello & <world>".as_bytes())]
    );
    assert_eq!(
        xml_values(m, "MD5OfMessageAttributes"),
        vec![attributes_md5]
    );
    let system: Vec<String> = xml_attributes(m).into_iter().map(|(n, _)| n).collect();
    for name in [
        "SentTimestamp",
        "ApproximateReceiveCount",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    ] {
        assert!(system.contains(&name.to_string()), "{name} in {system:?}");
    }
    // Message attributes: <MessageAttribute><Name/><Value><StringValue/><DataType/></Value>.
    let user = xml_values(m, "MessageAttribute");
    assert_eq!(user.len(), 3, "{m}");
    let find = |name: &str| {
        user.iter()
            .find(|a| xml_values(a, "Name") == vec![name.to_string()])
            .unwrap_or_else(|| panic!("attribute {name} in {m}"))
            .clone()
    };
    assert_eq!(xml_values(&find("color"), "StringValue"), vec!["blue"]);
    assert_eq!(xml_values(&find("color"), "DataType"), vec!["String"]);
    assert_eq!(
        xml_values(&find("blob"), "BinaryValue"),
        vec![binary.clone()]
    );
    assert_eq!(xml_values(&find("n"), "DataType"), vec!["Number.int"]);

    let handle = xml_values(m, "ReceiptHandle").remove(0);
    let deleted = form(
        &server,
        &[
            ("Action", "DeleteMessage"),
            ("QueueUrl", &url),
            ("ReceiptHandle", &handle),
        ],
    )
    .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(
        deleted.body.contains("<DeleteMessageResponse"),
        "{}",
        deleted.body
    );
    assert_eq!(counts(&sqs(&server), &url).await, (0, 0, 0));
}

#[tokio::test]
async fn receive_on_an_empty_queue_is_an_empty_result() {
    let server = start().await;
    let url = create(&server, "q").await;
    let a = form(&server, &[("Action", "ReceiveMessage"), ("QueueUrl", &url)]).await;
    assert_eq!(a.status, 200);
    let compact = a.body.replace(" />", "/>");
    assert!(
        compact.contains("<ReceiveMessageResult/>")
            || compact.contains("<ReceiveMessageResult></ReceiveMessageResult>"),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn get_queue_attributes_all_lists_attributes_as_name_value_pairs() {
    let server = start().await;
    let url = create(&server, "q").await;
    let a = form(
        &server,
        &[
            ("Action", "GetQueueAttributes"),
            ("QueueUrl", &url),
            ("AttributeName.1", "All"),
        ],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("<GetQueueAttributesResponse"), "{}", a.body);
    let attrs = xml_attributes(&a.body);
    let get = |n: &str| {
        attrs
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{n} in {attrs:?}"))
    };
    assert_eq!(get("QueueArn"), queue_arn("q"));
    assert_eq!(get("VisibilityTimeout"), "40");
    assert_eq!(get("MaximumMessageSize"), "1048576");
    assert!(a
        .body
        .contains("<Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:"));

    let one = form(
        &server,
        &[
            ("Action", "GetQueueAttributes"),
            ("QueueUrl", &url),
            ("AttributeName.1", "QueueArn"),
        ],
    )
    .await;
    assert_eq!(xml_attributes(&one.body).len(), 1, "{}", one.body);
}

#[tokio::test]
async fn posting_to_the_queue_url_path_needs_no_queue_url_parameter() {
    let server = start().await;
    let url = create(&server, "q").await;
    let sent = form_to(
        &url,
        &[("Action", "SendMessage"), ("MessageBody", "via path")],
    )
    .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let attrs = form_to(
        &url,
        &[
            ("Action", "GetQueueAttributes"),
            ("AttributeName.1", "ApproximateNumberOfMessages"),
        ],
    )
    .await;
    assert_eq!(
        xml_attributes(&attrs.body),
        vec![("ApproximateNumberOfMessages".to_string(), "1".to_string())]
    );
    let got = form_to(&url, &[("Action", "ReceiveMessage")]).await;
    assert_eq!(xml_values(&got.body, "Body"), vec!["via path"]);
    // An explicit QueueUrl wins over the path.
    let other = create(&server, "other").await;
    let a = form_to(
        &url,
        &[
            ("Action", "GetQueueAttributes"),
            ("QueueUrl", &other),
            ("AttributeName.1", "QueueArn"),
        ],
    )
    .await;
    assert_eq!(
        xml_attributes(&a.body),
        vec![("QueueArn".to_string(), queue_arn("other"))]
    );
}

#[tokio::test]
async fn list_queues_works_as_a_get_with_a_query_string() {
    let server = start().await;
    let url = create(&server, "listed").await;
    let a = get(&format!(
        "{}/?Action=ListQueues&Version=2012-11-05",
        server.endpoint()
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("<ListQueuesResponse"), "{}", a.body);
    assert_eq!(xml_values(&a.body, "QueueUrl"), vec![url]);
}

#[tokio::test]
async fn query_errors_are_error_responses() {
    let server = start().await;
    let url = format!("{}/{ACCOUNT}/missing", server.endpoint());
    let a = form(
        &server,
        &[
            ("Action", "GetQueueAttributes"),
            ("QueueUrl", &url),
            ("AttributeName.1", "All"),
        ],
    )
    .await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("<ErrorResponse"), "{}", a.body);
    assert_eq!(a.xml("Type").as_deref(), Some("Sender"));
    assert_eq!(
        a.xml("Code").as_deref(),
        Some("AWS.SimpleQueueService.NonExistentQueue")
    );
    assert_eq!(
        a.xml("Message").as_deref(),
        Some("The specified queue does not exist for this wsdl version.")
    );
    assert!(a.xml("RequestId").is_some());
}

#[tokio::test]
async fn an_unknown_action_is_invalid_action() {
    let server = start().await;
    let url = create(&server, "q").await;
    let a = form_to(&url, &[("Action", "FooBar"), ("Version", "2012-11-05")]).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.xml("Code").as_deref(), Some("InvalidAction"));
    assert_eq!(a.xml("Type").as_deref(), Some("Sender"));
    assert_eq!(
        a.xml("Message").as_deref(),
        Some("The action FooBar is not valid for this endpoint.")
    );
}

#[tokio::test]
async fn a_missing_parameter_is_missing_parameter() {
    let server = start().await;
    let url = create(&server, "q").await;
    let a = form_to(&url, &[("Action", "SendMessage")]).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.xml("Code").as_deref(), Some("MissingParameter"));
    assert_eq!(
        a.xml("Message").as_deref(),
        Some("The request must contain the parameter MessageBody.")
    );
}

#[tokio::test]
async fn an_unknown_attribute_name_is_invalid_attribute_name() {
    let server = start().await;
    let url = create(&server, "q").await;
    let a = form_to(
        &url,
        &[
            ("Action", "GetQueueAttributes"),
            ("AttributeName.1", "Foobar"),
        ],
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.xml("Code").as_deref(), Some("InvalidAttributeName"));
    assert_eq!(
        a.xml("Message").as_deref(),
        Some("Unknown Attribute Foobar.")
    );
}

#[tokio::test]
async fn batch_entries_are_flattened_both_ways() {
    let server = start().await;
    let url = create(&server, "q").await;
    let a = form(
        &server,
        &[
            ("Action", "SendMessageBatch"),
            ("QueueUrl", &url),
            ("SendMessageBatchRequestEntry.1.Id", "one"),
            ("SendMessageBatchRequestEntry.1.MessageBody", "first"),
            ("SendMessageBatchRequestEntry.2.Id", "two"),
            ("SendMessageBatchRequestEntry.2.MessageBody", "second"),
            ("SendMessageBatchRequestEntry.2.DelaySeconds", "0"),
            ("SendMessageBatchRequestEntry.3.Id", "bad"),
            ("SendMessageBatchRequestEntry.3.MessageBody", "\u{1}"),
        ],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let ok = xml_values(&a.body, "SendMessageBatchResultEntry");
    assert_eq!(ok.len(), 2, "{}", a.body);
    let ids: Vec<String> = ok.iter().flat_map(|e| xml_values(e, "Id")).collect();
    assert!(ids.contains(&"one".to_string()) && ids.contains(&"two".to_string()));
    let failed = xml_values(&a.body, "BatchResultErrorEntry");
    assert_eq!(failed.len(), 1, "{}", a.body);
    assert_eq!(xml_values(&failed[0], "Id"), vec!["bad"]);
    assert_eq!(
        xml_values(&failed[0], "Code"),
        vec!["InvalidMessageContents"]
    );
    assert_eq!(xml_values(&failed[0], "SenderFault"), vec!["true"]);
}

#[tokio::test]
async fn a_message_sent_over_query_reads_the_same_over_json() {
    let server = start().await;
    let url = create(&server, "q").await;
    let sent = form(
        &server,
        &[
            ("Action", "SendMessage"),
            ("QueueUrl", &url),
            ("MessageBody", "cross\r\nprotocol"),
            ("MessageAttribute.1.Name", "k"),
            ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.1.Value.StringValue", "v"),
        ],
    )
    .await;
    let sqs = sqs(&server);
    let m = sqs
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    assert_eq!(m.message_id, sent.xml("MessageId"));
    assert_eq!(m.body.as_deref(), Some("cross\r\nprotocol"));
    assert_eq!(
        m.md5_of_message_attributes,
        sent.xml("MD5OfMessageAttributes")
    );
    assert_eq!(
        m.message_attributes.unwrap()["k"].string_value.as_deref(),
        Some("v")
    );
}

#[tokio::test]
async fn sqs_query_errors_keep_their_empty_detail_element() {
    let server = start().await;
    let a = form(
        &server,
        &[("Action", "GetQueueUrl"), ("QueueName", "missing")],
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.body.contains("</Message><Detail/></Error>"), "{}", a.body);
}

#[tokio::test]
async fn query_tag_queue_reads_tag_n_key_and_value() {
    let server = start().await;
    let url = create(&server, "q").await;
    let a = form(
        &server,
        &[
            ("Action", "TagQueue"),
            ("QueueUrl", &url),
            ("Tag.1.Key", "env"),
            ("Tag.1.Value", "prod"),
            ("Tag.2.Key", "owner"),
            ("Tag.2.Value", "ops"),
        ],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let tags = sqs(&server)
        .list_queue_tags()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default();
    assert_eq!(tags.get("env").map(String::as_str), Some("prod"));
    assert_eq!(tags.get("owner").map(String::as_str), Some("ops"));
}

#[tokio::test]
async fn a_queue_url_refuses_account_actions_and_answers_404_without_an_action() {
    let server = start().await;
    let url = create(&server, "q").await;
    for action in ["CreateQueue", "ListQueues"] {
        let a = get(&format!("{url}?Action={action}&QueueName=other")).await;
        assert_eq!(a.status, 400, "{action}: {}", a.body);
        assert_eq!(a.xml("Code").as_deref(), Some("InvalidAction"));
        assert_eq!(
            a.xml("Message"),
            Some(format!(
                "The action {action} is not valid for this endpoint."
            ))
        );
    }
    let a = get(&url).await;
    assert_eq!(a.status, 404, "{}", a.body);
    assert_eq!(a.body, "<UnknownOperationException/>");

    let a = get(&format!("{url}?Action=ReceiveMessage")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("<ReceiveMessageResult/>"), "{}", a.body);
}

#[tokio::test]
async fn query_requests_accepting_json_get_the_response_as_json() {
    let server = start().await;
    let url = create(&server, "q").await;
    let post = |pairs: Vec<(&'static str, String)>| {
        let endpoint = server.endpoint();
        async move {
            let response = http()
                .post(endpoint)
                .header("Accept", "application/json")
                .header("Authorization", sigv4_header("us-east-1", "sqs"))
                .form(&pairs)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let body: serde_json::Value = response.json().await.expect("a JSON body");
            (status, content_type, body)
        }
    };
    let (status, content_type, body) = post(vec![
        ("Action", "SendMessage".into()),
        ("QueueUrl", url.clone()),
        ("MessageBody", "hello".into()),
    ])
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(content_type.contains("json"), "{content_type}");
    let result = &body["SendMessageResponse"]["SendMessageResult"];
    assert_eq!(result["MD5OfMessageBody"], md5_hex(b"hello"), "{body}");
    assert!(body["SendMessageResponse"]["ResponseMetadata"]["RequestId"].is_string());

    let (status, _, body) = post(vec![
        ("Action", "GetQueueUrl".into()),
        ("QueueName", "missing".into()),
    ])
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["ErrorResponse"]["Error"]["Code"], "AWS.SimpleQueueService.NonExistentQueue",
        "{body}"
    );
}
