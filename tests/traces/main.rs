//! One trace per flow, read back over `/_stepyard/traces`, with the real AWS SDKs driving the
//! flows: the client's X-Ray header is the trace, messages delivered by a rule, a
//! subscription or a task carry it as AWSTraceHeader, a rule that did not fire says which
//! field of its pattern failed, failed deliveries show their attempts and dead letter, and
//! the OTLP export decodes with the protocol's own definitions (`otlp.rs`).

#[path = "../common/mod.rs"]
mod common;

mod otlp;

use aws_sdk_eventbridge::types::{DeadLetterConfig, PutEventsRequestEntry, Target};
use common::*;
use serde_json::{json, Value};
use std::time::Duration;
use stepyard::RunningServer;

const HEADER: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
const TRACE_ID: &str = "1-5759e988-bd862e3fe1be46a994272793";

async fn admin(server: &RunningServer, path: &str) -> Value {
    let response = reqwest::get(format!("{}{path}", server.endpoint()))
        .await
        .expect("admin endpoint answers");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("JSON")
}

/// The trace's spans once it has `at_least` of them (deliveries are asynchronous).
async fn spans_of(server: &RunningServer, trace_id: &str, at_least: usize) -> Vec<Value> {
    let mut last = Vec::new();
    for _ in 0..100 {
        let response = reqwest::get(format!("{}/_stepyard/traces/{trace_id}", server.endpoint()))
            .await
            .expect("trace endpoint answers");
        if response.status().is_success() {
            let trace: Value = response.json().await.expect("JSON");
            last = trace["spans"].as_array().cloned().unwrap_or_default();
            if last.len() >= at_least {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("trace {trace_id} has fewer than {at_least} spans: {last:#?}");
}

fn named<'a>(spans: &'a [Value], service: &str, name: &str) -> Vec<&'a Value> {
    spans
        .iter()
        .filter(|s| s["service"] == service && s["name"] == name)
        .collect()
}

async fn put_event(eb: &aws_sdk_eventbridge::Client, detail: Value, header: Option<&'static str>) {
    let request = eb.put_events().entries(
        PutEventsRequestEntry::builder()
            .source("shop")
            .detail_type("OrderPlaced")
            .detail(detail.to_string())
            .build(),
    );
    let out = match header {
        Some(h) => {
            request
                .customize()
                .mutate_request(move |r| {
                    r.headers_mut().insert("X-Amzn-Trace-Id", h);
                })
                .send()
                .await
        }
        None => request.send().await,
    }
    .expect("PutEvents");
    assert_eq!(out.failed_entry_count, 0);
}

async fn rule_to(eb: &aws_sdk_eventbridge::Client, name: &str, pattern: &str, target: Target) {
    eb.put_rule()
        .name(name)
        .event_pattern(pattern)
        .send()
        .await
        .expect("PutRule");
    eb.put_targets()
        .rule(name)
        .targets(target)
        .send()
        .await
        .expect("PutTargets");
}

fn sqs_target(id: &str, queue: &str) -> Target {
    Target::builder()
        .id(id)
        .arn(queue_arn(queue))
        .build()
        .expect("target")
}

#[tokio::test]
async fn the_clients_x_ray_header_is_the_trace_and_a_rule_delivered_message_carries_it() {
    let server = start().await;
    let (sqs, eb) = (sqs(&server), eb(&server));
    let url = create_queue(&sqs, "orders").await;
    rule_to(
        &eb,
        "orders",
        r#"{"source": ["shop"]}"#,
        sqs_target("q", "orders"),
    )
    .await;
    put_event(&eb, json!({"orderId": "o-1"}), Some(HEADER)).await;

    let received = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(
            aws_sdk_sqs::types::MessageSystemAttributeName::AwsTraceHeader,
        )
        .wait_time_seconds(5)
        .send()
        .await
        .expect("ReceiveMessage");
    let message = &received.messages()[0];
    let header = message
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::AwsTraceHeader))
        .expect("the message delivered by the rule carries AWSTraceHeader");
    assert!(header.starts_with(&format!("Root={TRACE_ID}")), "{header}");

    let spans = spans_of(&server, TRACE_ID, 5).await;
    let put = named(&spans, "events", "PutEvents")[0];
    // The client's Parent is the parent of the first span.
    assert_eq!(put["parentSpanId"], "53995c3f42cd8ad8");
    assert_eq!(
        put["resource"],
        "arn:aws:events:us-east-1:000000000000:event-bus/default"
    );
    let send = named(&spans, "sqs", "SendMessage")[0];
    assert_eq!(send["resource"], queue_arn("orders"));
    assert_eq!(
        send["attributes"]["MessageId"],
        message.message_id().unwrap()
    );
    // The consumer's receive joined the producer's trace.
    let receive = named(&spans, "sqs", "ReceiveMessage");
    assert_eq!(receive.len(), 1, "{spans:#?}");
    assert_eq!(
        receive[0]["attributes"]["messageId"],
        message.message_id().unwrap()
    );
    assert_ne!(receive[0]["attributes"]["receiveRequestTraceId"], TRACE_ID);

    let listed = admin(&server, "/_stepyard/traces?service=sqs").await;
    let ids: Vec<&str> = listed["traces"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["traceId"].as_str())
        .collect();
    assert!(ids.contains(&TRACE_ID), "{listed}");
    let by_queue = admin(
        &server,
        &format!("/_stepyard/traces?resource={}", queue_arn("orders")),
    )
    .await;
    let summary = by_queue["traces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["traceId"] == TRACE_ID)
        .expect("the trace is found by its queue's ARN")
        .clone();
    assert_eq!(summary["status"], "ok");
    let services: Vec<&str> = summary["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        services.contains(&"events") && services.contains(&"sqs"),
        "{summary}"
    );
    assert!(summary["spanCount"].as_u64().unwrap() >= 5);
    let none = admin(&server, "/_stepyard/traces?service=sns").await;
    assert!(none["traces"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["traceId"] != TRACE_ID));
}

#[tokio::test]
async fn a_rule_that_did_not_fire_names_the_failing_field_in_the_putevents_trace() {
    let server = start().await;
    let (sqs, eb) = (sqs(&server), eb(&server));
    create_queue(&sqs, "big-orders").await;
    create_queue(&sqs, "all-orders").await;
    rule_to(
        &eb,
        "big-orders",
        r#"{"source": ["shop"], "detail": {"amount": [{"numeric": [">", 100]}]}}"#,
        sqs_target("q", "big-orders"),
    )
    .await;
    rule_to(
        &eb,
        "all-orders",
        r#"{"source": ["shop"]}"#,
        sqs_target("q", "all-orders"),
    )
    .await;
    put_event(&eb, json!({"orderId": "o-2", "amount": 5}), Some(HEADER)).await;

    let spans = spans_of(&server, TRACE_ID, 4).await;
    let rules = named(&spans, "events", "EvaluateRule");
    assert_eq!(rules.len(), 2, "{spans:#?}");
    let big = rules
        .iter()
        .find(|s| s["attributes"]["rule"] == "big-orders")
        .expect("the non-matching rule was evaluated");
    assert_eq!(
        big["resource"],
        "arn:aws:events:us-east-1:000000000000:rule/big-orders"
    );
    assert_eq!(big["attributes"]["matched"], false);
    assert_eq!(big["attributes"]["failedField"], "detail.amount");
    let reason = big["attributes"]["reason"].as_str().unwrap();
    assert!(reason.contains('5'), "{reason}");
    let all = rules
        .iter()
        .find(|s| s["attributes"]["rule"] == "all-orders")
        .unwrap();
    assert_eq!(all["attributes"]["matched"], true);
    // Only the matching rule delivered.
    let sends = named(&spans, "sqs", "SendMessage");
    assert!(
        sends
            .iter()
            .all(|s| s["resource"] == queue_arn("all-orders")),
        "{spans:#?}"
    );
}

#[tokio::test]
async fn each_events_trace_explains_its_rules_as_they_were_when_it_was_evaluated() {
    let server = start().await;
    let (sqs, eb) = (sqs(&server), eb(&server));
    create_queue(&sqs, "big-orders").await;
    let big = r#"{"source": ["shop"], "detail": {"amount": [{"numeric": [">", 100]}]}}"#;
    rule_to(&eb, "big-orders", big, sqs_target("q", "big-orders")).await;
    const FIRST: &str =
        "Root=1-5759e988-bd862e3fe1be46a994272701;Parent=53995c3f42cd8ad8;Sampled=1";
    const SECOND: &str =
        "Root=1-5759e988-bd862e3fe1be46a994272702;Parent=53995c3f42cd8ad8;Sampled=1";
    const THIRD: &str =
        "Root=1-5759e988-bd862e3fe1be46a994272703;Parent=53995c3f42cd8ad8;Sampled=1";
    put_event(&eb, json!({"amount": 5}), Some(FIRST)).await;
    // Disabled: the next event's trace says so, the first one's still names the pattern.
    eb.disable_rule()
        .name("big-orders")
        .send()
        .await
        .expect("DisableRule");
    put_event(&eb, json!({"amount": 5}), Some(SECOND)).await;
    // Enabled again with a pattern the event matches: the rule fires, and its delivery is a
    // child of its EvaluateRule span.
    eb.put_rule()
        .name("big-orders")
        .event_pattern(r#"{"source": ["shop"], "detail": {"amount": [{"numeric": [">", 1]}]}}"#)
        .send()
        .await
        .expect("PutRule");
    put_event(&eb, json!({"amount": 5}), Some(THIRD)).await;

    let rule_span = |spans: &[Value]| -> Value {
        let rules = named(spans, "events", "EvaluateRule");
        assert_eq!(rules.len(), 1, "{spans:#?}");
        rules[0].clone()
    };
    let first = rule_span(&spans_of(&server, "1-5759e988-bd862e3fe1be46a994272701", 2).await);
    assert_eq!(first["attributes"]["matched"], false);
    assert_eq!(first["attributes"]["failedField"], "detail.amount");
    let second = rule_span(&spans_of(&server, "1-5759e988-bd862e3fe1be46a994272702", 2).await);
    assert_eq!(second["attributes"]["matched"], false);
    assert_eq!(second["attributes"]["failedField"], "State");
    assert_eq!(second["attributes"]["reason"], "the rule is DISABLED");

    let third_spans = spans_of(&server, "1-5759e988-bd862e3fe1be46a994272703", 4).await;
    let third = rule_span(&third_spans);
    assert_eq!(third["attributes"]["matched"], true);
    assert_eq!(third["attributes"]["targets"], 1);
    let put = named(&third_spans, "events", "PutEvents")[0];
    assert_eq!(third["parentSpanId"], put["spanId"]);
    let deliver = named(&third_spans, "events", "Deliver");
    assert_eq!(deliver.len(), 1, "{third_spans:#?}");
    assert_eq!(deliver[0]["parentSpanId"], third["spanId"]);
    assert_eq!(deliver[0]["attributes"]["result"], "delivered");
}

#[tokio::test]
async fn a_failed_delivery_shows_its_attempt_and_dead_letter() {
    let server = start().await;
    let (sqs, eb) = (sqs(&server), eb(&server));
    let dlq = create_queue(&sqs, "events-dlq").await;
    let target = Target::builder()
        .id("gone")
        .arn(queue_arn("no-such-queue"))
        .dead_letter_config(
            DeadLetterConfig::builder()
                .arn(queue_arn("events-dlq"))
                .build(),
        )
        .build()
        .unwrap();
    rule_to(&eb, "to-nowhere", r#"{"source": ["shop"]}"#, target).await;
    put_event(&eb, json!({"orderId": "o-3"}), Some(HEADER)).await;

    let received = sqs
        .receive_message()
        .queue_url(&dlq)
        .wait_time_seconds(5)
        .send()
        .await
        .unwrap();
    assert_eq!(received.messages().len(), 1);

    let spans = spans_of(&server, TRACE_ID, 6).await;
    let attempts = named(&spans, "events", "Deliver");
    assert_eq!(attempts.len(), 1, "{spans:#?}");
    assert_eq!(attempts[0]["status"], "error");
    assert_eq!(attempts[0]["attributes"]["errorCode"], "RESOURCE_NOT_FOUND");
    assert_eq!(attempts[0]["attributes"]["retryable"], false);
    let dead = named(&spans, "events", "DeadLetter");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["resource"], queue_arn("events-dlq"));
    assert_eq!(
        dead[0]["attributes"]["result"],
        "sent to the dead-letter queue"
    );
    // The dead letter's SendMessage is a child of the DeadLetter span.
    let to_dlq = named(&spans, "sqs", "SendMessage")
        .into_iter()
        .find(|s| s["resource"] == queue_arn("events-dlq"))
        .expect("the DLQ send is in the trace");
    assert_eq!(to_dlq["parentSpanId"], dead[0]["spanId"]);
    let summary = admin(&server, "/_stepyard/traces").await;
    let this = summary["traces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["traceId"] == TRACE_ID)
        .unwrap()
        .clone();
    assert_eq!(this["status"], "error");
}

#[tokio::test]
async fn a_subscription_delivery_and_a_rejecting_filter_policy_naming_the_failed_attribute_are_spans_of_the_publish(
) {
    let server = start().await;
    let (sqs, sns) = (sqs(&server), sns(&server));
    let url = create_queue(&sqs, "eu-orders").await;
    create_queue(&sqs, "us-orders").await;
    let topic = sns
        .create_topic()
        .name("orders")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    for (queue, region) in [("eu-orders", "eu"), ("us-orders", "us")] {
        sns.subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(queue_arn(queue))
            .attributes("FilterPolicy", json!({"region": [region]}).to_string())
            .send()
            .await
            .unwrap();
    }
    sns.publish()
        .topic_arn(&topic)
        .message("hello")
        .message_attributes(
            "region",
            aws_sdk_sns::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value("eu")
                .build()
                .unwrap(),
        )
        .customize()
        .mutate_request(|r| {
            r.headers_mut().insert("X-Amzn-Trace-Id", HEADER);
        })
        .send()
        .await
        .unwrap();
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(
            aws_sdk_sqs::types::MessageSystemAttributeName::AwsTraceHeader,
        )
        .wait_time_seconds(5)
        .send()
        .await
        .unwrap();
    let header = received.messages()[0]
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::AwsTraceHeader))
        .expect("AWSTraceHeader on the subscription's message")
        .clone();
    assert!(header.starts_with(&format!("Root={TRACE_ID}")), "{header}");

    let spans = spans_of(&server, TRACE_ID, 5).await;
    let delivered = named(&spans, "sns", "Deliver");
    assert_eq!(delivered.len(), 1, "{spans:#?}");
    assert_eq!(
        delivered[0]["attributes"]["endpoint"],
        queue_arn("eu-orders")
    );
    assert_eq!(delivered[0]["attributes"]["result"], "delivered");
    let rejected = named(&spans, "sns", "FilterPolicy");
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        rejected[0]["attributes"]["endpoint"],
        queue_arn("us-orders")
    );
    assert_eq!(rejected[0]["attributes"]["delivered"], false);
    assert!(rejected[0]["attributes"]["filterPolicy"]
        .as_str()
        .unwrap()
        .contains("us"));
    // It names the attribute that failed, and why.
    assert_eq!(rejected[0]["attributes"]["failedField"], "region");
    let reason = rejected[0]["attributes"]["reason"].as_str().unwrap();
    assert!(reason.contains("eu"), "{reason}");
}

#[tokio::test]
async fn with_the_trace_buffer_off_nothing_is_recorded() {
    let server = stepyard::Server::start(stepyard::Config {
        trace_buffer: 0,
        ..stepyard::Config::ephemeral()
    })
    .await
    .unwrap();
    let sqs = sqs(&server);
    let url = create_queue(&sqs, "quiet").await;
    send(&sqs, &url, "hello").await;
    let listed = admin(&server, "/_stepyard/traces").await;
    assert_eq!(listed["traces"], json!([]));
}

/// An HTTP endpoint that answers every request 500 (an API destination that is down).
async fn failing_endpoint() -> String {
    use hyper::service::service_fn;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|_request: hyper::Request<hyper::body::Incoming>| async {
                    let mut response = hyper::Response::new(http_body_util::Full::new(
                        bytes::Bytes::from_static(b"down"),
                    ));
                    *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                    Ok::<_, std::convert::Infallible>(response)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    base
}

#[tokio::test]
async fn a_retried_delivery_shows_each_attempt_then_the_dead_letter() {
    use aws_sdk_eventbridge::types::{
        ApiDestinationHttpMethod, ConnectionAuthorizationType,
        CreateConnectionApiKeyAuthRequestParameters, CreateConnectionAuthRequestParameters,
        RetryPolicy,
    };
    let server = start().await;
    let (sqs, eb) = (sqs(&server), eb(&server));
    let dlq = create_queue(&sqs, "hook-dlq").await;
    let base = failing_endpoint().await;
    let connection = eb
        .create_connection()
        .name("c")
        .authorization_type(ConnectionAuthorizationType::ApiKey)
        .auth_parameters(
            CreateConnectionAuthRequestParameters::builder()
                .api_key_auth_parameters(
                    CreateConnectionApiKeyAuthRequestParameters::builder()
                        .api_key_name("x-api-key")
                        .api_key_value("k")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap()
        .connection_arn
        .unwrap();
    let destination = eb
        .create_api_destination()
        .name("hook")
        .connection_arn(&connection)
        .invocation_endpoint(format!("{base}/hook"))
        .http_method(ApiDestinationHttpMethod::Post)
        .send()
        .await
        .unwrap()
        .api_destination_arn
        .unwrap();
    let target = Target::builder()
        .id("hook")
        .arn(&destination)
        .role_arn("arn:aws:iam::000000000000:role/r")
        .retry_policy(RetryPolicy::builder().maximum_retry_attempts(1).build())
        .dead_letter_config(
            DeadLetterConfig::builder()
                .arn(queue_arn("hook-dlq"))
                .build(),
        )
        .build()
        .unwrap();
    rule_to(&eb, "hook", r#"{"source": ["shop"]}"#, target).await;
    put_event(&eb, json!({"orderId": "o-4"}), Some(HEADER)).await;

    // The second attempt comes a second after the first, then the dead letter.
    let received = sqs
        .receive_message()
        .queue_url(&dlq)
        .wait_time_seconds(10)
        .send()
        .await
        .unwrap();
    assert_eq!(received.messages().len(), 1);
    let spans = spans_of(&server, TRACE_ID, 6).await;
    let attempts = named(&spans, "events", "Deliver");
    assert_eq!(attempts.len(), 2, "{spans:#?}");
    assert_eq!(attempts[0]["attributes"]["attempt"], 1);
    assert_eq!(attempts[0]["attributes"]["result"], "retry");
    assert_eq!(attempts[0]["attributes"]["retryable"], true);
    assert_eq!(attempts[1]["attributes"]["attempt"], 2);
    assert_eq!(
        attempts[1]["attributes"]["result"],
        "dead-letter (MaximumRetryAttempts reached)"
    );
    for attempt in &attempts {
        assert_eq!(attempt["status"], "error");
        assert_eq!(attempt["resource"], destination.as_str());
    }
    let dead = named(&spans, "events", "DeadLetter");
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0]["attributes"]["exhaustedRetryCondition"],
        "MaximumRetryAttempts"
    );
    assert_eq!(dead[0]["resource"], queue_arn("hook-dlq"));
}

fn sfn(server: &RunningServer) -> aws_sdk_sfn::Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
        .region(aws_sdk_sfn::config::Region::new(REGION))
        .endpoint_url(server.endpoint())
        .credentials_provider(aws_sdk_sfn::config::Credentials::new(
            "test", "test", None, None, "stepyard",
        ))
        .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sfn::Client::from_conf(config)
}

#[tokio::test]
async fn a_tasks_message_under_its_state_and_a_failed_state_are_in_the_executions_trace() {
    let server = start().await;
    let (sqs, sfn) = (sqs(&server), sfn(&server));
    let url = create_queue(&sqs, "work").await;
    let definition = json!({
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": url, "MessageBody.$": "$"},
                "Next": "Boom"
            },
            "Boom": {"Type": "Fail", "Error": "Order.Rejected", "Cause": "out of stock"}
        }
    });
    let machine = sfn
        .create_state_machine()
        .name("tasks")
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::000000000000:role/r")
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let execution = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .input(r#"{"orderId": "o-5"}"#)
        .customize()
        .mutate_request(|r| {
            r.headers_mut().insert("X-Amzn-Trace-Id", HEADER);
        })
        .send()
        .await
        .unwrap()
        .execution_arn;
    let described = sfn
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    assert_eq!(described.trace_header(), Some(HEADER));

    let received = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(
            aws_sdk_sqs::types::MessageSystemAttributeName::AwsTraceHeader,
        )
        .wait_time_seconds(5)
        .send()
        .await
        .unwrap();
    let header = received.messages()[0]
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::AwsTraceHeader))
        .expect("the task's message carries AWSTraceHeader")
        .clone();
    assert!(
        header.starts_with(&format!("Root={TRACE_ID};Parent=")),
        "{header}"
    );

    let mut spans = Vec::new();
    for _ in 0..100 {
        spans = spans_of(&server, TRACE_ID, 3).await;
        if !named(&spans, "states", "Execution").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let run = named(&spans, "states", "Execution");
    assert_eq!(run.len(), 1, "{spans:#?}");
    assert_eq!(run[0]["resource"], execution.as_str());
    assert_eq!(run[0]["status"], "error");
    assert_eq!(run[0]["attributes"]["error"], "Order.Rejected");
    // The task's call hangs under the state that made it, the state under the execution.
    let send_state = named(&spans, "states", "State Send");
    assert_eq!(send_state.len(), 1, "{spans:#?}");
    assert_eq!(send_state[0]["parentSpanId"], run[0]["spanId"]);
    let send = named(&spans, "sqs", "SendMessage")[0];
    assert_eq!(send["parentSpanId"], send_state[0]["spanId"]);
    // The message's header names the span that sent it.
    assert!(
        header.ends_with(&format!(
            "Parent={};Sampled=1",
            send["spanId"].as_str().unwrap()
        )),
        "{header}"
    );
    let boom = named(&spans, "states", "State Boom");
    assert_eq!(boom.len(), 1);
    assert_eq!(boom[0]["attributes"]["error"], "Order.Rejected");
    assert_eq!(boom[0]["attributes"]["cause"], "out of stock");
    let sent = named(&spans, "states", "State Send");
    assert!(sent[0]["attributes"]["output"]
        .as_str()
        .unwrap()
        .contains("MessageId"));
}

#[tokio::test]
async fn express_and_sync_executions_have_state_spans_with_task_calls_and_branches_under_their_states(
) {
    let server = start().await;
    let (sqs, sfn) = (sqs(&server), sfn(&server));
    let url = create_queue(&sqs, "express-work").await;
    let definition = json!({
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Result": {"orderId": "o-9"}, "Next": "Send"},
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": url, "MessageBody.$": "$.orderId"},
                "ResultPath": null,
                "Next": "Fan"
            },
            "Fan": {
                "Type": "Parallel",
                "Branches": [{
                    "StartAt": "Inner",
                    "States": {"Inner": {"Type": "Pass", "Result": "in a branch", "End": true}}
                }],
                "Next": "Check"
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$[0]", "StringEquals": "in a branch", "Next": "Done"}],
                "Default": "Boom"
            },
            "Done": {"Type": "Succeed"},
            "Boom": {"Type": "Fail", "Error": "Order.Rejected", "Cause": "out of stock"}
        }
    });
    let machine = sfn
        .create_state_machine()
        .name("express-flow")
        .r#type(aws_sdk_sfn::types::StateMachineType::Express)
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::000000000000:role/r")
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let result = run_sync(&sfn, &machine, "{}", TRACE_ID).await;

    let spans = spans_of(&server, TRACE_ID, 8).await;
    let state = |name: &str| -> Value {
        let found = named(&spans, "states", &format!("State {name}"));
        assert_eq!(found.len(), 1, "State {name}: {spans:#?}");
        found[0].clone()
    };
    let run = named(&spans, "states", "Execution");
    assert_eq!(run.len(), 1, "{spans:#?}");
    assert_eq!(run[0]["resource"], result.execution_arn.as_str());
    let prepare = state("Prepare");
    assert_eq!(prepare["parentSpanId"], run[0]["spanId"]);
    assert_eq!(prepare["resource"], result.execution_arn.as_str());
    assert_eq!(prepare["attributes"]["type"], "Pass");
    assert_eq!(prepare["attributes"]["input"], "{}");
    assert_eq!(prepare["attributes"]["output"], r#"{"orderId":"o-9"}"#);
    let send_state = state("Send");
    assert_eq!(send_state["parentSpanId"], run[0]["spanId"]);
    let send = named(&spans, "sqs", "SendMessage");
    assert_eq!(send.len(), 1, "{spans:#?}");
    assert_eq!(send[0]["parentSpanId"], send_state["spanId"]);
    // A branch's states are children of the Parallel state that ran them.
    let fan = state("Fan");
    assert_eq!(fan["attributes"]["type"], "Parallel");
    let inner = state("Inner");
    assert_eq!(inner["parentSpanId"], fan["spanId"]);
    assert_eq!(inner["attributes"]["output"], r#""in a branch""#);
    assert_eq!(state("Check")["attributes"]["type"], "Choice");
    assert_eq!(state("Done")["status"], "ok");

    // An Express execution started asynchronously that fails: its failing state says why.
    const FAILING: &str =
        "Root=1-5759e988-bd862e3fe1be46a9942727ff;Parent=53995c3f42cd8ad8;Sampled=1";
    let failing = json!({
        "StartAt": "Boom",
        "States": {"Boom": {"Type": "Fail", "Error": "Order.Rejected", "Cause": "out of stock"}}
    });
    let machine = sfn
        .create_state_machine()
        .name("express-fails")
        .r#type(aws_sdk_sfn::types::StateMachineType::Express)
        .definition(failing.to_string())
        .role_arn("arn:aws:iam::000000000000:role/r")
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    sfn.start_execution()
        .state_machine_arn(&machine)
        .customize()
        .mutate_request(|r| {
            r.headers_mut().insert("X-Amzn-Trace-Id", FAILING);
        })
        .send()
        .await
        .expect("StartExecution");
    let spans = spans_of(&server, "1-5759e988-bd862e3fe1be46a9942727ff", 3).await;
    let boom = named(&spans, "states", "State Boom");
    assert_eq!(boom.len(), 1, "{spans:#?}");
    assert_eq!(boom[0]["status"], "error");
    assert_eq!(boom[0]["attributes"]["error"], "Order.Rejected");
    assert_eq!(boom[0]["attributes"]["cause"], "out of stock");
}

#[tokio::test]
async fn a_redriven_execution_continues_the_trace_of_its_first_run() {
    let server = start().await;
    let sfn = sfn(&server);
    // Fails on its first run (no choice matches), succeeds once redriven.
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{
            "Condition": "{% $states.context.Execution.RedriveCount = 1 %}", "Next": "Done"}]},
        "Done": {"Type": "Succeed"}}});
    let machine = sfn
        .create_state_machine()
        .name("redriven")
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::000000000000:role/r")
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let execution = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .customize()
        .mutate_request(|r| {
            r.headers_mut().insert("X-Amzn-Trace-Id", HEADER);
        })
        .send()
        .await
        .unwrap()
        .execution_arn;
    let status = |sfn: aws_sdk_sfn::Client, execution: String| async move {
        for _ in 0..100 {
            let d = sfn
                .describe_execution()
                .execution_arn(&execution)
                .send()
                .await
                .unwrap();
            if d.status != aws_sdk_sfn::types::ExecutionStatus::Running {
                return d.status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{execution} still running");
    };
    assert_eq!(
        status(sfn.clone(), execution.clone()).await,
        aws_sdk_sfn::types::ExecutionStatus::Failed
    );
    // The redrive request carries no X-Ray header of its own: its run still joins the trace
    // the execution started in.
    sfn.redrive_execution()
        .execution_arn(&execution)
        .send()
        .await
        .expect("RedriveExecution");
    assert_eq!(
        status(sfn.clone(), execution.clone()).await,
        aws_sdk_sfn::types::ExecutionStatus::Succeeded
    );
    let mut spans = Vec::new();
    for _ in 0..100 {
        spans = spans_of(&server, TRACE_ID, 3).await;
        if named(&spans, "states", "Execution").len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let runs = named(&spans, "states", "Execution");
    assert_eq!(runs.len(), 2, "{spans:#?}");
    assert!(runs.iter().all(|r| r["resource"] == execution.as_str()));
    let statuses: Vec<&Value> = runs.iter().map(|r| &r["attributes"]["status"]).collect();
    assert!(statuses.contains(&&json!("FAILED")), "{statuses:?}");
    assert!(statuses.contains(&&json!("SUCCEEDED")), "{statuses:?}");
    // The redriven run's states are in the trace too.
    assert_eq!(named(&spans, "states", "State Done").len(), 1, "{spans:#?}");
}

#[tokio::test]
async fn a_putevents_trace_reads_the_same_each_time_with_its_event_id_message_ids_and_every_rules_verdict(
) {
    let server = start().await;
    let (sqs, eb) = (sqs(&server), eb(&server));
    let url = create_queue(&sqs, "sink").await;
    // Two rules that match around one that does not: the record keeps the verdicts of the
    // matched ones only, every other rule reads as evaluated and refused.
    rule_to(
        &eb,
        "a-first",
        r#"{"source": ["shop"]}"#,
        sqs_target("q1", "sink"),
    )
    .await;
    rule_to(
        &eb,
        "b-other",
        r#"{"source": ["warehouse"]}"#,
        sqs_target("q", "sink"),
    )
    .await;
    let big = r#"{"source": ["shop"], "detail": {"amount": [{"numeric": [">", 1]}]}}"#;
    rule_to(&eb, "c-big", big, sqs_target("q2", "sink")).await;
    let out = eb
        .put_events()
        .entries(
            PutEventsRequestEntry::builder()
                .source("shop")
                .detail_type("OrderPlaced")
                .detail(json!({"amount": 5}).to_string())
                .build(),
        )
        .customize()
        .mutate_request(|r| {
            r.headers_mut().insert("X-Amzn-Trace-Id", HEADER);
        })
        .send()
        .await
        .expect("PutEvents");
    let event_id = out.entries()[0]
        .event_id()
        .expect("an event id")
        .to_string();

    // PutEvents, three rules, two deliveries and their two SendMessage calls.
    let spans = spans_of(&server, TRACE_ID, 8).await;
    let put = named(&spans, "events", "PutEvents");
    assert_eq!(put[0]["attributes"]["eventIds"], json!([event_id]));
    assert_eq!(
        put[0]["resource"],
        format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default")
    );

    let rules = named(&spans, "events", "EvaluateRule");
    let verdict = |name: &str| -> &Value {
        rules
            .iter()
            .find(|r| r["attributes"]["rule"] == name)
            .unwrap_or_else(|| panic!("no EvaluateRule span for {name}: {spans:#?}"))
    };
    assert_eq!(rules.len(), 3, "{spans:#?}");
    assert_eq!(verdict("a-first")["attributes"]["matched"], true);
    assert_eq!(verdict("c-big")["attributes"]["matched"], true);
    let other = verdict("b-other");
    assert_eq!(other["attributes"]["matched"], false);
    assert_eq!(other["attributes"]["failedField"], "source");
    assert_eq!(
        other["resource"],
        format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/b-other")
    );
    assert_eq!(other["attributes"]["eventId"], event_id);

    let mut delivered: Vec<(String, String)> = named(&spans, "events", "Deliver")
        .iter()
        .map(|d| {
            assert_eq!(d["resource"], queue_arn("sink"), "{d:#}");
            assert_eq!(d["attributes"]["result"], "delivered", "{d:#}");
            assert_eq!(d["attributes"]["attempt"], 1, "{d:#}");
            assert_eq!(d["status"], "ok", "{d:#}");
            (
                d["attributes"]["rule"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                d["attributes"]["targetId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    delivered.sort();
    assert_eq!(
        delivered,
        [
            ("a-first".into(), "q1".into()),
            ("c-big".into(), "q2".into())
        ]
    );

    // The SendMessage spans name the ids the messages are received with.
    let received = receive(&sqs, &url, 10).await;
    let mut ids: Vec<String> = received
        .iter()
        .filter_map(|m| m.message_id().map(str::to_string))
        .collect();
    ids.sort();
    let mut sent: Vec<String> = named(&spans, "sqs", "SendMessage")
        .iter()
        .map(|s| {
            s["attributes"]["MessageId"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    sent.sort();
    assert_eq!(sent, ids);

    // Worked out again on each read, the spans (their ids included) come out the same.
    let again = spans_of(&server, TRACE_ID, 8).await;
    let by_id = |spans: &[Value]| -> Vec<Value> {
        let mut spans: Vec<Value> = spans
            .iter()
            .filter(|s| s["service"] == "events")
            .cloned()
            .collect();
        spans.sort_by_key(|s| s["spanId"].to_string());
        spans
    };
    assert_eq!(by_id(&again), by_id(&spans));
}

#[tokio::test]
async fn a_received_and_deleted_message_names_the_consumers_own_traces_which_hold_its_calls() {
    let server = start().await;
    let (sqs, eb) = (sqs(&server), eb(&server));
    let url = create_queue(&sqs, "consumed").await;
    rule_to(
        &eb,
        "consumed",
        r#"{"source": ["shop"]}"#,
        sqs_target("q", "consumed"),
    )
    .await;
    put_event(&eb, json!({"orderId": "o-2"}), Some(HEADER)).await;
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(5)
        .send()
        .await
        .expect("ReceiveMessage");
    let message = &received.messages()[0];
    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(message.receipt_handle().expect("a receipt handle"))
        .send()
        .await
        .expect("DeleteMessage");

    // PutEvents, its rule, the delivery, SendMessage, then the receipt and the delete.
    let spans = spans_of(&server, TRACE_ID, 6).await;
    let receive = named(&spans, "sqs", "ReceiveMessage");
    let delete = named(&spans, "sqs", "DeleteMessage");
    assert_eq!((receive.len(), delete.len()), (1, 1), "{spans:#?}");
    let (receive, delete) = (&receive[0]["attributes"], &delete[0]["attributes"]);
    assert_eq!(receive["messageId"], message.message_id().unwrap());
    assert_eq!(delete["messageId"], message.message_id().unwrap());
    assert_eq!(receive["receiveCount"], 1);
    assert_eq!(
        named(&spans, "sqs", "DeleteMessage")[0]["resource"],
        queue_arn("consumed")
    );
    assert!(
        uuid::Uuid::parse_str(receive["receiveRequestId"].as_str().unwrap_or_default()).is_ok(),
        "{receive}"
    );
    // Each names the trace of the consumer's own call, which holds that call's span.
    for (attributes, member, call) in [
        (receive, "receiveRequestTraceId", "ReceiveMessage"),
        (delete, "deleteRequestTraceId", "DeleteMessage"),
    ] {
        let own = attributes[member].as_str().unwrap_or_default();
        assert!(
            own.starts_with("1-") && own.len() == 35,
            "{member}: {attributes}"
        );
        assert_ne!(own, TRACE_ID);
        let own_spans = spans_of(&server, own, 1).await;
        let calls = named(&own_spans, "sqs", call);
        assert_eq!(calls.len(), 1, "{own_spans:#?}");
        assert_eq!(calls[0]["resource"], queue_arn("consumed"));
    }
}

/// StartSyncExecution of `machine` on `input`, in the trace `root` (`1-...-...`); it succeeds.
async fn run_sync(
    sfn: &aws_sdk_sfn::Client,
    machine: &str,
    input: &str,
    root: &str,
) -> aws_sdk_sfn::operation::start_sync_execution::StartSyncExecutionOutput {
    let header = format!("Root={root};Parent=53995c3f42cd8ad8;Sampled=1");
    let result = sfn
        .start_sync_execution()
        .state_machine_arn(machine)
        .input(input)
        .customize()
        .mutate_request(move |r| {
            // The SDK's `sync-` host prefix does not resolve here; the server ignores hosts.
            let uri = r.uri().replacen("://sync-", "://", 1);
            r.set_uri(uri.as_str()).expect("a URI");
            r.headers_mut().insert("X-Amzn-Trace-Id", header.clone());
        })
        .send()
        .await
        .expect("StartSyncExecution");
    assert_eq!(
        result.status,
        aws_sdk_sfn::types::SyncExecutionStatus::Succeeded
    );
    result
}

async fn express_passes(sfn: &aws_sdk_sfn::Client, name: &str, states: usize) -> String {
    let mut all = serde_json::Map::new();
    for i in 0..states {
        let mut state = json!({"Type": "Pass"});
        match i + 1 == states {
            true => state["End"] = json!(true),
            false => state["Next"] = json!(format!("P{}", i + 1)),
        }
        all.insert(format!("P{i}"), state);
    }
    sfn.create_state_machine()
        .name(name)
        .r#type(aws_sdk_sfn::types::StateMachineType::Express)
        .definition(json!({"StartAt": "P0", "States": all}).to_string())
        .role_arn("arn:aws:iam::000000000000:role/r")
        .send()
        .await
        .unwrap()
        .state_machine_arn
}

#[tokio::test]
async fn the_trace_buffer_keeps_to_its_bytes_letting_the_oldest_traces_go_first() {
    // 4 MiB in all: traces of about 160 KB (three states passing 20 KB on, and the
    // execution's input and output) fit a few dozen at most, well under the count of 1,000.
    let server = stepyard::Server::start(stepyard::Config {
        trace_buffer_bytes: 4 << 20,
        ..stepyard::Config::ephemeral()
    })
    .await
    .unwrap();
    let sfn = sfn(&server);
    let machine = express_passes(&sfn, "passes", 3).await;
    let input = json!({"blob": "x".repeat(20_000)}).to_string();
    let roots: Vec<String> = (0..120)
        .map(|i| format!("1-5759e988-bd862e3fe1be46a99427{i:04x}"))
        .collect();
    for root in &roots {
        run_sync(&sfn, &machine, &input, root).await;
    }
    let listed = admin(&server, "/_stepyard/traces").await;
    let kept: Vec<&str> = listed["traces"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["traceId"].as_str())
        .collect();
    assert!(
        kept.len() >= 8 && kept.len() <= 40,
        "{} traces kept of 120 within 4 MiB",
        kept.len()
    );
    // The newest is kept whole, each state's input the text its predecessor's output was.
    assert_eq!(kept[0], roots[119]);
    let spans = spans_of(&server, &roots[119], 5).await;
    let state = |name: &str| named(&spans, "states", name)[0]["attributes"].clone();
    let (p0, p1, p2) = (state("State P0"), state("State P1"), state("State P2"));
    assert_eq!(p0["input"], input.as_str());
    assert_eq!(p1["input"], p0["output"]);
    assert_eq!(p2["input"], p1["output"]);
    assert_eq!(p2["output"], input.as_str());
    assert!(p2.get("truncated").is_none(), "{p2}");
    // The oldest went first.
    let first = reqwest::get(format!(
        "{}/_stepyard/traces/{}",
        server.endpoint(),
        roots[0]
    ))
    .await
    .unwrap();
    assert_eq!(first.status(), 404);
}

#[tokio::test]
async fn a_trace_heavier_than_its_share_of_the_buffer_keeps_its_later_states_texts_cut() {
    // Each of the eight shards of 2 MiB holds 256 KiB: twelve states passing 50 KB on
    // outweigh it by the third state.
    let server = stepyard::Server::start(stepyard::Config {
        trace_buffer_bytes: 2 << 20,
        ..stepyard::Config::ephemeral()
    })
    .await
    .unwrap();
    let sfn = sfn(&server);
    let machine = express_passes(&sfn, "heavy", 12).await;
    let input = json!({"blob": "y".repeat(50_000)}).to_string();
    let root = "1-5759e988-bd862e3fe1be46a994270001";
    run_sync(&sfn, &machine, &input, root).await;
    let spans = spans_of(&server, root, 14).await;
    let state = |name: &str| named(&spans, "states", name)[0]["attributes"].clone();
    let first = state("State P0");
    assert_eq!(first["input"], input.as_str());
    assert!(first.get("truncated").is_none(), "{first}");
    let last = state("State P11");
    assert_eq!(last["truncated"], true, "{last}");
    for text in [&last["input"], &last["output"]] {
        let text = text.as_str().expect("text");
        assert!(text.len() <= 1024 + 3, "{} bytes kept", text.len());
        assert!(
            text.starts_with(r#"{"blob":"yyy"#) && text.ends_with("..."),
            "{text}"
        );
    }
    // Every state is still there, in order.
    for i in 0..12 {
        assert_eq!(named(&spans, "states", &format!("State P{i}")).len(), 1);
    }
}
