//! One-line specs for every operator: `yes(pattern, event)` must match, `no(..)` must not,
//! `err(pattern, reason)` must be refused with exactly that reason (first line).

use serde_json::Value;

use super::Pattern;

fn compiled(p: &str) -> Pattern {
    Pattern::compile(p).unwrap_or_else(|e| panic!("{p}: {}", e.message))
}

fn ev(e: &str) -> Value {
    serde_json::from_str(e).unwrap()
}

fn yes(p: &str, e: &str) {
    assert!(compiled(p).matches(&ev(e)), "{p} should match {e}");
}

fn no(p: &str, e: &str) {
    assert!(!compiled(p).matches(&ev(e)), "{p} should not match {e}");
}

fn err(p: &str, reason: &str) {
    let e = Pattern::compile(p)
        .err()
        .unwrap_or_else(|| panic!("{p} should be refused"));
    let first = e.message.lines().next().unwrap_or_default().to_string();
    assert_eq!(
        first,
        format!("Event pattern is not valid. Reason: {reason}"),
        "{p}"
    );
}

#[test]
fn exact_values() {
    yes(r#"{"a": ["x", "y"]}"#, r#"{"a": "y"}"#);
    no(r#"{"a": ["x"]}"#, r#"{"a": "X"}"#);
    yes(r#"{"a": [300]}"#, r#"{"a": 300.0}"#);
    no(r#"{"a": [300]}"#, r#"{"a": "300"}"#);
    no(r#"{"a": ["300"]}"#, r#"{"a": 300}"#);
    yes(r#"{"a": [true]}"#, r#"{"a": true}"#);
    no(r#"{"a": [false]}"#, r#"{"a": true}"#);
    yes(r#"{"a": [null]}"#, r#"{"a": null}"#);
    no(r#"{"a": [null]}"#, r#"{"a": "null"}"#);
    no(r#"{"a": [null]}"#, r#"{}"#);
    yes(r#"{"a": [123456789012]}"#, r#"{"a": 123456789012}"#);
    yes(
        r#"{"ip": ["2001:db8::1"]}"#,
        r#"{"ip": "2001:0db8:0:0:0:0:0:1"}"#,
    );
}

#[test]
fn nested_objects_and_dotted_keys() {
    yes(
        r#"{"d": {"s": {"t": ["x"]}}}"#,
        r#"{"d": {"s": {"t": "x"}}}"#,
    );
    yes(r#"{"d": {"s.t": ["x"]}}"#, r#"{"d": {"s": {"t": "x"}}}"#);
    yes(r#"{"d": {"s": {"t": ["x"]}}}"#, r#"{"d": {"s.t": "x"}}"#);
    no(r#"{"d": {"s": ["x"]}}"#, r#"{"d": {"s": {"t": "x"}}}"#);
    no(r#"{"d": {"k": ["v"]}}"#, r#"{"d": "{\"k\": \"v\"}"}"#);
}

#[test]
fn prefix_and_suffix() {
    yes(
        r#"{"t": [{"prefix": "2022-07"}]}"#,
        r#"{"t": "2022-07-13"}"#,
    );
    no(
        r#"{"t": [{"prefix": "2022-08"}]}"#,
        r#"{"t": "2022-07-13"}"#,
    );
    yes(r#"{"t": [{"prefix": ""}]}"#, r#"{"t": "anything"}"#);
    no(r#"{"t": [{"prefix": "1"}]}"#, r#"{"t": 12}"#);
    yes(
        r#"{"s": [{"prefix": {"equals-ignore-case": "EventB"}}]}"#,
        r#"{"s": "eventbridge"}"#,
    );
    yes(r#"{"f": [{"suffix": ".png"}]}"#, r#"{"f": "a.png"}"#);
    no(r#"{"f": [{"suffix": ".PNG"}]}"#, r#"{"f": "a.png"}"#);
    yes(
        r#"{"f": [{"suffix": {"equals-ignore-case": ".png"}}]}"#,
        r#"{"f": "a.PNG"}"#,
    );
    err(
        r#"{"t": [{"prefix": 1}]}"#,
        "prefix match pattern must be a string",
    );
    err(
        r#"{"t": [{"suffix": ["x"]}]}"#,
        "suffix match pattern must be a string",
    );
    err(
        r#"{"t": [{"prefix": {"wildcard": "x"}}]}"#,
        "Unsupported prefix pattern: wildcard",
    );
    err(
        r#"{"t": [{"prefix": "a", "suffix": "b"}]}"#,
        "Only one key allowed in match expression",
    );
}

#[test]
fn anything_but() {
    yes(r#"{"s": [{"anything-but": "a"}]}"#, r#"{"s": "b"}"#);
    no(r#"{"s": [{"anything-but": "a"}]}"#, r#"{"s": "a"}"#);
    yes(r#"{"s": [{"anything-but": "a"}]}"#, r#"{"s": null}"#);
    no(r#"{"s": [{"anything-but": "a"}]}"#, r#"{}"#);
    no(r#"{"s": [{"anything-but": [1, 2]}]}"#, r#"{"s": 2.0}"#);
    yes(r#"{"s": [{"anything-but": [1, 2]}]}"#, r#"{"s": "2"}"#);
    no(
        r#"{"s": [{"anything-but": {"prefix": "in"}}]}"#,
        r#"{"s": "init"}"#,
    );
    yes(
        r#"{"s": [{"anything-but": {"prefix": "in"}}]}"#,
        r#"{"s": 12}"#,
    );
    no(
        r#"{"s": [{"anything-but": {"suffix": [".a", ".b"]}}]}"#,
        r#"{"s": "x.b"}"#,
    );
    no(
        r#"{"s": [{"anything-but": {"equals-ignore-case": "Stop"}}]}"#,
        r#"{"s": "STOP"}"#,
    );
    no(
        r#"{"s": [{"anything-but": {"wildcard": "*/dir/*"}}]}"#,
        r#"{"s": "a/dir/b"}"#,
    );
    yes(
        r#"{"s": [{"anything-but": {"wildcard": "*/dir/*"}}]}"#,
        r#"{"s": "a/b"}"#,
    );
    err(
        r#"{"s": [{"anything-but": null}]}"#,
        "Value of anything-but must be an array or single string/number value.",
    );
    err(r#"{"s": [{"anything-but": ["a", 1]}]}"#, "Inside anything but list, either all values are number or string, mixed type is not supported");
    err(
        r#"{"s": [{"anything-but": ["a", null]}]}"#,
        "Inside anything but list, start|null|boolean is not supported.",
    );
    err(
        r#"{"s": [{"anything-but": {"prefix": ""}}]}"#,
        "Null prefix/suffix not allowed",
    );
    err(
        r#"{"s": [{"anything-but": {"exists": true}}]}"#,
        "Unsupported anything-but pattern: exists",
    );
    err(
        r#"{"s": [{"anything-but": 5000000001}]}"#,
        "Value must be between -5.0E9 and 5.0E9, inclusive",
    );
}

#[test]
fn numeric() {
    yes(r#"{"n": [{"numeric": [">", 0, "<=", 5]}]}"#, r#"{"n": 5}"#);
    no(r#"{"n": [{"numeric": [">", 0, "<=", 5]}]}"#, r#"{"n": 0}"#);
    yes(r#"{"n": [{"numeric": ["=", 301.8]}]}"#, r#"{"n": 3.018e2}"#);
    yes(r#"{"n": [{"numeric": ["<", 10]}]}"#, r#"{"n": -3}"#);
    yes(r#"{"n": [{"numeric": [">=", 1.5]}]}"#, r#"{"n": 1.5}"#);
    no(r#"{"n": [{"numeric": [">", 100]}]}"#, r#"{"n": "300"}"#);
    no(r#"{"n": [{"numeric": [">", 100]}]}"#, r#"{"n": null}"#);
    no(r#"{"n": [{"numeric": [">", 100]}]}"#, r#"{"n": 1e10}"#);
    err(
        r#"{"n": [{"numeric": 10}]}"#,
        "Value of numeric must be an array.",
    );
    err(
        r#"{"n": [{"numeric": []}]}"#,
        "Invalid member in numeric match: ]",
    );
    err(
        r#"{"n": [{"numeric": ["~", 1]}]}"#,
        "Unrecognized numeric range operator: ~",
    );
    err(
        r#"{"n": [{"numeric": ["=", "1"]}]}"#,
        "Value of equals must be numeric",
    );
    err(
        r#"{"n": [{"numeric": [">", 0, ">", 0]}]}"#,
        "Bad numeric range operator: >",
    );
    err(
        r#"{"n": [{"numeric": [">", 0, 5]}]}"#,
        "Bad value in numeric range: 5",
    );
    err(
        r#"{"n": [{"numeric": [">", 5, "<", 1]}]}"#,
        "Bottom must be less than top",
    );
    err(
        r#"{"n": [{"numeric": ["<", 5, ">", 1]}]}"#,
        "Too many elements in numeric expression",
    );
    err(
        r#"{"n": [{"numeric": [">", 0, "<", 5, "<"]}]}"#,
        "Too many terms in numeric range expression",
    );
    err(
        r#"{"n": [{"numeric": [">", 0.0000001]}]}"#,
        "Only values upto 6 decimals are supported 0.0000001",
    );
}

#[test]
fn exists() {
    yes(
        r#"{"d": {"s": [{"exists": true}]}}"#,
        r#"{"d": {"s": null}}"#,
    );
    no(
        r#"{"d": {"s": [{"exists": true}]}}"#,
        r#"{"d": {"s": {"x": 1}}}"#,
    );
    no(r#"{"r": [{"exists": true}]}"#, r#"{"r": []}"#);
    yes(r#"{"d": {"s": [{"exists": false}]}}"#, r#"{"d": {"t": 1}}"#);
    no(r#"{"d": {"s": [{"exists": false}]}}"#, r#"{"d": {"s": 1}}"#);
    yes(
        r#"{"d": {"s": [{"anything-but": "x"}, {"exists": false}]}}"#,
        r#"{}"#,
    );
    err(
        r#"{"d": [{"exists": "yes"}]}"#,
        "exists match pattern must be either true or false.",
    );
    err(
        r#"{"d": [{"EXISTS": true}]}"#,
        "Unrecognized match type EXISTS",
    );
}

#[test]
fn cidr() {
    yes(
        r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#,
        r#"{"ip": "10.0.0.255"}"#,
    );
    no(
        r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#,
        r#"{"ip": "10.0.1.0"}"#,
    );
    no(r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#, r#"{"ip": 123}"#);
    yes(
        r#"{"ip": [{"cidr": "2001:db8::/32"}]}"#,
        r#"{"ip": "2001:0db8:ffff::1"}"#,
    );
    err(
        r#"{"ip": [{"cidr": "bad"}]}"#,
        "Malformed CIDR, one '/' required",
    );
    err(
        r#"{"ip": [{"cidr": ["10.0.0.0/8"]}]}"#,
        "prefix match pattern must be a string",
    );
}

#[test]
fn equals_ignore_case() {
    yes(
        r#"{"t": [{"equals-ignore-case": "ec2 instance"}]}"#,
        r#"{"t": "EC2 Instance"}"#,
    );
    yes(r#"{"t": [{"equals-ignore-case": ""}]}"#, r#"{"t": ""}"#);
    no(r#"{"t": [{"equals-ignore-case": ""}]}"#, r#"{"t": "x"}"#);
    err(
        r#"{"t": [{"equals-ignore-case": ["x"]}]}"#,
        "equals-ignore-case match pattern must be a string",
    );
}

#[test]
fn wildcard() {
    yes(
        r#"{"k": [{"wildcard": "dir/*.png"}]}"#,
        r#"{"k": "dir/a/b.png"}"#,
    );
    no(
        r#"{"k": [{"wildcard": "dir/*.png"}]}"#,
        r#"{"k": "dir/a/b.jpg"}"#,
    );
    no(r#"{"k": [{"wildcard": ""}]}"#, r#"{"k": "x"}"#);
    yes(r#"{"k": [{"wildcard": "a\\*b"}]}"#, r#"{"k": "a*b"}"#);
    err(
        r#"{"k": [{"wildcard": "a**"}]}"#,
        "Consecutive wildcard characters at pos 2",
    );
    err(r#"{"k": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}"#, "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character");
}

#[test]
fn or_alternatives() {
    let p = r#"{"source": ["s"], "$or": [{"a": ["1"]}, {"b": ["2"], "$or": [{"c": ["3"]}, {"d": ["4"]}]}]}"#;
    yes(p, r#"{"source": "s", "a": "1"}"#);
    yes(p, r#"{"source": "s", "b": "2", "d": "4"}"#);
    no(p, r#"{"source": "s", "b": "2"}"#);
    no(p, r#"{"source": "x", "a": "1"}"#);
    yes(
        r#"{"d": {"$or": [{"c": [1]}, {"e": [2]}]}}"#,
        r#"{"d": {"e": 2}}"#,
    );
    // `$or` that cannot be an alternative is an ordinary field name, as in event-ruler.
    yes(r#"{"$or": [{"prefix": "a"}]}"#, r#"{"$or": "abc"}"#);
    err(r#"{"$or": [{"a": ["1"]}]}"#, "Unrecognized match type a");
    err(
        r#"{"$or": [{"a": ["1"]}, {"prefix": ["2"], "b": ["x"]}]}"#,
        "Unrecognized match type a",
    );
    err(
        r#"{"$or": [{"a": ["1"]}, {"b": ["2"], "prefix": ["x"]}]}"#,
        "prefix is Ruler reserved fieldName which cannot be used inside $or.",
    );
}

#[test]
fn arrays_are_matched_consistently() {
    let p = r#"{"d": {"a": [{"exists": true}], "b": [{"exists": true}]}}"#;
    yes(p, r#"{"d": [{"a": 1, "b": 2}]}"#);
    no(p, r#"{"d": [{"a": 1}, {"b": 2}]}"#);
    yes(p, r#"{"d": [{"a": 1}, {"b": 2}, {"a": 3, "b": 4}]}"#);
    yes(r#"{"tags": ["admin"]}"#, r#"{"tags": ["user", "admin"]}"#);
    yes(
        r#"{"a": {"b": ["v"]}}"#,
        r#"{"a": [[{"b": "x"}, {"b": "v"}]]}"#,
    );
}

#[test]
fn structural_errors() {
    err(r#"{"a": []}"#, "Empty arrays are not allowed");
    err(r#"{"a": {}}"#, "Empty objects are not allowed");
    err(r#"{"a": 42}"#, "\"a\" must be an object or an array");
    err(
        r#"{"a": [["x"]]}"#,
        "Match value must be String, number, true, false, or null",
    );
    err(r#"["a"]"#, "Filter is not an object");
    err("", "Filter is not an object");
    err(
        "{'a': 1}",
        "Unexpected character (''' (code 39)): was expecting double-quote to start field name",
    );
    err(r#"{"a": ["x"]"#, "Unexpected end-of-input: expected close marker for Object (start marker at [Source: (String)\"{\"a\": [\"x\"]\"; line: 1, column: 1])");
}

#[test]
fn later_duplicate_fields_replace_earlier_ones() {
    let p = "{\"d\": {\"l\": [{\"prefix\": \"us-\"}], \"l\": [{\"anything-but\": \"us-east\"}]}}";
    yes(p, r#"{"d": {"l": "eu-central-1"}}"#);
}

#[test]
fn messages_carry_jacksons_location() {
    let e = Pattern::compile(r#"{"resources": []}"#).unwrap_err();
    assert_eq!(
        e.message,
        "Event pattern is not valid. Reason: Empty arrays are not allowed\n at [Source: (String)\"{\"resources\": []}\"; line: 1, column: 17]"
    );
}

#[test]
fn compiled_patterns_are_shareable() {
    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
    assert_send_sync_clone::<Pattern>();
    assert_send_sync_clone::<super::FilterPolicy>();
}

/// Matching one event against 100 compiled patterns stays in the microseconds (the figure is
/// printed; the bound is loose so an unoptimised build on a busy machine passes).
#[test]
fn one_event_against_a_hundred_patterns_is_fast() {
    let patterns: Vec<Pattern> = (0..100)
        .map(|i| {
            let p = match i % 5 {
                0 => format!(r#"{{"source": ["app.{i}"], "detail-type": ["Order Placed"]}}"#),
                1 => format!(r#"{{"detail": {{"amount": [{{"numeric": [">", {i}, "<=", 1000]}}]}}}}"#),
                2 => format!(r#"{{"detail": {{"customer": {{"tier": [{{"prefix": "gold-{i}"}}]}}}}}}"#),
                3 => format!(r#"{{"detail": {{"items": {{"sku": ["sku-{i}"], "qty": [{{"numeric": [">", 0]}}]}}}}}}"#),
                _ => format!(r#"{{"$or": [{{"source": ["x{i}"]}}, {{"detail": {{"state": [{{"anything-but": "s{i}"}}]}}}}]}}"#),
            };
            compiled(&p)
        })
        .collect();
    let event = ev(
        r#"{"version": "0", "id": "1", "source": "app.10", "detail-type": "Order Placed",
        "account": "123456789012", "time": "2024-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"amount": 250, "state": "s3", "customer": {"tier": "gold-12", "id": "c1"},
                   "items": [{"sku": "sku-3", "qty": 1}, {"sku": "sku-8", "qty": 0}]}}"#,
    );
    let rounds = 200;
    let start = std::time::Instant::now();
    let mut matched = 0;
    for _ in 0..rounds {
        matched = patterns.iter().filter(|p| p.matches(&event)).count();
    }
    let per_event = start.elapsed() / rounds;
    println!("one event against 100 patterns: {per_event:?} ({matched} match)");
    assert!(matched > 0 && matched < 100);
    assert!(
        per_event < std::time::Duration::from_millis(5),
        "{per_event:?}"
    );
}

#[test]
fn deeply_nested_patterns_are_refused_without_overflowing() {
    let deep = format!("{}[\"x\"]{}", "{\"a\":".repeat(5000), "}".repeat(5000));
    let e = Pattern::compile(&deep).unwrap_err();
    assert!(
        e.message
            .contains("Document nesting depth (1001) exceeds the maximum allowed"),
        "{}",
        &e.message[..200]
    );
}

#[test]
fn explain_names_the_first_failing_field_and_why() {
    let p = Pattern::compile(
        r#"{"source": ["shop"], "detail": {"amount": [{"numeric": [">", 100]}], "kind": ["a"]}}"#,
    )
    .unwrap();
    let event = serde_json::json!({"source": "shop", "detail": {"amount": 5, "kind": "a"}});
    let m = p.explain(&event).expect("does not match");
    assert_eq!(m.field, "detail.amount");
    assert_eq!(
        m.reason,
        r#"the event's value 5 does not satisfy {"numeric": [">", 100]}"#
    );
    let missing = serde_json::json!({"source": "shop", "detail": {"kind": "a"}});
    let m = p.explain(&missing).unwrap();
    assert_eq!(m.field, "detail.amount");
    assert!(m.reason.contains("no value"), "{}", m.reason);
    let ok = serde_json::json!({"source": "shop", "detail": {"amount": 500, "kind": "a"}});
    assert_eq!(p.explain(&ok), None);
    let other = serde_json::json!({"source": "bank", "detail": {"amount": 500, "kind": "a"}});
    assert_eq!(p.explain(&other).unwrap().field, "source");
}

#[test]
fn a_filter_policy_explains_the_attribute_that_failed_and_why() {
    use crate::{AttributeRef, FilterPolicy, FilterScope};
    let policy = FilterPolicy::compile(
        r#"{"store": ["example_corp"], "price": [{"numeric": [">=", 100]}]}"#,
        FilterScope::MessageAttributes,
    )
    .unwrap();
    let cheap = [
        AttributeRef {
            name: "store",
            data_type: "String",
            value: "example_corp",
        },
        AttributeRef {
            name: "price",
            data_type: "Number",
            value: "5",
        },
    ];
    let m = policy.explain_attributes(&cheap).expect("does not pass");
    assert_eq!(m.field, "price");
    assert!(m.reason.contains('5'), "{}", m.reason);
    let other_store = [
        AttributeRef {
            name: "store",
            data_type: "String",
            value: "acme",
        },
        AttributeRef {
            name: "price",
            data_type: "Number",
            value: "500",
        },
    ];
    assert_eq!(
        policy.explain_attributes(&other_store).unwrap().field,
        "store"
    );
    let passes = [
        AttributeRef {
            name: "store",
            data_type: "String",
            value: "example_corp",
        },
        AttributeRef {
            name: "price",
            data_type: "Number",
            value: "500",
        },
    ];
    assert_eq!(policy.explain_attributes(&passes), None);

    let body =
        FilterPolicy::compile(r#"{"order": {"kind": ["big"]}}"#, FilterScope::MessageBody).unwrap();
    let m = body
        .explain_body(&serde_json::json!({"order": {"kind": "small"}}))
        .expect("does not pass");
    assert_eq!(m.field, "order.kind");
    assert_eq!(
        body.explain_body(&serde_json::json!({"order": {"kind": "big"}})),
        None
    );
}
