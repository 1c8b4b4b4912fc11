//! The 18 functions themselves, applied to already evaluated arguments.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::{Arg, Call, Func};
use crate::asl::errors::StatesError;
use crate::asl::jsonpath::compact;

/// Longest string States.Base64Encode/Base64Decode/Hash accept (AWS documents 10,000).
const MAX_INPUT_CHARS: usize = 10_000;
/// Largest array States.ArrayRange may build (AWS documents 1,000).
const MAX_RANGE_ITEMS: i64 = 1_000;

type Result<T> = std::result::Result<T, StatesError>;

fn fail(func: Func, detail: impl std::fmt::Display) -> StatesError {
    StatesError::intrinsic(format!(
        "Invalid arguments in States.{}: {detail}",
        func.name()
    ))
}

pub(super) fn apply(call: &Call, args: Vec<Value>) -> Result<Value> {
    let f = call.func;
    // `parse` checks the count; a hand-built `Call` gets the same check here, so the
    // indexing below cannot go out of bounds.
    let (min, max) = f.arity();
    if args.len() < min || args.len() > max || call.args.len() != args.len() {
        return Err(fail(
            f,
            format!("wrong number of arguments: {}", args.len()),
        ));
    }
    match f {
        Func::Format => format(call, &args),
        Func::StringToJson => string_to_json(f, &args[0]),
        Func::JsonToString => Ok(Value::String(compact(&args[0]))),
        Func::Array => Ok(Value::Array(args)),
        Func::ArrayPartition => {
            let items = array(f, &args[0], "first")?;
            let size = integer(f, &args[1], "chunk size")?;
            if size <= 0 {
                return Err(fail(
                    f,
                    format!("the chunk size must be positive, got {size}"),
                ));
            }
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            Ok(Value::Array(
                items
                    .chunks(size)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            ))
        }
        Func::ArrayContains => Ok(Value::Bool(array(f, &args[0], "first")?.contains(&args[1]))),
        Func::ArrayRange => array_range(f, &args),
        Func::ArrayGetItem => {
            let items = array(f, &args[0], "first")?;
            let index = integer(f, &args[1], "index")?;
            usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .ok_or_else(|| {
                    fail(
                        f,
                        format!(
                            "index {index} is out of bounds for an array of length {}",
                            items.len()
                        ),
                    )
                })
        }
        Func::ArrayLength => Ok(Value::from(array(f, &args[0], "first")?.len())),
        Func::ArrayUnique => {
            let mut out: Vec<Value> = Vec::new();
            for item in array(f, &args[0], "first")? {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
            Ok(Value::Array(out))
        }
        Func::Base64Encode => {
            let s = limited_string(f, &args[0])?;
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
            ))
        }
        Func::Base64Decode => {
            let s = limited_string(f, &args[0])?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|_| fail(f, "the input is not valid Base64"))?;
            String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| fail(f, "the decoded data is not valid UTF-8"))
        }
        Func::Hash => hash(f, &args),
        Func::JsonMerge => {
            let (Value::Object(a), Value::Object(b)) = (&args[0], &args[1]) else {
                return Err(fail(f, "the first two arguments must be JSON objects"));
            };
            match &args[2] {
                Value::Bool(false) => {}
                Value::Bool(true) => {
                    return Err(fail(
                        f,
                        "deep merging is not supported, the third argument must be false",
                    ));
                }
                _ => return Err(fail(f, "the third argument must be a boolean")),
            }
            let mut merged: Map<String, Value> = a.clone();
            for (k, v) in b {
                merged.insert(k.clone(), v.clone());
            }
            Ok(Value::Object(merged))
        }
        Func::MathRandom => math_random(f, &args),
        Func::MathAdd => {
            let a = rounded(f, &args[0])?;
            let b = rounded(f, &args[1])?;
            a.checked_add(b)
                .map(Value::from)
                .ok_or_else(|| fail(f, "the sum is out of range"))
        }
        Func::StringSplit => {
            let (Value::String(s), Value::String(delims)) = (&args[0], &args[1]) else {
                return Err(fail(f, "both arguments must be strings"));
            };
            // Like java.util.StringTokenizer: every delimiter character separates, and empty
            // tokens are dropped.
            Ok(Value::Array(
                s.split(|c: char| delims.contains(c))
                    .filter(|t| !t.is_empty())
                    .map(|t| Value::String(t.to_string()))
                    .collect(),
            ))
        }
        Func::Uuid => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
    }
}

fn array<'v>(f: Func, v: &'v Value, which: &str) -> Result<&'v Vec<Value>> {
    v.as_array().ok_or_else(|| {
        fail(
            f,
            format!("the {which} argument must be an array, got {}", compact(v)),
        )
    })
}

fn limited_string(f: Func, v: &Value) -> Result<&str> {
    let Value::String(s) = v else {
        return Err(fail(
            f,
            format!("the input must be a string, got {}", compact(v)),
        ));
    };
    if s.chars().count() > MAX_INPUT_CHARS {
        return Err(fail(
            f,
            format!("the input must be at most {MAX_INPUT_CHARS} characters long"),
        ));
    }
    Ok(s)
}

/// An integer argument; an integral float (`2.0`) is accepted.
fn integer(f: Func, v: &Value, what: &str) -> Result<i64> {
    let bad = || {
        fail(
            f,
            format!("the {what} must be an integer, got {}", compact(v)),
        )
    };
    let Value::Number(n) = v else {
        return Err(bad());
    };
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(x as i64),
        _ => Err(bad()),
    }
}

/// A number rounded to an integer the way Java's `Math.round` does: halves go up
/// (`1.5 -> 2`, `-1.5 -> -1`). AWS rounds MathAdd/MathRandom/ArrayRange arguments so.
fn rounded(f: Func, v: &Value) -> Result<i64> {
    let bad = || fail(f, format!("expected a number, got {}", compact(v)));
    let Value::Number(n) = v else {
        return Err(bad());
    };
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(x) if x.is_finite() && x.abs() < 9.0e18 => Ok((x + 0.5).floor() as i64),
        _ => Err(bad()),
    }
}

fn format(call: &Call, args: &[Value]) -> Result<Value> {
    let f = Func::Format;
    // A literal template keeps its escapes: `\{\}` is text, `{}` a placeholder. A template
    // read from a path has no escapes.
    let template: Vec<(char, bool)> = match (&call.args[0], &args[0]) {
        (Arg::Str { raw, .. }, _) => {
            let mut out = Vec::new();
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push((n, true));
                    }
                } else {
                    out.push((c, false));
                }
            }
            out
        }
        (_, Value::String(s)) => s.chars().map(|c| (c, false)).collect(),
        (_, other) => {
            return Err(fail(
                f,
                format!("the format string must be a string, got {}", compact(other)),
            ));
        }
    };
    let values = &args[1..];
    let mut out = String::new();
    let mut next = 0usize;
    let mut i = 0usize;
    while i < template.len() {
        let (c, escaped) = template[i];
        if c == '{' && !escaped && matches!(template.get(i + 1), Some(('}', false))) {
            let Some(v) = values.get(next) else {
                return Err(fail(
                    f,
                    "the format string has more placeholders than arguments",
                ));
            };
            render(v, &mut out);
            next += 1;
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    if next != values.len() {
        return Err(fail(
            f,
            "the format string has fewer placeholders than arguments",
        ));
    }
    Ok(Value::String(out))
}

/// How States.Format prints a value: strings bare, objects as `{k=v, k2=v2}` and arrays as
/// `[a, b]` (Java's `toString` of maps and lists), everything else as JSON.
fn render(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(item, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            for (i, (k, item)) in o.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                render(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&compact(other)),
    }
}

fn string_to_json(f: Func, v: &Value) -> Result<Value> {
    let Value::String(s) = v else {
        return Err(fail(
            f,
            format!("the input must be a string, got {}", compact(v)),
        ));
    };
    if s.trim().is_empty() {
        return Ok(Value::Null);
    }
    let parsed: Value = serde_json::from_str(s)
        .map_err(|_| fail(f, format!("the input is not valid JSON: {s}")))?;
    // Java has no negative integer zero: "-0" parses to 0.
    Ok(match parsed {
        Value::Number(n) if n.as_f64() == Some(0.0) && n.is_f64() && s.trim() == "-0" => {
            Value::from(0)
        }
        other => other,
    })
}

fn array_range(f: Func, args: &[Value]) -> Result<Value> {
    let start = rounded(f, &args[0])?;
    let end = rounded(f, &args[1])?;
    let step = rounded(f, &args[2])?;
    if step == 0 {
        return Err(fail(f, "the step must not be 0"));
    }
    let count = if (step > 0 && end >= start) || (step < 0 && end <= start) {
        (end.abs_diff(start) / step.unsigned_abs()).saturating_add(1)
    } else {
        0
    };
    if count > MAX_RANGE_ITEMS as u64 {
        return Err(fail(
            f,
            format!("the range would have {count} items, at most {MAX_RANGE_ITEMS} are allowed"),
        ));
    }
    Ok(Value::Array(
        (0..count as i64)
            .map(|i| Value::from(start + i * step))
            .collect(),
    ))
}

fn hash(f: Func, args: &[Value]) -> Result<Value> {
    use md5::Md5;
    use sha2::{Digest, Sha256, Sha384, Sha512};
    let data = limited_string(f, &args[0])?.as_bytes();
    let Value::String(algorithm) = &args[1] else {
        return Err(fail(f, "the algorithm must be a string"));
    };
    let digest: Vec<u8> = match algorithm.as_str() {
        "MD5" => Md5::digest(data).to_vec(),
        "SHA-1" => sha1::Sha1::digest(data).to_vec(),
        "SHA-256" => Sha256::digest(data).to_vec(),
        "SHA-384" => Sha384::digest(data).to_vec(),
        "SHA-512" => Sha512::digest(data).to_vec(),
        other => {
            return Err(fail(
                f,
                format!("the hash algorithm '{other}' is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"),
            ));
        }
    };
    Ok(Value::String(
        digest.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

fn math_random(f: Func, args: &[Value]) -> Result<Value> {
    let start = rounded(f, &args[0])?;
    let end = rounded(f, &args[1])?;
    let (Ok(start32), Ok(end32)) = (i32::try_from(start), i32::try_from(end)) else {
        return Err(fail(f, "the range bounds must be 32-bit integers"));
    };
    let span = i64::from(end32) - i64::from(start32);
    let Ok(bound) = i32::try_from(span) else {
        return Err(fail(f, "the range is too large"));
    };
    if bound <= 0 {
        return Err(fail(f, "the start of the range must be less than its end"));
    }
    let seed = match args.get(2) {
        Some(v) => rounded(f, v)?,
        None => {
            let bytes = uuid::Uuid::new_v4().into_bytes();
            i64::from_le_bytes([
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            ])
        }
    };
    let mut rng = JavaRandom::new(seed);
    Ok(Value::from(
        i64::from(start32) + i64::from(rng.next_int(bound)),
    ))
}

/// `java.util.Random`, so that a seeded States.MathRandom gives the sequence a Java runtime
/// gives for the same seed.
struct JavaRandom {
    seed: i64,
}

impl JavaRandom {
    const MULTIPLIER: i64 = 0x5_DEEC_E66D;
    const MASK: i64 = (1 << 48) - 1;

    fn new(seed: i64) -> Self {
        JavaRandom {
            seed: (seed ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.seed = (self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        (self.seed >> (48 - bits)) as i32
    }

    /// Uniform in `0..bound`; `bound` must be positive.
    fn next_int(&mut self, bound: i32) -> i32 {
        let mut r = self.next(31);
        let m = bound - 1;
        if bound & m == 0 {
            return ((i64::from(bound) * i64::from(r)) >> 31) as i32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return r;
            }
            u = self.next(31);
        }
    }
}

#[cfg(test)]
mod java_random_tests {
    use super::JavaRandom;

    #[test]
    fn matches_java_util_random() {
        // Values printed by a JDK for `new java.util.Random(seed).nextInt(bound)`.
        assert_eq!(JavaRandom::new(42).next_int(100), 30);
        assert_eq!(JavaRandom::new(0).next_int(10), 0);
        assert_eq!(JavaRandom::new(3).next_int(1000), 734);
        assert_eq!(JavaRandom::new(3).next_int(999), 239);
        assert_eq!(JavaRandom::new(-7).next_int(64), 17);
    }
}
