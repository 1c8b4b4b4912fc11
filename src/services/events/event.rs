//! The event envelope EventBridge hands to rules and targets, and the times in it.

use crate::time::format_seconds;
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
    /// The span that put the event on this bus (PutEvents, a bus target's delivery, a
    /// schedule), and the in-process hops before it (see `crate::invoke::MAX_HOPS`).
    pub trace: crate::request::TraceContext,
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
            "time": format_seconds(self.time_ms),
            "region": self.region,
            "resources": self.resources,
            "detail": self.detail,
        })
    }
}
