//! The EventBridge client for tests, and helpers shared by the modules.

use crate::common::{self, Failure};
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, Target};
use std::time::Duration;
use stepyard::RunningServer;

pub use crate::common::{eb, eb_in};

/// The code, message and status of a call that had to fail.
pub fn failed<T: std::fmt::Debug, E>(
    result: Result<
        T,
        aws_sdk_eventbridge::error::SdkError<E, aws_sdk_eventbridge::config::http::HttpResponse>,
    >,
) -> Failure
where
    E: aws_sdk_eventbridge::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(output) => panic!("expected an error, got success: {output:?}"),
        Err(aws_sdk_eventbridge::error::SdkError::ServiceError(service)) => Failure {
            code: service.err().code().unwrap_or("<none>").to_string(),
            message: service.err().message().unwrap_or("<none>").to_string(),
            status: service.raw().status().as_u16(),
        },
        Err(other) => Failure {
            code: "<transport>".into(),
            message: common::describe(&other),
            status: 0,
        },
    }
}

pub fn bus_arn(name: &str) -> String {
    format!(
        "arn:aws:events:{}:{}:event-bus/{name}",
        common::REGION,
        common::ACCOUNT
    )
}

pub fn rule_arn(name: &str) -> String {
    format!(
        "arn:aws:events:{}:{}:rule/{name}",
        common::REGION,
        common::ACCOUNT
    )
}

/// An entry with source `app`, detail-type `thing`, and `detail`.
pub fn entry(detail: &str) -> PutEventsRequestEntry {
    PutEventsRequestEntry::builder()
        .source("app")
        .detail_type("thing")
        .detail(detail)
        .build()
}

/// Puts a rule on the default bus with `pattern`.
pub async fn put_rule(client: &aws_sdk_eventbridge::Client, name: &str, pattern: &str) -> String {
    client
        .put_rule()
        .name(name)
        .event_pattern(pattern)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutRule {name}: {}", common::describe(&e)))
        .rule_arn
        .expect("PutRule returns a RuleArn")
}

/// Adds targets to a rule on the default bus, asserting none failed.
pub async fn put_targets(client: &aws_sdk_eventbridge::Client, rule: &str, targets: Vec<Target>) {
    let out = client
        .put_targets()
        .rule(rule)
        .set_targets(Some(targets))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutTargets {rule}: {}", common::describe(&e)));
    assert_eq!(out.failed_entry_count, 0, "{out:?}");
}

pub fn target(id: &str, arn: &str) -> Target {
    Target::builder()
        .id(id)
        .arn(arn)
        .build()
        .expect("a target with id and arn")
}

/// Puts entries, asserting none failed; returns the event ids.
pub async fn put_events(
    client: &aws_sdk_eventbridge::Client,
    entries: Vec<PutEventsRequestEntry>,
) -> Vec<String> {
    let out = client
        .put_events()
        .set_entries(Some(entries))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutEvents: {}", common::describe(&e)));
    assert_eq!(out.failed_entry_count, 0, "{out:?}");
    out.entries
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.event_id.expect("an accepted entry has an EventId"))
        .collect()
}

/// A queue that receives the events of a new rule matching `pattern`: (queue URL, rule ARN).
pub async fn queue_rule(server: &RunningServer, rule: &str, pattern: &str) -> (String, String) {
    let sqs = common::sqs(server);
    let client = eb(server);
    let queue = common::create_queue(&sqs, &format!("{rule}-q")).await;
    let arn = put_rule(&client, rule, pattern).await;
    put_targets(
        &client,
        rule,
        vec![target("q", &common::queue_arn(&format!("{rule}-q")))],
    )
    .await;
    (queue, arn)
}

/// Long-polls until `n` messages arrived (or 5 s passed) and returns them, deleted.
pub async fn receive_n(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    n: usize,
) -> Vec<aws_sdk_sqs::types::Message> {
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while got.len() < n && std::time::Instant::now() < deadline {
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap_or_else(|e| panic!("ReceiveMessage: {}", common::describe(&e)));
        for m in out.messages.unwrap_or_default() {
            common::delete(sqs, queue_url, m.receipt_handle().unwrap_or_default()).await;
            got.push(m);
        }
    }
    got
}

/// Asserts nothing arrives within a short wait.
pub async fn assert_nothing_arrives(sqs: &aws_sdk_sqs::Client, queue_url: &str) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    let got = common::receive(sqs, queue_url, 10).await;
    assert!(
        got.is_empty(),
        "unexpected messages: {:?}",
        common::bodies(&got)
    );
}

pub fn json_body(m: &aws_sdk_sqs::types::Message) -> serde_json::Value {
    serde_json::from_str(m.body().unwrap_or_default())
        .unwrap_or_else(|e| panic!("body {:?} is not JSON: {e}", m.body()))
}

/// A Step Functions client for `server` in us-east-1 (state machine targets).
pub fn sfn(server: &RunningServer) -> aws_sdk_sfn::Client {
    aws_sdk_sfn::Client::from_conf(
        aws_sdk_sfn::Config::builder()
            .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
            .region(aws_sdk_sfn::config::Region::new(common::REGION))
            .endpoint_url(server.endpoint())
            .credentials_provider(aws_sdk_sfn::config::Credentials::new(
                "test", "test", None, None, "stepyard",
            ))
            .build(),
    )
}
