//! Numbers as the matchers compare them, held exactly as integers of a fixed decimal scale so
//! that `300`, `300.0` and `3e2` are equal and `0.1 + 0.2`-style float error cannot creep into
//! a comparison. The scale and range are a property of the dialect ([`Precision`]):
//! EventBridge (event-ruler) compares six fractional digits between -5e9 and 5e9 and refuses
//! patterns with more; SNS compares five fractional digits between -1e9 and 1e9 and rounds
//! what goes beyond ("Amazon SNS filter policy constraints" in the SNS developer guide).

/// How a dialect reads numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Precision {
    /// event-ruler: millionths, at most 5e9, more digits refused.
    EventRuler,
    /// SNS: hundred-thousandths, at most 1e9, more digits rounded (half up).
    Sns,
}

impl Precision {
    /// Fractional digits kept.
    fn decimals(self) -> i64 {
        match self {
            Precision::EventRuler => 6,
            Precision::Sns => 5,
        }
    }

    /// The largest magnitude compared, in units of the scale.
    fn limit(self) -> i128 {
        match self {
            Precision::EventRuler => 5_000_000_000 * 1_000_000,
            Precision::Sns => 1_000_000_000 * 100_000,
        }
    }

    /// `10^decimals`: one unit of the number in the scale.
    fn one(self) -> i128 {
        10i128.pow(self.decimals() as u32)
    }
}

/// Why a number cannot take part in numeric comparisons, with the matcher's wording.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NumberError {
    TooPrecise,
    OutOfRange(Precision),
}

impl NumberError {
    pub(crate) fn message(&self, text: &str) -> String {
        match self {
            // event-ruler appends its internal BigDecimal and hex forms; the stable part is
            // this sentence followed by the value as written.
            NumberError::TooPrecise => format!("Only values upto 6 decimals are supported {text}"),
            NumberError::OutOfRange(Precision::EventRuler) => {
                "Value must be between -5.0E9 and 5.0E9, inclusive".to_string()
            }
            NumberError::OutOfRange(Precision::Sns) => {
                "Value must be between -1.0E9 and 1.0E9, inclusive".to_string()
            }
        }
    }
}

/// Parses JSON number text into units of the precision's scale.
pub(crate) fn comparable(text: &str, precision: Precision) -> Result<i64, NumberError> {
    let out_of_range = NumberError::OutOfRange(precision);
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => {
            let exp: i64 = body[i + 1..].parse().map_err(|_| out_of_range.clone())?;
            (&body[..i], exp)
        }
        None => (body, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(out_of_range);
    }
    let digits: String = format!("{int_part}{frac_part}");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(out_of_range);
    }
    // value = digits * 10^(exponent - frac_len); strip trailing zeros first (BigDecimal's
    // stripTrailingZeros) so `1.50000000` still counts as one decimal.
    let trimmed = digits.trim_start_matches('0');
    let mut scale_exp = exponent - frac_part.len() as i64;
    let mut significant = trimmed.trim_end_matches('0').to_string();
    scale_exp += (trimmed.len() - significant.len()) as i64;
    if significant.is_empty() {
        return Ok(0);
    }
    // units = significant * 10^(scale_exp + decimals)
    let shift = scale_exp + precision.decimals();
    let magnitude: i128 = if shift < 0 {
        if precision == Precision::EventRuler {
            return Err(NumberError::TooPrecise);
        }
        // Drop the digits past the scale, rounding half up on the first one dropped.
        let drop = usize::try_from(-shift).unwrap_or(usize::MAX);
        if drop > significant.len() {
            0
        } else {
            let keep = &significant[..significant.len() - drop];
            let round_up = significant.as_bytes()[significant.len() - drop] >= b'5';
            if keep.len() > 30 {
                return Err(out_of_range);
            }
            let kept: i128 = if keep.is_empty() {
                0
            } else {
                keep.parse().map_err(|_| out_of_range.clone())?
            };
            kept + i128::from(round_up)
        }
    } else {
        if significant.len() as i64 + shift > 19 {
            return Err(out_of_range);
        }
        for _ in 0..shift {
            significant.push('0');
        }
        significant.parse().map_err(|_| out_of_range.clone())?
    };
    if magnitude > precision.limit() {
        return Err(out_of_range);
    }
    let value = if negative { -magnitude } else { magnitude };
    Ok(value as i64)
}

/// The units of a JSON number in an event, if it is comparable.
pub(crate) fn comparable_json(n: &serde_json::Number, precision: Precision) -> Option<i64> {
    // Integers, by far the common case, need no text round trip.
    if let Some(i) = n.as_i64() {
        let units = i128::from(i) * precision.one();
        return (units.abs() <= precision.limit()).then_some(units as i64);
    }
    if n.is_u64() {
        return None; // above i64::MAX, far beyond the limit
    }
    comparable(&n.to_string(), precision).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ER: Precision = Precision::EventRuler;

    #[test]
    fn equal_values_written_differently_compare_equal() {
        assert_eq!(comparable("300", ER), comparable("300.0", ER));
        assert_eq!(comparable("300", ER), comparable("3e2", ER));
        assert_eq!(comparable("301.8", ER).unwrap(), 301_800_000);
        assert_eq!(comparable("-0.000001", ER).unwrap(), -1);
        assert_eq!(comparable("1.500000000", ER).unwrap(), 1_500_000);
    }

    #[test]
    fn limits_follow_event_ruler() {
        assert_eq!(comparable("5e9", ER).unwrap(), 5_000_000_000_000_000);
        assert_eq!(
            comparable("5000000000.000001", ER),
            Err(NumberError::OutOfRange(ER))
        );
        assert_eq!(comparable("1e-7", ER), Err(NumberError::TooPrecise));
        assert_eq!(
            comparable("123456789012345", ER),
            Err(NumberError::OutOfRange(ER))
        );
        assert_eq!(
            comparable("1e999999999", ER),
            Err(NumberError::OutOfRange(ER))
        );
    }

    #[test]
    fn sns_keeps_five_decimals_rounding_the_rest_within_one_billion() {
        let sns = Precision::Sns;
        assert_eq!(
            comparable("100.123456789", sns),
            comparable("100.1234567", sns)
        );
        assert_eq!(comparable("100.123456789", sns).unwrap(), 10_012_346);
        assert_eq!(comparable("0.000004", sns).unwrap(), 0);
        assert_eq!(comparable("0.000005", sns).unwrap(), 1);
        assert_eq!(comparable("-1.000005", sns).unwrap(), -100_001);
        assert_eq!(comparable("1e9", sns).unwrap(), 100_000_000_000_000);
        assert_eq!(
            comparable("1000000000.00001", sns),
            Err(NumberError::OutOfRange(sns))
        );
        assert_ne!(comparable("1.00001", sns), comparable("1.00002", sns));
        let n: serde_json::Number = "100.1234567".parse().unwrap();
        assert_eq!(comparable_json(&n, sns), Some(10_012_346));
    }

    #[test]
    fn event_numbers_take_the_integer_shortcut_consistently() {
        for text in [
            "0",
            "-7",
            "5000000000",
            "5000000001",
            "300.0",
            "1e-7",
            "18446744073709551615",
        ] {
            let n: serde_json::Number = text.parse().unwrap();
            assert_eq!(
                comparable_json(&n, ER),
                comparable(&n.to_string(), ER).ok(),
                "{text}"
            );
        }
    }
}
