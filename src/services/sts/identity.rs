//! GetCallerIdentity: the account and principal behind the request's credentials. Ordinary
//! keys are the account's root user (the account chosen as for every request: `--account-id`,
//! or a 12-digit access key id); keys from AssumeRole are the assumed role's session.

use super::{Inner, StsError};
use crate::request::RequestContext;
use serde_json::{json, Value};

/// The operation's input has no members.
pub(super) fn get_caller_identity(
    _sts: &Inner,
    ctx: &RequestContext,
    _input: Value,
) -> Result<Value, StsError> {
    Ok(match &ctx.session {
        Some(session) => json!({
            "UserId": session.user_id,
            "Account": session.account_id,
            "Arn": session.arn,
        }),
        None => json!({
            "UserId": ctx.account_id,
            "Account": ctx.account_id,
            "Arn": crate::arn::account_root(&ctx.region, &ctx.account_id),
        }),
    })
}
