//! The fluid screen's error against the engine, measured: every built-in
//! scenario over a trace (default `workloads/peak.csv`), run once by each,
//! as a Markdown table of cost, p95, windowed p95, availability and mean
//! replicas, with each run's time (docs/sweeps.md, "Screening"):
//! `cargo run --release --example fluid_error [TRACE] [SCENARIO…]`.
//! With `FLUID_ONLY=1` only the fluid runs are made (for profiling).
use meshsim::billing::PriceBook;
use meshsim::billing::budget::projected_month_usd;
use meshsim::engine::{ArrivalProcess, SimMode};
use meshsim::run::{Rows, run_one_mode};
use meshsim::trace::{TraceReader, scan};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let trace = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workloads/peak.csv"));
    let mut names: Vec<String> = args.collect();
    if names.is_empty() {
        names = meshsim::scenario::builtin::names()
            .into_iter()
            .map(String::from)
            .collect();
    }
    let meta = scan(&trace, 60.0).expect("trace");
    let mut reader = TraceReader::open(&trace).unwrap();
    let mut rows = Vec::new();
    while let Some(r) = reader.next_row().unwrap() {
        rows.push(r);
    }
    let book = PriceBook::builtin();
    println!(
        "| scenario | month $ exact | fluid | Δ % | p95 ms exact | fluid | Δ % | window p95 exact | fluid | availability exact | fluid | replicas exact | fluid | s exact | s fluid |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for name in names {
        let sc = match meshsim::scenario::resolve(&name, &[], &[], &book) {
            Ok(sc) => sc,
            Err(e) => {
                eprintln!("{name}: {e}");
                continue;
            }
        };
        let mut res = Vec::new();
        let fluid_only = std::env::var_os("FLUID_ONLY").is_some();
        for mode in [SimMode::Exact, SimMode::Fluid] {
            if fluid_only && mode.is_exact() {
                continue;
            }
            let t = Instant::now();
            let out = match run_one_mode(
                &sc,
                &meta,
                Rows::Memory(&rows),
                1,
                ArrivalProcess::Poisson,
                mode,
            ) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("{name} {mode:?}: {e}");
                    break;
                }
            };
            let secs = t.elapsed().as_secs_f64();
            let s = &out.summary;
            let w = meshsim::metrics::judge_windows(
                &out.windows,
                sc.slo.p95_ms,
                sc.slo.windows_met_pct,
            );
            res.push((
                projected_month_usd(s, meta.start_epoch_us),
                s.latency_p95_ms.unwrap_or(f64::NAN),
                w.quantile_p95_ms.unwrap_or(f64::NAN),
                s.availability(),
                s.replicas_mean,
                secs,
            ));
        }
        if res.len() < 2 {
            if let Some(f) = res.first() {
                println!(
                    "| {name} | fluid only | {:.2} | {:.1} | {:.1} | {:.5} | {:.2} | {:.3} |",
                    f.0, f.1, f.2, f.3, f.4, f.5
                );
            }
            continue;
        }
        let (e, f) = (res[0], res[1]);
        let pct = |a: f64, b: f64| (b / a - 1.0) * 100.0;
        println!(
            "| {name} | {:.2} | {:.2} | {:+.1} | {:.1} | {:.1} | {:+.1} | {:.1} | {:.1} | {:.5} | {:.5} | {:.2} | {:.2} | {:.2} | {:.3} |",
            e.0,
            f.0,
            pct(e.0, f.0),
            e.1,
            f.1,
            pct(e.1, f.1),
            e.2,
            f.2,
            e.3,
            f.3,
            e.4,
            f.4,
            e.5,
            f.5
        );
    }
}
