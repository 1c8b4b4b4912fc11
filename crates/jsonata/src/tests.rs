//! One-line specs of the evaluator; the full language suite runs in `tests/conformance.rs`.

use super::*;
use serde_json::json;

fn eval_with(
    expr: &str,
    input: serde_json::Value,
    b: &Bindings,
) -> Result<Option<serde_json::Value>, JsonataError> {
    Expression::parse(expr)?.evaluate(Some(&input), b, Limits::default())
}

fn give(expr: &str, input: serde_json::Value, expected: serde_json::Value) {
    let got = eval_with(expr, input, &Bindings::new()).unwrap_or_else(|e| panic!("{expr}: {e}"));
    assert_eq!(got, Some(expected), "{expr}");
}

fn fails(expr: &str, code: &str) {
    let e = eval_with(expr, json!({}), &Bindings::new().step_functions()).expect_err(expr);
    assert_eq!(e.code, code, "{expr}: {e}");
}

#[test]
fn paths_map_over_arrays_and_unwrap_singletons() {
    let d = json!({"a": [{"b": 1}, {"b": [2, 3]}]});
    give("a.b", d.clone(), json!([1, 2, 3]));
    give("a[0].b", d.clone(), json!(1));
    give("a[0].b[]", d.clone(), json!([1]));
    // A predicate filters per step: the last `b` of each `a`, versus the last of all.
    give("a.b[-1]", d.clone(), json!([1, 3]));
    give("(a.b)[-1]", d, json!(3));
}

#[test]
fn operators_functions_and_lambdas() {
    give("1 + 2 * 3", json!(null), json!(7));
    give("$sum([1,2,3]) & 'x'", json!(null), json!("6x"));
    give(
        "($f := function($x){ $x * 2 }; [1,2] ~> $map($f))",
        json!(null),
        json!([2, 4]),
    );
    give("$string(1/3)", json!(null), json!("0.333333333333333"));
    give("{'a': 1, 'b': [1,2]}.b", json!(null), json!([1, 2]));
    give(
        "$formatNumber(1234.5, '#,##0.00')",
        json!(null),
        json!("1,234.50"),
    );
    give(
        "$fromMillis(0)",
        json!(null),
        json!("1970-01-01T00:00:00.000Z"),
    );
}

#[test]
fn runaway_recursion_is_bounded() {
    let e = eval_with(
        "($f := function($n){$f($n+1)}; $f(0))",
        json!(null),
        &Bindings::new(),
    )
    .expect_err("must stop");
    assert_eq!(e.code, "U1001");
    let e = eval_with(
        "($f := function($n){1 + $f($n+1)}; $f(0))",
        json!(null),
        &Bindings::new(),
    )
    .expect_err("must stop");
    assert_eq!(e.code, "U1001");
}

#[test]
fn step_functions_extensions() {
    let b = Bindings::new().step_functions();
    let ev = |e: &str| eval_with(e, json!({}), &b).unwrap_or_else(|err| panic!("{e}: {err}"));
    assert_eq!(
        ev("$partition([1,2,3,4,5], 2)"),
        Some(json!([[1, 2], [3, 4], [5]]))
    );
    assert_eq!(ev("$range(0, 10, 3)"), Some(json!([0, 3, 6, 9])));
    assert_eq!(ev("$range(1, 9, 9)"), Some(json!(1)));
    assert_eq!(
        ev("$hash('abc', 'SHA-256')"),
        Some(json!(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        ))
    );
    assert_eq!(
        ev("$hash('abc', 'MD5')"),
        Some(json!("900150983cd24fb0d6963f7d28e17f72"))
    );
    assert_eq!(ev("$parse('{\"a\": [1]}')"), Some(json!({"a": [1]})));
    assert_eq!(ev("$random(7) = $random(7)"), Some(json!(true)));
    let u = ev("$uuid()")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    assert_eq!(u.len(), 36);
    fails("$eval('1')", "T1006");
    fails("$hash('a', 'SHA-3')", "D3030");
    fails("$partition([1], 0)", "D3030");
}

#[test]
fn host_functions_and_variables_are_bound() {
    let b = Bindings::new()
        .var("x", json!(5))
        .function("double", 1, |args| {
            Ok(args
                .first()
                .cloned()
                .flatten()
                .and_then(|v| v.as_f64())
                .map(|n| json!(n * 2.0)))
        });
    assert_eq!(
        eval_with("$double($x)", json!(null), &b).ok().flatten(),
        Some(json!(10))
    );
}

#[test]
fn syntax_errors_carry_codes() {
    assert_eq!(
        Expression::parse("(1").err().map(|e| e.code),
        Some("S0203".to_string())
    );
    assert_eq!(
        Expression::parse("'abc").err().map(|e| e.code),
        Some("S0101".to_string())
    );
}

#[test]
fn now_and_millis_read_the_bindings_clock_once_per_evaluation() {
    use std::sync::atomic::{AtomicI64, Ordering};
    let ticks = Arc::new(AtomicI64::new(1_700_000_000_000));
    let t = ticks.clone();
    // Every reading moves this clock on by a second: one evaluation must read it once.
    let b = Bindings::new().clock(Arc::new(move || t.fetch_add(1000, Ordering::SeqCst)));
    assert_eq!(
        eval_with("[$millis(), $now(), $millis()]", json!({}), &b).unwrap(),
        Some(json!([
            1_700_000_000_000i64,
            "2023-11-14T22:13:20.000Z",
            1_700_000_000_000i64
        ]))
    );
    assert_eq!(
        eval_with("$millis()", json!({}), &b).unwrap(),
        Some(json!(1_700_000_001_000i64))
    );
    assert_eq!(ticks.load(Ordering::SeqCst), 1_700_000_002_000);
}

#[test]
fn number_words_beyond_u64_round_instead_of_overflowing() {
    give(
        "$parseInteger('ten billion trillion trillion trillion', 'w')",
        json!({}),
        json!(1e46),
    );
    give(
        "$parseInteger('one hundred and twenty-three thousand, four hundred and fifty-six', 'w')",
        json!({}),
        json!(123456),
    );
}
