//! What the four services' tags have in common: at most 50 per resource, a key tagged again
//! takes the new value (and counts once), untagging an absent key is no error, and listing
//! shows key/value pairs. Each service keeps its own wire names, error texts and checks in its
//! own `tags.rs`.
//!
//! Two stores: EventBridge and Step Functions keep tags in the order first given (a `TagList`),
//! which their List calls show; SNS and SQS list tags by key (a `TagMap`).

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// AWS's limit on tags per resource, the same in the four services.
pub const MAX_TAGS: usize = 50;

/// Tags in the order their keys were first given.
pub type TagList = Vec<(String, String)>;

/// Tags ordered by key.
pub type TagMap = BTreeMap<String, String>;

/// One `{"Key": ..., "Value": ...}` of a request (EventBridge's and SNS's spelling).
#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Sets each of `new` on `list`: a key already there keeps its place and takes the new value.
pub fn merge(list: &mut TagList, new: TagList) {
    for (key, value) in new {
        match list.iter_mut().find(|(k, _)| *k == key) {
            Some(existing) => existing.1 = value,
            None => list.push((key, value)),
        }
    }
}

/// Adds `new` to `list` unless the result would fail `check` (given the merged count), in
/// which case `list` is left as it was.
pub fn add<E>(
    list: &mut TagList,
    new: TagList,
    check: impl FnOnce(usize) -> Result<(), E>,
) -> Result<(), E> {
    let mut merged = list.clone();
    merge(&mut merged, new);
    check(merged.len())?;
    *list = merged;
    Ok(())
}

/// Removes the tags with these keys; absent keys are ignored.
pub fn remove(list: &mut TagList, keys: &[String]) {
    list.retain(|(key, _)| !keys.contains(key));
}

/// Whether adding `new` to `tags` keeps them within `MAX_TAGS` (keys already there count once).
pub fn fits(tags: &TagMap, new: &TagMap) -> bool {
    let kept = tags.keys().filter(|k| !new.contains_key(*k)).count();
    kept + new.len() <= MAX_TAGS
}

/// A List call's tags: `[{key_name: key, value_name: value}, ...]` in the store's order.
pub struct TagsOut {
    key_name: &'static str,
    value_name: &'static str,
    tags: TagList,
}

impl Serialize for TagsOut {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut list = serializer.serialize_seq(Some(self.tags.len()))?;
        for (key, value) in &self.tags {
            list.serialize_element(&Pair {
                names: (self.key_name, self.value_name),
                key,
                value,
            })?;
        }
        list.end()
    }
}

/// One `{key_name: key, value_name: value}`.
struct Pair<'a> {
    names: (&'static str, &'static str),
    key: &'a str,
    value: &'a str,
}

impl Serialize for Pair<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(self.names.0, self.key)?;
        map.serialize_entry(self.names.1, self.value)?;
        map.end()
    }
}

/// The tags as a list of `{key_name: key, value_name: value}` objects.
pub fn to_list<'a>(
    tags: impl IntoIterator<Item = (&'a String, &'a String)>,
    key_name: &'static str,
    value_name: &'static str,
) -> TagsOut {
    TagsOut {
        key_name,
        value_name,
        tags: tags
            .into_iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(pairs: &[(&str, &str)]) -> TagList {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_key_tagged_again_keeps_its_place_and_takes_the_new_value() {
        let mut tags = list(&[("a", "1"), ("b", "2")]);
        merge(&mut tags, list(&[("b", "3"), ("c", "4")]));
        assert_eq!(tags, list(&[("a", "1"), ("b", "3"), ("c", "4")]));
        remove(&mut tags, &["a".into(), "absent".into()]);
        assert_eq!(tags, list(&[("b", "3"), ("c", "4")]));
    }

    #[test]
    fn tags_over_the_limit_leave_the_list_unchanged() {
        let mut tags = list(&[("a", "1")]);
        let refused = add(&mut tags, list(&[("b", "2")]), Err::<(), _>);
        assert_eq!(refused, Err(2));
        assert_eq!(tags, list(&[("a", "1")]));
        assert_eq!(
            add(&mut tags, list(&[("a", "9")]), |_| Ok::<_, ()>(())),
            Ok(())
        );
        assert_eq!(tags, list(&[("a", "9")]));
    }

    #[test]
    fn keys_already_there_count_once_against_the_limit() {
        let full: TagMap = (0..MAX_TAGS)
            .map(|i| (i.to_string(), String::new()))
            .collect();
        let again: TagMap = [("0".to_string(), "x".to_string())].into();
        let another: TagMap = [("new".to_string(), String::new())].into();
        assert!(fits(&full, &again));
        assert!(!fits(&full, &another));
    }

    #[test]
    fn lists_use_the_services_member_names() {
        let tags = list(&[("k", "v")]);
        let listed = to_list(tags.iter().map(|(k, v)| (k, v)), "key", "value");
        assert_eq!(
            serde_json::to_value(&listed).ok(),
            Some(serde_json::json!([{"key": "k", "value": "v"}]))
        );
    }
}
