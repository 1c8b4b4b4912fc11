//! PutRule, DescribeRule, EnableRule, DisableRule, ListRules, ListRuleNamesByTarget,
//! DeleteRule, and tags on rules and buses.

use crate::client::{bus_arn, eb, failed, put_rule, put_targets, rule_arn, target};
use crate::common;
use aws_sdk_eventbridge::types::{RuleState, Tag};

const PATTERN: &str = r#"{"source": ["app"]}"#;

#[tokio::test]
async fn a_rule_is_put_described_disabled_enabled_and_deleted() {
    let server = common::start().await;
    let client = eb(&server);
    let arn = put_rule(&client, "r1", PATTERN).await;
    assert_eq!(arn, rule_arn("r1"));
    let d = client
        .describe_rule()
        .name("r1")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.name(), Some("r1"));
    assert_eq!(d.event_pattern(), Some(PATTERN));
    assert_eq!(d.state(), Some(&RuleState::Enabled));
    assert_eq!(d.event_bus_name(), Some("default"));
    assert_eq!(d.created_by(), Some(common::ACCOUNT));

    client
        .disable_rule()
        .name("r1")
        .send()
        .await
        .expect("disable");
    let d = client
        .describe_rule()
        .name("r1")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.state(), Some(&RuleState::Disabled));
    client
        .enable_rule()
        .name("r1")
        .send()
        .await
        .expect("enable");
    let d = client
        .describe_rule()
        .name("r1")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.state(), Some(&RuleState::Enabled));

    client
        .delete_rule()
        .name("r1")
        .send()
        .await
        .expect("delete");
    let e = failed(client.describe_rule().name("r1").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, "Rule r1 does not exist on EventBus default.");
    // Deleting a rule that does not exist succeeds.
    client
        .delete_rule()
        .name("r1")
        .send()
        .await
        .expect("delete again");
    let e = failed(client.enable_rule().name("r1").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn put_rule_replaces_the_definition_and_keeps_targets() {
    let server = common::start().await;
    let client = eb(&server);
    client
        .put_rule()
        .name("r")
        .event_pattern(PATTERN)
        .description("first")
        .send()
        .await
        .expect("put");
    put_targets(&client, "r", vec![target("t", &common::queue_arn("q"))]).await;
    client
        .put_rule()
        .name("r")
        .event_pattern(r#"{"source": ["other"]}"#)
        .send()
        .await
        .expect("put again");
    let d = client
        .describe_rule()
        .name("r")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.event_pattern(), Some(r#"{"source": ["other"]}"#));
    assert_eq!(d.description(), None, "omitted arguments are not kept");
    let targets = client
        .list_targets_by_rule()
        .rule("r")
        .send()
        .await
        .expect("targets");
    assert_eq!(targets.targets().len(), 1);
}

#[tokio::test]
async fn put_rule_checks_pattern_schedule_and_bus() {
    let server = common::start().await;
    let client = eb(&server);
    let e = failed(client.put_rule().name("r").send().await);
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "Parameter(s) EventPattern or ScheduleExpression must be specified."
    );
    let e = failed(
        client
            .put_rule()
            .name("r")
            .event_pattern("{not json")
            .send()
            .await,
    );
    assert_eq!(e.code, "InvalidEventPatternException");
    assert!(
        e.message
            .starts_with("Event pattern is not valid. Reason: "),
        "{}",
        e.message
    );
    let e = failed(
        client
            .put_rule()
            .name("r")
            .schedule_expression("rate(5 minute)")
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
    assert_eq!(e.message, "Parameter ScheduleExpression is not valid.");
    let e = failed(
        client
            .put_rule()
            .name("r")
            .event_pattern(PATTERN)
            .event_bus_name("missing")
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, "Event bus missing does not exist.");
    client
        .create_event_bus()
        .name("custom")
        .send()
        .await
        .expect("bus");
    let e = failed(
        client
            .put_rule()
            .name("r")
            .schedule_expression("rate(5 minutes)")
            .event_bus_name("custom")
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "ScheduleExpression is supported only on the default event bus."
    );
}

#[tokio::test]
async fn rules_on_custom_buses_have_the_bus_in_their_arn() {
    let server = common::start().await;
    let client = eb(&server);
    client
        .create_event_bus()
        .name("custom")
        .send()
        .await
        .expect("bus");
    let arn = client
        .put_rule()
        .name("r")
        .event_pattern(PATTERN)
        .event_bus_name(bus_arn("custom"))
        .send()
        .await
        .expect("put")
        .rule_arn
        .expect("arn");
    assert_eq!(arn, rule_arn("custom/r"));
    let listed = client
        .list_rules()
        .event_bus_name("custom")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.rules().len(), 1);
    assert_eq!(listed.rules()[0].event_bus_name(), Some("custom"));
    let on_default = client.list_rules().send().await.expect("list default");
    assert!(on_default.rules().is_empty());
}

#[tokio::test]
async fn list_rules_filters_by_prefix_and_pages() {
    let server = common::start().await;
    let client = eb(&server);
    for name in ["a1", "a2", "a3", "b1"] {
        put_rule(&client, name, PATTERN).await;
    }
    let listed = client
        .list_rules()
        .name_prefix("a")
        .send()
        .await
        .expect("list");
    let names: Vec<_> = listed.rules().iter().filter_map(|r| r.name()).collect();
    assert_eq!(names, ["a1", "a2", "a3"]);
    let page = client.list_rules().limit(3).send().await.expect("page");
    assert_eq!(page.rules().len(), 3);
    let rest = client
        .list_rules()
        .limit(3)
        .next_token(page.next_token().expect("token"))
        .send()
        .await
        .expect("rest");
    let names: Vec<_> = rest.rules().iter().filter_map(|r| r.name()).collect();
    assert_eq!(names, ["b1"]);
    let e = failed(client.list_rules().next_token("garbage").send().await);
    assert_eq!(e.code, "ValidationException");
}

#[tokio::test]
async fn rule_names_by_target_and_delete_with_targets() {
    let server = common::start().await;
    let client = eb(&server);
    let queue = common::queue_arn("q");
    for name in ["r1", "r2", "r3"] {
        put_rule(&client, name, PATTERN).await;
    }
    put_targets(&client, "r1", vec![target("t", &queue)]).await;
    put_targets(&client, "r3", vec![target("t", &queue)]).await;
    let names = client
        .list_rule_names_by_target()
        .target_arn(&queue)
        .send()
        .await
        .expect("by target");
    assert_eq!(names.rule_names(), ["r1", "r3"]);
    let e = failed(client.delete_rule().name("r1").send().await);
    assert_eq!(e.code, "ValidationException");
    assert_eq!(e.message, "Rule can't be deleted since it has targets.");
}

#[tokio::test]
async fn rules_and_buses_carry_tags() {
    let server = common::start().await;
    let client = eb(&server);
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().expect("tag");
    let arn = client
        .put_rule()
        .name("r")
        .event_pattern(PATTERN)
        .tags(tag("env", "dev"))
        .send()
        .await
        .expect("put")
        .rule_arn
        .expect("arn");
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("env", "prod"))
        .tags(tag("team", "x"))
        .send()
        .await
        .expect("tag");
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("list tags");
    let pairs: Vec<_> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, [("env", "prod"), ("team", "x")]);
    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("env")
        .send()
        .await
        .expect("untag");
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("list");
    assert_eq!(tags.tags().len(), 1);

    client
        .create_event_bus()
        .name("b")
        .tags(tag("k", "v"))
        .send()
        .await
        .expect("bus");
    let tags = client
        .list_tags_for_resource()
        .resource_arn(bus_arn("b"))
        .send()
        .await
        .expect("bus tags");
    assert_eq!(tags.tags()[0].key(), "k");
    let e = failed(
        client
            .list_tags_for_resource()
            .resource_arn(rule_arn("missing"))
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(
        e.message,
        "Rule missing does not exist on EventBus default."
    );
}

#[tokio::test]
async fn a_rate_with_spaces_inside_the_parentheses_is_refused() {
    let server = common::start().await;
    let client = eb(&server);
    for expression in [
        "rate( 10 minutes )",
        "rate(10  minutes)",
        "rate(10 minutes )",
    ] {
        let e = failed(
            client
                .put_rule()
                .name("r")
                .schedule_expression(expression)
                .send()
                .await,
        );
        assert_eq!(e.code, "ValidationException", "{expression}");
        assert_eq!(e.message, "Parameter ScheduleExpression is not valid.");
    }
    client
        .put_rule()
        .name("r")
        .schedule_expression("rate(10 minutes)")
        .send()
        .await
        .expect("a well-formed rate");
}
