//! PurgeQueue: deletes every message; AWS allows one purge per queue every 60 seconds.

use super::errors::SqsError;
use super::{empty, Inner};
use crate::protocol::Empty;
use crate::request::RequestContext;
use serde::Deserialize;

const PURGE_INTERVAL_MS: u64 = 60_000;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PurgeQueueInput {
    queue_url: String,
}

pub fn purge_queue(
    sqs: &Inner,
    ctx: &RequestContext,
    input: PurgeQueueInput,
) -> Result<Empty, SqsError> {
    let queue = sqs.queue(ctx, &input.queue_url)?;
    let now = sqs.now();
    let mut state = queue.state.lock();
    if state
        .last_purge_ms()
        .is_some_and(|last| now < last + PURGE_INTERVAL_MS)
    {
        return Err(SqsError::PurgeQueueInProgress(queue.location.name.clone()));
    }
    state.purge(now);
    Ok(empty())
}
