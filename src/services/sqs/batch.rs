//! Rules every `*Batch` operation shares: 1 to 10 entries, ids of `[A-Za-z0-9_-]{1,80}`,
//! distinct; and the `Failed` entry shape.

use super::errors::SqsError;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

const MAX_ENTRIES: usize = 10;

/// The input of a `*Batch` operation: the queue and its entries.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchInput<E> {
    pub queue_url: String,
    #[serde(default = "Vec::new")]
    pub entries: Vec<E>,
}

/// An entry of a batch that takes receipt handles: DeleteMessageBatch's entries are an id and
/// a handle; ChangeMessageVisibilityBatch's also carry the new timeout (absent in the other).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HandleEntry {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub receipt_handle: String,
    pub visibility_timeout: Option<i64>,
}

/// Checks the entries' ids, then applies `each` to every entry's handle: `Successful` lists
/// the ids it accepted, `Failed` the others with their errors.
pub fn for_each_handle(
    entries: &[HandleEntry],
    entry_shape: &'static str,
    mut each: impl FnMut(&HandleEntry) -> Result<(), SqsError>,
) -> Result<HandlesOutput, SqsError> {
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    check_entry_ids(&ids, entry_shape)?;
    let (mut successful, mut failed) = (Vec::new(), Vec::new());
    for entry in entries {
        match each(entry) {
            Ok(()) => successful.push(EntryId {
                id: entry.id.clone(),
            }),
            Err(e) => failed.push(failed_entry(&entry.id, &e)),
        }
    }
    Ok(HandlesOutput { successful, failed })
}

/// DeleteMessageBatch's and ChangeMessageVisibilityBatch's output: both lists always, even
/// empty.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HandlesOutput {
    successful: Vec<EntryId>,
    failed: Vec<FailedEntry>,
}

/// A successful entry of a batch that answers only its id.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EntryId {
    id: String,
}

/// `entry_shape` names the entry type in AWS's EmptyBatchRequest message.
pub fn check_entry_ids<'a>(ids: &[&'a str], entry_shape: &'static str) -> Result<(), SqsError> {
    if ids.is_empty() {
        return Err(SqsError::EmptyBatchRequest(entry_shape));
    }
    if ids.len() > MAX_ENTRIES {
        return Err(SqsError::TooManyEntriesInBatchRequest(ids.len()));
    }
    let mut seen: HashSet<&'a str> = HashSet::with_capacity(ids.len());
    for id in ids {
        let valid = !id.is_empty()
            && id.len() <= 80
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(SqsError::InvalidBatchEntryId);
        }
        if !seen.insert(id) {
            return Err(SqsError::BatchEntryIdsNotDistinct((*id).to_string()));
        }
    }
    Ok(())
}

/// A `BatchResultErrorEntry`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FailedEntry {
    id: String,
    sender_fault: bool,
    code: &'static str,
    message: String,
}

pub fn failed_entry(id: &str, error: &SqsError) -> FailedEntry {
    FailedEntry {
        id: id.to_string(),
        sender_fault: true,
        code: error.code(),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_id_rules() {
        assert_eq!(
            check_entry_ids(&[], "X"),
            Err(SqsError::EmptyBatchRequest("X"))
        );
        assert_eq!(
            check_entry_ids(&["a"; 11], "X"),
            Err(SqsError::TooManyEntriesInBatchRequest(11))
        );
        assert_eq!(
            check_entry_ids(&["a:b"], "X"),
            Err(SqsError::InvalidBatchEntryId)
        );
        assert_eq!(
            check_entry_ids(&["a", "a"], "X"),
            Err(SqsError::BatchEntryIdsNotDistinct("a".into()))
        );
        assert_eq!(check_entry_ids(&["a-1", "b_2"], "X"), Ok(()));
    }
}
