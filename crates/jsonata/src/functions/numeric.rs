//! Numeric functions and aggregates.

use super::{arg, err, Opt, Result};
use crate::value::{js_number, Caller, Env, Val};

fn nums(args: &[Opt]) -> Option<Vec<f64>> {
    match arg(args, 0)? {
        Val::Arr(a) => Some(a.items.iter().filter_map(|v| v.as_num()).collect()),
        Val::Num(n) => Some(vec![n]),
        _ => Some(vec![]),
    }
}

fn num(args: &[Opt], i: usize) -> Option<f64> {
    arg(args, i).and_then(|v| v.as_num())
}

fn some(n: f64) -> Result<Opt> {
    Ok(Some(Val::Num(n)))
}

pub fn sum(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    match nums(args) {
        Some(v) => some(v.iter().sum()),
        None => Ok(None),
    }
}

pub fn count(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    match arg(args, 0) {
        None => some(0.0),
        Some(Val::Arr(a)) => some(a.items.len() as f64),
        Some(_) => some(1.0),
    }
}

pub fn max(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    match nums(args) {
        Some(v) if !v.is_empty() => some(v.into_iter().fold(f64::NEG_INFINITY, f64::max)),
        _ => Ok(None),
    }
}

pub fn min(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    match nums(args) {
        Some(v) if !v.is_empty() => some(v.into_iter().fold(f64::INFINITY, f64::min)),
        _ => Ok(None),
    }
}

pub fn average(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    match nums(args) {
        Some(v) if !v.is_empty() => some(v.iter().sum::<f64>() / v.len() as f64),
        _ => Ok(None),
    }
}

fn decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == f {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

pub fn number(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    match arg(args, 0) {
        None => Ok(None),
        Some(Val::Num(n)) => some(n),
        Some(Val::Bool(b)) => some(if b { 1.0 } else { 0.0 }),
        Some(Val::Str(s)) => {
            if decimal_literal(&s) {
                if let Ok(n) = s.parse::<f64>() {
                    if n.is_finite() {
                        return some(n);
                    }
                }
            }
            let radix = |p: &str, r: u32| {
                s.strip_prefix(p)
                    .and_then(|d| i64::from_str_radix(d, r).ok())
            };
            let v = radix("0x", 16)
                .or_else(|| radix("0X", 16))
                .or_else(|| radix("0o", 8))
                .or_else(|| radix("0O", 8))
                .or_else(|| radix("0b", 2))
                .or_else(|| radix("0B", 2));
            match v {
                Some(v) => some(v as f64),
                None => err(
                    "D3030",
                    None,
                    format!("Unable to cast value to a number: \"{s}\""),
                ),
            }
        }
        Some(_) => err("D3030", None, "Unable to cast value to a number"),
    }
}

pub fn floor(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(num(args, 0).map(|n| Val::Num(n.floor())))
}

pub fn ceil(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(num(args, 0).map(|n| Val::Num(n.ceil())))
}

pub fn abs(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(num(args, 0).map(|n| Val::Num(n.abs())))
}

fn shift(x: f64, by: i64) -> f64 {
    // Decimal shift through the string form, as JSONata does, to avoid binary rounding.
    let s = js_number(x);
    let (m, e) = match s.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i64>().unwrap_or(0)),
        None => (s, 0),
    };
    format!("{m}e{}", e + by).parse().unwrap_or(x)
}

/// Round half to even at `precision` decimal places.
pub fn round_half_even(x: f64, precision: i64) -> f64 {
    let mut v = if precision != 0 {
        shift(x, precision)
    } else {
        x
    };
    let mut r = (v + 0.5).floor();
    let diff = r - v;
    if diff.abs() == 0.5 && (r % 2.0).abs() == 1.0 {
        r -= 1.0;
    }
    v = r;
    if precision != 0 {
        v = shift(v, -precision);
    }
    if v == 0.0 {
        0.0
    } else {
        v
    }
}

pub fn round(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(x) = num(args, 0) else {
        return Ok(None);
    };
    let p = num(args, 1).map(|p| p.trunc() as i64).unwrap_or(0);
    some(round_half_even(x, p))
}

pub fn sqrt(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(x) = num(args, 0) else {
        return Ok(None);
    };
    if x < 0.0 {
        return err(
            "D3060",
            None,
            format!(
                "The sqrt function cannot be applied to a negative number: {}",
                js_number(x)
            ),
        );
    }
    some(x.sqrt())
}

pub fn power(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(x) = num(args, 0) else {
        return Ok(None);
    };
    let y = num(args, 1).unwrap_or(f64::NAN);
    let r = x.powf(y);
    if !r.is_finite() {
        return err("D3061", None, format!("The power function has resulted in a value that cannot be represented as a JSON number: base={}, exponent={}", js_number(x), js_number(y)));
    }
    some(r)
}

pub fn random(_: &dyn Caller, _: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    some(random_unit())
}

pub fn format_base(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(x) = num(args, 0) else {
        return Ok(None);
    };
    let radix = num(args, 1).unwrap_or(10.0);
    let x = round_half_even(x, 0);
    if !(2.0..=36.0).contains(&radix) {
        return err(
            "D3100",
            None,
            format!(
                "The radix of the formatBase function must be between 2 and 36.  It was given {}",
                js_number(radix)
            ),
        );
    }
    let radix = radix as u32;
    let neg = x < 0.0;
    let mut n = x.abs() as u128;
    let mut digits = Vec::new();
    if n == 0 {
        digits.push('0');
    }
    while n > 0 {
        digits.push(std::char::from_digit((n % radix as u128) as u32, radix).unwrap_or('0'));
        n /= radix as u128;
    }
    if neg {
        digits.push('-');
    }
    Ok(Some(Val::string(digits.into_iter().rev().collect())))
}

/// A uniformly distributed number in [0, 1): `$random()`, `$shuffle`'s draws.
pub fn random_unit() -> f64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut x = [0u8; 8];
    x.copy_from_slice(&bytes[..8]);
    (u64::from_le_bytes(x) >> 11) as f64 / (1u64 << 53) as f64
}
