//! CreateActivity, DescribeActivity, ListActivities, DeleteActivity, GetActivityTask.

use crate::client::{failed, sfn};
use crate::common;
use std::time::Duration;

const ACTIVITY_ARN: &str = "arn:aws:states:us-east-1:000000000000:activity:work";

#[tokio::test]
async fn activities_are_created_idempotently_described_listed_and_deleted() {
    let server = common::start().await;
    let client = sfn(&server);
    let created = client
        .create_activity()
        .name("work")
        .send()
        .await
        .expect("create");
    assert_eq!(created.activity_arn, ACTIVITY_ARN);
    let again = client
        .create_activity()
        .name("work")
        .send()
        .await
        .expect("create again");
    assert_eq!(again.creation_date, created.creation_date);
    client
        .create_activity()
        .name("other")
        .send()
        .await
        .expect("create");

    let described = client
        .describe_activity()
        .activity_arn(ACTIVITY_ARN)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.name, "work");

    let first = client
        .list_activities()
        .max_results(1)
        .send()
        .await
        .expect("list");
    assert_eq!(first.activities.len(), 1);
    let rest = client
        .list_activities()
        .max_results(1)
        .set_next_token(first.next_token)
        .send()
        .await
        .expect("list");
    assert_eq!(rest.activities.len(), 1);
    assert_ne!(rest.activities[0].name, first.activities[0].name);

    client
        .delete_activity()
        .activity_arn(ACTIVITY_ARN)
        .send()
        .await
        .expect("delete");
    let gone = failed(
        client
            .describe_activity()
            .activity_arn(ACTIVITY_ARN)
            .send()
            .await,
    );
    assert_eq!(gone.code, "ActivityDoesNotExist");
    assert_eq!(
        gone.message,
        format!("Activity Does Not Exist: '{ACTIVITY_ARN}'")
    );
}

#[tokio::test]
async fn activity_names_follow_aws_rules() {
    let server = common::start().await;
    let client = sfn(&server);
    for name in [
        "activity name",
        "activity<name",
        "activity:name",
        "activity\u{7f}",
    ] {
        let refused = failed(client.create_activity().name(name).send().await);
        assert_eq!(refused.code, "InvalidName", "{name:?}");
        assert_eq!(refused.message, format!("Invalid Name: '{name}'"));
    }
    let malformed = failed(
        client
            .describe_activity()
            .activity_arn("no_an_activity_arn")
            .send()
            .await,
    );
    assert_eq!(
        malformed.message,
        "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'"
    );
}

#[tokio::test]
async fn get_activity_task_long_polls_and_returns_nothing_without_work() {
    let server = common::start().await;
    let client = sfn(&server);
    client
        .create_activity()
        .name("work")
        .send()
        .await
        .expect("create");
    let poll = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .get_activity_task()
                .activity_arn(ACTIVITY_ARN)
                .worker_name("w1")
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!poll.is_finished(), "the poll waits for a task");
    server.clock().advance(Duration::from_secs(61));
    let answer = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("the poll ends once its minute has passed")
        .expect("task")
        .expect("GetActivityTask");
    assert!(answer.task_token.is_none());
    assert!(answer.input.is_none());

    let missing = failed(
        client
            .get_activity_task()
            .activity_arn("arn:aws:states:us-east-1:000000000000:activity:nope")
            .send()
            .await,
    );
    assert_eq!(missing.code, "ActivityDoesNotExist");
}
