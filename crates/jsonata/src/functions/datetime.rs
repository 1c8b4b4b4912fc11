//! `$now`, `$millis`, `$fromMillis`, `$toMillis`: ISO 8601 by default, XPath date-time picture
//! strings (`[Y0001]-[M01]-[D01]`, names, ordinals, widths, time zones) otherwise.

use super::integer::{analyse, format_with, parse_with, Case, IntFormat, Primary};
use super::{arg, err, Opt, Result};
use crate::env::Env;
use crate::eval::Ctx;
use crate::value::Val;

const ISO: &str = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";
const DAYS: [&str; 8] = [
    "",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

struct Dt {
    y: i64,
    mo: i64,
    d: i64,
    h: i64,
    mi: i64,
    s: i64,
    ms: i64,
    days: i64,
}

fn split(ms: i64) -> Dt {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, mo, d) = civil_from_days(days);
    Dt {
        y,
        mo,
        d,
        h: rem / 3_600_000,
        mi: rem / 60_000 % 60,
        s: rem / 1000 % 60,
        ms: rem % 1000,
        days,
    }
}

/// ISO day of week, 1 = Monday.
fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7) + 1
}

/// Monday of ISO week 1 of `year`.
fn iso_week1(year: i64) -> i64 {
    let jan4 = days_from_civil(year, 1, 4);
    jan4 - (weekday(jan4) - 1)
}

fn iso_week(days: i64, year: i64) -> (i64, i64) {
    let mut y = year;
    if days >= iso_week1(year + 1) {
        y = year + 1;
    } else if days < iso_week1(year) {
        y = year - 1;
    }
    (y, (days - iso_week1(y)) / 7 + 1)
}

/// Week of the month (weeks start on Monday; a week belongs to the month holding its Thursday).
fn month_week(days: i64) -> (i64, i64) {
    let thursday = days - (weekday(days) - 1) + 3;
    let (y, m, _) = civil_from_days(thursday);
    let first = days_from_civil(y, m, 1);
    let first_thu = first + (4 - weekday(first)).rem_euclid(7);
    let week1_monday = first_thu - 3;
    let _ = y;
    (m, (days - week1_monday).div_euclid(7) + 1)
}

#[derive(Debug, Clone)]
struct Width {
    min: Option<usize>,
    max: Option<usize>,
}

#[derive(Debug, Clone)]
enum Part {
    Lit(String),
    Marker {
        comp: char,
        pres2: Option<char>,
        names: Option<Case>,
        int: Option<IntFormat>,
        width: Option<Width>,
        n: i64,
    },
}

fn picture_parts(picture: &str) -> Result<Vec<Part>> {
    let p: Vec<char> = picture.chars().collect();
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < p.len() {
        if p[i] == '[' {
            if p.get(i + 1) == Some(&'[') {
                lit.push('[');
                i += 2;
                continue;
            }
            if !lit.is_empty() {
                out.push(Part::Lit(std::mem::take(&mut lit)));
            }
            let Some(end) = p.iter().skip(i).position(|c| *c == ']').map(|e| e + i) else {
                return err(
                    "D3135",
                    None,
                    "No matching closing bracket ']' in date/time picture string",
                );
            };
            let marker: String = p[i + 1..end]
                .iter()
                .filter(|c| !c.is_whitespace())
                .collect();
            let mut chars = marker.chars();
            let Some(comp) = chars.next() else {
                return err(
                    "D3132",
                    None,
                    "Unknown component specifier in date/time picture string",
                );
            };
            let rest: String = chars.collect();
            let (pres, width) = match rest.rfind(',') {
                Some(c) => {
                    let w = &rest[c + 1..];
                    let (mn, mx) = match w.find('-') {
                        Some(d) => (&w[..d], Some(&w[d + 1..])),
                        None => (w, None),
                    };
                    let pw = |x: &str| if x == "*" { None } else { x.parse().ok() };
                    (
                        rest[..c].to_string(),
                        Some(Width {
                            min: pw(mn),
                            max: mx.and_then(pw),
                        }),
                    )
                }
                None => (rest.clone(), None),
            };
            let mut pres1 = pres.clone();
            let mut pres2 = None;
            if pres.chars().count() > 1 {
                let last = pres.chars().last().unwrap_or(' ');
                if "atco".contains(last) {
                    pres2 = Some(last);
                    pres1 = pres[..pres.len() - last.len_utf8()].to_string();
                }
            }
            if pres1.is_empty() {
                pres1 = match comp {
                    'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
                    'F' | 'P' | 'C' | 'E' => "n",
                    'm' | 's' => "01",
                    'Z' | 'z' => "01:01",
                    _ => {
                        return err(
                            "D3132",
                            None,
                            format!(
                                "Unknown component specifier {comp} in date/time picture string"
                            ),
                        )
                    }
                }
                .to_string();
            }
            let names = if pres1.starts_with('n') {
                Some(Case::Lower)
            } else if pres1.starts_with('N') {
                Some(if pres1.chars().nth(1) == Some('n') {
                    Case::Title
                } else {
                    Case::Upper
                })
            } else {
                None
            };
            let mut int = None;
            let mut n = -1;
            if names.is_none() && "YMDdFWwXxHhmsf".contains(comp) {
                let mut pat = pres1.clone();
                if let Some(p2) = pres2 {
                    pat.push(';');
                    pat.push(p2);
                }
                let mut f = analyse(&pat)?;
                if let Some(min) = width.as_ref().and_then(|w| w.min) {
                    if f.mandatory < min {
                        f.mandatory = min;
                    }
                }
                if comp == 'Y' {
                    if let Some(max) = width.as_ref().and_then(|w| w.max) {
                        n = max as i64;
                        f.mandatory = max;
                    } else {
                        let w = pres1
                            .chars()
                            .filter(|c| c.is_ascii_digit() || *c == '#')
                            .count();
                        if w >= 2 {
                            n = w as i64;
                        }
                    }
                }
                int = Some(f);
            }
            if comp == 'Z' || comp == 'z' {
                int = Some(analyse(&pres1)?);
            }
            out.push(Part::Marker {
                comp,
                pres2,
                names,
                int,
                width,
                n,
            });
            i = end + 1;
            continue;
        }
        if p[i] == ']' && p.get(i + 1) == Some(&']') {
            lit.push(']');
            i += 2;
            continue;
        }
        lit.push(p[i]);
        i += 1;
    }
    if !lit.is_empty() {
        out.push(Part::Lit(lit));
    }
    Ok(out)
}

fn apply_case(s: &str, c: Case) -> String {
    match c {
        Case::Upper => s.to_uppercase(),
        Case::Lower => s.to_lowercase(),
        Case::Title => s.to_string(),
    }
}

fn format_ms(ms: f64, picture: Option<&str>, tz: Option<&str>) -> Result<String> {
    let (mut oh, mut om) = (0i64, 0i64);
    if let Some(t) = tz {
        let off: i64 = t.trim_start_matches('+').parse().unwrap_or(0);
        oh = off / 100;
        om = off % 100;
    }
    let parts = picture_parts(picture.unwrap_or(ISO))?;
    let dt = split(ms as i64 + (oh * 60 + om) * 60_000);
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Lit(l) => out.push_str(&l),
            Part::Marker {
                comp,
                pres2,
                names,
                int,
                width,
                n,
                ..
            } => {
                let value: i64 = match comp {
                    'Y' => dt.y,
                    'M' => dt.mo,
                    'D' => dt.d,
                    'd' => dt.days - days_from_civil(dt.y, 1, 1) + 1,
                    'F' => weekday(dt.days),
                    'W' => iso_week(dt.days, dt.y).1,
                    'X' => iso_week(dt.days, dt.y).0,
                    'w' => month_week(dt.days).1,
                    'x' => month_week(dt.days).0,
                    'H' => dt.h,
                    'h' => {
                        let h = dt.h % 12;
                        if h == 0 {
                            12
                        } else {
                            h
                        }
                    }
                    'm' => dt.mi,
                    's' => dt.s,
                    'f' => dt.ms,
                    _ => 0,
                };
                let text = match comp {
                    'Y' | 'M' | 'D' | 'd' | 'F' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'm' | 's' => {
                        let mut v = value;
                        if comp == 'Y' && n != -1 {
                            v %= 10i64.pow(n as u32);
                        }
                        if let Some(c) = names {
                            let name = match comp {
                                'M' | 'x' => MONTHS[(v - 1).clamp(0, 11) as usize],
                                'F' => DAYS[v.clamp(0, 7) as usize],
                                _ => {
                                    return err(
                                        "D3133",
                                        None,
                                        format!(
                                            "The component {comp} cannot be represented as a name"
                                        ),
                                    )
                                }
                            };
                            let mut s = apply_case(name, c);
                            if let Some(max) = width.as_ref().and_then(|w| w.max) {
                                s = s.chars().take(max).collect();
                            }
                            s
                        } else {
                            match &int {
                                Some(f) => format_with(v as f64, f)?,
                                None => v.to_string(),
                            }
                        }
                    }
                    'f' => match &int {
                        Some(f) => format_with(value as f64, f)?,
                        None => value.to_string(),
                    },
                    'Z' | 'z' => {
                        let off = oh * 100 + om;
                        let f = int.clone().unwrap_or_else(|| {
                            analyse("01:01").unwrap_or_else(|_| unreachable!("valid picture"))
                        });
                        let mut s = if f.regular.is_some() {
                            format_with(off as f64, &f)?
                        } else {
                            match f.mandatory {
                                1 | 2 => {
                                    let mut s = format_with(oh as f64, &f)?;
                                    if om != 0 {
                                        s.push_str(&format!(":{:02}", om.abs()));
                                    }
                                    s
                                }
                                3 | 4 => format_with(off as f64, &f)?,
                                d => return err("D3134", None, format!("The timezone integer format specifier cannot have more than four digits: {d}")),
                            }
                        };
                        if off >= 0 {
                            s.insert(0, '+');
                        }
                        if comp == 'z' {
                            s = format!("GMT{s}");
                        }
                        if off == 0 && pres2 == Some('t') {
                            s = "Z".to_string();
                        }
                        s
                    }
                    'P' => {
                        let s = if dt.h >= 12 { "pm" } else { "am" };
                        if names == Some(Case::Upper) {
                            s.to_uppercase()
                        } else {
                            s.to_string()
                        }
                    }
                    'C' | 'E' => "ISO".to_string(),
                    _ => {
                        return err(
                            "D3132",
                            None,
                            format!(
                                "Unknown component specifier {comp} in date/time picture string"
                            ),
                        )
                    }
                };
                out.push_str(&text);
            }
        }
    }
    Ok(out)
}

pub fn now(ctx: &Ctx, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let pic = arg(args, 0).and_then(|p| p.as_str().map(str::to_string));
    let tz = arg(args, 1).and_then(|p| p.as_str().map(str::to_string));
    Ok(Some(Val::string(format_ms(
        ctx.now_ms as f64,
        pic.as_deref(),
        tz.as_deref(),
    )?)))
}

pub fn millis(ctx: &Ctx, _: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(Some(Val::Num(ctx.now_ms as f64)))
}

pub fn from_millis(_: &Ctx, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
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

/// ISO 8601 as JavaScript's Date.parse reads it (date, optional time, optional zone).
fn parse_iso(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let t = s.get(from..from + len)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let y = num(0, 4)?;
    let mut i = 4;
    let (mut mo, mut d) = (1, 1);
    if b.get(i) == Some(&b'-') {
        mo = num(i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b'-') {
            d = num(i + 1, 2)?;
            i += 3;
        }
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let (mut h, mut mi, mut sec, mut ms) = (0, 0, 0, 0);
    let mut off = 0i64;
    if b.get(i) == Some(&b'T') {
        h = num(i + 1, 2)?;
        if b.get(i + 3) != Some(&b':') {
            return None;
        }
        mi = num(i + 4, 2)?;
        i += 6;
        if b.get(i) == Some(&b':') {
            sec = num(i + 1, 2)?;
            i += 3;
            if b.get(i) == Some(&b'.') {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                let frac = &s[start..j];
                if frac.is_empty() {
                    return None;
                }
                let f3: String = frac.chars().chain("000".chars()).take(3).collect();
                ms = f3.parse().ok()?;
                i = j;
            }
        }
        match b.get(i) {
            Some(b'Z') => i += 1,
            Some(b'+') | Some(b'-') => {
                let sign = if b[i] == b'-' { -1 } else { 1 };
                let oh = num(i + 1, 2)?;
                let (om, adv) = if b.get(i + 3) == Some(&b':') {
                    (num(i + 4, 2)?, 6)
                } else {
                    (
                        num(i + 3, 2).unwrap_or(0),
                        if num(i + 3, 2).is_some() { 5 } else { 3 },
                    )
                };
                off = sign * (oh * 60 + om);
                i += adv;
            }
            _ => {}
        }
    }
    if i != b.len() {
        return None;
    }
    Some(
        days_from_civil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms
            - off * 60_000,
    )
}

/// What a picture has read so far: year, month, day, day of year, hour, 12-hour hour, pm,
/// minute, second, millisecond.
type Fields = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<bool>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// Reads `s` against the picture: each marker consumes what its format can produce.
fn parse_picture(s: &str, picture: &str) -> Result<Option<i64>> {
    let parts = picture_parts(picture)?;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let (mut y, mut mo, mut d, mut doy, mut h, mut h12, mut pm, mut mi, mut sec, mut ms): Fields =
        Default::default();
    let mut off: i64 = 0;
    for (pi, p) in parts.iter().enumerate() {
        match p {
            Part::Lit(l) => {
                for c in l.chars() {
                    if chars.get(i) != Some(&c) {
                        return Ok(None);
                    }
                    i += 1;
                }
            }
            Part::Marker {
                comp,
                names,
                int,
                width,
                pres2,
                ..
            } => {
                let next_lit_first = match parts.get(pi + 1) {
                    Some(Part::Lit(l)) => l.chars().next(),
                    _ => None,
                };
                let next_is_marker = matches!(parts.get(pi + 1), Some(Part::Marker { .. }));
                let take_while =
                    |i: usize, pred: &dyn Fn(char) -> bool, max: Option<usize>| -> usize {
                        let mut j = i;
                        while j < chars.len() && pred(chars[j]) && max.is_none_or(|m| j - i < m) {
                            j += 1;
                        }
                        j
                    };
                if let Some(_c) = names {
                    let j = take_while(i, &|c| c.is_alphabetic(), None);
                    let word: String = chars[i..j].iter().collect::<String>().to_lowercase();
                    i = j;
                    match comp {
                        'M' | 'x' => {
                            let idx = MONTHS.iter().position(|m| {
                                let m = m.to_lowercase();
                                m == word || (word.len() >= 3 && m.starts_with(&word))
                            });
                            match idx {
                                Some(k) => mo = Some(k as i64 + 1),
                                None => return Ok(None),
                            }
                        }
                        'F' => {}
                        'P' => pm = Some(word == "pm"),
                        _ => {
                            return err(
                                "D3133",
                                None,
                                format!("The component {comp} cannot be represented as a name"),
                            )
                        }
                    }
                    continue;
                }
                match comp {
                    'P' => {
                        let j = take_while(i, &|c| c.is_alphabetic(), None);
                        let word: String = chars[i..j].iter().collect::<String>().to_lowercase();
                        pm = Some(word == "pm");
                        i = j;
                    }
                    'Z' | 'z' => {
                        if *comp == 'z' {
                            for c in "GMT".chars() {
                                if chars.get(i) == Some(&c) {
                                    i += 1;
                                }
                            }
                        }
                        if chars.get(i) == Some(&'Z') && *pres2 == Some('t') {
                            i += 1;
                            continue;
                        }
                        let sign = match chars.get(i) {
                            Some('-') => -1,
                            Some('+') => 1,
                            _ => return Ok(None),
                        };
                        i += 1;
                        let j = take_while(i, &|c| c.is_ascii_digit() || c == ':', None);
                        let t: String = chars[i..j].iter().collect();
                        i = j;
                        let (hh, mm) = if let Some((a, b)) = t.split_once(':') {
                            (a.parse::<i64>().unwrap_or(0), b.parse::<i64>().unwrap_or(0))
                        } else if t.len() > 2 {
                            let v: i64 = t.parse().unwrap_or(0);
                            (v / 100, v % 100)
                        } else {
                            (t.parse().unwrap_or(0), 0)
                        };
                        off = sign * (hh * 60 + mm);
                    }
                    _ => {
                        let f = int.clone().unwrap_or_else(|| {
                            analyse("1").unwrap_or_else(|_| unreachable!("valid picture"))
                        });
                        let is_digit = |c: char| {
                            let z = f.zero;
                            (c as u32) >= z && (c as u32) <= z + 9
                        };
                        let j = match &f.primary {
                            Primary::Decimal => {
                                // Adjacent markers without separators split by width.
                                let max = if next_is_marker
                                    || next_lit_first.is_some_and(|c| c.is_ascii_digit())
                                {
                                    Some(
                                        width
                                            .as_ref()
                                            .and_then(|w| w.max)
                                            .unwrap_or(f.mandatory.max(1)),
                                    )
                                } else {
                                    None
                                };
                                let mut j = take_while(
                                    i,
                                    &|c| {
                                        is_digit(c)
                                            || f.separators.iter().any(|s| s.1 == c)
                                            || f.regular.is_some_and(|r| r.1 == c)
                                    },
                                    max,
                                );
                                if f.ordinal {
                                    j = take_while(j, &|c| c.is_ascii_alphabetic(), Some(2));
                                }
                                j
                            }
                            Primary::Roman => {
                                take_while(i, &|c| "ivxlcdmIVXLCDM".contains(c), None)
                            }
                            Primary::Letters => take_while(i, &|c| c.is_ascii_alphabetic(), None),
                            Primary::Words => {
                                let stop = next_lit_first;
                                take_while(
                                    i,
                                    &|c| {
                                        (c.is_alphabetic() || c == '-' || c == ' ' || c == ',')
                                            && Some(c) != stop
                                    },
                                    None,
                                )
                            }
                            Primary::Sequence(_) => i,
                        };
                        let text: String = chars[i..j].iter().collect();
                        i = j;
                        let Some(v) = parse_with(text.trim(), &f)? else {
                            return Ok(None);
                        };
                        let v = v as i64;
                        match comp {
                            'Y' => y = Some(v),
                            'M' => mo = Some(v),
                            'D' => d = Some(v),
                            'd' => doy = Some(v),
                            'H' => h = Some(v),
                            'h' => h12 = Some(v),
                            'm' => mi = Some(v),
                            's' => sec = Some(v),
                            'f' => ms = Some(v),
                            'F' | 'W' | 'w' | 'X' | 'x' => {}
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    if i != chars.len() {
        return Ok(None);
    }
    if h.is_none() {
        if let Some(x) = h12 {
            let base = if x == 12 { 0 } else { x };
            h = Some(base + if pm == Some(true) { 12 } else { 0 });
        }
    }
    // A date must not skip a component between two given ones (e.g. year and day without month).
    if y.is_some() && d.is_some() && mo.is_none() && doy.is_none() {
        return err(
            "D3136",
            None,
            "The date/time picture string is missing specifiers required to parse the timestamp",
        );
    }
    if mi.is_some() && h.is_none() {
        return err(
            "D3136",
            None,
            "The date/time picture string is missing specifiers required to parse the timestamp",
        );
    }
    let now = split(0);
    let year = y.unwrap_or(now.y);
    let days = match doy {
        Some(n) => days_from_civil(year, 1, 1) + n - 1,
        None => days_from_civil(year, mo.unwrap_or(1), d.unwrap_or(1)),
    };
    let total = days * 86_400_000
        + h.unwrap_or(0) * 3_600_000
        + mi.unwrap_or(0) * 60_000
        + sec.unwrap_or(0) * 1000
        + ms.unwrap_or(0)
        - off * 60_000;
    Ok(Some(total))
}

pub fn to_millis(_: &Ctx, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
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
