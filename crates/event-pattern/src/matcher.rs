//! One compiled condition on one field, and whether a single event value satisfies it.

use serde_json::Value;

use super::cidr::IpRange;
use super::number::{comparable_json, Precision};
use super::wildcard::Wildcard;

/// A numeric interval in units of `precision`; `None` bounds are unbounded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Range {
    pub low: Option<(i64, bool)>,
    pub high: Option<(i64, bool)>,
    pub precision: Precision,
}

impl Range {
    fn contains(&self, v: i64) -> bool {
        let above = match self.low {
            None => true,
            Some((b, open)) => {
                if open {
                    v > b
                } else {
                    v >= b
                }
            }
        };
        let below = match self.high {
            None => true,
            Some((t, open)) => {
                if open {
                    v < t
                } else {
                    v <= t
                }
            }
        };
        above && below
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Matcher {
    Exact(String),
    /// A number in the pattern: equal by value when comparable, else by its text.
    ExactNumber {
        text: String,
        /// The value in units of `precision`, when comparable.
        units: Option<i64>,
        precision: Precision,
    },
    Bool(bool),
    Null,
    /// A pattern string that is an IP address literal matches that address in any spelling.
    Ip(IpRange),
    Prefix(String),
    PrefixIgnoreCase(String),
    Suffix(String),
    SuffixIgnoreCase(String),
    EqualsIgnoreCase(String),
    Wildcard(Wildcard),
    AnythingBut {
        strings: Vec<String>,
        /// In units of `precision`.
        numbers: Vec<i64>,
        precision: Precision,
    },
    AnythingButPrefix(Vec<String>),
    AnythingButSuffix(Vec<String>),
    AnythingButIgnoreCase(Vec<String>),
    AnythingButWildcard(Vec<Wildcard>),
    Numeric(Range),
    Cidr(IpRange),
    Exists,
    /// `{"exists": false}`: satisfied by the field's absence, checked by the rule matcher.
    Absent,
}

/// Case-insensitive comparisons fold both sides to lower case.
pub(crate) fn fold(s: &str) -> String {
    s.to_lowercase()
}

impl Matcher {
    /// Whether `leaf` (a string, number, boolean or null from the event) satisfies this
    /// condition. `Absent` never matches a present value.
    pub(crate) fn matches(&self, leaf: &Value) -> bool {
        match self {
            Matcher::Exact(s) => leaf.as_str() == Some(s.as_str()),
            Matcher::ExactNumber {
                text,
                units,
                precision,
            } => match leaf {
                Value::Number(n) => match (units, comparable_json(n, *precision)) {
                    (Some(a), Some(b)) => *a == b,
                    _ => n.to_string() == *text,
                },
                _ => false,
            },
            Matcher::Bool(b) => leaf.as_bool() == Some(*b),
            Matcher::Null => leaf.is_null(),
            Matcher::Ip(r) | Matcher::Cidr(r) => leaf.as_str().is_some_and(|s| r.contains(s)),
            Matcher::Prefix(p) => leaf.as_str().is_some_and(|s| s.starts_with(p.as_str())),
            Matcher::PrefixIgnoreCase(p) => leaf
                .as_str()
                .is_some_and(|s| fold(s).starts_with(p.as_str())),
            Matcher::Suffix(p) => leaf.as_str().is_some_and(|s| s.ends_with(p.as_str())),
            Matcher::SuffixIgnoreCase(p) => {
                leaf.as_str().is_some_and(|s| fold(s).ends_with(p.as_str()))
            }
            Matcher::EqualsIgnoreCase(p) => leaf.as_str().is_some_and(|s| fold(s) == *p),
            Matcher::Wildcard(w) => leaf.as_str().is_some_and(|s| w.matches(s)),
            Matcher::AnythingBut {
                strings,
                numbers,
                precision,
            } => match leaf {
                Value::String(s) => !strings.iter().any(|x| x == s),
                Value::Number(n) => match comparable_json(n, *precision) {
                    Some(v) => !numbers.contains(&v),
                    None => true,
                },
                _ => true,
            },
            Matcher::AnythingButPrefix(ps) => match leaf.as_str() {
                Some(s) => !ps.iter().any(|p| s.starts_with(p.as_str())),
                None => true,
            },
            Matcher::AnythingButSuffix(ps) => match leaf.as_str() {
                Some(s) => !ps.iter().any(|p| s.ends_with(p.as_str())),
                None => true,
            },
            Matcher::AnythingButIgnoreCase(ps) => match leaf.as_str() {
                Some(s) => {
                    let f = fold(s);
                    !ps.contains(&f)
                }
                None => true,
            },
            Matcher::AnythingButWildcard(ws) => match leaf.as_str() {
                Some(s) => !ws.iter().any(|w| w.matches(s)),
                None => true,
            },
            Matcher::Numeric(r) => match leaf {
                Value::Number(n) => comparable_json(n, r.precision).is_some_and(|v| r.contains(v)),
                _ => false,
            },
            Matcher::Exists => true,
            Matcher::Absent => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_match_by_value_and_strings_never_match_numbers() {
        let m = Matcher::ExactNumber {
            text: "300".into(),
            units: Some(300_000_000),
            precision: Precision::EventRuler,
        };
        assert!(m.matches(&json!(300.0)));
        assert!(!m.matches(&json!("300")));
        let big = Matcher::ExactNumber {
            text: "123456789012".into(),
            units: None,
            precision: Precision::EventRuler,
        };
        assert!(big.matches(&json!(123456789012u64)));
    }

    #[test]
    fn anything_but_matches_other_types_and_null() {
        let m = Matcher::AnythingBut {
            strings: vec!["stopped".into()],
            numbers: vec![],
            precision: Precision::EventRuler,
        };
        assert!(m.matches(&Value::Null));
        assert!(m.matches(&json!(12)));
        assert!(!m.matches(&json!("stopped")));
        let p = Matcher::AnythingButPrefix(vec!["init".into()]);
        assert!(p.matches(&json!(12)));
        assert!(!p.matches(&json!("init-x")));
    }

    #[test]
    fn numeric_ranges_only_match_numbers() {
        let r = Matcher::Numeric(Range {
            low: Some((0, true)),
            high: Some((5_000_000, false)),
            precision: Precision::EventRuler,
        });
        assert!(r.matches(&json!(5)));
        assert!(!r.matches(&json!(0)));
        assert!(!r.matches(&json!("3")));
        assert!(!r.matches(&Value::Null));
    }

    #[test]
    fn ignore_case_operators_fold_the_event_value() {
        assert!(Matcher::EqualsIgnoreCase("abc".into()).matches(&json!("AbC")));
        assert!(Matcher::PrefixIgnoreCase("eventb".into()).matches(&json!("EvEnTbridge")));
        assert!(Matcher::SuffixIgnoreCase(".png".into()).matches(&json!("a.PNG")));
        assert!(!Matcher::Suffix(".PNG".into()).matches(&json!("a.png")));
    }
}
