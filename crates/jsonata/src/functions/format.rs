//! `$formatNumber`: XPath's format-number picture strings (sub-pictures for negatives, digit
//! families, grouping, percent/per-mille, exponents).

use super::numeric::round_half_even;
use super::{arg, err, Opt, Result};
use crate::value::{Caller, Env, Val};

pub use super::integer::{format_integer, parse_integer};

struct Props {
    decimal: char,
    grouping: char,
    exponent: char,
    minus: String,
    percent: char,
    per_mille: char,
    zero: char,
    digit: char,
    pattern: char,
}

#[derive(Clone)]
struct Pic {
    int_groups: Vec<usize>,
    regular: usize,
    min_int: usize,
    scaling: usize,
    prefix: String,
    frac_groups: Vec<usize>,
    min_frac: usize,
    max_frac: usize,
    min_exp: usize,
    suffix: String,
    picture: Vec<char>,
}

fn find(h: &[char], c: char) -> Option<usize> {
    h.iter().position(|x| *x == c)
}

fn rfind(h: &[char], c: char) -> Option<usize> {
    h.iter().rposition(|x| *x == c)
}

fn s(v: &[char]) -> String {
    v.iter().collect()
}

pub fn format_number(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(value) = arg(args, 0).and_then(|v| v.as_num()) else {
        return Ok(None);
    };
    let picture: Vec<char> = arg(args, 1)
        .and_then(|v| v.as_str().map(|x| x.chars().collect()))
        .unwrap_or_default();
    let mut p = Props {
        decimal: '.',
        grouping: ',',
        exponent: 'e',
        minus: "-".into(),
        percent: '%',
        per_mille: '\u{2030}',
        zero: '0',
        digit: '#',
        pattern: ';',
    };
    if let Some(Val::Obj(o)) = arg(args, 2) {
        let ch = |k: &str, d: char| {
            o.get(k)
                .and_then(|v| v.as_str().and_then(|x| x.chars().next()))
                .unwrap_or(d)
        };
        p.decimal = ch("decimal-separator", p.decimal);
        p.grouping = ch("grouping-separator", p.grouping);
        p.exponent = ch("exponent-separator", p.exponent);
        if let Some(m) = o.get("minus-sign").and_then(|v| v.as_str()) {
            p.minus = m.to_string();
        }
        p.percent = ch("percent", p.percent);
        p.per_mille = ch("per-mille", p.per_mille);
        p.zero = ch("zero-digit", p.zero);
        p.digit = ch("digit", p.digit);
        p.pattern = ch("pattern-separator", p.pattern);
    }
    let family: Vec<char> = (0..10)
        .filter_map(|i| char::from_u32(p.zero as u32 + i))
        .collect();
    let is_dd = |c: char| family.contains(&c);
    let mut active: Vec<char> = family.clone();
    active.extend([p.decimal, p.exponent, p.grouping, p.digit, p.pattern]);
    let subs: Vec<Vec<char>> = picture
        .split(|c| *c == p.pattern)
        .map(|x| x.to_vec())
        .collect();
    if subs.len() > 2 {
        return err("D3080", None, "The format-number picture string must not contain more than one instance of the pattern-separator character");
    }
    let mut pics = Vec::new();
    for sub in &subs {
        let is_active = |c: char| active.contains(&c) && c != p.exponent;
        let pre_len = sub.iter().position(|c| is_active(*c)).unwrap_or(sub.len());
        let suf_start = sub
            .iter()
            .rposition(|c| is_active(*c))
            .map(|i| i + 1)
            .unwrap_or(sub.len());
        let prefix = s(&sub[..pre_len]);
        let suffix = s(&sub[suf_start.max(pre_len)..]);
        let active_part: Vec<char> = sub[pre_len..suf_start.max(pre_len)].to_vec();
        let exp_pos = sub
            .iter()
            .skip(pre_len)
            .position(|c| *c == p.exponent)
            .map(|i| i + pre_len);
        let (mantissa, exponent): (Vec<char>, Option<Vec<char>>) = match exp_pos {
            Some(e) if e <= suf_start => {
                let rel = e - pre_len;
                (
                    active_part[..rel.min(active_part.len())].to_vec(),
                    Some(active_part[(rel + 1).min(active_part.len())..].to_vec()),
                )
            }
            _ => (active_part.clone(), None),
        };
        let (int_part, frac_part): (Vec<char>, Vec<char>) = match find(&mantissa, p.decimal) {
            None => (mantissa.clone(), suffix.chars().collect()),
            Some(d) => (mantissa[..d].to_vec(), mantissa[d + 1..].to_vec()),
        };
        // validate
        let mut code: Option<&str> = None;
        let dpos = find(sub, p.decimal);
        if dpos != rfind(sub, p.decimal) {
            code = Some("D3081");
        }
        if find(sub, p.percent) != rfind(sub, p.percent) {
            code = Some("D3082");
        }
        if find(sub, p.per_mille) != rfind(sub, p.per_mille) {
            code = Some("D3083");
        }
        if find(sub, p.percent).is_some() && find(sub, p.per_mille).is_some() {
            code = Some("D3084");
        }
        if !mantissa.iter().any(|c| is_dd(*c) || *c == p.digit) {
            code = Some("D3085");
        }
        if active_part.iter().any(|c| !active.contains(c)) {
            code = Some("D3086");
        }
        match dpos {
            Some(d) => {
                if (d > 0 && sub.get(d - 1) == Some(&p.grouping))
                    || sub.get(d + 1) == Some(&p.grouping)
                {
                    code = Some("D3087");
                }
            }
            None => {
                if int_part.last() == Some(&p.grouping) {
                    code = Some("D3088");
                }
            }
        }
        if sub
            .windows(2)
            .any(|w| w[0] == p.grouping && w[1] == p.grouping)
        {
            code = Some("D3089");
        }
        if let Some(od) = find(&int_part, p.digit) {
            if int_part[..od].iter().any(|c| is_dd(*c)) {
                code = Some("D3090");
            }
        }
        if let Some(od) = rfind(&frac_part, p.digit) {
            if frac_part[od..].iter().any(|c| is_dd(*c)) {
                code = Some("D3091");
            }
        }
        if let Some(e) = &exponent {
            if !e.is_empty() && (find(sub, p.percent).is_some() || find(sub, p.per_mille).is_some())
            {
                code = Some("D3092");
            }
            if e.is_empty() || e.iter().any(|c| !is_dd(*c)) {
                code = Some("D3093");
            }
        }
        if let Some(c) = code {
            return err(c, None, "Invalid picture string for $formatNumber");
        }
        // analyse
        let groups = |part: &[char], to_left: bool| -> Vec<usize> {
            let mut out = Vec::new();
            let mut gp = find(part, p.grouping);
            while let Some(g) = gp {
                let side: &[char] = if to_left { &part[..g] } else { &part[g..] };
                out.push(side.iter().filter(|c| is_dd(**c) || **c == p.digit).count());
                gp = int_part
                    .iter()
                    .skip(g + 1)
                    .position(|c| *c == p.grouping)
                    .map(|i| i + g + 1);
                if gp.is_some_and(|x| x >= part.len()) {
                    break;
                }
            }
            out
        };
        let int_groups = groups(&int_part, false);
        let regular = {
            if int_groups.is_empty() {
                0
            } else {
                fn gcd(a: usize, b: usize) -> usize {
                    if b == 0 {
                        a
                    } else {
                        gcd(b, a % b)
                    }
                }
                let f = int_groups.iter().copied().reduce(gcd).unwrap_or(0);
                if (1..=int_groups.len()).all(|i| int_groups.contains(&(i * f))) {
                    f
                } else {
                    0
                }
            }
        };
        let frac_groups = groups(&frac_part, true);
        let mut min_int = int_part.iter().filter(|c| is_dd(**c)).count();
        let scaling = min_int;
        let mut min_frac = frac_part.iter().filter(|c| is_dd(**c)).count();
        let mut max_frac = frac_part
            .iter()
            .filter(|c| is_dd(**c) || **c == p.digit)
            .count();
        let exp_present = exponent.is_some();
        if min_int == 0 && max_frac == 0 {
            if exp_present {
                min_frac = 1;
                max_frac = 1;
            } else {
                min_int = 1;
            }
        }
        if exp_present && min_int == 0 && find(&int_part, p.digit).is_some() {
            min_int = 1;
        }
        if min_int == 0 && min_frac == 0 {
            min_frac = 1;
        }
        let min_exp = exponent
            .as_ref()
            .map(|e| e.iter().filter(|c| is_dd(**c)).count())
            .unwrap_or(0);
        pics.push(Pic {
            int_groups,
            regular,
            min_int,
            scaling,
            prefix,
            frac_groups,
            min_frac,
            max_frac,
            min_exp,
            suffix,
            picture: sub.clone(),
        });
    }
    if pics.len() == 1 {
        let mut neg = pics[0].clone();
        neg.prefix = format!("{}{}", p.minus, neg.prefix);
        pics.push(neg);
    }
    let pic = if value >= 0.0 { &pics[0] } else { &pics[1] };
    let adjusted = if find(&pic.picture, p.percent).is_some() {
        value * 100.0
    } else if find(&pic.picture, p.per_mille).is_some() {
        value * 1000.0
    } else {
        value
    };
    let mut mantissa = adjusted;
    let mut exponent: Option<i64> = None;
    if pic.min_exp != 0 {
        let max_m = 10f64.powi(pic.scaling as i32);
        let min_m = 10f64.powi(pic.scaling as i32 - 1);
        let mut e = 0;
        if mantissa != 0.0 {
            while mantissa < min_m {
                mantissa *= 10.0;
                e -= 1;
            }
            while mantissa > max_m {
                mantissa /= 10.0;
                e += 1;
            }
        }
        exponent = Some(e);
    }
    let rounded = round_half_even(mantissa, pic.max_frac as i64);
    let make = |v: f64, dp: usize| -> Vec<char> {
        let st = format!("{:.*}", dp, v.abs());
        st.chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    family[(c as u8 - b'0') as usize]
                } else {
                    c
                }
            })
            .collect()
    };
    let mut sv = make(rounded, pic.max_frac);
    match find(&sv, '.') {
        None => sv.push(p.decimal),
        Some(i) => sv[i] = p.decimal,
    }
    while sv.first() == Some(&p.zero) {
        sv.remove(0);
    }
    while sv.last() == Some(&p.zero) {
        sv.pop();
    }
    let dp = find(&sv, p.decimal).unwrap_or(sv.len());
    let pad_left = pic.min_int as i64 - dp as i64;
    let pad_right = pic.min_frac as i64 - (sv.len() as i64 - dp as i64 - 1);
    let mut out: Vec<char> = Vec::new();
    if pad_left > 0 {
        out.extend(std::iter::repeat_n(p.zero, pad_left as usize));
    }
    out.extend(sv);
    if pad_right > 0 {
        out.extend(std::iter::repeat_n(p.zero, pad_right as usize));
    }
    let mut sv = out;
    let mut dp = find(&sv, p.decimal).unwrap_or(sv.len());
    if let Some(count) = dp.saturating_sub(1).checked_div(pic.regular) {
        for g in 1..=count {
            sv.insert(dp - g * pic.regular, p.grouping);
        }
    } else {
        for pos in &pic.int_groups {
            if *pos <= dp {
                sv.insert(dp - pos, p.grouping);
                dp += 1;
            }
        }
    }
    let dp = find(&sv, p.decimal).unwrap_or(sv.len());
    for pos in &pic.frac_groups {
        let at = pos + dp + 1;
        if at <= sv.len() {
            sv.insert(at, p.grouping);
        }
    }
    let dp = find(&sv, p.decimal);
    if pic.min_frac == 0 && dp == Some(sv.len() - 1) {
        sv.pop();
    }
    let mut result = s(&sv);
    if let Some(e) = exponent {
        let mut se: String = make(e as f64, 0).into_iter().collect();
        let pad = pic.min_exp as i64 - se.chars().count() as i64;
        if pad > 0 {
            se = std::iter::repeat_n(p.zero, pad as usize).collect::<String>() + &se;
        }
        result = format!(
            "{}{}{}{}",
            result,
            p.exponent,
            if e < 0 { p.minus.as_str() } else { "" },
            se
        );
    }
    Ok(Some(Val::string(format!(
        "{}{}{}",
        pic.prefix, result, pic.suffix
    ))))
}
