//! The lexical shape of an intrinsic function call (`States.Format('a {}', $.x)`), checked
//! where a definition is parsed: the context's path fields and the payload templates' `.$`
//! values both accept one.

const INTRINSICS: [&str; 18] = [
    "Format",
    "StringToJson",
    "JsonToString",
    "Array",
    "ArrayPartition",
    "ArrayContains",
    "ArrayRange",
    "ArrayGetItem",
    "ArrayLength",
    "ArrayUnique",
    "Base64Encode",
    "Base64Decode",
    "Hash",
    "JsonMerge",
    "MathRandom",
    "MathAdd",
    "StringSplit",
    "UUID",
];

/// Whether `s` has the lexical shape of `States.Name(arg, ...)`: a known function, string
/// literals with only the escapes `\'`, `\{`, `\}`, `\\`, balanced nesting. Argument types
/// and counts are the interpreter's business.
pub(crate) fn is_intrinsic_call(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let mut pos = 0;
    call(&chars, &mut pos, 0) && {
        skip_ws(&chars, &mut pos);
        pos == chars.len()
    }
}

const MAX_INTRINSIC_DEPTH: usize = 64;

fn skip_ws(chars: &[char], pos: &mut usize) {
    while *pos < chars.len() && chars[*pos].is_whitespace() {
        *pos += 1;
    }
}

fn call(chars: &[char], pos: &mut usize, depth: usize) -> bool {
    if depth > MAX_INTRINSIC_DEPTH {
        return false;
    }
    skip_ws(chars, pos);
    let prefix: Vec<char> = "States.".chars().collect();
    if chars.len() < *pos + prefix.len() || chars[*pos..*pos + prefix.len()] != prefix[..] {
        return false;
    }
    *pos += prefix.len();
    let start = *pos;
    while *pos < chars.len() && chars[*pos].is_ascii_alphanumeric() {
        *pos += 1;
    }
    let name: String = chars[start..*pos].iter().collect();
    if !INTRINSICS.contains(&name.as_str()) {
        return false;
    }
    skip_ws(chars, pos);
    if chars.get(*pos) != Some(&'(') {
        return false;
    }
    *pos += 1;
    skip_ws(chars, pos);
    if chars.get(*pos) == Some(&')') {
        *pos += 1;
        return true;
    }
    loop {
        if !argument(chars, pos, depth) {
            return false;
        }
        skip_ws(chars, pos);
        match chars.get(*pos) {
            Some(',') => *pos += 1,
            Some(')') => {
                *pos += 1;
                return true;
            }
            _ => return false,
        }
    }
}

fn argument(chars: &[char], pos: &mut usize, depth: usize) -> bool {
    skip_ws(chars, pos);
    match chars.get(*pos) {
        Some('\'') => string_literal(chars, pos),
        Some('$') => {
            path_argument(chars, pos);
            true
        }
        Some('S') => call(chars, pos, depth + 1),
        Some(_) => {
            // number, true, false, null
            let start = *pos;
            while *pos < chars.len() && !matches!(chars[*pos], ',' | ')') {
                *pos += 1;
            }
            let token: String = chars[start..*pos].iter().collect();
            let token = token.trim();
            matches!(token, "true" | "false" | "null") || token.parse::<f64>().is_ok()
        }
        None => false,
    }
}

fn string_literal(chars: &[char], pos: &mut usize) -> bool {
    *pos += 1; // opening quote
    while let Some(&c) = chars.get(*pos) {
        match c {
            '\\' => {
                if !matches!(chars.get(*pos + 1), Some('\'' | '{' | '}' | '\\')) {
                    return false;
                }
                *pos += 2;
            }
            '\'' => {
                *pos += 1;
                return true;
            }
            _ => *pos += 1,
        }
    }
    false
}

/// A path argument runs to the next `,` or `)` outside brackets, parentheses and quotes.
fn path_argument(chars: &[char], pos: &mut usize) {
    let mut nesting = 0usize;
    let mut quote: Option<char> = None;
    while let Some(&c) = chars.get(*pos) {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else {
            match c {
                '\'' | '"' => quote = Some(c),
                '[' | '(' => nesting += 1,
                ']' => nesting = nesting.saturating_sub(1),
                ')' if nesting == 0 => return,
                ')' => nesting -= 1,
                ',' if nesting == 0 => return,
                _ => {}
            }
        }
        *pos += 1;
    }
}
