//! A streaming JSON tokenizer that fails, and reports positions, the way Jackson does.
//!
//! AWS compiles event patterns and filter policies with event-ruler, which pulls tokens from a
//! Jackson parser and reports every problem (syntax or semantics) at Jackson's *current
//! location*, appended to the message as `\n at [Source: (String)"..."; line: 1, column: 17]`.
//! Clients see that text, so positions follow Jackson's rules exactly:
//! - a string token is returned after only its opening quote is read; its text is read (and the
//!   position moves past the closing quote) when the compiler asks for it;
//! - after a field name Jackson reads ahead to the start of the value (the first byte of a
//!   string, a whole number or literal, or the bracket), so a field name and its value share
//!   one position;
//! - "unexpected character" errors point at the offending character, "unrecognized token" ones
//!   just after the token.

/// Jackson's longest source excerpt in a location; longer sources are cut and marked.
const MAX_SOURCE_SNIPPET: usize = 500;

/// Jackson's default nesting limit; also keeps the recursive compiler's stack bounded.
const MAX_NESTING_DEPTH: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    StartObject,
    EndObject,
    StartArray,
    EndArray,
    FieldName(String),
    /// A string value whose text has not been read yet (see `Lexer::text`).
    Str,
    Number {
        text: String,
        float: bool,
    },
    True,
    False,
    Null,
    /// End of input at the top level (Jackson's `null` token).
    Eof,
}

impl Tok {
    pub(crate) fn is_number(&self) -> bool {
        matches!(self, Tok::Number { .. })
    }
}

/// A syntax error: Jackson's message and the byte offset of its location.
#[derive(Debug, Clone)]
pub(crate) struct LexError {
    pub message: String,
    pub pos: usize,
}

#[derive(Debug, Clone, Copy)]
enum Ctx {
    Object { start: usize, after_value: bool },
    Array { start: usize, after_value: bool },
}

#[derive(Debug, Clone)]
pub(crate) struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    stack: Vec<Ctx>,
    /// The value token read ahead after a field name.
    pending: Option<Tok>,
    /// A string token was returned but its body not consumed yet.
    string_open: bool,
    /// Text of the last token, for `text()` on non-string tokens.
    last: Tok,
    /// Body of the last string, once read.
    last_string: Option<String>,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Lexer {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            stack: Vec::new(),
            pending: None,
            string_open: false,
            last: Tok::Eof,
            last_string: None,
        }
    }

    /// Jackson's current location, formatted as it appears in messages.
    pub(crate) fn location(&self) -> String {
        location_at(self.src, self.pos)
    }

    pub(crate) fn next(&mut self) -> Result<Tok, LexError> {
        if self.string_open {
            self.finish_string()?;
        }
        self.last_string = None;
        let tok = match self.pending.take() {
            Some(tok) => tok,
            None => self.read_token()?,
        };
        if tok == Tok::Str {
            self.string_open = true;
        }
        self.last = tok.clone();
        Ok(tok)
    }

    /// `getText()`: the last token's text; for a string this reads its body.
    pub(crate) fn text(&mut self) -> Result<String, LexError> {
        if self.string_open {
            let s = self.finish_string()?;
            self.last_string = Some(s);
        }
        Ok(match &self.last {
            Tok::Str => self.last_string.clone().unwrap_or_default(),
            Tok::FieldName(n) => n.clone(),
            Tok::Number { text, .. } => text.clone(),
            Tok::True => "true".into(),
            Tok::False => "false".into(),
            Tok::Null => "null".into(),
            Tok::StartObject => "{".into(),
            Tok::EndObject => "}".into(),
            Tok::StartArray => "[".into(),
            Tok::EndArray => "]".into(),
            Tok::Eof => String::new(),
        })
    }

    fn err(&self, message: impl Into<String>, pos: usize) -> LexError {
        LexError {
            message: message.into(),
            pos,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b' ' || b == b'\t' || b == b'\n' || b == b'\r' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn set_after_value(&mut self) {
        match self.stack.last_mut() {
            Some(Ctx::Object { after_value, .. }) | Some(Ctx::Array { after_value, .. }) => {
                *after_value = true
            }
            None => {}
        }
    }

    fn read_token(&mut self) -> Result<Tok, LexError> {
        match self.stack.last().copied() {
            None => {
                self.skip_ws();
                if self.pos >= self.bytes.len() {
                    return Ok(Tok::Eof);
                }
                self.read_value()
            }
            Some(Ctx::Object { start, after_value }) => {
                self.skip_ws();
                let Some(c) = self.peek_char() else {
                    return Err(self.eof_in_container("Object", start));
                };
                if c == '}' {
                    self.pos += 1;
                    self.stack.pop();
                    self.set_after_value();
                    return Ok(Tok::EndObject);
                }
                if c == ']' {
                    return Err(self.bad_close(']', '}', "Object", start));
                }
                if after_value {
                    if c != ',' {
                        return Err(
                            self.unexpected(c, "was expecting comma to separate Object entries")
                        );
                    }
                    self.pos += 1;
                    self.skip_ws();
                }
                self.read_field_name()
            }
            Some(Ctx::Array { start, after_value }) => {
                self.skip_ws();
                let Some(c) = self.peek_char() else {
                    return Err(self.eof_in_container("Array", start));
                };
                if c == ']' && !after_value {
                    self.pos += 1;
                    self.stack.pop();
                    self.set_after_value();
                    return Ok(Tok::EndArray);
                }
                if after_value {
                    if c == ']' {
                        self.pos += 1;
                        self.stack.pop();
                        self.set_after_value();
                        return Ok(Tok::EndArray);
                    }
                    if c == '}' {
                        return Err(self.bad_close('}', ']', "Array", start));
                    }
                    if c != ',' {
                        return Err(
                            self.unexpected(c, "was expecting comma to separate Array entries")
                        );
                    }
                    self.pos += 1;
                    self.skip_ws();
                }
                self.read_value()
            }
        }
    }

    fn read_field_name(&mut self) -> Result<Tok, LexError> {
        let Some(c) = self.peek_char() else {
            let start = match self.stack.last() {
                Some(Ctx::Object { start, .. }) => *start,
                _ => 0,
            };
            return Err(self.eof_in_container("Object", start));
        };
        if c != '"' {
            return Err(self.unexpected(c, "was expecting double-quote to start field name"));
        }
        self.pos += 1;
        let name = self.read_string_body(" in field name")?;
        self.skip_ws();
        match self.peek_char() {
            Some(':') => self.pos += 1,
            Some(c) => {
                return Err(
                    self.unexpected(c, "was expecting a colon to separate field name and value")
                )
            }
            None => {
                let start = match self.stack.last() {
                    Some(Ctx::Object { start, .. }) => *start,
                    _ => 0,
                };
                return Err(self.eof_in_container("Object", start));
            }
        }
        self.skip_ws();
        if self.pos >= self.bytes.len() {
            let start = match self.stack.last() {
                Some(Ctx::Object { start, .. }) => *start,
                _ => 0,
            };
            return Err(self.eof_in_container("Object", start));
        }
        let value = self.read_value()?;
        self.pending = Some(value);
        Ok(Tok::FieldName(name))
    }

    /// Reads the start of a value at `pos` (whitespace already skipped).
    fn read_value(&mut self) -> Result<Tok, LexError> {
        let Some(c) = self.peek_char() else {
            return Err(self.err("Unexpected end-of-input", self.pos));
        };
        match c {
            '"' => {
                self.pos += 1;
                self.set_after_value();
                Ok(Tok::Str)
            }
            '{' | '[' if self.stack.len() >= MAX_NESTING_DEPTH => Err(self.err(
                format!(
                    "Document nesting depth ({}) exceeds the maximum allowed ({MAX_NESTING_DEPTH}, from `StreamReadConstraints.getMaxNestingDepth()`)",
                    self.stack.len() + 1
                ),
                self.pos + 1,
            )),
            '{' => {
                self.set_after_value();
                self.stack.push(Ctx::Object { start: self.pos, after_value: false });
                self.pos += 1;
                Ok(Tok::StartObject)
            }
            '[' => {
                self.set_after_value();
                self.stack.push(Ctx::Array { start: self.pos, after_value: false });
                self.pos += 1;
                Ok(Tok::StartArray)
            }
            '-' | '0'..='9' => {
                let tok = self.read_number()?;
                self.set_after_value();
                Ok(tok)
            }
            't' | 'f' | 'n' => {
                let (word, tok) = match c {
                    't' => ("true", Tok::True),
                    'f' => ("false", Tok::False),
                    _ => ("null", Tok::Null),
                };
                let rest = &self.src[self.pos..];
                let after = rest.get(word.len()..).and_then(|s| s.chars().next());
                if rest.starts_with(word) && !after.is_some_and(is_identifier_part) {
                    self.pos += word.len();
                    self.set_after_value();
                    Ok(tok)
                } else {
                    Err(self.unrecognized_token())
                }
            }
            c if is_identifier_start(c) => Err(self.unrecognized_token()),
            c => Err(self.unexpected(
                c,
                "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
            )),
        }
    }

    fn unrecognized_token(&mut self) -> LexError {
        let start = self.pos;
        let mut end = start;
        for ch in self.src[start..].chars() {
            if !is_identifier_part(ch) {
                break;
            }
            end += ch.len_utf8();
        }
        self.pos = end;
        self.err(
            format!(
                "Unrecognized token '{}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
                &self.src[start..end]
            ),
            end,
        )
    }

    fn read_number(&mut self) -> Result<Tok, LexError> {
        let start = self.pos;
        let b = self.bytes;
        let mut i = self.pos;
        let mut float = false;
        if b.get(i) == Some(&b'-') {
            i += 1;
            match b.get(i) {
                Some(d) if d.is_ascii_digit() => {}
                _ => {
                    self.pos = i;
                    return Err(self.number_error(
                        i,
                        "expected digit (0-9) to follow minus sign, for valid numeric value",
                    ));
                }
            }
        }
        if b.get(i) == Some(&b'0') && b.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
            return Err(self.err("Invalid numeric value: Leading zeroes not allowed", i + 1));
        }
        while b.get(i).is_some_and(|d| d.is_ascii_digit()) {
            i += 1;
        }
        if b.get(i) == Some(&b'.') {
            float = true;
            i += 1;
            if !b.get(i).is_some_and(|d| d.is_ascii_digit()) {
                return Err(self.number_error(i, "Decimal point not followed by a digit"));
            }
            while b.get(i).is_some_and(|d| d.is_ascii_digit()) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e') | Some(b'E')) {
            float = true;
            i += 1;
            if matches!(b.get(i), Some(b'+') | Some(b'-')) {
                i += 1;
            }
            if !b.get(i).is_some_and(|d| d.is_ascii_digit()) {
                return Err(self.number_error(i, "Exponent indicator not followed by a digit"));
            }
            while b.get(i).is_some_and(|d| d.is_ascii_digit()) {
                i += 1;
            }
        }
        self.pos = i;
        Ok(Tok::Number {
            text: self.src[start..i].to_string(),
            float,
        })
    }

    fn number_error(&self, at: usize, what: &str) -> LexError {
        match self.src.get(at..).and_then(|s| s.chars().next()) {
            Some(c) => self.err(
                format!(
                    "Unexpected character ({}) in numeric value: {what}",
                    char_desc(c)
                ),
                at,
            ),
            None => self.err("Unexpected end-of-input in a Number value", at),
        }
    }

    fn finish_string(&mut self) -> Result<String, LexError> {
        self.string_open = false;
        self.read_string_body(": was expecting closing quote for a string value")
    }

    /// Reads a string body after its opening quote, through the closing quote.
    fn read_string_body(&mut self, eof_what: &str) -> Result<String, LexError> {
        let mut out = String::new();
        loop {
            let Some(c) = self.peek_char() else {
                return Err(self.err(format!("Unexpected end-of-input{eof_what}"), self.pos));
            };
            match c {
                '"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                '\\' => {
                    self.pos += 1;
                    let Some(e) = self.peek_char() else {
                        return Err(self.err(format!("Unexpected end-of-input{eof_what}"), self.pos));
                    };
                    self.pos += e.len_utf8();
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let unit = self.read_hex4()?;
                            if (0xD800..0xDC00).contains(&unit) && self.src[self.pos..].starts_with("\\u") {
                                let save = self.pos;
                                self.pos += 2;
                                let low = self.read_hex4()?;
                                if (0xDC00..0xE000).contains(&low) {
                                    let cp = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                                    out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                                } else {
                                    self.pos = save;
                                    out.push('\u{FFFD}');
                                }
                            } else {
                                out.push(char::from_u32(unit).unwrap_or('\u{FFFD}'));
                            }
                        }
                        other => {
                            return Err(self.err(
                                format!(
                                    "Unrecognized character escape {}",
                                    char_desc(other)
                                ),
                                self.pos,
                            ))
                        }
                    }
                }
                c if (c as u32) < 0x20 => {
                    return Err(self.err(
                        format!(
                            "Illegal unquoted character ({}): has to be escaped using backslash to be included in string value",
                            char_desc(c)
                        ),
                        self.pos,
                    ))
                }
                c => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    fn read_hex4(&mut self) -> Result<u32, LexError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(c) = self.peek_char() else {
                return Err(self.err(
                    "Unexpected end-of-input in character escape sequence",
                    self.pos,
                ));
            };
            let Some(d) = c.to_digit(16) else {
                return Err(self.err(
                    format!(
                        "Unexpected character ({}): expected a hex-digit for character escape sequence",
                        char_desc(c)
                    ),
                    self.pos,
                ));
            };
            self.pos += 1;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn unexpected(&self, c: char, what: &str) -> LexError {
        self.err(
            format!("Unexpected character ({}): {what}", char_desc(c)),
            self.pos,
        )
    }

    fn bad_close(&self, got: char, want: char, kind: &str, start: usize) -> LexError {
        self.err(
            format!(
                "Unexpected close marker '{got}': expected '{want}' (for {kind} starting at {})",
                location_at(self.src, start)
            ),
            self.pos,
        )
    }

    fn eof_in_container(&self, kind: &str, start: usize) -> LexError {
        self.err(
            format!(
                "Unexpected end-of-input: expected close marker for {kind} (start marker at {})",
                location_at(self.src, start)
            ),
            self.pos,
        )
    }
}

fn is_identifier_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_identifier_part(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Jackson's description of a character in error messages.
fn char_desc(c: char) -> String {
    let code = c as u32;
    if c.is_control() {
        format!("(CTRL-CHAR, code {code})")
    } else if code > 255 {
        format!("'{c}' (code {code} / 0x{code:x})")
    } else {
        format!("'{c}' (code {code})")
    }
}

/// `[Source: (String)"..."; line: L, column: C]` for byte offset `pos` of `src`.
pub(crate) fn location_at(src: &str, pos: usize) -> String {
    let pos = pos.min(src.len());
    let before = &src[..floor_char_boundary(src, pos)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    // Jackson counts UTF-16 units from the start of the line, 1-based.
    let column = before[line_start..].encode_utf16().count() + 1;
    let total: usize = src.chars().count();
    let snippet = if total > MAX_SOURCE_SNIPPET {
        let cut: String = src.chars().take(MAX_SOURCE_SNIPPET).collect();
        format!("\"{cut}\"[truncated {} chars]", total - MAX_SOURCE_SNIPPET)
    } else {
        format!("\"{src}\"")
    };
    format!("[Source: (String){snippet}; line: {line}, column: {column}]")
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of(src: &str) -> (String, String) {
        let mut lx = Lexer::new(src);
        loop {
            match lx.next() {
                Ok(Tok::Eof) => panic!("no error in {src}"),
                Ok(Tok::Str) => {
                    if let Err(e) = lx.text() {
                        return (e.message, location_at(src, e.pos));
                    }
                }
                Ok(_) => {}
                Err(e) => return (e.message, location_at(src, e.pos)),
            }
        }
    }

    #[test]
    fn unrecognized_token_is_located_after_it() {
        let (m, loc) = err_of("this is valid json but not a dict");
        assert_eq!(m, "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')");
        assert!(loc.ends_with("line: 1, column: 5]"), "{loc}");
        let (_, loc) = err_of("{\"not\": closed mark\"");
        assert!(loc.ends_with("line: 1, column: 15]"), "{loc}");
    }

    #[test]
    fn unexpected_character_is_located_on_it() {
        let (m, loc) = err_of("{'bad': 'quotation'}");
        assert_eq!(
            m,
            "Unexpected character (''' (code 39)): was expecting double-quote to start field name"
        );
        assert!(loc.ends_with("line: 1, column: 2]"), "{loc}");
    }

    #[test]
    fn field_name_reads_ahead_to_the_value() {
        let mut lx = Lexer::new("{\"string\": \"my-value\"}");
        assert_eq!(lx.next().unwrap(), Tok::StartObject);
        assert_eq!(lx.next().unwrap(), Tok::FieldName("string".into()));
        assert!(lx.location().ends_with("column: 13]"));
        assert_eq!(lx.next().unwrap(), Tok::Str);
        assert!(lx.location().ends_with("column: 13]"));
        assert_eq!(lx.text().unwrap(), "my-value");
        assert!(lx.location().ends_with("column: 22]"));
        assert_eq!(lx.next().unwrap(), Tok::EndObject);
    }

    #[test]
    fn deep_nesting_is_refused_not_recursed_into() {
        let src = format!("{}{}", "[".repeat(1001), "]".repeat(1001));
        let (m, _) = err_of(&src);
        assert!(
            m.starts_with("Document nesting depth (1001) exceeds the maximum allowed (1000"),
            "{m}"
        );
    }

    #[test]
    fn long_sources_are_truncated_like_jackson() {
        let src = format!("{{\"a\": \"{}\"}}", "x".repeat(600));
        let loc = location_at(&src, 3);
        assert!(loc.contains("[truncated 109 chars]"), "{loc}");
    }
}
