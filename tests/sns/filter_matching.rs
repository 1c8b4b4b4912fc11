//! Conformance: `conformance/sns/filter_policy_matching_localstack_unit.json` replayed over
//! HTTP. Each case gets its own topic with two queues: one subscribed with the case's filter
//! policy (in its scope), one unfiltered that tells when the publish has been delivered. The
//! filtered queue must then hold the message exactly when the case expects a match.
//!
//! The cases are LocalStack's own expectations, not AWS recordings: four of them use a policy
//! (`{"filter": "type1"}`) that AWS refuses at Subscribe; those are reported as failures
//! and the floor counts the rest.

use crate::common::{self, start};
use crate::support::*;
use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::types::MessageAttributeValue;
use serde_json::Value;
use std::path::PathBuf;

const FLOOR: usize = 112;

fn conformance_file() -> Option<PathBuf> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/conformance/sns/filter_policy_matching_localstack_unit.json"
    ));
    if path.exists() {
        Some(path)
    } else {
        common::conformance::absent("sns filter policy matching", &path);
        None
    }
}

fn attribute(a: &Value) -> MessageAttributeValue {
    let data_type = a["Type"].as_str().unwrap_or("String");
    let value = match &a["Value"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .expect("attribute")
}

#[tokio::test]
async fn localstack_filter_policy_matching_over_sns() {
    let Some(path) = conformance_file() else {
        return;
    };
    let data = common::read_json(&path);
    let server = start().await;
    let sns = sns(&server);
    let sqs = common::sqs(&server);
    let mut passed = 0;
    let mut failed = Vec::new();
    for (i, case) in data["cases"].as_array().expect("cases").iter().enumerate() {
        let id = case["id"].as_str().unwrap_or("?");
        let want = case["expected_match"].as_bool().unwrap_or(false);
        let topic = create_topic(&sns, &format!("t{i}")).await;
        let (filtered, filtered_arn) = queue(&sqs, &format!("filtered{i}")).await;
        let (control, control_arn) = queue(&sqs, &format!("control{i}")).await;
        subscribe_queue(&sns, &topic, &control_arn, &[]).await;
        let policy = case["FilterPolicy"].to_string();
        let body = case.get("MessageBody");
        let scope = if body.is_some() {
            "MessageBody"
        } else {
            "MessageAttributes"
        };
        let subscribed = sns
            .subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(&filtered_arn)
            .attributes("FilterPolicy", &policy)
            .attributes("FilterPolicyScope", scope)
            .attributes("RawMessageDelivery", "true")
            .send()
            .await;
        if let Err(e) = subscribed {
            let message = e
                .message()
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            failed.push(format!("{id}: Subscribe refused the policy: {message}"));
            continue;
        }
        let mut publish = sns.publish().topic_arn(&topic);
        publish = match body {
            Some(body) => publish.message(body.to_string()),
            None => publish.message("attributes case"),
        };
        if let Some(attrs) = case["MessageAttributes_sns_format"].as_object() {
            for (name, a) in attrs {
                publish = publish.message_attributes(name, attribute(a));
            }
        }
        if let Err(e) = publish.send().await {
            failed.push(format!("{id}: Publish failed: {}", common::describe(&e)));
            continue;
        }
        // Fan-out delivers to every subscription together: once the unfiltered copy is in,
        // the filtered one is in too, if it is coming at all.
        assert_eq!(
            receive_n(&sqs, &control, 1).await.len(),
            1,
            "{id}: control copy"
        );
        let got = !common::receive(&sqs, &filtered, 10).await.is_empty();
        if got == want {
            passed += 1;
        } else {
            failed.push(format!("{id}: matched {got}, expected {want}"));
        }
    }
    println!(
        "filter_policy_matching_localstack_unit.json over SNS: {passed} passed, {} failed",
        failed.len()
    );
    for f in &failed {
        println!("  FAILED {f}");
    }
    common::conformance::checked("sns filter policy matching", passed + failed.len());
    assert!(passed >= FLOOR, "{passed} passed, floor {FLOOR}");
}
