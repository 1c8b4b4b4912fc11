//! One queue's state and its message state machine:
//!
//! ```text
//! send ──► Delayed ──(delay elapses)──► Visible ──(receive)──► InFlight ──(delete)──► gone
//!            └──────────────(no delay)──┘   ▲                      │
//!                                           └─(visibility expires)─┘
//! ```
//!
//! Timers are deadlines in one ordered set, applied lazily by `tick` whenever the queue is
//! touched; long polls sleep until `next_deadline`. There is no task per message. Retention
//! expiry walks the oldest messages (ids grow with enqueue time). The whole struct sits behind
//! the queue's mutex and is plain data: its records (`slot_records`, `durable.rs`) are read
//! straight from it under that lock.

use super::attributes::QueueAttributes;
use super::fifo::{DedupEntry, FifoGroups, ReceiveAttempt, Window};
use super::journal::Journal;
use super::message::Message;
use super::records::{SlotRecord, SlotRecordRef, SlotStateRecord};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    Delayed { until: u64 },
    Visible,
    InFlight { until: u64, received_ms: u64 },
}

#[derive(Debug)]
struct Slot {
    message: Message,
    enqueued_ms: u64,
    state: SlotState,
    /// Bumped on every receive; a receipt handle names the generation it was issued for.
    receipt_seq: u32,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub visible: usize,
    pub inflight: usize,
    pub delayed: usize,
}

/// A message's state as someone looking at the queue sees it (`messages_at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Visible,
    Delayed { until: u64 },
    InFlight { until: u64 },
}

/// What ChangeMessageVisibility did.
#[derive(Debug, PartialEq, Eq)]
pub enum VisibilityChanged {
    Changed,
    /// The handle's receive timed out and nobody received the message since: AWS answers OK
    /// and leaves the message visible (LocalStack #9632, validated against AWS).
    AlreadyVisible,
}

/// Why a receipt handle can't change a message's visibility.
#[derive(Debug, PartialEq, Eq)]
pub enum VisibilityRefused {
    /// Deleted, never received, or received again since and now visible again.
    NotInFlight,
    /// Received-at plus the new timeout would pass 12 hours.
    TotalTooLong,
}

/// What DeleteMessage found.
#[derive(Debug, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// Already gone, or an older receipt (AWS: "succeeds, but the message will not be deleted").
    Ignored,
    /// FIFO only: the handle's receive is over (visibility expired or received again).
    Expired,
}

/// Messages one receive took: (queue id, receipt generation) to render, and messages that
/// exceeded the redrive policy's maxReceiveCount and must go to the dead-letter queue.
#[derive(Debug, Default)]
pub struct Taken {
    pub delivered: Vec<(u64, u32)>,
    pub dead_lettered: Vec<Message>,
}

const MAX_VISIBILITY_MS: u64 = 43_200 * 1000;

/// One queue behind its lock (`state_lock.rs`). Every field but the journal is private:
/// configuration changes go through the mutators below, which also note the change for the
/// durable flush, so no handler can change the queue without its record following. The
/// journal is `pub(super)` only for `state_lock.rs` and `durable.rs`, which install it and
/// take it out to flush.
#[derive(Debug)]
pub struct QueueState {
    attrs: QueueAttributes,
    tags: BTreeMap<String, String>,
    last_purge_ms: Option<u64>,
    /// Set by DeleteQueue so long polls holding this queue stop waiting.
    deleted: bool,
    /// Long polls currently waiting; senders skip the wakeup when there are none.
    pollers: usize,
    dedup: Window<DedupEntry>,
    attempts: Window<ReceiveAttempt>,
    /// Boxed: ids only grow, so B-tree leaves split as they fill at the right edge and stay
    /// little over half full; a leaf of 8-byte pointers wastes far less than one of whole
    /// slots would (about 30 bytes per message instead of about 150).
    slots: BTreeMap<u64, Box<Slot>>,
    next_id: u64,
    /// Standard queues: visible message ids, oldest first.
    visible: BTreeSet<u64>,
    /// FIFO queues: visible messages per group.
    groups: FifoGroups,
    /// (deadline ms, id) of every Delayed and InFlight message.
    deadlines: BTreeSet<(u64, u64)>,
    counts: Counts,
    /// With `--data-dir`: what changed since the last flush (see `durable.rs`); `None` keeps
    /// the in-memory path free of any bookkeeping.
    pub(super) journal: Option<Box<Journal>>,
}

impl QueueState {
    pub fn new(attrs: QueueAttributes) -> Self {
        QueueState {
            attrs,
            tags: BTreeMap::new(),
            last_purge_ms: None,
            deleted: false,
            pollers: 0,
            dedup: Window::default(),
            attempts: Window::default(),
            slots: BTreeMap::new(),
            next_id: 0,
            visible: BTreeSet::new(),
            groups: FifoGroups::default(),
            deadlines: BTreeSet::new(),
            counts: Counts::default(),
            journal: None,
        }
    }

    /// A queue with its configuration: a new queue with its tags, or one read back from its
    /// record (state document or data directory), whose messages follow through `restore_slot`.
    pub(super) fn with_config(
        attrs: QueueAttributes,
        tags: BTreeMap<String, String>,
        last_purge_ms: Option<u64>,
    ) -> Self {
        QueueState {
            tags,
            last_purge_ms,
            ..QueueState::new(attrs)
        }
    }

    pub(super) fn attrs(&self) -> &QueueAttributes {
        &self.attrs
    }

    /// SetQueueAttributes: the whole set is replaced (validated by the caller).
    pub(super) fn set_attrs(&mut self, attrs: QueueAttributes) {
        self.attrs = attrs;
        self.mark_config_changed();
    }

    /// AddPermission / RemovePermission: the policy document, or none.
    pub(super) fn set_policy(&mut self, policy: Option<String>) {
        self.attrs.policy = policy;
        self.mark_config_changed();
    }

    pub(super) fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// TagQueue (and CreateQueue's tags): new values replace old ones of the same key.
    pub(super) fn tag(&mut self, tags: impl IntoIterator<Item = (String, String)>) {
        self.tags.extend(tags);
        self.mark_config_changed();
    }

    /// UntagQueue: keys that are not there are ignored.
    pub(super) fn untag<'k>(&mut self, keys: impl IntoIterator<Item = &'k String>) {
        for key in keys {
            self.tags.remove(key);
        }
        self.mark_config_changed();
    }

    pub(super) fn last_purge_ms(&self) -> Option<u64> {
        self.last_purge_ms
    }

    pub(super) fn is_deleted(&self) -> bool {
        self.deleted
    }

    /// Long polls waiting on this queue now; a sender wakes them only when there are some.
    pub(super) fn pollers(&self) -> usize {
        self.pollers
    }

    /// A long poll starts waiting (`receive.rs`'s registration pairs it with `poller_left`).
    pub(super) fn poller_joined(&mut self) {
        self.pollers += 1;
    }

    pub(super) fn poller_left(&mut self) {
        self.pollers -= 1;
    }

    /// The FIFO deduplication window, read-only: sends record into it with `remember_dedup`.
    pub(super) fn dedup(&self) -> &Window<DedupEntry> {
        &self.dedup
    }

    /// Puts back the deduplication window read from a queue's record.
    pub(super) fn restore_dedup(&mut self, entries: Vec<(String, u64, DedupEntry)>) {
        self.dedup.restore(entries);
    }

    /// A FIFO receive attempt still within its window (ReceiveRequestAttemptId).
    pub(super) fn receive_attempt(&self, attempt_id: &str, now: u64) -> Option<&ReceiveAttempt> {
        self.attempts.get(attempt_id, now)
    }

    /// Remembers what a FIFO receive attempt delivered, so a retry of it gets the same.
    pub(super) fn remember_attempt(
        &mut self,
        attempt_id: String,
        attempt: ReceiveAttempt,
        now: u64,
    ) {
        self.attempts.insert(attempt_id, attempt, now);
    }

    /// Notes that message `id` changed (or went) for the next durable flush.
    fn touch(&mut self, id: u64) {
        if let Some(journal) = self.journal.as_mut() {
            journal.messages.push(id);
        }
    }

    /// Attributes, tags, policy or the purge time changed.
    fn mark_config_changed(&mut self) {
        if let Some(journal) = self.journal.as_mut() {
            journal.config = true;
        }
    }

    /// DeleteQueue: long polls holding the queue stop waiting, its records go.
    pub fn mark_deleted(&mut self) {
        self.deleted = true;
        if let Some(journal) = self.journal.as_mut() {
            journal.deleted = true;
        }
    }

    /// Remembers a FIFO send for the deduplication window.
    pub fn remember_dedup(&mut self, key: String, entry: DedupEntry, now: u64) {
        if let Some(journal) = self.journal.as_mut() {
            journal.dedup.push(key.clone());
        }
        self.dedup.insert(key, entry, now);
    }

    /// The id the next message will get.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Every stored message as a record, oldest first (for the state document).
    pub fn slot_records(&self) -> impl Iterator<Item = SlotRecordRef<'_>> + '_ {
        self.slots.keys().filter_map(|&id| self.slot_record(id))
    }

    /// One message's record, borrowed (serialised at once by the caller).
    pub fn slot_record(&self, id: u64) -> Option<SlotRecordRef<'_>> {
        let slot = self.slots.get(&id)?;
        Some(SlotRecordRef {
            id,
            enqueued_ms: slot.enqueued_ms,
            receipt_seq: slot.receipt_seq,
            state: match slot.state {
                SlotState::Delayed { until } => SlotStateRecord::Delayed { until },
                SlotState::Visible => SlotStateRecord::Visible,
                SlotState::InFlight { until, received_ms } => {
                    SlotStateRecord::InFlight { until, received_ms }
                }
            },
            message: &slot.message,
        })
    }

    /// Puts back a message read from the state document or the data directory, in the state
    /// it was in; `tick` applies whatever came due meanwhile. Call in id order.
    pub fn restore_slot(&mut self, record: SlotRecord) {
        let id = record.id;
        if self.slots.contains_key(&id) {
            return;
        }
        self.next_id = self.next_id.max(id + 1);
        let group = record.message.group_id().map(str::to_string);
        let state = match record.state {
            SlotStateRecord::Delayed { until } => SlotState::Delayed { until },
            SlotStateRecord::Visible => SlotState::Visible,
            SlotStateRecord::InFlight { until, received_ms } => {
                SlotState::InFlight { until, received_ms }
            }
        };
        self.slots.insert(
            id,
            Box::new(Slot {
                message: record.message,
                enqueued_ms: record.enqueued_ms,
                state,
                receipt_seq: record.receipt_seq,
            }),
        );
        match state {
            SlotState::Delayed { until } => {
                self.deadlines.insert((until, id));
                self.counts.delayed += 1;
            }
            SlotState::InFlight { until, .. } => {
                self.deadlines.insert((until, id));
                self.counts.inflight += 1;
                if let (true, Some(g)) = (self.attrs.fifo, group.as_deref()) {
                    self.groups.inflight_restored(g);
                }
            }
            SlotState::Visible => self.push_visible(id, group.as_deref()),
        }
    }

    /// Ids below `floor` were used before (by messages since deleted): never reuse them, so
    /// an old receipt handle cannot name a new message.
    pub fn raise_next_id(&mut self, floor: u64) {
        self.next_id = self.next_id.max(floor);
    }

    pub fn is_fifo(&self) -> bool {
        self.attrs.fifo
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    pub fn message(&self, id: u64) -> Option<&Message> {
        self.slots.get(&id).map(|s| &s.message)
    }

    /// Every stored message with its state as of `now`, oldest first, without changing
    /// anything: for looking at a queue (the console's peek), never for delivering. Timers
    /// due by `now` but not yet applied by `tick` are read as already applied.
    pub fn messages_at(&self, now: u64) -> impl Iterator<Item = (&Message, Shown)> + '_ {
        let retention_ms = u64::from(self.attrs.message_retention_period) * 1000;
        self.slots
            .values()
            .filter(move |slot| slot.enqueued_ms + retention_ms > now)
            .map(move |slot| {
                let shown = match slot.state {
                    SlotState::Delayed { until } if until > now => Shown::Delayed { until },
                    SlotState::InFlight { until, .. } if until > now => Shown::InFlight { until },
                    _ => Shown::Visible,
                };
                (&slot.message, shown)
            })
    }

    /// The earliest time a message changes state on its own (a delay or visibility ending).
    pub fn next_deadline(&self) -> Option<u64> {
        self.deadlines.first().map(|(t, _)| *t)
    }

    /// Applies everything that came due by `now`: retention, delays, visibility timeouts, and
    /// the FIFO windows.
    pub fn tick(&mut self, now: u64) {
        let retention_ms = u64::from(self.attrs.message_retention_period) * 1000;
        while let Some((&id, slot)) = self.slots.first_key_value() {
            if slot.enqueued_ms + retention_ms > now {
                break;
            }
            self.remove(id);
        }
        while let Some(&(at, id)) = self.deadlines.first() {
            if at > now {
                break;
            }
            self.deadlines.pop_first();
            self.become_visible(id);
        }
        if self.is_fifo() {
            self.dedup.expire(now);
            self.attempts.expire(now);
        }
    }

    /// Stores a new message, delayed by `delay_ms`. Returns its queue id.
    pub fn enqueue(&mut self, message: Message, delay_ms: u64, now: u64) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let state = if delay_ms > 0 {
            SlotState::Delayed {
                until: now + delay_ms,
            }
        } else {
            SlotState::Visible
        };
        let group = message.group_id().map(str::to_string);
        self.touch(id);
        self.slots.insert(
            id,
            Box::new(Slot {
                message,
                enqueued_ms: now,
                state,
                receipt_seq: 0,
            }),
        );
        match state {
            SlotState::Delayed { until } => {
                self.deadlines.insert((until, id));
                self.counts.delayed += 1;
            }
            _ => self.push_visible(id, group.as_deref()),
        }
        id
    }

    fn push_visible(&mut self, id: u64, group: Option<&str>) {
        match (self.attrs.fifo, group) {
            (true, Some(group)) => self.groups.push_visible(group, id),
            _ => {
                self.visible.insert(id);
            }
        }
        self.counts.visible += 1;
    }

    fn become_visible(&mut self, id: u64) {
        self.touch(id);
        let fifo = self.attrs.fifo;
        let Some(slot) = self.slots.get_mut(&id) else {
            return;
        };
        let previous = std::mem::replace(&mut slot.state, SlotState::Visible);
        let group = slot.message.group_id().map(str::to_string);
        match previous {
            SlotState::Delayed { .. } => self.counts.delayed -= 1,
            SlotState::InFlight { .. } => {
                self.counts.inflight -= 1;
                if let (true, Some(g)) = (fifo, group.as_deref()) {
                    self.groups.inflight_ended(g);
                }
            }
            SlotState::Visible => return,
        }
        self.push_visible(id, group.as_deref());
    }

    /// Removes a message in any state.
    fn remove(&mut self, id: u64) -> Option<Message> {
        let slot = self.slots.remove(&id)?;
        self.touch(id);
        let group = slot.message.group_id();
        let fifo_group = if self.attrs.fifo { group } else { None };
        match slot.state {
            SlotState::Delayed { until } => {
                self.deadlines.remove(&(until, id));
                self.counts.delayed -= 1;
            }
            SlotState::Visible => {
                self.counts.visible -= 1;
                match fifo_group {
                    Some(g) => self.groups.remove_visible(g, id),
                    None => {
                        self.visible.remove(&id);
                    }
                }
            }
            SlotState::InFlight { until, .. } => {
                self.deadlines.remove(&(until, id));
                self.counts.inflight -= 1;
                if let Some(g) = fifo_group {
                    self.groups.inflight_ended(g);
                }
            }
        }
        if self.slots.is_empty() {
            self.release_memory();
        }
        Some(slot.message)
    }

    /// Collections keep their capacity after draining; give it back once the queue is empty.
    fn release_memory(&mut self) {
        self.visible = BTreeSet::new();
        self.deadlines = BTreeSet::new();
        self.groups.clear();
    }

    /// Takes up to `max` visible messages and puts them in flight for `visibility_ms`.
    /// Messages that would pass `max_receive_count` go to `dead_lettered` instead. FIFO: serves
    /// the longest-waiting ready group first and takes as many of its messages as it can.
    pub fn receive(
        &mut self,
        max: usize,
        visibility_ms: u64,
        now: u64,
        max_receive_count: Option<u32>,
    ) -> Taken {
        let mut taken = Taken::default();
        if self.attrs.fifo {
            while taken.delivered.len() < max {
                let Some(group) = self.groups.first_ready() else {
                    break;
                };
                while taken.delivered.len() < max {
                    let Some(id) = self.groups.pop_for_delivery(&group) else {
                        break;
                    };
                    self.counts.visible -= 1;
                    if !self.deliver(id, visibility_ms, now, max_receive_count, &mut taken) {
                        self.groups.delivery_cancelled(&group);
                    }
                }
                self.groups.refresh(&group);
            }
        } else {
            while taken.delivered.len() < max {
                let Some(id) = self.visible.pop_first() else {
                    break;
                };
                self.counts.visible -= 1;
                self.deliver(id, visibility_ms, now, max_receive_count, &mut taken);
            }
        }
        if self.slots.is_empty() {
            self.release_memory();
        }
        taken
    }

    /// Moves a message just taken off the visible structures into flight, or out to the
    /// dead-letter list. Returns whether it was delivered.
    fn deliver(
        &mut self,
        id: u64,
        visibility_ms: u64,
        now: u64,
        max_receive_count: Option<u32>,
        taken: &mut Taken,
    ) -> bool {
        self.touch(id);
        let Some(slot) = self.slots.get_mut(&id) else {
            return false;
        };
        if max_receive_count.is_some_and(|max| slot.message.receive_count >= max) {
            // Already detached from the visible structures: drop the slot directly.
            if let Some(slot) = self.slots.remove(&id) {
                taken.dead_lettered.push(slot.message);
                if let Some(journal) = self.journal.as_mut() {
                    journal.dead_lettered.push(id);
                }
            }
            return false;
        }
        slot.message.received(now);
        slot.receipt_seq = slot.receipt_seq.wrapping_add(1);
        let until = now + visibility_ms;
        slot.state = SlotState::InFlight {
            until,
            received_ms: now,
        };
        self.deadlines.insert((until, id));
        self.counts.inflight += 1;
        taken.delivered.push((id, slot.receipt_seq));
        true
    }

    /// Whether (id, generation) is the message's current, still running receive.
    pub fn is_current_delivery(&self, id: u64, seq: u32) -> bool {
        self.slots
            .get(&id)
            .is_some_and(|s| s.receipt_seq == seq && matches!(s.state, SlotState::InFlight { .. }))
    }

    /// Standard queues: any handle the message was ever received with deletes it while it
    /// exists (AWS-recorded, whatever the API reference says of "the most recent" handle).
    /// FIFO: only the current receive's handle, while it is in flight.
    pub fn delete(&mut self, id: u64, seq: u32) -> DeleteOutcome {
        let Some(slot) = self.slots.get(&id) else {
            return DeleteOutcome::Ignored;
        };
        if self.attrs.fifo {
            let in_flight = matches!(slot.state, SlotState::InFlight { .. });
            if slot.receipt_seq != seq || !in_flight {
                return DeleteOutcome::Expired;
            }
        } else if seq == 0 || seq > slot.receipt_seq {
            // Not a handle this message was received with.
            return DeleteOutcome::Ignored;
        }
        self.remove(id);
        DeleteOutcome::Deleted
    }

    /// ChangeMessageVisibility: the timeout counts from now; 0 makes the message visible at once.
    pub fn change_visibility(
        &mut self,
        id: u64,
        seq: u32,
        timeout_ms: u64,
        now: u64,
    ) -> Result<VisibilityChanged, VisibilityRefused> {
        let fifo = self.attrs.fifo;
        if let Some(journal) = self.journal.as_mut() {
            journal.messages.push(id);
        }
        let Some(slot) = self.slots.get_mut(&id) else {
            return Err(VisibilityRefused::NotInFlight);
        };
        let current = slot.receipt_seq == seq;
        // Standard queues: an older handle of the message reaches its current receive.
        let accepted = current || (!fifo && seq != 0 && seq < slot.receipt_seq);
        let (until, received_ms) = match slot.state {
            SlotState::InFlight { until, received_ms } if accepted => (until, received_ms),
            SlotState::Visible if current && seq != 0 => {
                return Ok(VisibilityChanged::AlreadyVisible)
            }
            _ => return Err(VisibilityRefused::NotInFlight),
        };
        if now.saturating_sub(received_ms) + timeout_ms > MAX_VISIBILITY_MS {
            return Err(VisibilityRefused::TotalTooLong);
        }
        self.deadlines.remove(&(until, id));
        if timeout_ms == 0 {
            self.become_visible(id);
        } else {
            let until = now + timeout_ms;
            slot.state = SlotState::InFlight { until, received_ms };
            self.deadlines.insert((until, id));
        }
        Ok(VisibilityChanged::Changed)
    }

    /// PurgeQueue at `now`: every message goes, whatever its state; the purge time is kept
    /// (the next purge waits 60 s from it).
    pub fn purge(&mut self, now: u64) {
        if let Some(journal) = self.journal.as_mut() {
            journal.purged();
        }
        self.last_purge_ms = Some(now);
        self.slots = BTreeMap::new();
        self.counts = Counts::default();
        self.dedup.clear();
        self.attempts.clear();
        self.release_memory();
    }

    /// A message move task takes the oldest visible message.
    pub fn take_oldest_visible(&mut self) -> Option<Message> {
        let id = if self.attrs.fifo {
            let group = self.groups.first_ready()?;
            let id = self.groups.pop_for_delivery(&group)?;
            self.groups.delivery_cancelled(&group);
            self.groups.refresh(&group);
            id
        } else {
            self.visible.pop_first()?
        };
        self.counts.visible -= 1;
        self.touch(id);
        // Its deletion is written with its new record in the queue it moves to (one commit).
        if let Some(journal) = self.journal.as_mut() {
            journal.dead_lettered.push(id);
        }
        let message = self.slots.remove(&id).map(|s| s.message);
        if self.slots.is_empty() {
            self.release_memory();
        }
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(group: Option<&str>) -> Message {
        Message::from(super::super::message::MessageRecord {
            trace: crate::request::TraceContext::NONE,
            message_id: uuid::Uuid::nil(),
            body: "b".into(),
            md5_of_body: [0; 16],
            attributes: Default::default(),
            md5_of_attributes: None,
            system_attributes: Default::default(),
            md5_of_system_attributes: None,
            sender_id: "s".into(),
            sent_ms: 0,
            group_id: group.map(str::to_string),
            dedup_id: None,
            sequence_number: None,
            dead_letter_source_arn: None,
            receive_count: 0,
            first_receive_ms: None,
        })
    }

    fn queue(fifo: bool) -> QueueState {
        QueueState::new(QueueAttributes::defaults(fifo, 0))
    }

    #[test]
    fn delayed_then_visible_then_in_flight_then_visible_again() {
        let mut q = queue(false);
        let id = q.enqueue(message(None), 1000, 0);
        assert_eq!(q.counts().delayed, 1);
        assert!(q.receive(10, 30_000, 500, None).delivered.is_empty());
        q.tick(1000);
        let taken = q.receive(10, 30_000, 1000, None);
        assert_eq!(taken.delivered, vec![(id, 1)]);
        assert_eq!(
            q.counts(),
            Counts {
                visible: 0,
                inflight: 1,
                delayed: 0
            }
        );
        assert_eq!(q.next_deadline(), Some(31_000));
        q.tick(31_000);
        assert_eq!(q.counts().visible, 1);
        assert_eq!(q.receive(10, 30_000, 31_000, None).delivered, vec![(id, 2)]);
        assert_eq!(q.delete(id, 3), DeleteOutcome::Ignored);
        assert_eq!(q.delete(id, 1), DeleteOutcome::Deleted);
        assert_eq!(q.delete(id, 2), DeleteOutcome::Ignored);
        assert_eq!(q.counts(), Counts::default());
    }

    #[test]
    fn looking_at_messages_changes_nothing_and_reads_due_timers_as_applied() {
        let mut q = queue(false);
        let held = q.enqueue(message(None), 0, 0);
        q.enqueue(message(None), 5_000, 0);
        q.receive(1, 1_000, 0, None);
        let shown: Vec<Shown> = q.messages_at(500).map(|(_, s)| s).collect();
        assert_eq!(
            shown,
            vec![
                Shown::InFlight { until: 1_000 },
                Shown::Delayed { until: 5_000 }
            ]
        );
        let later: Vec<Shown> = q.messages_at(5_000).map(|(_, s)| s).collect();
        assert_eq!(later, vec![Shown::Visible, Shown::Visible]);
        assert_eq!(
            q.counts(),
            Counts {
                visible: 0,
                inflight: 1,
                delayed: 1
            }
        );
        assert_eq!(q.message(held).map(|m| m.receive_count), Some(1));
    }

    #[test]
    fn retention_removes_old_messages_in_any_state() {
        let mut q = queue(false);
        q.attrs.message_retention_period = 60;
        q.enqueue(message(None), 0, 0);
        q.receive(1, 30_000, 0, None);
        q.enqueue(message(None), 0, 10_000);
        q.tick(60_000);
        assert_eq!(
            q.counts(),
            Counts {
                visible: 1,
                inflight: 0,
                delayed: 0
            }
        );
    }

    #[test]
    fn fifo_group_stays_blocked_until_its_in_flight_message_is_deleted() {
        let mut q = queue(true);
        let a1 = q.enqueue(message(Some("a")), 0, 0);
        let a2 = q.enqueue(message(Some("a")), 0, 0);
        let b1 = q.enqueue(message(Some("b")), 0, 0);
        let first = q.receive(1, 30_000, 0, None);
        assert_eq!(first.delivered, vec![(a1, 1)]);
        let second = q.receive(10, 30_000, 0, None);
        assert_eq!(second.delivered, vec![(b1, 1)]);
        assert!(q.receive(10, 30_000, 0, None).delivered.is_empty());
        assert_eq!(q.delete(a1, 1), DeleteOutcome::Deleted);
        assert_eq!(q.receive(10, 30_000, 0, None).delivered, vec![(a2, 1)]);
    }

    #[test]
    fn dead_lettering_happens_on_the_receive_past_max_receive_count() {
        let mut q = queue(false);
        q.enqueue(message(None), 0, 0);
        assert_eq!(q.receive(1, 0, 0, Some(1)).delivered.len(), 1);
        q.tick(0);
        let taken = q.receive(1, 0, 0, Some(1));
        assert!(taken.delivered.is_empty());
        assert_eq!(taken.dead_lettered.len(), 1);
        assert_eq!(q.counts(), Counts::default());
    }
}

#[cfg(test)]
mod size_tests {
    /// Issue 19: a queued message costs at most 300 bytes beside its body. The slot is one
    /// allocation (jemalloc rounds 160 bytes to its 160-byte class); its B-tree entry and the
    /// visible set's add about 50.
    #[test]
    fn a_stored_message_slot_fits_in_160_bytes() {
        assert!(
            std::mem::size_of::<super::Slot>() <= 160,
            "Slot is {} bytes (Message {})",
            std::mem::size_of::<super::Slot>(),
            std::mem::size_of::<super::Message>()
        );
    }
}
