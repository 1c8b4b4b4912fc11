//! GetCallerIdentity: the account and principal behind the request's credentials. Ordinary
//! keys are the account's root user (the account chosen as for every request: `--account-id`,
//! or a 12-digit access key id); keys from AssumeRole are the assumed role's session.

use super::{Inner, StsError};
use crate::request::RequestContext;

/// The operation's input has no members.
pub(super) fn get_caller_identity(
    _sts: &Inner,
    ctx: &RequestContext,
    _input: crate::protocol::Empty,
) -> Result<Identity, StsError> {
    Ok(match &ctx.session {
        Some(session) => Identity {
            user_id: session.user_id.clone(),
            account: session.account_id.clone(),
            arn: session.arn.clone(),
        },
        None => Identity {
            user_id: ctx.account_id.clone(),
            account: ctx.account_id.clone(),
            arn: crate::arn::account_root(&ctx.region, &ctx.account_id),
        },
    })
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Identity {
    user_id: String,
    account: String,
    arn: String,
}
