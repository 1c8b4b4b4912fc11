//! Function signatures (`<s-n?:s>`): parsed into a regex over one symbol per argument, matched
//! against the symbols of the actual arguments, as JSONata validates built-in and lambda calls.
//! A `-` parameter takes the context value when the argument is missing.

use super::error::{err, JsonataError, Result};
use super::value::{Opt, Val};

#[derive(Debug, Clone)]
pub struct Param {
    pub regex: String,
    pub kind: String,
    pub context: bool,
    pub optional: bool,
    pub subtype: Option<String>,
}

#[derive(Debug)]
pub struct Signature {
    pub params: Vec<Param>,
    regex: regex_lite::Regex,
}

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

fn closing(s: &[char], start: usize, open: char, close: char) -> usize {
    let mut depth = 1;
    let mut i = start;
    while i + 1 < s.len() {
        i += 1;
        if s[i] == open {
            depth += 1;
        } else if s[i] == close {
            depth -= 1;
            if depth == 0 {
                break;
            }
        }
    }
    i
}

impl Signature {
    /// How many arguments a higher-order function passes to it (the required ones).
    pub fn arity(&self) -> usize {
        self.params.iter().filter(|p| !p.optional).count()
    }

    pub fn parse(text: &str, pos: usize) -> Result<Signature> {
        let s: Vec<char> = text.chars().collect();
        let mut params: Vec<Param> = Vec::new();
        let mut i = 1;
        while i < s.len() {
            let c = s[i];
            if c == ':' {
                break;
            }
            let simple = |regex: String, kind: &str| Param {
                regex,
                kind: kind.to_string(),
                context: false,
                optional: false,
                subtype: None,
            };
            match c {
                's' | 'n' | 'b' | 'l' | 'o' => {
                    params.push(simple(format!("[{c}m]"), &c.to_string()))
                }
                'a' => params.push(simple("[asnblfom]".into(), "a")),
                'f' => params.push(simple("f".into(), "f")),
                'j' => params.push(simple("[asnblom]".into(), "j")),
                'x' => params.push(simple("[asnblfom]".into(), "x")),
                '-' => {
                    if let Some(p) = params.last_mut() {
                        p.context = true;
                        p.regex.push('?');
                    }
                }
                '?' | '+' => {
                    if let Some(p) = params.last_mut() {
                        p.optional |= c == '?';
                        p.regex.push(c);
                    }
                }
                '(' => {
                    let end = closing(&s, i, '(', ')');
                    let choice: String = s[i + 1..end].iter().collect();
                    if choice.contains('<') {
                        return err(
                            "S0402",
                            Some(pos),
                            "Choice groups containing parameterized types are not supported",
                        );
                    }
                    params.push(simple(format!("[{choice}m]"), &format!("({choice})")));
                    i = end;
                }
                '<' => {
                    let ok = params
                        .last()
                        .is_some_and(|p| p.kind == "a" || p.kind == "f");
                    if !ok {
                        return err(
                            "S0401",
                            Some(pos),
                            "Type parameters can only be applied to functions and arrays",
                        );
                    }
                    let end = closing(&s, i, '<', '>');
                    let sub: String = s[i + 1..end].iter().collect();
                    if let Some(p) = params.last_mut() {
                        p.subtype = Some(sub);
                    }
                    i = end;
                }
                _ => {}
            }
            i += 1;
        }
        let re = format!(
            "^{}$",
            params
                .iter()
                .map(|p| format!("({})", p.regex))
                .collect::<String>()
        );
        let regex = regex_lite::Regex::new(&re)
            .map_err(|_| JsonataError::new("S0401", Some(pos), "Invalid function signature"))?;
        Ok(Signature { params, regex })
    }

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
