//! PutEvents: per-entry checks, the request size limit, and the event a rule's SQS target
//! receives.

use crate::client::{eb, entry, failed, json_body, put_events, queue_rule, receive_n, rule_arn};
use crate::common;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

#[tokio::test]
async fn failed_entries_carry_aws_codes_and_the_rest_go_through() {
    let server = common::start().await;
    let client = eb(&server);
    let out = client
        .put_events()
        .entries(entry(r#"{"ok": 1}"#))
        .entries(
            PutEventsRequestEntry::builder()
                .detail_type("t")
                .detail("{}")
                .build(),
        )
        .entries(
            PutEventsRequestEntry::builder()
                .source("s")
                .detail("{}")
                .build(),
        )
        .entries(
            PutEventsRequestEntry::builder()
                .source("s")
                .detail_type("t")
                .build(),
        )
        .entries(entry("[1, 2]"))
        .entries(entry("not json"))
        .entries(
            PutEventsRequestEntry::builder()
                .source("aws.ec2")
                .detail_type("t")
                .detail("{}")
                .build(),
        )
        .send()
        .await
        .expect("put events");
    assert_eq!(out.failed_entry_count, 6);
    let entries = out.entries();
    assert!(entries[0].event_id().is_some() && entries[0].error_code().is_none());
    let errors: Vec<_> = entries[1..]
        .iter()
        .map(|e| {
            (
                e.error_code().unwrap_or("-"),
                e.error_message().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (
                "InvalidArgument",
                "Parameter Source is not valid. Reason: Source is a required argument."
            ),
            (
                "InvalidArgument",
                "Parameter DetailType is not valid. Reason: DetailType is a required argument."
            ),
            (
                "InvalidArgument",
                "Parameter Detail is not valid. Reason: Detail is a required argument."
            ),
            ("MalformedDetail", "Detail is malformed."),
            ("MalformedDetail", "Detail is malformed."),
            (
                "NotAuthorizedForSourceException",
                "Not authorized for the source."
            ),
        ]
    );
    for e in &entries[1..] {
        assert!(e.event_id().is_none());
    }
}

#[tokio::test]
async fn at_most_ten_entries_and_256_kb() {
    let server = common::start().await;
    let client = eb(&server);
    let mut request = client.put_events();
    for _ in 0..11 {
        request = request.entries(entry("{}"));
    }
    let e = failed(request.send().await);
    assert_eq!(e.code, "ValidationException");
    // AWS prints the entries with its Java class's toString.
    let one = "PutEventsRequestEntry(time=null, source=app, resources=null, detailType=thing, \
               detail={}, eventBusName=null, traceHeader=null, kmsKeyIdentifier=null, \
               internalMetadata=null)";
    assert_eq!(
        e.message,
        format!(
            "1 validation error detected: Value '[{}]' at 'entries' failed to satisfy constraint: \
             Member must have length less than or equal to 10",
            [one; 11].join(", ")
        )
    );
    let big = format!(r#"{{"x": "{}"}}"#, "a".repeat(256 * 1024));
    let e = failed(client.put_events().entries(entry(&big)).send().await);
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "Total size of the entries in the request is over the limit."
    );
}

#[tokio::test]
async fn a_matching_event_reaches_the_queue_as_aws_shapes_it() {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let (queue, _) = queue_rule(
        &server,
        "orders",
        r#"{"source": ["app"], "detail": {"kind": ["order"]}}"#,
    )
    .await;
    let time = DateTime::from_secs(1_700_000_000);
    let ids = put_events(
        &client,
        vec![
            PutEventsRequestEntry::builder()
                .source("app")
                .detail_type("thing")
                .detail(r#"{"kind": "order", "n": 1}"#)
                .resources("arn:aws:s3:::b")
                .time(time)
                .build(),
            entry(r#"{"kind": "refund"}"#),
        ],
    )
    .await;
    let got = receive_n(&sqs, &queue, 1).await;
    assert_eq!(got.len(), 1);
    let event = json_body(&got[0]);
    assert_eq!(
        event,
        serde_json::json!({
            "version": "0",
            "id": ids[0],
            "detail-type": "thing",
            "source": "app",
            "account": common::ACCOUNT,
            "time": "2023-11-14T22:13:20Z",
            "region": common::REGION,
            "resources": ["arn:aws:s3:::b"],
            "detail": {"kind": "order", "n": 1},
        })
    );
    crate::client::assert_nothing_arrives(&sqs, &queue).await;
    let _ = rule_arn("orders");
}

#[tokio::test]
async fn disabled_rules_and_unknown_buses_deliver_nothing() {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let (queue, _) = queue_rule(&server, "r", r#"{"source": ["app"]}"#).await;
    client
        .disable_rule()
        .name("r")
        .send()
        .await
        .expect("disable");
    put_events(&client, vec![entry("{}")]).await;
    crate::client::assert_nothing_arrives(&sqs, &queue).await;
    // AWS accepts events for a bus that does not exist and drops them.
    let ids = put_events(
        &client,
        vec![PutEventsRequestEntry::builder()
            .source("app")
            .detail_type("t")
            .detail("{}")
            .event_bus_name("nope")
            .build()],
    )
    .await;
    assert_eq!(ids.len(), 1);
    client.enable_rule().name("r").send().await.expect("enable");
    put_events(&client, vec![entry("{}")]).await;
    assert_eq!(receive_n(&sqs, &queue, 1).await.len(), 1);
}

#[tokio::test]
async fn the_trace_header_reaches_sqs_as_aws_trace_header() {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let (queue, _) = queue_rule(&server, "r", r#"{"source": ["app"]}"#).await;
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    put_events(
        &client,
        vec![PutEventsRequestEntry::builder()
            .source("app")
            .detail_type("t")
            .detail("{}")
            .trace_header(trace)
            .build()],
    )
    .await;
    let mut got = Vec::new();
    for _ in 0..50 {
        let out = sqs
            .receive_message()
            .queue_url(&queue)
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::AwsTraceHeader,
            )
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        got.extend(out.messages.unwrap_or_default());
        if !got.is_empty() {
            break;
        }
    }
    let attributes = got[0].attributes().expect("system attributes");
    assert_eq!(
        attributes
            .get(&aws_sdk_sqs::types::MessageSystemAttributeName::AwsTraceHeader)
            .map(String::as_str),
        Some(trace)
    );
}

#[tokio::test]
async fn empty_source_detail_type_or_detail_count_as_missing_in_that_order() {
    let server = common::start().await;
    let client = eb(&server);
    let entry_with = |source: &str, detail_type: &str, detail: &str| {
        PutEventsRequestEntry::builder()
            .source(source)
            .detail_type(detail_type)
            .detail(detail)
            .build()
    };
    let out = client
        .put_events()
        .entries(entry_with("", "", ""))
        .entries(entry_with("s", "", ""))
        .entries(entry_with("s", "t", ""))
        .entries(entry_with("s", "t", "{}"))
        .send()
        .await
        .expect("the request succeeds; entries fail alone");
    assert_eq!(out.failed_entry_count, 3);
    let errors: Vec<_> = out
        .entries()
        .iter()
        .map(|e| (e.error_code(), e.error_message()))
        .collect();
    let required = |field: &str| {
        format!("Parameter {field} is not valid. Reason: {field} is a required argument.")
    };
    assert_eq!(
        errors,
        [
            (Some("InvalidArgument"), Some(required("Source").as_str())),
            (
                Some("InvalidArgument"),
                Some(required("DetailType").as_str())
            ),
            (Some("InvalidArgument"), Some(required("Detail").as_str())),
            (None, None),
        ]
    );
    assert!(out.entries()[3].event_id().is_some());
}

/// A `Time` that RFC 3339 cannot write (the event's `time` is RFC 3339) fails its entry with
/// `InvalidArgument`; the other entries of the request still go, and the last second of year
/// 9999 is still accepted.
#[tokio::test]
async fn a_time_rfc3339_cannot_write_fails_its_entry() {
    let server = common::start().await;
    let client = eb(&server);
    let sqs = common::sqs(&server);
    let (queue, _) = queue_rule(&server, "all", r#"{"source": ["app"]}"#).await;
    let timed = |secs: i64| {
        PutEventsRequestEntry::builder()
            .source("app")
            .detail_type("thing")
            .detail(r#"{"n": 1}"#)
            .time(DateTime::from_secs(secs))
            .build()
    };
    let out = client
        .put_events()
        .entries(timed(253_402_300_800))
        .entries(timed(-1))
        .entries(timed(253_402_300_799))
        .send()
        .await
        .expect("put events");
    assert_eq!(out.failed_entry_count, 2);
    let expected = "Parameter Time is not valid. Reason: Time must be between \
                    1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z.";
    for e in &out.entries()[..2] {
        assert_eq!(e.error_code(), Some("InvalidArgument"));
        assert_eq!(e.error_message(), Some(expected));
        assert!(e.event_id().is_none());
    }
    let got = receive_n(&sqs, &queue, 1).await;
    assert_eq!(json_body(&got[0])["time"], "9999-12-31T23:59:59Z");
    crate::client::assert_nothing_arrives(&sqs, &queue).await;

    // No SDK can send 1e300 (their date types stop earlier); a hand-written request can.
    let body =
        r#"{"Entries": [{"Source": "app", "DetailType": "t", "Detail": "{}", "Time": 1e300}]}"#;
    let response = reqwest::Client::new()
        .post(server.endpoint())
        .header("X-Amz-Target", "AWSEvents.PutEvents")
        .header("Content-Type", "application/x-amz-json-1.1")
        .header(
            "Authorization",
            common::sigv4_header(common::REGION, "events"),
        )
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 200);
    let out: serde_json::Value = response.json().await.expect("json");
    assert_eq!(out["FailedEntryCount"], 1);
    assert_eq!(out["Entries"][0]["ErrorCode"], "InvalidArgument");
    assert_eq!(out["Entries"][0]["ErrorMessage"], expected);
    crate::client::assert_nothing_arrives(&sqs, &queue).await;
}
