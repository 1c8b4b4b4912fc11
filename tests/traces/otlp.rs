//! `--otlp-endpoint`: a tiny OTLP/HTTP receiver on loopback takes what stepyard sends and
//! decodes it with the protocol's own definitions (`opentelemetry-proto`).

use super::*;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use std::sync::{Arc, Mutex};

/// Starts the receiver; returns its `/v1/traces` URL and the requests it got.
async fn receiver() -> (String, Arc<Mutex<Vec<ExportTraceServiceRequest>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    let got: Arc<Mutex<Vec<ExportTraceServiceRequest>>> = Arc::default();
    let store = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let store = store.clone();
                    async move {
                        let path = request.uri().path().to_string();
                        let content_type = request
                            .headers()
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string();
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        assert_eq!(path, "/v1/traces");
                        assert_eq!(content_type, "application/x-protobuf");
                        let decoded = ExportTraceServiceRequest::decode(body)
                            .expect("the body is an OTLP ExportTraceServiceRequest");
                        store.lock().unwrap().push(decoded);
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            bytes::Bytes::new(),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, got)
}

/// (service.name, span) pairs of everything received so far.
fn received_spans(
    got: &Mutex<Vec<ExportTraceServiceRequest>>,
) -> Vec<(String, opentelemetry_proto::tonic::trace::v1::Span)> {
    let mut out = Vec::new();
    for request in got.lock().unwrap().iter() {
        for resource_spans in &request.resource_spans {
            let service = resource_spans
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"))
                .and_then(|a| a.value.as_ref())
                .and_then(|v| match &v.value {
                    Some(
                        opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s),
                    ) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for scope in &resource_spans.scope_spans {
                for span in &scope.spans {
                    out.push((service.clone(), span.clone()));
                }
            }
        }
    }
    out
}

fn string_attribute(
    span: &opentelemetry_proto::tonic::trace::v1::Span,
    key: &str,
) -> Option<String> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref())
        .and_then(|v| match &v.value {
            Some(opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s)) => {
                Some(s.clone())
            }
            _ => None,
        })
}

#[tokio::test]
async fn spans_of_a_flow_are_exported_over_otlp_http_with_the_x_ray_trace_id() {
    let (url, got) = receiver().await;
    let server = stepyard::Server::start(stepyard::Config {
        otlp_endpoint: Some(url),
        ..stepyard::Config::ephemeral()
    })
    .await
    .unwrap();
    let (sqs, eb) = (sqs(&server), eb(&server));
    let queue = create_queue(&sqs, "exported").await;
    rule_to(
        &eb,
        "exported",
        r#"{"source": ["shop"]}"#,
        sqs_target("q", "exported"),
    )
    .await;
    put_event(&eb, json!({"orderId": "o-9"}), Some(HEADER)).await;
    let messages = sqs
        .receive_message()
        .queue_url(&queue)
        .wait_time_seconds(5)
        .send()
        .await
        .unwrap();
    assert_eq!(messages.messages().len(), 1);

    // The X-Ray root's 32 hex digits are the OpenTelemetry trace id.
    let trace_id: Vec<u8> = (0..16)
        .map(|i| {
            u8::from_str_radix(&"5759e988bd862e3fe1be46a994272793"[i * 2..i * 2 + 2], 16).unwrap()
        })
        .collect();
    let mut ours = Vec::new();
    for _ in 0..100 {
        ours = received_spans(&got)
            .into_iter()
            .filter(|(_, s)| s.trace_id == trace_id)
            .collect();
        let has =
            |service: &str, name: &str| ours.iter().any(|(sv, s)| sv == service && s.name == name);
        if has("events", "PutEvents")
            && has("events", "EvaluateRule")
            && has("sqs", "SendMessage")
            && has("sqs", "ReceiveMessage")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let names: Vec<(String, String)> = ours
        .iter()
        .map(|(sv, s)| (sv.clone(), s.name.clone()))
        .collect();
    let find = |service: &str, name: &str| {
        ours.iter()
            .find(|(sv, s)| sv == service && s.name == name)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| panic!("no {service} {name} span among {names:?}"))
    };
    let put = find("events", "PutEvents");
    let rule = find("events", "EvaluateRule");
    let send = find("sqs", "SendMessage");
    find("sqs", "ReceiveMessage");
    // Parent links survive the export: the rule's span is the PutEvents' child.
    assert_eq!(rule.parent_span_id, put.span_id);
    assert_eq!(
        string_attribute(&rule, "aws.resource.arn").as_deref(),
        Some("arn:aws:events:us-east-1:000000000000:rule/exported")
    );
    assert_eq!(
        string_attribute(&send, "aws.resource.arn"),
        Some(queue_arn("exported"))
    );
    assert!(send.end_time_unix_nano >= send.start_time_unix_nano);
    assert!(send.start_time_unix_nano >= put.start_time_unix_nano);
}
