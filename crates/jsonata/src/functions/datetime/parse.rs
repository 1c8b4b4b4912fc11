//! A timestamp read back into milliseconds (`$toMillis`): ISO 8601 as JavaScript's
//! `Date.parse` reads it, or the text matched against a picture.

use super::calendar::{days_from_civil, split, MONTHS};
use super::picture::{picture_parts, Part};
use crate::functions::integer::{analyse, parse_with, Primary};
use crate::functions::{err, Result};

/// ISO 8601 as JavaScript's Date.parse reads it (date, optional time, optional zone).
pub(super) fn parse_iso(s: &str) -> Option<i64> {
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
pub(super) type Fields = (
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
pub(super) fn parse_picture(s: &str, picture: &str) -> Result<Option<i64>> {
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
