//! How long finished Standard executions are kept: 90 days after they stop, on the server's
//! clock, as AWS keeps them (DescribeExecution and ListExecutions stop finding them after
//! that), and at most `max_finished` finished executions per account and region, the ones that
//! stopped first evicted first (`--max-finished-executions`), and at most
//! `max_finished_bytes` of their histories (`--max-finished-execution-bytes`, counted as
//! the events' text lengths, which are known, plus their room), again the ones that stopped
//! first evicted first; the one that stopped last is kept whatever it weighs, so that a
//! client can always read what it just ran. Running executions are never evicted.
//!
//! This file is the policy; the sweep (`Region::sweep_finished` in `store.rs`) runs inside
//! the store lock, from `Store::with`, only when due: when the clock
//! passes the earliest moment a kept execution expires, or when the region has grown by a
//! sixteenth of the cap (at least one) since the last sweep, or the service's histories have
//! grown by a sixteenth of the byte cap (`interp::history_bytes_meter`), so the caps may be passed by that much until the
//! next call. So its O(n) pass is paid once per many calls.
//! It takes execution record locks under the store lock, the one order the store allows (see
//! `store.rs`), so it cannot deadlock.

use std::collections::HashSet;

/// 90 days, AWS's retention of a closed Standard execution.
pub const MAX_AGE_MS: u64 = 90 * 24 * 60 * 60 * 1000;

/// The default of `--max-finished-executions`, per account and region.
pub const DEFAULT_MAX_FINISHED: usize = 10_000;

/// The default of `--max-finished-execution-bytes`, per account and region: 512 MiB.
pub const DEFAULT_MAX_FINISHED_BYTES: u64 = 512 << 20;

#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub max_age_ms: u64,
    pub max_finished: usize,
    pub max_finished_bytes: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_age_ms: MAX_AGE_MS,
            max_finished: DEFAULT_MAX_FINISHED,
            max_finished_bytes: DEFAULT_MAX_FINISHED_BYTES,
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
    /// Reading of the history meter (`interp::history_bytes_meter`) at which the byte cap
    /// needs looking at again.
    at_bytes: u64,
}

/// A finished execution as the sweep sees it: when it stopped, its ARN, its history's bytes.
pub struct Finished {
    pub stop_ms: u64,
    pub arn: String,
    pub bytes: u64,
}

/// What a sweep decided: the ARNs to evict, when the next one is due, and whether the byte
/// cap evicted any (its caller logs that once).
pub struct Plan {
    pub gone: HashSet<String>,
    pub next: SweepDue,
    pub over_bytes: bool,
}

impl Retention {
    fn slack(&self) -> usize {
        (self.max_finished / 16).max(1)
    }

    fn byte_slack(&self) -> u64 {
        (self.max_finished_bytes / 16).max(1)
    }

    /// Whether a region holding `count` executions needs a sweep at `now`, the service's
    /// the history meter reading `meter`.
    pub fn due(&self, due: &SweepDue, count: usize, now: u64, meter: u64) -> bool {
        now >= due.at_ms || count >= due.at_count || meter >= due.at_bytes
    }

    /// Which finished executions go: `finished` is every finished one, `count` all the
    /// region's executions, `meter` the history meter now. Evicts the expired first,
    /// then the oldest over the count cap, then the oldest while their bytes are over the
    /// byte cap (never the last to stop).
    pub fn plan(&self, mut finished: Vec<Finished>, count: usize, now: u64, meter: u64) -> Plan {
        finished.sort_unstable_by(|a, b| (a.stop_ms, &a.arn).cmp(&(b.stop_ms, &b.arn)));
        let expired = finished
            .iter()
            .take_while(|f| f.stop_ms.saturating_add(self.max_age_ms) <= now)
            .count();
        let over_cap = (finished.len() - expired).saturating_sub(self.max_finished);
        let mut cut = expired + over_cap;
        let mut bytes: u64 = finished[cut..].iter().map(|f| f.bytes).sum();
        let mut over_bytes = false;
        while bytes > self.max_finished_bytes && cut + 1 < finished.len() {
            bytes -= finished[cut].bytes;
            cut += 1;
            over_bytes = true;
        }
        let gone: HashSet<String> = finished.drain(..cut).map(|f| f.arn).collect();
        // Anything that stops from now on expires after now + max age.
        let next_expiry = finished
            .first()
            .map_or(u64::MAX, |f| f.stop_ms.saturating_add(self.max_age_ms));
        let next = SweepDue {
            at_ms: next_expiry.min(now.saturating_add(self.max_age_ms)),
            at_count: count - gone.len() + self.slack(),
            at_bytes: meter.saturating_add(self.byte_slack()),
        };
        Plan {
            gone,
            next,
            over_bytes,
        }
    }
}
