//! Civil dates and RFC 3339 text, one implementation for the whole crate: timestamps clients
//! send (Wait's `Timestamp`, `--clock-start`, StartReplay's times), the ISO-8601 text of
//! context objects, events and the admin clock, and the calendar arithmetic of EventBridge
//! schedules. No date crate: the civil-date arithmetic is Howard Hinnant's `days_from_civil`,
//! exact for the proleptic Gregorian calendar.

/// Nanoseconds since the Unix epoch of an RFC 3339 date-time with a mandatory offset
/// (`2016-03-14T01:59:00Z`, `...00.123+01:00`); `None` for anything else.
pub fn parse_rfc3339_nanos(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| -> Option<i64> {
        let part = b.get(from..from + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !matches!(b.get(10), Some(b'T' | b't'))
    {
        return None;
    }
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i128 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        // Keep nanosecond precision; further digits cannot change an ordering AWS observes.
        let frac = &s[start..i.min(start + 9)];
        let scale = 10i128.pow(9 - frac.len() as u32);
        nanos = frac.parse::<i128>().ok()? * scale;
    }
    let offset_secs: i64 = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) => {
            let (oh, om) = (digits(i + 1, 2)?, digits(i + 4, 2)?);
            if b.get(i + 3) != Some(&b':') || i + 6 != b.len() || oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(secs as i128 * 1_000_000_000 + nanos)
}

/// `2024-01-31T12:00:00.123Z` for epoch milliseconds: how Step Functions' context object and
/// the admin clock show times.
pub fn format_millis(ms: u64) -> String {
    let secs = (ms / 1000) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// `2024-01-31T12:00:00.123456Z` for epoch microseconds (trace spans).
pub fn format_micros(us: u64) -> String {
    let full = format_millis(us / 1000);
    format!("{}{:03}Z", &full[..full.len() - 1], us % 1000)
}

/// `2024-01-31T12:00:00Z`: EventBridge events carry times to the second.
pub fn format_seconds(ms: u64) -> String {
    let full = format_millis(ms);
    // format_millis ends in `.mmmZ`.
    format!("{}Z", &full[..full.len() - 5])
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_and_fractions() {
        let z = parse_rfc3339_nanos("2016-03-14T01:59:00Z").expect("valid");
        let plus = parse_rfc3339_nanos("2016-03-14T02:59:00+01:00").expect("valid");
        assert_eq!(z, plus);
        let frac = parse_rfc3339_nanos("2016-03-14T01:59:00.5Z").expect("valid");
        assert_eq!(frac - z, 500_000_000);
        assert_eq!(parse_rfc3339_nanos("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339_nanos("2016-13-05T21:29:29Z"), None);
        assert_eq!(parse_rfc3339_nanos("2016-12-05T21:29:29"), None);
        assert_eq!(parse_rfc3339_nanos("2016-12-05T21:29:29Zjunk"), None);
    }

    #[test]
    fn formats_millis_round_trip() {
        let text = format_millis(1_458_007_140_123);
        assert_eq!(text, "2016-03-15T01:59:00.123Z");
        assert_eq!(
            parse_rfc3339_nanos(&text),
            Some(1_458_007_140_123 * 1_000_000)
        );
    }

    #[test]
    fn formats_to_the_millisecond_and_to_the_second() {
        assert_eq!(format_millis(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(format_seconds(1_700_000_000_123), "2023-11-14T22:13:20Z");
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn civil_dates_round_trip_across_leap_days() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2024, 12, 31), (1969, 12, 31)] {
            assert_eq!(civil_from_days(days_from_civil(y, m, d)), (y, m, d));
        }
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
    }
}
