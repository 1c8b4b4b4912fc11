//! A call's arguments checked against the function's signature (see `signature.rs`): each
//! argument becomes one symbol (`s`, `n`, `a`, ...), the string of symbols must match the
//! signature's regex, and the arguments are passed on as the implementation expects them.

use super::error::{err, JsonataError, Result};
use super::signature::Signature;
use super::value::{Opt, Val};

/// The signature symbol of one argument (`m` for a missing one).
pub fn symbol(v: &Opt) -> char {
    match v {
        None => 'm',
        Some(Val::Func(_)) => 'f',
        Some(Val::Str(_)) => 's',
        Some(Val::Num(_)) => 'n',
        Some(Val::Bool(_)) => 'b',
        Some(Val::Null) => 'l',
        Some(Val::Arr(_)) | Some(Val::Tuples(_)) => 'a',
        Some(Val::Obj(_)) => 'o',
    }
}

impl Signature {
    /// Checks `args` and returns them as the implementation receives them: the context filled
    /// in for a missing `-` parameter, single values wrapped for array parameters.
    pub fn validate(&self, args: &[Opt], context: &Opt, pos: usize) -> Result<Vec<Opt>> {
        let supplied: String = args.iter().map(symbol).collect();
        let Some(caps) = self.regex.captures(&supplied) else {
            return Err(self.mismatch(args, &supplied, pos));
        };
        let mut out = Vec::new();
        let mut ai = 0;
        for (pi, p) in self.params.iter().enumerate() {
            let m = caps.get(pi + 1).map(|m| m.as_str()).unwrap_or("");
            if m.is_empty() {
                if p.context {
                    let sym = symbol(context);
                    let single =
                        regex_lite::Regex::new(&format!("^{}$", p.regex.trim_end_matches('?')))
                            .map_err(|_| {
                                JsonataError::new("S0401", Some(pos), "Invalid function signature")
                            })?;
                    if single.is_match(&sym.to_string()) {
                        out.push(context.clone());
                    } else {
                        return err(
                            "T0411",
                            Some(pos),
                            format!(
                                "Context value is not a compatible type with argument {}",
                                ai + 1
                            ),
                        );
                    }
                } else {
                    out.push(args.get(ai).cloned().flatten());
                    ai += 1;
                }
                continue;
            }
            for single in m.chars() {
                let arg = args.get(ai).cloned().flatten();
                if p.kind == "a" {
                    if single == 'm' {
                        out.push(None);
                    } else {
                        let mut ok = true;
                        if let Some(sub) = &p.subtype {
                            if single != 'a' && m != sub {
                                ok = false;
                            } else if single == 'a' {
                                if let Some(Val::Arr(a)) = &arg {
                                    if let Some(first) = a.items.first() {
                                        let t = symbol(&Some(first.clone()));
                                        if !sub.starts_with(t) {
                                            ok = false;
                                        } else {
                                            ok = a
                                                .items
                                                .iter()
                                                .all(|v| symbol(&Some(v.clone())) == t);
                                        }
                                    }
                                }
                            }
                        }
                        if !ok {
                            return err(
                                "T0412",
                                Some(pos),
                                format!(
                                    "Argument {} of function must be an array of {}",
                                    ai + 1,
                                    sub_name(p.subtype.as_deref())
                                ),
                            );
                        }
                        let arg = match arg {
                            Some(Val::Arr(_)) => arg,
                            Some(v) => Some(Val::array(vec![v])),
                            None => None,
                        };
                        out.push(arg);
                    }
                } else {
                    out.push(arg);
                }
                ai += 1;
            }
        }
        Ok(out)
    }

    fn mismatch(&self, args: &[Opt], supplied: &str, pos: usize) -> JsonataError {
        let mut pattern = String::from("^");
        let mut good = 0;
        for p in &self.params {
            pattern.push_str(&p.regex);
            match regex_lite::Regex::new(&pattern)
                .ok()
                .and_then(|r| r.find(supplied).map(|m| m.end()))
            {
                Some(end) => good = end,
                None => break,
            }
        }
        let _ = args;
        JsonataError::new(
            "T0410",
            Some(pos),
            format!(
                "Argument {} of function does not match function signature",
                good + 1
            ),
        )
    }
}

fn sub_name(s: Option<&str>) -> &'static str {
    match s {
        Some("a") => "arrays",
        Some("b") => "booleans",
        Some("f") => "functions",
        Some("n") => "numbers",
        Some("o") => "objects",
        Some("s") => "strings",
        _ => "values",
    }
}
