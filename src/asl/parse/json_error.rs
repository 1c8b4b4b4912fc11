//! `INVALID_JSON_DESCRIPTION`: Step Functions parses definitions with Jackson and returns its
//! message, so serde_json's error is re-described in Jackson's words for the common cases.

use super::Diagnostic;

/// Jackson quotes at most this many characters of the source.
const SOURCE_LIMIT: usize = 500;

pub(crate) fn describe(text: &str, err: &serde_json::Error) -> Diagnostic {
    let (line, column) = (err.line().max(1), err.column().max(1));
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    let chars: Vec<char> = line_text.chars().collect();
    // serde reports the column of the character it stopped at (1-based, in bytes on that
    // line); find the char index it corresponds to.
    let stop = char_index(line_text, column.saturating_sub(1)).min(chars.len());

    let (message, jackson_column) = if err.to_string().starts_with("recursion limit exceeded") {
        // serde_json stops at 128 levels (protecting the stack); Jackson has no such limit
        // under Step Functions' definition size, so this message is ours.
        ("Maximum nesting depth exceeded".to_string(), stop + 1)
    } else if err.is_eof() {
        ("Unexpected end-of-input".to_string(), chars.len() + 1)
    } else {
        // Walk back to the start of a bare word (Jackson reports the whole token).
        let mut start = stop.min(chars.len().saturating_sub(1));
        while start > 0 && is_token_char(chars[start - 1]) {
            start -= 1;
        }
        if chars.get(start).copied().is_some_and(is_token_char) {
            let mut end = start;
            while end < chars.len() && is_token_char(chars[end]) {
                end += 1;
            }
            let token: String = chars[start..end].iter().collect();
            (
                format!("Unrecognized token '{token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"),
                end + 1,
            )
        } else {
            let c = chars.get(stop).copied().unwrap_or(' ');
            (
                format!("Unexpected character ('{c}' (code {}))", c as u32),
                stop + 1,
            )
        }
    };
    let location = format!(
        "[Source: {}; line: {line}, column: {jackson_column}]",
        quoted_source(text)
    );
    Diagnostic::error(
        "INVALID_JSON_DESCRIPTION",
        format!("{message}\n at {location}"),
        Some(location),
    )
}

fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

fn char_index(line: &str, byte_offset: usize) -> usize {
    line.char_indices()
        .take_while(|(i, _)| *i < byte_offset)
        .count()
}

fn quoted_source(text: &str) -> String {
    let count = text.chars().count();
    if count <= SOURCE_LIMIT {
        return format!("(String)\"{text}\"");
    }
    let head: String = text.chars().take(SOURCE_LIMIT).collect();
    format!(
        "(String)\"{head}\"[truncated {} chars]",
        count - SOURCE_LIMIT
    )
}
