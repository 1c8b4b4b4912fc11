//! XPath picture strings (`[Y0001]-[M01]-[D01]`): read into literal text and markers, each
//! marker with its component, presentation (digits, names, ordinals), case and width.

use crate::functions::integer::{analyse, Case, IntFormat};
use crate::functions::{err, Result};

/// The picture of ISO 8601 with milliseconds and the zone: the default of `$fromMillis`.
pub(super) const ISO: &str = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";

#[derive(Debug, Clone)]
pub(super) struct Width {
    pub(super) min: Option<usize>,
    pub(super) max: Option<usize>,
}

#[derive(Debug, Clone)]
pub(super) enum Part {
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

pub(super) fn picture_parts(picture: &str) -> Result<Vec<Part>> {
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

pub(super) fn apply_case(s: &str, c: Case) -> String {
    match c {
        Case::Upper => s.to_uppercase(),
        Case::Lower => s.to_lowercase(),
        Case::Title => s.to_string(),
    }
}
