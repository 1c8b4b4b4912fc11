//! `maxResults` / `nextToken` for every list operation, on the shared offset tokens
//! (`crate::services::pagination`).

use super::errors::SfnError;
use crate::services::pagination;

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
pub fn listed(
    key: &str,
    items: &[serde_json::Value],
    max_results: Option<i64>,
    token: Option<&str>,
    listing: &str,
) -> Result<serde_json::Value, SfnError> {
    let (items, next) = page(items, max_results, token, listing)?;
    let mut out = serde_json::Map::new();
    out.insert(key.into(), serde_json::Value::Array(items));
    if let Some(next) = next {
        out.insert("nextToken".into(), next.into());
    }
    Ok(serde_json::Value::Object(out))
}
