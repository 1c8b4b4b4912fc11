//! One-liner tests: `give(input, path, expected)`, `fail(input, path, cause)`.

use super::*;
use serde_json::json;
use std::borrow::Cow;

fn run(input: Value, path: &str) -> Result<Value, String> {
    let ctx =
        json!({"Execution": {"Name": "exec", "Input": input.clone()}, "State": {"Name": "S"}});
    let vars = json!({"v": {"a": [1, 2]}, "n": 5});
    let vars = vars.as_object().cloned().unwrap_or_default();
    let scope = Scope::new(&input, &ctx).with_variables(&vars);
    select(path, &scope).map_err(|e| e.cause)
}

/// One-liner: evaluating `path` on `input` gives `expected`.
fn give(input: Value, path: &str, expected: Value) {
    assert_eq!(run(input, path), Ok(expected), "path {path}");
}

/// One-liner: evaluating `path` on `input` fails with exactly `cause`.
fn fail(input: Value, path: &str, cause: &str) {
    assert_eq!(run(input, path), Err(cause.to_string()), "path {path}");
}

fn ins(path: &str, input: Value, result: Value, expected: Value) {
    assert_eq!(insert(path, input, result), Ok(expected), "path {path}");
}

#[test]
fn definite_paths() {
    give(json!({"a": 1}), "$", json!({"a": 1}));
    give(json!({"a": {"b": 2}}), "$.a.b", json!(2));
    give(json!({"a": {"b": 2}}), "$['a']['b']", json!(2));
    give(json!({"a": {"b": 2}}), "$[\"a\"].b", json!(2));
    give(json!({"a b": 3}), "$['a b']", json!(3));
    give(json!({"a": [1, 2, 3]}), "$.a[0]", json!(1));
    give(json!({"a": [1, 2, 3]}), "$.a[2]", json!(3));
    give(json!({"a": [1, 2, 3]}), "$.a[-1]", json!(3));
    give(json!({"a": [{"x": 1}, {"x": 2}]}), "$.a[1].x", json!(2));
    give(json!({"a": null}), "$.a", json!(null));
    give(json!([10, 20]), "$[1]", json!(20));
    give(json!({"it's": 1}), "$['it\\'s']", json!(1));
    give(json!({"a-b": {"c_d": 1}}), "$.a-b.c_d", json!(1));
}

#[test]
fn definite_misses_use_jayway_details() {
    fail(
        json!({"a": 1}),
        "$.x",
        "Invalid path '$.x' : No results for path: $['x']",
    );
    fail(
        json!({}),
        "$.no.such.path",
        "Invalid path '$.no.such.path' : Missing property in path $['no']",
    );
    fail(
        json!({"a": {}}),
        "$.a.b",
        "Invalid path '$.a.b' : No results for path: $['a']['b']",
    );
    fail(
        json!({"a": [1]}),
        "$.a[3]",
        "Invalid path '$.a[3]' : No results for path: $['a'][3]",
    );
    fail(
        json!({"a": 1}),
        "$.a.b",
        "Invalid path '$.a.b' : No results for path: $['a']['b']",
    );
}

#[test]
fn indefinite_paths_yield_arrays() {
    give(json!({"a": [1, 2, 3]}), "$.a[*]", json!([1, 2, 3]));
    give(json!({"a": {"x": 1, "y": 2}}), "$.a.*", json!([1, 2]));
    give(json!({"a": [1, 2, 3, 4]}), "$.a[1:3]", json!([2, 3]));
    give(json!({"a": [1, 2, 3, 4]}), "$.a[:2]", json!([1, 2]));
    give(json!({"a": [1, 2, 3, 4]}), "$.a[2:]", json!([3, 4]));
    give(json!({"a": [1, 2, 3, 4]}), "$.a[-2:]", json!([3, 4]));
    give(json!({"a": [1, 2, 3, 4]}), "$.a[0,2]", json!([1, 3]));
    give(json!({"a": 1, "b": 2}), "$['a','b']", json!([1, 2]));
    give(
        json!({"a": [{"v": 1}, {"v": 2}, {}]}),
        "$.a[*].v",
        json!([1, 2]),
    );
    give(json!({}), "$.items[*]", json!([]));
    give(json!({}), "$.item.items[1:5].itemValue", json!([]));
    give(json!({}), "$[*]", json!([]));
    give(json!({"a": [1]}), "$.a[5:]", json!([]));
}

#[test]
fn deep_scan() {
    give(
        json!({"a": {"id": 1, "b": {"id": 2}}, "c": [{"id": 3}]}),
        "$..id",
        json!([1, 2, 3]),
    );
    give(json!({"a": [{"b": 1}, {"b": 2}]}), "$..b", json!([1, 2]));
    give(json!({"a": 1}), "$..zz", json!([]));
    give(
        json!({"store": {"book": [{"p": 8}, {"p": 12}], "bike": {"p": 20}}}),
        "$..[?(@.p > 10)].p",
        json!([12, 20]),
    );
    give(
        json!({"store": {"book": [{"p": 8}, {"p": 12}]}}),
        "$..book[?(@.p < 10)]",
        json!([{"p": 8}]),
    );
    give(
        json!({"a": {"b": [1, {"c": 2}]}}),
        "$..*",
        json!([{"b": [1, {"c": 2}]}, [1, {"c": 2}], 1, {"c": 2}, 2]),
    );
    give(json!({"a": [[1, 2], [3]]}), "$..[0]", json!([[1, 2], 1, 3]));
    give(json!({"x": {"a": [5, 6]}}), "$..a[0]", json!([5]));
}

#[test]
fn filters() {
    let users = json!({"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]});
    give(
        users.clone(),
        "$.users[?(@.status == 0)]",
        json!([{"year": 1997, "status": 0}]),
    );
    give(
        users.clone(),
        "$.users[?(@.year > 1997)].status",
        json!([1]),
    );
    give(
        users.clone(),
        "$.users[?(@.year >= 1997)].status",
        json!([0, 1]),
    );
    give(
        users.clone(),
        "$.users[?(@.year < 1998)].status",
        json!([0]),
    );
    give(
        users.clone(),
        "$.users[?(@.year <= 1998)].status",
        json!([0, 1]),
    );
    give(
        users.clone(),
        "$.users[?(@.status != 0)].year",
        json!([1998]),
    );
    give(
        users.clone(),
        "$.users[?(@.status == 0 || @.year == 1998)].year",
        json!([1997, 1998]),
    );
    give(
        users.clone(),
        "$.users[?(@.status == 1 && @.year == 1997)]",
        json!([]),
    );
    give(users, "$.users[?(@.nope)]", json!([]));
    give(
        json!({"a": [{"n": "x"}, {"m": 1}, {"n": "y"}]}),
        "$.a[?(@.n)].n",
        json!(["x", "y"]),
    );
    give(
        json!({"a": [{"n": "x"}, {"n": "y"}]}),
        "$.a[?(@.n == 'y')]",
        json!([{"n": "y"}]),
    );
    give(
        json!({"a": [{"n": "x"}, {"n": "y"}]}),
        "$.a[?(@.n == \"x\")].n",
        json!(["x"]),
    );
    give(
        json!({"a": [{"b": true}, {"b": false}]}),
        "$.a[?(@.b == true)]",
        json!([{"b": true}]),
    );
    give(
        json!({"lim": 2, "a": [{"v": 1}, {"v": 3}]}),
        "$.a[?(@.v > $.lim)].v",
        json!([3]),
    );
    give(
        json!({"a": [{"v": 1}, {"v": 3}]}),
        "$.a[?(!(@.v == 1))].v",
        json!([3]),
    );
    give(json!({"a": [1, 2, 3]}), "$.a[?(@ > 1)]", json!([2, 3]));
}

#[test]
fn length_function() {
    give(json!({"a": [1, 2, 3]}), "$.a.length()", json!(3));
    give(
        json!({"a": [{"x": 1}, {"x": 2}]}),
        "$.a[*].x.length()",
        json!(2),
    );
    give(json!({"s": "héllo"}), "$.s.length()", json!(5));
}

#[test]
fn context_and_variables() {
    give(json!({"a": 1}), "$$.Execution.Name", json!("exec"));
    give(json!({"a": 1}), "$$.Execution.Input.a", json!(1));
    give(json!({}), "$v.a[1]", json!(2));
    give(json!({}), "$n", json!(5));
    fail(
        json!({}),
        "$$.Nope",
        "Invalid path '$$.Nope' : No results for path: $['Nope']",
    );
    fail(
        json!({}),
        "$undefinedVar",
        "Invalid path '$undefinedVar' : No such variable: $undefinedVar",
    );
}

#[test]
fn for_field_cause() {
    let input = json!({"int-literal": 0});
    let ctx = json!({});
    let scope = Scope::new(&input, &ctx);
    let path = JsonPath::parse("$.no_such_jsonpath").expect("valid path");
    let err = path
        .select_for_field(&scope, "value.$")
        .expect_err("misses");
    assert_eq!(err.error, "States.Runtime");
    assert_eq!(
        err.cause,
        "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{\"int-literal\":0}'"
    );
}

#[test]
fn syntax_errors_do_not_panic() {
    for bad in [
        "",
        "a",
        "$.",
        "$[",
        "$['a",
        "$[?(@.a ==)]",
        "$[1:x]",
        "$..",
        "$.a[",
        "$[?(",
        "$[-]",
        "$.a]",
        "$[99999999999999999999]",
        "$.é[",
        "$[?(@.a == 'x)]",
    ] {
        assert!(JsonPath::parse(bad).is_err(), "{bad:?} should not parse");
    }
    let deep = format!("$[?({}@.a{})]", "(".repeat(10_000), ")".repeat(10_000));
    assert!(JsonPath::parse(&deep).is_err());
    let nots = format!("$[?({}@.a)]", "!".repeat(10_000));
    assert!(JsonPath::parse(&nots).is_err());
    let fine = format!("$[?({}@.a{})]", "(".repeat(10), ")".repeat(10));
    assert!(JsonPath::parse(&fine).is_ok());
}

#[test]
fn definiteness() {
    for (p, d) in [
        ("$", true),
        ("$.a.b[0]", true),
        ("$.a[*]", false),
        ("$..a", false),
        ("$.a[1:2]", false),
        ("$.a[?(@.x)]", false),
        ("$.a[0,1]", false),
    ] {
        assert_eq!(JsonPath::parse(p).map(|x| x.is_definite()), Ok(d), "{p}");
    }
}

#[test]
fn result_path_insertion() {
    ins("$", json!({"a": 1}), json!("r"), json!("r"));
    ins("$.r", json!({"a": 1}), json!(2), json!({"a": 1, "r": 2}));
    ins("$.a", json!({"a": 1}), json!(2), json!({"a": 2}));
    ins(
        "$.x.y.z",
        json!({}),
        json!(1),
        json!({"x": {"y": {"z": 1}}}),
    );
    ins(
        "$.x.y",
        json!({"x": {"k": 0}}),
        json!(1),
        json!({"x": {"k": 0, "y": 1}}),
    );
    ins("$['a b']", json!({}), json!(1), json!({"a b": 1}));
    ins(
        "$.a[1]",
        json!({"a": [0, 0]}),
        json!(9),
        json!({"a": [0, 9]}),
    );
    ins(
        "$.a[0].b",
        json!({"a": [{}]}),
        json!(9),
        json!({"a": [{"b": 9}]}),
    );
}

#[test]
fn result_path_mismatch() {
    let err = insert("$.a.b", json!({"a": 1}), json!(2)).expect_err("a is a number");
    assert_eq!(err.error, "States.ResultPathMatchFailure");
    assert_eq!(
        err.cause,
        "Unable to apply ReferencePath $.a.b to input {\"a\":1}"
    );
    let err = insert("$.a", json!("{\"k\":1}"), json!(2)).expect_err("input is a string");
    assert_eq!(
        err.cause,
        "Unable to apply ReferencePath $.a to input \"{\\\"k\\\":1}\""
    );
    assert!(insert("$.a[*]", json!({}), json!(1)).is_err());
    assert!(insert("$$.a", json!({}), json!(1)).is_err());
    assert!(insert("$.a[3]", json!({"a": []}), json!(1)).is_err());
    let err = insert("$.new[0]", json!({}), json!(1)).expect_err("index into a new object");
    assert_eq!(
        err.cause,
        "Unable to apply ReferencePath $.new[0] to input {}"
    );
}

#[test]
fn lookup_borrows_definite_matches() {
    let input = json!({"a": {"b": [1, 2]}});
    let ctx = json!({});
    let scope = Scope::new(&input, &ctx);
    let found =
        JsonPath::parse("$.a.b").map(|p| p.lookup(&scope).map(|v| matches!(v, Cow::Borrowed(_))));
    assert_eq!(found, Ok(Ok(true)));
    let found = JsonPath::parse("$.a.b[*]").map(|p| p.lookup(&scope).map(Cow::into_owned));
    assert_eq!(found, Ok(Ok(json!([1, 2]))));
}
