//! Time control over HTTP: `GET /_stepyard/clock`, `POST /_stepyard/clock/advance`
//! (`{"seconds": n}` or `{"to": ISO-8601}`), `POST /_stepyard/clock/freeze|unfreeze`, and
//! `POST /_stepyard/settle` (`{"timeoutSeconds": n}`, default 10). The work is the clock's
//! (`crate::clock`); this file reads the bodies and shapes the answers.

use super::response::{json_response, HttpResponse};
use crate::clock::{AdvanceError, Clock};
use crate::time::{format_millis, parse_rfc3339_nanos};
use http::StatusCode;
use serde_json::{json, Map, Value};
use std::time::Duration;

const DEFAULT_SETTLE_SECONDS: f64 = 10.0;

/// `{"now", "epochMillis", "offsetMillis", "frozen"}`.
pub fn reading(clock: &Clock) -> Value {
    let now = clock.now_millis();
    json!({
        "now": format_millis(now),
        "epochMillis": now,
        "offsetMillis": clock.offset_millis(),
        "frozen": clock.is_frozen(),
    })
}

fn bad_request(message: impl Into<String>) -> HttpResponse {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"error": "BadRequest", "message": message.into()}),
    )
}

/// The body as a JSON object; an empty body is an empty object.
fn object(body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err("the body must be a JSON object".into()),
        Err(e) => Err(format!("the body is not valid JSON: {e}")),
    }
}

/// `timeoutSeconds`: a positive number of seconds, at most a day.
fn timeout(o: &Map<String, Value>) -> Result<Duration, String> {
    match o.get("timeoutSeconds") {
        None => Ok(Duration::from_secs_f64(DEFAULT_SETTLE_SECONDS)),
        Some(v) => match v.as_f64() {
            Some(s) if s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
            _ => Err(format!(
                "timeoutSeconds must be a number of seconds above 0 and at most 86400, not {v}"
            )),
        },
    }
}

fn busy_json(busy: Vec<(&'static str, String)>) -> Value {
    Value::Array(
        busy.into_iter()
            .map(|(kind, arn)| json!({"kind": kind, "arn": arn}))
            .collect(),
    )
}

/// Where an advance body says to go, in epoch milliseconds.
fn target(clock: &Clock, o: &Map<String, Value>) -> Result<u64, String> {
    const FORMS: &str = r#"send {"seconds": <number>} or {"to": "<ISO-8601 timestamp>"}"#;
    match (o.get("seconds"), o.get("to")) {
        (Some(_), Some(_)) => Err(format!("give either seconds or to, not both: {FORMS}")),
        (Some(v), None) => {
            let Some(s) = v.as_f64() else {
                return Err(format!("seconds must be a number, not {v}: {FORMS}"));
            };
            if s < 0.0 {
                return Err(format!(
                    "the clock only moves forward: seconds must be 0 or more, not {s}"
                ));
            }
            // Past ~292 million years the millisecond count would overflow.
            if s > 9.0e12 {
                return Err(format!("seconds {v} is too far ahead"));
            }
            Ok(clock
                .now_millis()
                .saturating_add((s * 1000.0).round() as u64))
        }
        (None, Some(v)) => {
            let text = v
                .as_str()
                .ok_or_else(|| format!("to must be an ISO-8601 timestamp string, not {v}"))?;
            let nanos = parse_rfc3339_nanos(text).ok_or_else(|| {
                format!("to {text:?} is not an ISO-8601 timestamp such as 2030-01-01T00:00:00Z")
            })?;
            if nanos < 0 {
                return Err(format!("to {text:?} is before 1970"));
            }
            Ok((nanos / 1_000_000) as u64)
        }
        (None, None) => Err(FORMS.to_string()),
    }
}

pub async fn advance(clock: &Clock, body: &[u8]) -> HttpResponse {
    let parsed = object(body).and_then(|o| Ok((target(clock, &o)?, timeout(&o)?)));
    let (target_ms, limit) = match parsed {
        Ok(t) => t,
        Err(message) => return bad_request(message),
    };
    match clock.advance_settled(target_ms, limit).await {
        Ok(()) => json_response(StatusCode::OK, &reading(clock)),
        Err(AdvanceError::Backwards { now_ms, target_ms }) => bad_request(format!(
            "the clock only moves forward: {} is before its reading {}",
            format_millis(target_ms),
            format_millis(now_ms)
        )),
        Err(AdvanceError::Busy(busy)) => {
            let mut answer = reading(clock);
            answer["settled"] = json!(false);
            answer["busy"] = busy_json(busy);
            json_response(StatusCode::SERVICE_UNAVAILABLE, &answer)
        }
    }
}

pub async fn settle(clock: &Clock, body: &[u8]) -> HttpResponse {
    let limit = match object(body).and_then(|o| timeout(&o)) {
        Ok(l) => l,
        Err(message) => return bad_request(message),
    };
    match clock.settle(limit).await {
        Ok(()) => json_response(StatusCode::OK, &json!({"settled": true})),
        Err(busy) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"settled": false, "busy": busy_json(busy)}),
        ),
    }
}
