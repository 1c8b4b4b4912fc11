//! The functions Step Functions adds to JSONata (`$partition`, `$range`, `$hash`, `$random`
//! with an optional seed, `$uuid`, `$parse`), visible to evaluations whose bindings ask for
//! them (`Bindings::step_functions`, which also removes `$eval` as Step Functions does).
//!
//! `$random(seed)` is deterministic per seed (the same seed always gives the same number), but
//! AWS's generator is not documented, so the numbers differ from AWS's.

use super::numeric::random_unit;
use super::{arg, err, Opt, Result};
use crate::value::{Caller, Env, Val};
use sha2::Digest;

/// The Step Functions function table: `(name, signature, implementation)`.
pub(super) const FUNCTIONS: &[(&str, &str, crate::value::NativeImpl)] = &[
    ("partition", "<an:a>", partition),
    ("range", "<nnn:a>", range),
    ("hash", "<ss:s>", hash),
    ("random", "<n?:n>", random),
    ("uuid", "<:s>", uuid),
    ("parse", "<s:j>", parse),
];

fn integral(v: &Opt, what: &str, fname: &str) -> Result<i64> {
    match v {
        Some(Val::Num(n)) if n.fract() == 0.0 && n.is_finite() => Ok(*n as i64),
        _ => err(
            "D3030",
            None,
            format!("The {what} argument of ${fname} must be an integer"),
        ),
    }
}

fn partition(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let items = match arg(args, 0) {
        Some(Val::Arr(a)) => a.items.clone(),
        Some(v) => vec![v],
        None => return Ok(None),
    };
    let size = integral(&arg(args, 1), "second", "partition")?;
    if size <= 0 {
        return err(
            "D3030",
            None,
            "The chunk size argument of $partition must be a positive integer",
        );
    }
    let out = items
        .chunks(size as usize)
        .map(|c| Val::array(c.to_vec()))
        .collect();
    Ok(Some(Val::array(out)))
}

fn range(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let start = integral(&arg(args, 0), "first", "range")?;
    let end = integral(&arg(args, 1), "second", "range")?;
    let step = integral(&arg(args, 2), "third", "range")?;
    if step == 0 {
        return err(
            "D3030",
            None,
            "The step argument of $range must not be zero",
        );
    }
    let count = if (step > 0 && end >= start) || (step < 0 && end <= start) {
        (end - start) / step + 1
    } else {
        0
    };
    if count > 1000 {
        return err(
            "D3030",
            None,
            "The $range function cannot produce more than 1000 items",
        );
    }
    let out = (0..count)
        .map(|i| Val::Num((start + i * step) as f64))
        .collect();
    // A sequence, so a one-item range is that item (as AWS returns it).
    Ok(Some(Val::seq(out)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(Val::Str(data)) = arg(args, 0) else {
        return Ok(None);
    };
    let alg = arg(args, 1)
        .and_then(|a| a.as_str().map(str::to_string))
        .unwrap_or_default();
    let d = data.as_bytes();
    let out = match alg.as_str() {
        "MD5" => hex(&md5::Md5::digest(d)),
        "SHA-1" => hex(&sha1::Sha1::digest(d)),
        "SHA-256" => hex(&sha2::Sha256::digest(d)),
        "SHA-384" => hex(&sha2::Sha384::digest(d)),
        "SHA-512" => hex(&sha2::Sha512::digest(d)),
        other => {
            return err("D3030", None, format!("The hash algorithm {other} is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"))
        }
    };
    Ok(Some(Val::string(out)))
}

/// splitmix64: a fixed function of the seed, so `$random(seed)` repeats.
fn seeded(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn random(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    match arg(args, 0) {
        None => Ok(Some(Val::Num(random_unit()))),
        Some(Val::Num(n)) => {
            if n.fract() != 0.0 || !n.is_finite() {
                return err(
                    "D3030",
                    None,
                    "The seed argument of $random must be an integer",
                );
            }
            Ok(Some(Val::Num(seeded(n as i64 as u64))))
        }
        Some(_) => err(
            "T0410",
            None,
            "Argument 1 of function \"random\" does not match function signature",
        ),
    }
}

pub(super) fn uuid(_: &dyn Caller, _: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(Some(Val::string(uuid::Uuid::new_v4().to_string())))
}

fn parse(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(Val::Str(s)) = arg(args, 0) else {
        return Ok(None);
    };
    match serde_json::from_str::<serde_json::Value>(&s) {
        Ok(v) => Ok(Some(Val::from_json(&v))),
        Err(e) => err(
            "D3030",
            None,
            format!("The argument of $parse is not valid JSON: {e}"),
        ),
    }
}
