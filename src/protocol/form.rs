//! `application/x-www-form-urlencoded` parsing that refuses invalid UTF-8 instead of replacing
//! it, so a client learns its bytes were wrong rather than seeing U+FFFD stored in its message.

/// Parses `a=1&b=x%20y` into pairs; `None` when a decoded name or value is not UTF-8.
pub fn parse(input: &[u8]) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for part in input.split(|&b| b == b'&') {
        if part.is_empty() {
            continue;
        }
        let (name, value) = match part.iter().position(|&b| b == b'=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &b""[..]),
        };
        pairs.push((decode(name)?, decode(value)?));
    }
    Some(pairs)
}

fn decode(input: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < input.len() => match (hex(input[i + 1]), hex(input[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes_and_plus() {
        let pairs = parse(b"Action=SendMessage&MessageBody=a+b%26c%C3%A9&Empty=&Flag").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("Action".into(), "SendMessage".into()),
                ("MessageBody".into(), "a b&c\u{e9}".into()),
                ("Empty".into(), "".into()),
                ("Flag".into(), "".into()),
            ]
        );
    }

    #[test]
    fn a_lone_percent_is_kept() {
        assert_eq!(parse(b"a=100%").unwrap(), vec![("a".into(), "100%".into())]);
        assert_eq!(parse(b"a=%4").unwrap(), vec![("a".into(), "%4".into())]);
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert_eq!(parse(b"MessageBody=%FF%FE"), None);
    }
}
