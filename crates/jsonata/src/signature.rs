//! Function signatures (`<s-n?:s>`), parsed into a regex over one symbol per argument, as
//! JSONata validates built-in and lambda calls; `arguments.rs` matches a call against it.
//! A `-` parameter takes the context value when the argument is missing.

use super::error::{err, JsonataError, Result};

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
    pub(crate) regex: regex_lite::Regex,
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
}
