//! SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat: a worker (an activity worker, or
//! whoever got a `$$.Task.Token`) reports on the task waiting on the token.

use super::errors::SfnError;
use super::{empty, Inner};
use crate::asl::interp::callbacks::{Signal, TokenError};
use crate::protocol::Empty;
use crate::request::RequestContext;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuccessInput {
    task_token: String,
    output: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureInput {
    task_token: String,
    error: Option<String>,
    cause: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatInput {
    task_token: String,
}

fn token_error(error: TokenError) -> SfnError {
    match error {
        TokenError::Invalid => SfnError::invalid_token(),
        TokenError::Expired => {
            SfnError::TaskTimedOut("Provided task does not exist anymore".into())
        }
    }
}

fn deliver(sfn: &Inner, token: &str, signal: Signal) -> Result<Empty, SfnError> {
    sfn.board.signal(token, signal).map_err(token_error)?;
    Ok(empty())
}

pub fn send_task_success(
    sfn: &Inner,
    _: &RequestContext,
    input: SuccessInput,
) -> Result<Empty, SfnError> {
    // AWS looks the token up before it reads the output.
    let output = match super::json_text::parse(&input.output, "Invalid output.") {
        Ok(output) => output,
        Err(reason) => {
            sfn.board.check(&input.task_token).map_err(token_error)?;
            return Err(SfnError::InvalidOutput(reason));
        }
    };
    deliver(sfn, &input.task_token, Signal::Succeeded(output))
}

pub fn send_task_failure(
    sfn: &Inner,
    _: &RequestContext,
    input: FailureInput,
) -> Result<Empty, SfnError> {
    deliver(
        sfn,
        &input.task_token,
        Signal::Failed {
            error: input.error,
            cause: input.cause,
        },
    )
}

pub fn send_task_heartbeat(
    sfn: &Inner,
    _: &RequestContext,
    input: HeartbeatInput,
) -> Result<Empty, SfnError> {
    deliver(sfn, &input.task_token, Signal::Heartbeat)
}
