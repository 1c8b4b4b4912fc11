//! Schedule expressions: `rate(N unit)` and AWS's six-field `cron(min hour dom month dow
//! year)`, UTC, with `*`, `?`, ranges, lists, steps, names (JAN, SUN), `L` and `W` in
//! day-of-month, and `L` and `#` in day-of-week (1 = SUN ... 7 = SAT). Exactly one of the two
//! day fields must be `?`. `next_after` gives the next firing strictly after a time.

use crate::time::{civil_from_days, days_from_civil, days_in_month};

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    text: String,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// Every `period_ms`, counted from the previous firing (the first from PutRule).
    Rate {
        period_ms: u64,
    },
    Cron(Box<Cron>),
}

#[derive(Debug, Clone, PartialEq)]
struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    months: Vec<bool>,
    /// Indexed by year - 1970.
    years: Vec<bool>,
    day: DayRule,
}

#[derive(Debug, Clone, PartialEq)]
enum DayRule {
    /// Day of month in the set (index 1..=31).
    MonthDays(Vec<bool>),
    /// `L`: the last day of the month.
    LastOfMonth,
    /// `nW`: the weekday (Mon-Fri) nearest day n, within the month.
    NearestWeekday(u32),
    /// `LW`: the last weekday of the month.
    LastWeekdayOfMonth,
    /// Day of week in the set (index 0 = SUN .. 6 = SAT).
    WeekDays(Vec<bool>),
    /// `nL`: the last given weekday of the month (0 = SUN).
    LastWeekday(u32),
    /// `d#n`: the n-th given weekday of the month.
    NthWeekday(u32, u32),
}

const FIRST_YEAR: i64 = 1970;
const LAST_YEAR: i64 = 2199;
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Schedule {
    /// `None` for anything AWS refuses with "Parameter ScheduleExpression is not valid."
    pub fn parse(text: &str) -> Option<Schedule> {
        let kind = if let Some(body) = text.strip_prefix("rate(").and_then(|r| r.strip_suffix(')'))
        {
            parse_rate(body)?
        } else if let Some(body) = text.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
            Kind::Cron(Box::new(parse_cron(body)?))
        } else {
            return None;
        };
        Some(Schedule {
            text: text.to_string(),
            kind,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The first firing strictly after `after_ms`, or `None` when there is none (a cron whose
    /// years are all past).
    pub fn next_after(&self, after_ms: u64) -> Option<u64> {
        match &self.kind {
            Kind::Rate { period_ms } => Some(after_ms + period_ms),
            Kind::Cron(cron) => cron.next_after(after_ms),
        }
    }
}

/// `N unit` with exactly one space: AWS refuses `rate( 10 minutes )`.
fn parse_rate(body: &str) -> Option<Kind> {
    let (value, unit) = body.split_once(' ')?;
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = value.parse().ok()?;
    if value == 0 {
        return None;
    }
    // AWS wants the singular unit for 1 and the plural otherwise.
    let unit_ms = match (unit, value == 1) {
        ("minute", true) | ("minutes", false) => 60_000,
        ("hour", true) | ("hours", false) => 3_600_000,
        ("day", true) | ("days", false) => 86_400_000,
        _ => return None,
    };
    Some(Kind::Rate {
        period_ms: value.checked_mul(unit_ms)?,
    })
}

fn parse_cron(body: &str) -> Option<Cron> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    let [minute, hour, dom, month, dow, year] = fields.as_slice() else {
        return None;
    };
    let day = match (*dom, *dow) {
        ("?", "?") => return None,
        (dom, "?") => parse_month_day(dom)?,
        ("?", dow) => parse_week_day(dow)?,
        _ => return None,
    };
    Some(Cron {
        minutes: parse_set(minute, 0, 59, &[])?,
        hours: parse_set(hour, 0, 23, &[])?,
        months: parse_set(month, 1, 12, &MONTHS)?,
        years: {
            let set = parse_set(year, FIRST_YEAR as u32, LAST_YEAR as u32, &[])?;
            set[FIRST_YEAR as usize..].to_vec()
        },
        day,
    })
}

fn parse_month_day(field: &str) -> Option<DayRule> {
    match field {
        "L" => return Some(DayRule::LastOfMonth),
        "LW" => return Some(DayRule::LastWeekdayOfMonth),
        _ => {}
    }
    if let Some(n) = field.strip_suffix('W') {
        let n: u32 = n.parse().ok()?;
        return (1..=31).contains(&n).then_some(DayRule::NearestWeekday(n));
    }
    parse_set(field, 1, 31, &[]).map(DayRule::MonthDays)
}

fn parse_week_day(field: &str) -> Option<DayRule> {
    let weekday = |text: &str| -> Option<u32> {
        let n = value(text, &DAYS, 1)?;
        (1..=7).contains(&n).then_some(n - 1)
    };
    if field == "L" {
        return Some(DayRule::WeekDays((0..7).map(|d| d == 6).collect()));
    }
    if let Some(day) = field.strip_suffix('L') {
        return Some(DayRule::LastWeekday(weekday(day)?));
    }
    if let Some((day, nth)) = field.split_once('#') {
        let nth: u32 = nth.parse().ok()?;
        return (1..=5)
            .contains(&nth)
            .then_some(DayRule::NthWeekday(weekday(day)?, nth));
    }
    let set = parse_set(field, 1, 7, &DAYS)?;
    Some(DayRule::WeekDays((1..=7).map(|d| set[d]).collect()))
}

/// A number or a name (`names[0]` is `base`).
fn value(text: &str, names: &[&str], base: u32) -> Option<u32> {
    if let Ok(n) = text.parse::<u32>() {
        return Some(n);
    }
    let upper = text.to_ascii_uppercase();
    names
        .iter()
        .position(|n| *n == upper)
        .map(|i| i as u32 + base)
}

/// `*`, `a`, `a-b`, `a/step`, `a-b/step`, `*/step`, and comma lists of them, as a set indexed
/// by value (length max + 1).
fn parse_set(field: &str, min: u32, max: u32, names: &[&str]) -> Option<Vec<bool>> {
    let mut set = vec![false; max as usize + 1];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, step.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (from, to) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, names, min)?, value(b, names, min)?)
        } else {
            let a = value(range, names, min)?;
            // `a/step` runs from a to the end of the range.
            (a, if part.contains('/') { max } else { a })
        };
        if from < min || to > max || from > to {
            return None;
        }
        let mut v = from;
        while v <= to {
            set[v as usize] = true;
            v += step;
        }
    }
    Some(set)
}

fn weekday(days: i64) -> u32 {
    // 1970-01-01 was a Thursday (4 with Sunday = 0).
    (days + 4).rem_euclid(7) as u32
}

impl Cron {
    fn day_matches(&self, y: i64, m: i64, d: i64) -> bool {
        let days = days_from_civil(y, m, d);
        let last = days_in_month(y, m);
        match &self.day {
            DayRule::MonthDays(set) => set[d as usize],
            DayRule::LastOfMonth => d == last,
            DayRule::NearestWeekday(n) => {
                let target = (*n as i64).min(last);
                nearest_weekday(y, m, target) == d
            }
            DayRule::LastWeekdayOfMonth => nearest_weekday(y, m, last) == d,
            DayRule::WeekDays(set) => set[weekday(days) as usize],
            DayRule::LastWeekday(wd) => weekday(days) == *wd && d + 7 > last,
            DayRule::NthWeekday(wd, nth) => weekday(days) == *wd && (d - 1) / 7 + 1 == *nth as i64,
        }
    }

    fn next_after(&self, after_ms: u64) -> Option<u64> {
        // Firings are on whole minutes; start at the minute after `after_ms`.
        let start_min = after_ms / 60_000 + 1;
        let mut days = (start_min / 1440) as i64;
        let mut from_minute = (start_min % 1440) as u32;
        loop {
            let (y, m, d) = civil_from_days(days);
            if y > LAST_YEAR {
                return None;
            }
            if y < FIRST_YEAR || !self.years[(y - FIRST_YEAR) as usize] {
                days = days_from_civil(y + 1, 1, 1);
                from_minute = 0;
                continue;
            }
            if !self.months[m as usize] {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                days = days_from_civil(ny, nm, 1);
                from_minute = 0;
                continue;
            }
            if self.day_matches(y, m, d) {
                for minute_of_day in from_minute..1440 {
                    let (h, min) = (minute_of_day / 60, minute_of_day % 60);
                    if self.hours[h as usize] && self.minutes[min as usize] {
                        let total = days as u64 * 1440 + minute_of_day as u64;
                        return Some(total * 60_000);
                    }
                }
            }
            days += 1;
            from_minute = 0;
        }
    }
}

/// The Monday-to-Friday day nearest `day` without leaving the month.
fn nearest_weekday(y: i64, m: i64, day: i64) -> i64 {
    let last = days_in_month(y, m);
    match weekday(days_from_civil(y, m, day)) {
        6 if day == 1 => 3,
        6 => day - 1,
        0 if day == last => day - 2,
        0 => day + 1,
        _ => day,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Epoch ms of a UTC date-time.
    fn at(y: i64, mo: i64, d: i64, h: u64, mi: u64) -> u64 {
        (days_from_civil(y, mo, d) as u64 * 1440 + h * 60 + mi) * 60_000
    }

    fn next(expr: &str, after: u64) -> Option<u64> {
        Schedule::parse(expr)
            .unwrap_or_else(|| panic!("{expr} parses"))
            .next_after(after)
    }

    #[test]
    fn rates_need_the_right_unit_and_count_from_the_last_firing() {
        assert_eq!(next("rate(1 minute)", 1000), Some(61_000));
        assert_eq!(next("rate(5 minutes)", 0), Some(300_000));
        assert_eq!(next("rate(2 hours)", 0), Some(7_200_000));
        for bad in [
            "rate(1 minutes)",
            "rate(2 minute)",
            "rate(0 minutes)",
            "rate(x days)",
            "rate(5 weeks)",
            "rate 5 minutes",
            "rate( 10 minutes )",
            "rate(10  minutes)",
            "rate(+5 minutes)",
        ] {
            assert!(Schedule::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn cron_fields_ranges_lists_steps_and_names() {
        let t = at(2024, 1, 1, 10, 7); // a Monday
        assert_eq!(
            next("cron(0/15 * * * ? *)", t),
            Some(at(2024, 1, 1, 10, 15))
        );
        assert_eq!(next("cron(0 12 * * ? *)", t), Some(at(2024, 1, 1, 12, 0)));
        assert_eq!(next("cron(0 8 * * ? *)", t), Some(at(2024, 1, 2, 8, 0)));
        assert_eq!(
            next("cron(30 9 ? * MON-FRI *)", at(2024, 1, 5, 10, 0)),
            Some(at(2024, 1, 8, 9, 30))
        );
        assert_eq!(
            next("cron(0 0 1 JAN,JUL ? *)", t),
            Some(at(2024, 7, 1, 0, 0))
        );
        assert_eq!(
            next("cron(0 0 ? * 1 *)", t),
            Some(at(2024, 1, 7, 0, 0)),
            "1 is Sunday"
        );
        assert_eq!(next("cron(0 0 1 1 ? 2030)", t), Some(at(2030, 1, 1, 0, 0)));
        assert_eq!(next("cron(0 0 1 1 ? 2020)", t), None);
    }

    #[test]
    fn cron_l_w_and_hash() {
        let t = at(2024, 2, 1, 0, 0);
        assert_eq!(next("cron(0 0 L * ? *)", t), Some(at(2024, 2, 29, 0, 0)));
        // 2024-06-01 is a Saturday: 1W is Monday the 3rd.
        assert_eq!(
            next("cron(0 0 1W * ? *)", at(2024, 5, 31, 1, 0)),
            Some(at(2024, 6, 3, 0, 0))
        );
        // 2024-03-31 is a Sunday: LW is Friday the 29th.
        assert_eq!(
            next("cron(0 0 LW * ? *)", at(2024, 3, 1, 0, 0)),
            Some(at(2024, 3, 29, 0, 0))
        );
        // The second Tuesday (3) of January 2024 is the 9th.
        assert_eq!(
            next("cron(0 0 ? * 3#2 *)", at(2024, 1, 1, 0, 0)),
            Some(at(2024, 1, 9, 0, 0))
        );
        // The last Friday (6) of January 2024 is the 26th.
        assert_eq!(
            next("cron(0 0 ? * 6L *)", at(2024, 1, 1, 0, 0)),
            Some(at(2024, 1, 26, 0, 0))
        );
    }

    #[test]
    fn cron_refuses_what_aws_refuses() {
        for bad in [
            "cron(0 12 * * * *)",
            "cron(0 12 ? * ? *)",
            "cron(0 12 * *)",
            "cron(60 12 * * ? *)",
            "cron(0 24 * * ? *)",
            "cron(0 0 32 * ? *)",
            "cron(0 0 ? * 8 *)",
            "cron(0 0 ? * 2#6 *)",
            "cron(0 0 * 13 ? *)",
            "cron(0 0 * * ? 1969)",
            "cron(*/0 0 * * ? *)",
        ] {
            assert!(Schedule::parse(bad).is_none(), "{bad}");
        }
    }
}
