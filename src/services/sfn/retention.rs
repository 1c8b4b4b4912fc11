//! How long finished Standard executions are kept: 90 days after they stop, on the server's
//! clock, as AWS keeps them (DescribeExecution and ListExecutions stop finding them after
//! that), and at most `max_finished` finished executions per account and region, the ones that
//! stopped first evicted first (`--max-finished-executions`). Running executions are never
//! evicted.
//!
//! The sweep runs inside the store lock, from `Store::with`, only when due: when the clock
//! passes the earliest moment a kept execution expires, or when the region has grown by a
//! sixteenth of the cap (at least one) since the last sweep, so the cap may be passed by that
//! much until the next call. So its O(n) pass is paid once per many calls.
//! It takes execution record locks under the store lock, the one order the store allows (see
//! `store.rs`), so it cannot deadlock.

use super::store::Region;
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

    /// Evicts what has expired or is over the cap, if a sweep is due.
    pub fn sweep_if_due(&self, region: &mut Region, now: u64) {
        let due = &region.sweep_due;
        if now < due.at_ms && region.executions.len() < due.at_count {
            return;
        }
        self.sweep(region, now);
    }

    fn sweep(&self, region: &mut Region, now: u64) {
        // (stop time, ARN) of every finished execution.
        let mut finished: Vec<(u64, String)> = region
            .executions
            .values()
            .filter_map(|e| {
                let record = e.record.lock();
                match (record.status, record.stop_ms) {
                    (crate::asl::interp::Status::Running, _) | (_, None) => None,
                    (_, Some(stop)) => Some((stop, e.arn.clone())),
                }
            })
            .collect();
        finished.sort_unstable();
        let expired = finished
            .iter()
            .take_while(|(stop, _)| stop.saturating_add(self.max_age_ms) <= now)
            .count();
        let over_cap = (finished.len() - expired).saturating_sub(self.max_finished);
        let evict = expired + over_cap;
        if evict > 0 {
            let gone: HashSet<String> = finished.drain(..evict).map(|(_, arn)| arn).collect();
            for arn in &gone {
                if let Some(e) = region.executions.get(arn) {
                    if let Some(sink) = e.record.lock().sink.take() {
                        sink.forgotten();
                    }
                }
            }
            region.executions.retain(|arn, _| !gone.contains(arn));
            for list in region.executions_by_machine.values_mut() {
                list.retain(|e| !gone.contains(&e.arn));
            }
            region
                .executions_by_machine
                .retain(|_, list| !list.is_empty());
        }
        // Anything that stops from now on expires after now + max age.
        let next_expiry = finished
            .first()
            .map_or(u64::MAX, |(stop, _)| stop.saturating_add(self.max_age_ms));
        region.sweep_due = SweepDue {
            at_ms: next_expiry.min(now.saturating_add(self.max_age_ms)),
            at_count: region.executions.len() + self.slack(),
        };
    }
}
