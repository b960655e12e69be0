//! Units: simulated time is an integer number of microseconds since the trace's
//! first timestamp (a `u64` whose name ends in `_us`; conversions here). Money is USD in `f64`; every field name carries its unit.

pub const US_PER_MS: u64 = 1_000;
pub const US_PER_SEC: u64 = 1_000_000;
pub const US_PER_MIN: u64 = 60 * US_PER_SEC;
pub const US_PER_HOUR: u64 = 3_600 * US_PER_SEC;

/// Seconds (fractional) to simulated microseconds, rounded to the nearest µs.
pub fn secs_to_us(s: f64) -> u64 {
    (s * US_PER_SEC as f64).round().max(0.0) as u64
}

/// Milliseconds (fractional) to simulated microseconds, rounded to the nearest µs.
pub fn ms_to_us(ms: f64) -> u64 {
    (ms * US_PER_MS as f64).round().max(0.0) as u64
}

pub fn us_to_ms(us: u64) -> f64 {
    us as f64 / US_PER_MS as f64
}

pub fn us_to_secs(us: u64) -> f64 {
    us as f64 / US_PER_SEC as f64
}

pub fn us_to_hours(us: u64) -> f64 {
    us as f64 / US_PER_HOUR as f64
}

/// Parses a human duration: `90`, `90s`, `15m`, `24h`, `7d`, `1.5h`.
/// A bare number is seconds. Returns seconds.
pub fn parse_duration_secs(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1.0),
        Some((i, 'm')) => (&t[..i], 60.0),
        Some((i, 'h')) => (&t[..i], 3600.0),
        Some((i, 'd')) => (&t[..i], 86400.0),
        _ => (t, 1.0),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v * mult),
        _ => Err(format!(
            "`{text}` is not a duration (expected a number with an optional unit s, m, h or d, such as `24h`)"
        )),
    }
}

/// `x as u64` — truncation toward zero, saturating, NaN to 0 — with the
/// range [0, 2⁶³) (every simulated time and service time) done by one
/// signed conversion instruction, without the saturation fix-ups `as`
/// adds on both sides (twice per simulated request: ten instructions
/// each). The one `unsafe` of the crate; the test below checks it equals
/// `as` at the edges and across the range.
#[inline(always)]
pub fn f64_to_u64(x: f64) -> u64 {
    if (0.0..9_223_372_036_854_775_808.0).contains(&x) {
        // SAFETY: x is finite and in [0, 2^63), so its truncation is in
        // [0, 2^63 - 1] and representable in i64 (`to_int_unchecked`'s
        // contract); in that range `as u64` truncates the same way.
        unsafe { x.to_int_unchecked::<i64>() as u64 }
    } else {
        f64_to_u64_rest(x)
    }
}

/// Kept out of line so the compiler does not compute both sides of the
/// branch above and select.
#[cold]
#[inline(never)]
fn f64_to_u64_rest(x: f64) -> u64 {
    x as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f64_to_u64_is_the_as_conversion() {
        let edge = [
            0.0,
            -0.0,
            0.4999,
            0.5,
            1.0,
            -0.7,
            -1.0,
            -1e300,
            123_456.789,
            4_503_599_627_370_495.5,
            9_223_372_036_854_774_784.0,
            9_223_372_036_854_775_808.0,
            1.8e19,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ];
        for x in edge {
            assert_eq!(f64_to_u64(x), x as u64, "{x}");
        }
        let mut x = 1e-3;
        while x < 1e20 {
            for y in [x, x + 0.5, -x] {
                assert_eq!(f64_to_u64(y), y as u64, "{y}");
            }
            x *= 1.37;
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_secs("24h").unwrap(), 86400.0);
        assert_eq!(parse_duration_secs("90").unwrap(), 90.0);
        assert_eq!(parse_duration_secs("15m").unwrap(), 900.0);
        assert_eq!(parse_duration_secs("2d").unwrap(), 172800.0);
        assert!(parse_duration_secs("-3h").is_err());
        assert!(parse_duration_secs("abc").is_err());
    }

    #[test]
    fn conversions_round_to_nearest_microsecond() {
        assert_eq!(ms_to_us(0.0015), 2);
        assert_eq!(secs_to_us(1.5), 1_500_000);
        assert_eq!(us_to_hours(US_PER_HOUR * 3), 3.0);
    }
}
