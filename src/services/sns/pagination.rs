//! SNS's list pagination: pages of at most 100 (AWS's page size for every SNS list call),
//! with a `NextToken` naming where the next page starts. The token is the (standard, padded)
//! base64 of the first key of the next page, so a page stays stable while items before it are
//! added or removed; AWS's tokens decode as standard base64 too (recorded).

use super::errors::SnsError;
use crate::services::pagination::Listed;
use base64::Engine;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: usize = 100;

/// Items sorted by key; returns the page that `next_token` starts and the token for the
/// page after it.
pub fn page<T>(
    items: Vec<(String, T)>,
    next_token: Option<&str>,
    page_size: usize,
) -> Result<(Vec<T>, Option<String>), SnsError> {
    let start = match next_token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => {
            let key = base64::engine::general_purpose::STANDARD
                .decode(token)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| SnsError::invalid("NextToken"))?;
            items.partition_point(|(k, _)| *k < key)
        }
    };
    let mut rest: Vec<(String, T)> = items.into_iter().skip(start).collect();
    let next = (rest.len() > page_size)
        .then(|| base64::engine::general_purpose::STANDARD.encode(rest[page_size].0.as_bytes()));
    rest.truncate(page_size);
    Ok((rest.into_iter().map(|(_, v)| v).collect(), next))
}

/// A List call's answer: the page `next_token` starts under `key`, and the token of the next
/// page, if any, under `token_key` (`NextToken`; `nextToken` for ListPhoneNumbersOptedOut).
pub fn listed<T: Serialize>(
    items: Vec<(String, T)>,
    next_token: Option<&str>,
    page_size: usize,
    key: &'static str,
    token_key: &'static str,
) -> Result<Listed<T>, SnsError> {
    let (items, next) = page(items, next_token, page_size)?;
    Ok(Listed::new(key, items, next).token_member(token_key))
}

/// [`listed`] with AWS's page size and the token under `NextToken`, as most SNS List calls
/// answer.
pub fn page_of<T: Serialize>(
    items: Vec<(String, T)>,
    next_token: Option<&str>,
    key: &'static str,
) -> Result<Listed<T>, SnsError> {
    listed(items, next_token, PAGE_SIZE, key, "NextToken")
}

/// The input of a List call that takes nothing but a `NextToken`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NextTokenInput {
    pub next_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_tokens_to_the_end() {
        let items: Vec<(String, usize)> = (0..5).map(|i| (format!("k{i}"), i)).collect();
        let (first, token) = page(items.clone(), None, 2).unwrap();
        assert_eq!(first, vec![0, 1]);
        let (second, token) = page(items.clone(), token.as_deref(), 2).unwrap();
        assert_eq!(second, vec![2, 3]);
        let (third, token) = page(items.clone(), token.as_deref(), 2).unwrap();
        assert_eq!((third, token), (vec![4], None));
        assert!(page(items, Some("%%%"), 2).is_err());
    }
}
