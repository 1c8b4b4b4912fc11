//! PutTargets, RemoveTargets, ListTargetsByRule. A target is kept as the client sent it (for
//! ListTargetsByRule) next to the typed parts delivery reads.

use super::arn;
use super::errors::EventsError;
use super::input::{InputSpec, TransformerIn};
use super::pagination::page;
use super::{parse, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use crate::services::pagination::Listed;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// AWS's limit on targets per rule.
const MAX_TARGETS_PER_RULE: usize = 5;
/// RetryPolicy defaults: 24 hours and 185 attempts.
const DEFAULT_MAX_ATTEMPTS: u32 = 185;
const DEFAULT_MAX_AGE_SECS: u64 = 86_400;

#[derive(Debug)]
pub struct Target {
    pub id: String,
    pub arn: String,
    /// The id and ARN again, shared: what the spans of its deliveries keep (an `Arc` clone
    /// per delivery rather than a copy).
    pub shared_id: Arc<str>,
    pub shared_arn: Arc<str>,
    /// The target as the client sent it.
    pub raw: Value,
    pub input: InputSpec,
    /// `SqsParameters.MessageGroupId` for FIFO queues.
    pub message_group_id: Option<String>,
    pub retry: RetryPolicy,
    pub dead_letter_arn: Option<String>,
    /// `HttpParameters` for API destinations: path values, headers, query string.
    pub http: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub max_age_secs: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TargetIn {
    id: String,
    arn: String,
    input: Option<String>,
    input_path: Option<String>,
    input_transformer: Option<TransformerIn>,
    sqs_parameters: Option<SqsParametersIn>,
    retry_policy: Option<RetryPolicyIn>,
    dead_letter_config: Option<DeadLetterIn>,
    http_parameters: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SqsParametersIn {
    message_group_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RetryPolicyIn {
    maximum_retry_attempts: Option<u32>,
    maximum_event_age_in_seconds: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeadLetterIn {
    arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutInput {
    rule: String,
    event_bus_name: Option<String>,
    targets: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RemoveInput {
    rule: String,
    event_bus_name: Option<String>,
    ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListInput {
    rule: String,
    event_bus_name: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

impl Target {
    /// Checks one target as PutTargets does and builds what delivery needs.
    pub(super) fn from_input(raw: Value) -> Result<Target, EventsError> {
        let t: TargetIn = parse(raw.clone())?;
        let Some(parsed) = crate::arn::Arn::parse(&t.arn) else {
            return Err(EventsError::validation(format!(
                "Parameter {} is not valid. Reason: Provided Arn is not in correct format.",
                t.arn
            )));
        };
        let given = [
            t.input.is_some(),
            t.input_path.is_some(),
            t.input_transformer.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(EventsError::validation(format!(
                "Only one of Input, InputPath, or InputTransformer must be provided for target {}.",
                t.id
            )));
        }
        let input = InputSpec::new(&t.id, t.input, t.input_path, t.input_transformer)?;
        let message_group_id = t.sqs_parameters.and_then(|p| p.message_group_id);
        let is_sqs = parsed.is("sqs");
        if is_sqs && t.arn.ends_with(".fifo") && message_group_id.is_none() {
            return Err(EventsError::validation(format!(
                "Parameter(s) SqsParameters must be specified for target: {}.",
                t.id
            )));
        }
        let retry = RetryPolicy {
            max_attempts: t
                .retry_policy
                .as_ref()
                .and_then(|r| r.maximum_retry_attempts)
                .unwrap_or(DEFAULT_MAX_ATTEMPTS),
            max_age_secs: t
                .retry_policy
                .as_ref()
                .and_then(|r| r.maximum_event_age_in_seconds)
                .unwrap_or(DEFAULT_MAX_AGE_SECS),
        };
        Ok(Target {
            shared_id: t.id.as_str().into(),
            shared_arn: t.arn.as_str().into(),
            id: t.id,
            arn: t.arn,
            raw,
            input,
            message_group_id,
            retry,
            dead_letter_arn: t.dead_letter_config.and_then(|d| d.arn),
            http: t.http_parameters,
        })
    }
}

pub fn put(ev: &Inner, ctx: &RequestContext, input: PutInput) -> Result<NoFailures, EventsError> {
    let bus = arn::bus_name(input.event_bus_name.as_deref());
    let targets = input
        .targets
        .into_iter()
        .map(Target::from_input)
        .collect::<Result<Vec<_>, _>>()?;
    ev.region(ctx, |region| {
        let rule = region.rule_mut(&bus, &input.rule)?;
        let new_ids = targets
            .iter()
            .filter(|t| !rule.targets.iter().any(|old| old.id == t.id))
            .map(|t| &t.id)
            .collect::<std::collections::HashSet<_>>()
            .len();
        if rule.targets.len() + new_ids > MAX_TARGETS_PER_RULE {
            return Err(EventsError::LimitExceeded(
                "The requested resource exceeds the maximum number allowed.".into(),
            ));
        }
        for target in targets {
            let target = Arc::new(target);
            match rule.targets.iter_mut().find(|old| old.id == target.id) {
                Some(slot) => *slot = target,
                None => rule.targets.push(target),
            }
        }
        Ok(NoFailures::default())
    })
}

/// PutTargets' and RemoveTargets' output: every entry is applied or the call fails whole.
#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NoFailures {
    failed_entry_count: u32,
    failed_entries: [Empty; 0],
}

/// Ids the rule does not have are not failures: AWS answers them as removed.
pub fn remove(
    ev: &Inner,
    ctx: &RequestContext,
    input: RemoveInput,
) -> Result<NoFailures, EventsError> {
    let bus = arn::bus_name(input.event_bus_name.as_deref());
    ev.region(ctx, |region| {
        let rule = region.rule_mut(&bus, &input.rule)?;
        rule.targets.retain(|t| !input.ids.contains(&t.id));
        Ok(NoFailures::default())
    })
}

pub fn list(
    ev: &Inner,
    ctx: &RequestContext,
    input: ListInput,
) -> Result<Listed<Value>, EventsError> {
    let bus = arn::bus_name(input.event_bus_name.as_deref());
    ev.region(ctx, |region| {
        let rule = region.rule(&bus, &input.rule)?;
        let all: Vec<Value> = rule.targets.iter().map(|t| t.raw.clone()).collect();
        let listing = format!("targets/{bus}/{}", input.rule);
        let (items, next) = page(&all, input.limit, input.next_token.as_deref(), &listing)?;
        // A target is answered as it was put (its input's JSON form).
        Ok(Listed::new("Targets", items, next))
    })
}
