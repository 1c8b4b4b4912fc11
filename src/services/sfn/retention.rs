//! How long finished Standard executions are kept: 90 days after they stop, on the server's
//! clock, as AWS keeps them (DescribeExecution and ListExecutions stop finding them after
//! that), and at most `max_finished` finished executions per account and region, the ones that
//! stopped first evicted first (`--max-finished-executions`). Running executions are never
//! evicted.
//!
//! This file is the policy; the sweep (`Region::sweep_finished` in `store.rs`) runs inside
//! the store lock, from `Store::with`, only when due: when the clock
//! passes the earliest moment a kept execution expires, or when the region has grown by a
//! sixteenth of the cap (at least one) since the last sweep, so the cap may be passed by that
//! much until the next call. So its O(n) pass is paid once per many calls.
//! It takes execution record locks under the store lock, the one order the store allows (see
//! `store.rs`), so it cannot deadlock.

use std::collections::HashSet;

/// 90 days, AWS's retention of a closed Standard execution.
pub const MAX_AGE_MS: u64 = 90 * 24 * 60 * 60 * 1000;

/// The default of `--max-finished-executions`, per account and region.
pub const DEFAULT_MAX_FINISHED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub max_age_ms: u64,
    pub max_finished: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_age_ms: MAX_AGE_MS,
            max_finished: DEFAULT_MAX_FINISHED,
        }
    }
}

/// When a region's next sweep is due.
#[derive(Debug, Default)]
pub struct SweepDue {
    /// Clock time (ms) at which a kept finished execution expires; 0 = never swept.
    at_ms: u64,
    /// Executions count at which the cap needs looking at again.
    at_count: usize,
}

impl Retention {
    fn slack(&self) -> usize {
        (self.max_finished / 16).max(1)
    }

    /// Whether a region holding `count` executions needs a sweep at `now`.
    pub fn due(&self, due: &SweepDue, count: usize, now: u64) -> bool {
        now >= due.at_ms || count >= due.at_count
    }

    /// Which finished executions go: `finished` is (stop time, ARN) of every finished one,
    /// `count` all the region's executions. Gives the ARNs to evict (expired first, then the
    /// oldest over the cap) and when the region's next sweep is due.
    pub fn plan(
        &self,
        mut finished: Vec<(u64, String)>,
        count: usize,
        now: u64,
    ) -> (HashSet<String>, SweepDue) {
        finished.sort_unstable();
        let expired = finished
            .iter()
            .take_while(|(stop, _)| stop.saturating_add(self.max_age_ms) <= now)
            .count();
        let over_cap = (finished.len() - expired).saturating_sub(self.max_finished);
        let gone: HashSet<String> = finished
            .drain(..expired + over_cap)
            .map(|(_, arn)| arn)
            .collect();
        // Anything that stops from now on expires after now + max age.
        let next_expiry = finished
            .first()
            .map_or(u64::MAX, |(stop, _)| stop.saturating_add(self.max_age_ms));
        let next = SweepDue {
            at_ms: next_expiry.min(now.saturating_add(self.max_age_ms)),
            at_count: count - gone.len() + self.slack(),
        };
        (gone, next)
    }
}
