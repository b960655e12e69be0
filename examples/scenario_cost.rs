//! Runs one built-in scenario over `workloads/peak.csv` once, for instruction
//! counting: `valgrind --tool=callgrind target/release/examples/scenario_cost
//! i2s-production` (node layer on) against `i2s-production-fargate` (the
//! same HPA priced as Fargate pods).
use meshsim::billing::PriceBook;
use meshsim::engine::{ArrivalProcess, simulate};
use meshsim::trace::{TraceReader, scan};
use std::path::Path;

fn main() {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "i2s-production".into());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/peak.csv");
    let meta = scan(&path, 60.0).expect("workloads/peak.csv");
    let sc = meshsim::scenario::resolve(&name, &[], &[], &PriceBook::builtin())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let cfg = meshsim::run::sim_config(&sc, &meta, ArrivalProcess::Poisson).unwrap();
    let mut reader = TraceReader::open(&path).unwrap();
    let rows = std::iter::from_fn(move || reader.next_row().unwrap());
    let s = simulate(cfg, rows, 1).summary;
    println!(
        "{name}: {} requests, {} replicas max, compute ${:.4}",
        s.requests_arrived, s.replicas_max, s.cost_compute_usd
    );
}
