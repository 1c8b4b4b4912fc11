//! Offset pagination shared by the JSON services' list operations. A token is the offset of
//! the next item under an opaque, per-listing wrapper, so a token from one listing is refused
//! by another. Each service maps [`BadToken`] to its own error.

use base64::Engine;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// What AWS returns per page when the page size is absent or 0.
const DEFAULT_PAGE: usize = 100;

/// A token this listing did not hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadToken;

/// One page of `items` and the token for the rest; `listing` names the list (and the resource
/// it belongs to) so tokens cannot be replayed elsewhere.
pub fn page<T: Clone>(
    items: &[T],
    size: Option<i64>,
    token: Option<&str>,
    listing: &str,
) -> Result<(Vec<T>, Option<String>), BadToken> {
    let start = match token {
        None => 0,
        Some(token) => decode(token, listing).ok_or(BadToken)?,
    };
    let size = match size {
        Some(n) if n > 0 => n as usize,
        _ => DEFAULT_PAGE,
    };
    let start = start.min(items.len());
    let end = start.saturating_add(size).min(items.len());
    let next = (end < items.len()).then(|| encode(end, listing));
    Ok((items[start..end].to_vec(), next))
}

/// A list operation's output: `{"<member>": [items], "NextToken": token}`, the token left
/// out on the last page. `member` is the list's name in the operation's output shape.
pub struct Listed<T> {
    member: &'static str,
    items: Vec<T>,
    next_token: Option<String>,
    /// `NextToken`, or how the operation spells it (`nextToken` for one SNS call).
    token_member: &'static str,
}

impl<T> Listed<T> {
    pub fn new(member: &'static str, items: Vec<T>, next_token: Option<String>) -> Self {
        Listed {
            member,
            items,
            next_token,
            token_member: "NextToken",
        }
    }

    /// The same page with the token under another name.
    pub fn token_member(mut self, name: &'static str) -> Self {
        self.token_member = name;
        self
    }
}

impl<T: Serialize> Serialize for Listed<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(self.member, &self.items)?;
        if let Some(token) = &self.next_token {
            map.serialize_entry(self.token_member, token)?;
        }
        map.end()
    }
}

fn encode(offset: usize, listing: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{offset}\n{listing}"))
}

fn decode(token: &str, listing: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (offset, for_listing) = text.split_once('\n')?;
    (for_listing == listing).then_some(())?;
    offset.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_each_other_and_tokens_are_bound_to_their_listing() {
        let items: Vec<u32> = (0..5).collect();
        let (first, token) = page(&items, Some(2), None, "a").unwrap();
        assert_eq!(first, vec![0, 1]);
        let token = token.unwrap();
        let (second, _) = page(&items, Some(2), Some(&token), "a").unwrap();
        assert_eq!(second, vec![2, 3]);
        assert!(page(&items, Some(2), Some(&token), "b").is_err());
        assert!(page(&items, None, Some("InvalidToken"), "a").is_err());
        let (all, none) = page(&items, Some(0), None, "a").unwrap();
        assert_eq!((all.len(), none), (5, None));
    }
}
