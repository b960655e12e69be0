//! Numbers as people read them in tables and on axes.

/// Milliseconds for an axis label: `0.5`, `20`, `1,000` → `1 s` above 1000.
pub fn fmt_ms(v: f64) -> String {
    if v >= 1000.0 {
        let s = v / 1000.0;
        if (s - s.round()).abs() < 1e-9 {
            format!("{s:.0} s")
        } else {
            format!("{s:.1} s")
        }
    } else if v >= 1.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// A latency with its unit: `334 ms`, `30.1 s`.
pub fn fmt_latency(v: f64) -> String {
    if v >= 1000.0 {
        fmt_ms(v)
    } else {
        format!("{} ms", fmt_ms(v))
    }
}

/// An axis count: no decimals unless the step is fractional.
pub(crate) fn fmt_count(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Dollars for labels: cents below $100, whole dollars above.
pub fn fmt_usd(v: f64) -> String {
    if v == 0.0 {
        "$0".into()
    } else if v.abs() >= 100.0 {
        format!("${v:.0}")
    } else if v.abs() >= 0.1 {
        format!("${v:.2}")
    } else {
        format!("${v:.3}")
    }
}
