//! Tokens of a JSONata expression. A `/` starts a regex literal only where an operand is
//! expected, which the lexer decides from the previous token.

use super::error::{err, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Op(&'static str),
    Name(String),
    /// A backtick-quoted name: never a keyword.
    Quoted(String),
    Var(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Regex(String, String),
    End,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub pos: usize,
}

const OPS2: [&str; 9] = ["..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"];
const OPS1: &str = ".[]{}(),@#;:?+-*/%|=<>^&!~";

fn op1(c: char) -> Option<&'static str> {
    const ALL: [&str; 26] = [
        ".", "[", "]", "{", "}", "(", ")", ",", "@", "#", ";", ":", "?", "+", "-", "*", "/", "%",
        "|", "=", "<", ">", "^", "&", "!", "~",
    ];
    ALL.iter().copied().find(|o| o.starts_with(c))
}

pub fn tokenize(src: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = src.chars().collect();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let start = i;
            i += 2;
            loop {
                if i + 1 >= chars.len() {
                    return err("S0106", Some(start), "Comment has no closing tag");
                }
                if chars[i] == '*' && chars[i + 1] == '/' {
                    i += 2;
                    break;
                }
                i += 1;
            }
            continue;
        }
        let prefix = match out.last().map(|t| &t.tok) {
            None => true,
            Some(Tok::Op(o)) => !matches!(*o, ")" | "]" | "}"),
            _ => false,
        };
        if c == '/' && prefix {
            let start = i;
            i += 1;
            let mut pat = String::new();
            let mut depth_class = false;
            loop {
                let Some(&ch) = chars.get(i) else {
                    return err(
                        "S0302",
                        Some(start),
                        "No terminating / in regular expression",
                    );
                };
                if ch == '\\' {
                    pat.push(ch);
                    if let Some(&n) = chars.get(i + 1) {
                        pat.push(n);
                    }
                    i += 2;
                    continue;
                }
                if ch == '[' {
                    depth_class = true;
                } else if ch == ']' {
                    depth_class = false;
                } else if ch == '/' && !depth_class {
                    break;
                }
                pat.push(ch);
                i += 1;
            }
            if pat.is_empty() {
                return err(
                    "S0301",
                    Some(start),
                    "Empty regular expressions are not allowed",
                );
            }
            i += 1;
            let mut flags = String::new();
            while let Some(&f) = chars.get(i) {
                if f.is_ascii_alphabetic() {
                    flags.push(f);
                    i += 1;
                } else {
                    break;
                }
            }
            out.push(Token {
                tok: Tok::Regex(pat, flags),
                pos: start,
            });
            continue;
        }
        if let Some(&n) = chars.get(i + 1) {
            let two: String = [c, n].iter().collect();
            if let Some(op) = OPS2.iter().find(|o| **o == two) {
                out.push(Token {
                    tok: Tok::Op(op),
                    pos: i,
                });
                i += 2;
                continue;
            }
        }
        if let Some(op) = op1(c) {
            out.push(Token {
                tok: Tok::Op(op),
                pos: i,
            });
            i += 1;
            continue;
        }
        if c == '"' || c == '\'' {
            let start = i;
            i += 1;
            let mut s = String::new();
            loop {
                let Some(&ch) = chars.get(i) else {
                    return err(
                        "S0101",
                        Some(start),
                        "String literal must be terminated by a matching quote",
                    );
                };
                if ch == c {
                    i += 1;
                    break;
                }
                if ch == '\\' {
                    i += 1;
                    match chars.get(i) {
                        Some('"') => s.push('"'),
                        Some('\\') => s.push('\\'),
                        Some('/') => s.push('/'),
                        Some('\'') => s.push('\''),
                        Some('b') => s.push('\u{8}'),
                        Some('f') => s.push('\u{c}'),
                        Some('n') => s.push('\n'),
                        Some('r') => s.push('\r'),
                        Some('t') => s.push('\t'),
                        Some('u') => {
                            let hex: String = chars.iter().skip(i + 1).take(4).collect();
                            let Ok(code) = u32::from_str_radix(&hex, 16)
                                .map_err(|_| ())
                                .and_then(|c| if hex.len() == 4 { Ok(c) } else { Err(()) })
                            else {
                                return err(
                                    "S0104",
                                    Some(i),
                                    "The escape sequence \\u must be followed by 4 hex digits",
                                );
                            };
                            i += 4;
                            // Surrogate pairs arrive as two \u escapes.
                            if (0xD800..0xDC00).contains(&code)
                                && chars.get(i + 1) == Some(&'\\')
                                && chars.get(i + 2) == Some(&'u')
                            {
                                let hex2: String = chars.iter().skip(i + 3).take(4).collect();
                                if let Ok(lo) = u32::from_str_radix(&hex2, 16) {
                                    if (0xDC00..0xE000).contains(&lo) {
                                        let cp = 0x10000 + ((code - 0xD800) << 10) + (lo - 0xDC00);
                                        s.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                                        i += 6;
                                        i += 1;
                                        continue;
                                    }
                                }
                            }
                            s.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        _ => return err("S0103", Some(i), "Unsupported escape sequence"),
                    }
                    i += 1;
                    continue;
                }
                s.push(ch);
                i += 1;
            }
            out.push(Token {
                tok: Tok::Str(s),
                pos: start,
            });
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if matches!(chars.get(i), Some('e') | Some('E')) {
                let mut j = i + 1;
                if matches!(chars.get(j), Some('+') | Some('-')) {
                    j += 1;
                }
                if chars.get(j).is_some_and(|d| d.is_ascii_digit()) {
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                    i = j;
                }
            }
            let text: String = chars[start..i].iter().collect();
            let n: f64 = text.parse().unwrap_or(f64::NAN);
            if !n.is_finite() {
                return err("S0102", Some(start), format!("Number out of range: {text}"));
            }
            out.push(Token {
                tok: Tok::Num(n),
                pos: start,
            });
            continue;
        }
        if c == '`' {
            let start = i;
            i += 1;
            let mut s = String::new();
            loop {
                let Some(&ch) = chars.get(i) else {
                    return err(
                        "S0105",
                        Some(start),
                        "Quoted property name must be terminated with a backquote (`)",
                    );
                };
                i += 1;
                if ch == '`' {
                    break;
                }
                s.push(ch);
            }
            out.push(Token {
                tok: Tok::Quoted(s),
                pos: start,
            });
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && !OPS1.contains(chars[i]) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let tok = if let Some(v) = word.strip_prefix('$') {
            Tok::Var(v.to_string())
        } else {
            match word.as_str() {
                "and" => Tok::Op("and"),
                "or" => Tok::Op("or"),
                "in" => Tok::Op("in"),
                "true" => Tok::Bool(true),
                "false" => Tok::Bool(false),
                "null" => Tok::Null,
                _ => Tok::Name(word),
            }
        };
        out.push(Token { tok, pos: start });
    }
    out.push(Token {
        tok: Tok::End,
        pos: chars.len(),
    });
    Ok(out)
}
