//! Numbers as event-ruler compares them: decimals with at most six fractional digits between
//! -5e9 and 5e9, held exactly as integer millionths so `300`, `300.0` and `3e2` are equal and
//! `0.1 + 0.2`-style float error cannot creep into a comparison.

/// Largest magnitude event-ruler can compare: 5e9, in millionths.
const LIMIT_MICROS: i128 = 5_000_000_000 * 1_000_000;

/// Why a number cannot take part in numeric comparisons, with event-ruler's wording.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NumberError {
    TooPrecise,
    OutOfRange,
}

impl NumberError {
    pub(crate) fn message(&self, text: &str) -> String {
        match self {
            // event-ruler appends its internal BigDecimal and hex forms; the stable part is
            // this sentence followed by the value as written.
            NumberError::TooPrecise => format!("Only values upto 6 decimals are supported {text}"),
            NumberError::OutOfRange => {
                "Value must be between -5.0E9 and 5.0E9, inclusive".to_string()
            }
        }
    }
}

/// Parses JSON number text into millionths.
pub(crate) fn comparable(text: &str) -> Result<i64, NumberError> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => {
            let exp: i64 = body[i + 1..].parse().map_err(|_| NumberError::OutOfRange)?;
            (&body[..i], exp)
        }
        None => (body, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(NumberError::OutOfRange);
    }
    let digits: String = format!("{int_part}{frac_part}");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumberError::OutOfRange);
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
    // millionths = significant * 10^(scale_exp + 6)
    let shift = scale_exp + 6;
    if shift < 0 {
        return Err(NumberError::TooPrecise);
    }
    if significant.len() as i64 + shift > 19 {
        return Err(NumberError::OutOfRange);
    }
    for _ in 0..shift {
        significant.push('0');
    }
    let magnitude: i128 = significant.parse().map_err(|_| NumberError::OutOfRange)?;
    if magnitude > LIMIT_MICROS {
        return Err(NumberError::OutOfRange);
    }
    let value = if negative { -magnitude } else { magnitude };
    Ok(value as i64)
}

/// The millionths of a JSON number in an event, if it is comparable.
pub(crate) fn comparable_json(n: &serde_json::Number) -> Option<i64> {
    // Integers, by far the common case, need no text round trip.
    if let Some(i) = n.as_i64() {
        let micros = i128::from(i) * 1_000_000;
        return (micros.abs() <= LIMIT_MICROS).then_some(micros as i64);
    }
    if n.is_u64() {
        return None; // above i64::MAX, far beyond the limit
    }
    comparable(&n.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_written_differently_compare_equal() {
        assert_eq!(comparable("300"), comparable("300.0"));
        assert_eq!(comparable("300"), comparable("3e2"));
        assert_eq!(comparable("301.8").unwrap(), 301_800_000);
        assert_eq!(comparable("-0.000001").unwrap(), -1);
        assert_eq!(comparable("1.500000000").unwrap(), 1_500_000);
    }

    #[test]
    fn limits_follow_event_ruler() {
        assert_eq!(comparable("5e9").unwrap(), 5_000_000_000_000_000);
        assert_eq!(
            comparable("5000000000.000001"),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(comparable("1e-7"), Err(NumberError::TooPrecise));
        assert_eq!(comparable("123456789012345"), Err(NumberError::OutOfRange));
        assert_eq!(comparable("1e999999999"), Err(NumberError::OutOfRange));
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
                comparable_json(&n),
                comparable(&n.to_string()).ok(),
                "{text}"
            );
        }
    }
}
