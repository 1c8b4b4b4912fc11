//! Delivery to each target kind, observed through the target service's own API: SQS
//! (standard and FIFO), an SNS topic, Step Functions, another bus; Input, InputPath, InputTransformer;
//! retries and the dead-letter queue.

use crate::client::{eb, entry, json_body, put_events, put_rule, put_targets, receive_n, rule_arn};
use crate::common;
use aws_sdk_eventbridge::types::{
    DeadLetterConfig, InputTransformer, RetryPolicy, SqsParameters, Target,
};
use serde_json::json;
use std::time::Duration;

const PATTERN: &str = r#"{"source": ["app"]}"#;

fn target_to(queue: &str) -> aws_sdk_eventbridge::types::builders::TargetBuilder {
    Target::builder().id("t").arn(common::queue_arn(queue))
}

#[tokio::test]
async fn input_and_input_path_shape_what_the_queue_receives() {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let constant = common::create_queue(&sqs, "constant").await;
    let path = common::create_queue(&sqs, "path").await;
    put_rule(&client, "r", PATTERN).await;
    put_targets(
        &client,
        "r",
        vec![
            target_to("constant")
                .id("c")
                .input(r#"{"fixed": 1}"#)
                .build()
                .expect("t"),
            target_to("path")
                .id("p")
                .input_path("$.detail.inner")
                .build()
                .expect("t"),
        ],
    )
    .await;
    put_events(&client, vec![entry(r#"{"inner": {"a": [1, 2]}}"#)]).await;
    assert_eq!(
        receive_n(&sqs, &constant, 1).await[0].body(),
        Some(r#"{"fixed": 1}"#)
    );
    assert_eq!(
        json_body(&receive_n(&sqs, &path, 1).await[0]),
        json!({"a": [1, 2]})
    );
}

#[tokio::test]
async fn input_transformer_fills_json_and_text_templates() {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let json_q = common::create_queue(&sqs, "json").await;
    let text_q = common::create_queue(&sqs, "text").await;
    put_rule(&client, "r", PATTERN).await;
    let transformer = |template: &str| {
        InputTransformer::builder()
            .input_paths_map("kind", "$.detail.kind")
            .input_paths_map("payload", "$.detail.payload")
            .input_template(template)
            .build()
            .expect("transformer")
    };
    put_targets(
        &client,
        "r",
        vec![
            target_to("json")
                .id("j")
                .input_transformer(transformer(
                    r#"{"k": <kind>, "p": <payload>, "rule": "<aws.events.rule-name>"}"#,
                ))
                .build()
                .expect("t"),
            target_to("text")
                .id("s")
                .input_transformer(transformer(r#""<kind> of <payload>""#))
                .build()
                .expect("t"),
        ],
    )
    .await;
    put_events(
        &client,
        vec![entry(r#"{"kind": "order", "payload": {"id": "x"}}"#)],
    )
    .await;
    assert_eq!(
        json_body(&receive_n(&sqs, &json_q, 1).await[0]),
        json!({"k": "order", "p": {"id": "x"}, "rule": "r"})
    );
    assert_eq!(
        receive_n(&sqs, &text_q, 1).await[0].body(),
        Some(r#""order of {id:x}""#)
    );
}

#[tokio::test]
async fn fifo_targets_get_the_message_group_and_no_deduplication_id() {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let queue = common::create_fifo_queue(
        &sqs,
        "events.fifo",
        &[("ContentBasedDeduplication", "true")],
    )
    .await;
    put_rule(&client, "r", PATTERN).await;
    put_targets(
        &client,
        "r",
        vec![target_to("events.fifo")
            .sqs_parameters(SqsParameters::builder().message_group_id("group-1").build())
            .build()
            .expect("t")],
    )
    .await;
    let ids = put_events(&client, vec![entry(r#"{"n": 1}"#), entry(r#"{"n": 2}"#)]).await;
    let mut got = Vec::new();
    for _ in 0..20 {
        let out = sqs
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(10)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        for m in out.messages.unwrap_or_default() {
            common::delete(&sqs, &queue, m.receipt_handle().unwrap_or_default()).await;
            got.push(m);
        }
        if got.len() == 2 {
            break;
        }
    }
    assert_eq!(got.len(), 2);
    for m in &got {
        let attributes = m.attributes().expect("attributes");
        use aws_sdk_sqs::types::MessageSystemAttributeName as A;
        assert_eq!(
            attributes.get(&A::MessageGroupId).map(String::as_str),
            Some("group-1")
        );
        // The queue derived the id from the body: EventBridge sent none (not the event id).
        let dedup = attributes
            .get(&A::MessageDeduplicationId)
            .expect("content-based dedup id");
        assert!(!ids.contains(dedup), "{dedup} must not be an event id");
        assert_eq!(dedup.len(), 64, "a SHA-256 of the body: {dedup}");
    }
}

#[tokio::test]
async fn a_fifo_queue_without_content_based_deduplication_gets_nothing_and_the_event_is_dead_lettered(
) {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let queue = common::create_fifo_queue(&sqs, "strict.fifo", &[]).await;
    let dlq = common::create_queue(&sqs, "dlq").await;
    put_rule(&client, "r", PATTERN).await;
    put_targets(
        &client,
        "r",
        vec![target_to("strict.fifo")
            .sqs_parameters(SqsParameters::builder().message_group_id("g").build())
            .dead_letter_config(
                DeadLetterConfig::builder()
                    .arn(common::queue_arn("dlq"))
                    .build(),
            )
            .build()
            .expect("t")],
    )
    .await;
    let ids = put_events(&client, vec![entry(r#"{"n": 1}"#)]).await;
    let dead = receive_n(&sqs, &dlq, 1).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(json_body(&dead[0])["id"], json!(ids[0]));
    let code = dead[0]
        .message_attributes()
        .and_then(|a| a.get("ERROR_CODE"))
        .and_then(|v| v.string_value())
        .map(str::to_string);
    assert_eq!(code.as_deref(), Some("SDK_CLIENT_ERROR"));
    let out = sqs
        .receive_message()
        .queue_url(&queue)
        .wait_time_seconds(0)
        .send()
        .await
        .expect("receive");
    assert!(out.messages.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn a_state_machine_target_starts_an_execution_with_the_event_as_input() {
    let server = common::start().await;
    let client = eb(&server);
    let sfn = crate::client::sfn(&server);
    let machine = sfn
        .create_state_machine()
        .name("m")
        .definition(r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#)
        .role_arn("arn:aws:iam::000000000000:role/r")
        .send()
        .await
        .expect("create machine")
        .state_machine_arn;
    put_rule(&client, "r", PATTERN).await;
    put_targets(&client, "r", vec![crate::client::target("sm", &machine)]).await;
    let ids = put_events(&client, vec![entry(r#"{"go": true}"#)]).await;
    let mut executions = Vec::new();
    for _ in 0..200 {
        executions = sfn
            .list_executions()
            .state_machine_arn(&machine)
            .send()
            .await
            .expect("list executions")
            .executions;
        if !executions.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(executions.len(), 1, "one execution started");
    let described = sfn
        .describe_execution()
        .execution_arn(&executions[0].execution_arn)
        .send()
        .await
        .expect("describe execution");
    let input: serde_json::Value =
        serde_json::from_str(described.input().expect("input")).expect("JSON input");
    assert_eq!(input["id"], json!(ids[0]));
    assert_eq!(input["detail"], json!({"go": true}));
}

#[tokio::test]
async fn a_bus_target_forwards_the_event_to_the_other_bus_rules() {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    client
        .create_event_bus()
        .name("second")
        .send()
        .await
        .expect("bus");
    let queue = common::create_queue(&sqs, "on-second").await;
    client
        .put_rule()
        .name("on-second")
        .event_bus_name("second")
        .event_pattern(PATTERN)
        .send()
        .await
        .expect("rule on second");
    client
        .put_targets()
        .rule("on-second")
        .event_bus_name("second")
        .targets(crate::client::target("q", &common::queue_arn("on-second")))
        .send()
        .await
        .expect("targets on second");
    put_rule(&client, "forward", PATTERN).await;
    put_targets(
        &client,
        "forward",
        vec![crate::client::target(
            "bus",
            &crate::client::bus_arn("second"),
        )],
    )
    .await;
    let ids = put_events(&client, vec![entry(r#"{"hop": 1}"#)]).await;
    let got = receive_n(&sqs, &queue, 1).await;
    assert_eq!(got.len(), 1);
    let event = json_body(&got[0]);
    assert_eq!(event["id"], json!(ids[0]));
    assert_eq!(event["detail"], json!({"hop": 1}));
}

#[tokio::test]
async fn undeliverable_events_go_to_the_dead_letter_queue_with_aws_attributes() {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let dlq = common::create_queue(&sqs, "dlq").await;
    put_rule(&client, "r", PATTERN).await;
    put_targets(
        &client,
        "r",
        vec![target_to("does-not-exist")
            .dead_letter_config(
                DeadLetterConfig::builder()
                    .arn(common::queue_arn("dlq"))
                    .build(),
            )
            .retry_policy(RetryPolicy::builder().maximum_retry_attempts(2).build())
            .build()
            .expect("t")],
    )
    .await;
    let ids = put_events(&client, vec![entry(r#"{"n": 1}"#)]).await;
    let got = receive_n(&sqs, &dlq, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(json_body(&got[0])["id"], json!(ids[0]));
    let attributes = got[0].message_attributes().expect("attributes");
    let text = |k: &str| {
        attributes
            .get(k)
            .and_then(|v| v.string_value())
            .unwrap_or_else(|| panic!("{k} missing from {attributes:?}"))
            .to_string()
    };
    assert_eq!(text("ERROR_CODE"), "RESOURCE_NOT_FOUND");
    assert!(!text("ERROR_MESSAGE").is_empty());
    assert_eq!(text("RULE_ARN"), rule_arn("r"));
    assert_eq!(text("TARGET_ARN"), common::queue_arn("does-not-exist"));
    assert_eq!(
        text("RETRY_ATTEMPTS"),
        "0",
        "a missing resource is not retried"
    );
}

#[tokio::test]
async fn a_topic_target_publishes_the_event_to_the_topics_subscribers() {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let sns = common::sns(&server);
    let topic = sns
        .create_topic()
        .name("orders")
        .send()
        .await
        .expect("create topic")
        .topic_arn()
        .expect("topic ARN")
        .to_string();
    let queue = common::create_queue(&sqs, "subscriber").await;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(common::queue_arn("subscriber"))
        .send()
        .await
        .expect("subscribe");
    put_rule(&client, "r", PATTERN).await;
    put_targets(
        &client,
        "r",
        vec![Target::builder()
            .id("topic")
            .arn(&topic)
            .build()
            .expect("t")],
    )
    .await;
    put_events(&client, vec![entry(r#"{"order": 7}"#)]).await;
    let envelope = json_body(&receive_n(&sqs, &queue, 1).await[0]);
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["TopicArn"], topic.as_str());
    let event: serde_json::Value =
        serde_json::from_str(envelope["Message"].as_str().expect("Message is a string"))
            .expect("the message is the event");
    assert_eq!(event["source"], "app");
    assert_eq!(event["detail"], json!({"order": 7}));
    assert_eq!(event["resources"], json!([]));
}
