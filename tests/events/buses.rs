//! CreateEventBus, DescribeEventBus, ListEventBuses, UpdateEventBus, DeleteEventBus,
//! PutPermission, RemovePermission.

use crate::client::{bus_arn, eb, eb_in, failed};
use crate::common;

#[tokio::test]
async fn the_default_bus_always_exists_and_cannot_be_deleted() {
    let server = common::start().await;
    let client = eb(&server);
    let described = client
        .describe_event_bus()
        .send()
        .await
        .expect("describe default");
    assert_eq!(described.name(), Some("default"));
    assert_eq!(described.arn(), Some(bus_arn("default").as_str()));
    assert!(described.creation_time().is_some());
    let e = failed(client.delete_event_bus().name("default").send().await);
    assert_eq!(e.code, "ValidationException");
    assert_eq!(e.message, "Cannot delete event bus default.");
    assert_eq!(e.status, 400);
    let listed = client.list_event_buses().send().await.expect("list");
    let names: Vec<_> = listed
        .event_buses()
        .iter()
        .filter_map(|b| b.name())
        .collect();
    assert_eq!(names, ["default"]);
}

#[tokio::test]
async fn custom_buses_are_created_described_listed_updated_and_deleted() {
    let server = common::start().await;
    let client = eb(&server);
    let created = client
        .create_event_bus()
        .name("orders")
        .description("all orders")
        .send()
        .await
        .expect("create");
    assert_eq!(created.event_bus_arn(), Some(bus_arn("orders").as_str()));
    assert_eq!(created.description(), Some("all orders"));
    let e = failed(client.create_event_bus().name("orders").send().await);
    assert_eq!(e.code, "ResourceAlreadyExistsException");
    assert_eq!(e.message, "Event bus orders already exists.");

    // By name or by ARN.
    let by_arn = client
        .describe_event_bus()
        .name(bus_arn("orders"))
        .send()
        .await
        .expect("describe by arn");
    assert_eq!(by_arn.name(), Some("orders"));
    assert_eq!(by_arn.description(), Some("all orders"));

    client
        .update_event_bus()
        .name("orders")
        .description("changed")
        .send()
        .await
        .expect("update");
    let described = client
        .describe_event_bus()
        .name("orders")
        .send()
        .await
        .expect("describe");
    assert_eq!(described.description(), Some("changed"));

    client
        .create_event_bus()
        .name("other")
        .send()
        .await
        .expect("create other");
    let listed = client
        .list_event_buses()
        .name_prefix("or")
        .send()
        .await
        .expect("list");
    let names: Vec<_> = listed
        .event_buses()
        .iter()
        .filter_map(|b| b.name())
        .collect();
    assert_eq!(names, ["orders"]);
    let page = client
        .list_event_buses()
        .limit(2)
        .send()
        .await
        .expect("page 1");
    assert_eq!(page.event_buses().len(), 2);
    let rest = client
        .list_event_buses()
        .limit(2)
        .next_token(page.next_token().expect("more buses"))
        .send()
        .await
        .expect("page 2");
    assert_eq!(rest.event_buses().len(), 1);
    assert!(rest.next_token().is_none());

    client
        .delete_event_bus()
        .name("orders")
        .send()
        .await
        .expect("delete");
    let e = failed(client.describe_event_bus().name("orders").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, "Event bus orders does not exist.");
    // Deleting again is not an error.
    client
        .delete_event_bus()
        .name("orders")
        .send()
        .await
        .expect("delete again");
}

#[tokio::test]
async fn buses_are_per_region() {
    let server = common::start().await;
    eb(&server)
        .create_event_bus()
        .name("b")
        .send()
        .await
        .expect("create");
    let e = failed(
        eb_in(&server, "eu-west-1")
            .describe_event_bus()
            .name("b")
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn permissions_build_a_policy_and_are_removed_by_statement_id() {
    let server = common::start().await;
    let client = eb(&server);
    client
        .put_permission()
        .action("events:PutEvents")
        .principal("111122223333")
        .statement_id("allow-1")
        .send()
        .await
        .expect("put permission");
    let policy: serde_json::Value = serde_json::from_str(
        client
            .describe_event_bus()
            .send()
            .await
            .expect("describe")
            .policy()
            .expect("a policy"),
    )
    .expect("policy is JSON");
    assert_eq!(policy["Statement"][0]["Sid"], "allow-1");
    assert_eq!(
        policy["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::111122223333:root"
    );
    assert_eq!(policy["Statement"][0]["Resource"], bus_arn("default"));

    let e = failed(client.remove_permission().statement_id("nope").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, "Statement with the provided id does not exist.");
    client
        .remove_permission()
        .statement_id("allow-1")
        .send()
        .await
        .expect("remove");
    let described = client.describe_event_bus().send().await.expect("describe");
    assert!(described.policy().is_none());

    let e = failed(
        client
            .put_permission()
            .event_bus_name("missing")
            .action("events:PutEvents")
            .principal("111122223333")
            .statement_id("s")
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, "Event bus missing does not exist.");
}

#[tokio::test]
async fn names_outside_the_models_pattern_are_refused_as_aws_words_it() {
    let server = common::start().await;
    let client = eb(&server);
    let e = failed(client.create_event_bus().name("bad name!").send().await);
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+"
    );
    let e = failed(
        client
            .put_rule()
            .name("has/slash")
            .schedule_expression("rate(1 minute)")
            .send()
            .await,
    );
    assert!(e.message.contains("[\\.\\-_A-Za-z0-9]+"), "{}", e.message);
    // A full ARN of a bus satisfies EventBusNameOrArn's pattern.
    client
        .list_rules()
        .event_bus_name(bus_arn("default"))
        .send()
        .await
        .expect("list rules by bus ARN");
}

#[tokio::test]
async fn put_permission_with_an_existing_statement_id_replaces_that_statement() {
    let server = common::start().await;
    let client = eb(&server);
    for principal in ["111122223333", "444455556666"] {
        client
            .put_permission()
            .action("events:PutEvents")
            .principal(principal)
            .statement_id("s")
            .send()
            .await
            .expect("put permission");
    }
    let policy: serde_json::Value = serde_json::from_str(
        client
            .describe_event_bus()
            .send()
            .await
            .expect("describe")
            .policy()
            .expect("a policy"),
    )
    .expect("policy is JSON");
    let statements = policy["Statement"].as_array().expect("statements");
    assert_eq!(statements.len(), 1, "{policy}");
    assert_eq!(
        statements[0]["Principal"]["AWS"],
        "arn:aws:iam::444455556666:root"
    );
    let e = failed(
        client
            .remove_permission()
            .statement_id("other")
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, "Statement with the provided id does not exist.");
}
