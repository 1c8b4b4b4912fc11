//! Conformance: the envelopes in `conformance/sns/notification_envelopes_aws_recorded.json`,
//! reproduced through stepyard. Envelopes delivered to SQS must have the recorded keys in the
//! recorded order; HTTP ones (recorded with sorted keys) the recorded key set; confirmation
//! messages the recorded text. Lambda event records are not produced by stepyard (no Lambda)
//! and are counted as skipped.

use crate::common::{self, start, Tally};
use crate::http_endpoints::scripted;
use crate::support::*;
use aws_sdk_sns::types::MessageAttributeValue;
use serde_json::Value;
use std::path::PathBuf;

fn conformance_file() -> Option<PathBuf> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/conformance/sns/notification_envelopes_aws_recorded.json"
    ));
    if path.exists() {
        Some(path)
    } else {
        common::conformance::absent("sns notification envelopes", &path);
        None
    }
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn sorted(mut k: Vec<String>) -> Vec<String> {
    k.sort();
    k
}

/// Replaces `<resource:1>`-style placeholders of ARNs in a recorded text with real values.
fn fill(text: &str, topic: &str, subscription: &str) -> String {
    let placeholder_topic = "arn:<partition>:sns:<region>:111111111111:<resource:1>";
    let sub_suffix = subscription.rsplit(':').next().unwrap_or("");
    text.replace(
        &format!("{placeholder_topic}:<resource:2>"),
        &format!("{topic}:{sub_suffix}"),
    )
    .replace(placeholder_topic, topic)
}

#[tokio::test]
async fn recorded_envelopes() {
    let Some(path) = conformance_file() else {
        return;
    };
    let data = common::read_json(&path);
    let mut tally = Tally::default();
    let mut skipped = 0;
    for (i, example) in data["examples"].as_array().unwrap().iter().enumerate() {
        let recorded = &example["envelope"];
        let source = example["source"].as_str().unwrap_or("");
        let case = format!("#{i} {source}");
        if recorded.get("SigningCertUrl").is_some() || recorded["Message"].is_object() {
            skipped += 1;
            continue;
        }
        let kind = recorded["Type"].as_str().unwrap_or("");
        let http = source.contains("Http");
        let server = start().await;
        let (sns, sqs) = (sns(&server), common::sqs(&server));
        let topic = create_topic(&sns, "t").await;
        if !http {
            let (url, arn) = queue(&sqs, "q").await;
            subscribe_queue(&sns, &topic, &arn, &[]).await;
            let mut request = sns
                .publish()
                .topic_arn(&topic)
                .message(recorded["Message"].as_str().unwrap_or("m"));
            if let Some(subject) = recorded["Subject"].as_str() {
                request = request.subject(subject);
            }
            if let Some(attributes) = recorded["MessageAttributes"].as_object() {
                for (name, a) in attributes {
                    request = request.message_attributes(
                        name,
                        MessageAttributeValue::builder()
                            .data_type(a["Type"].as_str().unwrap_or("String"))
                            .string_value(a["Value"].as_str().unwrap_or(""))
                            .build()
                            .unwrap(),
                    );
                }
            }
            request.send().await.unwrap();
            let got = receive_n(&sqs, &url, 1).await;
            let ours = json(got[0].body().unwrap_or(""));
            tally.check(&case, keys(&ours) == keys(recorded), || {
                format!("keys {:?}, recorded {:?}", keys(&ours), keys(recorded))
            });
            continue;
        }
        let mut hook = scripted(vec![], 200).await;
        sns.subscribe()
            .topic_arn(&topic)
            .protocol("http")
            .endpoint(&hook.url)
            .send()
            .await
            .unwrap();
        let confirmation = json(&hook.next().await.body);
        let token = confirmation["Token"].as_str().unwrap().to_string();
        let sub = sns
            .confirm_subscription()
            .topic_arn(&topic)
            .token(&token)
            .send()
            .await
            .unwrap()
            .subscription_arn
            .unwrap();
        let ours = match kind {
            "SubscriptionConfirmation" => confirmation,
            "UnsubscribeConfirmation" => {
                sns.unsubscribe()
                    .subscription_arn(&sub)
                    .send()
                    .await
                    .unwrap();
                json(&hook.next().await.body)
            }
            _ => {
                publish(&sns, &topic, recorded["Message"].as_str().unwrap_or("m")).await;
                json(&hook.next().await.body)
            }
        };
        let same_keys = sorted(keys(&ours)) == sorted(keys(recorded));
        let expected_message = fill(recorded["Message"].as_str().unwrap_or(""), &topic, &sub);
        let same_message = ours["Message"].as_str() == Some(expected_message.as_str());
        tally.check(&case, same_keys && same_message, || {
            format!(
                "keys {:?} vs {:?}; message {:?} vs {expected_message:?}",
                sorted(keys(&ours)),
                sorted(keys(recorded)),
                ours["Message"]
            )
        });
    }
    println!("envelope conformance: {skipped} skipped (Lambda event records)");
    tally.finish("SNS notification envelopes", 6);
}
