//! Synthetic rate traces (`meshsim trace gen`), so that every example runs
//! without external data. A pattern is a shape over time; the shape (with
//! optional multiplicative noise) is scaled affinely so that the written trace
//! has exactly the requested mean and peak rate.

use crate::rng::{Stream, stream};
use rand_distr::{Distribution, StandardNormal};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Pattern {
    /// A business day: quiet night, morning ramp, afternoon peak, evening decline.
    Diurnal,
    /// Diurnal days with quieter weekends (Saturday 55 %, Sunday 45 %).
    Weekly,
    /// A constant base with one short flash crowd at 60 % of the span.
    Spike,
    /// A low level for the first half, a high level for the second.
    Step,
    /// One constant rate.
    Constant,
}

impl Pattern {
    /// The peak-to-mean ratio used when `--peak` is not given.
    pub fn default_peak_to_mean(self) -> f64 {
        match self {
            Pattern::Diurnal | Pattern::Weekly => 3.0,
            Pattern::Spike => 5.0,
            Pattern::Step => 1.5,
            Pattern::Constant => 1.0,
        }
    }
}

#[derive(Clone, Debug)]
pub struct GenSpec {
    pub pattern: Pattern,
    pub mean_rps: f64,
    pub peak_rps: Option<f64>,
    pub duration_s: f64,
    pub interval_s: f64,
    pub seed: u64,
    /// First timestamp; a diurnal day begins here (pass local midnight).
    pub start: jiff::Timestamp,
    /// Coefficient of variation of the multiplicative noise on each row.
    pub noise: f64,
}

fn logistic(x: f64, centre: f64, width: f64) -> f64 {
    1.0 / (1.0 + (-(x - centre) / width).exp())
}

fn gauss(x: f64, centre: f64, sigma: f64) -> f64 {
    (-0.5 * ((x - centre) / sigma).powi(2)).exp()
}

/// The business-day shape at `h` hours after midnight.
fn day_shape(h: f64) -> f64 {
    0.05 + 0.35 * logistic(h, 8.0, 0.6) * (1.0 - logistic(h, 18.5, 1.0))
        + gauss(h, 14.5, 1.6)
        + 0.08 * gauss(h, 21.0, 1.5)
}

/// Generates `(timestamp, rps)` rows.
pub fn generate(spec: &GenSpec) -> Result<Vec<(jiff::Timestamp, f64)>, String> {
    if !(spec.mean_rps.is_finite() && spec.mean_rps > 0.0) {
        return Err(format!("--mean must be a rate > 0, got {}", spec.mean_rps));
    }
    if !(spec.interval_s > 0.0 && spec.duration_s >= 2.0 * spec.interval_s) {
        return Err(format!(
            "--duration ({} s) must be at least two --interval ({} s) long, and the interval > 0",
            spec.duration_s, spec.interval_s
        ));
    }
    if !(spec.noise.is_finite() && (0.0..=1.0).contains(&spec.noise)) {
        return Err(format!(
            "--noise must be between 0 and 1, got {}",
            spec.noise
        ));
    }
    let peak = spec
        .peak_rps
        .unwrap_or(spec.mean_rps * spec.pattern.default_peak_to_mean());
    if spec.pattern == Pattern::Constant {
        if (peak - spec.mean_rps).abs() > 1e-9 {
            return Err("a constant trace has peak = mean; leave out --peak".into());
        }
    } else if peak <= spec.mean_rps {
        return Err(format!(
            "--peak ({peak}) must be greater than --mean ({}) for the {:?} pattern",
            spec.mean_rps, spec.pattern
        ));
    }
    let n = (spec.duration_s / spec.interval_s).round() as usize;
    let start_weekday = spec.start.to_zoned(jiff::tz::TimeZone::UTC).weekday();
    let mut rng = stream(spec.seed, Stream::TraceGenerator);
    let mut shape = Vec::with_capacity(n);
    for i in 0..n {
        let t = (i as f64 + 0.5) * spec.interval_s;
        let frac = t / spec.duration_s;
        let hours = t / 3600.0;
        let h = hours % 24.0;
        let base = match spec.pattern {
            Pattern::Diurnal => day_shape(h),
            Pattern::Weekly => {
                let day = start_weekday.wrapping_add((hours / 24.0).floor() as i64);
                let factor = match day {
                    jiff::civil::Weekday::Saturday => 0.55,
                    jiff::civil::Weekday::Sunday => 0.45,
                    _ => 1.0,
                };
                day_shape(h) * factor
            }
            Pattern::Spike => {
                let w = 0.005;
                1.0 + 4.0 * (logistic(frac, 0.60, w) - logistic(frac, 0.65, w))
            }
            Pattern::Step => {
                if frac < 0.5 {
                    0.0
                } else {
                    1.0
                }
            }
            Pattern::Constant => 1.0,
        };
        let z: f64 = StandardNormal.sample(&mut rng);
        shape.push((base * (1.0 + spec.noise * z)).max(0.0));
    }
    let rates = if spec.pattern == Pattern::Constant {
        shape
            .iter()
            .map(|s| spec.mean_rps * s.max(0.0))
            .collect::<Vec<_>>()
    } else {
        let max = shape.iter().cloned().fold(f64::MIN, f64::max);
        let min = shape.iter().cloned().fold(f64::MAX, f64::min);
        let mean = shape.iter().sum::<f64>() / n as f64;
        if max - mean <= 0.0 {
            return Err("the pattern is flat; nothing to scale".into());
        }
        let b = (peak - spec.mean_rps) / (max - mean);
        let a = spec.mean_rps - b * mean;
        if a + b * min < -1e-9 {
            let reachable = 1.0 + (max - mean) / (mean - min);
            return Err(format!(
                "a peak of {peak} with a mean of {} (peak/mean {:.2}) is not reachable with the {:?} pattern; \
                 its largest peak/mean is {reachable:.2}",
                spec.mean_rps,
                peak / spec.mean_rps,
                spec.pattern
            ));
        }
        shape.iter().map(|s| (a + b * s).max(0.0)).collect()
    };
    let step = jiff::SignedDuration::from_secs_f64(spec.interval_s);
    let mut out = Vec::with_capacity(n);
    for (i, r) in rates.into_iter().enumerate() {
        let t = spec
            .start
            .checked_add(step * i as i32)
            .map_err(|e| format!("timestamp out of range: {e}"))?;
        out.push((t, r));
    }
    Ok(out)
}

/// Writes rows as a rate trace (`timestamp,rps`).
pub fn write_csv<W: std::io::Write>(
    w: W,
    rows: &[(jiff::Timestamp, f64)],
) -> Result<(), csv::Error> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(["timestamp", "rps"])?;
    for (t, r) in rows {
        wr.write_record([t.to_string(), format!("{r:.3}")])?;
    }
    wr.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(pattern: Pattern) -> GenSpec {
        GenSpec {
            pattern,
            mean_rps: 40.0,
            peak_rps: Some(120.0),
            duration_s: 86400.0,
            interval_s: 60.0,
            seed: 1,
            start: "2025-11-28T05:00:00Z".parse().unwrap(),
            noise: 0.03,
        }
    }

    #[test]
    fn diurnal_has_the_requested_mean_and_peak() {
        let rows = generate(&spec(Pattern::Diurnal)).unwrap();
        assert_eq!(rows.len(), 1440);
        let mean = rows.iter().map(|r| r.1).sum::<f64>() / rows.len() as f64;
        let peak = rows.iter().map(|r| r.1).fold(0.0, f64::max);
        assert!((mean - 40.0).abs() < 1e-6, "{mean}");
        assert!((peak - 120.0).abs() < 1e-6, "{peak}");
        // The afternoon (13:00-17:00) is busier than the morning (08:00-11:00),
        // and both are busier than the night (01:00-05:00).
        let avg = |a: usize, b: usize| {
            rows[a * 60..b * 60].iter().map(|r| r.1).sum::<f64>() / ((b - a) * 60) as f64
        };
        assert!(avg(13, 17) > avg(8, 11));
        assert!(avg(8, 11) > avg(1, 5));
    }

    #[test]
    fn unreachable_peak_is_an_error() {
        let mut s = spec(Pattern::Step);
        s.peak_rps = Some(200.0);
        assert!(generate(&s).unwrap_err().contains("not reachable"));
    }

    #[test]
    fn same_seed_same_trace() {
        assert_eq!(
            generate(&spec(Pattern::Weekly)).unwrap(),
            generate(&spec(Pattern::Weekly)).unwrap()
        );
    }
}
