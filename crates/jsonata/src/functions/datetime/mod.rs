//! `$now`, `$millis`, `$fromMillis`, `$toMillis`: ISO 8601 by default, XPath date-time picture
//! strings (`[Y0001]-[M01]-[D01]`, names, ordinals, widths, time zones) otherwise. The picture
//! grammar is `picture`, rendering `format`, reading back `parse`, the calendar `calendar`.

mod calendar;
mod format;
mod parse;
mod picture;

use super::{arg, err, Opt, Result};
use crate::value::{Caller, Env, Val};
use format::format_ms;
use parse::{parse_iso, parse_picture};

pub fn now(ctx: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let pic = arg(args, 0).and_then(|p| p.as_str().map(str::to_string));
    let tz = arg(args, 1).and_then(|p| p.as_str().map(str::to_string));
    Ok(Some(Val::string(format_ms(
        ctx.now_millis() as f64,
        pic.as_deref(),
        tz.as_deref(),
    )?)))
}

pub fn millis(ctx: &dyn Caller, _: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(Some(Val::Num(ctx.now_millis() as f64)))
}

pub fn from_millis(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(ms) = arg(args, 0).and_then(|v| v.as_num()) else {
        return Ok(None);
    };
    let pic = arg(args, 1).and_then(|p| p.as_str().map(str::to_string));
    let tz = arg(args, 2).and_then(|p| p.as_str().map(str::to_string));
    Ok(Some(Val::string(format_ms(
        ms,
        pic.as_deref(),
        tz.as_deref(),
    )?)))
}

pub fn to_millis(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(Val::Str(s)) = arg(args, 0) else {
        return Ok(None);
    };
    match arg(args, 1).and_then(|p| p.as_str().map(str::to_string)) {
        None => match parse_iso(&s) {
            Some(ms) => Ok(Some(Val::Num(ms as f64))),
            None => err("D3110", None, format!("The timestamp {s} cannot be parsed")),
        },
        Some(p) => Ok(parse_picture(&s, &p)?.map(|ms| Val::Num(ms as f64))),
    }
}
