//! One-liner checks of the messages; the conformance corpus is driven by
//! `tests/asl_parse.rs`.

use super::*;
use crate::asl::ast::*;

fn err(definition: &str) -> String {
    match parse_definition(definition) {
        Ok(_) => panic!("definition was accepted: {definition}"),
        Err(e) => e.to_string(),
    }
}

fn ok(definition: &str) -> StateMachine {
    match parse_definition(definition) {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    }
}

const PASS: &str = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#;

#[test]
fn minimal_machine_parses() {
    let m = ok(PASS);
    assert_eq!(m.start_at, "A");
    assert_eq!(m.states.len(), 1);
    assert_eq!(m.states[0].transition, Some(Transition::End));
    assert_eq!(m.query_language, QueryLanguage::JsonPath);
}

#[test]
fn required_top_level_fields() {
    assert_eq!(
        err(r#"{"StartAt":"A"}"#),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'"
    );
    assert_eq!(
        err("{}"),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] at /'"
    );
}

#[test]
fn missing_next_target_and_unreachable_state() {
    assert_eq!(
        err(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"X"},"B":{"Type":"Succeed"}}}"#),
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/A/Next, MISSING_TRANSITION_TARGET: State \"B\" is not reachable. at /States/B'"
    );
}

#[test]
fn unknown_field_is_not_supported() {
    assert_eq!(
        err(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Foo":1,"End":true}}}"#),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Field 'Foo' is not supported at /States/A'"
    );
}

#[test]
fn duplicate_names_across_branches() {
    let e = err(
        r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
            {"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},
            {"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}}]}}}"#,
    );
    assert!(
        e.contains(
            "DUPLICATE_STATE_NAME: Duplicate State name: X at /States/P/Branches[1]/States/X"
        ),
        "{e}"
    );
}

#[test]
fn states_all_must_be_alone_and_last() {
    let e = err(
        r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,
            "Retry":[{"ErrorEquals":["States.ALL","X"]}]}}}"#,
    );
    assert!(e.contains("/States/T/Retry[0]/ErrorEquals"), "{e}");
    let e = err(
        r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,
            "Catch":[{"ErrorEquals":["States.ALL"],"Next":"T"},{"ErrorEquals":["X"],"Next":"T"}]}}}"#,
    );
    assert!(e.contains("/States/T/Catch[0]/ErrorEquals"), "{e}");
}

#[test]
fn jsonpath_fields_refused_in_jsonata_states() {
    let e = err(
        r#"{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a","End":true}}}"#,
    );
    assert!(e.contains("at /States/A/InputPath"), "{e}");
    let e = err(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Output":{},"End":true}}}"#);
    assert!(e.contains("at /States/A/Output"), "{e}");
}

#[test]
fn choice_rules_parse_with_every_form() {
    let m = ok(
        r#"{"StartAt":"C","States":{"C":{"Type":"Choice","Default":"D","Choices":[
        {"Variable":"$.a","NumericGreaterThanPath":"$.b","Next":"D"},
        {"Not":{"Variable":"$.s","StringMatches":"a*"},"Next":"D"},
        {"And":[{"Variable":"$.x","IsPresent":true},{"Or":[{"Variable":"$.x","IsNull":false}]}],"Next":"D"}]},
        "D":{"Type":"Succeed"}}}"#,
    );
    let StateKind::Choice(c) = &m.states[0].kind else {
        panic!("not a choice")
    };
    assert_eq!(
        c.choices[0].condition,
        Condition::Compare {
            variable: path("$.a"),
            operator: ComparisonOperator::NumericGreaterThan,
            operand: Operand::Path(path("$.b")),
        }
    );
    assert!(matches!(c.choices[1].condition, Condition::Not(_)));
    assert!(matches!(c.choices[2].condition, Condition::And(ref v) if v.len() == 2));
}

#[test]
fn choice_rule_needs_exactly_one_operator() {
    let e = err(r#"{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
        {"Variable":"$.a","Next":"D"}]},"D":{"Type":"Succeed"}}}"#);
    assert!(e.contains("at /States/C/Choices[0]"), "{e}");
}

#[test]
fn no_terminal_state() {
    assert_eq!(
        err(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}"#),
        "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'"
    );
}

#[test]
fn invalid_json_is_described_like_jackson() {
    let d = validate_definition("not a definition");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "INVALID_JSON_DESCRIPTION");
    assert_eq!(
        d[0].message,
        "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"not a definition\"; line: 1, column: 4]"
    );
    assert!(parse_definition("{").is_err());
    assert!(parse_definition("[1,").is_err());
}

#[test]
fn express_refuses_callbacks() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}"#;
    assert!(parse_definition(def).is_ok());
    assert!(parse_definition_for(def, MachineType::Express).is_err());
}

#[test]
fn deeply_nested_input_does_not_panic() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_definition(&deep).is_err());
    let mut not = String::from(r#"{"Variable":"$.a","IsPresent":true}"#);
    for _ in 0..200 {
        not = format!(r#"{{"Not":{not}}}"#);
    }
    let def = format!(
        r#"{{"StartAt":"C","States":{{"C":{{"Type":"Choice","Choices":[{{"Not":{not},"Next":"D"}}]}},"D":{{"Type":"Succeed"}}}}}}"#
    );
    let _ = parse_definition(&def);
    let _ = validate_definition("\u{0}\u{ffff}{\"a\":");
}

#[test]
fn map_fields_are_typed() {
    let m = ok(
        r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrencyPath":"$.n",
        "ToleratedFailurePercentage":12.5,"Label":"lbl",
        "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}"#,
    );
    let StateKind::Map(map) = &m.states[0].kind else {
        panic!("not a map")
    };
    assert_eq!(map.items_path, DataPath::Path(path("$.items")));
    assert_eq!(
        map.max_concurrency,
        Some(Dynamic::Path(Box::new(Reference::Path(path("$.n")))))
    );
    assert_eq!(
        map.tolerated_failure_percentage,
        Some(Dynamic::Literal(12.5))
    );
    assert_eq!(map.processor_config.mode, ProcessorMode::Distributed);
    assert_eq!(
        map.processor_config.execution_type,
        Some(ExecutionType::Express)
    );
    assert_eq!(map.label.as_deref(), Some("lbl"));
}

#[test]
fn warnings_do_not_fail_the_definition() {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"a.$":"$.x"},
        "Parameters":{"plain":"$.input","call":"States.Format('{}', $.a)"},"Next":"F"},
        "F":{"Type":"Fail","Error":"$.error"}}}"#;
    assert!(parse_definition(def).is_ok());
    let codes: Vec<(Severity, String, String)> = validate_definition(def)
        .into_iter()
        .map(|d| (d.severity, d.code, d.location.unwrap_or_default()))
        .collect();
    let warning =
        |code: &str, location: &str| (Severity::Warning, code.to_string(), location.to_string());
    assert_eq!(
        codes,
        vec![
            warning("PASS_RESULT_IS_STATIC", "/States/P/Result"),
            warning("NO_DOLLAR", "/States/P/Parameters"),
            warning("NO_DOLLAR", "/States/P/Parameters"),
            warning("NO_PATH", "/States/F/Error"),
        ]
    );
}

#[test]
fn test_state_definitions_are_single_states() {
    let state = parse_state_definition(
        r#"{"Type":"Pass","Next":"Elsewhere"}"#,
        MachineType::Standard,
    )
    .expect("a lone state may name a Next that is not there");
    assert_eq!(state.name, "StateName");
    let e = parse_state_definition(
        r#"{"Type":"Parallel","Branches":[],"End":true}"#,
        MachineType::Standard,
    )
    .expect_err("empty branches");
    assert_eq!(
        e.to_string(),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/StateName/Branches'"
    );
}

#[test]
fn diagnostics_serialise_like_the_api() {
    let d = validate_definition(r#"{"States":{"A":{"Type":"Pass","End":true}}}"#);
    assert_eq!(
        serde_json::to_value(&d).ok(),
        Some(serde_json::json!([{
            "severity": "ERROR",
            "code": "SCHEMA_VALIDATION_FAILED",
            "message": "These fields are required: [StartAt]",
            "location": "/"
        }]))
    );
}

fn path(text: &str) -> crate::asl::jsonpath::JsonPath {
    crate::asl::jsonpath::JsonPath::parse(text).expect("a valid path")
}
