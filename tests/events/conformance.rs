//! Conformance over HTTP: TestEventPattern on `testeventpattern_aws_recorded.json`, and
//! InputPath / InputTransformer deliveries on `input_transformer_aws_recorded.json`, both
//! recorded against AWS (`../shared/conformance/events/`).

use crate::client::{eb, failed, receive_n};
use crate::common::{self, Tally};
use aws_sdk_eventbridge::types::{InputTransformer, PutEventsRequestEntry, Target};
use serde_json::Value;
use std::path::PathBuf;

/// Cases that pass today; the floor only ever goes up.
const TEST_EVENT_PATTERN_FLOOR: usize = 168;
const INPUT_TRANSFORMER_FLOOR: usize = 32;

fn events_file(file: &str) -> Option<PathBuf> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/conformance/events/"
    ))
    .join(file);
    if path.exists() {
        Some(path)
    } else {
        common::conformance::absent(&format!("events/{file}"), &path);
        None
    }
}

#[tokio::test]
async fn test_event_pattern_matches_aws_recordings() {
    let Some(path) = events_file("testeventpattern_aws_recorded.json") else {
        return;
    };
    let data = common::read_json(&path);
    let server = common::start().await;
    let client = eb(&server);
    let mut tally = Tally::default();
    for case in data["cases"].as_array().expect("cases") {
        let id = case["id"].as_str().unwrap_or("?");
        let result = client
            .test_event_pattern()
            .event(case["Event"].as_str().unwrap_or_default())
            .event_pattern(case["EventPattern"].as_str().unwrap_or_default())
            .send()
            .await;
        let expected = &case["expected"];
        match (result, expected.get("Result")) {
            (Ok(out), Some(want)) => {
                tally.check(id, Value::Bool(out.result) == *want, || {
                    format!("Result {} (want {want})", out.result)
                });
            }
            (Ok(out), None) => tally.check(id, false, || {
                format!("Result {} (want error {})", out.result, expected["error"])
            }),
            (Err(e), want) => {
                let got = failed::<(), _>(Err(e));
                let ok = want.is_none()
                    && got.code == expected["error"]["Code"]
                    && got.message.lines().next() == expected["error"]["Message"].as_str();
                tally.check(id, ok, || {
                    format!("{}: {} (want {})", got.code, got.message, expected)
                });
            }
        }
    }
    tally.finish("TestEventPattern (AWS recorded)", TEST_EVENT_PATTERN_FLOOR);
}

/// Makes recorded and delivered bodies comparable: the recorder replaced ids, times, region,
/// account, bus and rule names with placeholders.
fn normalise(text: &str, time: &str) -> String {
    let mut out = text
        .replace(time, "date")
        .replace("<ingestion-time>", "date")
        .replace("arn:aws:", "arn:<partition>:")
        .replace(common::REGION, "<region>")
        .replace(common::ACCOUNT, "111111111111")
        .replace("conf-bus", "<bus-name>")
        .replace("conf-rule", "<rule-name>");
    // Any UUID (ours) or <uuid:N> (recorded) becomes <uuid>.
    let mut result = String::new();
    while let Some(start) = out.find("<uuid:") {
        result.push_str(&out[..start]);
        let end = out[start..].find('>').map_or(out.len(), |e| start + e + 1);
        result.push_str("<uuid>");
        out = out[end..].to_string();
    }
    result.push_str(&out);
    let bytes: Vec<char> = result.chars().collect();
    let mut final_text = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let candidate: String = bytes[i..bytes.len().min(i + 36)].iter().collect();
        if candidate.len() == 36 && uuid_like(&candidate) {
            final_text.push_str("<uuid>");
            i += 36;
        } else {
            final_text.push(bytes[i]);
            i += 1;
        }
    }
    final_text
}

fn uuid_like(s: &str) -> bool {
    s.chars().enumerate().all(|(i, c)| match i {
        8 | 13 | 18 | 23 => c == '-',
        _ => c.is_ascii_hexdigit(),
    })
}

/// A recorded body in comparable form: JSON bodies compare as values, text as text.
fn comparable(body: &str, time: &str) -> Value {
    let text = normalise(body, time);
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

#[tokio::test]
async fn input_path_and_transformer_match_aws_recordings() {
    let Some(path) = events_file("input_transformer_aws_recorded.json") else {
        return;
    };
    let data = common::read_json(&path);
    let rule_pattern = data["common"]["rule_EventPattern"].to_string();
    let mut tally = Tally::default();
    for case in data["cases"].as_array().expect("cases") {
        let id = case["id"].as_str().unwrap_or("?").to_string();
        let server = common::start().await;
        let client = eb(&server);
        let sqs = common::sqs(&server);
        client
            .create_event_bus()
            .name("conf-bus")
            .send()
            .await
            .expect("bus");
        client
            .put_rule()
            .name("conf-rule")
            .event_bus_name("conf-bus")
            .event_pattern(&rule_pattern)
            .send()
            .await
            .expect("rule");
        // Which queues get which target configuration.
        let mut queues: Vec<(String, Target)> = Vec::new();
        let make = |queue: &str, target_id: &str| {
            Target::builder()
                .id(target_id)
                .arn(common::queue_arn(queue))
        };
        let transformer = case.get("InputTransformer").map(|t| {
            let mut b = InputTransformer::builder()
                .input_template(t["InputTemplate"].as_str().unwrap_or_default());
            for (k, v) in t["InputPathsMap"].as_object().into_iter().flatten() {
                b = b.input_paths_map(k, v.as_str().unwrap_or_default());
            }
            b.build().expect("transformer")
        });
        match (case["InputPath"].as_str(), &transformer) {
            (Some(p), _) if p.contains(';') => {
                queues.push((
                    "message-queue-1".into(),
                    make("message-queue-1", "t1")
                        .input_path("$.detail")
                        .build()
                        .expect("t"),
                ));
                queues.push((
                    "message-queue-2".into(),
                    make("message-queue-2", "t2").build().expect("t"),
                ));
            }
            (Some(p), _) => queues.push((
                "message".into(),
                make("message", "t1").input_path(p).build().expect("t"),
            )),
            (None, Some(t)) => queues.push((
                "message".into(),
                make("message", "t1")
                    .input_transformer(t.clone())
                    .build()
                    .expect("t"),
            )),
            (None, None) => queues.push((
                "message".into(),
                make("message", "t1")
                    .input("{}")
                    .input_path("$.detail")
                    .build()
                    .expect("t"),
            )),
        }
        for (queue, _) in &queues {
            common::create_queue(&sqs, queue).await;
        }
        let targets: Vec<Target> = queues.iter().map(|(_, t)| t.clone()).collect();
        let put = client
            .put_targets()
            .rule("conf-rule")
            .event_bus_name("conf-bus")
            .set_targets(Some(targets))
            .send()
            .await;
        let expected = &case["expected"];
        if let Some(want) = expected.get("error") {
            let got = match put {
                Ok(_) => crate::common::Failure {
                    code: "<succeeded>".into(),
                    message: String::new(),
                    status: 200,
                },
                Err(e) => failed::<(), _>(Err(e)),
            };
            let want_message = want["Message"]
                .as_str()
                .unwrap_or_default()
                .replace("<target-id>", "t1");
            tally.check(
                &id,
                got.code == want["Code"] && got.message == want_message,
                || format!("{}: {} (want {want})", got.code, got.message),
            );
            continue;
        }
        if let Err(e) = put {
            tally.check(&id, false, || {
                format!("PutTargets failed: {}", common::describe(&e))
            });
            continue;
        }
        let entry = &case["entry"];
        // A body that carries only the event's time (no `"time":` key to read it from) is
        // compared with the server's clock read around the call: the event can be stamped in
        // the second before the one in which the delivery is read.
        let time_before = stepyard_time(&server);
        let out = client
            .put_events()
            .entries(
                PutEventsRequestEntry::builder()
                    .source(entry["Source"].as_str().unwrap_or_default())
                    .detail_type(entry["DetailType"].as_str().unwrap_or_default())
                    .detail(entry["Detail"].to_string())
                    .event_bus_name("conf-bus")
                    .build(),
            )
            .send()
            .await
            .expect("put events");
        assert_eq!(out.failed_entry_count, 0, "{id}");
        let by_queue: Vec<(String, Vec<Value>)> = match &expected["delivered_bodies"] {
            Value::Array(list) => vec![("message".into(), list.clone())],
            Value::Object(map) => map
                .iter()
                .map(|(q, v)| (q.clone(), v.as_array().cloned().unwrap_or_default()))
                .collect(),
            _ => Vec::new(),
        };
        let mut ok = true;
        let mut detail = String::new();
        for (queue, want) in by_queue {
            let url = format!("http://{}/{}/{queue}", server.local_addr, common::ACCOUNT);
            let got = if want.is_empty() {
                crate::client::assert_nothing_arrives(&sqs, &url).await;
                Vec::new()
            } else {
                receive_n(&sqs, &url, want.len()).await
            };
            // The event time the recorder called `date`.
            let bodies: Vec<String> = got
                .iter()
                .map(|m| m.body().unwrap_or_default().to_string())
                .collect();
            let times: Vec<String> = match bodies.iter().find_map(|b| {
                let i = b.find("\"time\":\"")? + 8;
                b.get(i..i + 20).map(str::to_string)
            }) {
                Some(time) => vec![time],
                None => vec![time_before.clone(), stepyard_time(&server)],
            };
            let want_values: Vec<Value> = want
                .iter()
                .map(|w| match w {
                    Value::String(s) => comparable(s, "\u{0}"),
                    other => comparable(&other.to_string(), "\u{0}"),
                })
                .collect();
            let got_values =
                |time: &str| -> Vec<Value> { bodies.iter().map(|b| comparable(b, time)).collect() };
            if !times.iter().any(|t| got_values(t) == want_values) {
                let got_values = got_values(&times[0]);
                ok = false;
                detail.push_str(&format!(
                    "{queue}: got {got_values:?} want {want_values:?}; "
                ));
            }
        }
        tally.check(&id, ok, || detail);
    }
    tally.finish(
        "InputPath/InputTransformer (AWS recorded)",
        INPUT_TRANSFORMER_FLOOR,
    );
}

/// The server's current time as events show it (for bodies that carry only the time).
fn stepyard_time(server: &stepyard::RunningServer) -> String {
    let ms = server.clock().now_millis();
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let (y, m, d) = stepyard::time::civil_from_days(days);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
