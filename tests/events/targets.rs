//! PutTargets, ListTargetsByRule, RemoveTargets and their checks.

use crate::client::{eb, failed, put_rule, put_targets, target};
use crate::common;
use aws_sdk_eventbridge::types::{InputTransformer, SqsParameters, Target};

const PATTERN: &str = r#"{"source": ["app"]}"#;

#[tokio::test]
async fn targets_are_listed_as_put_replaced_by_id_and_removed() {
    let server = common::start().await;
    let client = eb(&server);
    put_rule(&client, "r", PATTERN).await;
    put_targets(
        &client,
        "r",
        vec![
            target("a", &common::queue_arn("q1")),
            Target::builder()
                .id("b")
                .arn(common::queue_arn("q2"))
                .input(r#"{"fixed": true}"#)
                .build()
                .expect("target"),
        ],
    )
    .await;
    let listed = client
        .list_targets_by_rule()
        .rule("r")
        .send()
        .await
        .expect("list");
    let ids: Vec<_> = listed.targets().iter().map(|t| t.id()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(listed.targets()[1].input(), Some(r#"{"fixed": true}"#));

    put_targets(&client, "r", vec![target("a", &common::queue_arn("q3"))]).await;
    let listed = client
        .list_targets_by_rule()
        .rule("r")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.targets()[0].arn(), common::queue_arn("q3"));

    let removed = client
        .remove_targets()
        .rule("r")
        .ids("a")
        .ids("not-there")
        .send()
        .await
        .expect("remove");
    assert_eq!(removed.failed_entry_count, 0);
    let listed = client
        .list_targets_by_rule()
        .rule("r")
        .send()
        .await
        .expect("list");
    let ids: Vec<_> = listed.targets().iter().map(|t| t.id()).collect();
    assert_eq!(ids, ["b"]);
}

#[tokio::test]
async fn targets_need_an_existing_rule_and_at_most_five_per_rule() {
    let server = common::start().await;
    let client = eb(&server);
    let e = failed(
        client
            .put_targets()
            .rule("missing")
            .targets(target("a", &common::queue_arn("q")))
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(
        e.message,
        "Rule missing does not exist on EventBus default."
    );
    let e = failed(client.list_targets_by_rule().rule("missing").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");

    put_rule(&client, "r", PATTERN).await;
    let five: Vec<_> = (0..5)
        .map(|i| target(&format!("t{i}"), &common::queue_arn("q")))
        .collect();
    put_targets(&client, "r", five).await;
    let e = failed(
        client
            .put_targets()
            .rule("r")
            .targets(target("t5", &common::queue_arn("q")))
            .send()
            .await,
    );
    assert_eq!(e.code, "LimitExceededException");
}

#[tokio::test]
async fn inputs_are_checked_as_aws_checks_them() {
    let server = common::start().await;
    let client = eb(&server);
    put_rule(&client, "r", PATTERN).await;
    let both = Target::builder()
        .id("t1")
        .arn(common::queue_arn("q"))
        .input("{}")
        .input_path("$.detail")
        .build()
        .expect("target");
    let e = failed(client.put_targets().rule("r").targets(both).send().await);
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "Only one of Input, InputPath, or InputTransformer must be provided for target t1."
    );
    let undeclared = Target::builder()
        .id("t2")
        .arn(common::queue_arn("q"))
        .input_transformer(
            InputTransformer::builder()
                .input_paths_map("a", "$.detail.a")
                .input_template("\"<a> and <b>\"")
                .build()
                .expect("transformer"),
        )
        .build()
        .expect("target");
    let e = failed(
        client
            .put_targets()
            .rule("r")
            .targets(undeclared)
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "InputTemplate for target t2 contains invalid placeholder b."
    );
    let fifo_without_group = target("t3", &common::queue_arn("q.fifo"));
    let e = failed(
        client
            .put_targets()
            .rule("r")
            .targets(fifo_without_group)
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "Parameter(s) SqsParameters must be specified for target: t3."
    );
    let fifo = Target::builder()
        .id("t4")
        .arn(common::queue_arn("q.fifo"))
        .sqs_parameters(SqsParameters::builder().message_group_id("g").build())
        .build()
        .expect("target");
    put_targets(&client, "r", vec![fifo]).await;
    let e = failed(
        client
            .put_targets()
            .rule("r")
            .targets(target("t5", "not-an-arn"))
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
}
