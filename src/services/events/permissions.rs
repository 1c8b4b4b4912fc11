//! PutPermission and RemovePermission: a bus's resource policy, kept as statements and shown
//! by DescribeEventBus as one policy document.

use super::arn;
use super::errors::EventsError;
use super::store::Bus;
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutInput {
    event_bus_name: Option<String>,
    action: Option<String>,
    principal: Option<String>,
    statement_id: Option<String>,
    condition: Option<Value>,
    policy: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RemoveInput {
    event_bus_name: Option<String>,
    statement_id: Option<String>,
    #[serde(default)]
    remove_all_permissions: bool,
}

/// The policy document DescribeEventBus shows, or `None` when the bus has no statements.
pub fn policy_document(bus: &Bus) -> Option<Value> {
    (!bus.statements.is_empty())
        .then(|| json!({"Version": "2012-10-17", "Statement": bus.statements}))
}

pub fn put(ev: &Inner, ctx: &RequestContext, input: PutInput) -> Result<Empty, EventsError> {
    let name = arn::bus_name(input.event_bus_name.as_deref());
    // Either a whole policy, or one statement built from its parts.
    let replacement = match &input.policy {
        Some(policy) => {
            let doc: Value = serde_json::from_str(policy)
                .map_err(|_| EventsError::validation("Parameter Policy is not valid."))?;
            let statements = match doc.get("Statement") {
                Some(Value::Array(list)) => list.clone(),
                Some(one @ Value::Object(_)) => vec![one.clone()],
                _ => return Err(EventsError::validation("Parameter Policy is not valid.")),
            };
            Some(statements)
        }
        None => None,
    };
    ev.region(ctx, |region| {
        let bus = region.bus_mut(&name)?;
        if let Some(statements) = replacement {
            bus.statements = statements;
            return Ok(empty());
        }
        let (Some(action), Some(principal), Some(sid)) =
            (&input.action, &input.principal, &input.statement_id)
        else {
            return Err(EventsError::validation(
                "Parameter(s) Action, Principal, StatementId must be specified.",
            ));
        };
        if action != "events:PutEvents" {
            return Err(EventsError::validation(format!(
                "Provided value in parameter 'action' is not supported: {action}"
            )));
        }
        let principal_value = if principal == "*" {
            json!("*")
        } else {
            json!({"AWS": crate::arn::account_root(&ctx.region, principal)})
        };
        let mut statement = json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": principal_value,
            "Action": action,
            "Resource": bus.arn,
        });
        if let Some(condition) = &input.condition {
            statement["Condition"] = json!({
                condition["Type"].as_str().unwrap_or("StringEquals"): {
                    condition["Key"].as_str().unwrap_or("aws:PrincipalOrgID"): condition["Value"]
                }
            });
        }
        // A statement id already there is replaced in place, as AWS does.
        match bus.statements.iter_mut().find(|s| s["Sid"] == json!(sid)) {
            Some(slot) => *slot = statement,
            None => bus.statements.push(statement),
        }
        Ok(empty())
    })
}

pub fn remove(ev: &Inner, ctx: &RequestContext, input: RemoveInput) -> Result<Empty, EventsError> {
    let name = arn::bus_name(input.event_bus_name.as_deref());
    ev.region(ctx, |region| {
        let bus = region.bus_mut(&name)?;
        if input.remove_all_permissions {
            bus.statements.clear();
            return Ok(empty());
        }
        let Some(sid) = &input.statement_id else {
            return Err(EventsError::validation(
                "Parameter StatementId must be specified unless RemoveAllPermissions is true.",
            ));
        };
        if bus.statements.is_empty() {
            return Err(EventsError::ResourceNotFound(
                "EventBus does not have a policy.".into(),
            ));
        }
        let before = bus.statements.len();
        bus.statements.retain(|s| s["Sid"] != json!(sid));
        if bus.statements.len() == before {
            return Err(EventsError::ResourceNotFound(
                "Statement with the provided id does not exist.".into(),
            ));
        }
        Ok(empty())
    })
}
