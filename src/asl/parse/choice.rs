//! Choice states: `Choices` rules (JSONPath comparisons with And/Or/Not nesting, or JSONata
//! `Condition`s) and `Default`.

use serde_json::Value;

use super::context::{at, indexed, is_jsonata, is_path, Ctx, Obj};
use crate::asl::ast::{
    ChoiceRule, ChoiceState, ComparisonOperator, Condition, JsonataExpr, JsonataTemplate, Operand,
    QueryLanguage,
};

pub(crate) fn parse(
    ctx: &mut Ctx,
    obj: &Obj,
    language: QueryLanguage,
    location: &str,
) -> Option<ChoiceState> {
    if !ctx.require(obj, &["Choices"], location) {
        return None;
    }
    let default = ctx.opt_string(obj, "Default", location);
    let choices_location = at(location, "Choices");
    let Some(Value::Array(items)) = obj.get("Choices") else {
        ctx.wrong_type("Array", &choices_location);
        return None;
    };
    if items.is_empty() {
        ctx.schema("Value cannot be empty", &choices_location);
    }
    let mut choices = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let rule_location = indexed(location, "Choices", i);
        if let Some(rule) = top_rule(ctx, item, language, &rule_location) {
            choices.push(rule);
        }
    }
    Some(ChoiceState { choices, default })
}

fn top_rule(
    ctx: &mut Ctx,
    value: &Value,
    language: QueryLanguage,
    location: &str,
) -> Option<ChoiceRule> {
    let Value::Object(obj) = value else {
        ctx.wrong_type("Object", location);
        return None;
    };
    let condition = match language {
        QueryLanguage::Jsonata => jsonata_rule(ctx, obj, location),
        QueryLanguage::JsonPath => rule(ctx, obj, location, true, 0),
    };
    if !ctx.require(obj, &["Next"], location) {
        return None;
    }
    let next = ctx.opt_string(obj, "Next", location)?;
    let comment = ctx.opt_string(obj, "Comment", location);
    let assign = obj.get("Assign").cloned();
    if let (Some(v), QueryLanguage::JsonPath) = (&assign, language) {
        super::values::check_template(ctx, v, &at(location, "Assign"));
    }
    let assign =
        assign.and_then(|v| super::data_fields::compiled_assign(ctx, v, language, location));
    let output = match language {
        QueryLanguage::Jsonata => obj.get("Output").map(JsonataTemplate::compile),
        QueryLanguage::JsonPath => None,
    };
    Some(ChoiceRule {
        condition: condition?,
        next,
        comment,
        assign,
        output,
    })
}

fn jsonata_rule(ctx: &mut Ctx, obj: &Obj, location: &str) -> Option<Condition> {
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "Condition" | "Next" | "Comment" | "Assign" | "Output"
        ) {
            ctx.schema(format!("Field '{key}' is not supported"), location);
        }
    }
    if !ctx.require(obj, &["Condition"], location) {
        return None;
    }
    match obj.get("Condition") {
        Some(Value::Bool(b)) => Some(Condition::JsonataLiteral(*b)),
        Some(Value::String(s)) if is_jsonata(s) => {
            Some(Condition::Jsonata(JsonataExpr::compile_field(s)))
        }
        _ => {
            ctx.schema(
                "The value of the field 'Condition' must be a JSONata expression or a boolean",
                &at(location, "Condition"),
            );
            None
        }
    }
}

/// Nesting of `Not` and `And`/`Or` is bounded by the JSON parser's own depth limit; this
/// guard keeps the recursion bounded even if that limit were lifted.
const MAX_RULE_DEPTH: usize = 256;

/// A JSONPath rule: a boolean combination or a comparison. Only top-level rules carry `Next`
/// (and `Assign`).
fn rule(ctx: &mut Ctx, obj: &Obj, location: &str, top: bool, depth: usize) -> Option<Condition> {
    if depth > MAX_RULE_DEPTH {
        ctx.schema("Choice rule nesting is too deep", location);
        return None;
    }
    let mut allowed: Vec<&str> = vec!["Variable", "And", "Or", "Not", "Comment"];
    if top {
        allowed.extend(["Next", "Assign"]);
    }
    let mut operators = Vec::new();
    for key in obj.keys() {
        let k = key.as_str();
        if allowed.contains(&k) {
            continue;
        }
        if let Some(op) = operator_of(k) {
            operators.push((k, op));
            continue;
        }
        ctx.schema(format!("Field '{key}' is not supported"), location);
    }
    let combinators: Vec<&str> = ["And", "Or", "Not"]
        .into_iter()
        .filter(|k| obj.contains_key(*k))
        .collect();
    if combinators.len() + operators.len() != 1 {
        ctx.schema(
            "A choice rule must have exactly one comparison operator or one of 'And', 'Or', 'Not'",
            location,
        );
        return None;
    }
    if let Some(&combinator) = combinators.first() {
        if obj.contains_key("Variable") {
            ctx.schema("Field 'Variable' is not supported", location);
        }
        let sub_location = at(location, combinator);
        return match (combinator, obj.get(combinator)) {
            ("Not", Some(Value::Object(inner))) => {
                rule(ctx, inner, &sub_location, false, depth + 1)
                    .map(|c| Condition::Not(Box::new(c)))
            }
            ("Not", _) => {
                ctx.wrong_type("Object", &sub_location);
                None
            }
            (_, Some(Value::Array(items))) => {
                if items.is_empty() {
                    ctx.schema("Value cannot be empty", &sub_location);
                }
                let mut rules = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let item_location = indexed(location, combinator, i);
                    let Value::Object(inner) = item else {
                        ctx.wrong_type("Object", &item_location);
                        continue;
                    };
                    if let Some(c) = rule(ctx, inner, &item_location, false, depth + 1) {
                        rules.push(c);
                    }
                }
                Some(if combinator == "And" {
                    Condition::And(rules)
                } else {
                    Condition::Or(rules)
                })
            }
            _ => {
                ctx.wrong_type("Array", &sub_location);
                None
            }
        };
    }
    let (key, (operator, is_path_form)) = operators[0];
    if !ctx.require(obj, &["Variable"], location) {
        return None;
    }
    let variable = ctx.opt_string(obj, "Variable", location)?;
    let variable = ctx.json_path(&variable, "Variable", &at(location, "Variable"));
    let value = obj.get(key)?;
    let operand_location = at(location, key);
    let operand = if is_path_form {
        match value {
            Value::String(s) if is_path(s) => {
                Operand::Path(ctx.json_path(s, key, &operand_location)?)
            }
            _ => {
                ctx.schema(
                    format!("The value for the field '{key}' must be a valid JSONPath"),
                    &operand_location,
                );
                return None;
            }
        }
    } else {
        if !operand_type_ok(operator, value) {
            ctx.wrong_type(operand_type_name(operator), &operand_location);
            return None;
        }
        Operand::Literal(value.clone())
    };
    Some(Condition::Compare {
        variable: variable?,
        operator,
        operand,
    })
}

/// The operator a rule key names, and whether it is the `...Path` form.
fn operator_of(key: &str) -> Option<(ComparisonOperator, bool)> {
    for op in ComparisonOperator::ALL {
        if key == op.name() {
            return Some((op, false));
        }
        if op.has_path_form() && key.strip_suffix("Path") == Some(op.name()) {
            return Some((op, true));
        }
    }
    None
}

fn operand_type_name(op: ComparisonOperator) -> &'static str {
    use ComparisonOperator::*;
    match op {
        NumericEquals
        | NumericLessThan
        | NumericGreaterThan
        | NumericLessThanEquals
        | NumericGreaterThanEquals => "Number",
        BooleanEquals | IsNull | IsPresent | IsNumeric | IsString | IsBoolean | IsTimestamp => {
            "Boolean"
        }
        _ => "String",
    }
}

fn operand_type_ok(op: ComparisonOperator, value: &Value) -> bool {
    match operand_type_name(op) {
        "Number" => value.is_number(),
        "Boolean" => value.is_boolean(),
        _ => value.is_string(),
    }
}
