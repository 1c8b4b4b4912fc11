//! `maxResults` / `nextToken` for every list operation, on the shared offset tokens
//! (`crate::services::pagination`).

use super::errors::SfnError;
use crate::services::pagination::{self, Listed};

/// One page of `items` and the token for the rest; `listing` names the list (and the resource
/// it belongs to) so tokens cannot be replayed elsewhere.
pub fn page<T: Clone>(
    items: &[T],
    max_results: Option<i64>,
    token: Option<&str>,
    listing: &str,
) -> Result<(Vec<T>, Option<String>), SfnError> {
    pagination::page(items, max_results, token, listing).map_err(|_| SfnError::invalid_token())
}

/// A list operation's answer: one page of `items` under `key`, with `nextToken` when more remain.
pub fn listed<T: Clone>(
    key: &'static str,
    items: &[T],
    max_results: Option<i64>,
    token: Option<&str>,
    listing: &str,
) -> Result<Listed<T>, SfnError> {
    let (items, next) = page(items, max_results, token, listing)?;
    Ok(Listed::new(key, items, next).token_member("nextToken"))
}
