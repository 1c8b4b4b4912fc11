//! OTLP export (`--otlp-endpoint`): every recorded span goes over OTLP/HTTP (protobuf) to a
//! collector, through the OpenTelemetry SDK's own exporter, so a flow shows up in Jaeger,
//! Grafana Tempo or any collector.
//!
//! Never on the request path: recording only `try_send`s the span's `Arc` into a bounded
//! channel (a full channel drops the span and counts it, rather than making a request wait);
//! one background task batches what arrives (up to [`BATCH`] spans or [`LINGER`]) and exports
//! it. Each AWS service is an OpenTelemetry service of its own (`service.name` `events`,
//! `states`, `sqs`, `sns`), so it has its own exporter whose resource says so. Trace ids are
//! the X-Ray root's 32 hex digits, so both tools name a trace alike.

use super::{expand_all, Span};
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId as OtelTraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue, Value as OtelValue};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};
use tokio::sync::mpsc;

/// Spans waiting for the exporter; past this, new spans are dropped (and counted).
const QUEUE: usize = 16_384;
/// The most spans sent in one export request.
const BATCH: usize = 512;
/// How long a span waits for its batch to fill before it is sent anyway.
const LINGER: Duration = Duration::from_millis(200);

/// The sending side of the exporter's queue.
pub struct Queue {
    sender: mpsc::Sender<Arc<Span>>,
    dropped: Arc<AtomicU64>,
    /// What the spans queued or being exported weigh (see [`Span::weight`]): a span that
    /// would take it past `max_bytes` is dropped (and counted) like one past [`QUEUE`].
    bytes: Arc<AtomicUsize>,
    max_bytes: usize,
}

impl Queue {
    /// Starts the background exporter (on the current Tokio runtime) for `endpoint`:
    /// `http://host:4318` or the full `.../v1/traces` URL.
    pub fn start(endpoint: &str, max_bytes: usize) -> Queue {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let url = if endpoint.trim_end_matches('/').ends_with("/v1/traces") {
            endpoint.to_string()
        } else {
            format!("{}/v1/traces", endpoint.trim_end_matches('/'))
        };
        let dropped = Arc::new(AtomicU64::new(0));
        let bytes = Arc::new(AtomicUsize::new(0));
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(run(url, receiver, dropped.clone(), bytes.clone()));
            }
            Err(_) => tracing::warn!("no runtime: OTLP export is off"),
        }
        Queue {
            sender,
            dropped,
            bytes,
            max_bytes,
        }
    }

    /// Hands a span to the exporter without waiting.
    pub fn push(&self, span: Arc<Span>) {
        let weight = span.weight();
        // Counted before it is sent, so that the exporter never takes off more than was
        // added; a span refused by the byte bound or the full channel gives its weight back.
        let before = self.bytes.fetch_add(weight, Ordering::Relaxed);
        if before + weight > self.max_bytes || self.sender.try_send(span).is_err() {
            self.bytes.fetch_sub(weight, Ordering::Relaxed);
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The exporter task: batches spans per service and exports them until the server (every
/// sender) is gone. It awaits only its own channel and its own HTTP calls and holds no lock,
/// so it cannot block a request or deadlock with one.
async fn run(
    url: String,
    mut receiver: mpsc::Receiver<Arc<Span>>,
    dropped: Arc<AtomicU64>,
    bytes: Arc<AtomicUsize>,
) {
    let mut exporters: HashMap<&'static str, opentelemetry_otlp::SpanExporter> = HashMap::new();
    let mut reported_drops = 0;
    let mut batch: Vec<Arc<Span>> = Vec::with_capacity(BATCH);
    loop {
        // Wait for a first span, then let the batch fill for at most LINGER.
        match receiver.recv().await {
            Some(span) => batch.push(span),
            None => break,
        }
        // Real time (clock.rs): the linger bounds I/O, whatever the emulated clock does.
        let first = crate::clock::real_instant();
        while batch.len() < BATCH {
            let waited = crate::clock::real_instant().saturating_duration_since(first);
            let Some(left) = LINGER.checked_sub(waited) else {
                break;
            };
            match crate::clock::real_timeout(left, receiver.recv()).await {
                Some(Some(span)) => batch.push(span),
                _ => break,
            }
        }
        let mut by_service: HashMap<&'static str, Vec<SpanData>> = HashMap::new();
        let taken = std::mem::take(&mut batch);
        let weight: usize = taken.iter().map(|span| span.weight()).sum();
        for span in expand_all(&taken) {
            by_service
                .entry(span.service)
                .or_default()
                .push(span_data(&span));
        }
        for (service, spans) in by_service {
            let exporter = match exporters.get(service) {
                Some(e) => e,
                None => match exporter(&url, service) {
                    Some(e) => exporters.entry(service).or_insert(e),
                    None => continue,
                },
            };
            if let Err(error) = exporter.export(spans).await {
                tracing::warn!(%error, endpoint = %url, "OTLP export failed");
            }
        }
        // The batch's spans (and their texts) are let go here.
        drop(taken);
        bytes.fetch_sub(weight, Ordering::Relaxed);
        let now_dropped = dropped.load(Ordering::Relaxed);
        if now_dropped > reported_drops {
            tracing::warn!(
                dropped = now_dropped - reported_drops,
                "OTLP export queue full (16,384 spans or --trace-buffer-bytes); spans dropped"
            );
            reported_drops = now_dropped;
        }
    }
}

/// The exporter of one service: its own resource names it.
fn exporter(url: &str, service: &'static str) -> Option<opentelemetry_otlp::SpanExporter> {
    let built = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(url)
        .with_timeout(Duration::from_secs(10))
        .with_headers(HashMap::new())
        .build();
    match built {
        Ok(mut exporter) => {
            let resource = opentelemetry_sdk::Resource::builder_empty()
                .with_service_name(service)
                .with_attribute(KeyValue::new("cloud.provider", "aws"))
                .with_attribute(KeyValue::new("telemetry.sdk.name", "stepyard"))
                .build();
            exporter.set_resource(&resource);
            Some(exporter)
        }
        Err(error) => {
            tracing::warn!(%error, endpoint = %url, "cannot build the OTLP exporter");
            None
        }
    }
}

/// Our span in the SDK's terms; ids are ours (the X-Ray root as the trace id).
fn span_data(span: &Span) -> SpanData {
    let time = |us: u64| UNIX_EPOCH + Duration::from_micros(us);
    let mut attributes = Vec::with_capacity(span.attributes.len() + 2);
    attributes.push(KeyValue::new("aws.service", span.service));
    if let Some(resource) = &span.resource {
        attributes.push(KeyValue::new("aws.resource.arn", resource.to_string()));
    }
    attributes.push(KeyValue::new("aws.xray.trace_id", span.trace.to_string()));
    for (key, value) in span.all_attributes() {
        attributes.push(KeyValue::new(key, otel_value(&value)));
    }
    SpanData {
        span_context: SpanContext::new(
            OtelTraceId::from(span.trace.0),
            SpanId::from(span.span_id),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: span.parent.map_or(SpanId::INVALID, SpanId::from),
        parent_span_is_remote: false,
        span_kind: if span.parent.is_none() {
            SpanKind::Server
        } else {
            SpanKind::Internal
        },
        name: match &span.name {
            super::Text::Static(s) => std::borrow::Cow::Borrowed(*s),
            other => std::borrow::Cow::Owned(other.to_string()),
        },
        start_time: time(span.start_us),
        end_time: time(span.end_us),
        attributes,
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: if span.error {
            Status::error("")
        } else {
            Status::Ok
        },
        instrumentation_scope: InstrumentationScope::builder("stepyard").build(),
    }
}

fn otel_value(value: &Value) -> OtelValue {
    match value {
        Value::String(s) => OtelValue::from(s.clone()),
        Value::Bool(b) => OtelValue::from(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => OtelValue::from(i),
            None => OtelValue::from(n.as_f64().unwrap_or_default()),
        },
        other => OtelValue::from(other.to_string()),
    }
}
