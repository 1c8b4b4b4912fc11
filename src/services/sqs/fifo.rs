//! FIFO bookkeeping: message groups (order within a group; a group is blocked while any of its
//! messages is in flight), the 5-minute deduplication window, and ReceiveRequestAttemptId
//! replays. Everything here lives inside one queue's state, under that queue's lock.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// How long a deduplication id or a receive attempt id is remembered.
pub const WINDOW_MS: u64 = 5 * 60 * 1000;

#[derive(Debug, Default)]
struct Group {
    /// Visible messages by queue id: the first is the next to deliver.
    pending: BTreeSet<u64>,
    inflight: u32,
    /// This group's key in `ready` while it can deliver (head of `pending`, nothing in flight).
    ready_key: Option<u64>,
}

/// The groups of one FIFO queue. `ready` orders deliverable groups by their oldest message, so
/// a receive serves the group whose head has waited longest.
#[derive(Debug, Default)]
pub struct FifoGroups {
    groups: HashMap<String, Group>,
    ready: BTreeMap<u64, String>,
}

impl FifoGroups {
    pub fn push_visible(&mut self, group: &str, id: u64) {
        self.groups
            .entry(group.to_string())
            .or_default()
            .pending
            .insert(id);
        self.refresh(group);
    }

    pub fn remove_visible(&mut self, group: &str, id: u64) {
        if let Some(g) = self.groups.get_mut(group) {
            g.pending.remove(&id);
        }
        self.refresh(group);
    }

    pub fn inflight_ended(&mut self, group: &str) {
        if let Some(g) = self.groups.get_mut(group) {
            g.inflight = g.inflight.saturating_sub(1);
        }
        self.refresh(group);
    }

    /// The group a receive should serve next.
    pub fn first_ready(&self) -> Option<String> {
        self.ready.first_key_value().map(|(_, g)| g.clone())
    }

    /// Takes the group's next message and counts it in flight; call `refresh` when done with
    /// the group.
    pub fn pop_for_delivery(&mut self, group: &str) -> Option<u64> {
        let g = self.groups.get_mut(group)?;
        let id = g.pending.pop_first()?;
        g.inflight += 1;
        Some(id)
    }

    /// Undoes the in-flight count of `pop_for_delivery` for a message that went elsewhere
    /// (moved to the dead-letter queue).
    pub fn delivery_cancelled(&mut self, group: &str) {
        if let Some(g) = self.groups.get_mut(group) {
            g.inflight = g.inflight.saturating_sub(1);
        }
    }

    /// Re-derives whether `group` is deliverable, and forgets empty groups so memory returns
    /// to baseline once a queue drains.
    pub fn refresh(&mut self, group: &str) {
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        if let Some(key) = g.ready_key.take() {
            self.ready.remove(&key);
        }
        if g.inflight == 0 {
            if let Some(&head) = g.pending.first() {
                self.ready.insert(head, group.to_string());
                g.ready_key = Some(head);
            }
        }
        if g.pending.is_empty() && g.inflight == 0 {
            self.groups.remove(group);
        }
    }

    /// A restored in-flight message blocks its group as it did before.
    pub fn inflight_restored(&mut self, group: &str) {
        self.groups.entry(group.to_string()).or_default().inflight += 1;
        self.refresh(group);
    }

    pub fn clear(&mut self) {
        self.groups = HashMap::new();
        self.ready.clear();
    }
}

/// Entries remembered for `WINDOW_MS`, expired lazily in insertion order (all share one
/// window length, so the deque is sorted by expiry).
#[derive(Debug)]
pub struct Window<T> {
    entries: HashMap<String, (u64, T)>,
    expiry: VecDeque<(u64, String)>,
}

impl<T> Default for Window<T> {
    fn default() -> Self {
        Window {
            entries: HashMap::new(),
            expiry: VecDeque::new(),
        }
    }
}

impl<T> Window<T> {
    pub fn get(&self, key: &str, now: u64) -> Option<&T> {
        self.entries
            .get(key)
            .filter(|(expires, _)| *expires > now)
            .map(|(_, v)| v)
    }

    pub fn insert(&mut self, key: String, value: T, now: u64) {
        let expires = now + WINDOW_MS;
        self.expiry.push_back((expires, key.clone()));
        self.entries.insert(key, (expires, value));
    }

    pub fn expire(&mut self, now: u64) {
        while let Some((expires, _)) = self.expiry.front() {
            if *expires > now {
                break;
            }
            let Some((expires, key)) = self.expiry.pop_front() else {
                break;
            };
            // A key re-inserted later has a later expiry; only drop the entry this deque
            // record belongs to.
            if self.entries.get(&key).is_some_and(|(e, _)| *e == expires) {
                self.entries.remove(&key);
            }
        }
        if self.entries.is_empty() && self.expiry.capacity() > 64 {
            self.entries = HashMap::new();
            self.expiry = VecDeque::new();
        }
    }

    pub fn clear(&mut self) {
        self.entries = HashMap::new();
        self.expiry = VecDeque::new();
    }

    /// Live entries as (key, expiry ms, value), for the state document.
    pub fn entries(&self) -> impl Iterator<Item = (&String, u64, &T)> {
        self.entries.iter().map(|(k, (e, v))| (k, *e, v))
    }

    /// One entry (key, its own expiry), if it is still live at `now`.
    pub fn entry(&self, key: &str) -> Option<(u64, &T)> {
        self.entries.get(key).map(|(e, v)| (*e, v))
    }

    /// Puts back entries read from the state document or the data directory.
    pub fn restore(&mut self, mut entries: Vec<(String, u64, T)>) {
        entries.sort_by_key(|(_, expires, _)| *expires);
        for (key, expires, value) in entries {
            self.expiry.push_back((expires, key.clone()));
            self.entries.insert(key, (expires, value));
        }
    }
}

/// The original send a duplicate is answered with.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DedupEntry {
    pub message_id: uuid::Uuid,
    pub sequence_number: Option<String>,
}

/// A receive that may be replayed: the messages (queue id, receipt generation) it returned,
/// and the rendered result to return again while all of them are still in flight.
#[derive(Debug, Clone)]
pub struct ReceiveAttempt {
    pub deliveries: Vec<(u64, u32)>,
    pub rendered: Vec<super::message::Received>,
}

/// The deduplication key: per queue, or per group with `DeduplicationScope=messageGroup`.
pub fn dedup_key(per_group: bool, group: &str, dedup_id: &str) -> String {
    if per_group {
        format!("{group}\u{0}{dedup_id}")
    } else {
        dedup_id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_with_a_message_in_flight_is_not_ready() {
        let mut g = FifoGroups::default();
        g.push_visible("a", 1);
        g.push_visible("a", 2);
        g.push_visible("b", 3);
        assert_eq!(g.first_ready().as_deref(), Some("a"));
        assert_eq!(g.pop_for_delivery("a"), Some(1));
        g.refresh("a");
        assert_eq!(g.first_ready().as_deref(), Some("b"));
        g.inflight_ended("a");
        assert_eq!(g.first_ready().as_deref(), Some("a"));
    }

    #[test]
    fn window_entries_expire_and_reinsertion_survives_old_expiry() {
        let mut w: Window<u32> = Window::default();
        w.insert("k".into(), 1, 0);
        assert_eq!(w.get("k", WINDOW_MS - 1), Some(&1));
        assert_eq!(w.get("k", WINDOW_MS), None);
        w.insert("k".into(), 2, 10);
        w.expire(WINDOW_MS);
        assert_eq!(w.get("k", WINDOW_MS), Some(&2));
        w.expire(WINDOW_MS + 10);
        assert_eq!(w.get("k", 0), None);
    }
}
