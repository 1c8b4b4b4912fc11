//! stepyard's own endpoints: health (ours and LocalStack's shape, so tools that wait on
//! LocalStack work unchanged), reset (so a test suite can isolate tests on one server), and
//! time control (`clock.rs`: read, advance, freeze the clock; wait for the emulator to settle);
//! the web console (`console.rs`).

use super::clock;
use super::response::{json_response, HttpResponse};
use crate::app::AppState;
use crate::request::ServiceId;
use http::{Method, StatusCode, Uri};
use serde_json::{json, Map, Value};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Whether `path` is one of ours rather than a service's.
pub fn is_admin(path: &str) -> bool {
    path.starts_with("/_stepyard/") || path.starts_with("/_localstack/")
}

/// Answers an admin request (`is_admin` is true for its path).
pub async fn handle(state: &AppState, method: &Method, uri: &Uri, body: &[u8]) -> HttpResponse {
    if let Some(response) = super::console::handle(state, method, uri) {
        return response;
    }
    let path = uri.path();
    if let Some(rest) = path.strip_prefix("/_stepyard/traces") {
        if matches!(method, &Method::GET | &Method::HEAD) {
            return traces(state, uri, rest);
        }
    }
    match (method, path) {
        (&Method::GET | &Method::HEAD, "/_stepyard/health") => {
            json_response(StatusCode::OK, &health(state))
        }
        (&Method::GET | &Method::HEAD, "/_localstack/health") => {
            json_response(StatusCode::OK, &localstack_health())
        }
        (&Method::POST, "/_stepyard/reset") => {
            let response = reset(state, uri);
            state.wait_durable().await;
            response
        }
        (&Method::GET, "/_stepyard/state") => {
            json_response(StatusCode::OK, &crate::persist::snapshot::export(state))
        }
        (&Method::POST, "/_stepyard/state") => load_state(state, body).await,
        (&Method::GET, "/_stepyard/sns/deliveries") => json_response(
            StatusCode::OK,
            &json!({ "deliveries": state.sns.deliveries() }),
        ),
        // The certificate behind every notification's SigningCertURL.
        (&Method::GET, "/_stepyard/sns/SimpleNotificationService-stepyard.pem") => {
            http::Response::builder()
                .status(StatusCode::OK)
                .header(http::header::CONTENT_TYPE, "application/x-x509-ca-cert")
                .body(http_body_util::Full::new(bytes::Bytes::from_static(
                    crate::services::sns::CERTIFICATE_PEM.as_bytes(),
                )))
                .unwrap_or_else(|_| {
                    HttpResponse::new(http_body_util::Full::new(bytes::Bytes::new()))
                })
        }
        (&Method::GET | &Method::HEAD, "/_stepyard/clock") => {
            json_response(StatusCode::OK, &clock::reading(&state.clock))
        }
        (&Method::POST, "/_stepyard/clock/advance") => clock::advance(&state.clock, body).await,
        (&Method::POST, "/_stepyard/clock/freeze") => {
            state.clock.freeze();
            json_response(StatusCode::OK, &clock::reading(&state.clock))
        }
        (&Method::POST, "/_stepyard/clock/unfreeze") => {
            state.clock.unfreeze();
            json_response(StatusCode::OK, &clock::reading(&state.clock))
        }
        (&Method::POST, "/_stepyard/settle") => clock::settle(&state.clock, body).await,
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no endpoint {method} {path}")}),
        ),
    }
}

/// `GET /_stepyard/traces[?service=&resource=&limit=]` and `GET /_stepyard/traces/<id>`.
fn traces(state: &AppState, uri: &Uri, rest: &str) -> HttpResponse {
    use crate::trace::api;
    if let Some(id) = rest.strip_prefix('/').filter(|id| !id.is_empty()) {
        return match api::one(&state.tracer, id) {
            Some(trace) => json_response(StatusCode::OK, &trace),
            None => json_response(
                StatusCode::NOT_FOUND,
                &json!({"error": format!("no trace {id} (traces are kept in a ring of the newest --trace-buffer traces)")}),
            ),
        };
    }
    if !rest.is_empty() {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no endpoint /_stepyard/traces{rest}")}),
        );
    }
    let mut filter = api::Filter::default();
    let pairs = uri
        .query()
        .and_then(|q| crate::protocol::form::parse(q.as_bytes()))
        .unwrap_or_default();
    for (key, value) in pairs {
        match key.as_str() {
            "service" if !value.is_empty() => filter.service = Some(value),
            "resource" if !value.is_empty() => filter.resource = Some(value),
            "limit" => filter.limit = value.parse().ok(),
            _ => {}
        }
    }
    json_response(StatusCode::OK, &api::list(&state.tracer, &filter))
}

fn status(service: ServiceId) -> &'static str {
    if service.implemented_operations().is_empty() {
        "unavailable"
    } else {
        "running"
    }
}

fn health(state: &AppState) -> Value {
    let services: Map<String, Value> = ServiceId::ALL
        .iter()
        .map(|s| {
            (
                s.health_name().to_string(),
                Value::String(status(*s).into()),
            )
        })
        .collect();
    json!({
        "status": "running",
        "version": VERSION,
        "uptime_seconds": state.started.elapsed().as_secs_f64(),
        "services": services,
    })
}

/// LocalStack's `/_localstack/health`: `available`/`running` for what we serve, `disabled` else.
fn localstack_health() -> Value {
    let services: Map<String, Value> = ServiceId::ALL
        .iter()
        .map(|s| {
            let word = if status(*s) == "running" {
                "running"
            } else {
                "disabled"
            };
            (s.health_name().to_string(), Value::String(word.into()))
        })
        .collect();
    json!({ "services": services, "edition": "community", "version": VERSION })
}

/// `POST /_stepyard/state`: replaces everything with a state document; a bad one changes
/// nothing and is answered 400 with what is wrong.
async fn load_state(state: &AppState, body: &[u8]) -> HttpResponse {
    let document: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("the state document is not JSON: {e}")}),
            )
        }
    };
    match crate::persist::snapshot::import(state, &document) {
        Ok(()) => {
            state.wait_durable().await;
            json_response(StatusCode::OK, &json!({"loaded": true}))
        }
        Err(e) => json_response(StatusCode::BAD_REQUEST, &json!({ "error": e })),
    }
}

fn reset(state: &AppState, uri: &Uri) -> HttpResponse {
    let requested = uri
        .query()
        .and_then(|q| crate::protocol::form::parse(q.as_bytes()))
        .and_then(|pairs| {
            pairs
                .into_iter()
                .find(|(k, _)| k == "service")
                .map(|(_, v)| v)
        });
    let service = match requested.as_deref() {
        None | Some("") => None,
        Some(name) => match ServiceId::from_name(name) {
            Some(id) => Some(id),
            None => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": format!("unknown service {name}; use sqs, sns, events, stepfunctions or sts")}),
                )
            }
        },
    };
    state.reset(service);
    let names: Vec<&str> = match service {
        Some(s) => vec![s.health_name()],
        None => ServiceId::ALL.iter().map(|s| s.health_name()).collect(),
    };
    json_response(StatusCode::OK, &json!({ "reset": names }))
}
