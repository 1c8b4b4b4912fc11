//! Regex matching (`/re/` values, `$match`, `$contains`, `$replace`, `$split`). A matcher is any
//! function from a string to a match object `{match, start, end, groups, next}`, so custom
//! matchers work wherever a regex does.

use super::{arg, err, Opt, Result};
use crate::value::{Caller, Env, Func, Map, Val};
use std::rc::Rc;
use std::sync::Arc;

/// The match object for the first match of `re` in `text` at or after byte `from`.
pub fn match_at(re: &Arc<regex_lite::Regex>, text: &Rc<str>, from: usize) -> Opt {
    if from > text.len() {
        return None;
    }
    let caps = re.captures_at(text, from)?;
    let m = caps.get(0)?;
    let mut o = Map::new();
    o.insert("match".into(), Val::str(m.as_str()));
    o.insert(
        "start".into(),
        Val::Num(text[..m.start()].chars().count() as f64),
    );
    o.insert(
        "end".into(),
        Val::Num(text[..m.end()].chars().count() as f64),
    );
    let groups: Vec<Val> = (1..caps.len())
        .map(|i| {
            caps.get(i)
                .map(|g| Val::str(g.as_str()))
                .unwrap_or_else(|| Val::str(""))
        })
        .collect();
    o.insert("groups".into(), Val::array(groups));
    let next = if m.end() == m.start() {
        m.end()
            + text[m.end()..]
                .chars()
                .next()
                .map(char::len_utf8)
                .unwrap_or(1)
    } else {
        m.end()
    };
    o.insert(
        "next".into(),
        Val::Func(Rc::new(Func::RegexNext {
            re: re.clone(),
            text: text.clone(),
            from: next,
        })),
    );
    Some(Val::object(o))
}

struct Found {
    text: String,
    start: usize,
    groups: Vec<Val>,
    next: Opt,
}

fn to_found(v: &Opt) -> Result<Option<Found>> {
    let Some(Val::Obj(o)) = v else {
        return Ok(None);
    };
    let text = o
        .get("match")
        .and_then(|m| m.as_str())
        .unwrap_or("")
        .to_string();
    let start = o.get("start").and_then(|m| m.as_num()).unwrap_or(0.0) as usize;
    let groups = o.get("groups").map(|g| g.items()).unwrap_or_default();
    Ok(Some(Found {
        text,
        start,
        groups,
        next: o.get("next").cloned(),
    }))
}

/// Every match (up to `limit`), as (char start, matched text, groups).
fn all_matches(
    ctx: &dyn Caller,
    matcher: &Val,
    s: &str,
    limit: Option<usize>,
    env: &Env,
) -> Result<Vec<Found>> {
    let mut out = Vec::new();
    let mut cur = to_found(&ctx.apply(matcher, vec![Some(Val::str(s))], &None, env, 0)?)?;
    while let Some(f) = cur {
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        let next = f.next.clone();
        let first = out.is_empty();
        if !first && f.text.is_empty() {
            return err(
                "D1004",
                None,
                "Regular expression matches zero length string",
            );
        }
        out.push(f);
        cur = match next {
            Some(n @ Val::Func(_)) => {
                if let Val::Func(nf) = &n {
                    if let Func::RegexNext { text, from, .. } = &**nf {
                        if *from >= text.len() {
                            break;
                        }
                    }
                }
                to_found(&ctx.apply(&n, vec![], &None, env, 0)?)?
            }
            _ => None,
        };
    }
    Ok(out)
}

fn limit_arg(args: &[Opt], i: usize, code: &str, what: &str) -> Result<Option<usize>> {
    match arg(args, i).and_then(|v| v.as_num()) {
        None => Ok(None),
        Some(n) if n < 0.0 => err(
            code,
            None,
            format!("Third argument of {what} function must evaluate to a positive number"),
        ),
        Some(n) => Ok(Some(n as usize)),
    }
}

pub fn match_fn(ctx: &dyn Caller, args: &[Opt], _: &Opt, env: &Env) -> Result<Opt> {
    let Some(Val::Str(s)) = arg(args, 0) else {
        return Ok(None);
    };
    let limit = limit_arg(args, 2, "D3040", "match")?;
    let m = arg(args, 1).unwrap_or(Val::Null);
    let found = all_matches(ctx, &m, &s, limit, env)?;
    let out = found
        .into_iter()
        .map(|f| {
            let mut o = Map::new();
            o.insert("match".into(), Val::string(f.text));
            o.insert("index".into(), Val::Num(f.start as f64));
            o.insert("groups".into(), Val::array(f.groups));
            Val::object(o)
        })
        .collect();
    Ok(Some(Val::seq(out)))
}

pub fn contains(ctx: &dyn Caller, args: &[Opt], _: &Opt, env: &Env) -> Result<Opt> {
    let Some(Val::Str(s)) = arg(args, 0) else {
        return Ok(None);
    };
    match arg(args, 1) {
        Some(Val::Str(t)) => Ok(Some(Val::Bool(s.contains(&*t)))),
        Some(m) => {
            let found =
                to_found(&ctx.apply(&m, vec![Some(Val::Str(s.clone()))], &None, env, 0)?)?;
            Ok(Some(Val::Bool(found.is_some())))
        }
        None => Ok(None),
    }
}

fn char_to_byte(s: &str, ci: usize) -> usize {
    s.char_indices().nth(ci).map(|(b, _)| b).unwrap_or(s.len())
}

fn substitute(repl: &str, f: &Found) -> String {
    let r: Vec<char> = repl.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < r.len() {
        if r[i] != '$' {
            out.push(r[i]);
            i += 1;
            continue;
        }
        i += 1;
        match r.get(i) {
            Some('$') => {
                out.push('$');
                i += 1;
            }
            Some('0') => {
                out.push_str(&f.text);
                i += 1;
            }
            _ => {
                let n = f.groups.len();
                let max_digits = if n == 0 {
                    1
                } else {
                    (n as f64).log10().floor() as usize + 1
                };
                let take = |k: usize| -> Option<usize> {
                    let d: String = r.iter().skip(i).take(k).collect();
                    if d.is_empty() || !d.chars().all(|c| c.is_ascii_digit()) {
                        // parseInt reads a leading run of digits.
                        let lead: String = d.chars().take_while(|c| c.is_ascii_digit()).collect();
                        return lead.parse().ok();
                    }
                    d.parse().ok()
                };
                let mut idx = take(max_digits);
                if max_digits > 1 && idx.is_some_and(|x| x > n) {
                    idx = take(max_digits - 1);
                }
                match idx {
                    Some(x) => {
                        if n > 0 && x >= 1 {
                            if let Some(g) = f.groups.get(x - 1) {
                                out.push_str(g.as_str().unwrap_or(""));
                            }
                        }
                        i += x.to_string().len();
                    }
                    None => out.push('$'),
                }
            }
        }
    }
    out
}

pub fn replace(ctx: &dyn Caller, args: &[Opt], input: &Opt, env: &Env) -> Result<Opt> {
    let Some(Val::Str(s)) = arg(args, 0) else {
        return Ok(None);
    };
    let pattern = arg(args, 1).unwrap_or(Val::Null);
    let repl = arg(args, 2).unwrap_or(Val::Null);
    if let Val::Str(p) = &pattern {
        if p.is_empty() {
            return err(
                "D3010",
                None,
                "Second argument of replace function cannot be an empty string",
            );
        }
    }
    let limit = limit_arg(args, 3, "D3011", "replace")?;
    if limit == Some(0) {
        return Ok(Some(Val::Str(s)));
    }
    match &pattern {
        Val::Str(p) => {
            let r = match &repl {
                Val::Str(r) => r.to_string(),
                _ => String::new(),
            };
            let mut out = String::new();
            let mut rest: &str = &s;
            let mut count = 0;
            while let Some(i) = rest.find(&**p) {
                if limit.is_some_and(|l| count >= l) {
                    break;
                }
                out.push_str(&rest[..i]);
                out.push_str(&r);
                rest = &rest[i + p.len()..];
                count += 1;
            }
            out.push_str(rest);
            Ok(Some(Val::string(out)))
        }
        m => {
            let found = all_matches(ctx, m, &s, limit, env)?;
            let mut out = String::new();
            let mut pos = 0;
            for f in &found {
                let b = char_to_byte(&s, f.start);
                if b < pos {
                    continue;
                }
                out.push_str(&s[pos..b]);
                match &repl {
                    Val::Str(r) => out.push_str(&substitute(r, f)),
                    rf => {
                        let mut o = Map::new();
                        o.insert("match".into(), Val::str(&f.text));
                        o.insert("start".into(), Val::Num(f.start as f64));
                        o.insert(
                            "end".into(),
                            Val::Num((f.start + f.text.chars().count()) as f64),
                        );
                        o.insert("groups".into(), Val::array(f.groups.clone()));
                        match ctx.apply(rf, vec![Some(Val::object(o))], input, env, 0)? {
                            Some(Val::Str(x)) => out.push_str(&x),
                            _ => {
                                return err(
                                    "D3012",
                                    None,
                                    "Attempted to replace a matched string with a non-string value",
                                )
                            }
                        }
                    }
                }
                pos = b + f.text.len();
            }
            out.push_str(&s[pos.min(s.len())..]);
            Ok(Some(Val::string(out)))
        }
    }
}

pub fn split(ctx: &dyn Caller, args: &[Opt], _: &Opt, env: &Env) -> Result<Opt> {
    let Some(Val::Str(s)) = arg(args, 0) else {
        return Ok(None);
    };
    let limit = limit_arg(args, 2, "D3020", "split")?;
    let sep = arg(args, 1).unwrap_or(Val::Null);
    let mut parts: Vec<String> = match &sep {
        Val::Str(p) if p.is_empty() => s.chars().map(|c| c.to_string()).collect(),
        Val::Str(p) => s.split(&**p).map(str::to_string).collect(),
        m => {
            let found = all_matches(ctx, m, &s, None, env)?;
            let mut out = Vec::new();
            let mut pos = 0;
            for f in &found {
                let b = char_to_byte(&s, f.start);
                out.push(s[pos..b.max(pos)].to_string());
                pos = b + f.text.len();
            }
            out.push(s[pos.min(s.len())..].to_string());
            out
        }
    };
    if let Some(l) = limit {
        parts.truncate(l);
    }
    Ok(Some(Val::array(
        parts.into_iter().map(Val::string).collect(),
    )))
}
