//! IP addresses and CIDR blocks as event-ruler reads them. A pattern string that looks like an
//! IP address matches that address however the event writes it; `cidr` blocks run from the
//! address as written (not masked) to the top of the block.

use std::net::Ipv6Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpRange {
    pub v6: bool,
    pub low: u128,
    pub high: u128,
}

impl IpRange {
    pub(crate) fn contains(&self, text: &str) -> bool {
        match parse_ip_if_possible(text) {
            Some((v6, value)) => v6 == self.v6 && self.low <= value && value <= self.high,
            None => false,
        }
    }
}

/// event-ruler's regexes: only strings shaped like addresses are ever parsed as one.
fn looks_like_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn looks_like_ipv6(s: &str) -> bool {
    s.contains(':') && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
}

fn parse_ipv4(s: &str) -> Option<u128> {
    let mut value: u128 = 0;
    for part in s.split('.') {
        let n: u32 = part
            .trim_start_matches('0')
            .parse()
            .or_else(|_| {
                if part.bytes().all(|b| b == b'0') {
                    Ok(0)
                } else {
                    Err(())
                }
            })
            .ok()?;
        if n > 255 {
            return None;
        }
        value = (value << 8) | n as u128;
    }
    Some(value)
}

/// `(is_v6, address)` if `s` is an address literal; anything else is just a string.
pub(crate) fn parse_ip_if_possible(s: &str) -> Option<(bool, u128)> {
    if looks_like_ipv4(s) {
        parse_ipv4(s).map(|v| (false, v))
    } else if looks_like_ipv6(s) {
        s.parse::<Ipv6Addr>().ok().map(|a| (true, u128::from(a)))
    } else {
        None
    }
}

/// event-ruler's `ipToBytes`, with its messages.
fn ip_literal(s: &str) -> Result<(bool, u128), String> {
    if looks_like_ipv4(s) {
        return parse_ipv4(s)
            .map(|v| (false, v))
            .ok_or_else(|| format!("Invalid IP address: {s}"));
    }
    if looks_like_ipv6(s) {
        return s
            .parse::<Ipv6Addr>()
            .map(|a| (true, u128::from(a)))
            .map_err(|_| format!("Invalid IP address: {s}"));
    }
    Err(format!("Nonstandard IP address: {s}"))
}

/// Compiles `{"cidr": "..."}`; errors carry event-ruler's message (no location).
pub(crate) fn cidr(text: &str) -> Result<IpRange, String> {
    // Java's String.split drops trailing empty pieces: "10.0.0.0/" has one piece.
    let mut pieces: Vec<&str> = text.split('/').collect();
    while pieces.len() > 1 && pieces.last() == Some(&"") {
        pieces.pop();
    }
    if pieces.len() == 1 && pieces[0].is_empty() {
        pieces.clear();
    }
    if pieces.len() != 2 {
        return Err("Malformed CIDR, one '/' required".into());
    }
    let bits: i64 =
        java_parse_int(pieces[1]).ok_or("Malformed CIDR, mask bits must be an integer")?;
    if bits < 0 {
        return Err("Malformed CIDR, mask bits must not be negative".into());
    }
    let (v6, base) = ip_literal(pieces[0])?;
    let width = if v6 { 128 } else { 32 };
    if !v6 && bits > 31 {
        return Err("IPv4 mask bits must be < 32".into());
    }
    if v6 && bits > 127 {
        return Err("IPv6 mask bits must be < 128".into());
    }
    let host_bits = width - bits as u32;
    let host_mask: u128 = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    Ok(IpRange {
        v6,
        low: base,
        high: base | host_mask,
    })
}

/// The single address a plain pattern string names, if it is an address literal.
pub(crate) fn exact_ip(text: &str) -> Option<IpRange> {
    let (v6, value) = parse_ip_if_possible(text)?;
    Some(IpRange {
        v6,
        low: value,
        high: value,
    })
}

fn java_parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = s.parse().ok()?;
    i32::try_from(v).ok().map(i64::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_block_includes_its_top_and_excludes_the_next_address() {
        let r = cidr("10.0.0.0/24").unwrap();
        assert!(r.contains("10.0.0.255"));
        assert!(r.contains("10.0.0.0"));
        assert!(!r.contains("10.0.1.0"));
        assert!(!r.contains("10.0.0.256"));
        assert!(!r.contains("2001:db8::1"));
    }

    #[test]
    fn ipv6_blocks_compare_addresses_not_text() {
        let r = cidr("2001:db8:1234:1a00::/64").unwrap();
        assert!(r.contains("2001:0db8:1234:1a00:0000:0000:0000:0000"));
        assert!(r.contains("2001:db8:1234:1a00:ffff:ffff:ffff:ffff"));
        assert!(!r.contains("2001:0db8:123f:1a01:0000:0000:0000:0000"));
    }

    #[test]
    fn malformed_blocks_get_event_rulers_messages() {
        assert_eq!(
            cidr("bad-filter").unwrap_err(),
            "Malformed CIDR, one '/' required"
        );
        assert_eq!(
            cidr("bad-/64filter").unwrap_err(),
            "Malformed CIDR, mask bits must be an integer"
        );
        assert_eq!(
            cidr("xx.11.xx/8").unwrap_err(),
            "Nonstandard IP address: xx.11.xx"
        );
        assert_eq!(
            cidr("10.0.0.0/32").unwrap_err(),
            "IPv4 mask bits must be < 32"
        );
        assert_eq!(
            cidr("10.0.0.0/-1").unwrap_err(),
            "Malformed CIDR, mask bits must not be negative"
        );
        assert_eq!(
            cidr("10.0.0.300/8").unwrap_err(),
            "Invalid IP address: 10.0.0.300"
        );
    }

    #[test]
    fn plain_addresses_match_any_spelling_of_the_same_address() {
        let r = exact_ip("2001:db8::1").unwrap();
        assert!(r.contains("2001:0db8:0000:0000:0000:0000:0000:0001"));
        assert!(exact_ip("not-an-ip").is_none());
    }
}
