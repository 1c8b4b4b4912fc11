//! MD5OfMessageBody, MD5OfMessageAttributes and MD5OfMessageSystemAttributes, driven by the
//! AWS-recorded vectors in `../shared/conformance/sqs/md5_vectors.json`.

use crate::common::*;
use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::MessageAttributeValue;
use base64::Engine;
use serde_json::Value;

fn attribute(spec: &Value) -> MessageAttributeValue {
    let mut builder =
        MessageAttributeValue::builder().data_type(spec["DataType"].as_str().unwrap_or_default());
    if let Some(s) = spec["StringValue"].as_str() {
        builder = builder.string_value(s);
    }
    if let Some(b) = spec["BinaryValue"].as_str() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b)
            .expect("vector BinaryValue is base64");
        builder = builder.binary_value(Blob::new(bytes));
    }
    builder.build().expect("vector has a DataType")
}

#[tokio::test]
async fn md5_digests_match_the_aws_recorded_vectors() {
    let Some(path) = conformance_file("md5_vectors.json") else {
        return;
    };
    let data = read_json(&path);
    let server = start().await;
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "md5").await;
    let mut tally = Tally::default();

    let body_vectors = data["body_vectors"].as_array().cloned().unwrap_or_default();
    for v in &body_vectors {
        let body = v["Body"].as_str().expect("Body");
        let expected = v["MD5OfBody"].as_str().expect("MD5OfBody");
        let sent = sqs
            .send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
            .await;
        let case = format!("body {body:?}");
        match sent {
            Err(e) => tally.check(&case, false, || describe(&e)),
            Ok(sent) => {
                let got = sent.md5_of_message_body.unwrap_or_default();
                tally.check(&format!("{case} on send"), got == expected, || {
                    format!("got {got}, expected {expected}")
                });
                let received = receive(&sqs, &url, 1).await;
                let got = received
                    .first()
                    .and_then(|m| m.md5_of_body.clone())
                    .unwrap_or_default();
                tally.check(&format!("{case} on receive"), got == expected, || {
                    format!("got {got}, expected {expected}")
                });
                if let Some(handle) = received.first().and_then(|m| m.receipt_handle.clone()) {
                    delete(&sqs, &url, &handle).await;
                }
            }
        }
    }

    let attribute_vectors = data["message_attribute_vectors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (i, v) in attribute_vectors.iter().enumerate() {
        let expected = v["MD5OfMessageAttributes"].as_str().expect("digest");
        let case = format!(
            "attributes #{i} ({})",
            v["source"].as_str().unwrap_or("unnamed")
        );
        let mut request = sqs.send_message().queue_url(&url).message_body("md5");
        for (name, spec) in v["MessageAttributes"].as_object().expect("map") {
            request = request.message_attributes(name, attribute(spec));
        }
        match request.send().await {
            Err(e) => tally.check(&case, false, || describe(&e)),
            Ok(sent) => {
                let got = sent.md5_of_message_attributes.unwrap_or_default();
                tally.check(&format!("{case} on send"), got == expected, || {
                    format!("got {got}, expected {expected}")
                });
                let received = sqs
                    .receive_message()
                    .queue_url(&url)
                    .message_attribute_names("All")
                    .send()
                    .await
                    .ok()
                    .and_then(|o| o.messages)
                    .unwrap_or_default();
                let got = received
                    .first()
                    .and_then(|m| m.md5_of_message_attributes.clone())
                    .unwrap_or_default();
                tally.check(&format!("{case} on receive"), got == expected, || {
                    format!("got {got}, expected {expected}")
                });
                if let Some(handle) = received.first().and_then(|m| m.receipt_handle.clone()) {
                    delete(&sqs, &url, &handle).await;
                }
            }
        }
    }

    let system_vectors = data["system_attribute_vectors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (i, v) in system_vectors.iter().enumerate() {
        use aws_sdk_sqs::types::{MessageSystemAttributeNameForSends, MessageSystemAttributeValue};
        let Some(trace) = v["MessageSystemAttributes"]["AWSTraceHeader"]["StringValue"].as_str()
        else {
            continue;
        };
        let expected = v["MD5OfMessageSystemAttributes"]
            .as_str()
            .unwrap_or_default();
        let sent = sqs
            .send_message()
            .queue_url(&url)
            .message_body("md5")
            .message_system_attributes(
                MessageSystemAttributeNameForSends::AwsTraceHeader,
                MessageSystemAttributeValue::builder()
                    .data_type("String")
                    .string_value(trace)
                    .build()
                    .unwrap(),
            )
            .send()
            .await;
        let got = sent
            .ok()
            .and_then(|s| s.md5_of_message_system_attributes)
            .unwrap_or_default();
        tally.check(&format!("system attributes #{i}"), got == expected, || {
            format!("got {got}, expected {expected}")
        });
    }

    let floor = 2 * (body_vectors.len() + attribute_vectors.len());
    tally.finish("md5 vectors", floor);
}
