//! Engine throughput in simulated requests per second (criterion reports
//! "elements/s" = requests/s, on one core: a run is single-threaded).
//!
//! - `mmc`: fixed replicas, exponential service, constant-rate Poisson trace
//!   (M/M/16 at utilisation 0.8, 2 M requests per iteration).
//! - `cost_optimized_peak`: the built-in `cost-optimized` scenario over
//!   `workloads/peak.csv` (a 24 h peak business day, ~3.46 M requests), which
//!   now runs target tracking and scheduled actions.
//! - `mmc_hpa`: the `mmc` model under an HPA reconciling every 15 s.
//! - `mmc_hpa_nodes`: `mmc_hpa` on EKS nodes under the cluster autoscaler.
//! - `i2s_production_nodes` / `i2s_production_fargate`: the same HPA (3-20
//!   pods on four metrics) over the peak day, on EKS node groups under the
//!   cluster autoscaler and priced as Fargate pods: the node layer's cost per
//!   simulated request (it acts per pod and per scan, never per request).
//! - `floor_mm8`, `floor_day`: issue 19's models (`speed_model`: a fixed
//!   M/M/8, and the autoscaled diurnal day), and `*_reference`: the same on
//!   the event-by-event loop, every completion an event.
//! - `fluid/*`: the fluid screen over the peak day, in configurations per
//!   second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use meshsim::billing::PriceBook;
use meshsim::engine::{ArrivalProcess, SimConfig, simulate, simulate_event_by_event, speed_model};
use meshsim::model::service::ServiceDist;
use meshsim::trace::{TraceReader, TraceRow, scan};
use std::hint::black_box;
use std::path::Path;

fn mmc_config(c: u32, span_s: u64) -> SimConfig {
    SimConfig::fixed_pool(c, 1, ServiceDist::Exponential { mean_us: 50_000.0 }, span_s)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);

    // Issue 19's models (`speed_model`), with the fast loop and with the
    // event-by-event reference loop (the engine before it).
    for model in ["mm8", "day"] {
        let (cfg, rows) = speed_model(model).expect("a speed model");
        let n = simulate(cfg.clone(), rows.iter().copied(), 1)
            .summary
            .requests_arrived;
        g.throughput(Throughput::Elements(n));
        g.bench_function(format!("floor_{model}"), |b| {
            b.iter(|| {
                black_box(
                    simulate(cfg.clone(), rows.iter().copied(), 1)
                        .summary
                        .requests_served,
                )
            })
        });
        g.bench_function(format!("floor_{model}_reference"), |b| {
            b.iter(|| {
                black_box(
                    simulate_event_by_event(cfg.clone(), rows.iter().copied(), 1)
                        .summary
                        .requests_served,
                )
            })
        });
    }

    let lambda = 0.8 * 16.0 * 20.0; // 256 rps
    let span_s = (2e6 / lambda) as u64;
    let row = TraceRow {
        t_us: 0,
        value: lambda,
        service_us: None,
        tokens_in: None,
        tokens_out: None,
        session: None,
        region: None,
    };
    let n = simulate(mmc_config(16, span_s), std::iter::once(row), 1)
        .summary
        .requests_arrived;
    g.throughput(Throughput::Elements(n));
    g.bench_function("mmc", |b| {
        b.iter(|| {
            black_box(
                simulate(mmc_config(16, span_s), std::iter::once(row), 1)
                    .summary
                    .requests_served,
            )
        })
    });

    // The same M/M/16 model under an HPA (CPU 80 %, bounds 16..16): the
    // controller reconciles every 15 s over 16 pods; its cost per request
    // should be negligible.
    let hpa_cfg = || mmc_config(16, span_s).with_cpu_hpa(16, 16, 80);
    g.bench_function("mmc_hpa", |b| {
        b.iter(|| {
            black_box(
                simulate(hpa_cfg(), std::iter::once(row), 1)
                    .summary
                    .requests_served,
            )
        })
    });

    // The same under the HPA on EKS nodes (one pod per m5.large, the
    // cluster autoscaler scanning every 10 s): the node layer acts per pod
    // and per scan, so its requests per second should stay within a few %.
    let nodes_cfg = || hpa_cfg().with_nodes(16);
    g.bench_function("mmc_hpa_nodes", |b| {
        b.iter(|| {
            black_box(
                simulate(nodes_cfg(), std::iter::once(row), 1)
                    .summary
                    .requests_served,
            )
        })
    });

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/peak.csv");
    let meta = scan(&path, 60.0).expect("workloads/peak.csv");
    let mut reader = TraceReader::open(&path).unwrap();
    let mut rows = Vec::new();
    while let Some(r) = reader.next_row().unwrap() {
        rows.push(r);
    }
    let sc = meshsim::scenario::resolve("cost-optimized", &[], &[], &PriceBook::builtin()).unwrap();
    let cfg = meshsim::run::sim_config(&sc, &meta, ArrivalProcess::Poisson).unwrap();
    let n = simulate(cfg.clone(), rows.iter().copied(), 1)
        .summary
        .requests_arrived;
    g.throughput(Throughput::Elements(n));
    g.bench_function("cost_optimized_peak", |b| {
        b.iter(|| {
            black_box(
                simulate(cfg.clone(), rows.iter().copied(), 1)
                    .summary
                    .requests_served,
            )
        })
    });

    for (name, scenario) in [
        ("i2s_production_nodes", "i2s-production"),
        ("i2s_production_fargate", "i2s-production-fargate"),
    ] {
        let sc = meshsim::scenario::resolve(scenario, &[], &[], &PriceBook::builtin()).unwrap();
        let cfg = meshsim::run::sim_config(&sc, &meta, ArrivalProcess::Poisson).unwrap();
        let n = simulate(cfg.clone(), rows.iter().copied(), 1)
            .summary
            .requests_arrived;
        g.throughput(Throughput::Elements(n));
        g.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    simulate(cfg.clone(), rows.iter().copied(), 1)
                        .summary
                        .requests_served,
                )
            })
        });
    }
    g.finish();

    // The fluid screen (docs/sweeps.md, "Screening"): configurations per
    // second (criterion's elements/s), one configuration = one scenario over
    // the peak day, with a fixed pool (`steady`), target tracking
    // (`security-hardened`) and the HPA (`i2s-production-fargate`).
    let mut g = c.benchmark_group("fluid");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1));
    for scenario in ["steady", "security-hardened", "i2s-production-fargate"] {
        let sc = meshsim::scenario::resolve(scenario, &[], &[], &PriceBook::builtin()).unwrap();
        let mut cfg = meshsim::run::sim_config(&sc, &meta, ArrivalProcess::Poisson).unwrap();
        cfg.fluid = true;
        g.bench_function(format!("{scenario}_peak_day"), |b| {
            b.iter(|| {
                black_box(
                    simulate(cfg.clone(), rows.iter().copied(), 1)
                        .summary
                        .requests_served,
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
