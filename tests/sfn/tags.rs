//! TagResource, UntagResource, ListTagsForResource.

use crate::client::{create_machine, failed, sfn, PASS};
use crate::common;
use aws_sdk_sfn::types::Tag;

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

async fn tags_of(client: &aws_sdk_sfn::Client, arn: &str) -> Vec<(String, String)> {
    client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("list tags")
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn tags_are_set_replaced_and_removed_on_machines_and_activities() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = create_machine(&client, "m", PASS).await;
    let activity = client
        .create_activity()
        .name("a")
        .send()
        .await
        .expect("activity")
        .activity_arn;
    for arn in [&machine, &activity] {
        client
            .tag_resource()
            .resource_arn(arn)
            .tags(tag("env", "dev"))
            .tags(tag("team", "x"))
            .send()
            .await
            .expect("tag");
        client
            .tag_resource()
            .resource_arn(arn)
            .tags(tag("env", "prod"))
            .send()
            .await
            .expect("retag");
        assert_eq!(
            tags_of(&client, arn).await,
            [("env".into(), "prod".into()), ("team".into(), "x".into())]
        );
        client
            .untag_resource()
            .resource_arn(arn)
            .tag_keys("env")
            .send()
            .await
            .expect("untag");
        assert_eq!(tags_of(&client, arn).await, [("team".into(), "x".into())]);
    }
}

#[tokio::test]
async fn versions_and_unknown_resources_cannot_be_tagged() {
    let server = common::start().await;
    let client = sfn(&server);
    let machine = client
        .create_state_machine()
        .name("m")
        .definition(PASS)
        .role_arn(crate::client::ROLE)
        .publish(true)
        .send()
        .await
        .expect("create");
    let version = machine.state_machine_version_arn.expect("version");
    let refused = failed(
        client
            .tag_resource()
            .resource_arn(&version)
            .tags(tag("k", "v"))
            .send()
            .await,
    );
    assert_eq!(refused.code, "ResourceNotFound");
    assert_eq!(refused.message, format!("Resource not found: '{version}'"));
    let empty_key = failed(
        client
            .tag_resource()
            .resource_arn(&machine.state_machine_arn)
            .tags(tag("", "v"))
            .send()
            .await,
    );
    assert_eq!(empty_key.code, "ValidationException");
}
