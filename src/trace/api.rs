//! `GET /_stepyard/traces` and `GET /_stepyard/traces/<traceId>`: the ring's traces rendered
//! as JSON, only when asked (recording never serialises anything).

use super::{Span, Tracer};
use crate::request::TraceId;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// What `/_stepyard/traces` filters on.
#[derive(Default)]
pub struct Filter {
    /// Only traces with a span of this service (signing name; `stepfunctions` means `states`).
    pub service: Option<String>,
    /// Only traces with a span on this resource (or naming it in an attribute).
    pub resource: Option<String>,
    pub limit: Option<usize>,
}

/// `{"traces": [{"traceId", "startTime", "durationMs", "services", "spanCount", "status"}]}`,
/// newest first.
pub fn list(tracer: &Tracer, filter: &Filter) -> Value {
    let service = filter
        .service
        .as_deref()
        .map(|s| crate::request::ServiceId::from_name(s).map_or(s, |id| id.name()));
    let traces: Vec<Value> = tracer
        .snapshot()
        .into_iter()
        .filter(|(_, spans)| service.is_none_or(|s| spans.iter().any(|span| span.service == s)))
        .filter(|(_, spans)| {
            filter
                .resource
                .as_deref()
                .is_none_or(|r| spans.iter().any(|span| names(span, r)))
        })
        .take(filter.limit.unwrap_or(usize::MAX))
        .map(|(id, spans)| summary(id, &spans))
        .collect();
    json!({ "traces": traces })
}

/// Whether a span acts on `resource` or names it in an attribute.
fn names(span: &Span, resource: &str) -> bool {
    span.resource.as_deref() == Some(resource)
        || span
            .attributes
            .iter()
            .any(|(_, v)| v.as_str() == Some(resource))
}

fn summary(id: TraceId, spans: &[Arc<Span>]) -> Value {
    let start = spans.iter().map(|s| s.start_us).min().unwrap_or(0);
    let end = spans.iter().map(|s| s.end_us).max().unwrap_or(start);
    let mut services: Vec<&str> = Vec::new();
    for span in spans {
        if !services.contains(&span.service) {
            services.push(span.service);
        }
    }
    let root = spans
        .iter()
        .filter(|s| s.start_us == start)
        .min_by_key(|s| s.parent.is_some());
    json!({
        "traceId": id.to_string(),
        "startTime": crate::time::format_millis(start / 1000),
        "durationMs": (end - start) as f64 / 1000.0,
        "services": services,
        "spanCount": spans.len(),
        "status": if spans.iter().any(|s| s.error) { "error" } else { "ok" },
        "root": root.map(|s| json!({"service": s.service, "name": s.name, "resource": s.resource})),
    })
}

/// `{"traceId", "spans": [...]}` in start order, or `None` for an unknown trace.
pub fn one(tracer: &Tracer, id: &str) -> Option<Value> {
    let id = TraceId::parse(id).or_else(|| {
        // The OpenTelemetry form (32 hex digits) names the same trace.
        (id.len() == 32)
            .then(|| u128::from_str_radix(id, 16).ok())
            .flatten()
            .map(TraceId)
    })?;
    let mut spans = tracer.trace(id)?;
    spans.sort_by_key(|s| (s.start_us, s.end_us));
    let spans: Vec<Value> = spans.iter().map(|s| span_json(s)).collect();
    Some(json!({ "traceId": id.to_string(), "spans": spans }))
}

fn span_json(s: &Span) -> Value {
    let attributes: Map<String, Value> = s
        .all_attributes()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    json!({
        "spanId": format!("{:016x}", s.span_id),
        "parentSpanId": s.parent.map(|p| format!("{p:016x}")),
        "service": s.service,
        "name": s.name,
        "resource": s.resource,
        "startTime": crate::time::format_micros(s.start_us),
        "endTime": crate::time::format_micros(s.end_us),
        "startUs": s.start_us,
        "endUs": s.end_us,
        "status": if s.error { "error" } else { "ok" },
        "attributes": attributes,
    })
}
