//! Choice rules (JSONPath flavour): comparisons, type tests, `StringMatches` and the boolean
//! combinators, evaluated against the state's effective input.

use crate::asl::ast::{ComparisonOperator, Condition, Operand};
use crate::asl::errors::StatesError;
use crate::asl::jsonpath::{JsonPath, Scope};
use crate::time::parse_rfc3339_nanos;
use serde_json::Value;
use std::borrow::Cow;
use std::cmp::Ordering;

/// Whether `condition` holds for `scope`. Errors are `States.Runtime`: a `Variable` that
/// names nothing (except under `IsPresent`), or a JSONata rule.
pub fn holds(condition: &Condition, scope: &Scope) -> Result<bool, StatesError> {
    match condition {
        Condition::And(all) => {
            for c in all {
                if !holds(c, scope)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Condition::Or(any) => {
            for c in any {
                if holds(c, scope)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Condition::Not(inner) => Ok(!holds(inner, scope)?),
        Condition::JsonataLiteral(b) => Ok(*b),
        Condition::Jsonata(_) => Err(StatesError::runtime(
            "JSONata Choice conditions are not supported yet",
        )),
        Condition::Compare {
            variable,
            operator,
            operand,
        } => compare(variable, *operator, operand, scope),
    }
}

/// What a rule's path names, borrowed where it can be (nothing: `None`).
fn lookup<'v>(path: &JsonPath, scope: &Scope<'v>) -> Option<Cow<'v, Value>> {
    path.lookup(scope).ok()
}

fn invalid_variable(path: &JsonPath) -> StatesError {
    StatesError::runtime(format!(
        "Invalid path '{}': The choice state's condition path references an invalid value.",
        path.text()
    ))
}

fn compare(
    variable: &JsonPath,
    op: ComparisonOperator,
    operand: &Operand,
    scope: &Scope,
) -> Result<bool, StatesError> {
    use ComparisonOperator::*;
    let value = lookup(variable, scope);
    if op == IsPresent {
        return Ok(value.is_some() == operand_bool(operand));
    }
    let Some(value) = value else {
        return Err(invalid_variable(variable));
    };
    let rhs = match operand {
        Operand::Literal(v) => Cow::Borrowed(v),
        Operand::Path(p) => lookup(p, scope).ok_or_else(|| invalid_variable(p))?,
    };
    let (value, rhs) = (value.as_ref(), rhs.as_ref());
    let expect = rhs.as_bool().unwrap_or(false);
    Ok(match op {
        // Answered above, before the variable had to exist.
        IsPresent => false,
        IsNull => value.is_null() == expect,
        IsNumeric => value.is_number() == expect,
        IsString => value.is_string() == expect,
        IsBoolean => value.is_boolean() == expect,
        IsTimestamp => {
            let is_ts = value.as_str().and_then(parse_rfc3339_nanos).is_some();
            is_ts == expect
        }
        StringMatches => match (value.as_str(), rhs.as_str()) {
            (Some(s), Some(pattern)) => string_matches(s, pattern),
            _ => false,
        },
        StringEquals
        | StringLessThan
        | StringGreaterThan
        | StringLessThanEquals
        | StringGreaterThanEquals => match (value.as_str(), rhs.as_str()) {
            (Some(a), Some(b)) => ordering_holds(op, a.cmp(b)),
            _ => false,
        },
        NumericEquals
        | NumericLessThan
        | NumericGreaterThan
        | NumericLessThanEquals
        | NumericGreaterThanEquals => match (number(value), number(rhs)) {
            (Some(a), Some(b)) => a.partial_cmp(&b).is_some_and(|o| ordering_holds(op, o)),
            _ => false,
        },
        BooleanEquals => match (value.as_bool(), rhs.as_bool()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        TimestampEquals
        | TimestampLessThan
        | TimestampGreaterThan
        | TimestampLessThanEquals
        | TimestampGreaterThanEquals => {
            let a = value.as_str().and_then(parse_rfc3339_nanos);
            let b = rhs.as_str().and_then(parse_rfc3339_nanos);
            match (a, b) {
                (Some(a), Some(b)) => ordering_holds(op, a.cmp(&b)),
                _ => false,
            }
        }
    })
}

fn operand_bool(operand: &Operand) -> bool {
    match operand {
        Operand::Literal(v) => v.as_bool().unwrap_or(false),
        Operand::Path(_) => false,
    }
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn ordering_holds(op: ComparisonOperator, o: Ordering) -> bool {
    use ComparisonOperator::*;
    match op {
        StringEquals | NumericEquals | TimestampEquals => o == Ordering::Equal,
        StringLessThan | NumericLessThan | TimestampLessThan => o == Ordering::Less,
        StringGreaterThan | NumericGreaterThan | TimestampGreaterThan => o == Ordering::Greater,
        StringLessThanEquals | NumericLessThanEquals | TimestampLessThanEquals => {
            o != Ordering::Greater
        }
        StringGreaterThanEquals | NumericGreaterThanEquals | TimestampGreaterThanEquals => {
            o != Ordering::Less
        }
        _ => false,
    }
}

#[derive(Debug, PartialEq)]
enum Piece {
    Char(char),
    Star,
}

/// `StringMatches`: `*` matches any run of characters; `\*` is a literal star and `\\` a
/// literal backslash. Iterative two-pointer matching, so no pattern can blow the stack.
pub fn string_matches(text: &str, pattern: &str) -> bool {
    let mut pieces = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => pieces.push(Piece::Char(escaped)),
                None => pieces.push(Piece::Char('\\')),
            },
            '*' => pieces.push(Piece::Star),
            other => pieces.push(Piece::Char(other)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    let (mut t, mut p) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pieces.get(p) {
            Some(Piece::Star) => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(Piece::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((bp, bt)) => {
                    p = bp + 1;
                    t = bt + 1;
                    backtrack = Some((bp, bt + 1));
                }
                None => return false,
            },
        }
    }
    pieces[p..].iter().all(|x| *x == Piece::Star)
}

#[cfg(test)]
mod tests {
    use super::string_matches;

    #[test]
    fn string_matches_wildcards_and_escapes() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("anything", "*"));
        assert!(string_matches("", "*"));
        assert!(!string_matches("log.csv", "log-*.txt"));
        assert!(string_matches("a*b", "a\\*b"));
        assert!(!string_matches("axb", "a\\*b"));
        assert!(string_matches("a\\b", "a\\\\b"));
        assert!(string_matches("abcabc", "*abc"));
    }
}
