//! Message attributes: String, Number and Binary with custom type suffixes, the
//! MessageAttributeNames filter on receive, and the validation of names, types and values.

use crate::common::*;
use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::MessageAttributeValue;
use std::collections::HashMap;

fn string(data_type: &str, value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .unwrap()
}

fn binary(data_type: &str, value: &[u8]) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .binary_value(Blob::new(value))
        .build()
        .unwrap()
}

async fn receive_with_names(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    names: &[&str],
) -> aws_sdk_sqs::types::Message {
    let mut request = sqs.receive_message().queue_url(url).visibility_timeout(0);
    for name in names {
        request = request.message_attribute_names(*name);
    }
    request
        .send()
        .await
        .unwrap()
        .messages
        .expect("the message is visible")
        .remove(0)
}

#[tokio::test]
async fn string_number_and_binary_attributes_round_trip_with_custom_types() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let attributes: HashMap<String, MessageAttributeValue> = [
        ("plain", string("String", "hello")),
        ("custom", string("String.custom-type", "with type")),
        ("count", string("Number", "1614717034367")),
        ("float", string("Number.float", "-3.25e2")),
        ("blob", binary("Binary", b"traceparent\x1e00-77")),
        ("gif", binary("Binary.gif", &[0, 1, 2, 255])),
        ("unicode", string("String", "øßä \u{1F600}")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let sent = sqs
        .send_message()
        .queue_url(&url)
        .message_body("attrs")
        .set_message_attributes(Some(attributes.clone()))
        .send()
        .await
        .unwrap();
    let m = receive_with_names(&sqs, &url, &["All"]).await;
    assert_eq!(m.message_attributes.as_ref(), Some(&attributes));
    assert!(sent.md5_of_message_attributes.is_some());
    assert_eq!(m.md5_of_message_attributes, sent.md5_of_message_attributes);
}

#[tokio::test]
async fn attributes_are_returned_only_when_asked_for() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("x")
        .message_attributes("a", string("String", "1"))
        .send()
        .await
        .unwrap();
    let m = receive_with_names(&sqs, &url, &[]).await;
    assert!(m.message_attributes.is_none());
    assert!(
        m.md5_of_message_attributes.is_none(),
        "no digest when no attribute is returned"
    );
    // Receiving does not lose them.
    let m = receive_with_names(&sqs, &url, &["All"]).await;
    assert_eq!(m.message_attributes.unwrap()["a"], string("String", "1"));
}

#[tokio::test]
async fn message_attribute_names_filter_by_name_prefix_and_wildcard() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("msg")
        .message_attributes("Help.Me", string("String", "Me"))
        .message_attributes("Hello", string("String", "There"))
        .message_attributes("General", string("String", "Kenobi"))
        .send()
        .await
        .unwrap();

    let names = |m: &aws_sdk_sqs::types::Message| -> Vec<String> {
        let mut v: Vec<String> = m
            .message_attributes
            .clone()
            .unwrap_or_default()
            .into_keys()
            .collect();
        v.sort();
        v
    };
    // (filter, names returned, MD5 AWS recorded for exactly those)
    let cases: &[(&[&str], &[&str], Option<&str>)] = &[
        (
            &["All"],
            &["General", "Hello", "Help.Me"],
            Some("4c360f3fdafd970e05fae2f149d997f5"),
        ),
        (
            &[".*"],
            &["General", "Hello", "Help.Me"],
            Some("4c360f3fdafd970e05fae2f149d997f5"),
        ),
        (
            &["Hello", "General"],
            &["General", "Hello"],
            Some("fca026605781cb4126a1e9044df24232"),
        ),
        (
            &["Foo", "Hello"],
            &["Hello"],
            Some("a311262e065454b75da111d535b8dacd"),
        ),
        (
            &["Hel.*"],
            &["Hello", "Help.Me"],
            Some("83fee93c1bcd8b9a5a923ffacdc636c7"),
        ),
        (&["Foo", "Help"], &[], None),
    ];
    for (filter, expected, md5) in cases {
        let m = receive_with_names(&sqs, &url, filter).await;
        assert_eq!(names(&m), *expected, "filter {filter:?}");
        assert_eq!(
            m.md5_of_message_attributes.as_deref(),
            *md5,
            "MD5OfMessageAttributes for filter {filter:?}"
        );
    }
}

#[tokio::test]
async fn an_empty_string_value_is_rejected() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let failure = expect_failure(
        sqs.send_message()
            .queue_url(&url)
            .message_body("test")
            .message_attributes("ErrorDetails", string("String", ""))
            .send()
            .await,
    );
    assert_eq!(failure.code, "InvalidParameterValue");
    assert_eq!(
        failure.message,
        "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."
    );
}

#[tokio::test]
async fn invalid_attribute_names_types_and_values_are_rejected() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    // A valid baseline, including non-ASCII letters in the name.
    sqs.send_message()
        .queue_url(&url)
        .message_body("ok")
        .message_attributes("attr.1øßä", string("String", "Valid"))
        .send()
        .await
        .unwrap();

    let too_long_name = "L".repeat(257);
    let too_long_type = format!("Number.{}", "L".repeat(256));
    let bad: Vec<(String, MessageAttributeValue)> = vec![
        ("attr1".into(), string("String", "Invalid-\u{8},\u{b}")),
        ("aWs.-Invalid-attr".into(), string("String", "Valid")),
        ("AMAZON.-Invalid-attr".into(), string("String", "Valid")),
        (".-Invalid-attr".into(), string("String", "Valid")),
        ("Invalid-!-attr".into(), string("String", "Valid")),
        ("Invalid-(-attr".into(), string("String", "Valid")),
        ("Invalid.".into(), string("String", "Valid")),
        (too_long_name, string("String", "Valid")),
        ("Attribute_name".into(), string("Invalid", "Valid")),
        ("Attribute_name".into(), string(&too_long_type, "Valid")),
        ("num".into(), string("Number", "not a number")),
        (
            "bin".into(),
            string("Binary", "a string where bytes belong"),
        ),
    ];
    for (name, value) in bad {
        let failure = expect_failure(
            sqs.send_message()
                .queue_url(&url)
                .message_body("test")
                .message_attributes(&name, value.clone())
                .send()
                .await,
        );
        assert!(
            failure.code.starts_with("Invalid"),
            "attribute {name:?} = {value:?} gave {failure:?}"
        );
        assert_eq!(failure.status, 400);
    }
    assert_eq!(counts(&sqs, &url).await, (1, 0, 0));
}

#[tokio::test]
async fn more_than_ten_attributes_are_rejected() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let mut request = sqs.send_message().queue_url(&url).message_body("x");
    for i in 0..11 {
        request = request.message_attributes(format!("a{i}"), string("String", "v"));
    }
    let failure = expect_failure(request.send().await);
    assert_eq!(failure.code, "InvalidParameterValue");
}

#[tokio::test]
async fn a_star_in_message_attribute_names_returns_every_attribute_with_its_md5() {
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "q").await;
    let sent = sqs
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .message_attributes("a", string("String", "1"))
        .message_attributes("b", string("Number", "2"))
        .send()
        .await
        .unwrap();
    let m = receive_with_names(&sqs, &url, &["*"]).await;
    let attributes = m.message_attributes.clone().unwrap_or_default();
    assert_eq!(attributes.len(), 2, "{attributes:?}");
    assert_eq!(attributes["b"], string("Number", "2"));
    assert!(sent.md5_of_message_attributes.is_some());
    assert_eq!(m.md5_of_message_attributes, sent.md5_of_message_attributes);
}
