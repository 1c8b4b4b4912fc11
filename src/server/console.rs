//! The web console at `/_stepyard/ui`: a page and its scripts, embedded in the binary (nothing
//! is loaded from anywhere else), which reads the four services through their own public APIs
//! from the same origin, as any client would. Two read-only endpoints answer what those APIs
//! cannot: which accounts and regions hold resources (`/_stepyard/regions`), and a queue's
//! messages without receiving them (`/_stepyard/sqs/peek`).

use super::AppState;
use crate::server::response::{json_response, HttpResponse};
use bytes::Bytes;
use http::{header, Method, StatusCode, Uri};
use http_body_util::Full;
use serde_json::json;
use std::collections::BTreeMap;

/// How many messages a peek shows unless asked for another number (at most `PEEK_MAX`).
const PEEK_DEFAULT: usize = 50;
const PEEK_MAX: usize = 1000;

/// (path under `/_stepyard/ui/`, content type, body).
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "",
        "text/html; charset=utf-8",
        include_str!("console/index.html"),
    ),
    (
        "console.css",
        "text/css; charset=utf-8",
        include_str!("console/console.css"),
    ),
    (
        "aws.js",
        "text/javascript; charset=utf-8",
        include_str!("console/aws.js"),
    ),
    (
        "graph.js",
        "text/javascript; charset=utf-8",
        include_str!("console/graph.js"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_str!("console/console.js"),
    ),
];

/// Only the page's own scripts, styles and API calls: a message body or resource name shown in
/// the console can never load or run anything.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Answers a console request, or `None` when `uri` is not one of the console's paths.
pub fn handle(state: &AppState, method: &Method, uri: &Uri) -> Option<HttpResponse> {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return None;
    }
    let path = uri.path();
    match path {
        "/_stepyard/regions" => Some(regions(state)),
        "/_stepyard/sqs/peek" => Some(peek(state, uri)),
        "/_stepyard/ui" => Some(asset("")),
        _ => path.strip_prefix("/_stepyard/ui/").map(asset),
    }
}

fn asset(name: &str) -> HttpResponse {
    let Some((_, content_type, body)) = ASSETS.iter().find(|(path, _, _)| *path == name) else {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("the console has no file {name}")}),
        );
    };
    http::Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, *content_type)
        .header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap_or_else(|_| HttpResponse::new(Full::new(Bytes::new())))
}

/// `{"defaultAccount", "defaultRegion", "regions": [{"account", "region", "services"}]}`:
/// every (account, region) holding a queue, topic, state machine, activity, execution, or
/// anything on EventBridge beyond the default bus, with the services (signing names) that do.
fn regions(state: &AppState) -> HttpResponse {
    let mut found: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
    let services = [
        ("sqs", state.sqs.occupied_regions()),
        ("sns", state.sns.occupied_regions()),
        ("events", state.events.occupied_regions()),
        ("states", state.sfn.occupied_regions()),
    ];
    for (service, pairs) in services {
        for pair in pairs {
            let list = found.entry(pair).or_default();
            if !list.contains(&service) {
                list.push(service);
            }
        }
    }
    let regions: Vec<_> = found
        .into_iter()
        .map(|((account, region), services)| {
            json!({"account": account, "region": region, "services": services})
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "defaultAccount": state.config.account_id,
            "defaultRegion": state.config.default_region,
            "regions": regions,
        }),
    )
}

/// `?queueArn=<ARN>[&max=N]`: the queue's messages as `Sqs::peek` shows them.
fn peek(state: &AppState, uri: &Uri) -> HttpResponse {
    let params: Vec<(String, String)> = uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(arn) = param("queueArn").filter(|a| !a.is_empty()) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "give the queue as ?queueArn=arn:aws:sqs:<region>:<account>:<name>"}),
        );
    };
    let max = match param("max").map(str::parse::<usize>) {
        None => PEEK_DEFAULT,
        Some(Ok(n)) if (1..=PEEK_MAX).contains(&n) => n,
        Some(_) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("max must be a whole number from 1 to {PEEK_MAX}")}),
            )
        }
    };
    match state.sqs.peek(arn, max) {
        Some(view) => json_response(StatusCode::OK, &view),
        None => json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no queue {arn}")}),
        ),
    }
}
