//! String functions, and `$string`'s serialisation (JSON with numbers at 15 significant digits).

use super::{arg, err, Opt, Result};
use crate::value::{js_number, to_precision15, Caller, Env, Val};
use base64::Engine;

fn s(args: &[Opt], i: usize) -> Option<String> {
    match arg(args, i) {
        Some(Val::Str(s)) => Some(s.to_string()),
        _ => None,
    }
}

fn n(args: &[Opt], i: usize) -> Option<f64> {
    arg(args, i).and_then(|v| v.as_num())
}

fn ok_str(x: String) -> Result<Opt> {
    Ok(Some(Val::string(x)))
}

fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_json(v: &Val, pretty: bool, indent: usize, out: &mut String) -> Result<()> {
    match v {
        Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Num(x) => {
            if !x.is_finite() {
                return err("D1001", None, "Number out of range");
            }
            // JSONata prints exponents without a `+` (`1e21`).
            out.push_str(&js_number(to_precision15(*x)).replace("e+", "e"));
        }
        Val::Str(s) => quote(s, out),
        Val::Func(_) => out.push_str("\"\""),
        Val::Arr(_) | Val::Tuples(_) => {
            let items = match v {
                Val::Arr(a) => a.items.clone(),
                Val::Tuples(t) => t.iter().filter_map(|t| t.at.clone()).collect(),
                _ => vec![],
            };
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if pretty {
                    out.push('\n');
                    out.push_str(&"  ".repeat(indent + 1));
                }
                write_json(x, pretty, indent + 1, out)?;
            }
            if pretty {
                out.push('\n');
                out.push_str(&"  ".repeat(indent));
            }
            out.push(']');
        }
        Val::Obj(o) => {
            if o.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if pretty {
                    out.push('\n');
                    out.push_str(&"  ".repeat(indent + 1));
                }
                quote(k, out);
                out.push(':');
                if pretty {
                    out.push(' ');
                }
                write_json(x, pretty, indent + 1, out)?;
            }
            if pretty {
                out.push('\n');
                out.push_str(&"  ".repeat(indent));
            }
            out.push('}');
        }
    }
    Ok(())
}

/// `$string(v)`: strings as they are, functions as `""`, anything else as JSON.
pub fn stringify(v: &Val, pretty: bool) -> Result<String> {
    match v {
        Val::Str(s) => Ok(s.to_string()),
        Val::Func(_) => Ok(String::new()),
        Val::Num(x) if !x.is_finite() => err(
            "D3001",
            None,
            "Attempting to invoke string function on Infinity or NaN",
        ),
        v => {
            let mut out = String::new();
            write_json(v, pretty, 0, &mut out)?;
            Ok(out)
        }
    }
}

pub fn string(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(v) = arg(args, 0) else {
        return Ok(None);
    };
    let pretty = matches!(arg(args, 1), Some(Val::Bool(true)));
    ok_str(stringify(&v, pretty)?)
}

/// JavaScript's ToIntegerOrInfinity, clamped for slicing.
fn to_int(x: f64) -> i64 {
    if x.is_nan() {
        0
    } else {
        x.trunc().clamp(-1e15, 1e15) as i64
    }
}

pub fn substring(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(st) = s(args, 0) else {
        return Ok(None);
    };
    let chars: Vec<char> = st.chars().collect();
    let len = chars.len() as i64;
    let mut start = to_int(n(args, 1).unwrap_or(0.0));
    let slice = |a: i64, b: i64| -> String {
        let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
        let (a, b) = (norm(a), norm(b));
        if a >= b {
            String::new()
        } else {
            chars[a as usize..b as usize].iter().collect()
        }
    };
    if len + start < 0 {
        start = 0;
    }
    match n(args, 2) {
        Some(l) => {
            if l <= 0.0 {
                return ok_str(String::new());
            }
            let lf = n(args, 1).unwrap_or(0.0);
            let startf = if (len as f64) + lf < 0.0 { 0.0 } else { lf };
            let end = if startf >= 0.0 {
                startf + l
            } else {
                len as f64 + startf + l
            };
            ok_str(slice(start, to_int(end)))
        }
        None => ok_str(slice(start, len)),
    }
}

pub fn substring_before(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(st) = s(args, 0) else {
        return Ok(None);
    };
    let c = s(args, 1).unwrap_or_default();
    ok_str(match st.find(&c) {
        Some(p) => st[..p].to_string(),
        None => st,
    })
}

pub fn substring_after(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(st) = s(args, 0) else {
        return Ok(None);
    };
    let c = s(args, 1).unwrap_or_default();
    ok_str(match st.find(&c) {
        Some(p) => st[p + c.len()..].to_string(),
        None => st,
    })
}

pub fn lowercase(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(s(args, 0).map(|x| Val::string(x.to_lowercase())))
}

pub fn uppercase(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(s(args, 0).map(|x| Val::string(x.to_uppercase())))
}

pub fn length(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(s(args, 0).map(|x| Val::Num(x.chars().count() as f64)))
}

pub fn trim(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(st) = s(args, 0) else {
        return Ok(None);
    };
    let mut out = String::new();
    let mut ws = false;
    for c in st.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            ws = true;
        } else {
            if ws {
                out.push(' ');
            }
            ws = false;
            out.push(c);
        }
    }
    if ws {
        out.push(' ');
    }
    let out = out.strip_prefix(' ').unwrap_or(&out).to_string();
    let out = out.strip_suffix(' ').unwrap_or(&out).to_string();
    ok_str(out)
}

pub fn pad(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(st) = s(args, 0) else {
        return Ok(None);
    };
    let width = n(args, 1).unwrap_or(0.0);
    let ch = s(args, 2).unwrap_or_else(|| " ".to_string());
    let ch = if ch.is_empty() { " ".to_string() } else { ch };
    let len = st.chars().count() as i64;
    let pad_len = to_int(width.abs()) - len;
    if pad_len <= 0 {
        return ok_str(st);
    }
    let padding: String = ch.chars().cycle().take(pad_len as usize).collect();
    ok_str(if width < 0.0 {
        padding + &st
    } else {
        st + &padding
    })
}

pub fn join(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(Val::Arr(a)) = arg(args, 0) else {
        return Ok(None);
    };
    let sep = s(args, 1).unwrap_or_default();
    let parts: Vec<String> = a
        .items
        .iter()
        .map(|v| v.as_str().unwrap_or("").to_string())
        .collect();
    ok_str(parts.join(&sep))
}

pub fn base64encode(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(s(args, 0)
        .map(|x| Val::string(base64::engine::general_purpose::STANDARD.encode(x.as_bytes()))))
}

pub fn base64decode(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(x) = s(args, 0) else { return Ok(None) };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(x.trim().as_bytes())
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(x.trim().trim_end_matches('=').as_bytes())
        })
        .unwrap_or_default();
    ok_str(String::from_utf8_lossy(&bytes).into_owned())
}

fn encode(x: &str, keep: &str) -> String {
    let mut out = String::new();
    for c in x.chars() {
        if c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c) || keep.contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn decode(x: &str, keep: &str) -> Result<String> {
    let bytes = x.as_bytes();
    let mut out: Vec<u8> = Vec::new();
    let mut i = 0;
    let bad = || {
        err(
            "D3140",
            None,
            format!("Malformed URL passed to $decodeUrl(): \"{x}\""),
        )
    };
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let Some(h) = x
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            else {
                return bad();
            };
            if h < 0x80 && keep.contains(h as char) {
                out.extend_from_slice(&bytes[i..i + 3]);
            } else {
                out.push(h);
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).or_else(|_| bad())
}

pub fn encode_url_component(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(s(args, 0).map(|x| Val::string(encode(&x, ""))))
}

pub fn encode_url(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(s(args, 0).map(|x| Val::string(encode(&x, ";,/?:@&=+$#"))))
}

pub fn decode_url_component(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    match s(args, 0) {
        Some(x) => ok_str(decode(&x, "")?),
        None => Ok(None),
    }
}

pub fn decode_url(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    match s(args, 0) {
        Some(x) => ok_str(decode(&x, ";,/?:@&=+$#")?),
        None => Ok(None),
    }
}
