//! `Limit` / `NextToken` for every list operation, on the shared offset tokens
//! (`crate::services::pagination`).

use super::errors::EventsError;
use crate::services::pagination;

/// One page of `items` and the token for the rest; `listing` names the list (and the resource
/// it belongs to) so tokens cannot be replayed elsewhere.
pub fn page<T: Clone>(
    items: &[T],
    limit: Option<i64>,
    token: Option<&str>,
    listing: &str,
) -> Result<(Vec<T>, Option<String>), EventsError> {
    pagination::page(items, limit, token, listing).map_err(|_| EventsError::invalid_token())
}
