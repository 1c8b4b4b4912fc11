//! A time rendered by a picture (`$fromMillis`, `$now`): each marker of the picture filled
//! in from the time, shifted into the requested zone.

use super::calendar::{days_from_civil, iso_week, month_week, split, weekday, DAYS, MONTHS};
use super::picture::{apply_case, picture_parts, Part, ISO};
use crate::functions::integer::{analyse, format_with, Case};
use crate::functions::{err, Result};

pub(super) fn format_ms(ms: f64, picture: Option<&str>, tz: Option<&str>) -> Result<String> {
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
