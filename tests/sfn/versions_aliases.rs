//! PublishStateMachineVersion, ListStateMachineVersions, DeleteStateMachineVersion and the
//! alias operations, including executions started through a version or an alias.

use crate::client::{create_machine, failed, sfn, wait_until_done, FAIL, PASS};
use crate::common;
use aws_sdk_sfn::types::{ExecutionStatus, RoutingConfigurationListItem};

fn route(version_arn: &str, weight: i32) -> RoutingConfigurationListItem {
    RoutingConfigurationListItem::builder()
        .state_machine_version_arn(version_arn)
        .weight(weight)
        .build()
        .expect("route has both members")
}

#[tokio::test]
async fn publishing_numbers_versions_and_reuses_an_unchanged_revision() {
    let server = common::start().await;
    let client = sfn(&server);
    let arn = create_machine(&client, "m", PASS).await;
    let v1 = client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .description("one")
        .send()
        .await
        .expect("publish");
    assert_eq!(v1.state_machine_version_arn, format!("{arn}:1"));
    let same = client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("publish unchanged");
    assert_eq!(same.state_machine_version_arn, v1.state_machine_version_arn);

    client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(FAIL)
        .send()
        .await
        .expect("update");
    let v2 = client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("publish");
    assert_eq!(v2.state_machine_version_arn, format!("{arn}:2"));

    let listed = client
        .list_state_machine_versions()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("list versions");
    let arns: Vec<_> = listed
        .state_machine_versions
        .iter()
        .map(|v| v.state_machine_version_arn.as_str())
        .collect();
    assert_eq!(
        arns,
        [format!("{arn}:2"), format!("{arn}:1")],
        "newest first"
    );

    let v1_definition = client
        .describe_state_machine()
        .state_machine_arn(format!("{arn}:1"))
        .send()
        .await
        .expect("describe v1")
        .definition;
    assert_eq!(v1_definition, PASS, "a version keeps its definition");
}

#[tokio::test]
async fn publishing_a_stale_revision_conflicts() {
    let server = common::start().await;
    let client = sfn(&server);
    let arn = create_machine(&client, "m", PASS).await;
    let conflict = failed(
        client
            .publish_state_machine_version()
            .state_machine_arn(&arn)
            .revision_id("not-the-current-one")
            .send()
            .await,
    );
    assert_eq!(conflict.code, "ConflictException");
    assert!(conflict.message.starts_with(
        "Failed to publish the State Machine version for revision not-the-current-one."
    ));
    let missing = failed(
        client
            .publish_state_machine_version()
            .state_machine_arn(format!("{arn}x"))
            .send()
            .await,
    );
    assert_eq!(missing.code, "StateMachineDoesNotExist");
}

#[tokio::test]
async fn aliases_route_executions_and_protect_their_versions() {
    let server = common::start().await;
    let client = sfn(&server);
    let arn = create_machine(&client, "m", PASS).await;
    let v1 = client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("publish")
        .state_machine_version_arn;
    let alias = client
        .create_state_machine_alias()
        .name("prod")
        .description("production")
        .routing_configuration(route(&v1, 100))
        .send()
        .await
        .expect("create alias");
    assert_eq!(alias.state_machine_alias_arn, format!("{arn}:prod"));

    let described = client
        .describe_state_machine_alias()
        .state_machine_alias_arn(&alias.state_machine_alias_arn)
        .send()
        .await
        .expect("describe alias");
    assert_eq!(described.name.as_deref(), Some("prod"));
    assert_eq!(described.description.as_deref(), Some("production"));
    let routes = described.routing_configuration.unwrap_or_default();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].weight, 100);

    let execution =
        crate::client::start(&client, &alias.state_machine_alias_arn, "via-alias", "{}").await;
    let done = wait_until_done(&client, &execution).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.state_machine_version_arn.as_deref(), Some(v1.as_str()));
    assert_eq!(
        done.state_machine_alias_arn.as_deref(),
        Some(alias.state_machine_alias_arn.as_str())
    );

    let protected = failed(
        client
            .delete_state_machine_version()
            .state_machine_version_arn(&v1)
            .send()
            .await,
    );
    assert_eq!(protected.code, "ConflictException");
    assert_eq!(
        protected.message,
        "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [prod]"
    );

    let listed = client
        .list_state_machine_aliases()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("list aliases");
    assert_eq!(listed.state_machine_aliases.len(), 1);

    client
        .update_state_machine_alias()
        .state_machine_alias_arn(&alias.state_machine_alias_arn)
        .description("changed")
        .send()
        .await
        .expect("update alias");
    client
        .delete_state_machine_alias()
        .state_machine_alias_arn(&alias.state_machine_alias_arn)
        .send()
        .await
        .expect("delete alias");
    let gone = failed(
        client
            .describe_state_machine_alias()
            .state_machine_alias_arn(&alias.state_machine_alias_arn)
            .send()
            .await,
    );
    assert_eq!(gone.code, "ResourceNotFound");
    client
        .delete_state_machine_version()
        .state_machine_version_arn(&v1)
        .send()
        .await
        .expect("the version is free to delete now");
    let versions = client
        .list_state_machine_versions()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("list versions");
    assert!(versions.state_machine_versions.is_empty());
}

#[tokio::test]
async fn alias_routing_is_checked_like_aws() {
    let server = common::start().await;
    let client = sfn(&server);
    let arn = create_machine(&client, "m", PASS).await;
    let v1 = client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("publish")
        .state_machine_version_arn;
    let not_a_version = failed(
        client
            .create_state_machine_alias()
            .name("a")
            .routing_configuration(route(&arn, 100))
            .send()
            .await,
    );
    assert_eq!(not_a_version.code, "ValidationException");
    assert_eq!(
        not_a_version.message,
        format!("Routing configuration must contain state machine version ARNs. Received: [{arn}]")
    );
    let bad_sum = failed(
        client
            .create_state_machine_alias()
            .name("a")
            .routing_configuration(route(&v1, 70))
            .send()
            .await,
    );
    assert_eq!(
        bad_sum.message,
        "Sum of routing configuration weights must equal 100. Received: [70]"
    );
    let bad_name = failed(
        client
            .create_state_machine_alias()
            .name("123")
            .routing_configuration(route(&v1, 100))
            .send()
            .await,
    );
    assert_eq!(bad_name.code, "ValidationException");
    let missing_version = failed(
        client
            .create_state_machine_alias()
            .name("a")
            .routing_configuration(route(&format!("{arn}:9"), 100))
            .send()
            .await,
    );
    assert_eq!(missing_version.code, "ResourceNotFound");

    client
        .create_state_machine_alias()
        .name("a")
        .routing_configuration(route(&v1, 100))
        .send()
        .await
        .expect("create");
    let not_idempotent = failed(
        client
            .create_state_machine_alias()
            .name("a")
            .description("different")
            .routing_configuration(route(&v1, 100))
            .send()
            .await,
    );
    assert_eq!(not_idempotent.code, "ConflictException");
}

#[tokio::test]
async fn executions_of_a_version_are_listed_under_the_version() {
    let server = common::start().await;
    let client = sfn(&server);
    let arn = create_machine(&client, "m", PASS).await;
    let v1 = client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("publish")
        .state_machine_version_arn;
    let on_version = crate::client::start(&client, &v1, "on-version", "{}").await;
    let on_machine = crate::client::start(&client, &arn, "on-machine", "{}").await;
    wait_until_done(&client, &on_version).await;
    wait_until_done(&client, &on_machine).await;
    let of_version = client
        .list_executions()
        .state_machine_arn(&v1)
        .send()
        .await
        .expect("list");
    let names: Vec<_> = of_version
        .executions
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ["on-version"]);
    let of_machine = client
        .list_executions()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("list");
    assert_eq!(of_machine.executions.len(), 2);
}

#[tokio::test]
async fn update_with_publish_and_a_new_version_description_publishes_a_new_version() {
    let server = common::start().await;
    let client = sfn(&server);
    let arn = create_machine(&client, "m", PASS).await;
    let first = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(FAIL)
        .publish(true)
        .version_description("first")
        .send()
        .await
        .expect("update");
    assert_eq!(
        first.state_machine_version_arn(),
        Some(format!("{arn}:1").as_str())
    );
    let described_again = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(FAIL)
        .publish(true)
        .version_description("second")
        .send()
        .await
        .expect("update");
    assert_eq!(
        described_again.state_machine_version_arn(),
        Some(format!("{arn}:2").as_str()),
        "a new description publishes a new version of the same definition"
    );
    let v2 = client
        .describe_state_machine()
        .state_machine_arn(format!("{arn}:2"))
        .send()
        .await
        .expect("describe v2");
    assert_eq!(v2.description(), Some("second"));
    let unchanged = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(FAIL)
        .publish(true)
        .send()
        .await
        .expect("update");
    assert_eq!(
        unchanged.state_machine_version_arn(),
        Some(format!("{arn}:2").as_str()),
        "no new description: the existing version"
    );
}
