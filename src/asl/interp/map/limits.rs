//! A Map's numbers: `MaxConcurrency` and the tolerated failures (count, percentage), each
//! literal, a path (`...Path`) or a JSONata expression, and when failures exceed them.

use super::super::dataflow::{shown, StateEnv};
use super::super::failure::Failure;
use crate::asl::ast::Reference;
use crate::asl::ast::{Dynamic, MapState};
use crate::asl::jsonpath::Scope;
use serde_json::Value;

/// What a number field is evaluated against: the state, its raw input (JSONata) and its
/// effective input (JSONPath).
pub(super) type Numbers<'a, 'b> = (&'a StateEnv<'b>, &'a Value, &'a Value);

/// How many failed iterations a Map tolerates (neither set: none).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tolerance {
    pub count: Option<u64>,
    pub percentage: Option<f64>,
}

impl Tolerance {
    pub fn of(
        env: &StateEnv,
        m: &MapState,
        raw: &Value,
        effective: &Value,
    ) -> Result<Tolerance, Failure> {
        let numbers = (env, raw, effective);
        Ok(Tolerance {
            count: count_field(&m.tolerated_failure_count, "ToleratedFailureCount", numbers)?,
            percentage: percentage_field(&m.tolerated_failure_percentage, numbers)?,
        })
    }

    pub fn is_set(&self) -> bool {
        self.count.is_some() || self.percentage.is_some()
    }

    /// Whether `failed` of `total` iterations is over the threshold.
    pub fn exceeded(&self, failed: usize, total: usize) -> bool {
        exceeds(failed, total, self.count, self.percentage)
    }
}

/// `MaxConcurrency(Path)`, when set (0 = no limit).
pub(crate) fn max_concurrency(
    env: &StateEnv,
    m: &MapState,
    raw: &Value,
    effective: &Value,
) -> Result<Option<u64>, Failure> {
    count_field(&m.max_concurrency, "MaxConcurrency", (env, raw, effective))
}

/// Whether `failed` of `total` iterations is over the tolerated threshold (none tolerated
/// unless a count or percentage is set).
fn exceeds(failed: usize, total: usize, count: Option<u64>, pct: Option<f64>) -> bool {
    if count.is_none() && pct.is_none() {
        return failed > 0;
    }
    let over_count = count.is_some_and(|c| failed as u64 > c);
    let over_pct = pct.is_some_and(|p| total > 0 && (failed as f64 * 100.0 / total as f64) > p);
    match (count, pct) {
        (Some(_), Some(_)) => over_count && over_pct,
        (Some(_), None) => over_count,
        _ => over_pct,
    }
}

/// `MaxConcurrency(Path)` / `ToleratedFailureCount(Path)`: a non-negative integer.
pub(super) fn count_field(
    d: &Option<Dynamic<u64>>,
    field: &str,
    (env, raw, effective): Numbers,
) -> Result<Option<u64>, Failure> {
    match d {
        None => Ok(None),
        Some(Dynamic::Literal(n)) => Ok(Some(*n)),
        Some(Dynamic::Path(p)) => {
            let v = select(p, &env.scope(effective))?;
            // A variable holding "1" is taken as 1, as AWS does.
            let n = v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
            match n {
                Some(n) if n < 0 => Err(Failure::runtime(format!("{field} cannot be negative."))),
                Some(n) => Ok(Some(n as u64)),
                None => Err(Failure::runtime(format!(
                    "The {field}Path field refers to value \"{}\" which is not a valid integer: {p}",
                    shown(&v)
                ))),
            }
        }
        Some(Dynamic::Jsonata(text)) => Ok(Some(env.jsonata_uint(raw, text, field)?)),
    }
}

fn percentage_field(
    d: &Option<Dynamic<f64>>,
    (env, raw, effective): Numbers,
) -> Result<Option<f64>, Failure> {
    let pct = match d {
        None => return Ok(None),
        Some(Dynamic::Literal(x)) => *x,
        Some(Dynamic::Path(p)) => {
            let v = select(p, &env.scope(effective))?;
            let x = v
                .as_f64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
            match x {
                Some(x) => x,
                None => {
                    return Err(Failure::runtime(format!(
                    "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {p}",
                    shown(&v)
                )))
                }
            }
        }
        Some(Dynamic::Jsonata(text)) => {
            env.jsonata_number(raw, text, "ToleratedFailurePercentage")?
        }
    };
    if !(0.0..=100.0).contains(&pct) {
        return Err(Failure::runtime(
            "ToleratedFailurePercentage must be between 0 and 100.",
        ));
    }
    Ok(Some(pct))
}

fn select(p: &Reference, scope: &Scope) -> Result<Value, Failure> {
    Ok(p.select_invalid_path(scope)?)
}
