//! Conservation, checked over random scenarios and traces: every request that
//! arrived was served, dropped, rejected, or is still in flight; the timeline
//! adds up to the summary; the timeline's cumulative cost ends at the total.

use crate::{config, rate_row};
use meshsim::engine::{ArrivalProcess, simulate};
use meshsim::model::service::ServiceDist;
use meshsim::trace::{TraceKind, TraceRow};
use meshsim::units::US_PER_SEC;
use proptest::prelude::*;

fn service() -> impl Strategy<Value = ServiceDist> {
    prop_oneof![
        (1.0f64..2000.0).prop_map(|m| ServiceDist::Exponential { mean_us: m * 1e3 }),
        (1.0f64..2000.0, 0.1f64..3.0).prop_map(|(m, cv)| ServiceDist::lognormal(m * 1e3, cv)),
        (1u64..2000).prop_map(|m| ServiceDist::Constant(m * 1000)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn arrived_equals_served_dropped_rejected_in_flight(
        concurrency in 1u32..8,
        service in service(),
        timeout_ms in 1u64..20_000,
        queue_limit in 0u64..500,
        startup_s in 0u64..120,
        steps in proptest::collection::vec((0u64..1800, 0u32..6), 1..6),
        rates in proptest::collection::vec(0.0f64..150.0, 1..30),
        interval_s in 1u64..120,
        uniform in any::<bool>(),
        count_trace in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let span_s = interval_s * rates.len() as u64;
        let mut cfg = config(0, concurrency, service, span_s);
        cfg.timeout_us = timeout_ms * 1000;
        cfg.queue_limit = queue_limit;
        cfg.startup_us = startup_s * US_PER_SEC;
        let mut steps: Vec<(u64, u32)> = steps.into_iter().map(|(t, n)| (t * US_PER_SEC, n)).collect();
        steps.sort_by_key(|s| s.0);
        cfg.capacity_steps = steps;
        cfg.arrivals = if uniform { ArrivalProcess::Uniform } else { ArrivalProcess::Poisson };
        cfg.median_interval_us = interval_s * US_PER_SEC;
        let rows: Vec<TraceRow> = rates
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut row = rate_row((i as u64 * interval_s) as f64, *r);
                if count_trace {
                    row.value = (r * interval_s as f64).round();
                }
                row
            })
            .collect();
        cfg.trace_kind = if count_trace { TraceKind::Count } else { TraceKind::Rate };
        let out = simulate(cfg, rows.into_iter(), seed);
        let s = &out.summary;
        prop_assert_eq!(
            s.requests_arrived,
            s.requests_served + s.requests_dropped + s.requests_rejected + s.requests_in_flight
        );
        let sum = |f: fn(&meshsim::metrics::TimelineRow) -> u64| out.timeline.iter().map(f).sum::<u64>();
        prop_assert_eq!(sum(|r| r.arrived), s.requests_arrived);
        prop_assert_eq!(sum(|r| r.served), s.requests_served);
        prop_assert_eq!(sum(|r| r.dropped), s.requests_dropped);
        prop_assert_eq!(sum(|r| r.rejected), s.requests_rejected);
        prop_assert_eq!(out.timeline.len() as u64, span_s.div_ceil(60));
        let last = out.timeline.last().unwrap();
        prop_assert!((last.cost_compute_usd - s.cost_compute_usd).abs() < 1e-9);
        prop_assert!(s.cost_compute_usd >= 0.0);
        // Cumulative cost never decreases.
        for w in out.timeline.windows(2) {
            prop_assert!(w[1].cost_compute_usd >= w[0].cost_compute_usd - 1e-12);
        }
        // Requests served never waited longer than the timeout.
        if let Some(max) = s.latency_max_ms {
            prop_assert!(max.is_finite());
        }
    }
}
