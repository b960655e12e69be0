//! Time axes in the scenario's time zone, ticks on round local clock times.

use crate::report::RunInfo;
use crate::units::US_PER_SEC;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

/// Local clock ticks for a span of `end_s` seconds from the trace start:
/// round times (every 1, 2, 3, 6 or 12 hours, days, …) in the scenario's
/// time zone, DST-aware (ticks are local wall-clock times).
pub fn time_ticks(info: &RunInfo, end_s: f64) -> Vec<f64> {
    const STEPS: &[i64] = &[
        60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800,
        1_209_600, 2_419_200,
    ];
    let step = STEPS
        .iter()
        .copied()
        .find(|s| end_s / *s as f64 <= 9.0)
        .unwrap_or(2_419_200);
    let Ok(start) = jiff::Timestamp::from_microsecond(info.start_epoch_us) else {
        return Vec::new();
    };
    let start = start.to_zoned(info.tz.clone());
    let first_day = start.date();
    let days = (end_s / 86_400.0).ceil() as i64 + 1;
    let mut ticks = Vec::new();
    let mut push = |dt: jiff::civil::DateTime| {
        if let Ok(z) = dt.to_zoned(info.tz.clone()) {
            let rel =
                (z.timestamp().as_microsecond() - info.start_epoch_us) as f64 / US_PER_SEC as f64;
            if (0.0..=end_s).contains(&rel) {
                ticks.push(rel);
            }
        }
    };
    if step < 86_400 {
        for d in 0..=days {
            let Ok(day) = first_day.checked_add(jiff::Span::new().days(d)) else {
                break;
            };
            let midnight = day.to_datetime(jiff::civil::Time::midnight());
            let mut s = 0;
            while s < 86_400 {
                if let Ok(dt) = midnight.checked_add(jiff::SignedDuration::from_secs(s)) {
                    push(dt);
                }
                s += step;
            }
        }
    } else {
        let every = step / 86_400;
        let mut d = 0;
        while d <= days {
            if let Ok(day) = first_day.checked_add(jiff::Span::new().days(d)) {
                push(day.to_datetime(jiff::civil::Time::midnight()));
            }
            d += every;
        }
    }
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    ticks
}

/// A tick's label: `HH:MM`, or the date at local midnight.
pub fn time_label(info: &RunInfo, t_s: f64) -> String {
    let Ok(ts) =
        jiff::Timestamp::from_microsecond(info.start_epoch_us + (t_s * US_PER_SEC as f64) as i64)
    else {
        return String::new();
    };
    let z = ts.to_zoned(info.tz.clone());
    if z.hour() == 0 && z.minute() == 0 {
        z.strftime("%a %d %b").to_string()
    } else {
        z.strftime("%H:%M").to_string()
    }
}

/// An axis with chosen ticks: the time axis (seconds since the trace start,
/// ticks at round local clock times; plotters' own key points would fall on
/// round numbers of seconds) and categorical axes (a tick per cell centre).
#[derive(Clone, Debug)]
pub struct TimeAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl TimeAxis {
    pub(crate) fn new(info: &RunInfo, end_s: f64) -> TimeAxis {
        TimeAxis {
            lo: 0.0,
            hi: end_s,
            ticks: time_ticks(info, end_s),
        }
    }

    /// `lo..hi` with ticks at the given values.
    pub(crate) fn with_ticks(lo: f64, hi: f64, ticks: Vec<f64>) -> TimeAxis {
        TimeAxis { lo, hi, ticks }
    }
}

impl Ranged for TimeAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let r = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (r * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            return Vec::new();
        }
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for TimeAxis {
    fn format(v: &f64) -> String {
        format!("{v}")
    }
}

/// The x-axis description: the time zone's name.
pub(crate) fn time_desc(info: &RunInfo) -> String {
    format!(
        "local time ({})",
        info.tz.iana_name().unwrap_or("UTC offset of the trace")
    )
}
