//! Delivery to SQS, observed through `aws-sdk-sqs`: the envelope, raw delivery with mapped
//! attributes, several queues, FIFO topics into FIFO queues, MessageStructure json, and the
//! RedrivePolicy dead-letter queue.

use crate::common::{self, start};
use crate::support::*;
use aws_sdk_sns::types::MessageAttributeValue;

#[tokio::test]
async fn a_queue_gets_the_json_envelope() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (url, arn) = queue(&sqs, "q").await;
    let sub = subscribe_queue(&sns, &topic, &arn, &[]).await;
    let id = sns
        .publish()
        .topic_arn(&topic)
        .message("hello")
        .subject("greeting")
        .message_attributes(
            "colour",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("red")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .message_id
        .unwrap();
    let got = receive_n(&sqs, &url, 1).await;
    assert_eq!(got.len(), 1);
    let body = got[0].body.clone().unwrap();
    let envelope = json(&body);
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["MessageId"], id.as_str());
    assert_eq!(envelope["TopicArn"], topic.as_str());
    assert_eq!(envelope["Subject"], "greeting");
    assert_eq!(envelope["Message"], "hello");
    assert_eq!(envelope["SignatureVersion"], "1");
    assert!(envelope["Signature"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert!(envelope["SigningCertURL"]
        .as_str()
        .unwrap()
        .ends_with(".pem"));
    let unsubscribe = envelope["UnsubscribeURL"].as_str().unwrap();
    assert!(unsubscribe.ends_with(&format!("?Action=Unsubscribe&SubscriptionArn={sub}")));
    assert_eq!(
        envelope["MessageAttributes"]["colour"],
        serde_json::json!({"Type": "String", "Value": "red"})
    );
    let timestamp = envelope["Timestamp"].as_str().unwrap();
    assert!(
        timestamp.ends_with('Z') && timestamp.len() == 24,
        "{timestamp}"
    );
    // Envelope mode sets no SQS message attributes.
    assert!(got[0].message_attributes.is_none());
}

#[tokio::test]
async fn raw_delivery_sends_the_message_with_its_attributes() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (url, arn) = queue(&sqs, "q").await;
    subscribe_queue(&sns, &topic, &arn, &[("RawMessageDelivery", "true")]).await;
    sns.publish()
        .topic_arn(&topic)
        .message("just this")
        .message_attributes(
            "n",
            MessageAttributeValue::builder()
                .data_type("Number")
                .string_value("42")
                .build()
                .unwrap(),
        )
        .message_attributes(
            "b",
            MessageAttributeValue::builder()
                .data_type("Binary")
                .binary_value(aws_sdk_sns::primitives::Blob::new(vec![1, 2, 3]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let got = receive_n(&sqs, &url, 1).await;
    assert_eq!(common::bodies(&got), vec!["just this"]);
    let attributes = got[0].message_attributes.clone().unwrap();
    assert_eq!(attributes["n"].data_type(), "Number");
    assert_eq!(attributes["n"].string_value(), Some("42"));
    assert_eq!(attributes["b"].data_type(), "Binary");
    assert_eq!(
        attributes["b"].binary_value().map(|b| b.as_ref().to_vec()),
        Some(vec![1, 2, 3])
    );
}

#[tokio::test]
async fn every_subscribed_queue_gets_each_message() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let mut urls = Vec::new();
    for i in 0..3 {
        let (url, arn) = queue(&sqs, &format!("q{i}")).await;
        subscribe_queue(&sns, &topic, &arn, &[("RawMessageDelivery", "true")]).await;
        urls.push(url);
    }
    for i in 0..5 {
        publish(&sns, &topic, &format!("m{i}")).await;
    }
    for url in &urls {
        let mut got = common::bodies(&receive_n(&sqs, url, 5).await);
        got.sort();
        assert_eq!(got, vec!["m0", "m1", "m2", "m3", "m4"], "{url}");
    }
}

#[tokio::test]
async fn unsubscribed_queues_get_nothing() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (url, arn) = queue(&sqs, "q").await;
    let sub = subscribe_queue(&sns, &topic, &arn, &[]).await;
    sns.unsubscribe()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap();
    publish(&sns, &topic, "nobody home").await;
    assert_empty(&sqs, &url).await;
}

#[tokio::test]
async fn a_fifo_topic_delivers_in_order_with_group_and_dedup_ids() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic_with(
        &sns,
        "t.fifo",
        &[("FifoTopic", "true"), ("ContentBasedDeduplication", "true")],
    )
    .await;
    let (url, arn) = queue(&sqs, "q.fifo").await;
    subscribe_queue(&sns, &topic, &arn, &[("RawMessageDelivery", "true")]).await;
    for i in 0..10 {
        sns.publish()
            .topic_arn(&topic)
            .message(format!("m{i}"))
            .message_group_id("g1")
            .send()
            .await
            .unwrap();
    }
    // The same content again is deduplicated (content-based dedup id carried to SQS).
    sns.publish()
        .topic_arn(&topic)
        .message("m0")
        .message_group_id("g1")
        .send()
        .await
        .unwrap();
    let got = receive_n(&sqs, &url, 10).await;
    let expected: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
    assert_eq!(common::bodies(&got), expected);
    assert_empty(&sqs, &url).await;
}

#[tokio::test]
async fn fifo_envelopes_carry_the_sequence_number() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic_with(&sns, "t.fifo", &[("FifoTopic", "true")]).await;
    let (url, arn) = queue(&sqs, "q.fifo").await;
    subscribe_queue(&sns, &topic, &arn, &[]).await;
    let out = sns
        .publish()
        .topic_arn(&topic)
        .message("x")
        .message_group_id("g")
        .message_deduplication_id("d")
        .send()
        .await
        .unwrap();
    let got = receive_n(&sqs, &url, 1).await;
    let envelope = json(got[0].body().unwrap_or(""));
    assert_eq!(
        envelope["SequenceNumber"],
        out.sequence_number.unwrap().as_str()
    );
}

#[tokio::test]
async fn message_structure_json_picks_the_sqs_text() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (raw_url, raw_arn) = queue(&sqs, "raw").await;
    let (env_url, env_arn) = queue(&sqs, "env").await;
    subscribe_queue(&sns, &topic, &raw_arn, &[("RawMessageDelivery", "true")]).await;
    subscribe_queue(&sns, &topic, &env_arn, &[]).await;
    sns.publish()
        .topic_arn(&topic)
        .message_structure("json")
        .message(r#"{"default":"for everyone","sqs":"for queues"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        common::bodies(&receive_n(&sqs, &raw_url, 1).await),
        vec!["for queues"]
    );
    let got = receive_n(&sqs, &env_url, 1).await;
    assert_eq!(json(got[0].body().unwrap_or(""))["Message"], "for queues");

    // Without an sqs key, queues get the default.
    sns.publish()
        .topic_arn(&topic)
        .message_structure("json")
        .message(r#"{"default":"fallback","email":"mail"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        common::bodies(&receive_n(&sqs, &raw_url, 1).await),
        vec!["fallback"]
    );
}

#[tokio::test]
async fn undeliverable_messages_go_to_the_redrive_dead_letter_queue() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (dlq_url, dlq_arn) = queue(&sqs, "dlq").await;
    let gone = common::queue_arn("never-created");
    let redrive = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}"}}"#);
    subscribe_queue(&sns, &topic, &gone, &[("RedrivePolicy", redrive.as_str())]).await;
    let id = publish(&sns, &topic, "lost").await;
    let got = receive_n(&sqs, &dlq_url, 1).await;
    assert_eq!(got.len(), 1);
    let envelope = json(got[0].body().unwrap_or(""));
    assert_eq!(envelope["MessageId"], id.as_str());
    assert_eq!(envelope["Message"], "lost");
}

#[tokio::test]
async fn publish_batch_fans_out_every_successful_entry() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (url, arn) = queue(&sqs, "q").await;
    subscribe_queue(&sns, &topic, &arn, &[("RawMessageDelivery", "true")]).await;
    let mut request = sns.publish_batch().topic_arn(&topic);
    for i in 0..10 {
        request = request.publish_batch_request_entries(
            aws_sdk_sns::types::PublishBatchRequestEntry::builder()
                .id(format!("e{i}"))
                .message(format!("m{i}"))
                .build()
                .unwrap(),
        );
    }
    let out = request.send().await.unwrap();
    assert_eq!(out.successful().len(), 10);
    let mut got = common::bodies(&receive_n(&sqs, &url, 10).await);
    got.sort();
    let mut expected: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
    expected.sort();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn the_unsubscribe_url_in_an_envelope_works() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (url, arn) = queue(&sqs, "q").await;
    subscribe_queue(&sns, &topic, &arn, &[]).await;
    publish(&sns, &topic, "x").await;
    let got = receive_n(&sqs, &url, 1).await;
    let unsubscribe = json(got[0].body().unwrap_or(""))["UnsubscribeURL"]
        .as_str()
        .unwrap()
        .to_string();
    let response = reqwest::get(&unsubscribe).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(sns
        .list_subscriptions()
        .send()
        .await
        .unwrap()
        .subscriptions()
        .is_empty());
}

#[tokio::test]
async fn fifo_notifications_carry_a_sequence_number_and_no_signature() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let fifo_topic = create_topic_with(&sns, "t.fifo", &[("FifoTopic", "true")]).await;
    let (fifo_url, fifo_arn) = queue(&sqs, "q.fifo").await;
    subscribe_queue(&sns, &fifo_topic, &fifo_arn, &[]).await;
    sns.publish()
        .topic_arn(&fifo_topic)
        .message("x")
        .message_group_id("g")
        .message_deduplication_id("d")
        .send()
        .await
        .unwrap();
    let got = receive_n(&sqs, &fifo_url, 1).await;
    let envelope = json(got[0].body().unwrap_or(""));
    assert!(envelope["SequenceNumber"].is_string(), "{envelope}");
    for absent in ["Signature", "SignatureVersion", "SigningCertURL"] {
        assert!(envelope.get(absent).is_none(), "{absent} in {envelope}");
    }

    let standard_topic = create_topic(&sns, "t").await;
    let (url, arn) = queue(&sqs, "q").await;
    subscribe_queue(&sns, &standard_topic, &arn, &[]).await;
    publish(&sns, &standard_topic, "y").await;
    let got = receive_n(&sqs, &url, 1).await;
    let envelope = json(got[0].body().unwrap_or(""));
    assert!(envelope.get("SequenceNumber").is_none(), "{envelope}");
    for present in ["Signature", "SignatureVersion", "SigningCertURL"] {
        assert!(
            envelope[present].is_string(),
            "{present} missing in {envelope}"
        );
    }
}

#[tokio::test]
async fn a_group_id_published_to_a_standard_topic_reaches_standard_queues_as_message_group_id() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (url, arn) = queue(&sqs, "q").await;
    subscribe_queue(&sns, &topic, &arn, &[]).await;
    sns.publish()
        .topic_arn(&topic)
        .message("x")
        .message_group_id("tenant-1")
        .send()
        .await
        .unwrap();
    let got = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(2)
        .message_system_attribute_names(
            aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId,
        )
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(got.len(), 1);
    let attributes = got[0].attributes.clone().unwrap_or_default();
    assert_eq!(
        attributes
            .get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId)
            .map(String::as_str),
        Some("tenant-1")
    );
}

#[tokio::test]
async fn the_publishers_trace_header_reaches_sqs_subscribers_as_aws_trace_header() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    let topic = create_topic(&sns, "t").await;
    let (url, arn) = queue(&sqs, "q").await;
    subscribe_queue(&sns, &topic, &arn, &[]).await;
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    sns.publish()
        .topic_arn(&topic)
        .message("traced")
        .customize()
        .mutate_request(move |request| {
            request.headers_mut().insert("X-Amzn-Trace-Id", trace);
        })
        .send()
        .await
        .unwrap();
    let got = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(2)
        .message_system_attribute_names(
            aws_sdk_sqs::types::MessageSystemAttributeName::AwsTraceHeader,
        )
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(got.len(), 1);
    let attributes = got[0].attributes.clone().unwrap_or_default();
    assert_eq!(
        attributes
            .get(&aws_sdk_sqs::types::MessageSystemAttributeName::AwsTraceHeader)
            .map(String::as_str),
        Some(trace)
    );
}

/// Verifies `signature` (base64) over `text` with the certificate at `cert_url`, using the
/// `openssl` command line: a verifier that shares no code with stepyard.
async fn openssl_verifies(cert_url: &str, text: &str, signature: &str, digest: &str) -> bool {
    use base64::Engine;
    let cert = reqwest::get(cert_url)
        .await
        .unwrap_or_else(|e| panic!("GET {cert_url}: {e}"));
    assert_eq!(cert.status(), 200, "{cert_url}");
    let pem = cert.text().await.unwrap();
    let dir = std::env::temp_dir().join(format!("stepyard-sns-sig-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path, data_path, sig_path) = (
        dir.join("cert.pem"),
        dir.join("pub.pem"),
        dir.join("data"),
        dir.join("sig"),
    );
    std::fs::write(&cert_path, pem).unwrap();
    std::fs::write(&data_path, text).unwrap();
    std::fs::write(
        &sig_path,
        base64::engine::general_purpose::STANDARD
            .decode(signature)
            .expect("Signature is base64"),
    )
    .unwrap();
    let pubkey = std::process::Command::new("openssl")
        .args(["x509", "-pubkey", "-noout", "-in"])
        .arg(&cert_path)
        .output()
        .expect("the openssl command line is installed");
    assert!(
        pubkey.status.success(),
        "the certificate parses: {pubkey:?}"
    );
    std::fs::write(&key_path, &pubkey.stdout).unwrap();
    let verify = std::process::Command::new("openssl")
        .args(["dgst", digest, "-verify"])
        .arg(&key_path)
        .arg("-signature")
        .arg(&sig_path)
        .arg(&data_path)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    verify.status.success()
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}-{nanos}", std::process::id())
}

/// AWS's string to sign for a Notification.
fn string_to_sign(envelope: &serde_json::Value) -> String {
    let mut text = String::new();
    for key in [
        "Message",
        "MessageId",
        "Subject",
        "Timestamp",
        "TopicArn",
        "Type",
    ] {
        if let Some(value) = envelope[key].as_str() {
            text.push_str(&format!("{key}\n{value}\n"));
        }
    }
    text
}

#[tokio::test]
async fn notifications_are_signed_with_the_certificate_at_the_signing_cert_url() {
    let server = start().await;
    let (sns, sqs) = (sns(&server), common::sqs(&server));
    for (name, version, digest) in [("v1", "1", "-sha1"), ("v2", "2", "-sha256")] {
        let topic = create_topic_with(&sns, name, &[("SignatureVersion", version)]).await;
        let (url, arn) = queue(&sqs, name).await;
        subscribe_queue(&sns, &topic, &arn, &[]).await;
        sns.publish()
            .topic_arn(&topic)
            .subject("greeting")
            .message("hello, signed world")
            .send()
            .await
            .unwrap();
        let got = receive_n(&sqs, &url, 1).await;
        let envelope = json(got[0].body().unwrap_or(""));
        assert_eq!(envelope["SignatureVersion"], version, "{envelope}");
        let cert_url = envelope["SigningCertURL"].as_str().expect("SigningCertURL");
        let signature = envelope["Signature"].as_str().expect("Signature");
        let text = string_to_sign(&envelope);
        assert!(
            openssl_verifies(cert_url, &text, signature, digest).await,
            "signature v{version} does not verify: {envelope}"
        );
        let tampered = text.replace("hello", "jello");
        assert!(
            !openssl_verifies(cert_url, &tampered, signature, digest).await,
            "a changed message must not verify"
        );
    }
}
