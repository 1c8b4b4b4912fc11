//! Calendar arithmetic on days since the Unix epoch (proleptic Gregorian, as JavaScript's
//! `Date`): civil dates, weekdays, ISO weeks and weeks of the month, and the English names of
//! days and months.

pub(super) const DAYS: [&str; 8] = [
    "",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// An instant taken apart: civil date, time of day, and the day number it falls on.
pub(super) struct Dt {
    pub(super) y: i64,
    pub(super) mo: i64,
    pub(super) d: i64,
    pub(super) h: i64,
    pub(super) mi: i64,
    pub(super) s: i64,
    pub(super) ms: i64,
    pub(super) days: i64,
}

/// Milliseconds since the epoch (UTC, or already shifted into a zone) taken apart.
pub(super) fn split(ms: i64) -> Dt {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, mo, d) = civil_from_days(days);
    Dt {
        y,
        mo,
        d,
        h: rem / 3_600_000,
        mi: rem / 60_000 % 60,
        s: rem / 1000 % 60,
        ms: rem % 1000,
        days,
    }
}

/// ISO day of week, 1 = Monday.
pub(super) fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7) + 1
}

/// Monday of ISO week 1 of `year`.
fn iso_week1(year: i64) -> i64 {
    let jan4 = days_from_civil(year, 1, 4);
    jan4 - (weekday(jan4) - 1)
}

pub(super) fn iso_week(days: i64, year: i64) -> (i64, i64) {
    let mut y = year;
    if days >= iso_week1(year + 1) {
        y = year + 1;
    } else if days < iso_week1(year) {
        y = year - 1;
    }
    (y, (days - iso_week1(y)) / 7 + 1)
}

/// Week of the month (weeks start on Monday; a week belongs to the month holding its Thursday).
pub(super) fn month_week(days: i64) -> (i64, i64) {
    let thursday = days - (weekday(days) - 1) + 3;
    let (y, m, _) = civil_from_days(thursday);
    let first = days_from_civil(y, m, 1);
    let first_thu = first + (4 - weekday(first)).rem_euclid(7);
    let week1_monday = first_thu - 3;
    let _ = y;
    (m, (days - week1_monday).div_euclid(7) + 1)
}
