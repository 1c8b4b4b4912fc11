//! A request that breaks several of the model's constraints is answered with all of them, as
//! AWS's coral front end words it: "N validation errors detected: <e1>; <e2>; ...", members in
//! the model's order and, on one member, its pattern before its length (the order AWS's
//! recorded messages show); one violation keeps the singular "1 validation error detected".

use crate::client::{eb, failed};
use crate::common;
use aws_sdk_eventbridge::types::RuleState;

const BUS_NAME_PATTERN: &str = r"[/\.\-_A-Za-z0-9]+";
const RULE_NAME_PATTERN: &str = r"[\.\-_A-Za-z0-9]+";

#[tokio::test]
async fn one_member_breaking_its_pattern_and_its_length_gives_two_errors_pattern_first() {
    let server = common::start().await;
    let client = eb(&server);
    let name = "!".repeat(257);
    let e = failed(client.create_event_bus().name(&name).send().await);
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        format!(
            "2 validation errors detected: \
             Value '{name}' at 'name' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: {BUS_NAME_PATTERN}; \
             Value '{name}' at 'name' failed to satisfy constraint: \
             Member must have length less than or equal to 256"
        )
    );
}

#[tokio::test]
async fn three_members_breaking_their_constraints_give_three_errors_in_model_order() {
    let server = common::start().await;
    let client = eb(&server);
    let description = "d".repeat(513);
    let e = failed(
        client
            .put_rule()
            .description(&description)
            .state(RuleState::from("WRONG"))
            .name("bad name!")
            .event_pattern(r#"{"source": ["a"]}"#)
            .send()
            .await,
    );
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        format!(
            "3 validation errors detected: \
             Value 'bad name!' at 'name' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: {RULE_NAME_PATTERN}; \
             Value 'WRONG' at 'state' failed to satisfy constraint: Member must satisfy enum \
             value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]; \
             Value '{description}' at 'description' failed to satisfy constraint: \
             Member must have length less than or equal to 512"
        )
    );
}

#[tokio::test]
async fn list_elements_are_each_named_with_their_position() {
    let server = common::start().await;
    let client = eb(&server);
    let tag = |key: &str| {
        aws_sdk_eventbridge::types::Tag::builder()
            .key(key)
            .value("v")
            .build()
            .expect("tag")
    };
    let e = failed(
        client
            .create_event_bus()
            .name("fine")
            .tags(tag(""))
            .tags(tag("ok"))
            .tags(tag(""))
            .send()
            .await,
    );
    assert_eq!(
        e.message,
        "2 validation errors detected: \
         Value '' at 'tags.1.member.key' failed to satisfy constraint: \
         Member must have length greater than or equal to 1; \
         Value '' at 'tags.3.member.key' failed to satisfy constraint: \
         Member must have length greater than or equal to 1"
    );
}

#[tokio::test]
async fn a_single_violation_keeps_the_singular_message() {
    let server = common::start().await;
    let client = eb(&server);
    let name = "n".repeat(257);
    let e = failed(client.create_event_bus().name(&name).send().await);
    assert_eq!(
        e.message,
        format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy \
             constraint: Member must have length less than or equal to 256"
        )
    );
}
