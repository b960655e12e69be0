//! Report rendering cost, outside the simulation: the three charts and the
//! HTML page of the built-in `cost-optimized` scenario over
//! `workloads/peak.csv` (a day: 1,440 timeline rows).

use criterion::{Criterion, criterion_group, criterion_main};
use meshsim::billing::PriceBook;
use meshsim::engine::ArrivalProcess;
use meshsim::report::{RunInfo, chart, html, review};
use std::hint::black_box;
use std::path::Path;

fn bench(c: &mut Criterion) {
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/peak.csv");
    let sc = meshsim::scenario::resolve("cost-optimized", &[], &[], &PriceBook::builtin()).unwrap();
    let (outcome, meta) = meshsim::run::run_file(&sc, &trace, 1, ArrivalProcess::Poisson).unwrap();
    let info = RunInfo::new(&sc, &meta, 1);
    let mut g = c.benchmark_group("report");
    g.sample_size(10);
    g.bench_function("charts_day", |b| {
        b.iter(|| black_box(chart::render_all(&outcome, &info).unwrap().cost.len()))
    });
    let charts = chart::render_all(&outcome, &info).unwrap();
    g.bench_function("html_day", |b| {
        b.iter(|| {
            let blocks = review::blocks(&outcome, &info, Some(&charts));
            black_box(html::render_html(&blocks).len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
