//! The event envelope EventBridge hands to rules and targets, and the times in it.

use crate::asl::timestamp::format_millis;
use serde_json::{json, Value};

/// An event on its way through a bus: the JSON targets see, and what travels beside it.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub event: Value,
    /// The X-Ray header PutEvents was given, passed on to SQS as `AWSTraceHeader`.
    pub trace_header: Option<String>,
    /// When EventBridge received it (ms), for `<aws.events.event.ingestion-time>` and retries.
    pub ingestion_ms: u64,
    /// Set on replayed events: the replay's name and the rules it may reach (empty: all).
    pub replay: Option<(String, Vec<String>)>,
    /// In-process hops before the event reached this bus (see `crate::invoke::MAX_HOPS`).
    pub hops: u32,
    /// The event came from another bus (a bus target); it is not sent on to a further bus.
    pub from_bus: bool,
}

/// The fields of a new event.
pub struct NewEvent<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub source: &'a str,
    pub detail_type: &'a str,
    pub detail: Value,
    pub resources: Vec<String>,
    pub time_ms: u64,
}

impl NewEvent<'_> {
    pub fn into_json(self, id: &str) -> Value {
        json!({
            "version": "0",
            "id": id,
            "detail-type": self.detail_type,
            "source": self.source,
            "account": self.account,
            "time": iso_seconds(self.time_ms),
            "region": self.region,
            "resources": self.resources,
            "detail": self.detail,
        })
    }
}

/// `2024-01-31T12:00:00Z`: events carry times to the second.
pub fn iso_seconds(ms: u64) -> String {
    let full = format_millis(ms);
    // format_millis ends in `.mmmZ`.
    format!("{}Z", &full[..full.len() - 5])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_times_have_second_precision() {
        assert_eq!(iso_seconds(1_700_000_000_123), "2023-11-14T22:13:20Z");
    }
}
