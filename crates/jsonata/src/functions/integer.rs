//! `$formatInteger` and `$parseInteger`: XPath format-integer pictures (decimal digit patterns
//! in any Unicode digit family with grouping, `a`/`A` letters, `i`/`I` roman numerals, `w`/`W`/
//! `Ww` words, `;o` ordinals) and their inverse.

use super::{arg, err, Opt, Result};
use crate::value::{Caller, Env, Val};

const DECIMAL_GROUPS: [u32; 37] = [
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Case {
    Lower,
    Upper,
    Title,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Primary {
    Letters,
    Roman,
    Words,
    Decimal,
    Sequence(String),
}

#[derive(Clone, Debug)]
pub struct IntFormat {
    pub primary: Primary,
    pub case: Case,
    pub ordinal: bool,
    pub zero: u32,
    pub mandatory: usize,
    pub regular: Option<(usize, char)>,
    pub separators: Vec<(usize, char)>,
}

pub fn analyse(picture: &str) -> Result<IntFormat> {
    let mut f = IntFormat {
        primary: Primary::Decimal,
        case: Case::Lower,
        ordinal: false,
        zero: 0x30,
        mandatory: 0,
        regular: None,
        separators: vec![],
    };
    let (primary, modifier) = match picture.rfind(';') {
        None => (picture, ""),
        Some(i) => (&picture[..i], &picture[i + 1..]),
    };
    if modifier.starts_with('o') {
        f.ordinal = true;
    }
    match primary {
        "A" => {
            f.case = Case::Upper;
            f.primary = Primary::Letters;
        }
        "a" => f.primary = Primary::Letters,
        "I" => {
            f.case = Case::Upper;
            f.primary = Primary::Roman;
        }
        "i" => f.primary = Primary::Roman,
        "W" => {
            f.case = Case::Upper;
            f.primary = Primary::Words;
        }
        "Ww" => {
            f.case = Case::Title;
            f.primary = Primary::Words;
        }
        "w" => f.primary = Primary::Words,
        _ => {
            let mut zero: Option<u32> = None;
            let mut pos = 0;
            let mut seps: Vec<(usize, char)> = Vec::new();
            for c in primary.chars().rev() {
                let cp = c as u32;
                if let Some(g) = DECIMAL_GROUPS.iter().find(|g| cp >= **g && cp <= **g + 9) {
                    f.mandatory += 1;
                    pos += 1;
                    match zero {
                        None => zero = Some(*g),
                        Some(z) if z != *g => return err("D3131", None, "In a decimal digit pattern, all digits must be from the same decimal group"),
                        _ => {}
                    }
                } else if c == '#' {
                    pos += 1;
                } else {
                    seps.push((pos, c));
                }
            }
            if f.mandatory > 0 {
                f.zero = zero.unwrap_or(0x30);
                let regular = if seps.is_empty() || seps.iter().any(|s| s.1 != seps[0].1) {
                    0
                } else {
                    fn gcd(a: usize, b: usize) -> usize {
                        if b == 0 {
                            a
                        } else {
                            gcd(b, a % b)
                        }
                    }
                    let idx: Vec<usize> = seps.iter().map(|s| s.0).collect();
                    let fct = idx.iter().copied().reduce(gcd).unwrap_or(0);
                    if (1..=idx.len()).all(|i| idx.contains(&(i * fct))) {
                        fct
                    } else {
                        0
                    }
                };
                if regular > 0 {
                    f.regular = Some((regular, seps[0].1));
                } else {
                    f.separators = seps;
                }
            } else {
                f.primary = Primary::Sequence(primary.to_string());
            }
        }
    }
    Ok(f)
}

const FEW: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
const ORDINALS: [&str; 20] = [
    "Zeroth",
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
    "Eleventh",
    "Twelfth",
    "Thirteenth",
    "Fourteenth",
    "Fifteenth",
    "Sixteenth",
    "Seventeenth",
    "Eighteenth",
    "Nineteenth",
];
const DECADES: [&str; 9] = [
    "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred",
];
const MAGNITUDES: [&str; 4] = ["Thousand", "Million", "Billion", "Trillion"];

fn words(num: u64, prev: bool, ord: bool) -> String {
    if num <= 19 {
        format!(
            "{}{}",
            if prev { " and " } else { "" },
            if ord {
                ORDINALS[num as usize]
            } else {
                FEW[num as usize]
            }
        )
    } else if num < 100 {
        let tens = (num / 10) as usize;
        let rem = num % 10;
        let mut w = format!("{}{}", if prev { " and " } else { "" }, DECADES[tens - 2]);
        if rem > 0 {
            w = format!("{w}-{}", words(rem, false, ord));
        } else if ord {
            w = format!("{}ieth", &w[..w.len() - 1]);
        }
        w
    } else if num < 1000 {
        let h = num / 100;
        let rem = num % 100;
        let mut w = format!(
            "{}{} Hundred",
            if prev { ", " } else { "" },
            FEW[h as usize]
        );
        if rem > 0 {
            w += &words(rem, true, ord);
        } else if ord {
            w += "th";
        }
        w
    } else {
        let mut mag = ((num as f64).log10() / 3.0).floor() as usize;
        if mag > MAGNITUDES.len() {
            mag = MAGNITUDES.len();
        }
        let factor = 10u64.pow(mag as u32 * 3);
        let mant = num / factor;
        let rem = num - mant * factor;
        let mut w = format!(
            "{}{} {}",
            if prev { ", " } else { "" },
            words(mant, false, false),
            MAGNITUDES[mag - 1]
        );
        if rem > 0 {
            w += &words(rem, true, ord);
        } else if ord {
            w += "th";
        }
        w
    }
}

fn to_letters(mut v: u64, a: u8) -> String {
    let mut out = Vec::new();
    while v > 0 {
        out.push((((v - 1) % 26) as u8 + a) as char);
        v = (v - 1) / 26;
    }
    out.iter().rev().collect()
}

const ROMAN: [(u64, &str); 13] = [
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
];

fn to_roman(mut v: u64) -> String {
    let mut out = String::new();
    for (n, s) in ROMAN {
        while v >= n {
            out.push_str(s);
            v -= n;
        }
    }
    out
}

pub fn format_with(value: f64, f: &IntFormat) -> Result<String> {
    let neg = value < 0.0;
    let v = value.abs() as u64;
    let mut out = match &f.primary {
        Primary::Letters => to_letters(v, if f.case == Case::Upper { b'A' } else { b'a' }),
        Primary::Roman => {
            let r = to_roman(v);
            if f.case == Case::Upper { r.to_uppercase() } else { r }
        }
        Primary::Words => {
            let w = words(v, false, f.ordinal);
            match f.case {
                Case::Upper => w.to_uppercase(),
                Case::Lower => w.to_lowercase(),
                Case::Title => w,
            }
        }
        Primary::Decimal => {
            let mut digits: Vec<char> = format!("{v}").chars().collect();
            if f.mandatory > digits.len() {
                let mut p = vec!['0'; f.mandatory - digits.len()];
                p.extend(digits);
                digits = p;
            }
            if f.zero != 0x30 {
                digits = digits.into_iter().map(|c| char::from_u32(c as u32 - 0x30 + f.zero).unwrap_or(c)).collect();
            }
            if let Some((every, ch)) = f.regular {
                let n = (digits.len() - 1) / every;
                for i in (1..=n).rev() {
                    let pos = digits.len() - i * every;
                    digits.insert(pos, ch);
                }
            } else {
                for (pos, ch) in f.separators.iter().rev() {
                    let at = digits.len().saturating_sub(*pos);
                    digits.insert(at, *ch);
                }
            }
            let mut s: String = digits.iter().collect();
            if f.ordinal {
                let last = digits.last().copied();
                let tens = digits.len() > 1 && digits[digits.len() - 2] == '1';
                let suffix = match last {
                    Some('1') if !tens => "st",
                    Some('2') if !tens => "nd",
                    Some('3') if !tens => "rd",
                    _ => "th",
                };
                s.push_str(suffix);
            }
            s
        }
        Primary::Sequence(t) => return err("D3130", None, format!("Formatting or parsing an integer as a sequence starting with {t} is not supported by this implementation")),
    };
    if neg {
        out.insert(0, '-');
    }
    Ok(out)
}

pub fn format_integer(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(v) = arg(args, 0).and_then(|v| v.as_num()) else {
        return Ok(None);
    };
    let pic = arg(args, 1)
        .and_then(|p| p.as_str().map(str::to_string))
        .unwrap_or_default();
    let f = analyse(&pic)?;
    Ok(Some(Val::string(format_with(v.floor(), &f)?)))
}

fn word_value(w: &str) -> Option<u64> {
    let lw = w.to_lowercase();
    for (i, f) in FEW.iter().enumerate() {
        if f.to_lowercase() == lw || ORDINALS[i].to_lowercase() == lw {
            return Some(i as u64);
        }
    }
    for (i, d) in DECADES.iter().enumerate() {
        let d = d.to_lowercase();
        let ord = format!("{}ieth", &d[..d.len() - 1]);
        if d == lw || ord == lw {
            return Some(if i == 8 { 100 } else { (i as u64 + 2) * 10 });
        }
    }
    if lw == "hundredth" {
        return Some(100);
    }
    for (i, m) in MAGNITUDES.iter().enumerate() {
        let m = m.to_lowercase();
        if m == lw || format!("{m}th") == lw {
            return Some(10u64.pow(3 * (i as u32 + 1)));
        }
    }
    None
}

/// The number that English words name (`ten billion trillion` is 1e22). Added up in `f64`,
/// as JavaScript does: exact up to 2^53, and words naming more than `u64` holds (which
/// JSONata's suite has) round instead of overflowing.
pub fn words_to_number(text: &str) -> Option<f64> {
    let t = text
        .replace(", ", " ")
        .replace(" and ", " ")
        .replace('-', " ");
    let mut segs: Vec<f64> = vec![0.0];
    for part in t.split(' ').filter(|p| !p.is_empty()) {
        let v = word_value(part)? as f64;
        if v < 100.0 {
            let mut top = segs.pop().unwrap_or(0.0);
            if top >= 1000.0 {
                segs.push(top);
                top = 0.0;
            }
            segs.push(top + v);
        } else {
            let top = segs.pop().unwrap_or(0.0);
            segs.push(top * v);
        }
    }
    Some(segs.iter().sum())
}

pub fn roman_to_decimal(r: &str) -> u64 {
    let val = |c: char| match c {
        'M' => 1000,
        'D' => 500,
        'C' => 100,
        'L' => 50,
        'X' => 10,
        'V' => 5,
        'I' => 1,
        _ => 0,
    };
    let mut dec: i64 = 0;
    let mut max = 1;
    for c in r.chars().rev() {
        let v = val(c);
        if v < max {
            dec -= v;
        } else {
            max = v;
            dec += v;
        }
    }
    dec.max(0) as u64
}

pub fn letters_to_decimal(s: &str, a: u8) -> u64 {
    let n = s.len() as u32;
    s.bytes()
        .enumerate()
        .map(|(i, b)| (b.wrapping_sub(a) as u64 + 1) * 26u64.pow(n - i as u32 - 1))
        .sum()
}

/// Parses `text` as formatted by `f`; `None` when it does not parse.
pub fn parse_with(text: &str, f: &IntFormat) -> Result<Option<f64>> {
    Ok(match &f.primary {
        Primary::Letters => Some(letters_to_decimal(text, if f.case == Case::Upper { b'A' } else { b'a' }) as f64),
        Primary::Roman => Some(roman_to_decimal(&text.to_uppercase()) as f64),
        Primary::Words => words_to_number(&text.to_lowercase()),
        Primary::Decimal => {
            let mut d: String = text.to_string();
            if f.ordinal && d.len() >= 2 {
                d.truncate(d.len() - 2);
            }
            if let Some((_, ch)) = f.regular {
                d = d.replace(ch, "");
            } else {
                for (_, ch) in &f.separators {
                    d = d.replace(*ch, "");
                }
            }
            if f.zero != 0x30 {
                d = d.chars().map(|c| char::from_u32(c as u32 + 0x30 - f.zero).unwrap_or(c)).collect();
            }
            d.parse::<f64>().ok()
        }
        Primary::Sequence(t) => return err("D3130", None, format!("Formatting or parsing an integer as a sequence starting with {t} is not supported by this implementation")),
    })
}

pub fn parse_integer(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(Val::Str(s)) = arg(args, 0) else {
        return Ok(None);
    };
    let pic = arg(args, 1)
        .and_then(|p| p.as_str().map(str::to_string))
        .unwrap_or_default();
    let f = analyse(&pic)?;
    Ok(parse_with(&s, &f)?.map(Val::Num))
}
