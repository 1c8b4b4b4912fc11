//! Pagination of queue-name lists.

use super::errors::SqsError;
use base64::Engine;

/// Pagination shared by ListQueues and ListDeadLetterSourceQueues: without MaxResults, up to
/// 1000 results and no token; with it, pages of MaxResults and a token naming the last one.
pub struct Page {
    pub max_results: Option<usize>,
    pub after: Option<String>,
}

impl Page {
    pub fn parse(max_results: Option<i64>, next_token: Option<&str>) -> Result<Page, SqsError> {
        let max_results = match max_results {
            None => None,
            Some(n) if (1..=1000).contains(&n) => Some(n as usize),
            Some(n) => {
                return Err(SqsError::invalid_parameter(
                    n,
                    "MaxResults",
                    "MaxResults must be an integer between 1 and 1000.",
                ))
            }
        };
        let after = match next_token.filter(|t| !t.is_empty()) {
            None => None,
            Some(token) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(token)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| SqsError::invalid_value("Invalid NextToken value."))?,
            ),
        };
        Ok(Page { max_results, after })
    }

    /// Takes one page from `names` (sorted); returns it and the next token.
    pub fn apply(&self, names: Vec<String>) -> (Vec<String>, Option<String>) {
        let start = match &self.after {
            Some(after) => names.partition_point(|n| n <= after),
            None => 0,
        };
        let limit = self.max_results.unwrap_or(1000);
        let rest = &names[start.min(names.len())..];
        let page: Vec<String> = rest.iter().take(limit).cloned().collect();
        let token = (self.max_results.is_some() && rest.len() > limit)
            .then(|| {
                page.last()
                    .map(|last| base64::engine::general_purpose::STANDARD.encode(last))
            })
            .flatten();
        (page, token)
    }
}
