//! PNG charts of a run, drawn with plotters into an in-memory RGB buffer and
//! encoded with `png`. Text comes from DejaVu Sans compiled into the binary
//! (the `dejavu` crate, registered once with plotters' `ab_glyph` backend), so
//! a chart renders the same on a machine without any fonts. Time axes are in
//! the scenario's time zone, ticks on round local clock times.
//!
//! Charts read a finished [`RunOutcome`]; they are never in the simulation's
//! hot path.

mod canvas;
mod cost;
mod latency;
mod load_replicas;
mod nodes;
pub mod regions;
pub mod resources;
mod series;
mod time_axis;

pub use super::format::*;
pub use canvas::*;
pub(crate) use cost::cost_over_time;
pub use cost::{COMPONENTS, cost};
pub use latency::latency;
pub use load_replicas::load_replicas;
pub use nodes::nodes;
pub(crate) use series::*;
pub use time_axis::*;

use crate::metrics::RunOutcome;
use crate::report::RunInfo;

/// The three charts of a run, PNG-encoded.
pub struct RunCharts {
    pub load_replicas: Vec<u8>,
    pub latency: Vec<u8>,
    pub cost: Vec<u8>,
    /// Multi-region runs: offered load and p95 by region.
    pub regions: Option<Vec<u8>>,
    /// Runs on nodes: nodes by group and purchase option, pods unschedulable.
    pub nodes: Option<Vec<u8>>,
    /// Runs with a usage model: CPU and memory per pod, used and requested,
    /// and the VPA's recommendation.
    pub resources: Option<Vec<u8>>,
}

impl RunCharts {
    /// (file name, bytes, size) of each chart, in report order.
    pub fn files(&self) -> Vec<(&'static str, &[u8], (u32, u32))> {
        let mut v: Vec<(&'static str, &[u8], (u32, u32))> = vec![
            ("load_replicas.png", &self.load_replicas, (WIDTH, HEIGHT)),
            ("latency.png", &self.latency, (WIDTH, HEIGHT)),
            ("cost.png", &self.cost, (WIDTH, HEIGHT)),
        ];
        if let Some(r) = &self.regions {
            v.push(("regions.png", r, (regions::WIDTH, regions::HEIGHT)));
        }
        if let Some(n) = &self.nodes {
            v.push(("nodes.png", n, (WIDTH, HEIGHT)));
        }
        if let Some(r) = &self.resources {
            v.push(("resources.png", r, (resources::WIDTH, resources::HEIGHT)));
        }
        v
    }
}

pub fn render_all(o: &RunOutcome, info: &RunInfo) -> Result<RunCharts, ChartError> {
    Ok(RunCharts {
        load_replicas: load_replicas(o, info)?,
        latency: latency(o, info)?,
        cost: cost(o, info)?,
        regions: if o.regions.is_empty() {
            None
        } else {
            Some(regions::chart(o, info)?)
        },
        nodes: if o.summary.nodes.is_some() {
            Some(nodes(o, info)?)
        } else {
            None
        },
        resources: if o.summary.usage.is_some() {
            Some(resources::resources(o, info)?)
        } else {
            None
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(start: &str, tz: &str) -> RunInfo {
        RunInfo {
            scenario: "s".into(),
            trace: "t".into(),
            seed: 1,
            start_epoch_us: start.parse::<jiff::Timestamp>().unwrap().as_microsecond(),
            slo: crate::scenario::Slo {
                p95_ms: 500.0,
                availability: 0.99,
                ..Default::default()
            },
            tz: jiff::tz::TimeZone::get(tz).unwrap(),
            budgets: Vec::new(),
            about: Default::default(),
            provenance: Default::default(),
        }
    }

    /// New York leaves daylight saving at 02:00 EDT on 2 Nov 2025: the day has
    /// 25 hours, so local 03:00 is 4 h after local midnight, not 3.
    #[test]
    fn ticks_fall_on_local_clock_times_across_the_dst_change() {
        let i = info("2025-11-02T04:00:00Z", "America/New_York");
        let ticks = time_ticks(&i, 24.0 * 3600.0);
        let hours: Vec<f64> = ticks.iter().map(|t| t / 3600.0).collect();
        assert_eq!(hours, [0.0, 4.0, 7.0, 10.0, 13.0, 16.0, 19.0, 22.0]);
        let labels: Vec<String> = ticks.iter().map(|t| time_label(&i, *t)).collect();
        assert_eq!(
            labels,
            [
                "Sun 02 Nov",
                "03:00",
                "06:00",
                "09:00",
                "12:00",
                "15:00",
                "18:00",
                "21:00"
            ]
        );
    }

    #[test]
    fn ticks_for_short_and_long_spans() {
        // 30 minutes from 10:07 UTC: every 5 minutes on the clock.
        let i = info("2025-06-01T10:07:00Z", "UTC");
        let labels: Vec<String> = time_ticks(&i, 1800.0)
            .iter()
            .map(|t| time_label(&i, *t))
            .collect();
        assert_eq!(
            labels,
            ["10:10", "10:15", "10:20", "10:25", "10:30", "10:35"]
        );
        // 58 days (NASA's trace): one tick a week at midnight.
        let i = info("1995-07-01T04:00:00Z", "UTC");
        let ticks = time_ticks(&i, 58.0 * 86_400.0);
        assert!(ticks.len() >= 5 && ticks.len() <= 9, "{ticks:?}");
        assert!(ticks.windows(2).all(|w| w[1] - w[0] == 7.0 * 86_400.0));
    }

    #[test]
    fn money_and_latency_labels() {
        assert_eq!(fmt_usd(0.0), "$0");
        assert_eq!(fmt_usd(0.05), "$0.050");
        assert_eq!(fmt_usd(2.5), "$2.50");
        assert_eq!(fmt_usd(326.44), "$326");
        assert_eq!(fmt_ms(100.0), "100");
        assert_eq!(fmt_ms(1000.0), "1 s");
        assert_eq!(fmt_ms(2500.0), "2.5 s");
    }
}
