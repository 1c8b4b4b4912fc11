//! Mutation fuzzing of every parser a client's text reaches, on stable Rust and without extra
//! crates: valid seed inputs are mutated at random (bytes inserted, deleted, duplicated,
//! swapped, replaced by tokens of the language) and each result goes through the parser, and
//! through evaluation where it parses. A panic is a finding: the run collects them all and
//! fails with the inputs that caused them.
//!
//! CI runs a short, fixed-seed round (`STEPYARD_FUZZ_ITERATIONS`, default 5,000 inputs per
//! target). `scripts/fuzz` runs a long one with a fresh seed; a finding is reproduced by
//! running again with the seed it prints (`STEPYARD_FUZZ_SEED`).

use event_pattern::{FilterPolicy, FilterScope, Pattern};
use jsonata::{Bindings, Expression, Limits};
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;
use stepyard::asl::jsonpath::{self, Scope};
use stepyard::asl::{intrinsics, parse};
use stepyard::protocol::{form, json as json_protocol, query, xml};

/// xorshift64*: small, fast and reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Characters that matter to the languages fuzzed here, and some that matter to no one.
const ALPHABET: &[char] = &[
    '{', '}', '[', ']', '"', ':', ',', '.', '$', '@', '*', '?', '(', ')', '\'', '\\', '-', '+',
    '0', '1', '9', 'e', 'a', 'z', ' ', '\n', '%', '&', '=', '<', '>', '!', '|', '~', '#', '^',
    '\u{0}', '\u{1}', '\u{7f}', 'é', '\u{FFFF}', '😀',
];

fn mutate(rng: &mut Rng, seed: &str, tokens: &[&str]) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(7) {
            0 => chars.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
            1 if !chars.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            2 if !chars.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(chars.len());
                let piece: Vec<char> = chars[at.min(end)..end].to_vec();
                let to = rng.below(chars.len() + 1);
                chars.splice(to..to, piece);
            }
            3 => {
                let token = tokens[rng.below(tokens.len())];
                chars.splice(at..at, token.chars());
            }
            4 => chars.truncate(at),
            5 if chars.len() > 1 => {
                let other = rng.below(chars.len());
                let at = at.min(chars.len() - 1);
                chars.swap(at, other);
            }
            _ => {
                // Deep nesting, which recursive parsers must survive.
                let depth = 1 + rng.below(300);
                let (open, close) = if rng.below(2) == 0 {
                    ('[', ']')
                } else {
                    ('(', ')')
                };
                let mut nested: Vec<char> = std::iter::repeat_n(open, depth).collect();
                nested.extend(std::iter::repeat_n(close, rng.below(depth + 1)));
                chars.splice(at..at, nested);
            }
        }
    }
    chars.into_iter().collect()
}

fn iterations() -> usize {
    std::env::var("STEPYARD_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000)
}

fn seed() -> u64 {
    std::env::var("STEPYARD_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_5EED)
        .max(1)
}

/// Feeds `iterations()` mutations of `seeds` to `check`, collecting the inputs that panic.
fn fuzz(target: &str, seeds: &[&str], tokens: &[&str], check: impl Fn(&str)) {
    let seed = seed();
    let mut rng = Rng(seed ^ target.len() as u64 ^ 0x9E37_79B9_7F4A_7C15);
    let mut findings = Vec::new();
    let n = iterations();
    for i in 0..n {
        let base = seeds[i % seeds.len()];
        let input = if i < seeds.len() {
            base.to_string()
        } else {
            mutate(&mut rng, base, tokens)
        };
        if catch_unwind(AssertUnwindSafe(|| check(&input))).is_err() {
            findings.push(input);
        }
    }
    println!(
        "fuzz {target}: {n} inputs, {} findings (seed {seed})",
        findings.len()
    );
    assert!(
        findings.is_empty(),
        "fuzz {target}: {} inputs panicked (seed {seed}); first ones: {:?}",
        findings.len(),
        &findings[..findings.len().min(5)]
    );
}

fn sample_event() -> Value {
    json!({
        "version": "0", "id": "1", "detail-type": "order", "source": "shop",
        "account": "000000000000", "time": "2024-01-01T00:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:s3:::b"], "detail": {"n": 5, "s": "abc", "a": [1, "x", null],
        "ip": "10.0.0.1", "o": {"p": true}}
    })
}

#[test]
fn fuzz_event_patterns_compile_and_match_without_panicking() {
    let event = sample_event();
    fuzz(
        "event-pattern",
        &[
            r#"{"source": ["shop"], "detail": {"n": [{"numeric": [">", 1, "<=", 9]}]}}"#,
            r#"{"detail": {"s": [{"prefix": "a"}, {"suffix": "c"}, {"anything-but": ["x"]}]}}"#,
            r#"{"$or": [{"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}, {"source": [{"exists": false}]}]}"#,
            r#"{"detail": {"s": [{"wildcard": "a*c"}, {"equals-ignore-case": "ABC"}]}}"#,
        ],
        &[
            "\"numeric\"",
            "\"prefix\"",
            "\"$or\"",
            "\"exists\"",
            "[{",
            "}]",
            "1e308",
            "-0",
            "\"anything-but\"",
            "\"wildcard\"",
            "\"*\"",
            "\"cidr\"",
            "null",
        ],
        |input| {
            if let Ok(pattern) = Pattern::compile(input) {
                pattern.matches(&event);
            }
        },
    );
}

#[test]
fn fuzz_sns_filter_policies_compile_and_match_without_panicking() {
    let body = json!({"store": "a", "price": 10.5, "tags": ["x", "y"], "o": {"k": 1}});
    fuzz(
        "sns-filter-policy",
        &[
            r#"{"store": ["a", {"prefix": "b"}], "price": [{"numeric": [">=", 10]}]}"#,
            r#"{"tags": [{"anything-but": {"prefix": "z"}}], "o": {"k": [{"exists": true}]}}"#,
            r#"{"$or": [{"store": ["a"]}, {"price": [{"numeric": ["=", 10.5]}]}]}"#,
        ],
        &[
            "\"numeric\"",
            "\"prefix\"",
            "\"$or\"",
            "[{",
            "}]",
            "1e9",
            "\"exists\"",
        ],
        |input| {
            for scope in [FilterScope::MessageBody, FilterScope::MessageAttributes] {
                if let Ok(policy) = FilterPolicy::compile(input, scope) {
                    if policy.scope() == FilterScope::MessageBody {
                        policy.matches_body(&body);
                    }
                }
            }
        },
    );
}

#[test]
fn fuzz_state_machine_definitions_parse_without_panicking() {
    fuzz(
        "asl-parse",
        &[
            r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "$.a", "y.$": "States.Format('{}', $.b)"}, "ResultPath": "$.r", "Next": "B"}, "B": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "C"}], "Default": "C"}, "C": {"Type": "Succeed"}}}"#,
            r#"{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "Items": "{% $states.input.xs %}", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $states.input * 2 %}", "End": true}}}, "Assign": {"v": "{% $count($states.result) %}"}, "End": true}}}"#,
            r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "Parameters": {"QueueUrl": "q", "MessageBody.$": "$$.Task.Token"}, "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "BackoffRate": 2}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}], "TimeoutSeconds": 5, "End": true}, "F": {"Type": "Fail", "Error": "E", "Cause": "c"}}}"#,
            r#"{"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}], "End": true}}}"#,
        ],
        &[
            "\"Type\"",
            "\"Next\"",
            "\"End\": true",
            "\"$.a\"",
            "\"{% %}\"",
            "\"States.ALL\"",
            "\"Choices\"",
            "\"Branches\"",
            "\"ItemProcessor\"",
            "\"x.$\"",
            "States.Array(",
        ],
        |input| {
            let _ = parse::parse_definition(input);
            let _ = parse::validate_definition(input);
        },
    );
}

#[test]
fn fuzz_jsonpath_and_intrinsics_evaluate_without_panicking() {
    let input = json!({"a": {"b": [1, 2, {"c": "x"}]}, "s": "a,b", "n": 3, "arr": [3, 1, 2]});
    let context = json!({"Execution": {"Id": "e"}, "Task": {"Token": "t"}});
    fuzz(
        "jsonpath",
        &[
            "$.a.b[0]",
            "$.a.b[*].c",
            "$..c",
            "$.arr[1:2]",
            "$.a.b[?(@.c == 'x')]",
            "$$.Execution.Id",
        ],
        &[
            "[", "]", "*", "..", "?(@", ")", "'", "[-1]", "[0:", ":2]", "$",
        ],
        |path| {
            let _ = jsonpath::select(path, &Scope::new(&input, &context));
        },
    );
    fuzz(
        "intrinsics",
        &[
            "States.Format('{} and {}', $.s, $.n)",
            "States.ArrayPartition($.arr, 2)",
            "States.StringSplit($.s, ',')",
            "States.MathAdd($.n, -1)",
            "States.JsonToString(States.StringToJson('{\"a\":1}'))",
            "States.ArrayRange(1, 9, 2)",
            "States.Hash($.s, 'SHA-256')",
            "States.Base64Decode(States.Base64Encode($.s))",
        ],
        &[
            "States.",
            "(",
            ")",
            ",",
            "'",
            "$.",
            "1e308",
            "-9999999999",
            "States.ArrayRange(1, 100000000, 1)",
        ],
        |text| {
            let _ = intrinsics::parse(text);
            let _ = intrinsics::evaluate(text, &Scope::new(&input, &context), "Parameters");
        },
    );
}

#[test]
fn fuzz_jsonata_parses_and_evaluates_within_bounds() {
    let input = json!({"xs": [1, 2, 3], "o": {"a": "b", "n": [{"k": 1}, {"k": 2}]}, "s": "hello"});
    let bindings = Bindings::new();
    let limits = || Limits {
        max_depth: 200,
        timeout: Duration::from_millis(100),
        work_budget: 2_000_000,
    };
    fuzz(
        "jsonata",
        &[
            "$sum(xs) + $count(o.n)",
            "o.n[k > 1].k",
            "$map(xs, function($v, $i) { $v * $i })",
            "$string(o) & $uppercase(s)",
            "xs ~> $filter(function($v) { $v % 2 = 1 }) ~> $reverse()",
            "( $f := function($n) { $n <= 1 ? 1 : $n * $f($n - 1) }; $f(5) )",
            "{ 'a': xs, 'b': o.a } ~> | $ | { 'c': 1 } |",
            "$sort(o.n, function($l, $r) { $l.k < $r.k })^(>k)",
            "$formatNumber(1234.5, '#,##0.00') & $fromMillis(0)",
        ],
        &[
            "$",
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "..",
            "~>",
            ":=",
            "function",
            "?",
            "&",
            "^(",
            "%",
            "**",
            "[1..100000000]",
        ],
        |text| {
            if let Ok(expression) = Expression::parse(text) {
                let _ = expression.evaluate(Some(&input), &bindings, limits());
            }
        },
    );
}

#[test]
fn fuzz_protocol_decoders_and_the_xml_encoder() {
    fuzz(
        "json-body",
        &[
            r#"{"QueueUrl": "u", "MessageBody": "b", "DelaySeconds": 1}"#,
            "[]",
            "{}",
        ],
        &[
            "{", "}", "\"", "\\u", "\\ud800", "1e999", "[", "]", ":", ",",
        ],
        |text| {
            let _ = json_protocol::decode(text.as_bytes());
        },
    );
    let model = stepyard::model::sqs_query();
    let shape = model
        .operation("SendMessage")
        .and_then(|o| o.input.clone())
        .expect("SendMessage has an input shape");
    fuzz(
        "query-form",
        &[
            "Action=SendMessage&QueueUrl=u&MessageBody=b&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=x",
            "Action=SendMessage&DelaySeconds=5&MessageSystemAttribute.1.Name=AWSTraceHeader&MessageSystemAttribute.1.Value.StringValue=t&MessageSystemAttribute.1.Value.DataType=String",
        ],
        &["&", "=", "%", "%FF", ".1.", ".999999999999.", "Name", "Value", "member"],
        |text| {
            if let Some(pairs) = form::parse(text.as_bytes()) {
                let params: query::Params = pairs.into_iter().collect();
                let _ = query::decode(model, &shape, &params);
            }
        },
    );
    // The encoder's escaping round-trips: unescaped, its output is the input with the
    // characters XML 1.0 forbids replaced, and it contains no raw markup.
    fuzz(
        "xml-escape",
        &["a<b>&'\"\r\n\tc", "plain", "\u{0}\u{1}\u{FFFE}é😀"],
        &["&", "<", "]]>", "&amp;", "\r", "\u{0}", "\u{FFFF}"],
        |text| {
            let mut out = String::new();
            xml::escape_into(&mut out, text);
            assert!(!out.contains('<') && !out.contains('>'));
            let back = out
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&#xD;", "\r")
                .replace("&amp;", "&");
            let expected: String = text
                .chars()
                .map(|c| {
                    let allowed = matches!(c, '\t' | '\n' | '\r')
                        || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}');
                    if allowed {
                        c
                    } else {
                        char::REPLACEMENT_CHARACTER
                    }
                })
                .collect();
            assert_eq!(back, expected);
        },
    );
}

/// Found by the fuzzer: the JSONata parser recursed once per nesting level, and about forty
/// parentheses overflowed a 2 MiB stack in a debug build, which aborts the whole process.
#[test]
fn a_deeply_nested_jsonata_expression_is_an_error_not_a_crash() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{'a':", "}"), ("-", "")] {
        let text = format!("{}1{}", open.repeat(5_000), close.repeat(5_000));
        let outcome = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || Expression::parse(&text).map(|_| ()).map_err(|e| e.code))
            .expect("thread")
            .join()
            .expect("no panic");
        assert_eq!(outcome, Err("U1001".to_string()), "{open}");
    }
}
