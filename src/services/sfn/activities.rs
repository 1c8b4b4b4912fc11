//! Activities: CreateActivity, DescribeActivity, ListActivities, DeleteActivity and the
//! worker's GetActivityTask long poll, which takes the tasks that activity Task states put on
//! the service's task board (`crate::asl::interp::callbacks`).

use super::arn::{self, Resource};
use super::configuration::Encryption;
use super::errors::SfnError;
use super::pagination;
use super::store::Activity;
use super::tags::{self, TagIn};
use super::{empty, seconds, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};

/// How long GetActivityTask waits for a task before answering empty, as AWS does.
const POLL_SECONDS: u64 = 60;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateInput {
    name: String,
    tags: Option<Vec<TagIn>>,
    encryption_configuration: Option<Encryption>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ActivityArnInput {
    activity_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollInput {
    activity_arn: String,
    worker_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListInput {
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub fn create(sfn: &Inner, ctx: &RequestContext, input: CreateInput) -> Result<Created, SfnError> {
    arn::check_name(&input.name)?;
    let tags = tags::from_input(input.tags)?;
    let encryption = super::configuration::encryption(input.encryption_configuration)?;
    let now = sfn.now();
    let activity_arn = arn::activity(ctx, &input.name);
    sfn.region(ctx, |region| {
        // Idempotent on the name: a second create returns the first (tags are not updated).
        let activity = region.activities_mut().get_or_put_with(&input.name, || {
            Activity::new(input.name.clone(), activity_arn, now, tags, encryption)
        });
        sfn.board.add_activity(&activity.arn);
        Ok(Created {
            activity_arn: activity.arn.clone(),
            creation_date: seconds(activity.creation_ms),
        })
    })
}

/// The activity name an activity ARN names, if it is in the caller's account and region.
fn activity_name(ctx: &RequestContext, activity_arn: &str) -> Result<Option<String>, SfnError> {
    let parsed = arn::parse(activity_arn)?;
    let local = parsed.is_local(ctx);
    match parsed.resource {
        Resource::Activity { name } => Ok(local.then_some(name)),
        _ => Err(SfnError::wrong_resource_type(parsed.type_name())),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Created {
    activity_arn: String,
    creation_date: f64,
}

/// ListActivities' item; DescribeActivity adds the encryption configuration.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub(super) struct ActivityItem {
    activity_arn: String,
    name: String,
    creation_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_configuration: Option<Encryption>,
}

fn list_item(activity: &Activity) -> ActivityItem {
    ActivityItem {
        activity_arn: activity.arn.clone(),
        name: activity.name.clone(),
        creation_date: seconds(activity.creation_ms),
        encryption_configuration: None,
    }
}

fn describe_activity(activity: &Activity) -> ActivityItem {
    ActivityItem {
        encryption_configuration: Some(activity.encryption.clone()),
        ..list_item(activity)
    }
}

pub fn describe(
    sfn: &Inner,
    ctx: &RequestContext,
    input: ActivityArnInput,
) -> Result<ActivityItem, SfnError> {
    let name = activity_name(ctx, &input.activity_arn)?;
    sfn.region(ctx, |region| {
        name.and_then(|name| region.activities().get(&name))
            .map(describe_activity)
            .ok_or_else(|| SfnError::ActivityDoesNotExist(input.activity_arn.clone()))
    })
}

pub fn delete(
    sfn: &Inner,
    ctx: &RequestContext,
    input: ActivityArnInput,
) -> Result<Empty, SfnError> {
    // Deleting an activity that is gone is no error.
    if let Some(name) = activity_name(ctx, &input.activity_arn)? {
        sfn.region(ctx, |region| region.activities_mut().remove(&name));
        sfn.board.remove_activity(&input.activity_arn);
    }
    Ok(empty())
}

pub fn list(
    sfn: &Inner,
    ctx: &RequestContext,
    input: ListInput,
) -> Result<Listed<ActivityItem>, SfnError> {
    let all: Vec<ActivityItem> = sfn.region(ctx, |region| {
        region.activities().values().map(list_item).collect()
    });
    pagination::listed(
        "activities",
        &all,
        input.max_results,
        input.next_token.as_deref(),
        "activities",
    )
}

/// Long-polls for a task of the activity: the oldest task an execution scheduled, or an
/// empty answer after AWS's 60 s poll on the shared clock (tests advance it).
pub async fn get_activity_task(
    sfn: &Inner,
    ctx: &RequestContext,
    input: PollInput,
) -> Result<ActivityTask, SfnError> {
    let name = activity_name(ctx, &input.activity_arn)?;
    let exists = sfn.region(ctx, |region| {
        name.as_ref()
            .is_some_and(|name| region.activities().contains(name))
    });
    if !exists {
        return Err(SfnError::ActivityDoesNotExist(input.activity_arn));
    }
    let deadline = sfn.now() + POLL_SECONDS * 1000;
    let task = sfn
        .board
        .poll(&input.activity_arn, input.worker_name, &sfn.clock, deadline)
        .await;
    Ok(match task {
        Some(task) => ActivityTask {
            task_token: Some(task.token.to_string()),
            input: Some(task.input),
        },
        // A poll that waited for nothing answers `{}`.
        None => ActivityTask {
            task_token: None,
            input: None,
        },
    })
}

/// GetActivityTask's output: a task, or nothing when the poll ended empty.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ActivityTask {
    #[serde(skip_serializing_if = "Option::is_none")]
    task_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<String>,
}
