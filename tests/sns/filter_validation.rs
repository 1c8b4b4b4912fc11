//! Conformance: `conformance/sns/filter_policy_validation_aws_recorded.json` replayed over
//! HTTP. Each policy is given to Subscribe (as a subscription attribute) or to
//! SetSubscriptionAttributes, in its scope; refused ones must fail with the recorded code,
//! status and first message line (the rest of AWS's message is a parser trace), accepted ones
//! must succeed.

use crate::common::{self, start, Tally};
use crate::support::*;
use std::path::PathBuf;

fn conformance_file() -> Option<PathBuf> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/conformance/sns/filter_policy_validation_aws_recorded.json"
    ));
    if path.exists() {
        Some(path)
    } else {
        common::conformance::absent("sns filter policy validation", &path);
        None
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[tokio::test]
async fn recorded_filter_policy_validation() {
    let Some(path) = conformance_file() else {
        return;
    };
    let data = common::read_json(&path);
    let server = start().await;
    let sns = sns(&server);
    let topic = create_topic(&sns, "t").await;
    let mut tally = Tally::default();
    for (i, case) in data["cases"].as_array().unwrap().iter().enumerate() {
        let id = case["id"].as_str().unwrap_or("");
        let name = format!("#{i} {id}");
        let policy = case["FilterPolicy"].to_string();
        let body_scope = case["FilterPolicyScope"]
            .as_str()
            .is_some_and(|s| s.contains("MessageBody"));
        let via_set = case["api"]
            .as_str()
            .is_some_and(|a| a.starts_with("SetSubscriptionAttributes"));
        let queue = common::queue_arn(&format!("q{i}"));
        let outcome = if via_set {
            let sub = subscribe_queue(&sns, &topic, &queue, &[]).await;
            if body_scope {
                sns.set_subscription_attributes()
                    .subscription_arn(&sub)
                    .attribute_name("FilterPolicyScope")
                    .attribute_value("MessageBody")
                    .send()
                    .await
                    .unwrap();
            }
            sns.set_subscription_attributes()
                .subscription_arn(&sub)
                .attribute_name("FilterPolicy")
                .attribute_value(&policy)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| expect_err::<(), _>(Err(e)))
        } else {
            let mut request = sns
                .subscribe()
                .topic_arn(&topic)
                .protocol("sqs")
                .endpoint(&queue)
                .attributes("FilterPolicy", &policy);
            if body_scope {
                request = request.attributes("FilterPolicyScope", "MessageBody");
            }
            request
                .send()
                .await
                .map(|_| ())
                .map_err(|e| expect_err::<(), _>(Err(e)))
        };
        let expected = &case["expected"];
        match (&expected["error"], outcome) {
            (serde_json::Value::Null, Ok(())) => tally.check(&name, true, String::new),
            (serde_json::Value::Null, Err(e)) => tally.check(&name, false, || {
                format!("refused a policy AWS accepts: {e:?}")
            }),
            (_, Ok(())) => tally.check(&name, false, || format!("accepted {policy}")),
            (error, Err(got)) => {
                let want_message = first_line(error["Message"].as_str().unwrap_or(""));
                let ok = got.code == error["Code"].as_str().unwrap_or("")
                    && u64::from(got.status) == error["HTTPStatusCode"].as_u64().unwrap_or(0)
                    && first_line(&got.message) == want_message;
                tally.check(&name, ok, || {
                    format!("policy {policy}: got {got:?}, want {want_message:?}")
                });
            }
        }
    }
    tally.finish("SNS filter policy validation", 51);
}
