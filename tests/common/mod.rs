//! Shared by the integration-test targets: start a stepyard server on 127.0.0.1:0, point the
//! real `aws-sdk-sqs` (or a raw HTTP client) at it, and read the conformance data.
//!
//! Every test starts its own server (a few milliseconds), so tests never share state and can
//! move the server's clock without disturbing each other.
#![allow(dead_code)]

/// The conformance corpora and the run's report of them (shared with the engine crates).
pub use conformance_report as conformance;

use aws_sdk_sqs::config::retry::RetryConfig;
use aws_sdk_sqs::config::timeout::TimeoutConfig;
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region, StalledStreamProtectionConfig};
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use stepyard::{Config, RunningServer, Server};

pub const ACCOUNT: &str = "000000000000";
pub const REGION: &str = "us-east-1";

/// A server on a free loopback port, with its own state and clock.
pub async fn start() -> RunningServer {
    Server::start(Config::ephemeral())
        .await
        .expect("the test server binds 127.0.0.1:0")
}

/// An SQS client for `server` in us-east-1.
pub fn sqs(server: &RunningServer) -> aws_sdk_sqs::Client {
    sqs_in(server, REGION)
}

/// An EventBridge client for `server` in us-east-1.
pub fn eb(server: &RunningServer) -> aws_sdk_eventbridge::Client {
    eb_in(server, REGION)
}

/// A client signing for `region`; retries off so errors are seen as sent.
pub fn eb_in(server: &RunningServer, region: &str) -> aws_sdk_eventbridge::Client {
    let config = aws_sdk_eventbridge::Config::builder()
        .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
        .region(aws_sdk_eventbridge::config::Region::new(region.to_string()))
        .endpoint_url(server.endpoint())
        .credentials_provider(aws_sdk_eventbridge::config::Credentials::new(
            "test", "test", None, None, "stepyard",
        ))
        .retry_config(aws_sdk_eventbridge::config::retry::RetryConfig::disabled())
        .stalled_stream_protection(
            aws_sdk_eventbridge::config::StalledStreamProtectionConfig::disabled(),
        )
        .timeout_config(
            aws_sdk_eventbridge::config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .build();
    aws_sdk_eventbridge::Client::from_conf(config)
}

/// An SNS client for `server` in us-east-1.
pub fn sns(server: &RunningServer) -> aws_sdk_sns::Client {
    sns_in(server, REGION)
}

/// An SNS client signing for `region`, retries off, as the SQS one below.
pub fn sns_in(server: &RunningServer, region: &str) -> aws_sdk_sns::Client {
    let config = aws_sdk_sns::Config::builder()
        .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
        .region(aws_sdk_sns::config::Region::new(region.to_string()))
        .endpoint_url(server.endpoint())
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "stepyard-tests",
        ))
        .retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled())
        .stalled_stream_protection(aws_sdk_sns::config::StalledStreamProtectionConfig::disabled())
        .timeout_config(
            aws_sdk_sns::config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .build();
    aws_sdk_sns::Client::from_conf(config)
}

/// An SQS client for `server` signing for `region`: the credential scope picks the region.
/// Retries are off so an error is seen exactly as the server sent it; the operation timeout
/// turns a server hang into a test failure instead of a stuck suite.
pub fn sqs_in(server: &RunningServer, region: &str) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(server.endpoint())
        .credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "stepyard-tests",
        ))
        .retry_config(RetryConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// Creates a queue and returns its URL.
pub async fn create_queue(client: &aws_sdk_sqs::Client, name: &str) -> String {
    create_queue_with(client, name, &[]).await
}

/// Creates a queue with attributes (`("VisibilityTimeout", "5")`, ...) and returns its URL.
pub async fn create_queue_with(
    client: &aws_sdk_sqs::Client,
    name: &str,
    attributes: &[(&str, &str)],
) -> String {
    let mut request = client.create_queue().queue_name(name);
    for (key, value) in attributes {
        request = request.attributes(QueueAttributeName::from(*key), *value);
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateQueue {name} {attributes:?}: {}", describe(&e)))
        .queue_url
        .expect("CreateQueue returns a QueueUrl")
}

/// Creates a FIFO queue (`name` must end in `.fifo`) with extra attributes.
pub async fn create_fifo_queue(
    client: &aws_sdk_sqs::Client,
    name: &str,
    attributes: &[(&str, &str)],
) -> String {
    let mut all = vec![("FifoQueue", "true")];
    all.extend_from_slice(attributes);
    create_queue_with(client, name, &all).await
}

/// `arn:aws:sqs:us-east-1:000000000000:<name>`
pub fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")
}

/// All queue attributes, as a map of attribute name to value.
pub async fn queue_attributes(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
) -> HashMap<String, String> {
    named_queue_attributes(client, queue_url, &["All"]).await
}

pub async fn named_queue_attributes(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
    names: &[&str],
) -> HashMap<String, String> {
    let mut request = client.get_queue_attributes().queue_url(queue_url);
    for name in names {
        request = request.attribute_names(QueueAttributeName::from(*name));
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetQueueAttributes {names:?}: {}", describe(&e)))
        .attributes
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.as_str().to_string(), v))
        .collect()
}

/// One queue attribute's value (panics with the full map when it is missing).
pub async fn queue_attribute(client: &aws_sdk_sqs::Client, queue_url: &str, name: &str) -> String {
    let attributes = named_queue_attributes(client, queue_url, &[name]).await;
    attributes
        .get(name)
        .cloned()
        .unwrap_or_else(|| panic!("attribute {name} missing from {attributes:?}"))
}

/// (visible, in flight, delayed): the three approximate counts.
pub async fn counts(client: &aws_sdk_sqs::Client, queue_url: &str) -> (u64, u64, u64) {
    let a = named_queue_attributes(
        client,
        queue_url,
        &[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )
    .await;
    let n = |k: &str| -> u64 {
        a.get(k)
            .unwrap_or_else(|| panic!("{k} missing from {a:?}"))
            .parse()
            .unwrap_or_else(|_| panic!("{k} is not a number in {a:?}"))
    };
    (
        n("ApproximateNumberOfMessages"),
        n("ApproximateNumberOfMessagesNotVisible"),
        n("ApproximateNumberOfMessagesDelayed"),
    )
}

/// Sends a plain message and returns its MessageId.
pub async fn send(client: &aws_sdk_sqs::Client, queue_url: &str, body: &str) -> String {
    client
        .send_message()
        .queue_url(queue_url)
        .message_body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("SendMessage {body:?}: {}", describe(&e)))
        .message_id
        .expect("SendMessage returns a MessageId")
}

/// Sends to a FIFO queue with a group and a deduplication id.
pub async fn send_fifo(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
    body: &str,
    group: &str,
    dedup: &str,
) -> aws_sdk_sqs::operation::send_message::SendMessageOutput {
    client
        .send_message()
        .queue_url(queue_url)
        .message_body(body)
        .message_group_id(group)
        .message_deduplication_id(dedup)
        .send()
        .await
        .unwrap_or_else(|e| panic!("SendMessage {body:?} to group {group}: {}", describe(&e)))
}

/// One ReceiveMessage call without waiting: up to `max` messages.
pub async fn receive(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
    max: i32,
) -> Vec<aws_sdk_sqs::types::Message> {
    client
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(max)
        .wait_time_seconds(0)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ReceiveMessage: {}", describe(&e)))
        .messages
        .unwrap_or_default()
}

/// The bodies of messages, in order.
pub fn bodies(messages: &[aws_sdk_sqs::types::Message]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m.body.clone().unwrap_or_default())
        .collect()
}

pub async fn delete(client: &aws_sdk_sqs::Client, queue_url: &str, receipt_handle: &str) {
    client
        .delete_message()
        .queue_url(queue_url)
        .receipt_handle(receipt_handle)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteMessage: {}", describe(&e)));
}

/// What a client sees of a service error: the code, the message and the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub status: u16,
}

/// Turns an SDK error into what the caller sees. A transport failure (connection reset,
/// timeout, unparseable response) is a `Failure` with code `<transport>` so that assertions
/// on the code fail with a readable message instead of a panic inside the helper.
pub fn failure<E>(error: &SdkError<E, aws_sdk_sqs::config::http::HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error {
        SdkError::ServiceError(service) => Failure {
            code: service.err().code().unwrap_or("<none>").to_string(),
            message: service.err().message().unwrap_or("<none>").to_string(),
            status: service.raw().status().as_u16(),
        },
        other => Failure {
            code: "<transport>".into(),
            message: describe(other),
            status: other
                .raw_response()
                .map(|r| r.status().as_u16())
                .unwrap_or(0),
        },
    }
}

/// Unwraps the error of a call that had to fail.
pub fn expect_failure<T: std::fmt::Debug, E>(
    result: Result<T, SdkError<E, aws_sdk_sqs::config::http::HttpResponse>>,
) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(output) => panic!("expected an error, got success: {output:?}"),
        Err(e) => failure(&e),
    }
}

/// Like `expect_failure`, but a success is reported as a `Failure` with code `<succeeded>`
/// instead of a panic, for conformance loops that tally every case.
pub fn outcome<T: std::fmt::Debug, E>(
    result: Result<T, SdkError<E, aws_sdk_sqs::config::http::HttpResponse>>,
) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(output) => Failure {
            code: "<succeeded>".into(),
            message: format!("{output:?}"),
            status: 200,
        },
        Err(e) => failure(&e),
    }
}

/// The full error chain, for panic messages.
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    aws_sdk_sqs::error::DisplayErrorContext(error).to_string()
}

/// `../shared/conformance/sqs/<file>`, or `None` when it is absent (recorded as a skipped
/// suite; a failure under CI, see `conformance`).
pub fn conformance_file(file: &str) -> Option<PathBuf> {
    conformance::corpus(&format!("sqs/{file}"), &format!("sqs/{file}"))
}

pub fn read_json(path: &PathBuf) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Counts conformance cases and reports every failure at the end rather than stopping at the
/// first, so one run shows the whole picture.
#[derive(Debug, Default)]
pub struct Tally {
    pub passed: usize,
    pub failed: Vec<String>,
}

impl Tally {
    pub fn check(&mut self, case: &str, ok: bool, detail: impl FnOnce() -> String) {
        if ok {
            self.passed += 1;
        } else {
            self.failed.push(format!("{case}: {}", detail()));
        }
    }

    /// Prints `N passed, M failed` and the failures, then asserts at least `floor` passed
    /// and nothing failed.
    pub fn finish(self, what: &str, floor: usize) {
        conformance::checked(what, self.passed + self.failed.len());
        println!(
            "{what}: {} passed, {} failed",
            self.passed,
            self.failed.len()
        );
        for failure in &self.failed {
            println!("  FAILED {failure}");
        }
        assert!(
            self.failed.is_empty() && self.passed >= floor,
            "{what}: {} passed (floor {floor}), {} failed:\n{}",
            self.passed,
            self.failed.len(),
            self.failed.join("\n")
        );
    }
}

/// The `Authorization` header a SigV4-signing client would send for `service` in `region`
/// (the server reads the scope and does not verify the signature).
pub fn sigv4_header(region: &str, service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=test/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"
    )
}
